/**
 * The provider's side, on the local runtime and driven only through the links in the emails: the
 * provider confirms two letters and leaves others (the daily sweep reminds it and tells the
 * officer), and answers the evidence before the Board with a document (in the papers' addendum,
 * on the case page, downloadable only as an attachment).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OAKFIELD, Product, QIM_ARRANGEMENT, qimOutcome } from '../support/product';
import type { SentEmail } from '../../local/ses';

const TOM = 'tom.reid@westshire.example.gov.uk';
const NOMINATED = 'peter.hale@hawthorn-care-group.example.co.uk';
const MANAGER = 'dev.patel@hawthorn-care-group.example.co.uk';
const BOARD_MEMBER = 'joan.baker@westshire.example.gov.uk';

/** The confirm-receipt link for one addressee in a letter. */
function receiptLink(email: SentEmail, addressee: string): string {
  const match = new RegExp(`href="([^"]*/provider/[^"]+)">Confirm receipt \\(${addressee.replace(/[.]/g, '\\.')}\\)`).exec(email.body.html ?? '');
  if (!match) throw new Error(`No confirm-receipt link for ${addressee} in "${email.subject}"`);
  return match[1]!.replaceAll('&amp;', '&');
}

function providerLink(email: SentEmail, label: string): string {
  const match = new RegExp(`href="([^"]*/provider/[^"]+)">${label}`).exec(email.body.html ?? '');
  if (!match) throw new Error(`No "${label}" link in "${email.subject}"`);
  return match[1]!.replaceAll('&amp;', '&');
}

async function confirm(product: Product, link: string, name: string): Promise<{ status: number; page: string }> {
  const page = await (await fetch(link)).text();
  const formToken = /name="formToken" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const response = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ formToken, name }).toString() });
  const result = { status: response.status, page: await response.text() };
  await product.runtime.idle();
  return result;
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

describe("the provider's side", () => {
  let product: Product;
  beforeEach(async () => {
    product = await Product.start();
  });
  afterEach(async () => product.close());

  it('confirms two letters and ignores two: the sweep reminds the provider and tells the officer once; the case page shows who confirmed', async () => {
    await product.ingestDemoRatings([OAKFIELD]);
    await product.officerDecides(TOM, /Approve Quality Improvement Notice — Oakfield/, 'approve');
    const notice = product.mailTo(NOMINATED, /Formal Quality Improvement Notice: Oakfield/);
    const cpn = product.mailTo(NOMINATED, /Contract Performance Notice/);
    // One link per addressee at the provider; none for the council's own copies.
    expect(notice.body.text).toContain('CONFIRM RECEIPT');
    expect(() => receiptLink(notice, TOM)).toThrow();
    const viewed = await fetch(receiptLink(notice, NOMINATED));
    expect(viewed.status).toBe(200);
    // GET never acts: opening the page twice records nothing.
    await fetch(receiptLink(notice, NOMINATED));
    let view = await product.caseFor(OAKFIELD);
    expect(product.actions(view)).not.toContain('provider confirmed receipt');

    expect((await confirm(product, receiptLink(notice, NOMINATED), 'Peter Hale')).status).toBe(200);
    expect((await confirm(product, receiptLink(cpn, NOMINATED), 'Peter Hale')).status).toBe(200);
    // Replayed: the link worked once.
    const again = await confirm(product, receiptLink(notice, NOMINATED), 'Peter Hale');
    expect(again.status).toBe(409);
    view = await product.caseFor(OAKFIELD);
    expect(product.actions(view).filter((action) => action === 'provider confirmed receipt')).toHaveLength(2);
    expect(view.audit.find((event) => event.action === 'provider confirmed receipt')?.actor).toBe(`Peter Hale (${NOMINATED})`);

    product.newMail();
    // Five working days end on Monday 23 November at 9am; the 7am sweep on Tuesday 24 finds them overdue.
    await product.advance('6 days');
    expect(product.newMail().filter((email) => /^Please confirm you received/.test(email.subject))).toEqual([]);
    await product.advance('2 days');
    const fresh = product.newMail();
    const reminders = fresh.filter((email) => /^Please confirm you received/.test(email.subject));
    expect(reminders.map((email) => email.destination.to)).toEqual([[MANAGER], [MANAGER]]);
    expect(reminders[0]!.body.html).toContain('/provider/');
    const told = fresh.filter((email) => /^Not confirmed by the provider/.test(email.subject));
    expect(told).toHaveLength(1);
    expect(told[0]!.destination.to).toEqual([TOM]);
    expect(told[0]!.body.text).toContain(MANAGER);
    // Told once: later sweeps send nothing more.
    await product.advance('3 days');
    expect(product.newMail().filter((email) => /^(Please confirm you received|Not confirmed by the provider)/.test(email.subject))).toEqual([]);

    const page = await (await fetch(`${product.url}/cases/${view.case.caseId}`, { headers: { authorization: `Bearer ${product.runtime.adminToken}` } })).text();
    expect(page).toContain("The provider's side");
    expect(page).toContain(`Peter Hale (${NOMINATED})`);
    expect(page).toContain('Not confirmed (overdue)');
  });

  it('answers the evidence before the Board with a PDF: the members get an addendum; the case and the Board page show it; the file only downloads', async () => {
    await product.ingestDemoRatings([OAKFIELD]);
    await product.officerDecides(TOM, /Approve Quality Improvement Notice — Oakfield/, 'approve');
    await product.officerDecides(TOM, /Arrange Quality Improvement Meeting — Oakfield/, 'arranged', QIM_ARRANGEMENT);
    await product.officerDecides(TOM, /Record QIM Outcome — Oakfield/, 'referToBoard', qimOutcome('suspendNewPlacements', false, ['Appoint a clinical lead | Nominated Individual | 2027-01-15']));
    const invitation = product.mailTo(NOMINATED, /Your chance to respond before the Board: Oakfield/);
    expect(invitation.body.text).toContain('CQC overall rating: Inadequate');
    expect(invitation.body.text).toContain('30 November 2026'); // 14 days from 16 November
    const papers = product.mailTo(BOARD_MEMBER, /Board papers: .* Oakfield/);
    expect(papers.body.text).toContain('Invited to respond by 30 November 2026; no response yet');
    expect(papers.body.text).toContain('LETTERS TO THE PROVIDER: RECEIPT');

    const link = providerLink(invitation, 'Respond to the evidence');
    const page = await (await fetch(link)).text();
    expect(page).toContain('What the Board will be given');
    const formToken = /name="formToken" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const post = (file: { name: string; body: Buffer }) => {
      const form = new FormData();
      form.set('formToken', formToken);
      form.set('name', 'Peter Hale');
      form.set('response', 'A clinical lead started on 20 November; the night staffing rota is attached.');
      form.set('evidence1', new Blob([file.body]), file.name);
      return fetch(link, { method: 'POST', body: form });
    };
    // Type by content: an executable named .pdf is refused, and so is a double extension.
    const fake = await post({ name: 'rota.pdf', body: Buffer.from('MZ\x90\x00 this is not a pdf') });
    expect(fake.status).toBe(400);
    expect(await fake.text()).toContain('is not a PDF, an image or an Office document');
    const double = await post({ name: 'rota.pdf.exe', body: PDF });
    expect(double.status).toBe(400);

    const sent = await post({ name: 'Night rota <Dec>.pdf', body: PDF });
    expect(sent.status, await sent.clone().text()).toBe(200);
    await product.runtime.idle();
    const replay = await post({ name: 'rota.pdf', body: PDF });
    expect(replay.status).toBe(409);

    const addendum = product.mailTo(BOARD_MEMBER, /Addendum to the Board papers: the provider's response/);
    expect(addendum.body.text).toContain('A clinical lead started on 20 November');
    expect(addendum.body.text).toContain('Night_rota_Dec_.pdf');
    const view = await product.caseFor(OAKFIELD);
    expect(product.actions(view)).toEqual(expect.arrayContaining(['provider responded to the evidence', "provider's response sent to the Board as an addendum"]));

    const auth = { authorization: `Bearer ${product.runtime.adminToken}` };
    const casePage = await (await fetch(`${product.url}/cases/${view.case.caseId}`, { headers: auth })).text();
    const href = /href="(\/cases\/[^"]+\/evidence\/[^"]+)"/.exec(casePage)?.[1];
    expect(href).toBeDefined();
    const file = await fetch(`${product.url}${href}`, { headers: auth });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toBe('attachment; filename="Night_rota_Dec_.pdf"');
    expect(file.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await file.arrayBuffer()).equals(PDF)).toBe(true);
    // Nobody signed in gets the file.
    const anonymous = await fetch(`${product.url}${href}`, { redirect: 'manual' });
    expect(anonymous.headers.get('content-disposition')).toBeNull();
    expect([302, 303, 401]).toContain(anonymous.status);

    // The Board's decision page says the provider responded.
    const today = product.runtime.clock.now().toISOString().slice(0, 10);
    const meeting = (await (await product.api('POST', '/board/meetings', { date: today, attendees: ['priya-shah', 'mark-ellis', 'joan-baker'], virtual: true })).json()) as { meetingId: string };
    const meetingPage = await (await fetch(`${product.url}/board-meetings/${meeting.meetingId}`, { headers: auth })).text();
    expect(meetingPage).toMatch(/Provider's response to the evidence: Responded on .* with 1 document/);
  });
});
