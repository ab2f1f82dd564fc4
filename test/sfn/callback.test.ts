/** `.waitForTaskToken` tasks: tokens, callbacks, timeouts and heartbeats, through the real SDK. */
import {
  InvalidOutput,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDuration } from '../../local/clock';
import { DAY_MS, lastPayload, startHarness, type Harness } from './harness';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.lambdas.set('notify', () => ({ queued: true }));
});
afterEach(async () => {
  await h.close();
});

const WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const callbackTask = (extra: object = {}): object => ({
  Type: 'Task',
  Resource: WAIT,
  Parameters: { FunctionName: 'notify', Payload: { 'token.$': '$$.Task.Token', 'caseId.$': '$.caseId' } },
  ...extra,
});
const token = (): string => lastPayload(h, 'notify').token;
const succeed = (taskToken: string, output: unknown) =>
  h.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
const advance = async (ms: number): Promise<void> => {
  await h.clock.advance(ms);
  await h.engine.whenIdle();
};

describe('waitForTaskToken', () => {
  it('hands the Lambda a token, resumes on SendTaskSuccess, and records the AWS history', async () => {
    const machine = await h.machine({ StartAt: 'Ask', States: { Ask: callbackTask({ End: true }) } });
    const arn = await h.start(machine, { caseId: 'C-1' });
    const { token: taskToken, caseId } = lastPayload<{ token: string; caseId: string }>(h, 'notify');
    expect(caseId).toBe('C-1');
    expect(taskToken.length).toBeGreaterThan(100);
    expect((await h.describe(arn)).status).toBe('RUNNING');

    await succeed(taskToken, { decision: 'approve' });
    await h.engine.whenIdle();
    expect(await h.describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: { decision: 'approve' } });

    const events = await h.history(arn);
    expect(events.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, 'ExecutionStarted'],
      [2, 0, 'TaskStateEntered'],
      [3, 2, 'TaskScheduled'],
      [4, 3, 'TaskStarted'],
      [5, 4, 'TaskSubmitted'],
      [6, 5, 'TaskSucceeded'],
      [7, 6, 'TaskStateExited'],
      [8, 7, 'ExecutionSucceeded'],
    ]);
    expect(events[2]!.taskScheduledEventDetails).toMatchObject({ resourceType: 'lambda', resource: 'invoke.waitForTaskToken', region: 'eu-west-2' });
    expect(JSON.parse(events[2]!.taskScheduledEventDetails!.parameters!)).toEqual({
      FunctionName: 'notify',
      Payload: { token: taskToken, caseId: 'C-1' },
    });
    expect(JSON.parse(events[4]!.taskSubmittedEventDetails!.output!)).toEqual({ ExecutedVersion: '$LATEST', Payload: { queued: true }, StatusCode: 200 });
    expect(events[5]!.taskSucceededEventDetails).toMatchObject({ output: '{"decision":"approve"}' });
    for (const event of events) expect(event.timestamp).toBeInstanceOf(Date);
  });

  it('answers TaskTimedOut to a second use of a token, InvalidToken to a garbage one, InvalidOutput to non-JSON', async () => {
    const machine = await h.machine({ StartAt: 'Ask', States: { Ask: callbackTask({ End: true }) } });
    await h.start(machine, { caseId: 'C-2' });
    const taskToken = token();
    await expect(h.sfn.send(new SendTaskSuccessCommand({ taskToken, output: 'not json' }))).rejects.toBeInstanceOf(InvalidOutput);
    await succeed(taskToken, {});
    const again = succeed(taskToken, {});
    await expect(again).rejects.toBeInstanceOf(TaskTimedOut);
    await expect(again).rejects.toThrow("Task Timed Out: 'Provided task does not exist anymore'");
    await expect(h.sfn.send(new SendTaskFailureCommand({ taskToken, error: 'X' }))).rejects.toBeInstanceOf(TaskTimedOut);
    await expect(succeed('not-a-token', {})).rejects.toBeInstanceOf(InvalidToken);
    await expect(h.sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'nope' }))).rejects.toBeInstanceOf(InvalidToken);
  });

  it("routes SendTaskFailure's error to a Catch that names it", async () => {
    const machine = await h.machine({
      StartAt: 'Ask',
      States: {
        Ask: callbackTask({ Catch: [{ ErrorEquals: ['Declined'], ResultPath: '$.declined', Next: 'Handle' }], End: true }),
        Handle: { Type: 'Pass', End: true },
      },
    });
    const arn = await h.start(machine, { caseId: 'C-3' });
    await h.sfn.send(new SendTaskFailureCommand({ taskToken: token(), error: 'Declined', cause: 'provider refused' }));
    await h.engine.whenIdle();
    expect(await h.describe(arn)).toMatchObject({
      status: 'SUCCEEDED',
      output: { caseId: 'C-3', declined: { Error: 'Declined', Cause: 'provider refused' } },
    });
    const failed = (await h.history(arn)).find((e) => e.type === 'TaskFailed')!;
    expect(failed.taskFailedEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke.waitForTaskToken', error: 'Declined', cause: 'provider refused' });
  });

  it('fails the task with the error of a Lambda that throws before submitting', async () => {
    h.lambdas.set('notify', () => {
      throw Object.assign(new Error('mail down'), { name: 'EmailSendFailed' });
    });
    const machine = await h.machine({ StartAt: 'Ask', States: { Ask: callbackTask({ End: true }) } });
    const arn = await h.start(machine, { caseId: 'C-4' });
    expect(await h.describe(arn)).toMatchObject({ status: 'FAILED', error: 'EmailSendFailed' });
    expect(await h.types(arn)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskFailed', 'ExecutionFailed']);
  });

  it('accepts a callback sent before the Lambda has even returned', async () => {
    h.lambdas.set('notify', (payload) => {
      h.engine.sendTaskSuccess({ taskToken: (payload as { token: string }).token, output: '"fast"' });
      return 'sent';
    });
    const machine = await h.machine({ StartAt: 'Ask', States: { Ask: callbackTask({ End: true }) } });
    const arn = await h.start(machine, { caseId: 'C-5' });
    expect(await h.describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: 'fast' });
    expect((await h.types(arn)).slice(4, 6)).toEqual(['TaskSubmitted', 'TaskSucceeded']);
  });
});

describe('task timeouts on the virtual clock', () => {
  const SIX_MONTHS_S = 15_552_000; // 180 days
  const escalating = {
    StartAt: 'Ask',
    States: {
      Ask: callbackTask({
        TimeoutSecondsPath: '$.timeoutSeconds',
        Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timedOut', Next: 'Escalate' }],
        Next: 'Resolved',
      }),
      Resolved: { Type: 'Succeed' },
      Escalate: { Type: 'Pass', Result: 'escalated', ResultPath: '$.outcome', End: true },
    },
  };

  it('fires a ~6-month TimeoutSecondsPath only once the clock passes it, and catches States.Timeout', async () => {
    const arn = await h.start(await h.machine(escalating), { caseId: 'C-6', timeoutSeconds: SIX_MONTHS_S });
    const startedAt = h.clock.now();
    const taskToken = token();

    await h.clock.advanceTo(parseDuration('5 months')(startedAt));
    await h.engine.whenIdle();
    expect((await h.describe(arn)).status).toBe('RUNNING');
    await h.sfn.send(new SendTaskHeartbeatCommand({ taskToken })); // still a live task

    await advance(SIX_MONTHS_S * 1000 - (h.clock.now().getTime() - startedAt.getTime()) - 1000);
    expect((await h.describe(arn)).status).toBe('RUNNING');
    await advance(2000);
    expect(await h.describe(arn)).toMatchObject({
      status: 'SUCCEEDED',
      output: { caseId: 'C-6', timedOut: { Error: 'States.Timeout' }, outcome: 'escalated' },
    });
    const events = await h.history(arn);
    const scheduled = events.find((e) => e.type === 'TaskScheduled')!;
    expect(scheduled.taskScheduledEventDetails!.timeoutInSeconds).toBe(SIX_MONTHS_S);
    const timedOut = events.find((e) => e.type === 'TaskTimedOut')!;
    expect(timedOut.taskTimedOutEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke.waitForTaskToken', error: 'States.Timeout' });
    const firedAfter = timedOut.timestamp!.getTime() - scheduled.timestamp!.getTime();
    expect(Math.abs(firedAfter - SIX_MONTHS_S * 1000)).toBeLessThan(1000); // at its own due time, not when the clock stopped
    expect(events.some((e) => e.type === 'TaskSubmitted')).toBe(true);
    await expect(succeed(taskToken, {})).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('fails with States.Runtime when TimeoutSecondsPath is not a positive integer', async () => {
    const arn = await h.start(await h.machine(escalating), { caseId: 'C-7', timeoutSeconds: 'six months' });
    expect(await h.describe(arn)).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(h.calls).toHaveLength(0);
  });

  it('times out a missed heartbeat; heartbeats reset it and write no history', async () => {
    const machine = await h.machine({
      StartAt: 'Ask',
      States: {
        Ask: callbackTask({
          HeartbeatSeconds: 3600,
          TimeoutSeconds: 30 * 86_400,
          Catch: [{ ErrorEquals: ['States.HeartbeatTimeout'], ResultPath: '$.error', Next: 'Lost' }],
          End: true,
        }),
        Lost: { Type: 'Pass', End: true },
      },
    });
    const arn = await h.start(machine, { caseId: 'C-8' });
    const before = (await h.history(arn)).length;
    await advance(50 * 60_000);
    await h.sfn.send(new SendTaskHeartbeatCommand({ taskToken: token() }));
    await h.sfn.send(new SendTaskHeartbeatCommand({ taskToken: token() }));
    expect((await h.history(arn)).length).toBe(before);
    await advance(50 * 60_000);
    expect((await h.describe(arn)).status).toBe('RUNNING');
    await advance(11 * 60_000);
    expect(await h.describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: { error: { Error: 'States.Timeout' } } });
    expect((await h.history(arn)).find((e) => e.type === 'TaskTimedOut')!.taskTimedOutEventDetails!.error).toBe('States.Timeout');
  });

  it('gives a retried callback task a new token and closes the old one', async () => {
    const machine = await h.machine({
      StartAt: 'Ask',
      States: { Ask: callbackTask({ TimeoutSeconds: 60, Retry: [{ ErrorEquals: ['States.Timeout'], MaxAttempts: 1, IntervalSeconds: 5 }], End: true }) },
    });
    const arn = await h.start(machine, { caseId: 'C-9' });
    const first = token();
    await advance(61_000); // times out at 60 s...
    await advance(5_000); // ...and is retried 5 s later
    const second = token();
    expect(second).not.toBe(first);
    await expect(succeed(first, 'late')).rejects.toBeInstanceOf(TaskTimedOut);
    await succeed(second, 'on time');
    await h.engine.whenIdle();
    expect(await h.describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: 'on time' });
  });

  it('lets a task without a timeout wait until the execution’s one-year limit', async () => {
    const arn = await h.start(await h.machine({ StartAt: 'Ask', States: { Ask: callbackTask({ End: true }) } }), { caseId: 'C-10' });
    await advance(364 * DAY_MS);
    expect((await h.describe(arn)).status).toBe('RUNNING');
    await advance(DAY_MS);
    expect((await h.describe(arn)).status).toBe('TIMED_OUT');
    expect((await h.types(arn)).at(-1)).toBe('ExecutionTimedOut');
    await expect(succeed(token(), {})).rejects.toBeInstanceOf(TaskTimedOut);
  });
});

describe('StopExecution', () => {
  it('aborts the execution and closes its tokens', async () => {
    const arn = await h.start(await h.machine({ StartAt: 'Ask', States: { Ask: callbackTask({ End: true }) } }), { caseId: 'C-11' });
    const stopped = await h.sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'Superseded', cause: 'new case opened' }));
    expect(stopped.stopDate).toBeInstanceOf(Date);
    await h.engine.whenIdle();
    expect(await h.describe(arn)).toMatchObject({ status: 'ABORTED', error: 'Superseded', cause: 'new case opened' });
    const last = (await h.history(arn)).at(-1)!;
    expect(last.type).toBe('ExecutionAborted');
    expect(last.executionAbortedEventDetails).toEqual({ error: 'Superseded', cause: 'new case opened' });
    await expect(succeed(token(), {})).rejects.toBeInstanceOf(TaskTimedOut);
    expect(h.clock.pendingTimers()).toBe(0); // no timer left behind for the stopped execution
  });
});
