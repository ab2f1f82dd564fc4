/**
 * Email links on hostile ground: forged, replayed, expired, forwarded, fetched by scanners,
 * raced. Each refusal gets its own clear page and changes nothing (compared as a table dump).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { dateFields, daysFromToday, MEADOWBANK, OAKFIELD, Product, qimOutcome } from '../support/product';
import { dumpTable } from '../support/table-dump';
import { signLink } from '../../functions/lib/links';

const AISHA = 'aisha.khan@westshire.example.gov.uk';
const TOM = 'tom.reid@westshire.example.gov.uk';

function withQuery(link: string, name: string, value: string): string {
  const url = new URL(link);
  url.searchParams.set(name, value);
  return url.toString().replace(/%2F/g, '/');
}

/** The hash of the letters each confirmation page showed, posted back as the page's form does. */
const letterHashes = new Map<string, string>();

async function post(link: string, body: Record<string, string>): Promise<{ status: number; page: string }> {
  const letterHash = letterHashes.get(link);
  const response = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...(letterHash ? { letterHash } : {}), ...body }).toString() });
  return { status: response.status, page: await response.text() };
}

async function formTokenFor(link: string): Promise<string> {
  const page = await (await fetch(link)).text();
  const letterHash = /name="letterHash" value="([^"]+)"/.exec(page)?.[1];
  if (letterHash) letterHashes.set(link, letterHash);
  return /name="formToken" value="([^"]+)"/.exec(page)?.[1] ?? '';
}

function heading(page: string): string {
  return /<h1[^>]*>([^<]*)</.exec(page)?.[1] ?? '';
}

describe('email links', () => {
  let product: Product;
  beforeAll(async () => {
    product = await Product.start();
    await product.ingestDemoRatings([MEADOWBANK, OAKFIELD]);
  });
  afterAll(async () => product.close());

  it('a scanner fetching every link in an email changes nothing', async () => {
    const email = product.mailTo(AISHA, /Informal Outcome — Meadowbank/);
    const links = [...(email.body.html ?? '').matchAll(/href="([^"]+)"/g)].map((match) => match[1]!.replaceAll('&amp;', '&'));
    expect(links.length).toBeGreaterThanOrEqual(3);
    const before = await dumpTable(product.runtime);
    for (const link of links) {
      for (const method of ['GET', 'HEAD']) {
        const response = await fetch(link, { method });
        expect(response.status, `${method} ${link}`).toBeLessThan(500);
      }
    }
    await product.runtime.idle();
    expect(await dumpTable(product.runtime)).toEqual(before);
  });

  it('a tampered signature, a changed decision or officer, and a cut-short link are each refused and change nothing', async () => {
    const link = product.linkIn(product.mailTo(AISHA, /Informal Outcome — Meadowbank/), 'noFurtherAction');
    const before = await dumpTable(product.runtime, { withoutAudit: true });
    const auditBefore = (await product.caseFor(MEADOWBANK)).audit.length;
    const signature = new URL(link).searchParams.get('s')!;
    const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');
    const cases: Array<[string, number, RegExp]> = [
      [withQuery(link, 's', flipped), 403, /altered/],
      [link.replace('/noFurtherAction?', '/formalStage?'), 403, /altered/],
      [withQuery(link, 'o', 'tom-reid'), 403, /altered/],
      [link.slice(0, link.indexOf('&s=')), 400, /not complete/],
    ];
    for (const [candidate, status, title] of cases) {
      const get = await fetch(candidate);
      const page = await get.text();
      expect(get.status, candidate).toBe(status);
      expect(heading(page)).toMatch(title);
      const posted = await post(candidate, { formToken: 'x' });
      expect(posted.status).toBe(status);
    }
    const after = await dumpTable(product.runtime, { withoutAudit: true });
    expect(after.map((item) => `${String(item.pk)} ${String(item.sk)}`)).toEqual(before.map((item) => `${String(item.pk)} ${String(item.sk)}`));
    expect(after).toEqual(before);
    // The three POSTs that named the real step are on its audit trail; the cut-short one named none.
    const refused = (await product.caseFor(MEADOWBANK)).audit.slice(auditBefore);
    expect(refused.map((event) => [event.action, event.detail.reason])).toEqual([
      ['link refused', 'tampered'],
      ['link refused', 'tampered'],
      ['link refused', 'tampered'],
    ]);
    expect(refused[0]?.source).toBe('127.0.0.1');
  });

  it('a POST without the form token, or with one for another link, changes nothing', async () => {
    const link = product.linkIn(product.mailTo(AISHA, /Informal Outcome — Meadowbank/), 'noFurtherAction');
    const other = product.linkIn(product.mailTo(AISHA, /Informal Outcome — Meadowbank/), 'formalStage');
    const before = await dumpTable(product.runtime, { withoutAudit: true });
    expect((await post(link, {})).status).toBe(400);
    expect(heading((await post(link, { formToken: await formTokenFor(other) })).page)).toMatch(/confirmation page/);
    expect(await dumpTable(product.runtime, { withoutAudit: true })).toEqual(before);
    expect((await product.caseFor(MEADOWBANK)).audit.slice(-2).map((event) => event.detail.reason)).toEqual(['badForm', 'badForm']);
  });

  it('a link signed for another officer (e.g. a forwarded or reassigned step) is refused', async () => {
    const email = product.mailTo(AISHA, /Informal Outcome — Meadowbank/);
    const taskId = /\/act\/([^/]+)\//.exec(product.linkIn(email, 'noFurtherAction'))![1]!;
    const forged = product.url + signLink(product.runtime.deps.signingKey, { taskId, officer: 'tom-reid', decision: 'noFurtherAction', expiresAt: new Date(product.runtime.clock.now().getTime() + 86_400_000) });
    const before = await dumpTable(product.runtime);
    const response = await fetch(forged);
    expect(response.status).toBe(403);
    expect(heading(await response.text())).toMatch(/sent to someone else/);
    expect(await dumpTable(product.runtime)).toEqual(before);
  });

  it('two simultaneous POSTs: exactly one wins; the other is told the link was used', async () => {
    const link = product.linkIn(product.mailTo(TOM, /Approve Quality Improvement Notice — Oakfield/), 'approve');
    const formToken = await formTokenFor(link);
    const results = await Promise.all(Array.from({ length: 5 }, () => post(link, { formToken })));
    await product.runtime.idle();
    const statuses = results.map((result) => result.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409]);
    expect(results.filter((result) => heading(result.page).includes('already been used'))).toHaveLength(4);
    const view = await product.caseFor(OAKFIELD);
    expect(product.actions(view).filter((action) => action === 'decision recorded')).toHaveLength(1);
    expect(product.allMail().filter((email) => /Formal Quality Improvement Notice: Oakfield/.test(email.subject))).toHaveLength(1);
    // And the used link, reused later, changes nothing either.
    const before = await dumpTable(product.runtime, { withoutAudit: true });
    const reused = await post(link, { formToken });
    expect(reused.status).toBe(409);
    expect(await dumpTable(product.runtime, { withoutAudit: true })).toEqual(before);
    expect((await product.caseFor(OAKFIELD)).audit.at(-1)).toMatchObject({ action: 'link refused', detail: { reason: 'used' } });
  });

  it('a superseded link (the step moved on without it) is refused', async () => {
    // The first request for "Arrange QIM" is superseded by a reminder with fresh links.
    const first = product.linkIn(product.mailTo(TOM, /^Action needed: Arrange Quality Improvement Meeting — Oakfield/), 'arranged');
    await product.advance('8 days');
    expect(product.mailTo(TOM, /^Reminder 1: Action needed: Arrange Quality Improvement Meeting — Oakfield/)).toBeTruthy();
    const before = await dumpTable(product.runtime);
    const response = await fetch(first);
    expect(response.status).toBe(409);
    expect(heading(await response.text())).toMatch(/moved on/);
    expect(await dumpTable(product.runtime)).toEqual(before);
  });

  it('an expired link is refused', async () => {
    const link = product.linkIn(product.mailTo(TOM, /^Reminder 1: Action needed: Arrange Quality Improvement Meeting — Oakfield/), 'arranged');
    const expires = Number(new URL(link).searchParams.get('e'));
    await product.runtime.clock.advanceTo(new Date(expires * 1000 + 1000));
    await product.runtime.idle();
    const response = await fetch(link);
    expect(response.status).toBe(410);
    expect(heading(await response.text())).toMatch(/expired/);
  });

  it('when Step Functions lost the execution, the decision is kept ("being recorded") and the resumed case takes it, once', async () => {
    const fresh = product.newMail();
    expect(fresh.length).toBeGreaterThan(0);
    const view = await product.caseFor(MEADOWBANK);
    const link = product.linkIn(product.mailTo(AISHA, /Informal Outcome — Meadowbank/), 'formalStage');
    const formToken = await formTokenFor(link);
    // The execution is stopped behind the case's back (an operator, a deploy gone wrong).
    await product.runtime.deps.sfn.send(new StopExecutionCommand({ executionArn: view.case.executions.at(-1)!.executionArn, error: 'Operator', cause: 'test' }));
    const result = await post(link, { formToken });
    expect(result.status).toBe(202);
    expect(heading(result.page)).toMatch(/being recorded/);
    let after = await product.caseFor(MEADOWBANK);
    expect(after.tasks.find((item) => item.taskId === after.case.pendingTaskId)?.status).toBe('decided');
    // The administrator's resume starts the case again at its step, and that wait takes the decision.
    expect((await product.api('POST', '/admin/resume')).status).toBe(200);
    after = await product.caseFor(MEADOWBANK);
    expect(after.case.stage).toBe('formal');
    expect(after.case.waitingOn?.step).toBe('Approve Quality Improvement Notice');
    expect(after.tasks.find((item) => item.taskId === view.case.pendingTaskId)?.status).toBe('used');
    expect(product.actions(after).filter((action) => action === 'decision recorded')).toHaveLength(1);
    expect(product.allMail().filter((email) => /Outcome of our informal discussion/.test(email.subject) && email.destination.to.includes('ruth.dale@hawthorn-care-group.example.co.uk'))).toHaveLength(1);
    expect(product.allMail().filter((email) => /^Action needed: Await Informal Outcome — Meadowbank/.test(email.subject))).toHaveLength(1);
  });
});

describe('details typed on a confirmation page', () => {
  let product: Product;
  beforeAll(async () => {
    product = await Product.start();
    await product.ingestDemoRatings([OAKFIELD]);
    await product.officerDecides(TOM, /Approve Quality Improvement Notice — Oakfield/, 'approve');
  });
  afterAll(async () => product.close());

  it('an impossible or past meeting date, or a bad time, comes back on the same page with what was typed, and nothing is sent', async () => {
    const link = product.linkIn(product.mailTo(TOM, /Arrange Quality Improvement Meeting — Oakfield/), 'arranged');
    const formToken = await formTokenFor(link);
    const before = await dumpTable(product.runtime, { withoutAudit: true });
    const mailBefore = product.allMail().length;
    const meeting = dateFields('date', daysFromToday(10));
    for (const [date, time, message] of [
      [{ 'date-day': '30', 'date-month': '2', 'date-year': '2027' }, '10:30', /must be a real date \(you typed 30\/2\/2027\)/],
      [{ 'date-day': '15', 'date-month': '', 'date-year': '2027' }, '10:30', /must include a month/],
      [dateFields('date', '2020-01-01'), '10:30', /today or in the future: 1 January 2020 has passed/],
      [meeting, '25:99', /like 10:30, 10:30am or 2pm \(you typed 25:99\)/],
      [meeting, '13pm', /you typed 13pm/],
    ] as const) {
      const result = await post(link, { formToken, ...date, time, venue: 'The Lounge, Oakfield' });
      expect(result.status).toBe(400);
      expect(result.page).toContain('There is a problem');
      expect(result.page).toMatch(message);
      expect(result.page).toContain('value="The Lounge, Oakfield"');
      expect(result.page).toContain(`value="${time}"`);
      expect(result.page).toContain(`name="date-day" type="text" inputmode="numeric" value="${date['date-day']}"`);
      expect(result.page).not.toMatch(/expected string|Invalid input/);
    }
    expect(await dumpTable(product.runtime, { withoutAudit: true })).toEqual(before);
    expect(product.allMail()).toHaveLength(mailBefore);
    // Corrected, the same link still works, and a 12-hour time is kept as the clock time.
    const ok = await post(link, { formToken, ...meeting, time: '2pm', venue: 'The Lounge, Oakfield' });
    expect(ok.status).toBe(200);
    await product.runtime.idle();
    expect((await product.caseFor(OAKFIELD)).case.qim).toMatchObject({ date: daysFromToday(10), time: '14:00' });
  });

  it('an improvement-plan row without a real due date or an owner names the action and the field', async () => {
    await product.runtime.idle();
    const link = product.linkIn(product.mailTo(TOM, /Record QIM Outcome — Oakfield/), 'followUp');
    const result = await post(link, {
      formToken: await formTokenFor(link),
      position: 'placeWithRestrictions',
      ...qimOutcome('placeWithRestrictions', false, ['Train staff | Manager | 2027-01-31', 'Audit medicines |  | 2027-02-28']),
      'plan-2-due-day': '31',
      'plan-2-due-month': '2',
    });
    expect(result.status).toBe(400);
    expect(result.page).toContain('Action 2: enter who owns it');
    expect(result.page).toContain('Action 2: the due date must be a real date (you typed 31/2/2027)');
    expect(result.page).toContain('href="#plan-2-due"');
    expect(result.page).toContain('value="Audit medicines"');
  });
});
