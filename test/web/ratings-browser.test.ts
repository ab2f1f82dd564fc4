/**
 * The Ratings page in Chromium (issues 11 and 20): a running upload's counts update by themselves
 * (the page's script polls the run) and the result, with its rejected rows as a table of line,
 * column, value and reason, appears without a reload; without JavaScript a link does it by hand.
 * The council's first file is a preview shown as tables with tick boxes; applying it with a case
 * unticked opens only the others. Screenshots at desktop width and at 320 px, axe on each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Product } from '../support/product';
import { demoRatingsCsv, DEMO_LOCATIONS } from '../../local/demo';
import { keys } from '../../functions/lib/table';
import { browserUnavailable, horizontalOverflow, launchBrowser, onCi, screenshot, seriousViolations } from '../support/browser';

const missing = browserUnavailable();
if (missing && onCi()) {
  describe('the Ratings page in a browser', () => {
    it('has Chromium to run in (CI=true)', () => {
      expect.fail(`${missing}: on CI the browser tests must run, so .ci/run installs the chromium package.`);
    });
  });
}

describe.skipIf(Boolean(missing))('the Ratings page in a browser', () => {
  let product: Product;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  async function review(name: string, target: Page = page): Promise<void> {
    // Dates in words here too: a case's reason reads "published 2 October 2026", never 2026-10-02.
    expect((await target.locator('body').innerText()).match(/\b\d{4}-\d{2}-\d{2}\b/g), `${name}: ISO dates`).toBeNull();
    for (const width of [1280, 320]) {
      await target.setViewportSize({ width, height: 900 });
      await screenshot(target, `${name}-${width}`);
      const overflow = await horizontalOverflow(target);
      expect(overflow.scrollWidth, `${name} at ${width}px is ${overflow.scrollWidth}px wide: ${overflow.wider.join('; ')}`).toBeLessThanOrEqual(width);
      const violations = await seriousViolations(target);
      expect(violations, `${name} at ${width}px: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
    }
    await target.setViewportSize({ width: 1280, height: 900 });
  }

  /** A run record as the upload writes it, put straight into the store (the run goes as slowly as the test likes). */
  async function putRun(runId: string, fields: Record<string, unknown>): Promise<void> {
    const startedAt = product.runtime.clock.now().toISOString();
    await product.runtime.deps.store.putRaw(keys.ingestRun(runId), { gsi1pk: 'INGESTS', gsi1sk: `${startedAt}#${runId}` }, { runId, fileName: 'national.csv', bytes: 150_000_000, startedAt, by: 'local-admin', ...fields });
  }

  const counts = (rowsRead: number, rowsRejected: number) => ({ rowsRead, rowsKept: Math.floor(rowsRead / 100), rowsRejected, rowsOutOfScope: rowsRead - Math.floor(rowsRead / 100) - rowsRejected, locationsChanged: 0, providersChanged: 0 });

  beforeAll(async () => {
    product = await Product.start();
    browser = await launchBrowser();
    context = await browser.newContext({ baseURL: product.url, viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    await page.goto(`/login?token=${product.runtime.adminToken}`);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await product?.close();
  });

  it('shows a running upload growing by itself, then its result and rejected rows, without a reload', async () => {
    await putRun('live-1', { status: 'running', progress: counts(12_000, 1) });
    await page.goto('/ratings/live-1');
    await page.evaluate(() => ((globalThis as { notReloaded?: boolean }).notReloaded = true));
    const rowsRead = page.locator('[data-count="rowsRead"]');
    expect(await rowsRead.textContent()).toBe('12,000');
    await review('ratings-live-running');
    await putRun('live-1', { status: 'running', progress: counts(240_000, 2) });
    await page.locator('[data-count="rowsRead"]', { hasText: '240,000' }).waitFor();
    expect(await page.locator('#run-live').textContent()).toBe('240,000 rows read so far, 2 rejected.');
    const rejections = [
      { line: 18_204, field: 'Publication Date', reason: 'date in the future (after today, 16/11/2026)', value: '01/03/2062' },
      { line: 201_377, field: 'whole row', reason: 'short row: 11 cells where the header has 28 (the row is cut short)', value: '1-123456789,Oak House,Y' },
    ];
    await putRun('live-1', {
      status: 'done',
      finishedAt: product.runtime.clock.now().toISOString(),
      progress: counts(414_702, 2),
      summary: { ...counts(414_702, 2), sheet: 'Locations', format: 'CSV', encoding: 'UTF-8', rejections, casesOpened: 3, durationMs: 61_000 },
    });
    await page.getByRole('heading', { level: 1, name: 'Ratings file read' }).waitFor();
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    const table = page.locator('#rejected-rows');
    expect(await table.locator('thead th').allTextContents()).toEqual(['Line', 'Column', 'Value', 'Why it was rejected']);
    expect(await table.locator('tbody tr').first().locator('td').allTextContents()).toEqual(['18204', 'Publication Date', '01/03/2062', 'date in the future (after today, 16/11/2026)']);
    await review('ratings-live-done');
  });

  it('without JavaScript, the page offers a link that shows the new counts', async () => {
    const plain = await browser.newContext({ baseURL: product.url, javaScriptEnabled: false });
    try {
      const noScript = await plain.newPage();
      await noScript.goto(`/login?token=${product.runtime.adminToken}`);
      await putRun('live-2', { status: 'running', progress: counts(5_000, 0) });
      await noScript.goto('/ratings/live-2');
      await putRun('live-2', { status: 'running', progress: counts(9_000, 0) });
      await noScript.waitForTimeout(300);
      expect(await noScript.locator('[data-count="rowsRead"]').textContent()).toBe('5,000');
      await noScript.getByRole('link', { name: 'Check progress again' }).click();
      expect(await noScript.locator('[data-count="rowsRead"]').textContent()).toBe('9,000');
    } finally {
      await plain.close();
    }
  });

  it("previews the council's first file as tables, and applies it with a case unticked", async () => {
    await page.goto('/ratings');
    expect(await page.getByLabel('Preview it first').isChecked()).toBe(true);
    const csv = demoRatingsCsv(DEMO_LOCATIONS);
    await page.getByLabel('Ratings file').setInputFiles({ name: 'first-file.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Upload and read the file' }).click();
    await page.getByRole('heading', { level: 1, name: 'Preview of the ratings file' }).waitFor();
    const cases = page.locator('#preview-cases tbody tr');
    expect(await cases.count()).toBe(3);
    expect(await page.locator('#preview-cases thead th').allTextContents()).toEqual(['Open', 'Location', 'Stage', 'Why']);
    expect((await product.runtime.deps.store.listCases()).length).toBe(0);
    expect(product.runtime.ses.emails()).toEqual([]);
    await review('ratings-preview');
    await page.getByLabel('Open a case for Meadowbank House').uncheck();
    await page.getByRole('button', { name: 'Apply the file with the ticked parts' }).click();
    await page.getByRole('heading', { level: 1, name: 'Ratings file read' }).waitFor();
    await product.runtime.idle();
    const opened = (await product.runtime.deps.store.listCases()).map((record) => record.locationId).sort();
    expect(opened).toEqual(['1-1000000002', '1-1000000004']);
    expect((await page.locator('.govuk-summary-list').innerText()).replace(/\s+/g, ' ')).toMatch(/Left out by choice 1 case not opened/);
    await review('ratings-applied');
  });
});
