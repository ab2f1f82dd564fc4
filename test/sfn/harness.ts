/**
 * Test harness: an engine on a VirtualClock behind the HTTP server, driven through the real
 * @aws-sdk/client-sfn, with Lambdas as plain functions that record what they were sent.
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { VirtualClock } from '../../local/clock';
import { PINNED_NOW } from '../support/pinned-clock';
import { LocalStepFunctions } from '../../local/sfn/engine';
import { startSfnServer } from '../../local/sfn/server';

export type Lambda = (payload: unknown) => unknown;

export interface Harness {
  clock: VirtualClock;
  engine: LocalStepFunctions;
  sfn: SFNClient;
  endpoint: string;
  lambdas: Map<string, Lambda>;
  calls: Array<{ functionName: string; payload: unknown }>;
  machine(definition: object, name?: string): Promise<string>;
  start(stateMachineArn: string, input?: unknown, name?: string): Promise<string>;
  describe(executionArn: string): Promise<{ status?: string; output?: unknown; error?: string; cause?: string }>;
  history(executionArn: string): Promise<HistoryEvent[]>;
  types(executionArn: string): Promise<string[]>;
  close(): Promise<void>;
}

let machineCounter = 0;

export async function startHarness(options: { dataDir?: string; clock?: VirtualClock } = {}): Promise<Harness> {
  const clock = options.clock ?? new VirtualClock({ startAt: PINNED_NOW });
  const lambdas = new Map<string, Lambda>();
  const calls: Harness['calls'] = [];
  const engine = new LocalStepFunctions({
    clock,
    dataDir: options.dataDir,
    invokeLambda: async (functionName, payload) => {
      calls.push({ functionName, payload });
      const lambda = lambdas.get(functionName);
      if (!lambda) throw Object.assign(new Error(`Function not found: ${functionName}`), { name: 'Lambda.ResourceNotFoundException' });
      return lambda(payload);
    },
  });
  const server = await startSfnServer(engine, { host: '127.0.0.1' });
  const sfn = new SFNClient({
    endpoint: server.endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const harness: Harness = {
    clock,
    engine,
    sfn,
    endpoint: server.endpoint,
    lambdas,
    calls,
    async machine(definition, name = `machine-${++machineCounter}`) {
      const out = await sfn.send(new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: 'arn:aws:iam::000000000000:role/test' }));
      return out.stateMachineArn!;
    },
    async start(stateMachineArn, input = {}, name) {
      const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), name }));
      await engine.whenIdle();
      return out.executionArn!;
    },
    async describe(executionArn) {
      const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return { status: out.status, output: out.output === undefined ? undefined : JSON.parse(out.output), error: out.error, cause: out.cause };
    },
    async history(executionArn) {
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
        events.push(...(page.events ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return events;
    },
    async types(executionArn) {
      return (await harness.history(executionArn)).map((e) => e.type ?? '?');
    },
    async close() {
      sfn.destroy();
      await engine.close();
      await server.close();
      if (!options.clock) clock.close();
    },
  };
  return harness;
}

/** The payload a `.waitForTaskToken` Lambda was last sent, with its token. */
export function lastPayload<T = { token: string }>(harness: Harness, functionName: string): T {
  const call = [...harness.calls].reverse().find((c) => c.functionName === functionName);
  if (!call) throw new Error(`${functionName} was not invoked`);
  return call.payload as T;
}

export const DAY_MS = 86_400_000;
