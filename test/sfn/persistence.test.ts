/** A restarted engine over the same data folder picks running executions up where they were. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendTaskSuccessCommand, StartExecutionCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/clock';
import { DAY_MS, lastPayload, startHarness, type Harness } from './harness';

let dir: string;
const open: Harness[] = [];
const boot = async (): Promise<Harness> => {
  // A fresh clock per "process", reading the persisted offset, as local/runtime.ts does.
  const clock = new VirtualClock({ offsetFile: join(dir, 'clock.json') });
  const harness = await startHarness({ dataDir: join(dir, 'sfn'), clock });
  harness.lambdas.set('notify', () => ({ queued: true }));
  open.push(harness);
  return harness;
};
const shutdown = async (harness: Harness): Promise<void> => {
  open.splice(open.indexOf(harness), 1);
  await harness.close();
  harness.clock.close();
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'local-sfn-'));
});
afterEach(async () => {
  for (const harness of open.splice(0)) {
    await harness.close();
    harness.clock.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

const callbackMachine = {
  StartAt: 'Ask',
  States: {
    Ask: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'notify', Payload: { 'token.$': '$$.Task.Token' } },
      TimeoutSeconds: 30 * 86_400,
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timedOut', Next: 'Late' }],
      Next: 'Cool',
    },
    Cool: { Type: 'Wait', Seconds: 200 * 86_400, Next: 'Done' },
    Late: { Type: 'Pass', End: true },
    Done: { Type: 'Succeed' },
  },
};

describe('persistence', () => {
  it('resumes a waiting callback task with the same token, without invoking its Lambda again', async () => {
    const first = await boot();
    const machine = await first.machine(callbackMachine, 'persisted');
    const arn = await first.start(machine, { caseId: 'C-1' }, 'case-1');
    const { token } = lastPayload(first, 'notify');
    await first.clock.advance(10 * DAY_MS);
    await shutdown(first);

    const files = readdirSync(join(dir, 'sfn', 'executions', 'persisted'));
    expect(files).toEqual(['case-1.json']); // written by rename: no temp file left

    const second = await boot();
    await second.engine.whenIdle();
    expect(second.calls).toHaveLength(0);
    expect((await second.describe(arn)).status).toBe('RUNNING');
    expect(second.clock.offsetMs()).toBeGreaterThan(10 * DAY_MS - 1000); // advance() moves from the moment it is called

    await second.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"answer":42}' }));
    await second.engine.whenIdle();
    // Now in the 200-day Wait: survives another restart with its absolute wake time.
    await shutdown(second);
    const third = await boot();
    await third.clock.advance(199 * DAY_MS);
    await third.engine.whenIdle();
    expect((await third.describe(arn)).status).toBe('RUNNING');
    await third.clock.advance(DAY_MS);
    await third.engine.whenIdle();
    expect(await third.describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: { answer: 42 } });
    expect(await third.types(arn)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    await expect(third.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('keeps the absolute task timeout across a restart', async () => {
    const first = await boot();
    const arn = await first.start(await first.machine(callbackMachine, 'timeouts'), {});
    await first.clock.advance(29 * DAY_MS);
    await shutdown(first);

    const second = await boot();
    await second.engine.whenIdle();
    expect((await second.describe(arn)).status).toBe('RUNNING');
    await second.clock.advance(DAY_MS);
    await second.engine.whenIdle();
    expect(await second.describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: { timedOut: { Error: 'States.Timeout' } } });
  });

  it('re-runs a plain Lambda task that was mid-invocation when the engine stopped', async () => {
    const fn = 'arn:aws:lambda:eu-west-2:000000000000:function:slow';
    const first = await boot();
    first.lambdas.set(fn, () => new Promise(() => undefined)); // never answers before the "crash"
    const machine = await first.machine({ StartAt: 'Slow', States: { Slow: { Type: 'Task', Resource: fn, End: true } } }, 'midflight');
    // Not first.start(): whenIdle() rightly never settles while a Lambda is still running.
    const { executionArn } = await first.sfn.send(new StartExecutionCommand({ stateMachineArn: machine, input: '{"n":1}' }));
    const arn = executionArn!;
    const deadline = Date.now() + 5000;
    while (first.calls.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(first.calls).toHaveLength(1);
    await shutdown(first);

    const second = await boot();
    second.lambdas.set(fn, (payload) => ({ done: payload }));
    await second.engine.whenIdle();
    expect(second.calls).toEqual([{ functionName: fn, payload: { n: 1 } }]);
    expect(await second.describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: { done: { n: 1 } } });
  });

  it('remembers closed executions, so their names stay taken', async () => {
    const first = await boot();
    const machine = await first.machine({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, 'closed');
    const arn = await first.start(machine, { a: 1 }, 'once');
    await shutdown(first);
    const second = await boot();
    expect(await second.describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: { a: 1 } });
    await expect(second.start(machine, { a: 1 }, 'once')).rejects.toThrow('Execution Already Exists');
  });
});
