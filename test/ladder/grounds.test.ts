/**
 * A case's letters state its real grounds, end to end on the local runtime: a case opened from a
 * concern about a home CQC rates Good on every key question goes up the whole ladder without one
 * letter claiming a rating below Good, and every letter names the concerns (date, source, what).
 * Driven only through public interfaces: the ratings upload, POST /admin/cases, email links, the
 * Board endpoints and the clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MEADOWBANK, Product, QIM_ARRANGEMENT, qimOutcome } from '../support/product';
import type { SentEmail } from '../../local/ses';

const RIVERSIDE = '1-1000000003'; // Good overall and on every key question
const AISHA = 'aisha.khan@westshire.example.gov.uk';
const FAMILIES = 'families.1-1000000003@westshire.example.gov.uk';
const NIGHTS = 'Night staffing fell to one carer for 28 residents on three nights.';
const MEDICINES = 'Evening medicines were given two hours late on several days.';

/** Words that claim a rating below Good, an inspection outcome or a standard not met. */
const RATING_CLAIMS = /below Good|below the minimum|minimum standard|Requires improvement|Inadequate|inspection outcome|failures of care|latest inspection report/i;

describe('letters name the grounds of the case', () => {
  let product: Product;
  beforeEach(async () => {
    product = await Product.start();
  });
  afterEach(async () => product.close());

  it('a concern about a home rated Good: up the ladder to termination, no letter claims a rating below Good', async () => {
    // Prepare: Riverside Lodge is rated Good throughout, so ingestion opens nothing.
    await product.ingestDemoRatings([RIVERSIDE]);
    expect(product.allMail()).toHaveLength(0);

    // Act: a district nurse's concern, raised with the council on Friday, opens a case.
    const opened = await product.api('POST', '/admin/cases', { locationId: RIVERSIDE, concern: NIGHTS, source: 'the district nursing team', raisedOn: '2026-11-13' });
    expect(opened.status).toBe(201);
    await product.officerDecides(AISHA, /Informal Outcome — Riverside Lodge/, 'formalStage', { note: 'The manager could not explain the rota.' });

    // A second concern while the case is open joins its grounds (once, even if sent twice).
    const sentBefore = new Set(product.allMail());
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const fed = await product.api('POST', '/admin/cases', { locationId: RIVERSIDE, concern: MEDICINES, source: 'a relative of a resident' });
      expect(fed.status).toBe(200);
    }

    await product.officerDecides(AISHA, /Approve Quality Improvement Notice — Riverside Lodge/, 'approve');
    await product.officerDecides(AISHA, /Arrange Quality Improvement Meeting — Riverside Lodge/, 'arranged', QIM_ARRANGEMENT);
    await product.advance('16 days'); // the meeting has been held
    await product.officerDecides(AISHA, /Record QIM Outcome — Riverside Lodge/, 'referToBoard', qimOutcome('placeWithRestrictions', true, ['Safe staffing rota | Registered Manager | 2027-01-15']));
    expect((await product.boardDecides(RIVERSIDE, 'rectificationNotice', 'The concerns persist after the QIM.')).status).toBe(200);
    // CQC re-inspects and still rates it Good; the Board issues a final warning on the concerns.
    await product.advance('2 months');
    await product.publishInspection(RIVERSIDE, ['Good', 'Good', 'Good', 'Good', 'Good', 'Good'], '20/01/2027');
    expect((await product.boardDecides(RIVERSIDE, 'finalWarning', 'Our visits find the same night staffing.')).status).toBe(200);
    await product.advance('6 months');
    await product.advance('2 days');
    expect((await product.boardDecides(RIVERSIDE, 'terminate', 'No sustained improvement.')).status).toBe(200);
    const view = await product.caseFor(RIVERSIDE);
    expect(view.case.outcome).toBe('Contract terminated');

    // Assess: every email about the case, to anyone.
    const mail = product.allMail().filter((email) => email.subject.includes('Riverside Lodge'));
    const kinds = new Set(view.emails.map((email) => email.kind));
    for (const kind of ['decisionRequest', 'informalOutcome', 'qualityImprovementNotice', 'qimInvitation', 'qimNotes', 'letterToServiceUsers', 'serviceProviderDefault', 'boardPapers', 'safeguardingOption', 'rectificationNotice', 'finalWarningNotice', 'letterOfTermination']) {
      expect(kinds, kind).toContain(kind);
    }
    const afterSecondConcern = (email: SentEmail) => !sentBefore.has(email);
    for (const email of mail) {
      const where = `${email.subject} → ${email.destination.to.join(', ')}`;
      for (const body of [email.subject, email.body.text ?? '', email.body.html ?? '']) expect(body, where).not.toMatch(RATING_CLAIMS);
      const text = email.body.text ?? '';
      expect(text, where).toContain('13 November 2026');
      if (email.destination.to.includes(FAMILIES)) {
        // Families hear when concerns were raised, not who raised them or what they said.
        expect(text, where).not.toContain(NIGHTS);
        expect(text, where).not.toContain('district nursing');
        continue;
      }
      expect(text, where).toContain(`Concern raised with us on 13 November 2026 by the district nursing team: ${NIGHTS}`);
      if (afterSecondConcern(email)) expect(text, where).toContain(`Concern raised with us on 16 November 2026 by a relative of a resident: ${MEDICINES}`);
    }
    // The record keeps both concerns, the repeated one once.
    expect(view.case.concerns?.map((concern) => [concern.raisedAt.slice(0, 10), concern.source, concern.summary])).toEqual([
      ['2026-11-13', 'the district nursing team', NIGHTS],
      ['2026-11-16', 'a relative of a resident', MEDICINES],
    ]);
    expect(product.actions(view).filter((action) => action === 'concern added')).toHaveLength(1);
    // A concern dated in the future is refused, saying which field.
    const future = await product.api('POST', '/admin/cases', { locationId: RIVERSIDE, concern: 'x', raisedOn: '2099-01-01' });
    expect(future.status).toBe(400);
    expect(((await future.json()) as { message: string }).message).toMatch(/raisedOn 2099-01-01 is in the future/);
  });

  it('a concern interrupted after it was recorded but before its audit event: the retried request writes the event, once', async () => {
    await product.ingestDemoRatings([RIVERSIDE]);
    expect((await product.api('POST', '/admin/cases', { locationId: RIVERSIDE, concern: NIGHTS, source: 'the district nursing team' })).status).toBe(201);
    const { caseId } = (await product.caseFor(RIVERSIDE)).case;
    // The state a crash between the two writes leaves: the concern on the record, no event for it.
    const at = product.runtime.clock.now().toISOString();
    await product.runtime.deps.store.updateCase(caseId, (value) => ({ ...value, concerns: [...(value.concerns ?? []), { raisedAt: at, source: 'a relative of a resident', summary: MEDICINES, recordedBy: 'admin' }] }), at);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expect((await product.api('POST', '/admin/cases', { locationId: RIVERSIDE, concern: MEDICINES, source: 'a relative of a resident' })).status).toBe(200);
    }
    const view = await product.caseFor(RIVERSIDE);
    expect(view.case.concerns?.map((concern) => concern.summary)).toEqual([NIGHTS, MEDICINES]);
    expect(view.audit.filter((event) => event.action === 'concern added').map((event) => event.detail.summary)).toEqual([MEDICINES]);
    // The opening concern, retried, is recognised from the opening event: no second event.
    expect((await product.api('POST', '/admin/cases', { locationId: RIVERSIDE, concern: NIGHTS, source: 'the district nursing team' })).status).toBe(200);
    expect((await product.caseFor(RIVERSIDE)).audit.filter((event) => event.action === 'concern added')).toHaveLength(1);
  });

  it('a case opened by ratings below Good names each one, with its key question and date, and no concern', async () => {
    await product.ingestDemoRatings([MEADOWBANK]);
    await product.officerDecides(AISHA, /Informal Outcome — Meadowbank House/, 'formalStage');
    await product.officerDecides(AISHA, /Approve Quality Improvement Notice — Meadowbank House/, 'approve');
    const letters = product.allMail().filter((email) => email.subject.includes('Meadowbank House'));
    expect(letters.map((email) => email.subject)).toEqual(expect.arrayContaining([expect.stringMatching(/Formal Quality Improvement Notice/), expect.stringMatching(/Outcome of our informal discussion/)]));
    for (const email of letters) {
      for (const ground of ['CQC overall rating: Requires improvement', 'CQC rating for Safe: Requires improvement', 'CQC rating for Well-led: Requires improvement']) {
        expect(email.body.text, email.subject).toContain(`${ground} (published 2 October 2026)`);
      }
      expect(email.body.text, email.subject).not.toMatch(/Concern raised|rating for (Effective|Caring|Responsive)/);
    }
  });
});
