/**
 * A local AWS Step Functions (Standard) engine: interprets JSONPath ASL on a virtual clock, keeps
 * the history AWS would, and persists every execution so a restarted engine resumes it (same task
 * token, same absolute timeouts). It answers with the @aws-sdk/client-sfn output shapes and throws
 * errors named as AWS names them; `server.ts` puts the AWS JSON protocol in front of it.
 *
 * Each running execution is an async "flow" over a persisted cursor (state, input, phase, retry
 * counts, pending token or wake time); Parallel/Map branches are child flows with cursors of their
 * own. Flows only ever park on the clock or on a task token, which is what `whenIdle` watches.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type {
  CreateStateMachineOutput,
  DescribeExecutionOutput,
  DescribeStateMachineOutput,
  ExecutionListItem,
  ExecutionStatus,
  HistoryEvent,
  HistoryEventType,
  StartExecutionOutput,
  StateMachineListItem,
  StopExecutionOutput,
} from '@aws-sdk/client-sfn';
import { writeFileAtomic, type SchedulingClock, type TimerHandle } from '../clock';
import {
  applyResultPath,
  errorMatches,
  evaluateExpression,
  INTRINSIC_NAMES,
  readPath,
  resolveTemplate,
  runtimeError,
  selectPath,
  StatesError,
  type Json,
  type JsonObject,
  type MapState,
  type ParallelState,
  type Retrier,
  type State,
  type StateMachineDefinition,
  type StatesBlock,
  type TaskState,
  type WaitState,
} from './asl';
import { chooseNext } from './choice';

export type LambdaInvoker = (functionName: string, payload: unknown) => Promise<unknown>;

/** An SDK output type with the fields this engine always fills made non-optional. */
export type Defined<T, K extends keyof T> = T & { [P in K]-?: NonNullable<T[P]> };
export type ExecutionDescription = Defined<DescribeExecutionOutput, 'executionArn' | 'stateMachineArn' | 'name' | 'status' | 'startDate' | 'input'>;
export type ExecutionSummary = Defined<ExecutionListItem, 'executionArn' | 'stateMachineArn' | 'name' | 'status' | 'startDate'>;
export type StateMachineDescription = Defined<
  DescribeStateMachineOutput,
  'stateMachineArn' | 'name' | 'status' | 'definition' | 'roleArn' | 'type' | 'creationDate'
>;
export type StateMachineSummary = Defined<StateMachineListItem, 'stateMachineArn' | 'name' | 'type' | 'creationDate'>;
type Page<K extends string, T> = { [P in K]: T[] } & { nextToken?: string };

/** API errors, named exactly as AWS names them (the server sends `name` as `__type`). */
export class SfnApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
export class ExecutionDoesNotExist extends SfnApiError {}
export class StateMachineDoesNotExist extends SfnApiError {}
export class ExecutionAlreadyExists extends SfnApiError {}
export class InvalidToken extends SfnApiError {}
export class TaskTimedOut extends SfnApiError {}
export class TaskDoesNotExist extends SfnApiError {}
export class InvalidExecutionInput extends SfnApiError {}
export class InvalidOutput extends SfnApiError {}
export class InvalidName extends SfnApiError {}
export class InvalidArn extends SfnApiError {}
export class InvalidDefinition extends SfnApiError {}
export class ValidationException extends SfnApiError {}

const PAYLOAD_LIMIT = 262_144; // 256 KiB, for inputs, outputs and state data
const DAY_MS = 86_400_000;
const EXECUTION_LIMIT_MS = 365 * DAY_MS; // a Standard execution lives at most a year
/** AWS keeps a closed execution this long; then it is gone (ExecutionDoesNotExist) and its name is free. */
const RETENTION_MS = 90 * DAY_MS;
/** At most this many events; the last one is the ExecutionFailed that says so. */
const HISTORY_LIMIT = 25_000;
/** AWS keeps every wait in seconds as a signed 32-bit number: a longer one fails the Wait state. */
const MAX_WAIT_SECONDS = 2 ** 31 - 1;
/** The ASL schema's bound on a Wait state's static `Seconds`, checked at CreateStateMachine. */
const MAX_STATIC_WAIT_SECONDS = 99_999_999;
/** RFC 3339 with an upper-case T and a zone (Z or ±hh:mm), as the Wait state requires. */
const WAIT_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const CLOSING_EVENTS = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);
const WHOLE = { truncated: false } as const; // AWS's inputDetails/outputDetails when nothing was cut

// ---------------------------------------------------------------------------------------------
// Persisted shapes (JSON files under dataDir). Times are epoch ms on the engine's virtual clock.

interface StateMachineRecord { name: string; arn: string; definition: string; roleArn: string; creationDate: number }

/** A task in flight; for a callback, enough to wait for the same token after a restart. */
interface TaskProgress { token?: string; submitted: boolean; timeoutAt?: number; heartbeatSeconds?: number; heartbeatAt?: number }

/** Where a flow is: the state, its raw input (before InputPath), and what it is waiting for. */
interface Cursor {
  state: string;
  input: Json;
  phase: 'enter' | 'run' | 'wait' | 'retry' | 'task' | 'branches';
  enteredAt?: number;
  enteredEventId?: number;
  retries?: Record<string, number>; // attempts so far, per retrier index
  retryCount?: number;
  until?: number; // a Wait state's or a retry back-off's wake time
  task?: TaskProgress;
  branches?: Branch[];
}
interface Branch { cursor: Cursor; started?: boolean; done?: boolean; output?: Json }

type StoredEvent = Omit<HistoryEvent, 'timestamp'> & { timestamp: number };
type EventDetails = Omit<HistoryEvent, 'timestamp' | 'type' | 'id' | 'previousEventId'>;

interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  name: string;
  roleArn: string;
  definition: string; // as at the start: AWS runs that version even if the machine is updated
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  events: StoredEvent[];
  tokens: string[]; // every token issued, so a stale one is TaskTimedOut rather than InvalidToken
  cursor?: Cursor; // while RUNNING
}

// ---------------------------------------------------------------------------------------------
// In-memory shapes.

interface Live { rec: ExecutionRecord; machine: StateMachineDefinition; input: Json; controller: AbortController; limitTimer?: TimerHandle }
/** A flow's view: its execution, and the signal that stops it (execution-wide or one branch group). */
interface Run { live: Live; signal: AbortSignal }
interface Step { output: Json; next?: string }
type TokenOutcome = { kind: 'success'; output: string } | { kind: 'failure'; error?: string; cause?: string } | { kind: 'timeout' | 'heartbeat' };
interface TokenEntry {
  executionArn: string;
  open: boolean;
  task?: TaskProgress;
  early?: TokenOutcome; // sent before the flow started waiting (the Lambda called back before returning)
  deliver?: (outcome: TokenOutcome) => void;
  rearmHeartbeat?: () => void;
}

/** Why a flow was cut short from outside: it unwinds quietly, whoever interrupted writes history. */
class Interrupted extends Error {
  constructor(readonly why: 'stopped' | 'timed out' | 'closed' | 'branch failed' | 'history full') {
    super(`Flow interrupted: ${why}`);
    this.name = 'Interrupted';
  }
}

interface TaskKind { kind: 'invoke' | 'callback' | 'function'; resource: string }

function describeResource(arn: string): TaskKind | undefined {
  if (arn === 'arn:aws:states:::lambda:invoke') return { kind: 'invoke', resource: 'invoke' };
  if (arn === 'arn:aws:states:::lambda:invoke.waitForTaskToken') return { kind: 'callback', resource: 'invoke.waitForTaskToken' };
  if (/^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/.test(arn)) return { kind: 'function', resource: arn };
  return undefined;
}

// AWS names: 1-80 characters, none of whitespace, brackets, wildcards, these specials or control characters.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;
const STATE_MACHINE_ARN = /^arn:aws:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;
const EXECUTION_ARN = /^arn:aws:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;

type AslValidator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errors: Array<Record<string, string>> };
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;
/** Definitions already checked, by text: asl-validator builds its JSON schema afresh on every call (~100 ms). */
const validated = new Map<string, StateMachineDefinition>();

const toJson = (value: unknown): Json => (value === undefined ? null : (JSON.parse(JSON.stringify(value)) as Json));
const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');
const fileName = (name: string): string => encodeURIComponent(name).replace(/^\./, '%2E');
const date = (ms: number | undefined): Date | undefined => (ms === undefined ? undefined : new Date(ms));
/** Drops undefined fields, so details look like what AWS sends (absent, not null). */
const compact = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

export class LocalStepFunctions {
  private readonly clock: SchedulingClock;
  private readonly invokeLambda: LambdaInvoker;
  private readonly dataDir: string | undefined;
  private readonly region: string;
  private readonly accountId: string;
  private readonly machines = new Map<string, StateMachineRecord>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly live = new Map<string, Live>();
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly located = new WeakSet<StatesError>();
  private readonly dirty = new Set<ExecutionRecord>();
  private readonly pendingResume: ExecutionRecord[] = [];
  private readonly unsubscribeSettler: (() => void) | undefined;
  private busy = 0;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private nextSweep = 0;

  constructor(options: { clock: SchedulingClock; invokeLambda: LambdaInvoker; dataDir?: string; region?: string; accountId?: string }) {
    this.clock = options.clock;
    this.invokeLambda = options.invokeLambda;
    this.dataDir = options.dataDir;
    this.region = options.region ?? 'eu-west-2';
    this.accountId = options.accountId ?? '000000000000';
    if (this.dataDir) this.load(this.dataDir);
    // Lets VirtualClock.advance() wait for the work each fired timer starts (see clock.ts).
    this.unsubscribeSettler = this.clock.addSettler?.(() => this.whenIdle());
  }

  // ------------------------------------------------------------------------------ state machines

  /** Creates the state machine, or updates its definition if one of that name exists. */
  createStateMachine(input: {
    name: string;
    definition: string;
    roleArn?: string;
  }): Defined<CreateStateMachineOutput, 'stateMachineArn' | 'creationDate'> {
    this.checkName(input.name);
    this.parseDefinition(input.definition);
    const arn = `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${input.name}`;
    const existing = this.machines.get(arn);
    const roleArn = input.roleArn ?? existing?.roleArn ?? `arn:aws:iam::${this.accountId}:role/LocalStepFunctions`;
    const creationDate = existing?.creationDate ?? this.now();
    const record: StateMachineRecord = { name: input.name, arn, definition: input.definition, roleArn, creationDate };
    this.machines.set(arn, record);
    if (this.dataDir && !this.closed) writeFileAtomic(join(this.dataDir, 'state-machines', `${fileName(record.name)}.json`), JSON.stringify(record));
    return { stateMachineArn: arn, creationDate: new Date(record.creationDate) };
  }

  describeStateMachine(input: { stateMachineArn: string }): StateMachineDescription {
    const m = this.machine(input.stateMachineArn);
    return {
      ...{ stateMachineArn: m.arn, name: m.name, status: 'ACTIVE', definition: m.definition, roleArn: m.roleArn, type: 'STANDARD' },
      creationDate: new Date(m.creationDate),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
    };
  }

  listStateMachines(input: { maxResults?: number; nextToken?: string } = {}): Page<'stateMachines', StateMachineSummary> {
    const all = [...this.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
    const page = paginate(all, input.maxResults, input.nextToken);
    const stateMachines = page.items.map(
      (m): StateMachineSummary => ({ stateMachineArn: m.arn, name: m.name, type: 'STANDARD', creationDate: new Date(m.creationDate) }),
    );
    return compact({ stateMachines, nextToken: page.nextToken });
  }

  // ------------------------------------------------------------------------------ executions

  startExecution(input: { stateMachineArn: string; name?: string; input?: string }): Defined<StartExecutionOutput, 'executionArn' | 'startDate'> {
    this.resumePending();
    const machine = this.machine(input.stateMachineArn);
    const name = input.name ?? randomUUID();
    this.checkName(name);
    const text = input.input ?? '{}';
    const parsed = parseJson(text, () => new InvalidExecutionInput(`Invalid State Machine Execution Input: '${text.slice(0, 200)}'`));
    if (bytes(text) > PAYLOAD_LIMIT) throw new InvalidExecutionInput('Execution input exceeds the 256 KiB limit');
    const executionArn = `arn:aws:states:${this.region}:${this.accountId}:execution:${machine.name}:${name}`;
    const existing = this.known(executionArn);
    if (existing) {
      // AWS: the same name and input while still running is an idempotent retry of the same start.
      if (existing.status === 'RUNNING' && existing.input === text) return { executionArn, startDate: new Date(existing.startDate) };
      throw new ExecutionAlreadyExists(`Execution Already Exists: '${executionArn}'`);
    }
    const rec: ExecutionRecord = {
      ...{ executionArn, stateMachineArn: machine.arn, stateMachineName: machine.name, name },
      ...{ definition: machine.definition, roleArn: machine.roleArn },
      ...{ status: 'RUNNING', startDate: this.now(), input: text, events: [], tokens: [] },
      cursor: { state: this.parseDefinition(machine.definition).StartAt, input: parsed, phase: 'enter' },
    };
    this.executions.set(executionArn, rec);
    const live = this.track(rec);
    this.emit(live, 'ExecutionStarted', { executionStartedEventDetails: { input: text, inputDetails: WHOLE, roleArn: rec.roleArn } });
    this.launch(live);
    return { executionArn, startDate: new Date(rec.startDate) };
  }

  describeExecution(input: { executionArn: string }): ExecutionDescription {
    this.resumePending();
    const rec = this.execution(input.executionArn);
    // AWS: a TIMED_OUT execution is described without error or cause (States.Timeout is only in its history).
    const failure = rec.status === 'TIMED_OUT' ? {} : { error: rec.error, cause: rec.cause };
    return compact({
      ...{ executionArn: rec.executionArn, stateMachineArn: rec.stateMachineArn, name: rec.name, status: rec.status },
      ...{ startDate: new Date(rec.startDate), stopDate: date(rec.stopDate), input: rec.input, inputDetails: { included: true } },
      ...{ output: rec.output, outputDetails: rec.output === undefined ? undefined : { included: true }, ...failure },
    });
  }

  /** Newest first, as AWS lists them. */
  listExecutions(input: {
    stateMachineArn: string;
    statusFilter?: ExecutionStatus;
    maxResults?: number;
    nextToken?: string;
  }): Page<'executions', ExecutionSummary> {
    this.resumePending();
    const machine = this.machine(input.stateMachineArn);
    const matching = [...this.executions.values()]
      .filter((rec) => this.known(rec.executionArn) !== undefined)
      .filter((rec) => rec.stateMachineArn === machine.arn && (!input.statusFilter || rec.status === input.statusFilter))
      .reverse() // a stable sort then keeps the later of two equal start times first
      .sort((a, b) => b.startDate - a.startDate);
    const page = paginate(matching, input.maxResults, input.nextToken);
    const executions = page.items.map((rec) =>
      compact({
        ...{ executionArn: rec.executionArn, stateMachineArn: rec.stateMachineArn, name: rec.name, status: rec.status },
        ...{ startDate: new Date(rec.startDate), stopDate: date(rec.stopDate) },
      }),
    );
    return compact({ executions, nextToken: page.nextToken });
  }

  getExecutionHistory(input: {
    executionArn: string;
    reverseOrder?: boolean;
    maxResults?: number;
    nextToken?: string;
    includeExecutionData?: boolean;
  }): Page<'events', HistoryEvent> {
    this.resumePending();
    const events = this.execution(input.executionArn).events.map((event) => toHistoryEvent(event, input.includeExecutionData !== false));
    if (input.reverseOrder) events.reverse();
    const page = paginate(events, input.maxResults, input.nextToken);
    return compact({ events: page.items, nextToken: page.nextToken });
  }

  stopExecution(input: { executionArn: string; error?: string; cause?: string }): Defined<StopExecutionOutput, 'stopDate'> {
    this.resumePending();
    const rec = this.execution(input.executionArn);
    const live = this.live.get(rec.executionArn);
    if (live) this.finish(live, 'ABORTED', { error: input.error, cause: input.cause });
    return { stopDate: new Date(rec.stopDate ?? this.now()) };
  }

  // ------------------------------------------------------------------------------ task tokens

  sendTaskSuccess(input: { taskToken: string; output: string }): Record<string, never> {
    this.resumePending();
    const entry = this.openToken(input.taskToken);
    parseJson(input.output, () => new InvalidOutput(`Invalid Output: '${input.output.slice(0, 200)}'`));
    if (bytes(input.output) > PAYLOAD_LIMIT) {
      // A length constraint of the API model: AWS answers those with ValidationException.
      throw new ValidationException("1 validation error detected: Value at 'output' failed to satisfy constraint: Member must have length <= 262144");
    }
    this.settleToken(entry, { kind: 'success', output: input.output });
    return {};
  }

  sendTaskFailure(input: { taskToken: string; error?: string; cause?: string }): Record<string, never> {
    this.resumePending();
    this.settleToken(this.openToken(input.taskToken), { kind: 'failure', error: input.error, cause: input.cause });
    return {};
  }

  /** Resets the heartbeat clock; writes no history event (as on AWS). */
  sendTaskHeartbeat(input: { taskToken: string }): Record<string, never> {
    this.resumePending();
    const entry = this.openToken(input.taskToken);
    const task = entry.task;
    if (task?.heartbeatSeconds !== undefined) {
      task.heartbeatAt = this.now() + task.heartbeatSeconds * 1000;
      this.save(this.live.get(entry.executionArn));
      entry.rearmHeartbeat?.();
    }
    return {};
  }

  // ------------------------------------------------------------------------------ lifecycle

  /** Resolves once every running execution is parked on a timer or a task token. */
  async whenIdle(): Promise<void> {
    this.resumePending();
    for (;;) {
      if (this.busy > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      if (this.busy === 0) return;
    }
  }

  /** Stops every flow without touching what is persisted, so a new engine can resume them. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.unsubscribeSettler?.();
    for (const live of this.live.values()) {
      live.limitTimer?.cancel();
      live.controller.abort(new Interrupted('closed'));
    }
    this.live.clear();
    await new Promise((resolve) => setImmediate(resolve));
  }

  // ------------------------------------------------------------------------------ the interpreter

  private launch(live: Live): void {
    this.runStates({ live, signal: live.controller.signal }, live.machine, live.rec.cursor!).then(
      (output) => this.finish(live, 'SUCCEEDED', { output }),
      (error: unknown) => {
        if (error instanceof Interrupted) return;
        if (error instanceof StatesError) this.finish(live, 'FAILED', { error: error.error, cause: error.errorCause });
        else this.finish(live, 'FAILED', { error: 'States.Runtime', cause: `Local engine error: ${String(error)}` });
      },
    );
  }

  /** Runs a block of states from the cursor to its end; returns its output, throws its failure. */
  private async runStates(run: Run, block: StatesBlock, cur: Cursor): Promise<Json> {
    this.busy += 1;
    try {
      for (;;) {
        if (run.signal.aborted) throw run.signal.reason;
        const state = block.States[cur.state];
        if (!state) throw runtimeError(`No state named '${cur.state}'`);
        if (cur.phase === 'enter') this.enter(run, state, cur);
        const step = await this.execute(run, state, cur).catch((error: unknown) => Promise.reject(this.locate(error, cur)));
        if (step.next === undefined) return step.output;
        for (const key of Object.keys(cur)) delete (cur as unknown as Record<string, unknown>)[key];
        Object.assign(cur, { state: step.next, input: step.output, phase: 'enter' } satisfies Cursor);
        this.save(run.live);
      }
    } finally {
      this.setBusy(-1);
    }
  }

  private enter(run: Run, state: State, cur: Cursor): void {
    Object.assign(cur, { enteredAt: this.now(), retryCount: 0, retries: {}, phase: 'run' });
    cur.enteredEventId = this.emit(run.live, `${state.Type}StateEntered`, {
      stateEnteredEventDetails: { name: cur.state, input: JSON.stringify(cur.input), inputDetails: WHOLE },
    });
  }

  private async execute(run: Run, state: State, cur: Cursor): Promise<Step> {
    const effective = (): Json => selectPath(cur.input, state.InputPath, 'InputPath');
    switch (state.Type) {
      case 'Pass': {
        const input = state.Parameters === undefined ? effective() : resolveTemplate(state.Parameters, effective(), this.context(run, cur));
        const result = state.Result !== undefined ? state.Result : input;
        return this.exit(run, state, cur, applyResultPath(cur.input, result, state.ResultPath));
      }
      case 'Wait': {
        if (cur.phase !== 'wait' || cur.until === undefined) {
          Object.assign(cur, { phase: 'wait', until: this.wakeTime(state, effective()) });
          this.save(run.live);
        }
        await this.sleepUntil(run, cur.until!);
        return this.exit(run, state, cur, effective());
      }
      case 'Choice': {
        const next = chooseNext(state.Choices, state.Default, effective());
        // AWS reports "no choice matched" as States.Runtime (States.NoChoiceMatched is reserved).
        if (next === undefined) throw runtimeError(`No Choice rule matched and there is no Default in state '${cur.state}'`);
        return this.exit(run, state, cur, effective(), next);
      }
      case 'Succeed':
        return this.exit(run, state, cur, effective());
      case 'Fail': {
        const text = (path: string | undefined, fixed: string | undefined, field: string): string | undefined => {
          if (path === undefined) return fixed;
          const value = evaluateExpression(path, cur.input, this.context(run, cur), field);
          if (typeof value !== 'string') throw runtimeError(`The ${field} '${path}' must resolve to a string`);
          return value;
        };
        throw new StatesError(text(state.ErrorPath, state.Error, 'ErrorPath'), text(state.CausePath, state.Cause, 'CausePath'));
      }
      default:
        return this.withRetry(run, state, cur);
    }
  }

  /** Applies OutputPath and leaves the state. */
  private exit(run: Run, state: State, cur: Cursor, result: Json, next?: string): Step {
    return this.leave(run, state, cur, selectPath(result, state.OutputPath, 'OutputPath'), next);
  }

  private leave(run: Run, state: State, cur: Cursor, output: Json, next?: string): Step {
    const text = JSON.stringify(output);
    if (bytes(text) > PAYLOAD_LIMIT) throw new StatesError('States.DataLimitExceeded', `The state '${cur.state}' returned more than 256 KiB`);
    this.emit(run.live, `${state.Type}StateExited`, { stateExitedEventDetails: { name: cur.state, output: text, outputDetails: WHOLE } });
    return { output, next: next ?? (state.Type === 'Succeed' ? undefined : state.Next) };
  }

  /** When a Wait state ends, with AWS's checks and wording (see test/sfn/limits.test.ts). */
  private wakeTime(state: WaitState, input: Json): number {
    const now = this.now();
    const shown = (value: Json): string => (typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));
    const seconds = state.SecondsPath === undefined ? state.Seconds : readPath(input, state.SecondsPath, 'SecondsPath');
    let at: number;
    if (seconds !== undefined) {
      const given = `${state.SecondsPath} == ${shown(seconds)}`;
      if (typeof seconds !== 'number' || !Number.isInteger(seconds)) throw runtimeError(`The SecondsPath parameter cannot be parsed as a long value: ${given}`);
      if (seconds < 0) throw runtimeError(`The SecondsPath parameter references a negative value: ${given}`);
      at = now + seconds * 1000;
    } else {
      const field = state.TimestampPath === undefined ? 'Timestamp' : 'TimestampPath';
      const stamp = state.TimestampPath === undefined ? state.Timestamp : readPath(input, state.TimestampPath, 'TimestampPath');
      const parsed = typeof stamp === 'string' && WAIT_TIMESTAMP.test(stamp) ? Date.parse(stamp) : NaN;
      if (Number.isNaN(parsed)) {
        const given = `${state.TimestampPath ?? state.Timestamp} == ${shown(stamp ?? null)}`;
        throw runtimeError(`The ${field} parameter does not reference a valid ISO-8601 extended offset date-time format string: ${given}`);
      }
      at = Math.floor(parsed / 1000) * 1000; // AWS counts a timestamp to the second and drops the milliseconds
    }
    // A wait past the execution's year is accepted (the execution times out); past 2^31 seconds it fails.
    if ((at - now) / 1000 > MAX_WAIT_SECONDS) throw runtimeError('Wait state delay is too long.');
    return at;
  }

  /** Task, Parallel and Map: one attempt, then Retry (back-off on the clock) or Catch. */
  private async withRetry(run: Run, state: TaskState | ParallelState | MapState, cur: Cursor): Promise<Step> {
    for (;;) {
      if (cur.phase === 'retry' && cur.until !== undefined) {
        await this.sleepUntil(run, cur.until);
        cur.phase = 'run';
        this.save(run.live);
      }
      let result: Json;
      try {
        result = state.Type === 'Task' ? await this.runTask(run, state, cur) : await this.runBranches(run, state, cur);
      } catch (error) {
        if (!(error instanceof StatesError) || error.terminal) throw error;
        const delay = this.retryDelay(state.Retry, error, cur);
        if (delay !== undefined) {
          Object.assign(cur, { phase: 'retry', until: this.now() + delay, task: undefined, branches: undefined });
          this.save(run.live);
          continue;
        }
        const catcher = state.Catch?.find((c) => errorMatches(c.ErrorEquals, error));
        if (!catcher) throw error;
        // A caught error skips ResultSelector and OutputPath: the catcher's ResultPath is all.
        return this.leave(run, state, cur, applyResultPath(cur.input, error.toOutput(), catcher.ResultPath), catcher.Next);
      }
      const selected = state.ResultSelector === undefined ? result : resolveTemplate(state.ResultSelector, result, this.context(run, cur));
      return this.exit(run, state, cur, applyResultPath(cur.input, selected, state.ResultPath));
    }
  }

  /** The first retrier naming the error decides; undefined when there is none or it is spent. */
  private retryDelay(retriers: Retrier[] | undefined, error: StatesError, cur: Cursor): number | undefined {
    const index = retriers?.findIndex((r) => errorMatches(r.ErrorEquals, error)) ?? -1;
    const retrier = retriers?.[index];
    const done = cur.retries?.[index] ?? 0;
    if (!retrier || done >= (retrier.MaxAttempts ?? 3)) return undefined;
    cur.retries = { ...cur.retries, [index]: done + 1 };
    cur.retryCount = (cur.retryCount ?? 0) + 1;
    const seconds = Math.min((retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** done, retrier.MaxDelaySeconds ?? Infinity);
    return Math.round(seconds * 1000 * (retrier.JitterStrategy === 'FULL' ? Math.random() : 1));
  }

  // ------------------------------------------------------------------------------ Task

  private async runTask(run: Run, state: TaskState, cur: Cursor): Promise<Json> {
    const kind = describeResource(state.Resource);
    if (!kind) throw runtimeError(`Unsupported resource '${state.Resource}'`);
    const where = { resourceType: 'lambda', resource: kind.resource };
    try {
      const resumed = cur.phase === 'task' && cur.task?.submitted && cur.task.token !== undefined;
      const { result, reported } = resumed ? await this.awaitCallback(run, cur.task!) : await this.startTask(run, state, cur, kind);
      const succeeded = { output: reported, outputDetails: WHOLE };
      if (kind.kind === 'function') this.emit(run.live, 'LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: succeeded });
      else this.emit(run.live, 'TaskSucceeded', { taskSucceededEventDetails: { ...where, ...succeeded } });
      return result;
    } catch (error) {
      if (error instanceof StatesError && !error.terminal) {
        const details = compact({ error: error.error, cause: error.errorCause });
        const timedOut = error.error === 'States.Timeout';
        if (kind.kind === 'function' && timedOut) this.emit(run.live, 'LambdaFunctionTimedOut', { lambdaFunctionTimedOutEventDetails: details });
        else if (kind.kind === 'function') this.emit(run.live, 'LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: details });
        else if (timedOut) this.emit(run.live, 'TaskTimedOut', { taskTimedOutEventDetails: { ...where, ...details } });
        else this.emit(run.live, 'TaskFailed', { taskFailedEventDetails: { ...where, ...details } });
      }
      throw error;
    } finally {
      // A task that ends in any way closes its token (a retry gets a new one) — except when the
      // engine is closing: then the token must survive for the engine that resumes this task.
      if (cur.task?.token && !this.closed) this.closeToken(cur.task.token);
    }
  }

  private async startTask(run: Run, state: TaskState, cur: Cursor, kind: TaskKind): Promise<{ result: Json; reported: string }> {
    // A task caught mid-invocation by a restart is run again; the token it had is dead.
    if (cur.task?.token) this.closeToken(cur.task.token);
    const live = run.live;
    const effective = selectPath(cur.input, state.InputPath, 'InputPath');
    const token = kind.kind === 'callback' ? this.mintToken(live.rec) : undefined;
    const parameters = state.Parameters === undefined ? effective : resolveTemplate(state.Parameters, effective, this.context(run, cur, token));
    const timeout = positiveSeconds(state.TimeoutSeconds, state.TimeoutSecondsPath, effective, 'TimeoutSecondsPath');
    const heartbeat = positiveSeconds(state.HeartbeatSeconds, state.HeartbeatSecondsPath, effective, 'HeartbeatSecondsPath');
    const { functionName, payload } = lambdaCall(kind, parameters);
    const now = this.now();
    const task: TaskProgress = compact({
      ...{ token, submitted: false, heartbeatSeconds: heartbeat },
      ...{ timeoutAt: timeout && now + timeout * 1000, heartbeatAt: heartbeat && now + heartbeat * 1000 },
    });
    Object.assign(cur, { phase: 'task', task });
    if (token) this.tokens.get(token)!.task = task;
    const where = { resourceType: 'lambda', resource: kind.resource };
    if (kind.kind === 'function') {
      const scheduled = compact({ resource: kind.resource, input: JSON.stringify(parameters), inputDetails: WHOLE, timeoutInSeconds: timeout });
      this.emit(live, 'LambdaFunctionScheduled', { lambdaFunctionScheduledEventDetails: scheduled });
      this.emit(live, 'LambdaFunctionStarted', {});
    } else {
      const limits = { timeoutInSeconds: timeout, heartbeatInSeconds: heartbeat };
      const scheduled = compact({ ...where, region: this.region, parameters: JSON.stringify(parameters), ...limits });
      this.emit(live, 'TaskScheduled', { taskScheduledEventDetails: scheduled });
      this.emit(live, 'TaskStarted', { taskStartedEventDetails: where });
    }
    // new Promise(...) also turns an invoker that throws synchronously into a task failure.
    const invoked = new Promise((resolve) => resolve(this.invokeLambda(functionName, payload))).catch((error: unknown) =>
      Promise.reject(lambdaError(error)),
    );
    const returned = await this.race(run, invoked, task.timeoutAt, () => Promise.reject(new StatesError('States.Timeout', undefined)));
    const result: Json = kind.kind === 'function' ? toJson(returned) : { ExecutedVersion: '$LATEST', Payload: toJson(returned), StatusCode: 200 };
    if (kind.kind !== 'callback') return { result, reported: JSON.stringify(result) };
    this.emit(live, 'TaskSubmitted', { taskSubmittedEventDetails: { ...where, output: JSON.stringify(result), outputDetails: WHOLE } });
    task.submitted = true;
    this.save(live);
    return this.awaitCallback(run, task);
  }

  /** Parks the flow until SendTaskSuccess/Failure, the task timeout, a missed heartbeat, or a stop. */
  private async awaitCallback(run: Run, task: TaskProgress): Promise<{ result: Json; reported: string }> {
    const entry = this.tokens.get(task.token!);
    if (!entry) throw runtimeError('Task token lost');
    const outcome = entry.early ?? (await this.idle(new Promise<TokenOutcome>((resolve, reject) => {
      let timeout: TimerHandle | undefined;
      let heartbeat: TimerHandle | undefined;
      const done = (settle: () => void): void => {
        timeout?.cancel();
        heartbeat?.cancel();
        Object.assign(entry, { deliver: undefined, rearmHeartbeat: undefined });
        run.signal.removeEventListener('abort', onAbort);
        settle();
      };
      const onAbort = (): void => done(() => reject(run.signal.reason));
      if (run.signal.aborted) return onAbort();
      entry.deliver = (o) => done(() => resolve(o));
      const expire = (kind: 'timeout' | 'heartbeat') => (): void => this.settleToken(entry, { kind });
      entry.rearmHeartbeat = () => {
        heartbeat?.cancel();
        heartbeat = task.heartbeatAt === undefined ? undefined : this.clock.setTimer(new Date(task.heartbeatAt), expire('heartbeat'));
      };
      entry.rearmHeartbeat();
      if (task.timeoutAt !== undefined) timeout = this.clock.setTimer(new Date(task.timeoutAt), expire('timeout'));
      run.signal.addEventListener('abort', onAbort, { once: true });
    })));
    if (outcome.kind === 'success') return { result: JSON.parse(outcome.output) as Json, reported: outcome.output };
    if (outcome.kind === 'failure') throw new StatesError(outcome.error, outcome.cause);
    // SFN-BEHAVIOUR.md: a missed heartbeat is reported as States.Timeout; AWS also lets
    // Retry/Catch name it States.HeartbeatTimeout, so it answers to that too.
    throw new StatesError('States.Timeout', undefined, outcome.kind === 'heartbeat' ? ['States.HeartbeatTimeout'] : []);
  }

  // ------------------------------------------------------------------------------ Parallel / Map

  private async runBranches(run: Run, state: ParallelState | MapState, cur: Cursor): Promise<Json> {
    const live = run.live;
    if (cur.phase !== 'branches' || !cur.branches) {
      const effective = selectPath(cur.input, state.InputPath, 'InputPath');
      const context = this.context(run, cur);
      let inputs: Json[];
      if (state.Type === 'Parallel') {
        inputs = state.Branches.map(() => (state.Parameters === undefined ? effective : resolveTemplate(state.Parameters, effective, context)));
      } else {
        const items = state.ItemsPath === undefined ? effective : readPath(effective, state.ItemsPath, 'ItemsPath');
        if (!Array.isArray(items)) throw runtimeError(`The Map state '${cur.state}' needs an array of items, got '${JSON.stringify(items)}'`);
        const selector = state.ItemSelector ?? state.Parameters;
        const itemContext = (Index: number, Value: Json): JsonObject => ({ ...context, Map: { Item: { Index, Value } } });
        inputs = items.map((value, i) => (selector === undefined ? value : resolveTemplate(selector, effective, itemContext(i, value))));
      }
      const branches = inputs.map((input, i): Branch => ({ cursor: { state: blockOf(state, i).StartAt, input, phase: 'enter' } }));
      Object.assign(cur, { phase: 'branches', branches });
      this.emit(live, `${state.Type}StateStarted`, state.Type === 'Map' ? { mapStateStartedEventDetails: { length: inputs.length } } : {});
    }
    // One signal for the group: a failing branch stops its siblings (and so closes their tokens).
    const group = new AbortController();
    const relay = (): void => group.abort(run.signal.reason);
    run.signal.addEventListener('abort', relay, { once: true });
    try {
      const child: Run = { live, signal: group.signal };
      const outputs = await this.idle(Promise.all(cur.branches!.map((branch, i) => this.runBranch(child, state, cur.state, branch, i))));
      this.emit(live, `${state.Type}StateSucceeded`, {});
      return outputs;
    } catch (error) {
      if (!group.signal.aborted) group.abort(new Interrupted('branch failed'));
      if (error instanceof StatesError && !run.signal.aborted) this.emit(live, `${state.Type}StateFailed`, {});
      throw error;
    } finally {
      run.signal.removeEventListener('abort', relay);
    }
  }

  private async runBranch(run: Run, state: ParallelState | MapState, name: string, branch: Branch, index: number): Promise<Json> {
    if (branch.done) return branch.output ?? null;
    const isMap = state.Type === 'Map';
    if (isMap && !branch.started) {
      branch.started = true;
      this.emit(run.live, 'MapIterationStarted', { mapIterationStartedEventDetails: { name, index } });
    }
    try {
      const output = await this.runStates(run, blockOf(state, index), branch.cursor);
      Object.assign(branch, { done: true, output });
      if (isMap) this.emit(run.live, 'MapIterationSucceeded', { mapIterationSucceededEventDetails: { name, index } });
      return output;
    } catch (error) {
      if (isMap && error instanceof StatesError) this.emit(run.live, 'MapIterationFailed', { mapIterationFailedEventDetails: { name, index } });
      throw error;
    }
  }

  // ------------------------------------------------------------------------------ flow plumbing

  /** The context object, `$$`. */
  private context(run: Run, cur: Cursor, token?: string): JsonObject {
    const { rec, input } = run.live;
    const startTime = new Date(rec.startDate).toISOString();
    return {
      Execution: { Id: rec.executionArn, Input: input, Name: rec.name, RoleArn: rec.roleArn, StartTime: startTime, RedriveCount: 0 },
      State: { Name: cur.state, EnteredTime: new Date(cur.enteredAt ?? this.now()).toISOString(), RetryCount: cur.retryCount ?? 0 },
      StateMachine: { Id: rec.stateMachineArn, Name: rec.stateMachineName },
      ...(token === undefined ? {} : { Task: { Token: token } }),
    };
  }

  /** AWS prefixes a States.Runtime cause with where it happened. */
  private locate(error: unknown, cur: Cursor): unknown {
    if (!(error instanceof StatesError) || !error.terminal || this.located.has(error)) return error;
    const where = `An error occurred while executing the state '${cur.state}' (entered at the event id #${cur.enteredEventId ?? 0}).`;
    const located = new StatesError(error.error, `${where} ${error.errorCause ?? ''}`.trim());
    this.located.add(located);
    return located;
  }

  private sleepUntil(run: Run, at: number): Promise<void> {
    return this.idle(this.race(run, undefined, at, () => undefined));
  }

  /** Settles with `work`, or with `onTime()` once the clock reaches `at`, whichever is first; rejects on a stop. */
  private race<T>(run: Run, work: Promise<T> | undefined, at: number | undefined, onTime: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (settle: () => void): void => {
        timer?.cancel();
        run.signal.removeEventListener('abort', onAbort);
        settle();
      };
      const onAbort = (): void => finish(() => reject(run.signal.reason));
      const timer = at === undefined ? undefined : this.clock.setTimer(new Date(at), () => finish(() => resolve(onTime())));
      if (run.signal.aborted) return onAbort();
      run.signal.addEventListener('abort', onAbort, { once: true });
      work?.then((value) => finish(() => resolve(value)), (error: unknown) => finish(() => reject(error)));
    });
  }

  /** While a flow is parked it is not "busy": that is what whenIdle() waits for. */
  private async idle<T>(parked: Promise<T>): Promise<T> {
    this.setBusy(-1);
    try {
      return await parked;
    } finally {
      this.busy += 1;
    }
  }

  private setBusy(delta: number): void {
    this.busy += delta;
    if (this.busy === 0) this.idleWaiters.splice(0).forEach((wake) => wake());
  }

  /** Closes an execution: its status, its last history event, its tokens and timers. */
  private finish(live: Live, status: 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT', result: { output?: Json; error?: string; cause?: string }): void {
    const rec = live.rec;
    if (rec.status !== 'RUNNING' || this.closed) return;
    const failure = compact({ error: result.error, cause: result.cause });
    const outcome = status === 'SUCCEEDED' ? { output: JSON.stringify(result.output ?? null) } : status === 'TIMED_OUT' ? {} : failure;
    Object.assign(rec, { status, stopDate: this.now(), cursor: undefined }, outcome);
    if (status === 'SUCCEEDED') this.emit(live, 'ExecutionSucceeded', { executionSucceededEventDetails: { ...outcome, outputDetails: WHOLE } });
    if (status === 'FAILED') this.emit(live, 'ExecutionFailed', { executionFailedEventDetails: failure });
    if (status === 'ABORTED') this.emit(live, 'ExecutionAborted', { executionAbortedEventDetails: failure });
    if (status === 'TIMED_OUT') this.emit(live, 'ExecutionTimedOut', { executionTimedOutEventDetails: failure });
    rec.tokens.forEach((token) => this.closeToken(token));
    live.limitTimer?.cancel();
    this.live.delete(rec.executionArn);
    live.controller.abort(new Interrupted(status === 'TIMED_OUT' ? 'timed out' : 'stopped'));
  }

  private emit(live: Live, type: string, details: EventDetails): number {
    const events = live.rec.events;
    if (!CLOSING_EVENTS.has(type) && events.length >= HISTORY_LIMIT - 1) {
      // AWS: the event that would be the 25,000th is not written; the execution fails as that event instead.
      const cause = `The execution reached the maximum number of history events (${HISTORY_LIMIT}).`;
      this.finish(live, 'FAILED', { error: 'States.Runtime', cause });
      throw new Interrupted('history full');
    }
    const id = events.length + 1;
    // AWS: the first state's entry points back at 0, like ExecutionStarted, and so do the events of
    // an execution ended from outside (ExecutionAborted, ExecutionTimedOut); every other event at the one before.
    const fromOutside = type === 'ExecutionAborted' || type === 'ExecutionTimedOut';
    const previousEventId = fromOutside || (type.endsWith('StateEntered') && events.length === 1) ? 0 : id - 1;
    events.push({ id, previousEventId, type: type as HistoryEventType, timestamp: this.now(), ...details });
    this.save(live);
    return id;
  }

  // ------------------------------------------------------------------------------ tokens

  private mintToken(rec: ExecutionRecord): string {
    const token = randomBytes(96).toString('base64url');
    rec.tokens.push(token);
    this.tokens.set(token, { executionArn: rec.executionArn, open: true });
    return token;
  }

  private openToken(token: string): TokenEntry {
    const entry = this.tokens.get(token);
    if (!entry) throw new InvalidToken(`Invalid Token: '${token.slice(0, 64)}'`);
    if (!entry.open) throw new TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'");
    return entry;
  }

  private settleToken(entry: TokenEntry, outcome: TokenOutcome): void {
    entry.open = false; // a second SendTask* on this token is TaskTimedOut, as on AWS
    if (entry.deliver) entry.deliver(outcome);
    else entry.early = outcome;
  }

  private closeToken(token: string): void {
    const entry = this.tokens.get(token);
    if (entry) entry.open = false;
  }

  // ------------------------------------------------------------------------------ lookups & checks

  private now(): number {
    return this.clock.now().getTime();
  }

  private checkName(name: string): void {
    if (name.length < 1 || name.length > 80 || FORBIDDEN_NAME.test(name)) throw new InvalidName(`Invalid Name: '${name}'`);
  }

  private machine(arn: string): StateMachineRecord {
    if (!STATE_MACHINE_ARN.test(arn)) throw new InvalidArn(`Invalid Arn: '${arn}'`);
    const machine = this.machines.get(arn);
    if (!machine) throw new StateMachineDoesNotExist(`State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private execution(arn: string): ExecutionRecord {
    if (!EXECUTION_ARN.test(arn)) throw new InvalidArn(`Invalid Arn: '${arn}'`);
    const rec = this.known(arn);
    if (!rec) throw new ExecutionDoesNotExist(`Execution Does Not Exist: '${arn}'`);
    return rec;
  }

  /** The execution, unless it never existed or closed more than 90 days ago (then it is forgotten). */
  private known(arn: string): ExecutionRecord | undefined {
    const rec = this.executions.get(arn);
    if (rec && this.expired(rec)) {
      this.forget(rec);
      return undefined;
    }
    return rec;
  }

  /** Lookups forget an expired execution as they meet it; this also frees the rest, once a virtual day. */
  private sweepExpired(): void {
    if (this.now() < this.nextSweep) return;
    this.nextSweep = this.now() + DAY_MS;
    for (const rec of [...this.executions.values()]) if (this.expired(rec)) this.forget(rec);
  }

  private expired(rec: ExecutionRecord): boolean {
    return rec.status !== 'RUNNING' && rec.stopDate !== undefined && this.now() >= rec.stopDate + RETENTION_MS;
  }

  /** Drops a closed execution: its record, its file, its tokens (a token of it is then an InvalidToken). */
  private forget(rec: ExecutionRecord): void {
    this.executions.delete(rec.executionArn);
    this.dirty.delete(rec);
    for (const token of rec.tokens) this.tokens.delete(token);
    if (this.dataDir && !this.closed) rmSync(this.executionFile(rec), { force: true });
  }

  private executionFile(rec: ExecutionRecord): string {
    return join(this.dataDir!, 'executions', fileName(rec.stateMachineName), `${fileName(rec.name)}.json`);
  }

  private parseDefinition(text: string): StateMachineDefinition {
    const cached = validated.get(text);
    if (cached) return cached;
    const invalid = (detail: string): InvalidDefinition => new InvalidDefinition(`Invalid State Machine Definition: '${detail}'`);
    const parsed = parseJson(text, () => invalid('INVALID_JSON_DESCRIPTION'));
    const problems = unsupportedFeatures(parsed);
    if (problems.length > 0) throw invalid(`UNSUPPORTED_BY_LOCAL_ENGINE: ${problems.join('; ')}`);
    // asl-validator fills in defaults on what it is given: hand it a copy.
    const result = aslValidator(structuredClone(parsed), { checkPaths: true, checkArn: true });
    if (!result.isValid) {
      throw invalid(result.errors.map((e) => `${e['Error code'] ?? 'SCHEMA_VALIDATION_FAILED'}: ${e.Message ?? JSON.stringify(e)}`).join('; '));
    }
    const waits = waitSecondsProblems(parsed);
    if (waits.length > 0) throw invalid(waits.join('; '));
    const definition = parsed as unknown as StateMachineDefinition; // schema-checked just above
    validated.set(text, definition);
    return definition;
  }

  // ------------------------------------------------------------------------------ persistence

  /** Starts tracking a running execution: its flow's abort signal and its time limit. */
  private track(rec: ExecutionRecord): Live {
    const machine = this.parseDefinition(rec.definition);
    const live: Live = { rec, machine, input: JSON.parse(rec.input) as Json, controller: new AbortController() };
    live.limitTimer = this.clock.setTimer(new Date(deadlineOf(rec, machine)), () => this.finish(live, 'TIMED_OUT', { error: 'States.Timeout' }));
    this.live.set(rec.executionArn, live);
    return live;
  }

  private save(live: Live | undefined): void {
    if (!live || !this.dataDir || this.closed) return;
    // Coalesced: one write per record per tick, still before any timer or request is handled.
    if (this.dirty.size === 0) queueMicrotask(() => this.flush());
    this.dirty.add(live.rec);
  }

  private flush(): void {
    if (!this.dataDir || this.closed) return;
    for (const rec of this.dirty) writeFileAtomic(this.executionFile(rec), JSON.stringify(rec));
    this.dirty.clear();
  }

  private load(dataDir: string): void {
    const jsonFiles = (dir: string): string[] =>
      existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f)) : [];
    // Our own files, written by this class: trusted to have the shapes it wrote.
    const read = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
    for (const machine of jsonFiles(join(dataDir, 'state-machines')).map((f) => read<StateMachineRecord>(f))) this.machines.set(machine.arn, machine);
    const executionsDir = join(dataDir, 'executions');
    const dirs = existsSync(executionsDir) ? readdirSync(executionsDir).map((d) => join(executionsDir, d)) : [];
    const records = dirs.flatMap(jsonFiles).map((f) => read<ExecutionRecord>(f));
    for (const rec of records.sort((a, b) => a.startDate - b.startDate)) {
      if (this.expired(rec)) {
        this.forget(rec);
        continue;
      }
      this.executions.set(rec.executionArn, rec);
      for (const token of rec.tokens) this.tokens.set(token, { executionArn: rec.executionArn, open: false });
      if (rec.status !== 'RUNNING') continue;
      // Tokens of tasks that were waiting are live again at once (same token, same deadlines).
      const reopen = (cur: Cursor | undefined): void => {
        const task = cur?.task;
        if (cur?.phase === 'task' && task?.submitted && task.token) this.tokens.set(task.token, { executionArn: rec.executionArn, open: true, task });
        cur?.branches?.forEach((b) => reopen(b.cursor));
      };
      reopen(rec.cursor);
      this.pendingResume.push(rec);
    }
  }

  /**
   * Resumes what load() found running. Deferred to the first call about executions (or whenIdle,
   * or a clock advance), not done in the constructor, so the owner can finish wiring the Lambdas a
   * resumed task will invoke before anything runs.
   */
  private resumePending(): void {
    this.sweepExpired();
    for (const rec of this.pendingResume.splice(0)) {
      if (this.closed) return;
      const live = this.track(rec);
      if (this.now() >= deadlineOf(rec, live.machine)) this.finish(live, 'TIMED_OUT', { error: 'States.Timeout' });
      else this.launch(live);
    }
  }
}

// ---------------------------------------------------------------------------------------------

function parseJson(text: string, error: () => Error): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw error();
  }
}

/** A Standard execution times out after a year, or the definition's own TimeoutSeconds if sooner. */
function deadlineOf(rec: ExecutionRecord, machine: StateMachineDefinition): number {
  return rec.startDate + Math.min(EXECUTION_LIMIT_MS, (machine.TimeoutSeconds ?? Infinity) * 1000);
}

function blockOf(state: ParallelState | MapState, index: number): StatesBlock {
  const block = state.Type === 'Parallel' ? state.Branches[index] : (state.ItemProcessor ?? state.Iterator);
  if (!block) throw runtimeError('Missing branch definition');
  return block;
}

/** TimeoutSeconds(Path) / HeartbeatSeconds(Path): a positive integer, else States.Runtime. */
function positiveSeconds(fixed: number | undefined, path: string | undefined, input: Json, field: string): number | undefined {
  if (path === undefined) return fixed;
  const value = readPath(input, path, field);
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  throw runtimeError(`The ${field} '${path}' must resolve to a positive integer, got '${JSON.stringify(value)}'`);
}

function lambdaCall(kind: TaskKind, parameters: Json): { functionName: string; payload: Json } {
  if (kind.kind === 'function') return { functionName: kind.resource, payload: parameters };
  const params = typeof parameters === 'object' && parameters !== null && !Array.isArray(parameters) ? parameters : {};
  if (typeof params.FunctionName !== 'string') throw runtimeError('lambda:invoke needs Parameters.FunctionName (a string)');
  return { functionName: params.FunctionName, payload: params.Payload ?? {} };
}

/** A Lambda's thrown error becomes the task's error: its name, and AWS's JSON cause. */
function lambdaError(error: unknown): unknown {
  if (error instanceof StatesError || error instanceof Interrupted) return error;
  const [name, message] = error instanceof Error ? [error.name, error.message] : ['Error', String(error)];
  return new StatesError(name, JSON.stringify({ errorType: name, errorMessage: message }));
}

function toHistoryEvent(event: StoredEvent, withData: boolean): HistoryEvent {
  const copy: Record<string, unknown> = { ...event, timestamp: new Date(event.timestamp) };
  for (const [key, value] of Object.entries(copy)) {
    if (withData || !key.endsWith('EventDetails') || typeof value !== 'object' || value === null) continue;
    const { input: _input, output: _output, inputDetails: _in, outputDetails: _out, ...rest } = value as Record<string, unknown>;
    copy[key] = rest;
  }
  return copy as unknown as HistoryEvent;
}

/** Pages by offset; the token is opaque to callers, as AWS's is. */
function paginate<T>(items: T[], maxResults: number | undefined, nextToken: string | undefined): { items: T[]; nextToken?: string } {
  const start = nextToken ? Number(Buffer.from(nextToken, 'base64url').toString('utf8').replace(/^offset:/, '')) : 0;
  if (!Number.isInteger(start) || start < 0) throw new InvalidToken(`Invalid Token: '${nextToken}'`);
  const end = start + (maxResults && maxResults > 0 ? Math.min(maxResults, 1000) : 100);
  return { items: items.slice(start, end), nextToken: end < items.length ? Buffer.from(`offset:${end}`).toString('base64url') : undefined };
}

/** AWS's schema bounds a Wait state's static Seconds (asl-validator does not): 0 to 99,999,999, whole. */
function waitSecondsProblems(definition: Json): string[] {
  const problems: string[] = [];
  const isRecord = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const visitBlock = (block: Json | undefined, at: string): void => {
    if (!isRecord(block) || !isRecord(block.States)) return;
    for (const [name, state] of Object.entries(block.States)) {
      if (!isRecord(state)) continue;
      const where = `${at}/States/${name}`;
      const seconds = state.Seconds;
      if (state.Type === 'Wait' && typeof seconds === 'number') {
        if (seconds > MAX_STATIC_WAIT_SECONDS) problems.push(`SCHEMA_VALIDATION_FAILED: Maximum value is ${MAX_STATIC_WAIT_SECONDS} at ${where}/Seconds`);
        else if (!Number.isInteger(seconds)) problems.push(`SCHEMA_VALIDATION_FAILED: Seconds must be a whole number at ${where}/Seconds`);
      }
      if (Array.isArray(state.Branches)) state.Branches.forEach((branch, i) => visitBlock(branch, `${where}/Branches/${i}`));
      if (state.ItemProcessor !== undefined) visitBlock(state.ItemProcessor, `${where}/ItemProcessor`);
      else visitBlock(state.Iterator, `${where}/Iterator`);
    }
  };
  visitBlock(definition, '');
  return problems;
}

/** What this engine will not run: better refused at CreateStateMachine than wrong at run time. */
function unsupportedFeatures(definition: Json): string[] {
  const problems: string[] = [];
  const isRecord = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isRecord(definition)) return problems; // the schema check reports it
  if (definition.QueryLanguage === 'JSONata') problems.push('QueryLanguage JSONata is not supported (use JSONPath)');
  const visitBlock = (block: Json | undefined): void => {
    if (!isRecord(block) || !isRecord(block.States)) return;
    for (const [name, state] of Object.entries(block.States)) {
      if (!isRecord(state)) continue;
      const withAssign = [state, ...(Array.isArray(state.Choices) ? state.Choices : []), ...(Array.isArray(state.Catch) ? state.Catch : [])];
      if (withAssign.some((item) => isRecord(item) && 'Assign' in item)) problems.push(`${name}: Assign (variables) is not supported`);
      if (state.QueryLanguage === 'JSONata') problems.push(`${name}: QueryLanguage JSONata is not supported`);
      if (state.Type === 'Task' && (typeof state.Resource !== 'string' || !describeResource(state.Resource))) {
        const supported = 'lambda:invoke, lambda:invoke.waitForTaskToken, or a Lambda function ARN';
        problems.push(`${name}: resource '${String(state.Resource)}' is not supported (${supported})`);
      }
      if (state.Type === 'Map' && ('ItemReader' in state || 'ResultWriter' in state)) problems.push(`${name}: distributed Map is not supported`);
      if (Array.isArray(state.Branches)) state.Branches.forEach(visitBlock);
      visitBlock(state.ItemProcessor ?? state.Iterator);
    }
  };
  visitBlock(definition);
  for (const [, name] of JSON.stringify(definition).matchAll(/(States\.\w+)\s*\(/g)) {
    if (!INTRINSIC_NAMES.has(name!)) problems.push(`intrinsic function ${name} is not supported`);
  }
  return problems;
}
