/**
 * The product's tests run on a pinned virtual date, whatever the machine's date: what the product
 * sees as "today" (case records, audit events, pages, emails) is the pinned date, not the wall clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Product, MEADOWBANK } from '../support/product';
import { PINNED_NOW, pinnedDaysFrom } from '../support/pinned-clock';
import { VirtualClock } from '../../local/clock';

describe('the pinned virtual date', () => {
  let product: Product;

  beforeAll(async () => {
    product = await Product.start();
    await product.ingestDemoRatings([MEADOWBANK]);
  });
  afterAll(async () => product?.close());

  it('is what the product records and shows as today', async () => {
    const view = await product.caseFor(MEADOWBANK);
    expect(view.case.openedAt.slice(0, 10)).toBe(pinnedDaysFrom(0));
    expect(view.audit[0]!.at.slice(0, 10)).toBe(pinnedDaysFrom(0));
    const page = await fetch(`${product.url}/cases/${view.case.caseId}`, { headers: { authorization: `Bearer ${product.runtime.adminToken}` } });
    expect(await page.text()).toContain('Counted from today, 16 November 2026');
    const mail = product.runtime.ses.emails();
    expect(mail.length).toBeGreaterThan(0);
    for (const email of mail) expect(new Date(email.at * 1000).toISOString().slice(0, 10)).toBe(pinnedDaysFrom(0));
  });

  it('moves only when the clock is moved', async () => {
    const before = product.runtime.clock.now().getTime();
    expect(Math.abs(before - PINNED_NOW.getTime())).toBeLessThan(60_000);
    await product.runtime.clock.advance(30 * 86_400_000);
    expect(product.runtime.clock.now().toISOString().slice(0, 10)).toBe(pinnedDaysFrom(30, new Date(before)));
  });

  it('a pinned start is kept by a clock restored from its file, and never applied over it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pinned-clock-'));
    try {
      const file = join(dir, 'clock.json');
      const first = new VirtualClock({ offsetFile: file, startAt: PINNED_NOW });
      expect(Math.abs(first.now().getTime() - PINNED_NOW.getTime())).toBeLessThan(1000);
      await first.advance(86_400_000);
      first.close();
      const again = new VirtualClock({ offsetFile: file, startAt: new Date('2030-01-01T00:00:00Z') });
      expect(again.now().toISOString().slice(0, 10)).toBe(pinnedDaysFrom(1));
      again.close();
      expect(() => new VirtualClock({ startAt: new Date('not a date') })).toThrow(/invalid date/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
