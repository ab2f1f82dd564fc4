/**
 * Is the Commissioning & Quality Board quorate? Terms of reference, 5: at least three members,
 * including an ICB/CCG safeguarding & commissioning representative, a manager from the council's
 * quality & performance service and a council strategic commissioner. A meeting that is not
 * quorate takes no decisions, so the board function checks this before it records one, and the
 * answer says why in words an officer can act on ("Missing: a Strategic Commissioner from the council").
 */
import { QUORUM_ROLES, type BoardMember, type BoardRole } from './config';
import { DomainError } from './errors';

/** Each role in plain words, for pages and emails. */
export const ROLE_LABELS: Record<BoardRole, string> = {
  icbSafeguardingCommissioning: 'ICB safeguarding and commissioning representative',
  councilQualityPerformanceManager: 'Quality and performance manager from the council',
  councilStrategicCommissioner: 'Strategic Commissioner from the council',
  procurementManager: 'Procurement manager',
  advisor: 'Advisor',
};

/**
 * The role inside a sentence, with its article. Written out rather than derived from the label:
 * "an ICB ..." is said "an eye-see-bee", which no first-letter rule gets right.
 */
const ROLE_IN_SENTENCE: Record<BoardRole, string> = {
  icbSafeguardingCommissioning: 'an ICB safeguarding and commissioning representative',
  councilQualityPerformanceManager: 'a quality and performance manager from the council',
  councilStrategicCommissioner: 'a Strategic Commissioner from the council',
  procurementManager: 'a procurement manager',
  advisor: 'an advisor',
};

export function roleInSentence(role: BoardRole): string {
  return ROLE_IN_SENTENCE[role];
}

export interface QuorumRules {
  minimumMembers: number;
  requiredRoles: readonly BoardRole[];
}

/** The terms of reference as they stand. A parameter, so a revised ToR is a config change, not a rewrite. */
export const BOARD_QUORUM: QuorumRules = { minimumMembers: 3, requiredRoles: QUORUM_ROLES };

export interface QuorumAssessment {
  quorate: boolean;
  /** Board members who attended, in the Board's own order, each once. */
  present: BoardMember[];
  /** Required roles nobody present holds, in the terms of reference's order. */
  missingRoles: BoardRole[];
  /** Attendee ids that are not Board members: they do not count (often a typo worth showing). */
  unknownAttendees: string[];
  /** Why the meeting is not quorate, one sentence each; empty when it is. */
  reasons: string[];
}

function numberWord(n: number): string {
  const words = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
  return words[n] ?? String(n);
}

function joinInWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export function assessQuorum(
  members: readonly BoardMember[],
  attendeeIds: readonly string[],
  rules: QuorumRules = BOARD_QUORUM,
): QuorumAssessment {
  const attending = new Set(attendeeIds);
  const memberIds = new Set(members.map((member) => member.id));

  // One person counts once, however many times they are listed.
  const present: BoardMember[] = [];
  const counted = new Set<string>();
  for (const member of members) {
    if (attending.has(member.id) && !counted.has(member.id)) {
      counted.add(member.id);
      present.push(member);
    }
  }
  const unknownAttendees = [...attending].filter((id) => !memberIds.has(id));

  const rolesPresent = new Set(present.map((member) => member.role));
  const missingRoles = [...new Set(rules.requiredRoles)].filter((role) => !rolesPresent.has(role));

  const reasons: string[] = [];
  if (present.length < rules.minimumMembers) {
    reasons.push(
      `${present.length === 1 ? 'Only one member is' : `${capitalise(numberWord(present.length))} members are`} present; ` +
        `at least ${numberWord(rules.minimumMembers)} are needed.`,
    );
  }
  for (const role of missingRoles) reasons.push(`Missing: ${ROLE_IN_SENTENCE[role]}.`);
  const quorate = reasons.length === 0;
  if (!quorate) {
    for (const id of unknownAttendees) reasons.push(`Not counted: "${id}" is not a member of the Board.`);
  }
  return { quorate, present, missingRoles, unknownAttendees, reasons };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A decision was attempted without a quorum. A DomainError (409: the request is fine, the meeting
 * is not in a state to decide), named so the state machine's Catch and the adapters can match it.
 */
export class NotQuorate extends DomainError {
  override readonly status = 409;
  readonly missingRoles: BoardRole[];
  readonly presentCount: number | undefined;

  constructor(missingRoles: readonly BoardRole[], presentCount?: number, minimumMembers = BOARD_QUORUM.minimumMembers) {
    const parts: string[] = [];
    if (missingRoles.length > 0) parts.push(`missing ${joinInWords(missingRoles.map((role) => ROLE_IN_SENTENCE[role]))}`);
    if (presentCount !== undefined && presentCount < minimumMembers) {
      parts.push(`${numberWord(presentCount)} of the ${numberWord(minimumMembers)} members needed present`);
    }
    super(`The Board is not quorate and cannot take this decision${parts.length > 0 ? `: ${parts.join('; ')}` : ''}.`);
    this.missingRoles = [...missingRoles];
    this.presentCount = presentCount;
  }
}

/** Assesses the quorum and throws NotQuorate unless it is met; returns the assessment when it is. */
export function assertQuorate(
  members: readonly BoardMember[],
  attendeeIds: readonly string[],
  rules: QuorumRules = BOARD_QUORUM,
): QuorumAssessment {
  const assessment = assessQuorum(members, attendeeIds, rules);
  if (!assessment.quorate) throw new NotQuorate(assessment.missingRoles, assessment.present.length, rules.minimumMembers);
  return assessment;
}

