/**
 * What the case record says about its past, read from the audit trail: the rungs of the ladder it
 * has stood on and when it reached each, whether the last failure is still the current state of
 * the case (or was retried since), and which deadlines still run.
 */
import type { AuditEvent, Case, Stage } from '../lib/model';
import { STAGES } from '../lib/model';
import { DECISION_STEPS } from '../../workflows/escalation';

export interface RungVisit {
  stage: Stage | 'closed';
  /** ISO timestamp the case reached the rung. */
  at: string;
}

const STEP_STAGES = new Map(DECISION_STEPS.map((step) => [step.name, step.stage]));

function asStage(value: unknown): Stage | undefined {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value) ? (value as Stage) : undefined;
}

/** The stage an audit event puts the case on, if it is one that moves it. */
function stageOf(event: AuditEvent): Stage | 'closed' | undefined {
  switch (event.action) {
    case 'case opened':
      return asStage(event.detail.stage) ?? 'informal';
    case 'decision requested':
      return asStage(STEP_STAGES.get(String(event.detail.step)));
    case 'passed to safeguarding':
      return 'safeguarding';
    case 'returned from safeguarding':
      return asStage(event.detail.stage);
    case 'case closed':
      return 'closed';
    default:
      return /^letter of termination sent/.test(event.action) ? 'termination' : undefined;
  }
}

/** Each time the case moved onto a rung, oldest first (a reminder on the same rung is no move). */
export function rungVisits(audit: readonly AuditEvent[]): RungVisit[] {
  const visits: RungVisit[] = [];
  for (const event of audit) {
    const stage = stageOf(event);
    if (stage && visits.at(-1)?.stage !== stage) visits.push({ stage, at: event.at });
  }
  return visits;
}

/**
 * The case's failure, if it is still what the case is stuck on: open, and no retry of the failed
 * step has been recorded since the last failure (a retried step that then succeeded is history,
 * kept in the audit trail).
 */
export function currentFailure(record: Pick<Case, 'status' | 'lastFailure'>, audit: readonly AuditEvent[]): Case['lastFailure'] {
  if (record.status !== 'open' || !record.lastFailure) return undefined;
  let lastFailed = audit.length - 1;
  while (lastFailed >= 0 && audit[lastFailed]!.action !== 'step failed') lastFailed -= 1;
  if (lastFailed < 0) return record.lastFailure;
  const retried = audit.slice(lastFailed + 1).some((event) => event.action === 'decision recorded' && event.detail.decision === 'retry');
  return retried ? undefined : record.lastFailure;
}

type DeadlineKind = keyof Case['deadlines'];

/**
 * The deadlines that still run: none once the case is closed; otherwise the response time of the
 * step the case waits on (when that step reminds), the Board meeting while the Board has the case,
 * and the final warning's and the review's own deadlines while the case is on those rungs (also
 * while safeguarding has it, since those deadlines keep running).
 */
export function currentDeadlines(record: Pick<Case, 'status' | 'stage' | 'returnStage' | 'waitingOn' | 'deadlines'>): Array<{ kind: DeadlineKind; at: string }> {
  if (record.status !== 'open') return [];
  const step = DECISION_STEPS.find((item) => item.name === record.waitingOn?.step);
  const rung = record.stage === 'safeguarding' ? record.returnStage : record.stage;
  const live: Record<DeadlineKind, boolean> = {
    // A step waiting with reminders; a retry the administrator owes is answered by the alert, not a date.
    response: Boolean(record.waitingOn) && (step ? step.onTimeout.kind === 'remind' : record.waitingOn?.who !== 'administrator'),
    boardMeeting: record.waitingOn?.who === 'board' || step?.assignee === 'board',
    finalWarning: rung === 'finalWarning',
    review: rung === 'review',
  };
  return (Object.entries(record.deadlines) as Array<[DeadlineKind, string | undefined]>)
    .filter((entry): entry is [DeadlineKind, string] => Boolean(entry[1]) && live[entry[0]])
    .map(([kind, at]) => ({ kind, at }));
}
