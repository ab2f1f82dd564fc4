/**
 * A tamper-evident audit trail. Each case's events form a hash chain: every event carries the hash
 * of the case's previous event (`prevHash`) and its own `hash`, a SHA-256 over a canonical JSON of
 * its fields. Editing an event breaks its hash; removing one leaves a gap in `seq` or a `prevHash`
 * that no longer matches; reordering puts `seq` out of order. Anyone with the events can check
 * them with `verifyChain`, no key needed: the point is evidence, not secrecy.
 *
 * What a chain alone cannot show is the loss of its newest events (the remaining prefix is still a
 * valid chain). Catching that needs the head (last seq and hash) kept somewhere else to compare.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AuditEvent } from './model';

/** The `prevHash` of a case's first event: no real SHA-256 output is known to be all zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** A value has no single JSON spelling (NaN, a bigint, a cycle...), so it cannot be hashed. */
export class NotCanonicalisable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotCanonicalisable';
  }
}

/** An event was sealed onto the wrong chain, or its draft is incomplete. */
export class AuditChainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditChainError';
  }
}

/**
 * JSON with object keys sorted (by UTF-16 code unit, the default sort) at every depth, and no
 * whitespace. The same value always gives the same text, whatever order its keys were built in or
 * came back from DynamoDB in. Follows JSON.stringify where that is deterministic (`toJSON`, so Dates
 * become ISO strings; undefined properties are left out, undefined in arrays becomes null) and
 * refuses what JSON.stringify would silently change or drop: NaN and Infinity (stored, they would
 * not round-trip), bigints, functions, symbols, Maps and Sets, and cycles.
 */
export function canonicalJson(value: unknown): string {
  const text = write(value, new Set(), '$');
  if (text === undefined) throw new NotCanonicalisable('$: undefined has no JSON form');
  return text;
}

function write(value: unknown, ancestors: Set<object>, at: string): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new NotCanonicalisable(`${at}: ${value} has no JSON form`);
      return JSON.stringify(value);
    case 'undefined':
      return undefined;
    case 'bigint':
    case 'function':
    case 'symbol':
      throw new NotCanonicalisable(`${at}: a ${typeof value} has no JSON form`);
    default:
      break;
  }
  const object = value as object;
  if (object instanceof Map || object instanceof Set) {
    throw new NotCanonicalisable(`${at}: a ${object.constructor.name} would lose its contents in JSON`);
  }
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return write(toJSON.call(object), ancestors, at);
  if (ancestors.has(object)) throw new NotCanonicalisable(`${at}: the value refers to itself`);
  ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      const items = object.map((item: unknown, index) => write(item, ancestors, `${at}[${index}]`) ?? 'null');
      return `[${items.join(',')}]`;
    }
    const record = object as Record<string, unknown>;
    const members: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const text = write(record[key], ancestors, `${at}.${key}`);
      if (text !== undefined) members.push(`${JSON.stringify(key)}:${text}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(object);
  }
}

/** The fields the hash covers: everything in the event except the hash itself. */
export type UnsealedEvent = Omit<AuditEvent, 'hash'>;

/**
 * SHA-256 (lower-case hex) of the canonical JSON of {caseId, seq, at, actor, action, detail, source,
 * prevHash}. The fields are picked by name, so a full event (hash included) or one with extra
 * properties hashes the same as its bare fields; a missing `source` is simply absent.
 */
export function hashEvent(event: UnsealedEvent): string {
  const covered = {
    caseId: event.caseId,
    seq: event.seq,
    at: event.at,
    actor: event.actor,
    action: event.action,
    detail: event.detail,
    source: event.source,
    prevHash: event.prevHash,
  };
  return createHash('sha256').update(canonicalJson(covered), 'utf8').digest('hex');
}

const draftSchema = z.object({
  caseId: z.string().min(1),
  at: z.string().min(1),
  actor: z.string().min(1),
  action: z.string().min(1),
  detail: z.record(z.string(), z.unknown()).default({}),
  source: z.string().optional(),
});
export type AuditDraft = z.input<typeof draftSchema>;

/**
 * Makes the next event of a case's chain: `seq` one more than the previous event's (1 for the
 * first), `prevHash` the previous event's hash (GENESIS_HASH for the first), and its own hash.
 * The detail is stored as its canonical JSON reads back, so what is written is exactly what was
 * hashed (a Date becomes its ISO string, undefined properties go) and later changes to the
 * caller's object cannot reach the sealed event.
 */
export function sealEvent(previous: AuditEvent | undefined, draft: AuditDraft): AuditEvent {
  const parsed = draftSchema.safeParse(draft);
  if (!parsed.success) {
    throw new AuditChainError(
      `Incomplete audit event: ${parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ')}`,
    );
  }
  const { caseId, at, actor, action, source } = parsed.data;
  if (previous && previous.caseId !== caseId) {
    throw new AuditChainError(`An event for case ${caseId} cannot follow an event of case ${previous.caseId}`);
  }
  const detail = JSON.parse(canonicalJson(parsed.data.detail)) as Record<string, unknown>;
  const unsealed: UnsealedEvent = {
    caseId,
    seq: previous ? previous.seq + 1 : 1,
    at,
    actor,
    action,
    detail,
    // No `source: undefined` key: the DynamoDB marshaller refuses undefined values.
    ...(source === undefined ? {} : { source }),
    prevHash: previous ? previous.hash : GENESIS_HASH,
  };
  return { ...unsealed, hash: hashEvent(unsealed) };
}

/** `truncated`: the newest events are gone (the chain ends before the head recorded beside it). */
export type ChainBreakReason = 'hash-mismatch' | 'broken-link' | 'gap' | 'out-of-order' | 'truncated';
export interface ChainBreak {
  caseId: string;
  seq: number;
  reason: ChainBreakReason;
}
export interface ChainVerification {
  ok: boolean;
  breaks: ChainBreak[];
}

/**
 * Checks events as read back (one case or several, each case's events in the order given, which
 * should be ascending `seq`). For each event:
 *   - `hash-mismatch`: its hash is not the hash of its fields (it was edited);
 *   - `out-of-order`: its seq is not above the last in-order event's (moved, or duplicated);
 *   - `gap`: its seq skips numbers, or the case does not start at 1 (events were removed);
 *   - `broken-link`: it follows on by seq but its prevHash is not that event's hash (an event was
 *     replaced or removed and the rest renumbered), or a first event not starting from genesis.
 * An edited event whose hash was recomputed shows up as a broken link on the event after it.
 */
export function verifyChain(events: readonly AuditEvent[]): ChainVerification {
  const breaks: ChainBreak[] = [];
  const last = new Map<string, AuditEvent>();
  for (const event of events) {
    const report = (reason: ChainBreakReason) => breaks.push({ caseId: event.caseId, seq: event.seq, reason });
    let hash: string | undefined;
    try {
      hash = hashEvent(event);
    } catch {
      hash = undefined; // Detail that cannot be canonicalised was not written by sealEvent.
    }
    if (hash !== event.hash) report('hash-mismatch');

    const before = last.get(event.caseId);
    if (!before) {
      if (event.seq !== 1) report('gap');
      else if (event.prevHash !== GENESIS_HASH) report('broken-link');
      last.set(event.caseId, event);
    } else if (!(event.seq > before.seq)) {
      // Not adopted as the chain's tip, so the events after it are still checked against `before`.
      report('out-of-order');
    } else {
      if (event.seq !== before.seq + 1) report('gap');
      else if (event.prevHash !== before.hash) report('broken-link');
      last.set(event.caseId, event);
    }
  }
  return { ok: breaks.length === 0, breaks };
}
