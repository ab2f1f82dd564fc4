/**
 * Fifty presses of one link at the same moment (a stuck browser, a script, a crowd of forwarded
 * copies): one decision, and every other press gets the clear "already used" page and leaves its
 * refusal on the case's audit trail. The chain's tip is the contention point: no press may fail
 * on it (it used to answer 500 "ConcurrentUpdate: audit trail too busy" and lose the refusal).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAKFIELD, Product } from '../support/product';
import { verifyChain } from '../../functions/lib/audit-chain';

const TOM = 'tom.reid@westshire.example.gov.uk';
const PRESSES = 50;

function heading(page: string): string {
  return /<h1[^>]*>([^<]*)</.exec(page)?.[1] ?? '';
}

describe('fifty simultaneous POSTs on one link', () => {
  let product: Product;
  beforeAll(async () => {
    product = await Product.start();
    await product.ingestDemoRatings([OAKFIELD]);
  });
  afterAll(async () => product.close());

  it('one wins; the other 49 get "already used", each refusal is on the audit trail, and nothing answers 500', async () => {
    const link = product.linkIn(product.mailTo(TOM, /Approve Quality Improvement Notice — Oakfield/), 'approve');
    const confirmation = await (await fetch(link)).text();
    const formToken = /name="formToken" value="([^"]+)"/.exec(confirmation)?.[1] ?? '';
    const letterHash = /name="letterHash" value="([^"]+)"/.exec(confirmation)?.[1] ?? '';
    const before = (await product.caseFor(OAKFIELD)).audit.length;

    const results = await Promise.all(
      Array.from({ length: PRESSES }, async () => {
        const response = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ formToken, letterHash }).toString() });
        return { status: response.status, page: await response.text() };
      }),
    );
    await product.runtime.idle();

    const count = (status: number) => results.filter((result) => result.status === status).length;
    expect({ won: count(200), used: count(409), errors: results.filter((result) => result.status >= 500).length }).toEqual({ won: 1, used: PRESSES - 1, errors: 0 });
    expect(results.filter((result) => heading(result.page).includes('already been used'))).toHaveLength(PRESSES - 1);

    const view = await product.caseFor(OAKFIELD);
    const added = view.audit.slice(before);
    expect(added.filter((event) => event.action === 'decision recorded')).toHaveLength(1);
    expect(added.filter((event) => event.action === 'link refused' && event.detail.reason === 'used')).toHaveLength(PRESSES - 1);
    expect(verifyChain(view.audit).ok).toBe(true);
    expect(product.allMail().filter((email) => /Formal Quality Improvement Notice: Oakfield/.test(email.subject))).toHaveLength(1);
    expect(view.case.waitingOn?.step).toBe('Arrange Quality Improvement Meeting');
  });
});
