/**
 * A newcomer's path in a real browser (headless Chromium, Debian's package, driven by
 * playwright-core): sign in, read the mail, follow an approval link, confirm it, and see the case
 * move on; arrange the QIM with a UK date and a 12-hour time; record its outcome with a plan of
 * three actions added without JavaScript; record a quorate Board meeting (the quorum indicator
 * follows the ticks) and a decision; see the memo change; read the case's letters as sent and the
 * rungs it passed. Every page is checked at desktop width and at 320 px (a small phone): nothing
 * wider than the screen, no serious or critical axe-core violations, a screenshot at each width
 * (test-output/screenshots: `NN-name.png` and `NN-name--320px.png`).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { OAKFIELD, Product } from '../support/product';
import { longDate } from '../../functions/lib/dates';
import { demoRatingsCsv, DEMO_LOCATIONS } from '../../local/demo';
import { rmSync } from 'node:fs';
import { browserUnavailable, horizontalOverflow, launchBrowser, onCi, screenshot, SCREENSHOTS, seriousViolations } from '../support/browser';

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

  const DESKTOP = { width: 1280, height: 900 };
  const PHONE = { width: 320, height: 900 };

  /**
   * The page as it is now, at desktop width and at 320 px: a screenshot at each, axe at each, and
   * at 320 px nothing wider than the screen (the document does not scroll sideways).
   */
  async function review(name: string, on: Page = page): Promise<void> {
    // Dates are written in words on every page, never 2026-11-16 or 2026-11-16T09:00:00.000Z.
    expect((await on.locator('body').innerText()).match(/\b\d{4}-\d{2}-\d{2}\b/g), `${name}: ISO dates`).toBeNull();
    await screenshot(on, name);
    const violations = await seriousViolations(on);
    expect(violations, `${name}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
    await on.setViewportSize(PHONE);
    try {
      const overflow = await horizontalOverflow(on);
      expect(overflow.scrollWidth, `${name} at 320 px is ${overflow.scrollWidth} px wide: ${overflow.wider.join('; ')}`).toBeLessThanOrEqual(PHONE.width);
      await screenshot(on, `${name}--320px`);
      const phoneViolations = await seriousViolations(on);
      expect(phoneViolations, `${name} at 320 px: ${JSON.stringify(phoneViolations, null, 2)}`).toEqual([]);
    } finally {
      await on.setViewportSize(DESKTOP);
    }
  }

  /** A day some days after the product's today, as the three fields of a GOV.UK date input. */
  function dayFields(plusDays: number): { day: string; month: string; year: string; iso: string } {
    const date = new Date(product.runtime.clock.now().getTime() + plusDays * 86_400_000);
    return { day: String(date.getUTCDate()), month: String(date.getUTCMonth() + 1), year: String(date.getUTCFullYear()), iso: date.toISOString().slice(0, 10) };
  }

  /** Each date the case reached a rung, from the ladder picture: rung name → "Reached …" / "Since …". */
  async function rungDates(): Promise<Record<string, string>> {
    return page.locator('.app-ladder__rung').evaluateAll((rungs) =>
      Object.fromEntries(rungs.filter((rung) => rung.querySelector('.app-ladder__when')).map((rung) => [rung.querySelector('.app-ladder__name')!.textContent, rung.querySelector('.app-ladder__when')!.textContent])),
    );
  }

  const rungDays: string[] = [];

  async function currentRung(): Promise<string> {
    return (await page.locator('.app-ladder [aria-current="step"] .app-ladder__name').textContent()) ?? '';
  }

  beforeAll(async () => {
    rmSync(SCREENSHOTS, { recursive: true, force: true }); // this run's pictures only
    product = await Product.start();
    await product.ingestDemoRatings();
    rungDays.push(longDate(product.runtime.clock.now())); // the cases open on the formal (Oakfield) rung
    browser = await launchBrowser();
    context = await browser.newContext({ baseURL: product.url, viewport: DESKTOP });
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
    await product.advance('1 day'); // so that each rung the case passes has its own date
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
    rungDays.push(longDate(product.runtime.clock.now()));
    await page.getByRole('link', { name: 'Open the case' }).click();
    await page.getByRole('heading', { level: 1, name: 'Oakfield Nursing Home' }).waitFor();
    expect(await currentRung()).toBe('Quality Improvement Meeting');
    await expect.poll(() => page.locator('.govuk-inset-text strong').first().textContent()).toBe('Arrange Quality Improvement Meeting');
    await review('08-case-after-approval');
  });

  it("the provider's confirm-receipt page from the notice, its confirmation and the page for a used link (no account, no navigation)", async () => {
    const notice = product.mailTo('peter.hale@hawthorn-care-group.example.co.uk', /Formal Quality Improvement Notice: Oakfield/);
    const link = /href="([^"]*\/provider\/[^"]+)"/.exec(notice.body.html ?? '')![1]!.replaceAll('&amp;', '&');
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Confirm you have received the letter' }).waitFor();
    await review('08a-provider-confirm-receipt');
    await page.getByRole('button', { name: 'Confirm receipt' }).click();
    await page.getByRole('heading', { level: 2, name: 'There is a problem' }).waitFor();
    await review('08b-provider-confirm-receipt-error');
    await page.getByLabel('Your name').fill('Peter Hale');
    await page.getByRole('button', { name: 'Confirm receipt' }).click();
    await page.getByRole('heading', { level: 1, name: 'Receipt confirmed' }).waitFor();
    await review('08c-provider-receipt-confirmed');
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'This link has already been used' }).waitFor();
    await review('08d-provider-link-used');
    await product.runtime.idle();
    // Back where the officer was: the case page, which now shows who confirmed.
    const view = await product.caseFor(OAKFIELD);
    await page.goto(`/cases/${view.case.caseId}`);
    await page.getByRole('heading', { level: 2, name: "The provider's side" }).waitFor();
  });

  it('shows the provider as a whole', async () => {
    await page.getByRole('link', { name: 'Hawthorn Care Group Ltd' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Hawthorn Care Group Ltd' }).waitFor();
    await expect.poll(() => page.locator('.app-flag').textContent()).toContain('Corporate concern');
    await review('09-provider');
  });

  it('arranges the QIM with a UK date and a 12-hour time; a time that is not one comes back with what was typed', async () => {
    // Two days on, the officer arranges the meeting from the email.
    await product.advance('2 days');
    const meeting = dayFields(14);
    await page.goto('/mail');
    await page.getByRole('link', { name: /Arrange Quality Improvement Meeting — Oakfield/ }).click();
    await page.getByRole('link', { name: 'Record the meeting arrangements and send the invitation' }).click();
    await page.waitForURL('**/act/**');
    await page.getByRole('group', { name: 'Date of the meeting' }).getByLabel('Day').fill(meeting.day);
    await page.getByRole('group', { name: 'Date of the meeting' }).getByLabel('Month').fill(meeting.month);
    await page.getByRole('group', { name: 'Date of the meeting' }).getByLabel('Year').fill(meeting.year);
    await page.getByLabel('Time').fill('25pm');
    await page.getByLabel('Venue').fill('The lounge, Oakfield Nursing Home');
    await page.getByLabel('Who else is expected (one per line)').fill('ICB quality lead');
    await review('08e-qim-arrangement');
    await page.getByRole('button', { name: /^Confirm: Record the meeting arrangements/ }).click();
    await page.locator('.govuk-error-summary').waitFor();
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('Enter the time of the meeting like 10:30, 10:30am or 2pm (you typed 25pm)');
    expect(await page.getByLabel('Time').inputValue()).toBe('25pm');
    expect(await page.getByRole('group', { name: 'Date of the meeting' }).getByLabel('Day').inputValue()).toBe(meeting.day);
    await review('08f-qim-arrangement-error');
    await page.getByLabel('Time').fill('2:30pm');
    await page.getByRole('button', { name: /^Confirm: Record the meeting arrangements/ }).click();
    await page.getByRole('heading', { name: 'Decision recorded' }).waitFor();
    await product.runtime.idle();
    expect((await product.caseFor(OAKFIELD)).case.qim).toMatchObject({ date: meeting.iso, time: '14:30', venue: 'The lounge, Oakfield Nursing Home' });
    expect(product.mailTo('dev.patel@hawthorn-care-group.example.co.uk', /Invitation to a Quality Improvement Meeting/).body.text).toContain(`Date: ${longDate(meeting.iso)}`);
  });

  it('records the QIM outcome with a plan of three actions, each added without JavaScript', async () => {
    await product.advance('1 day');
    const link = product.linkIn(product.mailTo(TOM, /Record QIM Outcome — Oakfield/), 'referToBoard');
    // A browser with JavaScript off: "Add another action" is a plain submit button.
    const noScript = await browser.newContext({ baseURL: product.url, viewport: DESKTOP, javaScriptEnabled: false });
    noScript.setDefaultTimeout(10_000);
    const form = await noScript.newPage();
    try {
      await form.goto(new URL(link).pathname + new URL(link).search);
      const actions = [
        { action: 'Appoint a clinical lead', owner: 'Nominated Individual', due: dayFields(30), success: 'Clinical lead in post and on the rota' },
        { action: 'Retrain staff on medicines', owner: 'Registered Manager', due: dayFields(45), success: 'Medicines audit with no errors' },
        { action: 'Review every care plan', owner: 'Registered Manager', due: dayFields(60), success: 'All care plans reviewed and signed' },
      ];
      for (const [index, item] of actions.entries()) {
        const row = form.getByRole('group', { name: `Action ${index + 1}`, exact: true });
        await row.getByLabel('What will be done').fill(item.action);
        await row.getByLabel('Who owns it').fill(item.owner);
        await row.getByLabel('Day').fill(item.due.day);
        await row.getByLabel('Month').fill(item.due.month);
        await row.getByLabel('Year').fill(item.due.year);
        await row.getByLabel('How success will be shown').fill(item.success);
        if (index < actions.length - 1) {
          await form.getByRole('button', { name: 'Add another action' }).click();
          await form.getByRole('group', { name: `Action ${index + 2}`, exact: true }).waitFor();
        }
      }
      // Everything typed so far survived each redraw.
      expect(await form.getByRole('group', { name: 'Action 1', exact: true }).getByLabel('What will be done').inputValue()).toBe('Appoint a clinical lead');
      expect(await form.getByRole('group', { name: 'Action 2', exact: true }).getByLabel('Day').inputValue()).toBe(actions[1]!.due.day);
      await form.getByLabel('Suspend new placements (memo RED)').check();
      await form.getByLabel('Tell the people using the service and their families').check();
      // axe and the width check need page scripts, so the same form is reviewed in the scripted browser.
      await screenshot(form, '08g-qim-outcome-three-actions-no-javascript');
      await page.goto(new URL(link).pathname + new URL(link).search);
      await page.getByRole('button', { name: 'Add another action' }).click();
      await page.getByRole('group', { name: 'Action 2', exact: true }).waitFor();
      await page.getByRole('button', { name: 'Remove action 1' }).click();
      await page.getByRole('group', { name: 'Action 1', exact: true }).waitFor();
      expect(await page.getByRole('group', { name: 'Action 2', exact: true }).count()).toBe(0);
      await page.getByRole('button', { name: 'Add another action' }).click();
      await review('08g-qim-outcome-plan-rows');
      await form.getByRole('button', { name: 'Confirm: Refer to the Commissioning & Quality Board' }).click();
      await form.getByRole('heading', { name: 'Decision recorded' }).waitFor();
      await product.runtime.idle();
      rungDays.push(longDate(product.runtime.clock.now()));
      expect((await product.caseFor(OAKFIELD)).case.improvementPlan).toEqual(actions.map((item) => ({ action: item.action, owner: item.owner, due: item.due.iso, success: item.success })));
    } finally {
      await noScript.close();
    }
  });

  it('records a quorate Board meeting as members are ticked, then a decision, and the memo changes', async () => {
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

  it("the case page keeps the record: the rungs passed with their dates, only what is current, each letter as sent", async () => {
    const view = await product.caseFor(OAKFIELD);
    await page.goto(`/cases/${view.case.caseId}`);
    const [formal, qim, board] = rungDays;
    expect(new Set(rungDays).size).toBe(3);
    expect(await rungDates()).toEqual({
      'Formal stage': `Reached ${formal}`,
      'Quality Improvement Meeting': `Reached ${qim}`,
      'Referred to the Board': `Reached ${board}`,
      'Case closed': `Since ${longDate(view.case.closedAt)}`,
    });
    expect(await page.locator('.app-ladder__rung--passed').count()).toBe(3);
    // Closed: no deadline runs, no step is pending.
    const main = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
    expect(main).not.toMatch(/Response due|days left|Pending steps/);
    expect(main).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    expect(main).toContain('Clinical lead in post and on the rota');
    // Each email opens as it was sent.
    await page.getByRole('link', { name: 'Notice of service provider default: Oakfield Nursing Home' }).click();
    await page.getByRole('heading', { level: 1, name: 'Notice of service provider default: Oakfield Nursing Home' }).waitFor();
    const letter = await page.locator('.app-email').innerText();
    expect(letter).toContain('Rectification required');
    expect(letter).toContain('Review every care plan');
    await review('17b-case-letter-as-sent');
    await page.getByRole('link', { name: 'Back to the case' }).click();
    await page.getByRole('heading', { level: 1, name: 'Oakfield Nursing Home' }).waitFor();
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
