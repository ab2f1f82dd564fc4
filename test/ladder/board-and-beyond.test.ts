/**
 * The Board's rungs: referral, rectification notice, final warning with its six-month deadline,
 * the sustainability review, termination, safeguarding and the year limit. On the local runtime,
 * with the virtual clock; only public interfaces.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OAKFIELD, Product, QIM_ARRANGEMENT, qimOutcome, type CaseView } from '../support/product';
import { addCalendarMonths } from '../../functions/lib/clock';

const TOM = 'tom.reid@westshire.example.gov.uk';
const NOMINATED = 'peter.hale@hawthorn-care-group.example.co.uk';
const MANAGER = 'dev.patel@hawthorn-care-group.example.co.uk';
const FAMILIES = 'families.1-1000000002@westshire.example.gov.uk';
const PROCUREMENT = 'procurement@westshire.example.gov.uk';
const BOARD_MEMBER = 'joan.baker@westshire.example.gov.uk';
const SAFEGUARDING = 'safeguarding.adults@westshire.example.gov.uk';

/** Oakfield (Inadequate) through the formal stage and a QIM that refers it to the Board. */
async function referToBoard(product: Product): Promise<void> {
  await product.ingestDemoRatings([OAKFIELD]);
  await product.officerDecides(TOM, /Approve Quality Improvement Notice — Oakfield/, 'approve');
  await product.officerDecides(TOM, /Arrange Quality Improvement Meeting — Oakfield/, 'arranged', QIM_ARRANGEMENT);
  await product.officerDecides(TOM, /Record QIM Outcome — Oakfield/, 'referToBoard', qimOutcome('suspendNewPlacements', true, ['Appoint a clinical lead | Nominated Individual | 2027-01-15']));
}

function days(from: string, to: string): number {
  return Math.round((new Date(to).getTime() - new Date(from).getTime()) / 86_400_000);
}

describe('the Board and what follows', () => {
  let product: Product;
  beforeEach(async () => {
    product = await Product.start();
  });
  afterEach(async () => product.close());

  it('formal → Board → final warning, no improvement: at six months the Board terminates; letters go; memo RED', async () => {
    await referToBoard(product);
    let view = await product.caseFor(OAKFIELD);
    expect(view.case.stage).toBe('board');
    expect(view.case.memo?.rag).toBe('RED');
    const defaultNotice = product.mailTo(NOMINATED, /Notice of service provider default/);
    expect(defaultNotice.body.text).toContain('Appoint a clinical lead');
    expect(product.mailTo(BOARD_MEMBER, /Board papers: Hawthorn Care Group Ltd — Oakfield/).body.text).toContain('Lead officer: Tom Reid');

    // The Board issues a final warning: six calendar months from the date of issue.
    expect((await product.boardDecides(OAKFIELD, 'finalWarning')).status).toBe(200);
    view = await product.caseFor(OAKFIELD);
    expect(view.case.stage).toBe('finalWarning');
    const issued = new Date(view.case.finalWarningIssuedAt!);
    expect(Math.abs(issued.getTime() - product.runtime.clock.now().getTime())).toBeLessThan(60_000);
    const deadline = new Date(view.case.deadlines.finalWarning!);
    // Six calendar months, clamped at a month's end (31 August → 28/29 February): see test/unit/clock.test.ts.
    expect(deadline.toISOString().slice(0, 10)).toBe(addCalendarMonths(issued, 6).toISOString().slice(0, 10));
    expect(days(issued.toISOString(), deadline.toISOString())).toBeGreaterThanOrEqual(181);
    expect(days(issued.toISOString(), deadline.toISOString())).toBeLessThanOrEqual(184);
    const warning = product.mailTo(NOMINATED, /Final Warning Notice/);
    expect(warning.destination.cc).toEqual(expect.arrayContaining([PROCUREMENT, BOARD_MEMBER, MANAGER]));
    expect(warning.body.text).toContain(deadline.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }));

    // Five months on, nothing has happened yet.
    await product.advance('5 months');
    view = await product.caseFor(OAKFIELD);
    expect(view.case.stage).toBe('finalWarning');

    // At the deadline the case goes to the Board for its final decision.
    await product.advance('32 days');
    view = await product.caseFor(OAKFIELD);
    expect(view.case.stage).toBe('finalDecision');
    expect(product.actions(view)).toContain('final warning deadline reached: referred to the Board for its final decision');
    expect((await product.boardDecides(OAKFIELD, 'terminate', 'No sustained improvement within six months.')).status).toBe(200);

    view = await product.caseFor(OAKFIELD);
    expect(view.case.status).toBe('closed');
    expect(view.case.outcome).toBe('Contract terminated');
    expect(view.case.memo?.rag).toBe('RED');
    const contract = await product.runtime.deps.store.contractForLocation(OAKFIELD);
    expect(contract).toMatchObject({ status: 'terminated', placementsStopped: true });
    expect(product.mailTo(NOMINATED, /Letter of Termination/).destination.cc).toEqual(expect.arrayContaining([MANAGER, PROCUREMENT]));
    expect(product.mailTo(FAMILIES, /About the care at Oakfield/).body.text).toMatch(/help you and your family choose/);
  });

  it('final warning, Board accepts improvement at month three: the review fires six months later and closes', async () => {
    await referToBoard(product);
    await product.boardDecides(OAKFIELD, 'finalWarning');
    await product.advance('3 months');
    expect((await product.boardDecides(OAKFIELD, 'improvementAccepted', 'CQC re-inspection and our visits show sustained improvement.')).status).toBe(200);
    let view = await product.caseFor(OAKFIELD);
    expect(view.case.stage).toBe('review');
    const reviewDue = view.case.deadlines.review!;
    expect(days(product.runtime.clock.now().toISOString(), reviewDue)).toBeGreaterThanOrEqual(181);
    expect(product.mailTo(NOMINATED, /Improvement accepted — review on/).body.text).toContain('no longer on the final warning route');

    await product.advance('5 months');
    expect((await product.caseFor(OAKFIELD)).case.waitingOn?.step).toBe('Await Sustainability Review');
    await product.advance('1 month');
    view = await product.caseFor(OAKFIELD);
    expect(view.case.waitingOn?.step).toBe('Record Review Outcome');
    await product.officerDecides(TOM, /Record Review Outcome — Oakfield/, 'sustained', { note: 'Still Good at the review.' });
    view = await product.caseFor(OAKFIELD);
    expect(view.case.status).toBe('closed');
    expect(view.case.memo?.rag).toBe('GREEN');
  });

  it('the review finds the improvement did not last: back to the Board', async () => {
    await referToBoard(product);
    await product.boardDecides(OAKFIELD, 'finalWarning');
    await product.boardDecides(OAKFIELD, 'improvementAccepted');
    await product.advance('6 months');
    await product.advance('1 day');
    await product.officerDecides(TOM, /Record Review Outcome — Oakfield/, 'notSustained', { note: 'Falls and medicines errors are back.' });
    const view = await product.caseFor(OAKFIELD);
    expect(view.case.stage).toBe('board');
    expect(view.case.waitingOn).toMatchObject({ step: 'Await Board Decision', who: 'board' });
    expect(product.actions(view).filter((action) => action === 'referred to the Board; provider notified of default')).toHaveLength(2);
  });

  it('rectification notice; the next inspection rates Good: it resumes and closes through the Board', async () => {
    await referToBoard(product);
    await product.boardDecides(OAKFIELD, 'rectificationNotice', 'A rectification notice gives them until the next inspection.');
    let view = await product.caseFor(OAKFIELD);
    expect(view.case.stage).toBe('rectification');
    expect(view.case.waitingOn).toMatchObject({ step: 'Await Next Inspection', who: 'inspection' });
    const notice = product.mailTo(NOMINATED, /Rectification notice/);
    expect(notice.destination.cc).toEqual(expect.arrayContaining([MANAGER, BOARD_MEMBER]));
    expect(notice.body.text).toContain('Chair, Commissioning & Quality Board');
    expect(notice.body.text).toMatch(/confirm that you have received/);

    // CQC re-inspects and rates the home Good: ingestion resumes the case.
    await product.advance('4 months');
    await product.publishInspection(OAKFIELD, ['Good', 'Good', 'Good', 'Good', 'Good', 'Good'], '20/03/2027');
    view = await product.caseFor(OAKFIELD);
    expect(view.case.lastInspection).toMatchObject({ belowGood: false });
    expect(view.case.waitingOn?.step).toBe('Await Board Decision');
    expect(product.actions(view)).toContain('next inspection reported to the Board');

    expect((await product.boardDecides(OAKFIELD, 'close', 'Rated Good at re-inspection.')).status).toBe(200);
    view = await product.caseFor(OAKFIELD);
    expect(view.case.status).toBe('closed');
  });

  it('safeguarding transfer during the formal stage, and return to it', async () => {
    await product.ingestDemoRatings([OAKFIELD]);
    await product.officerDecides(TOM, /Approve Quality Improvement Notice — Oakfield/, 'approve');
    await product.officerDecides(TOM, /Arrange Quality Improvement Meeting — Oakfield/, 'safeguarding', { note: 'Several residents with unexplained bruising.' });
    let view: CaseView = await product.caseFor(OAKFIELD);
    expect(view.case.stage).toBe('safeguarding');
    expect(view.case.returnStage).toBe('qim');
    const referral = product.mailTo(SAFEGUARDING, /Whole-service safeguarding concern: Oakfield/);
    expect(referral.destination.cc).toContain(TOM);

    await product.officerDecides(SAFEGUARDING, /Whole-service safeguarding concern: Oakfield/, 'returnToQualityProcess', { note: 'Safeguarding enquiry concluded.' });
    view = await product.caseFor(OAKFIELD);
    expect(view.case.stage).toBe('qim');
    expect(view.case.waitingOn?.step).toBe('Arrange Quality Improvement Meeting');
    expect(product.actions(view)).toEqual(expect.arrayContaining(['passed to safeguarding', 'returned from safeguarding']));
    // The officer is asked again, with fresh links, for the step the case left.
    const again = product.allMail().filter((email) => email.destination.to.includes(TOM) && /Arrange Quality Improvement Meeting/.test(email.subject));
    expect(again).toHaveLength(2);
  });

  it("safeguarding while the Board's final warning runs, and back to it with the deadline unchanged", async () => {
    await referToBoard(product);
    await product.boardDecides(OAKFIELD, 'finalWarning');
    const deadline = (await product.caseFor(OAKFIELD)).case.deadlines.finalWarning;
    await product.advance('1 month');
    // The step waits on the Board, but the lead officer was given a way to safeguarding.
    await product.officerDecides(TOM, /For information: Await Final Warning Outcome — Oakfield/, 'safeguarding', { note: 'Whistle-blower reports neglect at night.' });
    let view = await product.caseFor(OAKFIELD);
    expect(view.case).toMatchObject({ stage: 'safeguarding', returnStage: 'finalWarning' });
    await product.advance('2 weeks');
    await product.officerDecides(SAFEGUARDING, /Whole-service safeguarding concern: Oakfield/, 'returnToQualityProcess');
    view = await product.caseFor(OAKFIELD);
    expect(view.case.stage).toBe('finalWarning');
    expect(view.case.waitingOn?.step).toBe('Await Final Warning Outcome');
    expect(view.case.deadlines.finalWarning).toBe(deadline);
    // The deadline still fires on time.
    await product.runtime.clock.advanceTo(new Date(new Date(deadline!).getTime() + 60_000));
    await product.runtime.idle();
    expect((await product.caseFor(OAKFIELD)).case.stage).toBe('finalDecision');
  });

  it("safeguarding while waiting for the next inspection: the lead officer's link works", async () => {
    await referToBoard(product);
    await product.boardDecides(OAKFIELD, 'rectificationNotice');
    await product.officerDecides(TOM, /For information: Await Next Inspection — Oakfield/, 'safeguarding');
    expect((await product.caseFor(OAKFIELD)).case).toMatchObject({ stage: 'safeguarding', returnStage: 'rectification' });
  });

  it('a case running past a year continues as a new execution with its full history', async () => {
    await referToBoard(product);
    await product.boardDecides(OAKFIELD, 'rectificationNotice');
    // No inspection for a long time: the check-ins keep coming and the execution is renewed.
    for (let quarter = 0; quarter < 5; quarter += 1) await product.advance('3 months');
    const view = await product.caseFor(OAKFIELD);
    expect(view.case.status).toBe('open');
    expect(view.case.stage).toBe('rectification');
    expect(view.case.executions.length).toBeGreaterThanOrEqual(2);
    expect(view.case.generation).toBe(view.case.executions.length);
    expect(product.actions(view)).toContain('continued as a new execution');
    // The whole history is still on the case: the first event is still the opening.
    expect(view.audit[0]?.action).toBe('case opened');
    const first = view.case.executions[0]!.executionArn;
    const last = view.case.executions.at(-1)!.executionArn;
    // Step Functions forgets a closed execution 90 days on (as AWS does); the case keeps the history.
    expect(() => product.runtime.engine.describeExecution({ executionArn: first })).toThrow('Execution Does Not Exist');
    const current = await product.runtime.engine.describeExecution({ executionArn: last });
    expect(current.status).toBe('RUNNING');
    // And the new execution still answers the next inspection.
    await product.publishInspection(OAKFIELD, ['Requires improvement', 'Good', 'Good', 'Good', 'Good', 'Requires improvement'], '01/02/2028');
    expect((await product.caseFor(OAKFIELD)).case.lastInspection?.belowGood).toBe(true);
  });
});
