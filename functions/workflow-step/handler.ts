/**
 * The state machine's Lambda: every action and every waiting step of the ladder calls it with
 * `{ action, state, execution, ... }`. Thin: validate, then hand to the ladder module. Errors keep
 * their names so the state machine's Retry/Catch can match them.
 */
import middy from '@middy/core';
import { workflowEventSchema, runWorkflowStep } from '../ladder/workflow';
import type { LadderDeps } from '../ladder/context';
import { lambdaDeps } from '../lib/aws-deps';
import { dailySweepEventSchema, runDailySweep } from '../ladder/daily-sweep';

export class InvalidWorkflowEvent extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidWorkflowEvent';
  }
}

export function createWorkflowStepHandler(deps: () => Promise<LadderDeps>) {
  return middy<unknown, unknown>().handler(async (event) => {
    // The daily schedule (EventBridge Scheduler): the provider-side sweep.
    if (dailySweepEventSchema.safeParse(event).success) return runDailySweep(await deps());
    const parsed = workflowEventSchema.safeParse(event);
    if (!parsed.success) {
      throw new InvalidWorkflowEvent(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
    }
    return runWorkflowStep(await deps(), parsed.data);
  });
}

export const handler = createWorkflowStepHandler(lambdaDeps);
