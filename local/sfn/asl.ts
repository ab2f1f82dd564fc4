/**
 * Amazon States Language, JSONPath flavour: the definition's types, and the data plumbing every
 * state shares (paths, payload templates with `.$` keys, intrinsic functions, ResultPath merge).
 * Errors here are `StatesError`s named as AWS names them, so Retry/Catch can match them.
 */
import { randomUUID } from 'node:crypto';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}
export interface Catcher { ErrorEquals: string[]; Next: string; ResultPath?: string | null }

interface Common { Comment?: string; InputPath?: string | null; OutputPath?: string | null; Next?: string; End?: boolean }
/** What Task, Parallel and Map share: a result to shape, and errors to retry or catch. */
interface Resulting extends Common { Parameters?: Json; ResultSelector?: Json; ResultPath?: string | null; Retry?: Retrier[]; Catch?: Catcher[] }

export interface PassState extends Common { Type: 'Pass'; Result?: Json; ResultPath?: string | null; Parameters?: Json }
export interface TaskState extends Resulting {
  Type: 'Task';
  Resource: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
}
export interface ChoiceState extends Common { Type: 'Choice'; Choices: ChoiceRule[]; Default?: string }
export interface WaitState extends Common { Type: 'Wait'; Seconds?: number; SecondsPath?: string; Timestamp?: string; TimestampPath?: string }
export interface SucceedState extends Common { Type: 'Succeed' }
export interface FailState extends Common { Type: 'Fail'; Error?: string; ErrorPath?: string; Cause?: string; CausePath?: string }
export interface ParallelState extends Resulting { Type: 'Parallel'; Branches: StatesBlock[] }
export interface MapState extends Resulting {
  Type: 'Map';
  ItemProcessor?: StatesBlock;
  Iterator?: StatesBlock;
  ItemsPath?: string;
  ItemSelector?: Json;
  MaxConcurrency?: number;
}
export type State = PassState | TaskState | ChoiceState | WaitState | SucceedState | FailState | ParallelState | MapState;

export interface StatesBlock { StartAt: string; States: Record<string, State> }
export interface StateMachineDefinition extends StatesBlock { Comment?: string; TimeoutSeconds?: number; QueryLanguage?: string }

/** A choice rule: a comparison on `Variable`, or And/Or/Not of nested rules; `Next` at top level. */
export interface ChoiceRule {
  Next?: string;
  Variable?: string;
  And?: ChoiceRule[];
  Or?: ChoiceRule[];
  Not?: ChoiceRule;
  [operator: string]: Json | ChoiceRule | ChoiceRule[] | undefined;
}

/** An error as Step Functions names it: what Retry/Catch match and what ExecutionFailed reports. */
export class StatesError extends Error {
  constructor(
    readonly error: string | undefined,
    readonly errorCause: string | undefined,
    /** Extra names this error also answers to in ErrorEquals (a missed heartbeat: States.HeartbeatTimeout). */
    readonly aliases: string[] = [],
  ) {
    super(errorCause ?? error ?? 'Step Functions error');
    this.name = 'StatesError';
  }

  /** AWS: States.Runtime and States.DataLimitExceeded fail the execution; no Retry or Catch sees them. */
  get terminal(): boolean {
    return this.error === 'States.Runtime' || this.error === 'States.DataLimitExceeded';
  }

  /** The `{Error, Cause}` object a Catch hands to its ResultPath. */
  toOutput(): JsonObject {
    return JSON.parse(JSON.stringify({ Error: this.error, Cause: this.errorCause })) as JsonObject;
  }
}

export const runtimeError = (detail: string): StatesError => new StatesError('States.Runtime', detail);

/** ErrorEquals matching, with AWS's wildcards (States.TaskFailed matches all but States.Timeout). */
export function errorMatches(names: string[], error: StatesError): boolean {
  if (error.terminal) return false;
  return names.some(
    (name) =>
      name === error.error ||
      error.aliases.includes(name) ||
      name === 'States.ALL' ||
      (name === 'States.TaskFailed' && error.error !== 'States.Timeout'),
  );
}

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

// ---------------------------------------------------------------------------------------------
// JSONPath, the subset state machines use: `.name`, `['name']`, `[n]` (negative from the end),
// `[*]`, `.*` and `[a:b]`. Anything else (filters, `..`) fails as States.Runtime.

type Segment = { name: string } | { index: number } | { slice: [number | undefined, number | undefined] } | { wild: true };

const SEGMENT = /\.(\*|[^.[\]]+)|\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(-?\d+)|(\*)|(-?\d*):(-?\d*))\s*\]/y;
const pathCache = new Map<string, Segment[]>();

function parsePath(path: string): Segment[] {
  const cached = pathCache.get(path);
  if (cached) return cached;
  if (!path.startsWith('$')) throw runtimeError(`Invalid JSONPath '${path}'`);
  const segments: Segment[] = [];
  SEGMENT.lastIndex = 1;
  while (SEGMENT.lastIndex < path.length) {
    const m = SEGMENT.exec(path);
    if (!m) throw runtimeError(`Invalid or unsupported JSONPath '${path}'`);
    const [, dotted, single, double, index, star, from, to] = m;
    const quoted = single ?? double;
    if (dotted === '*' || star) segments.push({ wild: true });
    else if (dotted !== undefined) segments.push({ name: dotted });
    else if (quoted !== undefined) segments.push({ name: quoted.replace(/\\(.)/g, '$1') });
    else if (index !== undefined) segments.push({ index: Number(index) });
    else segments.push({ slice: [from ? Number(from) : undefined, to ? Number(to) : undefined] });
  }
  pathCache.set(path, segments);
  return segments;
}

const isDefinite = (segments: Segment[]): boolean => segments.every((s) => 'name' in s || 'index' in s);

function step(node: Json, s: Segment): Json[] {
  if ('name' in s) return isObject(node) && Object.hasOwn(node, s.name) ? [node[s.name]!] : [];
  if (!Array.isArray(node)) return 'wild' in s && isObject(node) ? Object.values(node) : [];
  if ('index' in s) return node.at(s.index) === undefined ? [] : [node.at(s.index)!];
  return 'wild' in s ? node : node.slice(...s.slice);
}

const MISSING = Symbol('missing');

function query(data: Json, path: string): Json | typeof MISSING {
  const segments = parsePath(path);
  let nodes: Json[] = [data];
  for (const segment of segments) nodes = nodes.flatMap((node) => step(node, segment));
  if (!isDefinite(segments)) return nodes;
  return nodes.length === 0 ? MISSING : nodes[0]!;
}

/** Reads a path; a definite path that matches nothing is States.Runtime, as on AWS. */
export function readPath(data: Json, path: string, what = 'path'): Json {
  const value = query(data, path);
  if (value === MISSING) throw runtimeError(`The JSONPath '${path}' (${what}) could not be found in the input '${JSON.stringify(data)}'`);
  return value;
}

export const pathExists = (data: Json, path: string): boolean => query(data, path) !== MISSING;

/** `$` and `$.x` read the state's data; `$$` and `$$.x` read the context object. */
const readDataOrContext = (path: string, data: Json, context: Json): Json =>
  path.startsWith('$$') ? readPath(context, path.slice(1), 'context path') : readPath(data, path);

/** InputPath and OutputPath: `$` (or absent) keeps everything, null gives `{}`. */
export function selectPath(value: Json, path: string | null | undefined, what: 'InputPath' | 'OutputPath'): Json {
  if (path === null) return {};
  return path === undefined || path === '$' ? value : readPath(value, path, what);
}

/** ResultPath: `$` replaces, null discards the result, `$.a.b` sets a (new) field in a copy of the input. */
export function applyResultPath(input: Json, result: Json, path: string | null | undefined): Json {
  if (path === null) return input;
  if (path === undefined || path === '$') return result;
  const segments = parsePath(path);
  const fail = (): StatesError => runtimeError(`Unable to apply ResultPath '${path}' to input '${JSON.stringify(input)}'`);
  if (!isDefinite(segments) || (!isObject(input) && !Array.isArray(input))) throw fail();
  const root = structuredClone(input);
  let node: Json = root;
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if ('name' in segment) {
      if (!isObject(node)) throw fail();
      const child: Json | undefined = node[segment.name];
      if (last) node[segment.name] = result;
      else if (child === undefined) node = node[segment.name] = {};
      else if (typeof child === 'object' && child !== null) node = child;
      else throw fail(); // an existing scalar is not overwritten to make room
    } else if ('index' in segment) {
      if (!Array.isArray(node) || node.at(segment.index) === undefined) throw fail();
      const index = segment.index < 0 ? node.length + segment.index : segment.index;
      if (last) node[index] = result;
      else node = node[index]!;
    }
  });
  return root;
}

/**
 * Evaluates a payload template (Parameters, ResultSelector, ItemSelector): keys ending in `.$` take
 * their value from a path into the data, a `$$.` path into the context object, or an intrinsic.
 */
export function resolveTemplate(template: Json, data: Json, context: Json): Json {
  if (Array.isArray(template)) return template.map((item) => resolveTemplate(item, data, context));
  if (!isObject(template)) return template;
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(template)) {
    if (!key.endsWith('.$')) result[key] = resolveTemplate(value, data, context);
    else if (typeof value === 'string') result[key.slice(0, -2)] = evaluateExpression(value, data, context, key);
    else throw runtimeError(`The value for the field '${key}' must be a STRING`);
  }
  return result;
}

/** A `.$` value, ErrorPath or CausePath: a path or an intrinsic function call. */
export function evaluateExpression(expression: string, data: Json, context: Json, field = 'field'): Json {
  const text = expression.trim();
  if (text.startsWith('States.')) return evaluateIntrinsic(text, data, context);
  if (text.startsWith('$')) return readDataOrContext(text, data, context);
  throw runtimeError(`The value for the field '${field}' must be a valid JSONPath or a valid intrinsic function call`);
}

// ---------------------------------------------------------------------------------------------
// Intrinsic functions (the common ones; see INTRINSICS). AWS reports their failures as States.Runtime.

type Arg = { value: Json } | { path: string } | { call: string; args: Arg[] };

// One token: a string ('it\'s'), a call's opening (States.Name( ), a path, a literal, or , or ).
const TOKEN = /\s*(?:'((?:[^'\\]|\\.)*)'|(States\.\w+)\s*\(|(\$(?:\[(?:'[^']*'|"[^"]*"|[^\]])*\]|[^,()\s[])*)|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)|([,)]))\s*/y;

function parseIntrinsic(text: string): Arg {
  const fail = (): StatesError => runtimeError(`Invalid intrinsic function call '${text}'`);
  TOKEN.lastIndex = 0;
  const next = (): RegExpExecArray => {
    const token = TOKEN.exec(text);
    if (!token) throw fail();
    return token;
  };
  const parseArg = (m: RegExpExecArray): Arg => {
    const [, str, call, path, literal] = m;
    // A backslash escapes the next character; \{ and \} stay escaped for States.Format.
    if (str !== undefined) return { value: str.replace(/\\([^{}])/g, '$1') };
    if (path !== undefined) return { path };
    if (literal !== undefined) return { value: JSON.parse(literal) as Json };
    if (call === undefined) throw fail();
    const args: Arg[] = [];
    let token = next();
    if (token[5] === ')') return { call, args };
    for (;;) {
      args.push(parseArg(token));
      const separator = next()[5];
      if (separator === ')') return { call, args };
      if (separator !== ',') throw fail();
      token = next();
    }
  };
  const root = parseArg(next());
  if (!('call' in root) || TOKEN.lastIndex !== text.length) throw fail();
  return root;
}

export function evaluateIntrinsic(text: string, data: Json, context: Json): Json {
  const evaluate = (arg: Arg): Json => {
    if ('value' in arg) return arg.value;
    if ('path' in arg) return readDataOrContext(arg.path, data, context);
    const fn = INTRINSICS[arg.call];
    if (!fn) throw runtimeError(`Unknown intrinsic function ${arg.call} in '${text}'`);
    const args = arg.args.map(evaluate);
    try {
      return fn(args);
    } catch (error) {
      if (error instanceof StatesError) throw error;
      throw runtimeError(`The function '${text}' had the following error: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  return evaluate(parseIntrinsic(text));
}

/** Checks arguments against type letters: s string, i integer, a array, * anything. */
function expectArgs(args: Json[], types: string): void {
  const ok: Record<string, (v: Json | undefined) => boolean> = {
    s: (v) => typeof v === 'string',
    i: Number.isInteger,
    a: Array.isArray,
    '*': (v) => v !== undefined,
  };
  if (args.length !== types.length) throw new Error(`expected ${types.length} argument(s)`);
  [...types].forEach((type, i) => {
    if (!ok[type]!(args[i])) throw new Error(`argument ${i + 1} has the wrong type`);
  });
}

const n = (v: Json | undefined): number => v as number;
const a = (v: Json | undefined): Json[] => v as Json[];

const INTRINSICS: Record<string, (args: Json[]) => Json> = {
  'States.Format': (args) => {
    if (typeof args[0] !== 'string') throw new Error('the template must be a string');
    let next = 1;
    const out = args[0].replace(/\\([{}])|\{\}/g, (_, escaped: string | undefined) => {
      if (escaped) return escaped;
      const value = args[next++];
      if (value === undefined) throw new Error('not enough arguments for the template');
      if (typeof value === 'object' && value !== null) throw new Error('arguments must be strings, numbers, booleans or null');
      return String(value);
    });
    if (next !== args.length) throw new Error('more arguments than {} in the template');
    return out;
  },
  'States.StringToJson': (args) => (expectArgs(args, 's'), JSON.parse(args[0] as string) as Json),
  'States.JsonToString': (args) => (expectArgs(args, '*'), JSON.stringify(args[0])),
  'States.Array': (args) => args,
  'States.ArrayContains': (args) => (expectArgs(args, 'a*'), a(args[0]).some((item) => JSON.stringify(item) === JSON.stringify(args[1]))),
  'States.ArrayGetItem': (args) => {
    expectArgs(args, 'ai');
    const item = n(args[1]) < 0 ? undefined : a(args[0])[n(args[1])];
    if (item === undefined) throw new Error('The index provided is out of bounds');
    return item;
  },
  'States.ArrayLength': (args) => (expectArgs(args, 'a'), a(args[0]).length),
  'States.ArrayUnique': (args) => (expectArgs(args, 'a'), [...new Map(a(args[0]).map((v) => [JSON.stringify(v), v])).values()]),
  'States.MathAdd': (args) => (expectArgs(args, 'ii'), n(args[0]) + n(args[1])),
  'States.UUID': (args) => (expectArgs(args, ''), randomUUID()),
};

/** The intrinsics this engine knows; createStateMachine refuses a definition that calls any other. */
export const INTRINSIC_NAMES: ReadonlySet<string> = new Set(Object.keys(INTRINSICS));
