/** The workflow definition itself: valid ASL, the shapes the ladder relies on, the README picture. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildEscalationDefinition, DECISION_STEPS, escalationDefinitionString, substitute } from '../../workflows/escalation';
import { README_PATH, withDiagram } from '../../workflows/diagram';
import type { TaskState } from '../../workflows/asl';

const require = createRequire(import.meta.url);
const validate = (require('asl-validator') as { default?: (definition: unknown) => { isValid: boolean; errors: unknown[] } }).default
  ?? (require('asl-validator') as (definition: unknown) => { isValid: boolean; errors: unknown[] });

describe('the escalation definition', () => {
  const definition = buildEscalationDefinition();

  it('is valid Amazon States Language', () => {
    const result = validate(JSON.parse(substitute(escalationDefinitionString(), { WorkflowStepFunctionArn: 'arn:aws:lambda:eu-west-2:000000000000:function:workflow-step' })));
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('passes the task token to every waiting step (asl-validator does not check this)', () => {
    const waits = Object.entries(definition.States).filter(([, state]) => state.Type === 'Task' && state.Resource.endsWith('.waitForTaskToken'));
    expect(waits.length).toBeGreaterThanOrEqual(DECISION_STEPS.length);
    for (const [name, state] of waits) {
      const payload = ((state as TaskState).Parameters as { Payload: Record<string, unknown> }).Payload;
      expect(payload['taskToken.$'], name).toBe('$$.Task.Token');
    }
  });

  it('times every decision step from its input (TimeoutSecondsPath) and catches the timeout', () => {
    for (const step of DECISION_STEPS) {
      const state = definition.States[step.name] as TaskState;
      expect(state.TimeoutSecondsPath, step.name).toBe('$.wait.timeoutSeconds');
      expect(state.Catch?.[0]?.ErrorEquals).toEqual(['States.Timeout']);
    }
  });

  it('gives every Lambda task a Retry on transient errors and a Catch', () => {
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task') continue;
      expect(state.Retry?.length, name).toBeGreaterThan(0);
      expect(state.Catch?.some((c) => c.ErrorEquals.includes('States.ALL')), name).toBe(true);
    }
  });

  it('never ends a case in FAILED: the only Fail state is the router\'s unknown stage, and a failed retry request asks again', () => {
    const fails = Object.entries(definition.States).filter(([, state]) => state.Type === 'Fail').map(([name]) => name);
    expect(fails).toEqual(['Unknown Stage']);
    const awaitRetry = definition.States['Send Quality Improvement Notice: Await Retry'] as TaskState;
    const askAgain = awaitRetry.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'))?.Next ?? '';
    expect(definition.States[askAgain]).toMatchObject({ Type: 'Wait', Next: 'Send Quality Improvement Notice: Await Retry' });
    expect((definition.States['Send Quality Improvement Notice: Record Failure'] as TaskState).Catch?.[0]?.Next).toBe('Send Quality Improvement Notice: Await Retry');
  });

  it('starts at the stage router, which can resume any waiting step', () => {
    expect(definition.StartAt).toBe('Route To Stage');
    const router = definition.States['Route To Stage'];
    expect(router?.Type).toBe('Choice');
    const serialized = JSON.stringify(router);
    for (const step of DECISION_STEPS) expect(serialized).toContain(`"StringEquals":"${step.name}"`);
  });

  it('uses no JSONata or Variables (the local engine and the definition stay in JSONPath)', () => {
    const text = escalationDefinitionString();
    expect(text).not.toMatch(/"QueryLanguage"|"Assign"|\{%/);
  });

  it('is drawn in the README as generated (npm run diagram -- --write refreshes it)', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(withDiagram(readme)).toBe(readme);
  });
});
