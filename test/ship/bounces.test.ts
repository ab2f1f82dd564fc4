/**
 * Bounces and complaints, end to end on the local runtime: SES accepts a letter, then reports
 * through the configuration set's event destination (SNS → the mail-events function) that it
 * bounced or drew a complaint. The letter's record on the case is marked, the case page shows it,
 * the lead officer is told by email, and a report delivered twice is recorded once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAKFIELD, Product } from '../support/product';
import { demoContracts } from '../../local/demo';
import { createMailEventsHandler } from '../../functions/mail-events/handler';
import { simulatedEvent } from '../../local/ses';

const TOM = 'tom.reid@westshire.example.gov.uk';
const oakfield = demoContracts().find((contract) => contract.locationId === OAKFIELD)!;
const MANAGER = oakfield.registeredManager!.email;
const NOMINATED = oakfield.nominatedIndividual!.email;

let product: Product;
beforeAll(async () => {
  product = await Product.start({ mailSimulator: { bounce: [MANAGER], complaint: [NOMINATED] } });
  await product.ingestDemoRatings([OAKFIELD]);
  // Act (for every test below): the notice goes to the Nominated Individual and the Registered Manager.
  await product.officerDecides(TOM, /Approve Quality Improvement Notice — Oakfield/, 'approve');
});
afterAll(async () => product?.close());

describe('a letter that bounces, or draws a complaint', () => {
  it("is marked on the email's record and in the audit trail", async () => {
    // Assess
    const view = await product.caseFor(OAKFIELD);
    const notice = view.emails.find((email) => email.kind === 'qualityImprovementNotice')!;
    expect(notice.feedback.map((item) => [item.type, item.recipients])).toEqual(
      expect.arrayContaining([
        ['bounce', [MANAGER]],
        ['complaint', [NOMINATED]],
      ]),
    );
    expect(notice.feedback.find((item) => item.type === 'bounce')?.detail).toMatch(/Permanent \(General\) bounce; smtp; 550 5\.1\.1 user unknown/);
    expect(product.actions(view)).toEqual(expect.arrayContaining(['email bounced', 'complaint about an email']));
  });

  it('is told to the lead officer by email', () => {
    // Assess
    const bounced = product.mailTo(TOM, /^Not delivered: "Formal Quality Improvement Notice/);
    expect(bounced.body.text).toContain(MANAGER);
    expect(bounced.body.text).toMatch(/did not reach/);
    expect(product.mailTo(TOM, /^Complaint received: "Formal Quality Improvement Notice/).body.text).toContain(NOMINATED);
  });

  it('shows on the case page', async () => {
    // Act
    const view = await product.caseFor(OAKFIELD);
    const response = await fetch(`${product.url}/cases/${view.case.caseId}`, { headers: { authorization: `Bearer ${product.runtime.adminToken}`, accept: 'text/html' } });
    const html = await response.text();
    // Assess
    expect(response.status).toBe(200);
    const block = html.slice(html.indexOf('Mail problems'), html.indexOf('</section>', html.indexOf('Mail problems')));
    expect(block).toContain('Formal Quality Improvement Notice');
    expect(block).toMatch(new RegExp(`Bounced</strong> ${MANAGER.replace(/[.]/g, '\\.')}`));
    expect(block).toMatch(/Complaint<\/strong>/);
  });

  it('is recorded once when SNS delivers the same report twice', async () => {
    // Prepare: the report SES made for the notice, delivered again.
    const view = await product.caseFor(OAKFIELD);
    const notice = view.emails.find((email) => email.kind === 'qualityImprovementNotice')!;
    const sent = product.allMail().find((email) => email.messageId === notice.messageId)!;
    const report = simulatedEvent(sent, 'Bounce', [MANAGER], product.runtime.clock.now()) as unknown as { bounce: { feedbackId: string } };
    report.bounce.feedbackId = notice.feedback.find((item) => item.type === 'bounce')!.feedbackId;
    const handler = createMailEventsHandler(async () => product.runtime.deps);
    const sns = { Records: [{ EventSource: 'aws:sns', Sns: { MessageId: 'again', TopicArn: 'arn:aws:sns:eu-west-2:000000000000:mail-events', Message: JSON.stringify(report) } }] };
    const noticesBefore = product.allMail().filter((email) => /^Not delivered/.test(email.subject)).length;
    // Act
    const result = await handler(sns, {} as never);
    // Assess
    expect(result).toEqual({ outcomes: ['duplicate'] });
    expect(product.allMail().filter((email) => /^Not delivered/.test(email.subject))).toHaveLength(noticesBefore);
    expect((await product.caseFor(OAKFIELD)).emails.find((email) => email.messageId === notice.messageId)!.feedback.filter((item) => item.type === 'bounce')).toHaveLength(1);
  });

  it('is refused by name when the message is not an SES event record', async () => {
    const handler = createMailEventsHandler(async () => product.runtime.deps);
    const sns = { Records: [{ EventSource: 'aws:sns', Sns: { MessageId: 'm1', TopicArn: 't', Message: JSON.stringify({ notificationType: 'Bounce' }) } }] };
    await expect(handler(sns, {} as never)).rejects.toMatchObject({ name: 'InvalidMailEvent', message: expect.stringMatching(/Records\.0\.Sns\.Message \(m1\) is not an SES event record: eventType/) });
  });
});
