/**
 * Approve what you see: the approval page for a notice shows the letters exactly as they will go
 * (recipients, subject, body); what is approved is what is sent (a hash of the letters on the
 * task); a change after the page was opened makes the page ask again, and a change after the
 * approval makes the step ask again. On the local runtime, through the real links and workflow.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OAKFIELD, Product } from '../support/product';
import { approvedLetters, LetterChanged, lettersHash } from '../../functions/ladder/outgoing';
import { buildEscalationDefinition } from '../../workflows/escalation';
import type { Email } from '../../functions/lib/mailer';

const TOM = 'tom.reid@westshire.example.gov.uk';
const NOMINATED = 'peter.hale@hawthorn-care-group.example.co.uk';
const APPROVAL = /Approve Quality Improvement Notice — Oakfield/;

function visibleText(page: string): string {
  return page.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');
}

describe('approving a notice', () => {
  let product: Product;
  beforeEach(async () => {
    product = await Product.start();
    // Prepare: Oakfield (Inadequate, NHS-funded nursing) waits for Tom to approve its notices.
    await product.ingestDemoRatings([OAKFIELD]);
  });
  afterEach(async () => product.close());

  it('the approval page shows both letters as they will go, and what goes is what was shown', async () => {
    // Act: Tom opens the approval link.
    const link = product.linkIn(product.mailTo(TOM, APPROVAL), 'approve');
    const page = await (await fetch(link)).text();

    // Assess: recipients, subjects and bodies of the notice and the ICB's notice, in full.
    const text = visibleText(page);
    expect(text).toContain('The 2 letters as they will go');
    expect(text).toContain('Formal Quality Improvement Notice: Oakfield Nursing Home');
    expect(text).toContain('Contract Performance Notice (NHS-funded nursing care): Oakfield Nursing Home');
    expect(text).toContain(NOMINATED);
    expect(text).toContain('Dear Peter Hale and Dev Patel,');
    expect(text).toMatch(/Our reference \S+\/1 /);
    expect(text).toMatch(/Our reference \S+\/2 /);
    expect(text).toContain('this letter is sent on behalf of both');
    const hash = /name="letterHash" value="([0-9a-f]{64})"/.exec(page)?.[1];
    expect(hash).toBeDefined();

    await product.officerDecides(TOM, APPROVAL, 'approve');
    const view = await product.caseFor(OAKFIELD);
    // The hash of the letters approved is on the task, and the letters sent hash the same.
    const approval = view.tasks.find((task) => task.step === 'Approve Quality Improvement Notice');
    expect(approval?.recorded?.details.approvedLetters).toBe(hash);
    const sent = view.emails.filter((email) => email.kind === 'qualityImprovementNotice' || email.kind === 'contractPerformanceNotice');
    expect(sent).toHaveLength(2);
    // What goes is the approved letter and, after it, only the provider's confirm-receipt links.
    const withoutReceipt = (email: (typeof sent)[number]): Email => {
      const text = email.text ?? '';
      const html = email.html ?? '';
      const textAt = text.indexOf('\n\nCONFIRM RECEIPT\n\n');
      const htmlAt = html.indexOf('<h2>Confirm receipt</h2>');
      expect(textAt).toBeGreaterThan(0);
      expect(htmlAt).toBeGreaterThan(0);
      expect(text.slice(textAt)).toMatch(/^\n\nCONFIRM RECEIPT\n\nPlease confirm[^\n]*\n\n(Confirm receipt \([^)]+\): http\S+\n)+$/);
      const tail = html.slice(htmlAt).replace(/<h2>Confirm receipt<\/h2><p>[^<]*<\/p>(<p><a href="[^"]+">Confirm receipt \([^)]+\)<\/a><\/p>)+\n?/, '');
      return { caseId: email.caseId, kind: email.kind, to: email.to, cc: email.cc, subject: email.subject, text: text.slice(0, textAt), html: html.slice(0, htmlAt) + tail };
    };
    expect(lettersHash(sent.map(withoutReceipt))).toBe(hash);
    expect(product.mailTo(NOMINATED, /Formal Quality Improvement Notice/).body.text).toContain('Dear Peter Hale and Dev Patel,');
  });

  it('a letter that changed after the page was opened is not approved: the page shows it again', async () => {
    // Prepare: Tom opens the page; then the Nominated Individual's record changes.
    const link = product.linkIn(product.mailTo(TOM, APPROVAL), 'approve');
    const page = await (await fetch(link)).text();
    const formToken = /name="formToken" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const oldHash = /name="letterHash" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const store = product.runtime.deps.store;
    const view = await product.caseFor(OAKFIELD);
    const contacts = await store.listContacts(view.case.providerId);
    const nominated = contacts.find((contact) => contact.role === 'nominatedIndividual');
    expect(nominated).toBeDefined();
    await store.putContact({ ...nominated!, name: 'Dr Peter Hale', updatedAt: product.runtime.clock.now().toISOString() });

    // Act: Tom confirms the page he opened before the change.
    const response = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ formToken, letterHash: oldHash }).toString() });
    const again = await response.text();
    await product.runtime.idle();

    // Assess: nothing approved, nothing sent; the page shows the letter as it is now, to confirm again.
    expect(response.status).toBe(400);
    expect(visibleText(again)).toContain('The letter has changed since the page was opened');
    expect(visibleText(again)).toContain('Dear Dr Peter Hale and Dev Patel,');
    const newHash = /name="letterHash" value="([^"]+)"/.exec(again)?.[1];
    expect(newHash).toBeDefined();
    expect(newHash).not.toBe(oldHash);
    let after = await product.caseFor(OAKFIELD);
    expect(after.tasks.find((task) => task.step === 'Approve Quality Improvement Notice')?.status).toBe('pending');
    expect(after.emails.some((email) => email.kind === 'qualityImprovementNotice')).toBe(false);

    // Confirming the page as shown now sends the letter as shown now.
    const confirmed = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ formToken, letterHash: newHash! }).toString() });
    await product.runtime.idle();
    expect(confirmed.status).toBe(200);
    after = await product.caseFor(OAKFIELD);
    expect(after.emails.find((email) => email.kind === 'qualityImprovementNotice')?.text).toContain('Dear Dr Peter Hale and Dev Patel,');
  });
});

describe('a change after the approval', () => {
  const email: Email = { caseId: 'c', kind: 'qualityImprovementNotice', to: ['a@example.com'], cc: [], subject: 'S', text: 'Dear A,', html: '<p>Dear A,</p>' };

  it('the step sends only letters that hash as approved; any other change is LetterChanged', () => {
    expect(approvedLetters([email], { approvedLetters: lettersHash([email]) }, 'c')).toEqual([email]);
    expect(() => approvedLetters([{ ...email, text: 'Dear B,' }], { approvedLetters: lettersHash([email]) }, 'c')).toThrow(LetterChanged);
    expect(() => approvedLetters([{ ...email, to: ['b@example.com'] }], { approvedLetters: lettersHash([email]) }, 'c')).toThrow(LetterChanged);
  });

  it('LetterChanged takes each sending step back to its approval, which asks again', () => {
    const states = buildEscalationDefinition().States as Record<string, { Catch?: Array<{ ErrorEquals: string[]; Next: string }> }>;
    for (const [send, approval] of [
      ['Send Quality Improvement Notice', 'Approve Quality Improvement Notice'],
      ['Send Partnership Letter', 'Approve Partnership Letter'],
      ['Send Letter To Host Authority', 'Approve Letter To Host Authority'],
    ]) {
      expect(states[send!]?.Catch?.[0]).toMatchObject({ ErrorEquals: ['LetterChanged'], Next: `${approval}: Prepare` });
    }
  });
});
