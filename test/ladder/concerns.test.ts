/**
 * Every concern is kept (issue 16), on the local runtime through the admin API: a concern about a
 * location with an open case joins it; isolated concerns about a home rated Good are kept and
 * change nothing; the third in 90 days tells the lead officer (the default pattern); each is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Product, HOMECARE, MEADOWBANK } from '../support/product';
import { demoRatingsCsv, DEMO_LOCATIONS } from '../../local/demo';
import type { ConcernRecord } from '../../functions/ladder/concerns';

describe('every concern is kept', () => {
  let product: Product;
  const raise = async (body: Record<string, unknown>) => {
    const response = await product.api('POST', '/admin/concerns', body);
    return { status: response.status, json: (await response.json()) as { concern: ConcernRecord; caseId?: string; opened: boolean } };
  };

  beforeAll(async () => {
    product = await Product.start();
    await product.uploadRatings(demoRatingsCsv(DEMO_LOCATIONS.map((location) => ({ ...location, ratings: location.locationId === MEADOWBANK ? location.ratings : ['Good', 'Good', 'Good', 'Good', 'Good', 'Good'] }))));
  });
  afterAll(async () => product?.close());

  it('a second concern about a location with an open case joins that case and is kept as its own record', async () => {
    const open = await product.caseFor(MEADOWBANK);
    // Act
    const raised = await raise({ locationId: MEADOWBANK, kind: 'whistleBlowing', raisedBy: 'a member of staff', summary: 'Night staff asleep on shift', severity: 'high' });
    // Assess
    expect(raised.status).toBe(200);
    expect(raised.json).toMatchObject({ caseId: open.case.caseId, opened: false, concern: { outcome: 'joinedCase', kind: 'whistleBlowing', severity: 'high' } });
    const view = await product.caseFor(MEADOWBANK);
    expect(view.case.concerns?.at(-1)).toMatchObject({ summary: 'Night staff asleep on shift', kind: 'whistleBlowing', severity: 'high', concernId: raised.json.concern.concernId });
    expect(view.audit.map((event) => event.action)).toContain('concern added');
    const listed = (await (await product.api('GET', `/api/locations/${MEADOWBANK}/concerns`)).json()) as ConcernRecord[];
    expect(listed.map((item) => item.concernId)).toEqual([raised.json.concern.concernId]);
    // The same request again is the same record.
    expect((await raise({ locationId: MEADOWBANK, kind: 'whistleBlowing', raisedBy: 'a member of staff', summary: 'Night staff asleep on shift', severity: 'high' })).json.concern.concernId).toBe(raised.json.concern.concernId);
    expect(((await (await product.api('GET', `/api/locations/${MEADOWBANK}/concerns`)).json()) as unknown[]).length).toBe(1);
  });

  it('isolated concerns about a home rated Good are kept; the third in 90 days tells the lead officer', async () => {
    const mailBefore = product.allMail().length;
    // Act
    const one = await raise({ locationId: HOMECARE, kind: 'complaint', raisedBy: 'a relative', summary: 'Visits cut short', severity: 'low', raisedOn: '2026-09-01' });
    const two = await raise({ locationId: HOMECARE, kind: 'professionalFeedback', raisedBy: 'district nurse team', summary: 'Care plans out of date', severity: 'medium' });
    expect([one.json.concern.outcome, two.json.concern.outcome]).toEqual(['kept', 'kept']);
    expect(product.allMail().length).toBe(mailBefore);
    const three = await raise({ locationId: HOMECARE, kind: 'serviceQualityFeedback', raisedBy: 'a social worker', summary: 'Missed calls', severity: 'medium' });
    // Assess
    expect(three.json).toMatchObject({ opened: false, concern: { outcome: 'toldLeadOfficer' } });
    expect(three.json.caseId).toBeUndefined();
    const told = product.allMail().slice(mailBefore);
    expect(told).toHaveLength(1);
    expect(told[0]!.subject).toMatch(/^Concerns are adding up: /);
    expect(await product.runtime.deps.store.openCaseFor(HOMECARE)).toBeUndefined();
    const audit = await product.runtime.deps.store.listAudit(`concerns-${HOMECARE}`);
    expect(audit.map((event) => [event.action, event.detail.outcome])).toEqual([['concern recorded', 'kept'], ['concern recorded', 'kept'], ['concern recorded', 'toldLeadOfficer']]);
  });

  it('refuses a concern raised in the future or about a location not on record, saying which', async () => {
    expect((await raise({ locationId: HOMECARE, kind: 'complaint', summary: 'x', raisedOn: '2030-01-01' })).status).toBe(400);
    expect((await raise({ locationId: '1-9999999999', kind: 'complaint', summary: 'x' })).status).toBe(404);
  });
});
