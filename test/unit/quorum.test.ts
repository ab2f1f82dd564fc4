import { describe, expect, it } from 'vitest';
import { BOARD_ROLES, QUORUM_ROLES, type BoardMember, type BoardRole } from '../../functions/lib/config';
import { DomainError } from '../../functions/lib/errors';
import {
  BOARD_QUORUM,
  NotQuorate,
  ROLE_LABELS,
  assertQuorate,
  assessQuorum,
  roleInSentence,
} from '../../functions/lib/quorum';

function member(id: string, role: BoardRole): BoardMember {
  return { id, name: id.replace(/-/g, ' '), email: `${id}@example.org`, role };
}

const icb = member('ian-icb', 'icbSafeguardingCommissioning');
const qpm = member('quinn-quality', 'councilQualityPerformanceManager');
const strategic = member('sam-strategic', 'councilStrategicCommissioner');
const procurement = member('pat-procurement', 'procurementManager');
const advisor = member('alex-advisor', 'advisor');
const members = [icb, qpm, strategic, procurement, advisor];

describe('ROLE_LABELS', () => {
  it('names every Board role in plain words', () => {
    expect(Object.keys(ROLE_LABELS).sort()).toEqual([...BOARD_ROLES].sort());
    for (const role of BOARD_ROLES) {
      expect(ROLE_LABELS[role]).toMatch(/^[A-Z][A-Za-z ]+$/);
      expect(ROLE_LABELS[role]).not.toMatch(/[a-z][A-Z]/); // no camelCase identifiers leaking through
    }
    expect(ROLE_LABELS.councilStrategicCommissioner).toBe('Strategic Commissioner from the council');
  });

  it('has a sentence form with the right article for each role', () => {
    expect(roleInSentence('icbSafeguardingCommissioning')).toBe('an ICB safeguarding and commissioning representative');
    expect(roleInSentence('councilQualityPerformanceManager')).toBe('a quality and performance manager from the council');
    expect(roleInSentence('councilStrategicCommissioner')).toBe('a Strategic Commissioner from the council');
    expect(roleInSentence('advisor')).toBe('an advisor');
    expect(roleInSentence('procurementManager')).toBe('a procurement manager');
  });
});

describe('assessQuorum', () => {
  it('is quorate with the three required roles present', () => {
    const result = assessQuorum(members, [icb.id, qpm.id, strategic.id]);
    expect(result).toEqual({
      quorate: true,
      present: [icb, qpm, strategic],
      missingRoles: [],
      unknownAttendees: [],
      reasons: [],
    });
  });

  it('is quorate with everyone present, listing members in the Board order', () => {
    const result = assessQuorum(members, [advisor.id, strategic.id, procurement.id, qpm.id, icb.id]);
    expect(result.quorate).toBe(true);
    expect(result.present).toEqual(members);
  });

  it.each(QUORUM_ROLES.map((role) => [role]))('is not quorate without %s, even with three present', (role) => {
    const attendees = members.filter((m) => m.role !== role).map((m) => m.id);
    const result = assessQuorum(members, attendees);
    expect(result.quorate).toBe(false);
    expect(result.present).toHaveLength(4);
    expect(result.missingRoles).toEqual([role]);
    expect(result.reasons).toEqual([`Missing: ${roleInSentence(role)}.`]);
  });

  it('says "Missing: a Strategic Commissioner from the council"', () => {
    const result = assessQuorum(members, [icb.id, qpm.id, procurement.id]);
    expect(result.reasons).toEqual(['Missing: a Strategic Commissioner from the council.']);
  });

  it('lists every missing role and the shortfall in numbers, in the terms of reference order', () => {
    const result = assessQuorum(members, [advisor.id, qpm.id]);
    expect(result.quorate).toBe(false);
    expect(result.missingRoles).toEqual(['icbSafeguardingCommissioning', 'councilStrategicCommissioner']);
    expect(result.reasons).toEqual([
      'Two members are present; at least three are needed.',
      'Missing: an ICB safeguarding and commissioning representative.',
      'Missing: a Strategic Commissioner from the council.',
    ]);
  });

  it('explains an empty meeting and a meeting of one', () => {
    expect(assessQuorum(members, []).reasons[0]).toBe('No members are present; at least three are needed.');
    expect(assessQuorum(members, [icb.id]).reasons[0]).toBe('Only one member is present; at least three are needed.');
    expect(assessQuorum(members, []).missingRoles).toEqual([...QUORUM_ROLES]);
  });

  it('does not count people who are not Board members, and names them when it matters', () => {
    const result = assessQuorum(members, [icb.id, qpm.id, 'sam-strategc']);
    expect(result.quorate).toBe(false);
    expect(result.unknownAttendees).toEqual(['sam-strategc']);
    expect(result.reasons).toContain('Not counted: "sam-strategc" is not a member of the Board.');
  });

  it('reports unknown attendees but gives no reasons when the meeting is quorate anyway', () => {
    const result = assessQuorum(members, [icb.id, qpm.id, strategic.id, 'visitor']);
    expect(result.quorate).toBe(true);
    expect(result.unknownAttendees).toEqual(['visitor']);
    expect(result.reasons).toEqual([]);
  });

  it('counts a person listed twice once', () => {
    const result = assessQuorum(members, [icb.id, icb.id, qpm.id, qpm.id, 'x', 'x']);
    expect(result.present).toEqual([icb, qpm]);
    expect(result.unknownAttendees).toEqual(['x']);
    expect(result.reasons[0]).toBe('Two members are present; at least three are needed.');
  });

  it('counts a member listed twice in the configuration once', () => {
    const result = assessQuorum([icb, icb, qpm], [icb.id, qpm.id]);
    expect(result.present).toEqual([icb, qpm]);
  });

  it('matches ids exactly (no case folding or trimming)', () => {
    const result = assessQuorum(members, ['IAN-ICB', ` ${qpm.id}`, strategic.id]);
    expect(result.present).toEqual([strategic]);
    expect(result.unknownAttendees).toEqual(['IAN-ICB', ` ${qpm.id}`]);
  });

  it('lets two holders of the same role both count towards the number', () => {
    const second = member('sue-strategic', 'councilStrategicCommissioner');
    const result = assessQuorum([...members, second], [strategic.id, second.id, icb.id]);
    expect(result.quorate).toBe(false);
    expect(result.missingRoles).toEqual(['councilQualityPerformanceManager']);
    expect(result.reasons).toEqual(['Missing: a quality and performance manager from the council.']);
  });

  it('follows the rules it is given', () => {
    expect(BOARD_QUORUM).toEqual({ minimumMembers: 3, requiredRoles: QUORUM_ROLES });
    const rules = { minimumMembers: 4, requiredRoles: ['procurementManager'] as const };
    const three = assessQuorum(members, [icb.id, qpm.id, procurement.id], rules);
    expect(three.quorate).toBe(false);
    expect(three.missingRoles).toEqual([]);
    expect(three.reasons).toEqual(['Three members are present; at least four are needed.']);
    expect(assessQuorum(members, [icb.id, qpm.id, procurement.id, advisor.id], rules).quorate).toBe(true);
  });

  it('does not change its inputs', () => {
    const attendees = [icb.id, 'x'];
    const copy = structuredClone(members);
    assessQuorum(members, attendees);
    expect(members).toEqual(copy);
    expect(attendees).toEqual([icb.id, 'x']);
  });
});

describe('NotQuorate', () => {
  it('is a named domain error carrying the missing roles', () => {
    const error = new NotQuorate(['councilStrategicCommissioner']);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(DomainError);
    expect(error.name).toBe('NotQuorate');
    expect(error.status).toBe(409);
    expect(error.expose).toBe(true);
    expect(error.missingRoles).toEqual(['councilStrategicCommissioner']);
    expect(error.message).toBe(
      'The Board is not quorate and cannot take this decision: missing a Strategic Commissioner from the council.',
    );
  });

  it('names every missing role and the shortfall', () => {
    const error = new NotQuorate(['icbSafeguardingCommissioning', 'councilQualityPerformanceManager', 'councilStrategicCommissioner'], 1);
    expect(error.message).toBe(
      'The Board is not quorate and cannot take this decision: missing an ICB safeguarding and commissioning ' +
        'representative, a quality and performance manager from the council and a Strategic Commissioner from ' +
        'the council; one of the three members needed present.',
    );
    expect(error.presentCount).toBe(1);
  });

  it('copies the roles it is given', () => {
    const roles: BoardRole[] = ['advisor'];
    const error = new NotQuorate(roles);
    roles.push('procurementManager');
    expect(error.missingRoles).toEqual(['advisor']);
  });
});

describe('assertQuorate', () => {
  it('returns the assessment of a quorate meeting', () => {
    expect(assertQuorate(members, [icb.id, qpm.id, strategic.id]).quorate).toBe(true);
  });

  it('throws NotQuorate naming the missing roles otherwise', () => {
    let caught: unknown;
    try {
      assertQuorate(members, [icb.id, qpm.id, advisor.id]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NotQuorate);
    expect((caught as NotQuorate).missingRoles).toEqual(['councilStrategicCommissioner']);
    expect((caught as NotQuorate).message).toContain('a Strategic Commissioner from the council');
  });
});
