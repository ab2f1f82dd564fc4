/** The API surface: errors, idempotency, listing and paging, and the wire protocol itself. */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidArn,
  InvalidDefinition,
  InvalidExecutionInput,
  InvalidName,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastPayload, startHarness, type Harness } from './harness';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.lambdas.set('notify', () => null);
});
afterEach(async () => {
  await h.close();
});

const waiting = {
  StartAt: 'Ask',
  States: {
    Ask: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'notify', Payload: { 'token.$': '$$.Task.Token' } },
      End: true,
    },
  },
};
const passThrough = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };

describe('StartExecution', () => {
  it('is idempotent for the same name and input while running', async () => {
    const machine = await h.machine(waiting);
    const first = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name: 'case-1', input: '{"a":1}' }));
    const second = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name: 'case-1', input: '{"a":1}' }));
    expect(second.executionArn).toBe(first.executionArn);
    expect(first.executionArn).toBe('arn:aws:states:eu-west-2:000000000000:execution:machine-' + machine.split('-').at(-1) + ':case-1');
    expect(second.startDate?.getTime()).toBe(first.startDate?.getTime());
    await h.engine.whenIdle();
    const listed = await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: machine }));
    expect(listed.executions).toHaveLength(1);
    expect(h.calls).toHaveLength(1);
  });

  it('refuses the same name with a different input, or once the execution has closed', async () => {
    const machine = await h.machine(waiting);
    const { executionArn } = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name: 'case-2', input: '{"a":1}' }));
    const different = h.sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name: 'case-2', input: '{"a":2}' }));
    await expect(different).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await expect(different).rejects.toThrow(`Execution Already Exists: '${executionArn}'`);

    await h.engine.whenIdle();
    await h.sfn.send(new SendTaskSuccessCommand({ taskToken: lastPayload(h, 'notify').token, output: '{}' }));
    await h.engine.whenIdle();
    const same = h.sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name: 'case-2', input: '{"a":1}' }));
    await expect(same).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('rejects bad input, names and ARNs with the AWS error types', async () => {
    const machine = await h.machine(passThrough);
    const start = (input: { name?: string; input?: string; stateMachineArn?: string }) =>
      h.sfn.send(new StartExecutionCommand({ stateMachineArn: machine, ...input }));
    await expect(start({ input: '{not json' })).rejects.toBeInstanceOf(InvalidExecutionInput);
    await expect(start({ input: JSON.stringify({ big: 'x'.repeat(262_144) }) })).rejects.toBeInstanceOf(InvalidExecutionInput);
    await expect(start({ name: 'has space' })).rejects.toBeInstanceOf(InvalidName);
    await expect(start({ name: 'a:b' })).rejects.toBeInstanceOf(InvalidName);
    await expect(start({ name: 'x'.repeat(81) })).rejects.toBeInstanceOf(InvalidName);
    await expect(start({ stateMachineArn: 'not-an-arn' })).rejects.toBeInstanceOf(InvalidArn);
    await expect(start({ stateMachineArn: 'arn:aws:states:eu-west-2:000000000000:stateMachine:nope' })).rejects.toBeInstanceOf(
      StateMachineDoesNotExist,
    );
    const ok = await start({ name: 'ok_name-1.2' });
    expect(ok.executionArn).toMatch(/:ok_name-1\.2$/);
    const generated = await start({});
    expect(generated.executionArn).toMatch(/:[0-9a-f-]{36}$/);
  });
});

describe('state machines', () => {
  it('upserts a definition under the same ARN and describes it', async () => {
    const arn = await h.machine(passThrough, 'upsert-me');
    const updated = { StartAt: 'Q', States: { Q: { Type: 'Succeed' } } };
    expect(await h.machine(updated, 'upsert-me')).toBe(arn);
    const described = await h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    expect(described).toMatchObject({ stateMachineArn: arn, name: 'upsert-me', status: 'ACTIVE', type: 'STANDARD' });
    expect(JSON.parse(described.definition!)).toEqual(updated);
    expect(described.creationDate).toBeInstanceOf(Date);
    const listed = await h.sfn.send(new ListStateMachinesCommand({}));
    expect(listed.stateMachines?.map((m) => m.name)).toEqual(['upsert-me']);
  });

  it.each<[string, object | string]>([
    ['not JSON', '{'],
    ['a missing transition target', { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } }],
    ['JSONata', { QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }],
    ['Assign', { StartAt: 'A', States: { A: { Type: 'Pass', Assign: { x: 1 }, End: true } } }],
    ['an unsupported resource', { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } } }],
    ['an unsupported intrinsic', { StartAt: 'A', States: { A: { Type: 'Pass', Parameters: { 'h.$': "States.Hash('x', 'MD5')" }, End: true } } }],
  ])('rejects %s with InvalidDefinition', async (_, definition) => {
    const text = typeof definition === 'string' ? definition : JSON.stringify(definition);
    await expect(h.sfn.send(new CreateStateMachineCommand({ name: 'bad', definition: text, roleArn: 'arn:aws:iam::000000000000:role/x' }))).rejects.toBeInstanceOf(
      InvalidDefinition,
    );
  });
});

describe('reading executions', () => {
  it('answers ExecutionDoesNotExist / InvalidArn for unknown or malformed execution ARNs', async () => {
    const missing = 'arn:aws:states:eu-west-2:000000000000:execution:m:nope';
    await expect(h.sfn.send(new DescribeExecutionCommand({ executionArn: missing }))).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(h.sfn.send(new GetExecutionHistoryCommand({ executionArn: missing }))).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(h.sfn.send(new StopExecutionCommand({ executionArn: missing }))).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(h.sfn.send(new DescribeExecutionCommand({ executionArn: 'arn:nope' }))).rejects.toBeInstanceOf(InvalidArn);
  });

  it('describes with Dates and lists newest first, filtered by status, in pages', async () => {
    const machine = await h.machine(waiting);
    const done = await h.start(await h.machine(passThrough));
    expect(await h.sfn.send(new DescribeExecutionCommand({ executionArn: done }))).toMatchObject({
      status: 'SUCCEEDED',
      input: '{}',
      output: '{}',
      startDate: expect.any(Date),
      stopDate: expect.any(Date),
    });
    const arns: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      arns.push(await h.start(machine, { i }, `run-${i}`));
      await h.clock.advance(1000);
    }
    await h.sfn.send(new StopExecutionCommand({ executionArn: arns[0]! }));
    const running = await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, statusFilter: 'RUNNING', maxResults: 3 }));
    expect(running.executions?.map((e) => e.name)).toEqual(['run-4', 'run-3', 'run-2']);
    const rest = await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, statusFilter: 'RUNNING', maxResults: 3, nextToken: running.nextToken }));
    expect(rest.executions?.map((e) => e.name)).toEqual(['run-1']);
    expect(rest.nextToken).toBeUndefined();
    const aborted = await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, statusFilter: 'ABORTED' }));
    expect(aborted.executions).toEqual([expect.objectContaining({ name: 'run-0', status: 'ABORTED', stopDate: expect.any(Date) })]);
  });

  it('pages history, reverses it, and leaves data out on request', async () => {
    const arn = await h.start(await h.machine({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', End: true } } }), { secret: 1 });
    const first = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 4 }));
    expect(first.events?.map((e) => e.id)).toEqual([1, 2, 3, 4]);
    const second = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 4, nextToken: first.nextToken }));
    expect(second.events?.map((e) => e.id)).toEqual([5, 6]);
    expect(second.nextToken).toBeUndefined();
    const reversed = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, reverseOrder: true }));
    expect(reversed.events?.map((e) => e.type)).toEqual([
      'ExecutionSucceeded',
      'PassStateExited',
      'PassStateEntered',
      'PassStateExited',
      'PassStateEntered',
      'ExecutionStarted',
    ]);
    const lean = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, includeExecutionData: false }));
    expect(JSON.stringify(lean.events)).not.toContain('secret');
    expect(lean.events?.[1]?.stateEnteredEventDetails).toEqual({ name: 'A' });
  });
});

describe('wire protocol', () => {
  const post = async (target: string | undefined, body: string) => {
    const response = await fetch(h.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', ...(target ? { 'x-amz-target': target } : {}) },
      body,
    });
    return { status: response.status, type: response.headers.get('x-amzn-errortype'), body: (await response.json()) as Record<string, unknown> };
  };

  it('uses camelCase members and epoch-second timestamps', async () => {
    const machine = await h.machine(passThrough);
    const started = await post('AWSStepFunctions.StartExecution', JSON.stringify({ stateMachineArn: machine, name: 'wire' }));
    expect(started.status).toBe(200);
    expect(typeof started.body.startDate).toBe('number');
    expect(Math.abs((started.body.startDate as number) * 1000 - h.clock.now().getTime())).toBeLessThan(5000);
    expect(started.body.executionArn).toMatch(/:wire$/);
  });

  it('answers errors as 400 with __type and x-amzn-errortype', async () => {
    expect(await post('AWSStepFunctions.Frobnicate', '{}')).toMatchObject({ status: 400, type: 'UnknownOperationException', body: { __type: 'UnknownOperationException' } });
    expect(await post(undefined, '{}')).toMatchObject({ status: 400, body: { __type: 'UnknownOperationException' } });
    expect(await post('AWSStepFunctions.DescribeExecution', '{oops')).toMatchObject({ status: 400, body: { __type: 'SerializationException' } });
    expect(await post('AWSStepFunctions.DescribeExecution', '{}')).toMatchObject({ status: 400, body: { __type: 'ValidationException' } });
    const missing = await post('AWSStepFunctions.DescribeExecution', JSON.stringify({ executionArn: 'arn:aws:states:eu-west-2:000000000000:execution:m:x' }));
    expect(missing).toMatchObject({ status: 400, type: 'ExecutionDoesNotExist', body: { __type: 'ExecutionDoesNotExist', message: expect.stringContaining('m:x') } });
  });
});
