/**
 * Completing a pending task: the one place a decision reaches Step Functions. The task moves out
 * of `pending` with a conditional write first, so of two simultaneous attempts exactly one sends
 * the token; if Step Functions then refuses it (timed out, gone), the task is marked so nobody is
 * left looking at a dangling step.
 */
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { PendingTask } from '../lib/model';
import { Conflict } from '../lib/errors';
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
  const decision: DecisionOutput = { ...output, step: task.step, at };
  await deps.store.appendAudit({
    caseId: task.caseId,
    at,
    actor: output.by,
    action: 'decision recorded',
    detail: { step: task.step, decision: output.decision, note: output.note, details: output.details },
    source,
  });
  try {
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: JSON.stringify(decision) }));
  } catch (error) {
    const name = (error as Error).name;
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
