/**
 * Headless Chromium for the browser tests: Debian's `chromium` package driven by playwright-core
 * (no browser download). `.ci/run` installs the package; on CI (CI=true) a missing browser fails
 * the run, elsewhere the tests say why they are skipped.
 *
 * Also: a screenshot of each page for review (test-output/screenshots, git-ignored) and an
 * axe-core check that reports serious and critical accessibility violations.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const ROOT = new URL('../..', import.meta.url).pathname;
export const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');
const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');

export function onCi(): boolean {
  return /^(1|true|yes)$/i.test(process.env.CI ?? '');
}

/** Why the browser tests cannot run here, or undefined when they can (on CI the caller fails instead of skipping). */
export function browserUnavailable(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  return `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

let axeSource: string | undefined;

/**
 * Runs axe-core on the page; returns the serious and critical violations, each with where it was
 * found. The pages' CSP forbids inline scripts, so `addScriptTag` is refused; axe is evaluated
 * through the DevTools protocol instead, which the CSP does not govern (the pages keep theirs).
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(AXE, 'utf8');
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axeSource);
  const results = await page.evaluate(async () => {
    type Outcome = { violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> };
    const axe = (globalThis as unknown as { axe: { run: (context: string, options: unknown) => Promise<Outcome> } }).axe;
    const outcome = await axe.run('html', { resultTypes: ['violations'] });
    return outcome.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.slice(0, 5).map((node) => JSON.stringify(node.target)),
    }));
  });
  return results.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

export interface Overflow {
  /** The document's scroll width: more than `width` means the page scrolls sideways. */
  scrollWidth: number;
  /** The viewport's width, without a scroll bar. */
  width: number;
  /** The first few elements reaching past the viewport's right edge, to say what overflows. */
  wider: string[];
}

/** How wide the page is against the viewport (evaluated as a string: the tests have no DOM types). */
export async function horizontalOverflow(page: Page): Promise<Overflow> {
  return page.evaluate(`(() => {
    const width = document.documentElement.clientWidth;
    const wider = [...document.querySelectorAll('body *')]
      .filter((element) => element.getBoundingClientRect().right > width + 0.5)
      .slice(0, 5)
      .map((element) => element.tagName.toLowerCase() + '.' + [...element.classList].join('.') + ': ' + Math.round(element.getBoundingClientRect().right) + 'px');
    return { scrollWidth: document.documentElement.scrollWidth, width, wider };
  })()`);
}
