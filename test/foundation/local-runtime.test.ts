/**
 * The foundation's acceptance, scripted: the real AWS SDK clients against the local endpoints.
 * Start an execution of the deployed definition, find its pending task in DynamoDB, complete it
 * with SendTaskSuccess; let a task's timeout fire by moving the virtual clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { startRuntime, type Runtime } from '../../local/runtime';
import { LOCAL_CREDENTIALS, LOCAL_REGION, TABLE_NAME } from '../../local/endpoints';
import { demoContracts } from '../../local/demo';
import { PINNED_NOW } from '../support/pinned-clock';

const client = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };

describe('the local runtime speaks the AWS APIs', () => {
  let runtime: Runtime;
  let sfn: SFNClient;
  let doc: DynamoDBDocumentClient;

  beforeAll(async () => {
    runtime = await startRuntime({ clockStart: PINNED_NOW });
    sfn = new SFNClient({ ...client, endpoint: runtime.endpoints.stepfunctions });
    doc = DynamoDBDocumentClient.from(new DynamoDBClient({ ...client, endpoint: runtime.endpoints.dynamodb }));
    const { store } = runtime.deps;
    const now = runtime.clock.now().toISOString();
    for (const contract of demoContracts()) await store.putContract(contract);
    await store.putProvider({ providerId: 'P-1', name: 'Test Provider Ltd', providerType: '', localAuthority: 'Westshire', region: '', ratings: {}, updatedAt: now });
    await store.putLocation({
      locationId: '1-1000000001',
      providerId: 'P-1',
      name: 'Test House',
      address: { street: '1 Road', line2: '', city: 'Town', postcode: 'WS1 1AA' },
      localAuthority: 'Westshire',
      region: '',
      careHome: true,
      locationType: '',
      primaryInspectionCategory: '',
      ratings: { Overall: { rating: 'Requires improvement', publicationDate: '2026-10-01' } },
      serviceRatings: {},
      ratingHistory: [],
      updatedAt: now,
    });
  });
  afterAll(async () => runtime.close());

  async function createCase(caseId: string): Promise<void> {
    const now = runtime.clock.now().toISOString();
    await runtime.deps.store.createCase({
      caseId,
      locationId: '1-1000000001',
      providerId: 'P-1',
      contractId: 'WS-C-0001',
      status: 'open',
      stage: 'informal',
      stageEnteredAt: now,
      leadOfficer: 'aisha-khan',
      trigger: 'scripted test',
      openedAt: now,
      deadlines: {},
      qimCount: 0,
      improvementPlan: [],
      executions: [],
      generation: 1,
      version: 1,
      updatedAt: now,
    });
  }

  async function pendingTasks(caseId: string): Promise<Array<{ taskId: string; taskToken: string; status: string; step: string }>> {
    const { Items } = await doc.send(
      new QueryCommand({
        TableName: TABLE_NAME,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p AND begins_with(gsi1sk, :t)',
        ExpressionAttributeValues: { ':p': `CASE#${caseId}`, ':t': 'TASK#' },
      }),
    );
    return (Items ?? []) as Array<{ taskId: string; taskToken: string; status: string; step: string }>;
  }

  it('starts an execution, stores its pending task with the token, and succeeds on SendTaskSuccess', async () => {
    await createCase('scripted-1');
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: runtime.stateMachineArn, name: 'scripted-1-g1', input: JSON.stringify({ caseId: 'scripted-1', stage: 'informal' }) }),
    );
    await runtime.idle();
    const [task] = await pendingTasks('scripted-1');
    expect(task).toMatchObject({ status: 'pending', step: 'Await Informal Outcome' });
    expect(task!.taskToken.length).toBeGreaterThan(20);

    const output = { decision: 'noFurtherAction', step: 'Await Informal Outcome', by: 'aisha-khan', at: runtime.clock.now().toISOString(), note: 'scripted', details: {} };
    await sfn.send(new SendTaskSuccessCommand({ taskToken: task!.taskToken, output: JSON.stringify(output) }));
    await runtime.idle();

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    const types = history.events?.map((event) => event.type) ?? [];
    expect(types[0]).toBe('ExecutionStarted');
    expect(types).toContain('TaskSubmitted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    // A token works once: AWS answers a second use with TaskTimedOut.
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: task!.taskToken, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);

    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: runtime.stateMachineArn }));
    expect(listed.executions?.some((execution) => execution.executionArn === executionArn)).toBe(true);
  });

  it("lets a waiting task's timeout fire when the virtual clock moves: a reminder, then a fresh pending task", async () => {
    await createCase('scripted-2');
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: runtime.stateMachineArn, name: 'scripted-2-g1', input: JSON.stringify({ caseId: 'scripted-2', stage: 'informal' }) }),
    );
    await runtime.idle();
    const [first] = await pendingTasks('scripted-2');
    expect(first?.status).toBe('pending');

    await runtime.clock.advance(2 * 86_400_000);
    await runtime.idle();
    expect((await pendingTasks('scripted-2')).filter((task) => task.status === 'pending')).toHaveLength(1);

    // Five working days is at most seven calendar days.
    await runtime.clock.advance(6 * 86_400_000);
    await runtime.idle();
    const tasks = await pendingTasks('scripted-2');
    expect(tasks.find((task) => task.taskId === first!.taskId)?.status).toBe('timedOut');
    expect(tasks.filter((task) => task.status === 'pending')).toHaveLength(1);
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    expect(history.events?.some((event) => event.type === 'TaskTimedOut')).toBe(true);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    expect(runtime.ses.emails().some((email) => /^Reminder 1: /.test(email.subject))).toBe(true);

    // Still nobody answers: from the third reminder the quality team is copied.
    for (let week = 0; week < 3; week += 1) {
      await runtime.clock.advance(7 * 86_400_000);
      await runtime.idle();
    }
    const reminders = runtime.ses.emails().filter((email) => /^Reminder \d+: .*Test House/.test(email.subject));
    expect(reminders.length).toBeGreaterThanOrEqual(3);
    expect(reminders[0]!.destination.cc).toEqual([]);
    expect(reminders.find((email) => /^Reminder 3: /.test(email.subject))?.destination.cc).toEqual(['quality.assurance@westshire.example.gov.uk']);
  });
});
