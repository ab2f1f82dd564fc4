/**
 * The audit trail's append path under replay and contention, on the real DynamoDB stand-in:
 * an event with an id is written once however many writers replay it at the same moment (what
 * recovery after a crash relies on), and an event parked beside a busy chain is chained once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Product } from '../support/product';
import { verifyChain } from '../../functions/lib/audit-chain';
import { keys } from '../../functions/lib/table';
import { Store } from '../../functions/lib/store';

describe('appending to the audit trail', () => {
  let product: Product;
  const caseId = 'AUDIT-APPEND-1';
  beforeAll(async () => {
    product = await Product.start();
  });
  afterAll(async () => product.close());

  it('writes an event with an id once, however many writers replay it at once, while others append too', async () => {
    const { store } = product.runtime.deps;
    await store.appendAudit({ caseId, at: '2026-11-16T09:00:00.000Z', actor: 'x', action: 'first' });
    const draft = { caseId, at: '2026-11-16T09:01:00.000Z', actor: 'officer', action: 'decision recorded', detail: { decision: 'approve' } };
    // Each writer its own Store, as separate processes (Lambda containers) would be: they race for
    // the chain's tip through DynamoDB's conditional writes alone.
    const writer = () => new Store(store.doc, store.tableName);
    const written = await Promise.all([
      ...Array.from({ length: 10 }, () => writer().appendAudit(draft, { eventId: 'decision:T1', after: 1 })),
      ...Array.from({ length: 10 }, (_, index) => writer().appendAudit({ caseId, at: '2026-11-16T09:01:00.000Z', actor: 'y', action: 'other', detail: { index } })),
    ]);
    const events = await store.listAudit(caseId);
    expect(events.filter((event) => event.detail.eventId === 'decision:T1')).toHaveLength(1);
    expect(events).toHaveLength(1 + 1 + 10);
    expect(new Set(written.slice(0, 10).map((event) => event.seq)).size).toBe(1);
    expect(verifyChain(events).ok).toBe(true);
    // Replayed later (recovery), still once.
    await store.appendAudit(draft, { eventId: 'decision:T1', after: 0 });
    expect((await store.listAudit(caseId)).filter((event) => event.detail.eventId === 'decision:T1')).toHaveLength(1);
  });

  it('a parked event is chained once, even when a drain is cut short before it removed the parked copy', async () => {
    const { store } = product.runtime.deps;
    const parkedCase = 'AUDIT-APPEND-2';
    await store.appendAudit({ caseId: parkedCase, at: '2026-11-16T09:00:00.000Z', actor: 'x', action: 'first' });
    await store.parkAudit({ caseId: parkedCase, at: '2026-11-16T09:02:00.000Z', actor: 'officer', action: 'link refused', detail: { reason: 'used' } });
    const [parked] = await store.doc
      .send(new (await import('@aws-sdk/lib-dynamodb')).QueryCommand({ TableName: store.tableName, KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)', ExpressionAttributeValues: { ':p': `CASE#${parkedCase}`, ':s': 'AUDITINBOX#' } }))
      .then((page) => page.Items ?? []);
    expect(parked).toBeDefined();
    expect(await store.drainAuditInbox(parkedCase)).toBe(1);
    // As if the drain had died after chaining it but before deleting it: the copy is back.
    await store.putRaw({ pk: String(parked!.pk), sk: String(parked!.sk) }, { gsi1pk: 'AUDITINBOX', gsi1sk: String(parked!.gsi1sk) }, parked as Record<string, unknown>);
    expect(await store.drainAuditInbox()).toBe(1);
    const events = await store.listAudit(parkedCase);
    expect(events.map((event) => event.action)).toEqual(['first', 'link refused']);
    expect(events[1]?.detail).toMatchObject({ reason: 'used', parked: true });
    expect(await store.drainAuditInbox()).toBe(0);
    expect(await store.getRaw(keys.auditInbox(parkedCase, String(parked!.id)))).toBeUndefined();
  });
});
