/**
 * Verify over each kind of tampering, with and without a checkpoint: what the table's own evidence
 * (chains and heads) shows, what only the checkpoint shows, and what nothing can show.
 */
import { describe, expect, it } from 'vitest';
import { sealEvent } from '../../functions/lib/audit-chain';
import type { AuditEvent } from '../../functions/lib/model';
import { keys } from '../../functions/lib/table';
import { verifyAudit, type CaseAuditItems, type Checkpoint } from '../../functions/audit/verify';
import { openCheckpoint, signCheckpoint } from '../../functions/audit/checkpoint';

const AT = '2026-11-16T09:00:00.000Z';

function chain(caseId: string, length: number, from: AuditEvent[] = []): AuditEvent[] {
  const events = [...from];
  for (let index = 0; index < length; index += 1) {
    events.push(sealEvent(events.at(-1), { caseId, at: AT, actor: 'system', action: `step ${events.length + 1}`, detail: { n: events.length + 1 } }));
  }
  return events;
}

/** A case as the table holds it: the record, the head at the newest event, the events. */
function stored(events: AuditEvent[], options: { record?: boolean; head?: AuditEvent | null } = {}): CaseAuditItems {
  const caseId = events[0]!.caseId;
  const head = options.head === undefined ? events.at(-1) : options.head;
  return {
    caseId,
    hasCaseRecord: options.record ?? true,
    ...(head ? { head: { ...keys.auditHead(caseId), seq: head.seq, hash: head.hash } } : {}),
    events: events.map((event) => ({ seq: event.seq, item: { ...keys.auditEvent(caseId, event.seq), ...event } })),
  };
}

function checkpointOf(table: CaseAuditItems[], number = 1): Checkpoint {
  const { nextHeads } = verifyAudit(table, undefined, AT);
  return { version: 1, number, writtenAt: AT, reason: 'schedule', caseCount: Object.keys(nextHeads).length, heads: nextHeads, previous: null };
}

const reasons = (table: CaseAuditItems[], checkpoint?: Checkpoint) => verifyAudit(table, checkpoint, AT).report.breaks.map((item) => [item.caseId, item.reason, item.seq]);

const A = chain('case-a', 6);
const B = chain('case-b', 4);

describe('verify against a checkpoint', () => {
  it('finds an untouched table intact, and moves every head on in the next checkpoint', () => {
    const checkpoint = checkpointOf([stored(A.slice(0, 4)), stored(B)]);
    const { report, nextHeads } = verifyAudit([stored(A), stored(B)], checkpoint, AT);
    expect(report).toMatchObject({ ok: true, cases: 2, events: 10, checkpoint: { number: 1, cases: 2 }, casesSinceCheckpoint: 0, breaks: [] });
    expect(nextHeads['case-a']).toEqual({ seq: 6, hash: A[5]!.hash });
  });

  it("a case's head record deleted: missing-head (the events beside it say it must exist)", () => {
    expect(reasons([stored(A, { head: null }), stored(B)])).toEqual([['case-a', 'missing-head', undefined]]);
  });

  it('the head and the newest events deleted: missing-head, and truncated against the checkpoint', () => {
    const checkpoint = checkpointOf([stored(A), stored(B)]);
    expect(reasons([stored(A.slice(0, 4), { head: null }), stored(B)], checkpoint)).toEqual([
      ['case-a', 'missing-head', undefined],
      ['case-a', 'truncated', 6],
    ]);
  });

  it('the newest events deleted and the head rewritten to match: invisible in the table, truncated against the checkpoint', () => {
    const cut = [stored(A.slice(0, 4)), stored(B)];
    expect(reasons(cut)).toEqual([]);
    expect(reasons(cut, checkpointOf([stored(A), stored(B)]))).toEqual([['case-a', 'truncated', 6]]);
  });

  it('the newest events deleted, head left alone: truncated by the head', () => {
    expect(reasons([stored(A.slice(0, 4), { head: A[5]! })])).toEqual([['case-a', 'truncated', 6]]);
  });

  it('the case record deleted: missing-case-record', () => {
    expect(reasons([stored(A, { record: false }), stored(B)])).toEqual([['case-a', 'missing-case-record', undefined]]);
  });

  it('a whole case deleted (record, head, events): only the checkpoint knows it existed', () => {
    const checkpoint = checkpointOf([stored(A), stored(B)]);
    expect(reasons([stored(B)])).toEqual([]);
    const { report, nextHeads } = verifyAudit([stored(B)], checkpoint, AT);
    expect(report.breaks).toEqual([expect.objectContaining({ caseId: 'case-a', reason: 'case-missing' })]);
    expect(report.cases).toBe(1);
    // The next checkpoint still names it, so the loss is reported at every later verify.
    expect(nextHeads['case-a']).toEqual(checkpoint.heads['case-a']);
  });

  it('an event inserted before the checkpointed head and everything after re-chained: rewritten', () => {
    const checkpoint = checkpointOf([stored(A)]);
    const forged = sealEvent(A[1], { caseId: 'case-a', at: AT, actor: 'officer', action: 'concern withdrawn', detail: {} });
    let rechained: AuditEvent[] = [A[0]!, A[1]!, forged];
    for (const original of A.slice(2)) rechained.push(sealEvent(rechained.at(-1), { ...original, detail: original.detail }));
    rechained = rechained.slice(0, 7);
    // Every link and the head agree: the chain alone is consistent...
    expect(reasons([stored(rechained)])).toEqual([]);
    // ...but its event at seq 6 is no longer the one the checkpoint recorded.
    expect(reasons([stored(rechained)], checkpoint)).toEqual([['case-a', 'rewritten', 6]]);
  });

  it('one event changed and the chain re-computed from there, same length: rewritten', () => {
    const checkpoint = checkpointOf([stored(A)]);
    const edited = [...A.slice(0, 2)];
    edited.push(sealEvent(edited.at(-1), { caseId: 'case-a', at: AT, actor: 'system', action: 'step 3', detail: { n: 'changed' } }));
    for (const original of A.slice(3)) edited.push(sealEvent(edited.at(-1), { ...original, detail: original.detail }));
    expect(reasons([stored(edited)], checkpoint)).toEqual([['case-a', 'rewritten', 6]]);
  });

  it('a forged event appended after the newest checkpoint, correctly chained, head moved: NOT detectable', () => {
    const checkpoint = checkpointOf([stored(A)]);
    const forged = chain('case-a', 1, A);
    expect(verifyAudit([stored(forged)], checkpoint, AT).report.ok).toBe(true);
  });

  it('forged events appended without moving the head: events-beyond-head', () => {
    expect(reasons([stored(chain('case-a', 2, A), { head: A[5]! })])).toEqual([['case-a', 'events-beyond-head', 7]]);
  });

  it('an event missing its hash: malformed-event for that case, every other case still checked', () => {
    const checkpoint = checkpointOf([stored(A), stored(B)]);
    const broken = stored(A);
    delete broken.events[2]!.item.hash;
    const edited = stored(B);
    edited.events[1]!.item.actor = 'someone else';
    const { report, nextHeads } = verifyAudit([broken, edited], checkpoint, AT);
    expect(report.breaks.map((item) => [item.caseId, item.reason, item.seq])).toEqual([
      ['case-a', 'malformed-event', 3],
      ['case-b', 'hash-mismatch', 2],
    ]);
    expect(report.breaks[0]!.message).toMatch(/hash/);
    // Neither tampered case moves on in the next checkpoint.
    expect(nextHeads).toEqual(checkpoint.heads);
  });

  it('an event moved to another seq, or naming another case: malformed-event', () => {
    const moved = stored(A);
    moved.events[5] = { seq: 9, item: { ...moved.events[5]!.item } };
    const stray = stored(B);
    stray.events[3] = { seq: 4, item: { ...A[3]!, caseId: 'case-a' } };
    const found = reasons([moved, stray]);
    expect(found).toContainEqual(['case-a', 'malformed-event', 9]);
    expect(found).toContainEqual(['case-b', 'malformed-event', 4]);
  });

  it('tampering is never laundered: a checkpoint written after it keeps reporting it', () => {
    const first = checkpointOf([stored(A), stored(B)]);
    const tampered = [stored(A.slice(0, 3)), stored(B)];
    const { nextHeads } = verifyAudit(tampered, first, AT);
    const second: Checkpoint = { ...first, number: 2, heads: nextHeads, caseCount: Object.keys(nextHeads).length };
    expect(reasons(tampered, second)).toEqual([['case-a', 'truncated', 6]]);
  });

  it('counts cases opened since the checkpoint, which only their own chains vouch for', () => {
    const checkpoint = checkpointOf([stored(A)]);
    expect(verifyAudit([stored(A), stored(B)], checkpoint, AT).report).toMatchObject({ ok: true, casesSinceCheckpoint: 1 });
  });

  it('a checkpoint whose count disagrees with its heads is reported', () => {
    const checkpoint = { ...checkpointOf([stored(A), stored(B)]), caseCount: 3 };
    expect(reasons([stored(A), stored(B)], checkpoint)).toEqual([['-', 'case-count', undefined]]);
  });
});

describe('the signed checkpoint', () => {
  const key = Buffer.alloc(32, 7);
  const checkpoint = checkpointOf([stored(A), stored(B)]);

  it('opens with its key, and says why anything else does not', () => {
    const text = signCheckpoint(key, checkpoint);
    expect(openCheckpoint(key, text, 1)).toEqual({ checkpoint });
    const altered = text.replace(A[5]!.hash, A[4]!.hash);
    expect(openCheckpoint(key, altered)).toEqual({ problem: expect.stringMatching(/signature/) });
    expect(openCheckpoint(Buffer.alloc(32, 8), text)).toEqual({ problem: expect.stringMatching(/signature/) });
    expect(openCheckpoint(key, text, 2)).toEqual({ problem: expect.stringMatching(/stored as #2/) });
    expect(openCheckpoint(key, '{"checkpoint":{}}')).toEqual({ problem: expect.stringMatching(/not a signed checkpoint/) });
  });

  it('refuses a short key', () => {
    expect(() => signCheckpoint(Buffer.alloc(16), checkpoint)).toThrow(/32 bytes/);
  });
});
