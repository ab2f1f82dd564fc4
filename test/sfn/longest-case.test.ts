/**
 * The longest case the policy allows, on the local runtime and its virtual clock: formal stage,
 * Board, a rectification notice until the next inspection, a six-month final warning, the review
 * six months after the Board accepts the improvement. Nobody answers a request before its
 * reminders have come, so reminders pile up at every step. Each execution must stay well inside
 * what Standard Step Functions allows (25,000 history events, one year) by continuing as new.
 *
 * A closed execution is forgotten 90 days on (as on AWS), so each one's history is read as soon
 * as it closes. What is measured (events, state transitions: the cost) is printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { isoDate } from '../../functions/lib/clock';
import { dateFields, OAKFIELD, Product, QIM_ARRANGEMENT, qimOutcome } from '../support/product';

const TOM = 'tom.reid@westshire.example.gov.uk';
const DAY_MS = 86_400_000;
/** "Well under" the limits: a tenth of the history, and a year less the month continue-as-new keeps in hand. */
const EVENTS_CEILING = 2_500;
const DAYS_CEILING = 335;

interface Measured {
  name: string;
  status: string;
  days: number;
  events: number;
  transitions: number;
  timedOutWaits: number;
  lastState: string | undefined;
}

/** What AWS bills: one transition per state entered, and one more per retry of a task. */
function measure(name: string, status: string, start: Date, stop: Date, events: HistoryEvent[]): Measured {
  let transitions = 0;
  let scheduledInState = 0;
  for (const event of events) {
    const type = event.type ?? '';
    if (type.endsWith('StateEntered')) {
      transitions += 1;
      scheduledInState = 0;
    } else if (type === 'TaskScheduled' || type === 'LambdaFunctionScheduled') {
      scheduledInState += 1;
      if (scheduledInState > 1) transitions += 1; // a retry
    }
  }
  const entered = events.filter((event) => event.type?.endsWith('StateEntered'));
  return {
    name,
    status,
    days: Math.round(((stop.getTime() - start.getTime()) / DAY_MS) * 10) / 10,
    events: events.length,
    transitions,
    timedOutWaits: events.filter((event) => event.type === 'TaskTimedOut').length,
    lastState: entered.at(-1)?.stateEnteredEventDetails?.name,
  };
}

describe('the longest case the policy allows', () => {
  let product: Product;
  const measured = new Map<string, Measured>();

  beforeAll(async () => {
    product = await Product.start();
  });
  afterAll(async () => product.close());

  /** Reads the history of every execution of the case that has closed since the last look. */
  async function watch(): Promise<void> {
    const { engine } = product.runtime;
    for (const { executionArn } of (await product.caseFor(OAKFIELD)).case.executions) {
      if (measured.has(executionArn)) continue;
      const described = engine.describeExecution({ executionArn });
      if (described.status === 'RUNNING') continue;
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      do {
        const page = engine.getExecutionHistory({ executionArn, maxResults: 1000, nextToken });
        events.push(...page.events);
        nextToken = page.nextToken;
      } while (nextToken);
      measured.set(executionArn, measure(described.name, described.status, described.startDate, described.stopDate!, events));
    }
  }

  /** Time passes with nobody answering, a month at most at a time (well inside the 90 days a closed execution is kept). */
  async function nobodyAnswersFor(days: number): Promise<void> {
    for (let left = days; left > 0; left -= 30) {
      await product.advance(`${Math.min(30, left)} days`);
      await watch();
    }
  }

  const dayOfCase = (): number => Math.round((product.runtime.clock.now().getTime() - opened) / DAY_MS);
  let opened = 0;

  it('runs 20 months with reminders piling up, continues as new before a year, and closes', async () => {
    opened = product.runtime.clock.now().getTime();
    await product.ingestDemoRatings([OAKFIELD]); // Inadequate: straight to the formal stage

    await nobodyAnswersFor(15);
    await product.officerDecides(TOM, /Approve Quality Improvement Notice — Oakfield/, 'approve');
    await nobodyAnswersFor(8);
    const meeting = isoDate(new Date(product.runtime.clock.now().getTime() + 15 * DAY_MS));
    await product.officerDecides(TOM, /Arrange Quality Improvement Meeting — Oakfield/, 'arranged', { ...QIM_ARRANGEMENT, ...dateFields('date', meeting) });
    await nobodyAnswersFor(25);
    const plan = [`Appoint a clinical lead | Nominated Individual | ${isoDate(new Date(product.runtime.clock.now().getTime() + 60 * DAY_MS))}`];
    await product.officerDecides(TOM, /Record QIM Outcome — Oakfield/, 'referToBoard', qimOutcome('suspendNewPlacements', true, plan));
    expect((await product.caseFor(OAKFIELD)).case.stage).toBe('board');

    await nobodyAnswersFor(35); // the Board's papers are re-sent every 30 days
    expect((await product.boardDecides(OAKFIELD, 'rectificationNotice', 'Until the next inspection.')).status).toBe(200);
    expect((await product.caseFor(OAKFIELD)).case.stage).toBe('rectification');

    await nobodyAnswersFor(92); // checked on every 90 days
    const published = isoDate(product.runtime.clock.now()).split('-').reverse().join('/');
    await product.publishInspection(OAKFIELD, ['Requires improvement', 'Good', 'Requires improvement', 'Good', 'Good', 'Requires improvement'], published);
    expect((await product.caseFor(OAKFIELD)).case.waitingOn?.step).toBe('Await Board Decision');

    await nobodyAnswersFor(32);
    expect((await product.boardDecides(OAKFIELD, 'finalWarning', 'Still below Good at re-inspection.')).status).toBe(200);
    let view = await product.caseFor(OAKFIELD);
    expect(view.case.stage).toBe('finalWarning');
    // Six months would take the first execution past its 300 days: the case went on in a new one.
    expect(view.case.executions).toHaveLength(2);
    const finalWarningDay = dayOfCase();

    await nobodyAnswersFor(185); // the deadline passes: the Board is asked for its final decision
    view = await product.caseFor(OAKFIELD);
    expect(view.case.stage).toBe('finalDecision');
    await nobodyAnswersFor(32);
    expect((await product.boardDecides(OAKFIELD, 'improvementAccepted', 'Sustained improvement shown.')).status).toBe(200);
    view = await product.caseFor(OAKFIELD);
    expect(view.case.stage).toBe('review');
    expect(view.case.executions).toHaveLength(3);

    await nobodyAnswersFor(185); // six months on, the lead officer is asked to record the review
    expect((await product.caseFor(OAKFIELD)).case.waitingOn?.step).toBe('Record Review Outcome');
    await nobodyAnswersFor(15);
    await product.officerDecides(TOM, /Record Review Outcome — Oakfield/, 'sustained', { note: 'Good on every visit since.' });
    await watch();

    view = await product.caseFor(OAKFIELD);
    expect(view.case.status).toBe('closed');
    expect(dayOfCase()).toBeGreaterThan(540); // about 18 months or more
    expect(dayOfCase() - finalWarningDay).toBeGreaterThan(365);
    const reminders = view.audit.filter((event) => event.action === 'reminder due').length;
    expect(reminders).toBeGreaterThanOrEqual(8);
    // Officers' reminders (the Board's come as its papers sent again).
    const reminderMail = product.allMail().filter((email) => /^Reminder \d+: /.test(email.subject));
    expect(reminderMail.length).toBeGreaterThanOrEqual(6);

    const executions = view.case.executions.map(({ executionArn }) => measured.get(executionArn));
    expect(executions.every((execution) => execution !== undefined)).toBe(true);
    const rows = executions as Measured[];
    console.info(
      `Longest case: ${dayOfCase()} days, ${reminders} reminders due, ${rows.length} executions\n` +
        rows.map((r) => `  ${r.name}: ${r.status} after ${r.days} days, ${r.events} events, ${r.transitions} state transitions, ${r.timedOutWaits} timed-out waits, ended at "${r.lastState}"`).join('\n') +
        `\n  total: ${rows.reduce((n, r) => n + r.events, 0)} events, ${rows.reduce((n, r) => n + r.transitions, 0)} state transitions`,
    );
    for (const row of rows) {
      expect(row.status).toBe('SUCCEEDED');
      expect(row.events).toBeLessThan(EVENTS_CEILING);
      expect(row.days).toBeLessThan(DAYS_CEILING);
    }
    expect(rows.slice(0, -1).map((r) => r.lastState)).toEqual(rows.slice(0, -1).map(() => 'Continued In New Execution'));
    expect(rows.at(-1)?.lastState).toBe('Case Closed');
  });
});
