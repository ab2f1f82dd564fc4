/**
 * Completing a pending task: the one place a decision reaches Step Functions. The task moves out
 * of `pending` with a conditional write first, so of two simultaneous attempts exactly one sends
 * the token; if Step Functions then refuses it (timed out, gone), the task is marked so nobody is
 * left looking at a dangling step.
 */
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { PendingTask } from '../lib/model';
import { Conflict, DomainError } from '../lib/errors';
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

/** The workflow could not be reached just now; the step is open again and the same link works. */
export class WorkflowUnavailable extends DomainError {
  override readonly status = 503;
}

/** Step Functions' answers that mean the task is over for good. Anything else may pass. */
const FINAL_REFUSALS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export async function completeTask(
  deps: LadderDeps,
  task: PendingTask,
  output: Omit<DecisionOutput, 'step' | 'at'>,
  source: string | undefined,
): Promise<void> {
  const at = nowIso(deps);
  const won = await deps.store.transitionTask(task.taskId, 'pending', {
    status: 'used',
    closedAt: at,
    closedBy: output.by,
    decision: output.decision,
  });
  if (!won) {
    throw new TaskNotCompleted('notPending', 'This step has already been answered or has moved on.');
  }
  const reopen = () => deps.store.transitionTask(task.taskId, 'used', { status: 'pending', closedAt: undefined, closedBy: undefined, decision: undefined });
  const decision: DecisionOutput = { ...output, step: task.step, at };
  try {
    await deps.store.appendAudit({
      caseId: task.caseId,
      at,
      actor: output.by,
      action: 'decision recorded',
      detail: { step: task.step, decision: output.decision, note: output.note, details: output.details },
      source,
    });
  } catch (error) {
    // Not even recorded: the step is open again, so nothing is lost.
    await reopen();
    throw error;
  }
  try {
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: JSON.stringify(decision) }));
  } catch (error) {
    const name = (error as Error).name;
    if (!FINAL_REFUSALS.has(name)) {
      await reopen();
      await deps.store.appendAudit({ caseId: task.caseId, at, actor: output.by, action: 'decision not delivered; the step is open again', detail: { step: task.step, error: name }, source });
      throw new WorkflowUnavailable('The workflow could not be reached just now, so your decision was not applied. The link still works: try again in a minute.');
    }
    const reason: CompletionFailure = name === 'TaskTimedOut' ? 'taskTimedOut' : 'taskGone';
    await deps.store.transitionTask(task.taskId, 'used', { status: 'failed', failure: `${name}: ${(error as Error).message}` });
    await deps.store.appendAudit({
      caseId: task.caseId,
      at,
      actor: output.by,
      action: 'decision refused by the workflow',
      detail: { step: task.step, decision: output.decision, error: name },
      source,
    });
    throw new TaskNotCompleted(
      reason,
      reason === 'taskTimedOut'
        ? 'The workflow had already stopped waiting for this step (it timed out or moved on), so your decision was not applied. A newer request, if any, is in your inbox.'
        : 'The workflow no longer knows this step, so your decision was not applied. The case page shows where it stands.',
    );
  }
}
