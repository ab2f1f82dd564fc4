/** States and data flow, end to end through @aws-sdk/client-sfn against the local server. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS, startHarness, type Harness } from './harness';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const INVOKE = 'arn:aws:states:::lambda:invoke';
const named = (name: string, message: string): Error => Object.assign(new Error(message), { name });

describe('Pass, Choice, Succeed, Fail', () => {
  const definition = {
    StartAt: 'Route',
    States: {
      Route: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.kind', StringEquals: 'good', Next: 'Tag' },
          { And: [{ Variable: '$.score', IsPresent: true }, { Variable: '$.score', NumericGreaterThan: 10 }], Next: 'Bad' },
        ],
        Default: 'Dynamic',
      },
      Tag: { Type: 'Pass', Result: { tagged: true }, ResultPath: '$.tag', Next: 'Done' },
      Done: { Type: 'Succeed' },
      Bad: { Type: 'Fail', Error: 'TooHigh', Cause: 'score above 10' },
      Dynamic: { Type: 'Fail', ErrorPath: '$.errorName', CausePath: "States.Format('kind was {}', $.kind)" },
    },
  };

  it('follows a matching rule through Pass to Succeed, with AWS event types', async () => {
    const arn = await h.start(await h.machine(definition), { kind: 'good' });
    expect(await h.describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: { kind: 'good', tag: { tagged: true } } });
    expect(await h.types(arn)).toEqual([
      'ExecutionStarted',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'PassStateEntered',
      'PassStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('fails at a Fail state with its Error and Cause, or ErrorPath and CausePath', async () => {
    const machine = await h.machine(definition);
    const bad = await h.start(machine, { kind: 'x', score: 11 });
    expect(await h.describe(bad)).toMatchObject({ status: 'FAILED', error: 'TooHigh', cause: 'score above 10' });
    const events = await h.history(bad);
    expect(events.map((e) => e.type).slice(-2)).toEqual(['FailStateEntered', 'ExecutionFailed']);
    expect(events.at(-1)?.executionFailedEventDetails).toEqual({ error: 'TooHigh', cause: 'score above 10' });

    const dynamic = await h.start(machine, { kind: 'odd', errorName: 'Odd' });
    expect(await h.describe(dynamic)).toMatchObject({ status: 'FAILED', error: 'Odd', cause: 'kind was odd' });
  });

  it('fails with States.Runtime when no rule matches and there is no Default (as AWS reports it)', async () => {
    const arn = await h.start(
      await h.machine({ StartAt: 'C', States: { C: { Type: 'Choice', Choices: [{ Variable: '$.a', NumericEquals: 1, Next: 'D' }] }, D: { Type: 'Succeed' } } }),
      { a: 2 },
    );
    const described = await h.describe(arn);
    expect(described).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(described.cause).toContain("An error occurred while executing the state 'C'");
  });
});

describe('data flow', () => {
  it('applies InputPath, Parameters (with $$ and intrinsics), ResultSelector, ResultPath and OutputPath', async () => {
    h.lambdas.set('lookup', (payload) => ({ echoed: payload, extra: 'dropped by ResultSelector' }));
    const machine = await h.machine(
      {
        StartAt: 'Shape',
        States: {
          Shape: {
            Type: 'Pass',
            InputPath: '$.case',
            Parameters: {
              'id.$': '$.id',
              'execution.$': '$$.Execution.Name',
              'state.$': '$$.State.Name',
              'machine.$': '$$.StateMachine.Name',
              'startInput.$': '$$.Execution.Input.case.id',
              'label.$': "States.Format('case {} has {} notes', $.id, States.ArrayLength($.notes))",
              'parsed.$': 'States.StringToJson($.raw)',
              'text.$': 'States.JsonToString($.notes)',
              'pair.$': 'States.Array($.id, 7)',
              'sum.$': 'States.MathAdd($.count, 5)',
              'uuid.$': 'States.UUID()',
              static: 'kept',
            },
            ResultPath: '$.shaped',
            Next: 'Call',
          },
          Call: {
            Type: 'Task',
            Resource: INVOKE,
            Parameters: { FunctionName: 'lookup', 'Payload.$': '$.shaped.id' },
            ResultSelector: { 'echoed.$': '$.Payload.echoed', 'status.$': '$.StatusCode' },
            ResultPath: '$.result.deep',
            Next: 'Discard',
          },
          Discard: { Type: 'Pass', Result: 'ignored', ResultPath: null, OutputPath: '$.result', End: true },
        },
      },
      'data-flow',
    );
    const arn = await h.start(machine, { case: { id: 'C-1', notes: ['a', 'b'], raw: '{"x":1}', count: 2 } }, 'run-42');
    const { output, status } = await h.describe(arn);
    expect(status).toBe('SUCCEEDED');
    expect(output).toEqual({ deep: { echoed: 'C-1', status: 200 } });
    const shaped = JSON.parse((await h.history(arn)).find((e) => e.type === 'PassStateExited')!.stateExitedEventDetails!.output!);
    expect(shaped.shaped).toMatchObject({
      id: 'C-1',
      execution: 'run-42',
      state: 'Shape',
      machine: 'data-flow',
      startInput: 'C-1',
      label: 'case C-1 has 2 notes',
      parsed: { x: 1 },
      text: '["a","b"]',
      pair: ['C-1', 7],
      sum: 7,
      static: 'kept',
    });
    expect(shaped.shaped.uuid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('fails with States.Runtime on a missing path, which Catch States.ALL does not catch', async () => {
    const machine = await h.machine({
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: INVOKE,
          Parameters: { FunctionName: 'never', 'Payload.$': '$.missing' },
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Succeed' },
      },
    });
    const arn = await h.start(machine, { present: 1 });
    const described = await h.describe(arn);
    expect(described).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(described.cause).toContain('$.missing');
    expect(h.calls).toHaveLength(0);
  });
});

describe('Lambda tasks', () => {
  it('returns lambda:invoke results in the AWS shape', async () => {
    h.lambdas.set('double', (payload) => ({ value: (payload as { n: number }).n * 2 }));
    const machine = await h.machine({
      StartAt: 'Call',
      States: { Call: { Type: 'Task', Resource: INVOKE, Parameters: { FunctionName: 'double', Payload: { 'n.$': '$.n' } }, End: true } },
    });
    const arn = await h.start(machine, { n: 21 });
    expect(await h.describe(arn)).toMatchObject({
      status: 'SUCCEEDED',
      output: { ExecutedVersion: '$LATEST', Payload: { value: 42 }, StatusCode: 200 },
    });
    expect(h.calls).toEqual([{ functionName: 'double', payload: { n: 21 } }]);
    const scheduled = (await h.history(arn)).find((e) => e.type === 'TaskScheduled')!.taskScheduledEventDetails!;
    expect(scheduled).toEqual({
      resourceType: 'lambda',
      resource: 'invoke',
      region: 'eu-west-2',
      parameters: JSON.stringify({ FunctionName: 'double', Payload: { n: 21 } }),
    });
  });

  it('catches a thrown error by its name, with the Lambda-style cause', async () => {
    h.lambdas.set('find', () => {
      throw named('CaseNotFound', 'no case C-9');
    });
    const machine = await h.machine({
      StartAt: 'Find',
      States: {
        Find: {
          Type: 'Task',
          Resource: INVOKE,
          Parameters: { FunctionName: 'find', 'Payload.$': '$' },
          Catch: [
            { ErrorEquals: ['SomethingElse'], Next: 'Wrong' },
            { ErrorEquals: ['CaseNotFound'], ResultPath: '$.error', Next: 'Missing' },
          ],
          End: true,
        },
        Wrong: { Type: 'Fail', Error: 'Wrong' },
        Missing: { Type: 'Pass', End: true },
      },
    });
    const arn = await h.start(machine, { caseId: 'C-9' });
    const cause = JSON.stringify({ errorType: 'CaseNotFound', errorMessage: 'no case C-9' });
    expect(await h.describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: { caseId: 'C-9', error: { Error: 'CaseNotFound', Cause: cause } } });
    const events = await h.history(arn);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events[4]!.taskFailedEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke', error: 'CaseNotFound', cause });
  });

  it('fails the execution with the Lambda error when nothing catches it', async () => {
    h.lambdas.set('boom', () => Promise.reject(named('Boom', 'bang')));
    const machine = await h.machine({
      StartAt: 'Call',
      States: { Call: { Type: 'Task', Resource: INVOKE, Parameters: { FunctionName: 'boom' }, End: true } },
    });
    const arn = await h.start(machine);
    expect(await h.describe(arn)).toMatchObject({ status: 'FAILED', error: 'Boom' });
    expect((await h.types(arn)).slice(-2)).toEqual(['TaskFailed', 'ExecutionFailed']);
  });

  it('runs a plain Lambda function ARN with LambdaFunction* history', async () => {
    const fn = 'arn:aws:lambda:eu-west-2:000000000000:function:plain';
    h.lambdas.set(fn, (payload) => ({ saw: payload }));
    const machine = await h.machine({ StartAt: 'Call', States: { Call: { Type: 'Task', Resource: fn, InputPath: '$.in', End: true } } });
    const arn = await h.start(machine, { in: { a: 1 } });
    expect(await h.describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: { saw: { a: 1 } } });
    expect(await h.types(arn)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
  });
});

describe('Retry and Catch on the virtual clock', () => {
  const flakyMachine = {
    StartAt: 'Flaky',
    States: {
      Flaky: {
        Type: 'Task',
        Resource: INVOKE,
        Parameters: { FunctionName: 'flaky', Payload: { 'attempt.$': '$$.State.RetryCount' } },
        Retry: [
          { ErrorEquals: ['Other'], MaxAttempts: 5 },
          { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 10, MaxAttempts: 3, BackoffRate: 2 },
        ],
        Catch: [{ ErrorEquals: ['Transient'], ResultPath: '$.failure', Next: 'GiveUp' }],
        End: true,
      },
      GiveUp: { Type: 'Pass', End: true },
    },
  };

  it('backs off 10 s, 20 s, 40 s (only as the clock moves), then catches', async () => {
    h.lambdas.set('flaky', () => {
      throw named('Transient', 'try later');
    });
    const arn = await h.start(await h.machine(flakyMachine), { id: 1 });
    const attempts = (): number => h.calls.length;
    expect(attempts()).toBe(1);
    const step = async (seconds: number): Promise<void> => {
      await h.clock.advance(seconds * 1000);
      await h.engine.whenIdle();
    };
    await step(9);
    expect(attempts()).toBe(1);
    await step(1);
    expect(attempts()).toBe(2);
    await step(19);
    expect(attempts()).toBe(2);
    await step(1);
    expect(attempts()).toBe(3);
    await step(39);
    expect(attempts()).toBe(3);
    expect((await h.describe(arn)).status).toBe('RUNNING');
    await step(1);
    expect(attempts()).toBe(4);
    expect(h.calls.map((c) => c.payload)).toEqual([{ attempt: 0 }, { attempt: 1 }, { attempt: 2 }, { attempt: 3 }]);
    expect(await h.describe(arn)).toMatchObject({
      status: 'SUCCEEDED',
      output: { id: 1, failure: { Error: 'Transient', Cause: JSON.stringify({ errorType: 'Transient', errorMessage: 'try later' }) } },
    });
    expect((await h.types(arn)).filter((t) => t === 'TaskFailed')).toHaveLength(4);
  });

  it('runs every due retry within one long advance, and honours MaxDelaySeconds', async () => {
    let calls = 0;
    h.lambdas.set('flaky', () => {
      calls += 1;
      if (calls < 4) throw named('Transient', 'again');
      return 'finally';
    });
    const machine = structuredClone(flakyMachine) as typeof flakyMachine;
    Object.assign(machine.States.Flaky.Retry[1]!, { IntervalSeconds: 100, MaxDelaySeconds: 150 });
    const arn = await h.start(await h.machine(machine));
    const started = h.clock.now().getTime();
    await h.clock.advance(10 * 60 * 1000);
    await h.engine.whenIdle();
    expect(calls).toBe(4);
    const history = await h.history(arn);
    const scheduledAt = history.filter((e) => e.type === 'TaskScheduled').map((e) => Math.round((e.timestamp!.getTime() - started) / 1000) + 0);
    expect(scheduledAt).toEqual([0, 100, 250, 400]); // 100, then 200 capped at 150, then 400 capped at 150
    expect(await h.describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: { Payload: 'finally' } });
  });
});

describe('Wait', () => {
  it('waits 200 days on the virtual clock, not in real time', async () => {
    const machine = await h.machine({ StartAt: 'Nap', States: { Nap: { Type: 'Wait', Seconds: 200 * 86_400, End: true } } });
    const arn = await h.start(machine, { a: 1 });
    await h.clock.advance(199 * DAY_MS);
    await h.engine.whenIdle();
    expect((await h.describe(arn)).status).toBe('RUNNING');
    await h.clock.advance(DAY_MS);
    await h.engine.whenIdle();
    expect(await h.describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: { a: 1 } });
    expect(await h.types(arn)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'WaitStateExited', 'ExecutionSucceeded']);
  });

  it('waits until a TimestampPath, and fails a bad SecondsPath with States.Runtime', async () => {
    const machine = await h.machine({
      StartAt: 'Until',
      States: {
        Until: { Type: 'Wait', TimestampPath: '$.at', Next: 'For' },
        For: { Type: 'Wait', SecondsPath: '$.seconds', End: true },
      },
    });
    const at = new Date(h.clock.now().getTime() + 30 * DAY_MS).toISOString();
    const arn = await h.start(machine, { at, seconds: 60 });
    await h.clock.advance(30 * DAY_MS - 60_000);
    expect((await h.describe(arn)).status).toBe('RUNNING');
    await h.clock.advance(61_000); // past the timestamp: the 60 s wait starts...
    expect((await h.describe(arn)).status).toBe('RUNNING');
    await h.clock.advance(61_000); // ...and ends
    expect((await h.describe(arn)).status).toBe('SUCCEEDED');

    const bad = await h.start(machine, { at, seconds: 'soon' });
    await h.clock.advance(31 * DAY_MS);
    expect(await h.describe(bad)).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });
});

describe('Parallel and Map', () => {
  it('runs Parallel branches and collects their outputs in order', async () => {
    h.lambdas.set('upper', (p) => String(p).toUpperCase());
    const machine = await h.machine({
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Up', States: { Up: { Type: 'Task', Resource: INVOKE, Parameters: { FunctionName: 'upper', 'Payload.$': '$.name' }, OutputPath: '$.Payload', End: true } } },
            { StartAt: 'Len', States: { Len: { Type: 'Pass', Parameters: { 'n.$': 'States.ArrayLength($.tags)' }, End: true } } },
          ],
          ResultPath: '$.both',
          End: true,
        },
      },
    });
    const arn = await h.start(machine, { name: 'ada', tags: [1, 2, 3] });
    expect(await h.describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: { name: 'ada', tags: [1, 2, 3], both: ['ADA', { n: 3 }] } });
    const types = await h.types(arn);
    expect(types[1]).toBe('ParallelStateEntered');
    expect(types[2]).toBe('ParallelStateStarted');
    expect(types.slice(-3)).toEqual(['ParallelStateSucceeded', 'ParallelStateExited', 'ExecutionSucceeded']);
  });

  it('maps over ItemsPath with an ItemSelector, and catches a failing iteration', async () => {
    const definition = {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemSelector: { 'value.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index', 'prefix.$': '$.prefix' },
          ItemProcessor: {
            StartAt: 'Check',
            States: {
              Check: { Type: 'Choice', Choices: [{ Variable: '$.value', NumericLessThan: 0, Next: 'Negative' }], Default: 'Label' },
              Negative: { Type: 'Fail', Error: 'NegativeItem', Cause: 'below zero' },
              Label: { Type: 'Pass', Parameters: { 'label.$': "States.Format('{}{}', $.prefix, $.index)" }, End: true },
            },
          },
          Catch: [{ ErrorEquals: ['NegativeItem'], ResultPath: '$.error', Next: 'Rejected' }],
          End: true,
        },
        Rejected: { Type: 'Pass', End: true },
      },
    };
    const machine = await h.machine(definition);
    const ok = await h.start(machine, { prefix: 'item-', items: [5, 6] });
    expect(await h.describe(ok)).toMatchObject({ status: 'SUCCEEDED', output: [{ label: 'item-0' }, { label: 'item-1' }] });
    const types = await h.types(ok);
    expect(types.filter((t) => t.startsWith('MapIteration'))).toEqual(['MapIterationStarted', 'MapIterationStarted', 'MapIterationSucceeded', 'MapIterationSucceeded']);

    const failing = await h.start(machine, { prefix: 'x', items: [1, -1] });
    expect(await h.describe(failing)).toMatchObject({ status: 'SUCCEEDED', output: { error: { Error: 'NegativeItem', Cause: 'below zero' } } });
    expect(await h.types(failing)).toContain('MapStateFailed');
  });
});

describe('definition-level limits', () => {
  it("times the execution out at the definition's TimeoutSeconds", async () => {
    const machine = await h.machine({ TimeoutSeconds: 3600, StartAt: 'Nap', States: { Nap: { Type: 'Wait', Seconds: 7200, End: true } } });
    const arn = await h.start(machine);
    await h.clock.advance(3600 * 1000);
    await h.engine.whenIdle();
    expect((await h.describe(arn)).status).toBe('TIMED_OUT');
    expect((await h.types(arn)).at(-1)).toBe('ExecutionTimedOut');
  });
});
