/**
 * Retries and races that must not change a case's course: an administrator's retry after a
 * failure, Step Functions briefly unreachable, two resumes at once, a case reopened the same day,
 * Board papers re-sent by reminders, and API changes on a cookie alone.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ListExecutionsCommand, StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { MEADOWBANK, OAKFIELD, Product, QIM_ARRANGEMENT, QIM_DATE, qimOutcome } from '../support/product';
import { longDate } from '../../functions/lib/dates';

const AISHA = 'aisha.khan@westshire.example.gov.uk';
const TOM = 'tom.reid@westshire.example.gov.uk';
const ADMIN = 'escalation.admin@westshire.example.gov.uk';

async function adminRetries(product: Product, step: string): Promise<void> {
  const request = product.mailTo(ADMIN, new RegExp(`${step}: Await Retry`));
  await product.officerDecides(ADMIN, new RegExp(request.subject.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'retry');
}

describe('retries and races', () => {
  let product: Product;
  beforeEach(async () => {
    product = await Product.start();
  });
  afterEach(async () => product.close());

  it("an administrator's retry keeps the officer's decision, and sends only the letters still missing", async () => {
    await product.ingestDemoRatings([MEADOWBANK, OAKFIELD]);
    // The confirmation to Meadowbank is rejected outright (no point retrying): the step fails.
    product.runtime.ses.failNext(1, 'MessageRejected');
    await product.officerDecides(AISHA, /Informal Outcome — Meadowbank/, 'formalStage');
    expect((await product.caseFor(MEADOWBANK)).case.lastFailure?.step).toBe('Confirm Informal Outcome');
    await adminRetries(product, 'Confirm Informal Outcome');
    const meadowbank = await product.caseFor(MEADOWBANK);
    expect(meadowbank.case.status).toBe('open');
    expect(meadowbank.case.stage).toBe('formal');
    expect(product.mailTo('ruth.dale@hawthorn-care-group.example.co.uk', /Outcome of our informal discussion/).body.text).toContain('formal stage');

    // Oakfield: the notice goes, the ICB's notice is rejected; after the retry only the latter goes.
    product.runtime.ses.failNext(1, 'MessageRejected', 1);
    await product.officerDecides(TOM, /Approve Quality Improvement Notice — Oakfield/, 'approve');
    await adminRetries(product, 'Send Quality Improvement Notice');
    expect(product.allMail().filter((email) => /Formal Quality Improvement Notice: Oakfield/.test(email.subject))).toHaveLength(1);
    expect(product.allMail().filter((email) => /Contract Performance Notice/.test(email.subject))).toHaveLength(1);

    // And a retried QIM invitation still has the meeting's details.
    product.runtime.ses.failNext(1, 'MessageRejected');
    await product.officerDecides(TOM, /Arrange Quality Improvement Meeting — Oakfield/, 'arranged', QIM_ARRANGEMENT);
    await adminRetries(product, 'Send QIM Invitation');
    expect(product.mailTo('dev.patel@hawthorn-care-group.example.co.uk', /Invitation to a Quality Improvement Meeting/).body.text).toContain(`Date: ${longDate(QIM_DATE)}`);
    expect((await product.caseFor(OAKFIELD)).case.waitingOn?.step).toBe('Record QIM Outcome');
  });

  it('Step Functions briefly unreachable: the decision is kept, the officer is told it is being recorded, and pressing again finishes it once', async () => {
    await product.ingestDemoRatings([MEADOWBANK]);
    const sfn = product.runtime.deps.sfn as SFNClient & { send: (...args: unknown[]) => Promise<unknown> };
    const original = sfn.send.bind(sfn);
    let failures = 1;
    sfn.send = async (...args: unknown[]) => {
      if (failures > 0 && (args[0] as { constructor: { name: string } }).constructor.name === 'SendTaskSuccessCommand') {
        failures -= 1;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      }
      return (original as (...inner: unknown[]) => Promise<unknown>)(...args);
    };
    try {
      const link = product.linkIn(product.mailTo(AISHA, /Informal Outcome — Meadowbank/), 'noFurtherAction');
      const formToken = /name="formToken" value="([^"]+)"/.exec(await (await fetch(link)).text())?.[1] ?? '';
      const press = async () => {
        const response = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ formToken }).toString() });
        const page = await response.text();
        await product.runtime.idle();
        return { status: response.status, page };
      };
      const first = await press();
      expect(first.status).toBe(202);
      expect(first.page).toMatch(/being recorded/);
      let view = await product.caseFor(MEADOWBANK);
      expect(view.tasks.find((task) => task.taskId === view.case.pendingTaskId)?.status).toBe('decided');
      expect(product.actions(view).filter((action) => action === 'decision recorded')).toHaveLength(1);
      // The link now says so (not "already used"), and pressing again (browser resubmit) passes it on.
      expect(await (await fetch(link)).text()).toMatch(/being recorded/);
      const second = await press();
      expect(second.status).toBe(200);
      expect(second.page).toMatch(/Decision recorded/);
      view = await product.caseFor(MEADOWBANK);
      expect(view.case.status).toBe('closed');
      expect(product.actions(view).filter((action) => action === 'decision recorded')).toHaveLength(1);
      expect(product.allMail().filter((item) => /Quality process closed|closed/i.test(item.subject) && item.destination.to.includes('ruth.dale@hawthorn-care-group.example.co.uk'))).toHaveLength(1);
    } finally {
      sfn.send = original;
    }
  });

  it('two resumes at once start one execution', async () => {
    await product.ingestDemoRatings([MEADOWBANK]);
    const view = await product.caseFor(MEADOWBANK);
    await product.runtime.deps.sfn.send(new StopExecutionCommand({ executionArn: view.case.executions.at(-1)!.executionArn }));
    const [a, b] = await Promise.all([product.api('POST', '/admin/resume'), product.api('POST', '/admin/resume')]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const running = await product.runtime.deps.sfn.send(new ListExecutionsCommand({ stateMachineArn: product.runtime.stateMachineArn, statusFilter: 'RUNNING' }));
    expect(running.executions).toHaveLength(1);
    expect(product.allMail().filter((email) => /Informal Outcome — Meadowbank/.test(email.subject))).toHaveLength(2);
  });

  it('a location whose case closed today can have a new case today', async () => {
    await product.ingestDemoRatings([MEADOWBANK]);
    await product.officerDecides(AISHA, /Informal Outcome — Meadowbank/, 'noFurtherAction');
    const closed = await product.caseFor(MEADOWBANK);
    expect(closed.case.status).toBe('closed');
    const response = await product.api('POST', '/admin/cases', { locationId: MEADOWBANK, concern: 'A whistle-blower called this afternoon.' });
    const opened = (await response.json()) as { caseId: string; opened: boolean };
    expect(response.status).toBe(201);
    expect(opened.opened).toBe(true);
    expect(opened.caseId).not.toBe(closed.case.caseId);
    expect((await product.caseFor(MEADOWBANK)).case.status).toBe('open');
  });

  it('refuses a concern naming a lead officer who is not configured', async () => {
    await product.ingestDemoRatings([MEADOWBANK]);
    const response = await product.api('POST', '/admin/cases', { locationId: MEADOWBANK, concern: 'x', leadOfficer: 'Aisha Khan' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/not a configured officer.*aisha-khan/);
  });

  it('Board papers re-sent by a reminder do not move the date members first had them', async () => {
    await product.ingestDemoRatings([OAKFIELD]);
    await product.officerDecides(TOM, /Approve Quality Improvement Notice — Oakfield/, 'approve');
    await product.officerDecides(TOM, /Arrange Quality Improvement Meeting — Oakfield/, 'arranged', QIM_ARRANGEMENT);
    await product.officerDecides(TOM, /Record QIM Outcome — Oakfield/, 'referToBoard', qimOutcome('suspendNewPlacements', false, []));
    const referred = product.runtime.clock.now();
    await product.advance('10 days');
    const meetingDay = product.runtime.clock.now().toISOString().slice(0, 10);
    await product.advance('25 days'); // past the 30-day reminder, which re-sends the papers
    const papers = product.allMail().filter((email) => /Board papers: .* Oakfield/.test(email.subject) && email.destination.to.includes('joan.baker@westshire.example.gov.uk'));
    expect(papers).toHaveLength(2);
    expect(papers[1]!.body.text).toMatch(/reminder 1/);
    const meeting = (await (await product.api('POST', '/board/meetings', { date: meetingDay, attendees: ['priya-shah', 'mark-ellis', 'joan-baker'] })).json()) as { meetingId: string };
    const view = await product.caseFor(OAKFIELD);
    expect(view.case.waitingOn?.since.slice(0, 10)).toBe(referred.toISOString().slice(0, 10));
    const decided = await product.api('POST', '/board/decisions', { meetingId: meeting.meetingId, caseId: view.case.caseId, decision: 'rectificationNotice', rationale: 'Decided at the meeting ten days after referral.' });
    expect(decided.status).toBe(200);
  });

  it('the JSON API changes nothing on a session cookie alone (no Authorization header)', async () => {
    const cookie = `session=${product.runtime.adminToken}`;
    const response = await fetch(`${product.url}/board/meetings/schedule`, { method: 'POST', headers: { cookie, 'content-type': 'text/plain' }, body: JSON.stringify({ date: '2099-01-01' }) });
    expect(response.status).toBe(401);
    const clock = await fetch(`${product.url}/local/clock`, { method: 'POST', headers: { cookie, 'content-type': 'text/plain' }, body: JSON.stringify({ by: '6 months' }) });
    expect(clock.status).toBe(401);
    expect((await (await product.api('GET', '/board/meetings')).json()) as unknown[]).toEqual([]);
  });
});
