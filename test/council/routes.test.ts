/**
 * The policy's two routes outside the in-county ladder, on the local runtime through its public
 * interfaces (ratings upload, email links, pages): an out-of-county service (seed 003 §1.18) and a
 * regulated provider the council holds no contract with (seed 003, Scope).
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRuntime } from '../../local/runtime';
import { demoRatingsCsv, DEMO_LOCATIONS } from '../../local/demo';
import { applyRegister } from '../../functions/council/contracts-import';
import { PINNED_NOW } from '../support/pinned-clock';
import { fixtureFile } from '../support/fixtures';
import { Product } from '../support/product';

const TOM = 'tom.reid@westshire.example.gov.uk';
const AISHA = 'aisha.khan@westshire.example.gov.uk';
const DORSET = 'care.quality@dorset.example.gov.uk';
const SEAVIEW = '1-3000000001';
const QUALITY_TEAM = 'quality.assurance@westshire.example.gov.uk';

/** A location CQC rates, in the demo's shape. */
function location(locationId: string, name: string, providerId: string, providerName: string, ratings: [string, string, string, string, string, string]) {
  return { ...DEMO_LOCATIONS[0]!, locationId, name, providerId, providerName, ratings, published: '02/11/2026' };
}
const I = 'Inadequate';
const RI = 'Requires improvement';
const G = 'Good';

describe('routes outside the in-county ladder', () => {
  let product: Product;
  beforeEach(async () => {
    const runtime = await startRuntime({ clockStart: PINNED_NOW });
    product = new Product(runtime);
    const plan = await applyRegister(runtime.deps, readFileSync(fixtureFile('council/register.csv')), 'register.csv', 'test setup');
    expect(plan.summary.added).toBe(5);
  });
  afterEach(async () => product.close());

  it('out of county: the officer approves a letter to the host authority; no contract visits are suspended; the provider is not written to', async () => {
    // Act: CQC rates the out-of-county nursing home Inadequate.
    await product.uploadRatings(demoRatingsCsv([location(SEAVIEW, 'Seaview Nursing Home', '1-700000001', 'Seaview Care Ltd', [I, I, RI, G, RI, I])]));

    // Assess: the host authority's route, not the formal stage.
    let view = await product.caseFor(SEAVIEW);
    expect(view.case).toMatchObject({ stage: 'hostAuthority', leadOfficer: 'tom-reid', waitingOn: { step: 'Approve Letter To Host Authority' } });
    const request = product.mailTo(TOM, /Approve Letter To Host Authority — Seaview Nursing Home/);
    expect(request.body.text).toMatch(/out of county/);

    // Act: the officer approves the letter.
    await product.officerDecides(TOM, /Approve Letter To Host Authority/, 'shareWithHostAuthority');

    // Assess: the letter went to Dorset's contact, by name, and the case closed.
    const letter = product.mailTo(DORSET, /Quality concerns about Seaview Nursing Home/);
    expect(letter.destination.cc).toEqual([TOM]);
    expect(letter.body.text).toContain('Dear Adult Social Care Quality Team,');
    expect(letter.body.text).toContain('Dorset Council');
    expect(letter.body.text).toContain('Overall: Inadequate');
    view = await product.caseFor(SEAVIEW);
    expect(view.case).toMatchObject({ status: 'closed', outcome: 'Concerns shared with Dorset Council' });
    expect((await product.runtime.deps.store.getContract('WCC-0004'))?.contractVisits).toBe('scheduled');
    const toProvider = product.allMail().filter((email) => [...email.destination.to, ...email.destination.cc].some((address) => address.endsWith('@seaview-care.example.co.uk')));
    expect(toProvider).toEqual([]);
  });

  it('out of county: the officer may take the case through our own formal stage instead, still without contract visits', async () => {
    await product.uploadRatings(demoRatingsCsv([location(SEAVIEW, 'Seaview Nursing Home', '1-700000001', 'Seaview Care Ltd', [I, I, RI, G, RI, I])]));

    // Act
    await product.officerDecides(TOM, /Approve Letter To Host Authority/, 'formalStage');
    await product.officerDecides(TOM, /Approve Quality Improvement Notice — Seaview/, 'approve');

    // Assess: the notice went to the provider's people; the host authority heard nothing; visits untouched.
    const notice = product.mailTo('rob.tide@seaview-care.example.co.uk', /Formal Quality Improvement Notice: Seaview/);
    expect(notice.destination.to).toEqual(['rob.tide@seaview-care.example.co.uk', 'kim.shore@seaview-care.example.co.uk']);
    expect(product.allMail().some((email) => email.destination.to.includes(DORSET))).toBe(false);
    expect((await product.runtime.deps.store.getContract('WCC-0004'))?.contractVisits).toBe('scheduled');
    expect((await product.caseFor(SEAVIEW)).case.stage).toBe('qim');
  });

  it('no contract: the partnership route; with no provider contact the letter is held (not sent to the quality team) until an officer adds one from the case', async () => {
    // Act: a home in the county the council holds no contract with is rated Requires improvement.
    const HOME = '1-6000000001';
    await product.uploadRatings(demoRatingsCsv([location(HOME, 'Hillside House', '1-600000009', 'Hillside Care Ltd', [RI, RI, G, G, G, RI])]));
    let view = await product.caseFor(HOME);
    expect(view.case).toMatchObject({ stage: 'partnership', waitingOn: { step: 'Approve Partnership Letter' } });
    expect(view.case.contractId).toBeUndefined();
    const officer = view.case.leadOfficer === 'aisha-khan' ? AISHA : TOM;
    await product.officerDecides(officer, /Approve Partnership Letter — Hillside House/, 'approve');

    // Assess: nobody to write to: held, shown, and nothing sent in the provider's place.
    view = await product.caseFor(HOME);
    expect(product.actions(view)).toContain('letter held: no provider contact');
    expect(product.allMail().some((email) => /Working with you on quality/.test(email.subject))).toBe(false);
    expect(product.allMail().filter((email) => email.destination.to.includes(QUALITY_TEAM))).toEqual([]);
    expect(view.case.waitingOn?.step).toBe('Review Partnership Plan');
    const cookie = `session=${product.runtime.adminToken}`;
    const casePage = await (await fetch(`${product.url}/cases/${view.case.caseId}`, { headers: { cookie } })).text();
    expect(casePage).toContain('No provider contact');
    expect(casePage).toContain('Working with you on quality at Hillside House');

    // Act: the officer adds the owner from the case page.
    const contactsPath = /href="(\/providers\/1-600000009\/contacts\?case=[^"]+)"/.exec(casePage)?.[1]?.replaceAll('&amp;', '&');
    expect(contactsPath).toBeDefined();
    const form = await (await fetch(`${product.url}${contactsPath}`, { headers: { cookie } })).text();
    const csrfToken = /name="csrfToken" value="([^"]+)"/.exec(form)?.[1] ?? '';
    const saved = await fetch(`${product.url}/providers/1-600000009/contacts`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrfToken, caseId: view.case.caseId, role: 'owner', locationId: '', name: 'Ms Jo Hill', email: 'jo.hill@hillside-care.example.co.uk', phone: '' }).toString(),
      redirect: 'manual',
    });
    await product.runtime.idle();

    // Assess: the held letter went to her, by name, once; the case no longer says "no provider contact".
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe(`/cases/${view.case.caseId}`);
    const letters = product.allMail().filter((email) => /Working with you on quality at Hillside House/.test(email.subject));
    expect(letters).toHaveLength(1);
    expect(letters[0]!.destination.to).toEqual(['jo.hill@hillside-care.example.co.uk']);
    expect(letters[0]!.body.text).toContain('Dear Ms Jo Hill,');
    expect(letters[0]!.body.text).toMatch(/improvement plan/);
    const after = await (await fetch(`${product.url}/cases/${view.case.caseId}`, { headers: { cookie } })).text();
    expect(after).not.toContain('No provider contact');
    view = await product.caseFor(HOME);
    expect(product.actions(view)).toContain('held letter sent');

    // A safeguarding risk goes to safeguarding from the review step.
    await product.officerDecides(officer, /Review Partnership Plan — Hillside House/, 'safeguarding', { note: 'Unexplained injuries reported.' });
    expect((await product.caseFor(HOME)).case.stage).toBe('safeguarding');
  });
});
