import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AuditChainError,
  GENESIS_HASH,
  NotCanonicalisable,
  canonicalJson,
  hashEvent,
  sealEvent,
  verifyChain,
} from '../../functions/lib/audit-chain';
import { auditEventSchema, type AuditEvent } from '../../functions/lib/model';

function chain(caseId: string, length: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let i = 0; i < length; i += 1) {
    events.push(
      sealEvent(events[events.length - 1], {
        caseId,
        at: `2025-03-${String(i + 1).padStart(2, '0')}T10:00:00.000Z`,
        actor: i % 2 === 0 ? 'system' : 'jane-smith',
        action: `step-${i + 1}`,
        detail: { n: i, note: `event ${i + 1}` },
        ...(i % 3 === 0 ? { source: 'ingest' } : {}),
      }),
    );
  }
  return events;
}

function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item ${index}`);
  return item;
}

describe('canonicalJson', () => {
  it('sorts keys at every depth, whatever order they were built in', () => {
    const a = { b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } };
    const b = { a: { c: 'x', d: [3, { y: 2, z: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson(b)).toBe(canonicalJson(a));
  });

  it('keeps array order and has no whitespace', () => {
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
    expect(canonicalJson({ a: [' x ', 'y'] })).toBe('{"a":[" x ","y"]}');
  });

  it('orders keys by UTF-16 code unit (upper case before lower, digits first)', () => {
    expect(canonicalJson({ b: 1, B: 2, '1': 3, a: 4 })).toBe('{"1":3,"B":2,"a":4,"b":1}');
  });

  it('writes scalars as JSON does', () => {
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson(true)).toBe('true');
    expect(canonicalJson(false)).toBe('false');
    expect(canonicalJson(0)).toBe('0');
    expect(canonicalJson(-0)).toBe('0');
    expect(canonicalJson(1.5e21)).toBe('1.5e+21');
    expect(canonicalJson('quote " backslash \\ newline \n')).toBe('"quote \\" backslash \\\\ newline \\n"');
    expect(canonicalJson('é 😀')).toBe('"é 😀"');
  });

  it('matches JSON.stringify for a value whose keys are already sorted', () => {
    const value = { a: 1, b: [true, null, 'x'], c: { d: 'e' } };
    expect(canonicalJson(value)).toBe(JSON.stringify(value));
  });

  it('leaves out undefined properties and writes undefined array items as null', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson([1, undefined, 2])).toBe('[1,null,2]');
  });

  it('uses toJSON, so a Date is its ISO string', () => {
    expect(canonicalJson({ when: new Date('2025-03-01T10:00:00Z') })).toBe('{"when":"2025-03-01T10:00:00.000Z"}');
  });

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  it.each([
    ['NaN', { a: Number.NaN }],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['a bigint', { a: BigInt(1) }],
    ['a function', { a: () => 1 }],
    ['a symbol', { a: Symbol('s') }],
    ['a Map', { a: new Map([['k', 'v']]) }],
    ['a Set', { a: new Set([1]) }],
    ['undefined itself', undefined],
  ])('refuses %s', (_label, value) => {
    expect(() => canonicalJson(value)).toThrow(NotCanonicalisable);
  });

  it('refuses a cycle, naming where', () => {
    const value: Record<string, unknown> = { a: { b: {} } };
    (value.a as Record<string, Record<string, unknown>>).b!.c = value;
    expect(() => canonicalJson(value)).toThrow(/\$\.a\.b\.c/);
  });
});

describe('GENESIS_HASH', () => {
  it('is 64 zeros', () => {
    expect(GENESIS_HASH).toBe('0'.repeat(64));
  });
});

describe('hashEvent', () => {
  const event = {
    caseId: 'case-1',
    seq: 1,
    at: '2025-03-01T10:00:00.000Z',
    actor: 'system',
    action: 'opened',
    detail: { rating: 'Inadequate' },
    source: 'ingest',
    prevHash: GENESIS_HASH,
  };

  it('is the SHA-256 hex of the canonical JSON of the covered fields', () => {
    const expected = createHash('sha256')
      .update(
        '{"action":"opened","actor":"system","at":"2025-03-01T10:00:00.000Z","caseId":"case-1",' +
          `"detail":{"rating":"Inadequate"},"prevHash":"${GENESIS_HASH}","seq":1,"source":"ingest"}`,
      )
      .digest('hex');
    expect(hashEvent(event)).toBe(expected);
    expect(hashEvent(event)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ignores the hash field and anything not covered', () => {
    const extra = { ...event, hash: 'whatever', other: 'x' } as typeof event;
    expect(hashEvent(extra)).toBe(hashEvent(event));
  });

  it('leaves an absent source out (and so differs from an empty one)', () => {
    const { source: _source, ...withoutSource } = event;
    expect(hashEvent(withoutSource)).not.toBe(hashEvent(event));
    expect(hashEvent(withoutSource)).not.toBe(hashEvent({ ...withoutSource, source: '' }));
    expect(hashEvent({ ...withoutSource, source: undefined })).toBe(hashEvent(withoutSource));
  });

  it.each([
    ['caseId', 'case-2'],
    ['seq', 2],
    ['at', '2025-03-01T10:00:00.001Z'],
    ['actor', 'jane-smith'],
    ['action', 'closed'],
    ['detail', { rating: 'Good' }],
    ['source', 'officer'],
    ['prevHash', 'f'.repeat(64)],
  ])('changes when %s changes', (field, value) => {
    expect(hashEvent({ ...event, [field]: value })).not.toBe(hashEvent(event));
  });

  it('does not depend on the key order of the detail', () => {
    expect(hashEvent({ ...event, detail: { a: 1, b: 2 } })).toBe(hashEvent({ ...event, detail: { b: 2, a: 1 } }));
  });
});

describe('sealEvent', () => {
  const draft = { caseId: 'case-1', at: '2025-03-01T10:00:00.000Z', actor: 'system', action: 'opened', detail: {} };

  it('starts a chain at seq 1 from the genesis hash', () => {
    const first = sealEvent(undefined, draft);
    expect(first).toMatchObject({ caseId: 'case-1', seq: 1, prevHash: GENESIS_HASH });
    expect(first.hash).toBe(hashEvent(first));
  });

  it('links each event to the one before', () => {
    const first = sealEvent(undefined, draft);
    const second = sealEvent(first, { ...draft, action: 'notice-sent', at: '2025-03-02T10:00:00.000Z' });
    expect(second.seq).toBe(2);
    expect(second.prevHash).toBe(first.hash);
    expect(second.hash).not.toBe(first.hash);
  });

  it('produces events the model schema accepts unchanged', () => {
    for (const event of chain('case-1', 4)) expect(auditEventSchema.parse(event)).toEqual(event);
  });

  it('defaults the detail to {} and keeps no source key when there is none', () => {
    const { detail: _detail, ...noDetail } = draft;
    const event = sealEvent(undefined, noDetail);
    expect(event.detail).toEqual({});
    expect('source' in event).toBe(false);
    expect(sealEvent(undefined, { ...draft, source: 'link' }).source).toBe('link');
  });

  it('stores the detail exactly as hashed, detached from the caller', () => {
    const detail: Record<string, unknown> = { when: new Date('2025-03-01T10:00:00Z'), gone: undefined, list: [1] };
    const event = sealEvent(undefined, { ...draft, detail });
    expect(event.detail).toEqual({ when: '2025-03-01T10:00:00.000Z', list: [1] });
    (detail.list as number[]).push(2);
    detail.extra = true;
    expect(event.detail).toEqual({ when: '2025-03-01T10:00:00.000Z', list: [1] });
    expect(verifyChain([event]).ok).toBe(true);
  });

  it('refuses to follow an event of another case', () => {
    const other = sealEvent(undefined, { ...draft, caseId: 'case-2' });
    expect(() => sealEvent(other, draft)).toThrow(AuditChainError);
    expect(() => sealEvent(other, draft)).toThrow(/case-1.*case-2/);
  });

  it.each(['caseId', 'at', 'actor', 'action'] as const)('refuses a draft with an empty %s', (field) => {
    expect(() => sealEvent(undefined, { ...draft, [field]: '' })).toThrow(AuditChainError);
  });

  it('refuses detail that cannot be canonicalised', () => {
    expect(() => sealEvent(undefined, { ...draft, detail: { n: Number.NaN } })).toThrow(NotCanonicalisable);
  });
});

describe('verifyChain', () => {
  it('accepts an empty trail and an intact chain', () => {
    expect(verifyChain([])).toEqual({ ok: true, breaks: [] });
    expect(verifyChain(chain('case-1', 6))).toEqual({ ok: true, breaks: [] });
  });

  it('accepts a chain after a JSON round trip (as DynamoDB hands it back, keys in any order)', () => {
    const events = chain('case-1', 5).map((event) => {
      const copy = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(copy).reverse()) as AuditEvent;
    });
    expect(verifyChain(events).ok).toBe(true);
  });

  it('checks several cases at once, interleaved', () => {
    const a = chain('case-a', 3);
    const b = chain('case-b', 3);
    const mixed = [at(a, 0), at(b, 0), at(a, 1), at(b, 1), at(b, 2), at(a, 2)];
    expect(verifyChain(mixed)).toEqual({ ok: true, breaks: [] });
  });

  it('finds an edited event by its hash', () => {
    const events = chain('case-1', 4);
    events[2] = { ...at(events, 2), detail: { n: 2, note: 'quietly changed' } };
    expect(verifyChain(events)).toEqual({ ok: false, breaks: [{ caseId: 'case-1', seq: 3, reason: 'hash-mismatch' }] });
  });

  it.each(['actor', 'action', 'at', 'source'] as const)('finds an edit to %s', (field) => {
    const events = chain('case-1', 3);
    events[0] = { ...at(events, 0), [field]: 'edited' };
    expect(verifyChain(events).breaks).toEqual([{ caseId: 'case-1', seq: 1, reason: 'hash-mismatch' }]);
  });

  it('finds an edited event whose hash was recomputed by the broken link after it', () => {
    const events = chain('case-1', 4);
    const edited = { ...at(events, 1), actor: 'someone-else' };
    events[1] = { ...edited, hash: hashEvent(edited) };
    expect(verifyChain(events)).toEqual({ ok: false, breaks: [{ caseId: 'case-1', seq: 3, reason: 'broken-link' }] });
  });

  it('finds a removed event as a gap', () => {
    const events = chain('case-1', 5);
    events.splice(2, 1);
    expect(verifyChain(events)).toEqual({ ok: false, breaks: [{ caseId: 'case-1', seq: 4, reason: 'gap' }] });
  });

  it('finds a removed first event as a gap', () => {
    const events = chain('case-1', 3).slice(1);
    expect(verifyChain(events).breaks).toEqual([{ caseId: 'case-1', seq: 2, reason: 'gap' }]);
  });

  it('finds a removed event when the rest were renumbered and rehashed, by the broken link', () => {
    const events = chain('case-1', 4);
    events.splice(1, 1);
    for (let i = 1; i < events.length; i += 1) {
      const renumbered = { ...at(events, i), seq: i + 1 };
      events[i] = { ...renumbered, hash: hashEvent(renumbered) };
    }
    expect(verifyChain(events).breaks).toEqual([
      { caseId: 'case-1', seq: 2, reason: 'broken-link' },
      { caseId: 'case-1', seq: 3, reason: 'broken-link' },
    ]);
  });

  it('finds a first event that does not start from genesis', () => {
    const first = sealEvent(undefined, { caseId: 'c', at: 't', actor: 'a', action: 'x' });
    const forged = { ...first, prevHash: 'a'.repeat(64) };
    expect(verifyChain([{ ...forged, hash: hashEvent(forged) }]).breaks).toEqual([
      { caseId: 'c', seq: 1, reason: 'broken-link' },
    ]);
  });

  it('finds reordered events', () => {
    const events = chain('case-1', 4);
    const reordered = [at(events, 0), at(events, 2), at(events, 1), at(events, 3)];
    expect(verifyChain(reordered)).toEqual({
      ok: false,
      breaks: [
        { caseId: 'case-1', seq: 3, reason: 'gap' },
        { caseId: 'case-1', seq: 2, reason: 'out-of-order' },
      ],
    });
  });

  it('finds a duplicated event as out of order', () => {
    const events = chain('case-1', 3);
    const duplicated = [at(events, 0), at(events, 1), at(events, 1), at(events, 2)];
    expect(verifyChain(duplicated).breaks).toEqual([{ caseId: 'case-1', seq: 2, reason: 'out-of-order' }]);
  });

  it('finds two events swapped with their seqs (and hashes) rewritten', () => {
    const events = chain('case-1', 4);
    const second = at(events, 1);
    const third = at(events, 2);
    const movedUp = { ...third, seq: 2 };
    const movedDown = { ...second, seq: 3 };
    const swapped = [
      at(events, 0),
      { ...movedUp, hash: hashEvent(movedUp) },
      { ...movedDown, hash: hashEvent(movedDown) },
      at(events, 3),
    ];
    const result = verifyChain(swapped);
    expect(result.ok).toBe(false);
    expect(result.breaks.every((item) => item.reason === 'broken-link')).toBe(true);
  });

  it('only reports the case that was touched', () => {
    const a = chain('case-a', 3);
    const b = chain('case-b', 3);
    b[1] = { ...at(b, 1), action: 'edited' };
    expect(verifyChain([...a, ...b]).breaks).toEqual([{ caseId: 'case-b', seq: 2, reason: 'hash-mismatch' }]);
  });

  it('reports a hash mismatch, not a crash, for detail that cannot be hashed', () => {
    const events = chain('case-1', 2);
    events[1] = { ...at(events, 1), detail: { n: Number.NaN } };
    expect(verifyChain(events).breaks).toEqual([{ caseId: 'case-1', seq: 2, reason: 'hash-mismatch' }]);
  });

  it('cannot see the newest events removed (a chain alone has no head to compare)', () => {
    expect(verifyChain(chain('case-1', 5).slice(0, 3)).ok).toBe(true);
  });
});
