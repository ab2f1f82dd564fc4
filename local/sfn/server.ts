/**
 * The Step Functions API over HTTP, as @aws-sdk/client-sfn speaks it: AWS JSON 1.0 — POST `/`,
 * `X-Amz-Target: AWSStepFunctions.<Operation>`, camelCase members, timestamps as epoch seconds,
 * errors as HTTP 400 `{"__type": "<Name>", "message": ...}` so the SDK throws its typed exception.
 * Signatures are not checked (any credentials work); it listens on loopback only.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { SfnApiError, type LocalStepFunctions } from './engine';

const MAX_BODY_BYTES = 2 * 1024 * 1024;
const TARGET_PREFIX = 'AWSStepFunctions.';

const str = z.string();
const token = z.string().min(1).max(2048);
const error = { error: str.max(256).optional(), cause: str.max(32_768).optional() };
const paging = { maxResults: z.number().int().min(0).max(1000).optional(), nextToken: str.optional() };
const status = z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/** Each operation: its input schema (unknown members are dropped, as AWS ignores them) and the call. */
function operations(engine: LocalStepFunctions): Record<string, (body: unknown) => unknown> {
  const op = <S extends z.ZodType>(schema: S, call: (input: z.infer<S>) => unknown) => (body: unknown) => call(parse(schema, body));
  return {
    CreateStateMachine: op(z.object({ name: str, definition: str, roleArn: str.optional() }), (i) => engine.createStateMachine(i)),
    DescribeStateMachine: op(z.object({ stateMachineArn: str }), (i) => engine.describeStateMachine(i)),
    ListStateMachines: op(z.object(paging), (i) => engine.listStateMachines(i)),
    StartExecution: op(z.object({ stateMachineArn: str, name: str.optional(), input: str.optional() }), (i) => engine.startExecution(i)),
    DescribeExecution: op(z.object({ executionArn: str }), (i) => engine.describeExecution(i)),
    ListExecutions: op(z.object({ stateMachineArn: str, statusFilter: status.optional(), ...paging }), (i) => engine.listExecutions(i)),
    GetExecutionHistory: op(
      z.object({ executionArn: str, reverseOrder: z.boolean().optional(), includeExecutionData: z.boolean().optional(), ...paging }),
      (i) => engine.getExecutionHistory(i),
    ),
    StopExecution: op(z.object({ executionArn: str, ...error }), (i) => engine.stopExecution(i)),
    SendTaskSuccess: op(z.object({ taskToken: token, output: str }), (i) => engine.sendTaskSuccess(i)),
    SendTaskFailure: op(z.object({ taskToken: token, ...error }), (i) => engine.sendTaskFailure(i)),
    SendTaskHeartbeat: op(z.object({ taskToken: token }), (i) => engine.sendTaskHeartbeat(i)),
  };
}

/** A failure of the request itself (not of the operation), with the error type AWS uses for it. */
class ProtocolError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
    this.name = 'ProtocolError';
  }
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `Value at '${i.path.join('.')}' failed to satisfy constraint: ${i.message}`);
  throw new ProtocolError('ValidationException', `${issues.length} validation error(s) detected: ${issues.join('; ')}`);
}

/** Dates become epoch seconds (with milliseconds), undefined members disappear: AWS JSON 1.0. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (v === undefined ? [] : [[k, toWire(v)]])));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ProtocolError('SerializationException', 'Request body too large', 413);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(text);
}

export async function startSfnServer(
  engine: LocalStepFunctions,
  options: { host?: '127.0.0.1'; port?: number } = {},
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const handlers = operations(engine);
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const target = String(request.headers['x-amz-target'] ?? '');
      const handler = target.startsWith(TARGET_PREFIX) ? handlers[target.slice(TARGET_PREFIX.length)] : undefined;
      const text = await readBody(request);
      if (request.method !== 'POST' || !handler) throw new ProtocolError('UnknownOperationException', `Unknown operation '${target}'`);
      let body: unknown;
      try {
        body = text.trim() === '' ? {} : JSON.parse(text);
      } catch {
        throw new ProtocolError('SerializationException', 'Request body is not valid JSON');
      }
      send(response, 200, toWire(handler(body) ?? {}));
    } catch (error) {
      if (error instanceof SfnApiError) send(response, 400, { __type: error.name, message: error.message }, error.name);
      else if (error instanceof ProtocolError) send(response, error.status, { __type: error.type, message: error.message }, error.type);
      else {
        console.error('Step Functions server: unexpected error', error);
        send(response, 500, { __type: 'InternalFailure', message: 'Internal failure' }, 'InternalFailure');
      }
    }
  };
  const server = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
