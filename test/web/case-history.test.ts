/**
 * The case's past read from its audit trail: rungs passed with their dates, whether a failure is
 * still current, and which deadlines still run.
 */
import { describe, expect, it } from 'vitest';
import type { AuditEvent, Case } from '../../functions/lib/model';
import { currentDeadlines, currentFailure, rungVisits } from '../../functions/web/case-history';
import { ladderPicture } from '../../functions/web/ladder-picture';

let seq = 0;
function event(action: string, at: string, detail: Record<string, unknown> = {}): AuditEvent {
  seq += 1;
  return { caseId: 'c', seq, at, actor: 'workflow', action, detail, prevHash: '', hash: '' };
}

const trail = [
  event('case opened', '2026-11-16T09:00:00Z', { stage: 'formal' }),
  event('decision requested', '2026-11-16T09:00:01Z', { step: 'Approve Quality Improvement Notice' }),
  event('reminder due', '2026-11-23T09:00:00Z', { step: 'Approve Quality Improvement Notice' }),
  event('decision requested', '2026-11-24T10:00:00Z', { step: 'Arrange Quality Improvement Meeting' }),
  event('decision requested', '2026-12-01T10:00:00Z', { step: 'Record QIM Outcome' }),
  event('decision requested', '2026-12-10T10:00:00Z', { step: 'Await Board Decision' }),
  event('decision requested', '2027-01-05T10:00:00Z', { step: 'Arrange Quality Improvement Meeting' }),
];

describe('the rungs a case has passed through', () => {
  it('lists each move onto a rung with its date, once per stay, a return to a rung as a new visit', () => {
    expect(rungVisits(trail)).toEqual([
      { stage: 'formal', at: '2026-11-16T09:00:00Z' },
      { stage: 'qim', at: '2026-11-24T10:00:00Z' },
      { stage: 'board', at: '2026-12-10T10:00:00Z' },
      { stage: 'qim', at: '2027-01-05T10:00:00Z' },
    ]);
  });

  it('the picture marks passed rungs with the dates, the current one with when it was reached', () => {
    const picture = ladderPicture({ stage: 'qim', status: 'open' }, rungVisits(trail)).value;
    expect(picture).toMatch(/app-ladder__rung--passed"><span class="app-ladder__name">Formal stage<\/span> <strong[^>]*>Passed<\/strong><span class="app-ladder__when">Reached 16 November 2026</);
    expect(picture).toMatch(/app-ladder__rung--passed"><span class="app-ladder__name">Referred to the Board<\/span>.*Reached 10 December 2026</);
    expect(picture).toMatch(/aria-current="step"><span class="app-ladder__name">Quality Improvement Meeting<\/span>.*Reached 24 November 2026; again 5 January 2027</);
    expect(picture).not.toMatch(/rung--passed"><span class="app-ladder__name">Informal stage/);
    expect(picture.match(/Passed</g)).toHaveLength(2);
  });
});

describe('a failure is shown only while it is current', () => {
  const failure = { at: '2026-11-20T09:00:00Z', step: 'Send Quality Improvement Notice', error: 'EmailSendFailed' };
  const failed = [...trail, event('step failed', failure.at, { step: failure.step }), event('decision requested', failure.at, { step: 'Send Quality Improvement Notice: Await Retry' })];

  it('is current while the case waits for the retry', () => {
    expect(currentFailure({ status: 'open', lastFailure: failure }, failed)).toEqual(failure);
  });

  it('is history once the retry has been recorded (on the same virtual minute or later), or once the case is closed', () => {
    const retried = [...failed, event('decision recorded', failure.at, { step: 'Send Quality Improvement Notice: Await Retry', decision: 'retry' })];
    expect(currentFailure({ status: 'open', lastFailure: failure }, retried)).toBeUndefined();
    expect(currentFailure({ status: 'closed', lastFailure: failure }, failed)).toBeUndefined();
    // A retry that failed again is current again.
    expect(currentFailure({ status: 'open', lastFailure: failure }, [...retried, event('step failed', failure.at, { step: failure.step })])).toEqual(failure);
  });
});

describe('the deadlines that still run', () => {
  const base: Pick<Case, 'status' | 'stage' | 'returnStage' | 'waitingOn' | 'deadlines'> = {
    status: 'open',
    stage: 'finalWarning',
    waitingOn: { step: 'Await Final Warning Outcome', who: 'board', since: '2027-01-01T00:00:00Z', reminders: 0 },
    deadlines: { response: '2026-12-20T00:00:00Z', finalWarning: '2027-07-01T00:00:00Z', boardMeeting: '2026-12-14' },
  };

  it('a deadline step shows its own deadline, not the response time left over from an earlier step', () => {
    expect(currentDeadlines(base).map((item) => item.kind)).toEqual(['finalWarning', 'boardMeeting']);
  });

  it('a step that reminds shows its response time; safeguarding keeps the final warning running', () => {
    expect(currentDeadlines({ ...base, stage: 'qim', waitingOn: { step: 'Record QIM Outcome', who: 'leadOfficer', since: '2027-01-01T00:00:00Z', reminders: 0 } }).map((item) => item.kind)).toEqual(['response']);
    expect(
      currentDeadlines({ ...base, stage: 'safeguarding', returnStage: 'finalWarning', waitingOn: { step: 'Await Safeguarding Outcome', who: 'safeguarding', since: '2027-01-01T00:00:00Z', reminders: 0 } }).map((item) => item.kind),
    ).toEqual(['response', 'finalWarning']);
  });

  it('a closed case has none', () => {
    expect(currentDeadlines({ ...base, status: 'closed', waitingOn: undefined })).toEqual([]);
  });
});
