/**
 * Completing a pending task: the one place a decision reaches Step Functions.
 *
 * The durable commit point is one conditional write: the task moves from `pending` to `decided`
 * carrying the decision, who, when, where from, and what its audit event needs. Of two
 * simultaneous attempts exactly one wins it. Everything after it is idempotent and can be done
 * again by anyone, so a crash at any point loses nothing and repeats nothing:
 *
 *   0. an "undelivered" note is written first (what recovery lists; cleared at the end);
 *   1. pending → decided (the commit);
 *   2. the "decision recorded" audit event, with an id derived from the task (written once);
 *   3. SendTaskSuccess with the decision (its output names the task);
 *   4. decided → used, and the note cleared.
 *
 * `settleRecordedDecisions` finishes every decided-but-undelivered task: on start, on the
 * administrator's resume and on the daily schedule. A second SendTaskSuccess on a token already
 * answered is TaskTimedOut, so "was it delivered?" is decided from the execution's history (a
 * TaskSucceeded whose output names this task), never by sending twice. A decision whose token
 * died undelivered (the step's reminder fired, or the execution was lost and is resumed from the
 * case record) is taken by the next wait at the same step (`adoptRecordedDecision`), so the
 * officer never has to decide again; a decision for a step the case has left is refused, on the
 * audit trail.
 */
import { GetExecutionHistoryCommand, SendTaskSuccessCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import type { PendingTask, RecordedDecision } from '../lib/model';
import { Conflict } from '../lib/errors';
import { crashPoint } from '../lib/crash-points';
import { nowIso, type LadderDeps } from './context';
import type { DecisionOutput } from './workflow';

export type CompletionFailure = 'notPending' | 'taskTimedOut' | 'taskGone';

export class TaskNotCompleted extends Conflict {
  constructor(
    readonly reason: CompletionFailure,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How long the request that recorded a decision is taken to be still delivering it. Within it,
 * anyone else on the same link is told it was used; after it (the request died, or could not
 * reach Step Functions), the link says the decision is being recorded and a new POST finishes it.
 */
export const DELIVERY_LEASE_MS = 60_000;

/** Step Functions' answers that mean this token is over for good. Anything else may pass. */
const FINAL_REFUSALS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** `delivered`: the workflow has it. `recording`: recorded, and it will reach the workflow. */
export type Completion = 'delivered' | 'recording';

function decisionEventId(taskId: string): string {
  return `decision:${taskId}`;
}

/** What the workflow receives: the decision, naming its task so delivery can be recognised. */
function workflowOutput(task: PendingTask, recorded: RecordedDecision): DecisionOutput & { taskId: string } {
  return { decision: recorded.decision, step: recorded.step, by: recorded.by, at: recorded.at, note: recorded.note, details: recorded.details, taskId: task.taskId };
}

export async function completeTask(
  deps: LadderDeps,
  task: PendingTask,
  output: Omit<DecisionOutput, 'step' | 'at'>,
  source: string | undefined,
): Promise<Completion> {
  const at = nowIso(deps);
  const head = await deps.store.auditHead(task.caseId);
  await deps.store.markUndelivered(task, at);
  const recorded: RecordedDecision = {
    decision: output.decision,
    step: task.step,
    by: output.by,
    at,
    note: output.note,
    details: output.details,
    ...(source === undefined ? {} : { source }),
    auditAfter: head?.seq ?? 0,
    leaseUntil: new Date(deps.clock.now().getTime() + DELIVERY_LEASE_MS).toISOString(),
  };
  const won = await deps.store.transitionTask(task.taskId, 'pending', { status: 'decided', closedAt: at, closedBy: output.by, decision: output.decision, recorded });
  if (!won) {
    // The note stays: only a settler, seeing the task is not decided, clears it.
    throw new TaskNotCompleted('notPending', 'This step has already been answered or has moved on.');
  }
  crashPoint('decision:afterClaim');
  const decided = await deps.store.getTask(task.taskId);
  if (!decided) throw new Error(`Task ${task.taskId} vanished after its decision was recorded`);
  let settled: Settled;
  try {
    settled = await settleDecision(deps, decided);
  } catch (error) {
    // Recorded, so not lost: recovery (or the officer pressing again) finishes it.
    console.error(`Decision on task ${task.taskId} recorded but not yet delivered`, error);
    await releaseLease(deps, task.taskId);
    return 'recording';
  }
  if (settled === 'recording') await releaseLease(deps, task.taskId);
  if (settled === 'refused') {
    throw new TaskNotCompleted(
      'taskTimedOut',
      'The workflow had already stopped waiting for this step (it timed out or moved on), so your decision was not applied. A newer request, if any, is in your inbox.',
    );
  }
  return settled;
}

async function releaseLease(deps: LadderDeps, taskId: string): Promise<void> {
  const task = await deps.store.getTask(taskId);
  if (task?.status !== 'decided' || !task.recorded) return;
  await deps.store.transitionTask(taskId, 'decided', { status: 'decided', recorded: { ...task.recorded, leaseUntil: nowIso(deps) } });
}

/** Is a decided task still in the hands of the request that recorded it? */
export function deliveryInFlight(task: PendingTask, now: Date): boolean {
  return task.status === 'decided' && Boolean(task.recorded?.leaseUntil) && new Date(task.recorded!.leaseUntil!).getTime() > now.getTime();
}

type Settled = Completion | 'refused';

async function recordDecisionEvent(deps: LadderDeps, task: PendingTask, recorded: RecordedDecision): Promise<void> {
  await deps.store.appendAudit(
    {
      caseId: task.caseId,
      at: recorded.at,
      actor: recorded.by,
      action: 'decision recorded',
      detail: { step: recorded.step, decision: recorded.decision, note: recorded.note, details: recorded.details },
      source: recorded.source,
    },
    { eventId: decisionEventId(task.taskId), after: recorded.auditAfter },
  );
}

async function markDelivered(deps: LadderDeps, taskId: string): Promise<void> {
  await deps.store.transitionTask(taskId, 'decided', { status: 'used', deliveredAt: nowIso(deps) });
  crashPoint('decision:beforeClear');
  await deps.store.clearUndelivered(taskId);
}

/** Steps 2 to 4 for a decided task; safe to run again, and by several at once. */
export async function settleDecision(deps: LadderDeps, task: PendingTask): Promise<Settled> {
  const recorded = task.recorded;
  if (task.status !== 'decided' || !recorded) return task.status === 'used' ? 'delivered' : 'refused';
  await recordDecisionEvent(deps, task, recorded);
  crashPoint('decision:afterAudit');
  try {
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: JSON.stringify(workflowOutput(task, recorded)) }));
  } catch (error) {
    const name = (error as Error).name;
    if (!FINAL_REFUSALS.has(name)) throw error;
    if (await wasDelivered(deps, task)) {
      await markDelivered(deps, task.taskId);
      return 'delivered';
    }
    return undeliverable(deps, task, recorded, `${name}: ${(error as Error).message}`);
  }
  crashPoint('decision:afterSend');
  await markDelivered(deps, task.taskId);
  return 'delivered';
}

/**
 * The token is closed and history shows it did not carry this decision. If the case still waits
 * at this step (a reminder is being sent, or the execution is gone and will be resumed from the
 * record), the next wait there takes the decision. Otherwise the case has moved on without it.
 */
async function undeliverable(deps: LadderDeps, task: PendingTask, recorded: RecordedDecision, failure: string): Promise<Settled> {
  const current = await deps.store.getTask(task.taskId);
  if (current?.status === 'used') return 'delivered';
  const record = await deps.store.getCase(task.caseId);
  if (record?.status === 'open' && record.waitingOn?.step === task.step) return 'recording';
  await refuse(deps, task, recorded, failure);
  return 'refused';
}

async function refuse(deps: LadderDeps, task: PendingTask, recorded: RecordedDecision, failure: string): Promise<void> {
  if (await deps.store.transitionTask(task.taskId, 'decided', { status: 'failed', failure })) {
    await deps.store.appendAudit(
      {
        caseId: task.caseId,
        at: nowIso(deps),
        actor: recorded.by,
        action: 'decision refused by the workflow',
        detail: { step: task.step, decision: recorded.decision, error: failure.split(':')[0] },
        source: recorded.source,
      },
      { eventId: `refused:${task.taskId}`, after: recorded.auditAfter },
    );
  }
  await deps.store.clearUndelivered(task.taskId);
}

function carries(event: HistoryEvent, taskId: string): boolean {
  if (event.type !== 'TaskSucceeded') return false;
  try {
    const output = JSON.parse(event.taskSucceededEventDetails?.output ?? 'null') as { taskId?: unknown } | null;
    return output?.taskId === taskId;
  } catch {
    return false;
  }
}

/** Did any execution of the case receive this task's decision? Newest history first, back to the task. */
async function wasDelivered(deps: LadderDeps, task: PendingTask): Promise<boolean> {
  const record = await deps.store.getCase(task.caseId);
  const arns = [...new Set([record?.executions.at(-1)?.executionArn, task.executionArn].filter((arn): arn is string => Boolean(arn)))];
  const since = new Date(task.createdAt).getTime();
  for (const executionArn of arns) {
    let nextToken: string | undefined;
    try {
      do {
        const page = await deps.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 200, nextToken }));
        const events = page.events ?? [];
        if (events.some((event) => carries(event, task.taskId))) return true;
        if (events.some((event) => event.timestamp && event.timestamp.getTime() < since)) break;
        nextToken = page.nextToken;
      } while (nextToken);
    } catch (error) {
      if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
    }
  }
  return false;
}

/**
 * Called by a waiting step as it starts waiting (with its fresh token). A decision recorded for
 * this step but never delivered is delivered here, to this wait, and no new request goes out; one
 * recorded for a step the case has since left is refused. Returns the task whose decision it took.
 */
export async function adoptRecordedDecision(deps: LadderDeps, caseId: string, step: string, taskToken: string): Promise<PendingTask | undefined> {
  for (const task of await deps.store.listTasks(caseId)) {
    if (task.status !== 'decided' || !task.recorded) continue;
    if (task.step !== step) {
      // Usually delivered already (the workflow got here because of it, and the request that
      // recorded it has not marked it yet, or died before it could): settling finds that out
      // from history; if it never arrived, the case has left its step and it is refused.
      try {
        await settleDecision(deps, task);
      } catch (error) {
        // Never fails this wait: the note stays, and recovery settles it later.
        console.error(`Could not settle the recorded decision on task ${task.taskId}`, error);
      }
      continue;
    }
    await recordDecisionEvent(deps, task, task.recorded);
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(workflowOutput(task, task.recorded)) }));
    await markDelivered(deps, task.taskId);
    return task;
  }
  return undefined;
}

/** Every decided-but-undelivered task, settled; then any parked audit events chained. */
export async function settleRecordedDecisions(deps: LadderDeps): Promise<{ delivered: string[]; recording: string[]; refused: string[] }> {
  const result = { delivered: [] as string[], recording: [] as string[], refused: [] as string[] };
  const now = deps.clock.now().getTime();
  for (const note of await deps.store.listUndelivered()) {
    const { taskId } = note;
    const task = await deps.store.getTask(taskId);
    if (!task || task.status !== 'decided') {
      // A note whose decision never got recorded (a crash just before, or a lost race): clear it
      // once no live request can still be about to record it.
      if (task?.status !== 'pending' || new Date(note.at).getTime() + DELIVERY_LEASE_MS < now) await deps.store.clearUndelivered(taskId);
      continue;
    }
    try {
      result[await settleDecision(deps, task)].push(taskId);
    } catch (error) {
      console.error(`Could not settle the recorded decision on task ${taskId}`, error);
      result.recording.push(taskId);
    }
  }
  await deps.store.drainAuditInbox();
  return result;
}
