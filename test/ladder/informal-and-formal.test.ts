/**
 * The ladder's first rungs, on the local runtime, driven only through public interfaces:
 * ratings upload, email links, the case API.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dateFields, daysFromToday, HOMECARE, MEADOWBANK, OAKFIELD, Product, QIM_ARRANGEMENT, QIM_DATE, qimOutcome } from '../support/product';
import { longDate } from '../../functions/lib/dates';

const AISHA = 'aisha.khan@westshire.example.gov.uk';
const TOM = 'tom.reid@westshire.example.gov.uk';
const MEADOWBANK_MANAGER = 'ruth.dale@hawthorn-care-group.example.co.uk';
const OAKFIELD_MANAGER = 'dev.patel@hawthorn-care-group.example.co.uk';
const HAWTHORN_NOMINATED = 'peter.hale@hawthorn-care-group.example.co.uk';

describe('the informal stage', () => {
  let product: Product;
  beforeEach(async () => {
    product = await Product.start();
  });
  afterEach(async () => product.close());

  it('a Requires-improvement rating opens an informal case; no further action closes it and the provider is told', async () => {
    // Prepare: CQC publishes Meadowbank House as Requires improvement.
    await product.ingestDemoRatings([MEADOWBANK]);
    let view = await product.caseFor(MEADOWBANK);
    expect(view.case.stage).toBe('informal');
    expect(view.case.leadOfficer).toBe('aisha-khan');
    expect(view.case.waitingOn?.step).toBe('Await Informal Outcome');

    // Act: the lead officer records the outcome of the informal contact from her email.
    const request = product.mailTo(AISHA, /Informal Outcome — Meadowbank House/);
    expect(request.body.text).toContain('Requires improvement');
    await product.officerDecides(AISHA, /Informal Outcome — Meadowbank House/, 'noFurtherAction', { note: 'Manager has a plan for the Safe findings.' });

    // Assess: written confirmation to the provider, case closed, audit trail complete.
    const confirmation = product.mailTo(MEADOWBANK_MANAGER, /Outcome of our informal discussion/);
    expect(confirmation.destination.cc).toContain('peter.hale@hawthorn-care-group.example.co.uk');
    expect(confirmation.body.text).toContain('no further action');
    expect(confirmation.body.text).toContain('Manager has a plan for the Safe findings.');
    view = await product.caseFor(MEADOWBANK);
    expect(view.case.status).toBe('closed');
    expect(view.case.outcome).toMatch(/No further action/);
    expect(product.actions(view)).toEqual([
      'case opened',
      'decision requested',
      'decision recorded',
      'informal outcome confirmed to provider',
      'case closed',
    ]);
    expect(view.audit.find((event) => event.action === 'decision recorded')?.actor).toBe('aisha-khan');
    expect(view.tasks.map((task) => task.status)).toEqual(['used']);
  });

  it('Good overall with a key question Requires improvement opens an informal contact', async () => {
    await product.ingestDemoRatings([HOMECARE]);
    const view = await product.caseFor(HOMECARE);
    expect(view.case.stage).toBe('informal');
    expect(view.case.trigger).toMatch(/Effective/);
  });
});

describe('the formal stage', () => {
  let product: Product;
  beforeEach(async () => {
    product = await Product.start();
  });
  afterEach(async () => product.close());

  it('informal → formal → QIM → resolved: visits suspended then reinstated, memo AMBER then GREEN', async () => {
    // Prepare: an informal case the officer moves to the formal stage.
    await product.ingestDemoRatings([MEADOWBANK]);
    await product.officerDecides(AISHA, /Informal Outcome — Meadowbank House/, 'formalStage', { note: 'Concerns persist.' });
    expect(product.mailTo(MEADOWBANK_MANAGER, /Outcome of our informal discussion/).body.text).toContain('formal stage');

    // The Formal Quality Improvement Notice waits for the officer's approval before it goes.
    let view = await product.caseFor(MEADOWBANK);
    expect(view.case.stage).toBe('formal');
    expect(() => product.mailTo(HAWTHORN_NOMINATED, /Formal Quality Improvement Notice/)).toThrow();
    await product.officerDecides(AISHA, /Approve Quality Improvement Notice/, 'approve');
    const notice = product.mailTo(HAWTHORN_NOMINATED, /Formal Quality Improvement Notice: Meadowbank House/);
    expect(notice.destination.to).toEqual([HAWTHORN_NOMINATED, MEADOWBANK_MANAGER]);
    expect(notice.body.text).toMatch(/contract visits are suspended/i);
    expect((await product.runtime.deps.store.contractForLocation(MEADOWBANK))?.contractVisits).toBe('suspended');

    // The QIM is arranged and the invitation sent with date, time, venue and who is expected.
    await product.officerDecides(AISHA, /Arrange Quality Improvement Meeting/, 'arranged', QIM_ARRANGEMENT);
    const invitation = product.mailTo(MEADOWBANK_MANAGER, /Invitation to a Quality Improvement Meeting/);
    expect(invitation.body.text).toContain(`Date: ${longDate(QIM_DATE)}`);
    expect(invitation.body.text).toContain('Time: 10:30am');
    expect(invitation.body.text).toContain('District nurse team lead');
    view = await product.caseFor(MEADOWBANK);
    expect(view.case.qim?.venue).toContain('Church Road');

    // First QIM: place with restrictions (AMBER), tell families, follow-up meeting.
    await product.officerDecides(AISHA, /Record QIM Outcome/, 'followUp', qimOutcome('placeWithRestrictions', true, ['Retrain staff on medicines | Registered Manager | 2027-01-31']));
    view = await product.caseFor(MEADOWBANK);
    expect(view.case.memo?.rag).toBe('AMBER');
    expect(view.case.commissioningPosition).toBe('placeWithRestrictions');
    expect(view.case.improvementPlan).toEqual([{ action: 'Retrain staff on medicines', owner: 'Registered Manager', due: '2027-01-31' }]);
    expect(product.mailTo('families.1-1000000001@westshire.example.gov.uk', /About the care at Meadowbank House/).body.text).toMatch(/concerns/);

    // Follow-up QIM: resolved; visits reinstated, memo GREEN, case closed.
    await product.officerDecides(AISHA, /Arrange Quality Improvement Meeting/, 'arranged', { ...QIM_ARRANGEMENT, ...dateFields('date', daysFromToday(80)) });
    await product.officerDecides(AISHA, /Record QIM Outcome/, 'resolved', qimOutcome('noFurtherAction', false, []));
    view = await product.caseFor(MEADOWBANK);
    expect(view.case.status).toBe('closed');
    expect(view.case.memo?.rag).toBe('GREEN');
    expect(view.case.qimCount).toBe(2);
    expect((await product.runtime.deps.store.contractForLocation(MEADOWBANK))?.contractVisits).toBe('scheduled');
    expect(product.actions(view)).toContain('contract visits reinstated');
    expect(product.mailTo(MEADOWBANK_MANAGER, /Quality process closed/).body.text).toContain('Resolved');
  });

  it('an Inadequate rating goes straight to the formal stage, with a Contract Performance Notice for NHS-funded nursing', async () => {
    await product.ingestDemoRatings([OAKFIELD]);
    const view = await product.caseFor(OAKFIELD);
    expect(view.case.stage).toBe('formal');
    await product.officerDecides(TOM, /Approve Quality Improvement Notice — Oakfield/, 'approve');
    const performance = product.mailTo(HAWTHORN_NOMINATED, /Contract Performance Notice/);
    expect(performance.destination.cc).toContain(OAKFIELD_MANAGER);
    expect(performance.body.text).toContain('Westshire Integrated Care Board');
  });
});
