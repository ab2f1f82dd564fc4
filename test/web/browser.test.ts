/**
 * A newcomer's path in a real browser (headless Chromium, Debian's package, driven by
 * playwright-core): sign in, read the mail, follow an approval link, confirm it, and see the case
 * move on; record a quorate Board meeting (the quorum indicator follows the ticks) and a
 * decision; see the memo change. Every page is screenshotted for review
 * (test-output/screenshots) and checked with axe-core: no serious or critical violations.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { OAKFIELD, Product, QIM_ARRANGEMENT, qimOutcome } from '../support/product';
import { demoRatingsCsv, DEMO_LOCATIONS } from '../../local/demo';
import { rmSync } from 'node:fs';
import { browserUnavailable, launchBrowser, onCi, screenshot, SCREENSHOTS, seriousViolations } from '../support/browser';

const TOM = 'tom.reid@westshire.example.gov.uk';
const missing = browserUnavailable();
if (missing && !onCi()) console.warn(`Browser tests skipped: ${missing}. They run wherever Chromium is installed, and must on CI.`);

if (missing && onCi()) {
  describe('the web face in a browser', () => {
    it('has Chromium to run in (CI=true)', () => {
      expect.fail(`${missing}: on CI the browser tests must run, so .ci/run installs the chromium package.`);
    });
  });
}

describe.skipIf(Boolean(missing))('the web face in a browser', () => {
  let product: Product;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const cspErrors: string[] = [];

  /** Screenshot and accessibility check of the page as it is now. */
  async function review(name: string): Promise<void> {
    await screenshot(page, name);
    const violations = await seriousViolations(page);
    expect(violations, `${name}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
  }

  async function currentRung(): Promise<string> {
    return (await page.locator('.app-ladder [aria-current="step"] .app-ladder__name').textContent()) ?? '';
  }

  beforeAll(async () => {
    rmSync(SCREENSHOTS, { recursive: true, force: true }); // this run's pictures only
    product = await Product.start();
    await product.ingestDemoRatings();
    browser = await launchBrowser();
    context = await browser.newContext({ baseURL: product.url, viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspErrors.push(message.text());
    });
  });

  afterEach(async (test) => {
    // A failed step leaves a picture of where it stopped.
    if (test.task.result?.state === 'fail' && page) await screenshot(page, `failed-${test.task.name.slice(0, 40)}`);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await product?.close();
  });

  it('signs in and lists the cases', async () => {
    await page.goto('/cases');
    expect(new URL(page.url()).pathname).toBe('/login');
    await review('01-sign-in');
    await page.getByLabel('Admin token').fill(product.runtime.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/cases');
    await expect.poll(() => page.locator('tbody .govuk-table__row').count()).toBe(3);
    await review('02-cases');
    await page.getByLabel('Stage').selectOption('formal');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL('**/cases?stage=formal*');
    expect(await page.locator('tbody .govuk-table__row').count()).toBe(1);
    await review('03-cases-filtered');
  });

  it('follows an approval link from the mail, confirms it, and sees the case move on', async () => {
    await page.getByRole('link', { name: 'Mail' }).click();
    await page.waitForURL('**/mail');
    await review('04-mail');
    await page.getByRole('link', { name: /Approve Quality Improvement Notice — Oakfield Nursing Home/ }).click();
    await review('05-mail-message');
    await page.getByRole('link', { name: 'Approve and send the notice' }).click();
    await page.waitForURL('**/act/**');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Confirm: Approve and send the notice');
    await review('06-confirm-link');
    await page.getByRole('button', { name: 'Confirm: Approve and send the notice' }).click();
    await page.getByRole('heading', { name: 'Decision recorded' }).waitFor();
    await review('07-decision-recorded');
    await product.runtime.idle();
    await page.getByRole('link', { name: 'Open the case' }).click();
    await page.getByRole('heading', { level: 1, name: 'Oakfield Nursing Home' }).waitFor();
    expect(await currentRung()).toBe('Quality Improvement Meeting');
    await expect.poll(() => page.locator('.govuk-inset-text strong').first().textContent()).toBe('Arrange Quality Improvement Meeting');
    await review('08-case-after-approval');
  });

  it('shows the provider as a whole', async () => {
    await page.getByRole('link', { name: 'Hawthorn Care Group Ltd' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Hawthorn Care Group Ltd' }).waitFor();
    await expect.poll(() => page.locator('.app-flag').textContent()).toContain('Corporate concern');
    await review('09-provider');
  });

  it('records a quorate Board meeting as members are ticked, then a decision, and the memo changes', async () => {
    // The officer arranges the QIM and refers Oakfield to the Board, suspending placements.
    await product.officerDecides(TOM, /Arrange Quality Improvement Meeting — Oakfield/, 'arranged', QIM_ARRANGEMENT);
    await product.officerDecides(TOM, /Record QIM Outcome — Oakfield/, 'referToBoard', qimOutcome('suspendNewPlacements', true, ['Appoint a clinical lead | Nominated Individual | 2027-01-15']));

    await page.goto('/memo');
    await expect.poll(() => page.locator('.app-memo-section--red').textContent()).toContain('Oakfield Nursing Home');
    await review('10-memo-red');

    // The Board meets once members have had the papers for a week.
    await product.advance('7 days');
    await page.goto('/board');
    await expect.poll(() => page.locator('tbody').first().textContent()).toContain('Oakfield Nursing Home');
    const headline = page.locator('[data-quorum-headline]');
    await expect.poll(() => headline.textContent()).toContain('Not quorate');
    await review('11-board');

    await page.getByLabel('Priya Shah').check();
    await expect.poll(() => page.locator('[data-quorum-count]').textContent()).toBe('1 of at least 3 members ticked');
    await page.getByLabel('Sam Ford').check();
    await page.getByLabel('Mark Ellis').check();
    await expect.poll(() => page.locator('[data-quorum-role="councilStrategicCommissioner"]').textContent()).toBe('Missing: a Strategic Commissioner from the council');
    await expect.poll(() => headline.textContent()).toContain('Not quorate');
    await page.getByLabel('Joan Baker').check();
    await expect.poll(() => headline.textContent()).toBe('Quorate: this meeting can take decisions.');
    await review('12-board-quorate-ticked');
    await page.getByLabel('Notes or minutes').fill('Oakfield discussed; evidence of improvement reviewed.');
    await page.getByRole('button', { name: 'Record meeting' }).click();
    await page.getByText('Meeting recorded: quorate').waitFor();
    await review('13-meeting-recorded');

    await page.getByRole('radio', { name: 'Close the case' }).check();
    await page.getByRole('button', { name: /Record the decision/ }).click();
    await page.getByText('Say why the Board decided this: a rationale is required').first().waitFor();
    await review('14-decision-needs-rationale');
    await page.getByRole('radio', { name: 'Close the case' }).check();
    await page.getByLabel('Why the Board decided this').fill('The provider has evidenced sustained improvement.');
    await page.getByRole('button', { name: /Record the decision/ }).click();
    await page.getByText('Decision recorded').first().waitFor();
    await product.runtime.idle();
    await review('15-decision-recorded');

    await page.goto('/memo');
    await expect.poll(() => page.locator('.app-memo-section--green').textContent()).toContain('Oakfield Nursing Home');
    expect(await page.locator('.app-memo-section--red').textContent()).not.toContain('Oakfield Nursing Home');
    await review('16-memo-green');
    // Printed, the memo keeps its sections and tables and drops the navigation.
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.govuk-service-navigation').isVisible()).toBe(false);
    expect(await page.locator('.app-memo-section--green table').isVisible()).toBe(true);
    await screenshot(page, '16-memo-print');
    await page.emulateMedia({ media: 'screen' });

    const view = await product.caseFor(OAKFIELD);
    await page.goto(`/cases/${view.case.caseId}`);
    expect(await currentRung()).toBe('Case closed');
    await review('17-case-closed');
  });

  it('uploads a ratings file and shows the result', async () => {
    await page.goto('/ratings');
    await review('18-ratings');
    // Willow Court newly rated Requires improvement; one row carries a rating CQC does not use.
    const willow = DEMO_LOCATIONS.find((location) => location.locationId === '1-1000000005')!;
    const csv = demoRatingsCsv([{ ...willow, ratings: ['Requires improvement', 'Brilliant', 'Good', 'Good', 'Good', 'Good'], published: '20/11/2026' }]);
    await page.getByLabel('Ratings file').setInputFiles({ name: 'locations-november.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Upload and read the file' }).click();
    await page.getByRole('heading', { level: 1, name: 'Ratings file read' }).waitFor();
    const summary = await page.locator('.govuk-summary-list').innerText();
    expect(summary.replace(/\s+/g, ' ')).toMatch(/Rows read 6 .*Rows rejected 1 .*Cases opened 1/);
    expect(await page.locator('tbody .govuk-table__row').first().textContent()).toContain('Brilliant');
    await review('19-ratings-result');
  });

  it('explains a used, an altered and a cut-short link clearly and accessibly', async () => {
    const link = product.linkIn(product.mailTo('tom.reid@westshire.example.gov.uk', /Approve Quality Improvement Notice — Oakfield/), 'approve');
    const path = new URL(link).pathname + new URL(link).search;
    await page.goto(path);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('This link has already been used');
    await review('08b-link-used');
    await page.goto(path.replace(/s=[^&]+/, 's=AAAA'));
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toMatch(/not complete|altered/);
    await review('08c-link-refused');
    await page.goto('/no-such-page');
    await review('08d-not-found');
  });

  it('never breaks its own content security policy', () => {
    expect(cspErrors).toEqual([]);
  });
});
