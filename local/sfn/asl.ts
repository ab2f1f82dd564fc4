/**
 * Amazon States Language, JSONPath flavour: the definition's types, and the data plumbing every
 * state shares (paths, payload templates with `.$` keys, intrinsic functions, ResultPath merge).
 * Errors here are `StatesError`s named as AWS names them, so Retry/Catch can match them.
 */
import { createHash, randomUUID } from 'node:crypto';

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

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

interface Common {
  Comment?: string;
  InputPath?: string | null;
  OutputPath?: string | null;
  Next?: string;
  End?: boolean;
}

export interface PassState extends Common {
  Type: 'Pass';
  Result?: Json;
  ResultPath?: string | null;
  Parameters?: Json;
}

export interface TaskState extends Common {
  Type: 'Task';
  Resource: string;
  Parameters?: Json;
  ResultSelector?: Json;
  ResultPath?: string | null;
  Retry?: Retrier[];
  Catch?: Catcher[];
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
}

export interface ChoiceState extends Common {
  Type: 'Choice';
  Choices: ChoiceRule[];
  Default?: string;
}

export interface WaitState extends Common {
  Type: 'Wait';
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
}

export interface SucceedState extends Common {
  Type: 'Succeed';
}

export interface FailState extends Common {
  Type: 'Fail';
  Error?: string;
  ErrorPath?: string;
  Cause?: string;
  CausePath?: string;
}

export interface ParallelState extends Common {
  Type: 'Parallel';
  Branches: StatesBlock[];
  Parameters?: Json;
  ResultSelector?: Json;
  ResultPath?: string | null;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

export interface MapState extends Common {
  Type: 'Map';
  ItemProcessor?: StatesBlock;
  Iterator?: StatesBlock;
  ItemsPath?: string;
  ItemSelector?: Json;
  Parameters?: Json;
  MaxConcurrency?: number;
  ResultSelector?: Json;
  ResultPath?: string | null;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

export type State =
  | PassState
  | TaskState
  | ChoiceState
  | WaitState
  | SucceedState
  | FailState
  | ParallelState
  | MapState;

export interface StatesBlock {
  StartAt: string;
  States: Record<string, State>;
}

export interface StateMachineDefinition extends StatesBlock {
  Comment?: string;
  TimeoutSeconds?: number;
  QueryLanguage?: string;
}

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
    const output: JsonObject = {};
    if (this.error !== undefined) output.Error = this.error;
    if (this.errorCause !== undefined) output.Cause = this.errorCause;
    return output;
  }
}

export function runtimeError(detail: string): StatesError {
  return new StatesError('States.Runtime', detail);
}

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

// ---------------------------------------------------------------------------------------------
// JSONPath: the subset AWS definitions use — `.name`, `['name']`, `[n]`, `[*]`, `.*`, `[a:b]`,
// `[a,b]` and `..name`. Filters (`[?()]`) are not supported and fail as States.Runtime.

type Segment =
  | { kind: 'name'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wild' }
  | { kind: 'slice'; start?: number; end?: number }
  | { kind: 'union'; indexes: number[] }
  | { kind: 'deep'; name: string };

const pathCache = new Map<string, Segment[]>();

function parsePath(path: string): Segment[] {
  const cached = pathCache.get(path);
  if (cached) return cached;
  if (!path.startsWith('$')) throw runtimeError(`Invalid JSONPath '${path}'`);
  const segments: Segment[] = [];
  let i = 1;
  const bad = (): StatesError => runtimeError(`Invalid JSONPath '${path}'`);
  while (i < path.length) {
    if (path.startsWith('..', i)) {
      const match = /^[^.[\]]+/.exec(path.slice(i + 2));
      if (!match) throw bad();
      segments.push({ kind: 'deep', name: match[0] });
      i += 2 + match[0].length;
    } else if (path[i] === '.') {
      const match = /^[^.[\]]+/.exec(path.slice(i + 1));
      if (!match) throw bad();
      segments.push(match[0] === '*' ? { kind: 'wild' } : { kind: 'name', name: match[0] });
      i += 1 + match[0].length;
    } else if (path[i] === '[') {
      const close = findBracketEnd(path, i);
      if (close === -1) throw bad();
      segments.push(parseBracket(path.slice(i + 1, close).trim(), bad));
      i = close + 1;
    } else {
      throw bad();
    }
  }
  pathCache.set(path, segments);
  return segments;
}

function findBracketEnd(path: string, open: number): number {
  let quote: string | undefined;
  for (let i = open + 1; i < path.length; i += 1) {
    const c = path[i];
    if (quote) {
      if (c === '\\') i += 1;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === ']') return i;
  }
  return -1;
}

function parseBracket(inner: string, bad: () => StatesError): Segment {
  if (inner === '*') return { kind: 'wild' };
  const quoted = /^(['"])(.*)\1$/s.exec(inner);
  if (quoted) return { kind: 'name', name: quoted[2]!.replace(/\\(.)/g, '$1') };
  if (/^-?\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
  const slice = /^(-?\d+)?:(-?\d+)?$/.exec(inner);
  if (slice) {
    const segment: Segment = { kind: 'slice' };
    if (slice[1] !== undefined) segment.start = Number(slice[1]);
    if (slice[2] !== undefined) segment.end = Number(slice[2]);
    return segment;
  }
  if (/^-?\d+(\s*,\s*-?\d+)+$/.test(inner)) return { kind: 'union', indexes: inner.split(',').map(Number) };
  throw bad();
}

function isDefinite(segments: Segment[]): boolean {
  return segments.every((s) => s.kind === 'name' || s.kind === 'index');
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MISSING = Symbol('missing');

function step(node: Json, segment: Segment): Json[] {
  switch (segment.kind) {
    case 'name':
      return isObject(node) && Object.hasOwn(node, segment.name) ? [node[segment.name]!] : [];
    case 'index': {
      if (!Array.isArray(node)) return [];
      const item = node.at(segment.index);
      return item === undefined ? [] : [item];
    }
    case 'wild':
      return Array.isArray(node) ? node : isObject(node) ? Object.values(node) : [];
    case 'slice':
      return Array.isArray(node) ? node.slice(segment.start, segment.end) : [];
    case 'union':
      return Array.isArray(node) ? segment.indexes.flatMap((i) => (node.at(i) === undefined ? [] : [node.at(i)!])) : [];
    case 'deep': {
      const found: Json[] = [];
      const visit = (value: Json): void => {
        if (isObject(value)) {
          if (Object.hasOwn(value, segment.name)) found.push(value[segment.name]!);
          Object.values(value).forEach(visit);
        } else if (Array.isArray(value)) value.forEach(visit);
      };
      visit(node);
      return found;
    }
  }
}

function query(data: Json, path: string): Json | typeof MISSING {
  const segments = parsePath(path);
  let nodes: Json[] = [data];
  for (const segment of segments) nodes = nodes.flatMap((node) => step(node, segment));
  if (isDefinite(segments)) return nodes.length === 0 ? MISSING : nodes[0]!;
  return nodes;
}

/** Reads a path; a definite path that matches nothing is States.Runtime, as on AWS. */
export function readPath(data: Json, path: string, what = 'path'): Json {
  const value = query(data, path);
  if (value === MISSING) {
    throw runtimeError(`The JSONPath '${path}' (${what}) could not be found in the input '${JSON.stringify(data)}'`);
  }
  return value;
}

export function pathExists(data: Json, path: string): boolean {
  return query(data, path) !== MISSING;
}

/** `$` and `$.x` read the state's data; `$$` and `$$.x` read the context object. */
function readDataOrContext(path: string, data: Json, context: Json): Json {
  return path.startsWith('$$') ? readPath(context, path.slice(1), 'context path') : readPath(data, path);
}

export function applyInputPath(input: Json, path: string | null | undefined): Json {
  if (path === null) return {};
  return path === undefined || path === '$' ? input : readPath(input, path, 'InputPath');
}

export function applyOutputPath(output: Json, path: string | null | undefined): Json {
  if (path === null) return {};
  return path === undefined || path === '$' ? output : readPath(output, path, 'OutputPath');
}

/** ResultPath: `$` replaces, null discards the result, `$.a.b` sets a (new) field in a copy of the input. */
export function applyResultPath(input: Json, result: Json, path: string | null | undefined): Json {
  if (path === null) return input;
  if (path === undefined || path === '$') return result;
  const segments = parsePath(path);
  if (!isDefinite(segments)) throw runtimeError(`Invalid ResultPath '${path}': must be a reference path`);
  const fail = (): StatesError =>
    runtimeError(`Unable to apply ResultPath '${path}' to input '${JSON.stringify(input)}'`);
  if (!isObject(input) && !Array.isArray(input)) throw fail();
  const root = structuredClone(input);
  let node: Json = root;
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment.kind === 'name') {
      if (!isObject(node)) throw fail();
      if (last) node[segment.name] = result;
      else {
        const child: Json | undefined = node[segment.name];
        if (child === undefined) node = node[segment.name] = {};
        else if (isObject(child) || Array.isArray(child)) node = child;
        else throw fail(); // an existing scalar is not overwritten to make room
      }
    } else if (segment.kind === 'index') {
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
    if (!key.endsWith('.$')) {
      result[key] = resolveTemplate(value, data, context);
      continue;
    }
    const field = key.slice(0, -2);
    if (typeof value !== 'string') throw runtimeError(`The value for the field '${key}' must be a STRING`);
    result[field] = evaluateExpression(value, data, context, key);
  }
  return result;
}

/** A `.$` value, ErrorPath or CausePath: a path or an intrinsic function call. */
export function evaluateExpression(expression: string, data: Json, context: Json, field = 'field'): Json {
  const text = expression.trim();
  if (text.startsWith('States.')) return evaluateIntrinsic(text, data, context);
  if (!text.startsWith('$')) {
    throw runtimeError(`The value for the field '${field}' must be a valid JSONPath or a valid intrinsic function call`);
  }
  return readDataOrContext(text, data, context);
}

// ---------------------------------------------------------------------------------------------
// Intrinsic functions. AWS reports their failures as States.Runtime.

type Arg = { kind: 'value'; value: Json } | { kind: 'path'; path: string } | { kind: 'call'; name: string; args: Arg[] };

function parseIntrinsic(text: string): Arg {
  let i = 0;
  const fail = (why: string): StatesError => runtimeError(`Invalid intrinsic function '${text}': ${why}`);
  const skipSpace = (): void => {
    while (/\s/.test(text[i] ?? '')) i += 1;
  };
  const parseArg = (): Arg => {
    skipSpace();
    const c = text[i];
    if (c === "'") {
      let value = '';
      for (i += 1; i < text.length && text[i] !== "'"; i += 1) {
        // A backslash keeps the next character literally (\' \{ \} \\); Format sees \{ as literal.
        if (text[i] === '\\') {
          const next = text[i + 1] ?? '';
          value += next === '{' || next === '}' ? `\\${next}` : next;
          i += 1;
        } else value += text[i];
      }
      if (text[i] !== "'") throw fail('unterminated string');
      i += 1;
      return { kind: 'value', value };
    }
    if (c === '$') {
      const start = i;
      let depth = 0;
      let quote: string | undefined;
      for (; i < text.length; i += 1) {
        const ch = text[i]!;
        if (quote) {
          if (ch === quote) quote = undefined;
        } else if (ch === "'" || ch === '"') quote = ch;
        else if (ch === '[') depth += 1;
        else if (ch === ']') depth -= 1;
        else if (depth === 0 && (ch === ',' || ch === ')')) break;
      }
      return { kind: 'path', path: text.slice(start, i).trim() };
    }
    const name = /^States\.[A-Za-z0-9]+/.exec(text.slice(i));
    if (name) {
      i += name[0].length;
      skipSpace();
      if (text[i] !== '(') throw fail(`expected '(' after ${name[0]}`);
      i += 1;
      const args: Arg[] = [];
      skipSpace();
      if (text[i] === ')') i += 1;
      else {
        for (;;) {
          args.push(parseArg());
          skipSpace();
          if (text[i] === ',') i += 1;
          else if (text[i] === ')') {
            i += 1;
            break;
          } else throw fail('expected , or )');
        }
      }
      return { kind: 'call', name: name[0], args };
    }
    const literal = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
    if (!literal) throw fail(`unexpected '${text.slice(i, i + 10)}'`);
    i += literal[0].length;
    return { kind: 'value', value: JSON.parse(literal[0]) as Json };
  };
  const call = parseArg();
  skipSpace();
  if (i !== text.length || call.kind !== 'call') throw fail('trailing characters');
  return call;
}

export function evaluateIntrinsic(text: string, data: Json, context: Json): Json {
  return evalArg(parseIntrinsic(text), data, context, text);
}

function evalArg(arg: Arg, data: Json, context: Json, text: string): Json {
  if (arg.kind === 'value') return arg.value;
  if (arg.kind === 'path') return readDataOrContext(arg.path, data, context);
  const args = arg.args.map((a) => evalArg(a, data, context, text));
  const fn = INTRINSICS[arg.name];
  if (!fn) throw runtimeError(`Unknown intrinsic function ${arg.name} in '${text}'`);
  try {
    return fn(args);
  } catch (error) {
    if (error instanceof StatesError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw runtimeError(`The function '${text}' had the following error: ${why}`);
  }
}

function str(value: Json | undefined, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what} must be a string`);
  return value;
}
function num(value: Json | undefined, what: string): number {
  if (typeof value !== 'number') throw new Error(`${what} must be a number`);
  return value;
}
function int(value: Json | undefined, what: string): number {
  const n = num(value, what);
  if (!Number.isInteger(n)) throw new Error(`${what} must be an integer`);
  return n;
}
function arr(value: Json | undefined, what: string): Json[] {
  if (!Array.isArray(value)) throw new Error(`${what} must be an array`);
  return value;
}
function arity(args: Json[], min: number, max = min): void {
  if (args.length < min || args.length > max) throw new Error(`expected ${min === max ? min : `${min}-${max}`} arguments`);
}

const HASHES: Record<string, string> = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

const INTRINSICS: Record<string, (args: Json[]) => Json> = {
  'States.Format': (args) => {
    const template = str(args[0], 'template');
    let next = 1;
    const out = template.replace(/\\([{}])|\{\}/g, (match, escaped: string | undefined) => {
      if (escaped) return escaped;
      if (next >= args.length) throw new Error('not enough arguments for the template');
      const value = args[next++];
      if (typeof value === 'object' && value !== null) throw new Error('arguments must be strings, numbers, booleans or null');
      return String(value);
    });
    if (next !== args.length) throw new Error('more arguments than {} in the template');
    return out;
  },
  'States.StringToJson': (args) => (arity(args, 1), JSON.parse(str(args[0], 'argument')) as Json),
  'States.JsonToString': (args) => (arity(args, 1), JSON.stringify(args[0])),
  'States.Array': (args) => args,
  'States.ArrayPartition': (args) => {
    arity(args, 2);
    const items = arr(args[0], 'array');
    const size = int(args[1], 'chunk size');
    if (size <= 0) throw new Error('chunk size must be positive');
    const chunks: Json[] = [];
    for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
    return chunks;
  },
  'States.ArrayContains': (args) => {
    arity(args, 2);
    const needle = JSON.stringify(args[1]);
    return arr(args[0], 'array').some((item) => JSON.stringify(item) === needle);
  },
  'States.ArrayRange': (args) => {
    arity(args, 3);
    const [start, end, by] = [int(args[0], 'start'), int(args[1], 'end'), int(args[2], 'step')];
    if (by === 0) throw new Error('step must not be 0');
    const out: number[] = [];
    for (let v = start; by > 0 ? v <= end : v >= end; v += by) out.push(v);
    if (out.length > 1000) throw new Error('at most 1000 items');
    return out;
  },
  'States.ArrayGetItem': (args) => {
    arity(args, 2);
    const items = arr(args[0], 'array');
    const index = int(args[1], 'index');
    if (index < 0 || index >= items.length) throw new Error('The index provided is out of bounds');
    return items[index]!;
  },
  'States.ArrayLength': (args) => (arity(args, 1), arr(args[0], 'argument').length),
  'States.ArrayUnique': (args) => {
    arity(args, 1);
    const seen = new Set<string>();
    return arr(args[0], 'argument').filter((item) => {
      const key = JSON.stringify(item);
      return seen.has(key) ? false : (seen.add(key), true);
    });
  },
  'States.Base64Encode': (args) => (arity(args, 1), Buffer.from(str(args[0], 'argument'), 'utf8').toString('base64')),
  'States.Base64Decode': (args) => (arity(args, 1), Buffer.from(str(args[0], 'argument'), 'base64').toString('utf8')),
  'States.Hash': (args) => {
    arity(args, 2);
    const algorithm = HASHES[str(args[1], 'algorithm')];
    if (!algorithm) throw new Error(`unsupported algorithm ${String(args[1])}`);
    const input = typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0]);
    return createHash(algorithm).update(input).digest('hex');
  },
  'States.JsonMerge': (args) => {
    arity(args, 3);
    if (!isObject(args[0]) || !isObject(args[1])) throw new Error('both arguments must be objects');
    if (args[2] !== false) throw new Error('only shallow merge (false) is supported');
    return { ...args[0], ...args[1] };
  },
  'States.MathRandom': (args) => {
    arity(args, 2, 3);
    const [start, end] = [int(args[0], 'start'), int(args[1], 'end')];
    return start + Math.floor(Math.random() * (end - start));
  },
  'States.MathAdd': (args) => (arity(args, 2), int(args[0], 'first argument') + int(args[1], 'second argument')),
  'States.StringSplit': (args) => {
    arity(args, 2);
    const delimiters = [...str(args[1], 'delimiter')];
    const escaped = delimiters.map((d) => d.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')).join('');
    return str(args[0], 'string').split(new RegExp(`[${escaped}]`)).filter((part) => part !== '');
  },
  'States.UUID': (args) => (arity(args, 0), randomUUID()),
};
