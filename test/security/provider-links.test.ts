/**
 * The provider's links, attacked as the officers' are: forged, expired, replayed, used for another
 * provider's case, and an officer's link passed off as a provider's (and back).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKey, signLink, verifyLinkPath } from '../../functions/lib/links';
import { providerFormToken, providerClaim, signProviderLink, verifyProviderFormToken, verifyProviderLinkPath } from '../../functions/lib/provider-links';
import { OAKFIELD, Product } from '../support/product';

const key = generateKey();
const now = new Date('2026-11-16T09:00:00Z');
const fields = { caseId: '1-1000000002-20261116', requestId: 'a'.repeat(32), providerId: '1-200000001', expiresAt: new Date('2026-12-01T00:00:00Z') };

describe('provider links (unit)', () => {
  it('verifies as signed; any changed field, another key or a flipped signature is "tampered"', () => {
    const link = signProviderLink(key, fields);
    expect(verifyProviderLinkPath(key, link, now)).toMatchObject({ ok: true, caseId: fields.caseId, providerId: fields.providerId });
    expect(verifyProviderLinkPath(key, link.replace(fields.caseId, '1-1000000001-20261116'), now)).toEqual({ ok: false, reason: 'tampered' });
    expect(verifyProviderLinkPath(key, link.replace('p=1-200000001', 'p=1-200000002'), now)).toEqual({ ok: false, reason: 'tampered' });
    expect(verifyProviderLinkPath(generateKey(), link, now)).toEqual({ ok: false, reason: 'tampered' });
    const signature = /s=([^&]+)/.exec(link)![1]!;
    const flipped = `${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`;
    expect(verifyProviderLinkPath(key, link.replace(signature, flipped), now)).toEqual({ ok: false, reason: 'tampered' });
    expect(verifyProviderLinkPath(key, `${link}&s=${signature}`, now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('expires at its expiry', () => {
    const link = signProviderLink(key, fields);
    expect(verifyProviderLinkPath(key, link, new Date('2026-12-01T00:00:00Z'))).toEqual({ ok: false, reason: 'expired' });
  });

  it("an officer's link signature never verifies as a provider's, nor a provider's as an officer's, nor a link as a form token", () => {
    const officer = signLink(key, { taskId: fields.requestId, officer: fields.providerId, decision: 'approve', expiresAt: fields.expiresAt });
    const officerSignature = /s=([^&]+)/.exec(officer)![1]!;
    const provider = signProviderLink(key, fields);
    const providerSignature = /s=([^&]+)/.exec(provider)![1]!;
    expect(verifyProviderLinkPath(key, provider.replace(providerSignature, officerSignature), now)).toEqual({ ok: false, reason: 'tampered' });
    expect(verifyLinkPath(key, officer.replace(officerSignature, providerSignature), now)).toEqual({ ok: false, reason: 'tampered' });
    // A provider path on the officers' route is not an officer link at all.
    expect(verifyLinkPath(key, provider, now)).toEqual({ ok: false, reason: 'malformed' });
    const claim = providerClaim(fields);
    expect(verifyProviderFormToken(key, claim, providerSignature, now)).toEqual({ ok: false, reason: 'tampered' });
    expect(verifyProviderFormToken(key, claim, providerFormToken(key, claim), now)).toMatchObject({ ok: true });
  });
});

describe('provider links (on the local runtime)', () => {
  let product: Product;
  beforeEach(async () => {
    product = await Product.start();
  });
  afterEach(async () => product.close());

  it('forged 403, expired 410, replayed 409, wrong provider 403, POST without the form token 400; refusals are audited', async () => {
    await product.ingestDemoRatings([OAKFIELD]);
    await product.officerDecides('tom.reid@westshire.example.gov.uk', /Approve Quality Improvement Notice — Oakfield/, 'approve');
    const notice = product.mailTo('peter.hale@hawthorn-care-group.example.co.uk', /Formal Quality Improvement Notice: Oakfield/);
    const link = /href="([^"]*\/provider\/[^"]+)"/.exec(notice.body.html ?? '')![1]!.replaceAll('&amp;', '&');
    const url = new URL(link);
    const [, , caseId, requestId] = url.pathname.split('/');
    const providerId = url.searchParams.get('p')!;

    expect((await fetch(link.replace(/s=[^&]+/, `s=${'A'.repeat(43)}`))).status).toBe(403);
    // Signed with the right key for this case and request, but naming another provider.
    const wrong = signProviderLink(product.runtime.deps.signingKey, { caseId: caseId!, requestId: requestId!, providerId: '1-999999999', expiresAt: new Date(Date.now() + 86_400_000 * 400) });
    const wrongPage = await fetch(`${product.url}${wrong}`);
    expect(wrongPage.status).toBe(403);
    expect(await wrongPage.text()).toContain('This link is for another provider');
    // Another case id in a link signed for this one.
    expect((await fetch(link.replace(caseId!, '1-1000000001-20261116'))).status).toBe(403);
    // POST straight at the link, without the page's form token.
    const bare = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Someone' });
    expect(bare.status).toBe(400);

    const page = await (await fetch(link)).text();
    const formToken = /name="formToken" value="([^"]+)"/.exec(page)![1]!;
    const post = () => fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ formToken, name: 'Peter Hale' }).toString() });
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(409);

    // Two months on, the link has expired.
    await product.advance('61 days');
    expect((await fetch(link)).status).toBe(410);

    const view = await product.caseFor(OAKFIELD);
    const actions = product.actions(view);
    expect(actions).toContain('provider link refused: badForm');
    expect(actions).toContain('provider link refused: used');
    expect(providerId).toBe(view.case.providerId);
  });
});
