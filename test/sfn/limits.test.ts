/**
 * Where AWS ends or forgets an execution on its own, with the shapes it answers with. Each case is
 * from AWS's documentation or a capture made against AWS (LocalStack's aws-validated snapshots,
 * floci's measured reports); where one is inferred, the test says so.
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidDefinition,
  ListExecutionsCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/clock';
import { PINNED_NOW } from '../support/pinned-clock';
import { DAY_MS, startHarness, type Harness } from './harness';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const YEAR_MS = 365 * DAY_MS;
const waitUntil = { StartAt: 'W', States: { W: { Type: 'Wait', TimestampPath: '$.at', End: true } } };
const waitFor = { StartAt: 'W', States: { W: { Type: 'Wait', SecondsPath: '$.seconds', End: true } } };
const pass = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };

/** Counts to `$.limit` with a Choice and a Pass: four history events a turn, six more around them. */
const countingLoop = {
  StartAt: 'Check',
  States: {
    Check: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericGreaterThanEqualsPath: '$.limit', Next: 'Done' }], Default: 'Count' },
    Count: { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.n, 1)', 'limit.$': '$.limit' }, Next: 'Check' },
    Done: { Type: 'Succeed' },
  },
};

describe('the 25,000-event history limit', () => {
  it('fails the execution with States.Runtime as event 25,000, right after the last event the machine produced', async () => {
    // 7,000 turns would make 28,006 events: AWS never lets the history get there.
    const arn = await h.start(await h.machine(countingLoop), { n: 0, limit: 7000 });
    const described = await h.describe(arn);
    expect(described).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: 'The execution reached the maximum number of history events (25000).',
    });
    const events = await h.history(arn);
    expect(events).toHaveLength(25_000);
    const [beforeLast, last] = events.slice(-2);
    expect(beforeLast).toMatchObject({ id: 24_999, previousEventId: 24_998 });
    expect(last).toMatchObject({
      id: 25_000,
      previousEventId: 24_999,
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: 'States.Runtime', cause: 'The execution reached the maximum number of history events (25000).' },
    });
  });

  it('lets an execution that stays under the limit succeed', async () => {
    // 6,000 turns: 24,006 events.
    const arn = await h.start(await h.machine(countingLoop), { n: 0, limit: 6000 });
    expect(await h.describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: { n: 6000, limit: 6000 } });
    expect(await h.history(arn)).toHaveLength(24_006);
  });
});

describe('Wait limits', () => {
  // AWS (LocalStack's aws-validated test_timestamp_too_far_in_future_boundary): a wait of 24,855
  // days is accepted; 24,856 days (past 2^31 seconds) fails the state with States.Runtime.
  it('fails a Timestamp more than 2^31 seconds away with "Wait state delay is too long."', async () => {
    const at = new Date(h.clock.now().getTime() + 24_856 * DAY_MS).toISOString();
    const arn = await h.start(await h.machine(waitUntil), { at });
    expect(await h.describe(arn)).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: "An error occurred while executing the state 'W' (entered at the event id #2). Wait state delay is too long.",
    });
    const events = await h.history(arn);
    expect(events.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, 'ExecutionStarted'],
      [2, 0, 'WaitStateEntered'],
      [3, 2, 'ExecutionFailed'],
    ]);
  });

  it('accepts a Timestamp beyond a year but within 2^31 seconds: the execution times out at its one-year maximum', async () => {
    const at = new Date(h.clock.now().getTime() + 24_855 * DAY_MS).toISOString();
    const arn = await h.start(await h.machine(waitUntil), { at });
    expect((await h.describe(arn)).status).toBe('RUNNING');
    await h.clock.advance(YEAR_MS - DAY_MS);
    await h.engine.whenIdle();
    expect((await h.describe(arn)).status).toBe('RUNNING');
    await h.clock.advance(DAY_MS);
    await h.engine.whenIdle();
    const described = await h.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    expect(described.status).toBe('TIMED_OUT');
    const ranFor = described.stopDate!.getTime() - described.startDate!.getTime();
    expect(ranFor).toBeGreaterThanOrEqual(YEAR_MS);
    expect(ranFor).toBeLessThan(YEAR_MS + 250); // the virtual clock also moves with real time
  });

  it('applies the same bound to SecondsPath (inferred: AWS keeps every wait in seconds below 2^31)', async () => {
    const machine = await h.machine(waitFor);
    const tooLong = await h.start(machine, { seconds: 2 ** 31 });
    expect(await h.describe(tooLong)).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: expect.stringMatching(/Wait state delay is too long\.$/) });
    const longest = await h.start(machine, { seconds: 2 ** 31 - 1 });
    expect((await h.describe(longest)).status).toBe('RUNNING');
  });

  it('words a bad SecondsPath as AWS does (aws-validated test_base_wait_seconds_path)', async () => {
    const machine = await h.machine(waitFor);
    const negative = await h.start(machine, { seconds: -1 });
    expect((await h.describe(negative)).cause).toBe(
      "An error occurred while executing the state 'W' (entered at the event id #2). The SecondsPath parameter references a negative value: $.seconds == -1",
    );
    const fraction = await h.start(machine, { seconds: 1.5 });
    expect((await h.describe(fraction)).cause).toBe(
      "An error occurred while executing the state 'W' (entered at the event id #2). The SecondsPath parameter cannot be parsed as a long value: $.seconds == 1.5",
    );
  });

  it('refuses a TimestampPath without a zone (aws-validated test_wait_timestamppath), and truncates to the second', async () => {
    const machine = await h.machine(waitUntil);
    const local = '2026-12-01T10:00:00';
    const noZone = await h.start(machine, { at: local });
    expect(await h.describe(noZone)).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: `An error occurred while executing the state 'W' (entered at the event id #2). The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.at == ${local}`,
    });
    // "Step Functions considers the time value up to seconds and truncates milliseconds."
    const wake = new Date(h.clock.now().getTime() + DAY_MS);
    wake.setUTCMilliseconds(999);
    const truncated = await h.start(machine, { at: wake.toISOString() });
    await h.clock.advanceTo(new Date(wake.getTime() - 999));
    await h.engine.whenIdle();
    expect((await h.describe(truncated)).status).toBe('SUCCEEDED');
  });

  it('refuses a static Seconds above 99,999,999 at CreateStateMachine, as AWS does', async () => {
    const definition = JSON.stringify({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 100_000_000, End: true } } });
    const created = h.sfn.send(new CreateStateMachineCommand({ name: 'too-long', definition, roleArn: 'arn:aws:iam::000000000000:role/x' }));
    await expect(created).rejects.toBeInstanceOf(InvalidDefinition);
    await expect(created).rejects.toThrow("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Maximum value is 99999999 at /States/W/Seconds'");
    await h.machine({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 99_999_999, End: true } } });
  });
});

describe('how AWS records an execution it ends from outside', () => {
  it('describes a TIMED_OUT execution without error or cause; its event carries States.Timeout and points at 0', async () => {
    const arn = await h.start(await h.machine({ TimeoutSeconds: 3, StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 25, End: true } } }));
    await h.clock.advance(3000);
    await h.engine.whenIdle();
    const described = await h.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    expect(described.status).toBe('TIMED_OUT');
    expect(described).not.toHaveProperty('error');
    expect(described).not.toHaveProperty('cause');
    // The virtual clock moves with real time too, so a millisecond may pass between the deadline
    // being reached and the engine recording it; AWS's own stopDate is not exact to the ms either.
    const ranFor = described.stopDate!.getTime() - described.startDate!.getTime();
    expect(ranFor).toBeGreaterThanOrEqual(3000);
    expect(ranFor).toBeLessThan(3250);
    const events = await h.history(arn);
    expect(events.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, 'ExecutionStarted'],
      [2, 0, 'WaitStateEntered'],
      [3, 0, 'ExecutionTimedOut'],
    ]);
    expect(events[2]!.executionTimedOutEventDetails).toEqual({ error: 'States.Timeout' });
  });

  it('gives ExecutionAborted previousEventId 0 and empty details when stopped without a reason', async () => {
    const arn = await h.start(await h.machine({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 30, End: true } } }));
    await h.sfn.send(new StopExecutionCommand({ executionArn: arn }));
    const described = await h.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    expect(described.status).toBe('ABORTED');
    expect(described).not.toHaveProperty('error');
    const events = await h.history(arn);
    expect(events.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, 'ExecutionStarted'],
      [2, 0, 'WaitStateEntered'],
      [3, 0, 'ExecutionAborted'],
    ]);
    expect(events[2]!.executionAbortedEventDetails).toEqual({});
  });
});

describe('90 days after it closes, AWS forgets an execution', () => {
  it('answers ExecutionDoesNotExist, lists it no more, and lets its name be used again', async () => {
    const machine = await h.machine(pass);
    const arn = await h.start(machine, { first: true }, 'case-1-g1');
    await h.clock.advance(90 * DAY_MS - 60_000);
    expect((await h.describe(arn)).status).toBe('SUCCEEDED');
    await expect(h.start(machine, { first: true }, 'case-1-g1')).rejects.toThrow('Execution Already Exists');

    await h.clock.advance(60_000);
    await expect(h.sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(h.sfn.send(new GetExecutionHistoryCommand({ executionArn: arn }))).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    expect((await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: machine }))).executions).toEqual([]);
    const again = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name: 'case-1-g1', input: '{"second":true}' }));
    expect(again.executionArn).toBe(arn);
    await h.engine.whenIdle();
    expect(await h.describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: { second: true } });
  });

  it('counts the 90 days from the close, not the start: a long-running execution is still there', async () => {
    const machine = await h.machine({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 200 * 86_400, End: true } } });
    const arn = await h.start(machine);
    await h.clock.advance(200 * DAY_MS);
    await h.engine.whenIdle();
    await h.clock.advance(89 * DAY_MS);
    expect((await h.describe(arn)).status).toBe('SUCCEEDED');
    expect(await h.history(arn)).toHaveLength(4);
  });

  it('removes a forgotten execution from the data folder too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-sfn-expiry-'));
    try {
      const clock = new VirtualClock({ startAt: PINNED_NOW, offsetFile: join(dir, 'clock.json') });
      const first = await startHarness({ dataDir: join(dir, 'sfn'), clock });
      const machine = await first.machine(pass, 'kept');
      await first.start(machine, {}, 'old');
      await first.clock.advance(60 * DAY_MS);
      await first.start(machine, {}, 'newer');
      await first.clock.advance(31 * DAY_MS);
      await first.close();
      const second = await startHarness({ dataDir: join(dir, 'sfn'), clock });
      const listed = await second.sfn.send(new ListExecutionsCommand({ stateMachineArn: machine }));
      expect(listed.executions?.map((e) => e.name)).toEqual(['newer']);
      expect(readdirSync(join(dir, 'sfn', 'executions', 'kept'))).toEqual(['newer.json']);
      await second.close();
      clock.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
