/**
 * When something fails: SES refuses mail, a function crashes mid-step. Nothing is silently lost
 * and no case is stuck without a visible reason. And a fuzz run: a thousand malformed requests
 * get 4xx answers, never a 5xx, and change nothing. Hostile text is escaped everywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEADOWBANK, OAKFIELD, Product, DEMO_LOCATIONS } from '../support/product';
import { dumpTable } from '../support/table-dump';
import { demoRatingsCsv } from '../../local/demo';

const AISHA = 'aisha.khan@westshire.example.gov.uk';
const TOM = 'tom.reid@westshire.example.gov.uk';
const ADMIN = 'escalation.admin@westshire.example.gov.uk';

describe('when SES refuses or throttles a send', () => {
  let product: Product;
  beforeAll(async () => {
    product = await Product.start();
    await product.ingestDemoRatings([OAKFIELD]);
  });
  afterAll(async () => product.close());

  it('retries with backoff; if it still fails the case records it, the administrator is alerted, and a retry finishes the step', async () => {
    // SES throttles every send for a while: the SDK's retries and the state machine's retries all fail.
    product.runtime.ses.failNext(10_000, 'Throttling');
    const link = product.linkIn(product.mailTo(TOM, /Approve Quality Improvement Notice — Oakfield/), 'approve');
    const page = await (await fetch(link)).text();
    const formToken = /name="formToken" value="([^"]+)"/.exec(page)![1]!;
    const posted = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ formToken, letterHash: /name="letterHash" value="([^"]+)"/.exec(page)?.[1] ?? '' }).toString() });
    expect(posted.status).toBe(200);
    await product.runtime.idle();
    // The state machine's backoff runs on the virtual clock: 2 s, 6 s, 18 s, 54 s.
    for (let i = 0; i < 6; i += 1) await product.advance('2 minutes');

    let view = await product.caseFor(OAKFIELD);
    expect(view.case.lastFailure).toMatchObject({ step: 'Send Quality Improvement Notice' });
    expect(view.case.lastFailure?.error).toMatch(/EmailSendFailed/);
    expect(view.case.waitingOn).toMatchObject({ step: 'Send Quality Improvement Notice: Await Retry', who: 'administrator' });
    expect(product.actions(view)).toContain('step failed');
    expect(product.allMail().filter((email) => /Formal Quality Improvement Notice/.test(email.subject))).toHaveLength(0);
    const casePage = async () => (await fetch(`${product.url}/cases/${view.case.caseId}`, { headers: { authorization: `Bearer ${product.runtime.adminToken}` } })).text();
    expect(await casePage()).toMatch(/<strong class="govuk-tag govuk-tag--red">Failed<\/strong> Send Quality Improvement Notice/);

    // SES is back: the administrator's retry request arrives (its own first sends were throttled too).
    product.runtime.ses.clearFaults();
    await product.advance('1 hour');
    const retryRequest = product.mailTo(ADMIN, /Send Quality Improvement Notice: Await Retry/);
    await product.officerDecides(ADMIN, new RegExp(retryRequest.subject.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'retry');
    view = await product.caseFor(OAKFIELD);
    expect(product.allMail().filter((email) => /Formal Quality Improvement Notice: Oakfield/.test(email.subject))).toHaveLength(1);
    expect(view.case.waitingOn?.step).toBe('Arrange Quality Improvement Meeting');
    // The case page shows what is current: the retried step succeeded, so no failure (it is in the audit trail).
    const record = await casePage();
    expect(record).not.toContain('govuk-tag--red">Failed');
    expect(record).toContain('step failed');
  });
});

describe('when only the second letter of a step fails', () => {
  let product: Product;
  beforeAll(async () => {
    product = await Product.start();
    await product.ingestDemoRatings([OAKFIELD]);
  });
  afterAll(async () => product.close());

  it('the retried step sends the second letter and not the first again', async () => {
    // The Quality Improvement Notice goes; the Contract Performance Notice is throttled (three
    // tries by the SDK), so the step fails once and the state machine retries it.
    product.runtime.ses.failNext(3, 'Throttling', 1);
    await product.officerDecides(TOM, /Approve Quality Improvement Notice — Oakfield/, 'approve');
    await product.advance('1 minute');
    const notices = product.allMail().filter((email) => /Formal Quality Improvement Notice: Oakfield/.test(email.subject));
    const performance = product.allMail().filter((email) => /Contract Performance Notice/.test(email.subject));
    expect(notices).toHaveLength(1);
    expect(performance).toHaveLength(1);
    const view = await product.caseFor(OAKFIELD);
    expect(view.case.waitingOn?.step).toBe('Arrange Quality Improvement Meeting');
    expect(view.case.lastFailure).toBeUndefined();
  });
});

describe('when a function crashes or times out mid-step', () => {
  let product: Product;
  beforeAll(async () => {
    product = await Product.start();
    await product.ingestDemoRatings([MEADOWBANK]);
  });
  afterAll(async () => product.close());

  it('a transient Lambda fault is retried and the step completes once', async () => {
    product.runtime.lambdaFaults.push({ action: 'confirmInformalOutcome', error: 'Lambda.ServiceException', times: 2 });
    await product.officerDecides(AISHA, /Informal Outcome — Meadowbank/, 'formalStage');
    await product.advance('1 minute');
    const view = await product.caseFor(MEADOWBANK);
    expect(view.case.stage).toBe('formal');
    expect(product.allMail().filter((email) => /Outcome of our informal discussion/.test(email.subject))).toHaveLength(1);
    expect(view.case.lastFailure).toBeUndefined();
  });

  it('a function that keeps timing out brings the case to a recorded, visible state', async () => {
    product.runtime.lambdaFaults.push({ action: 'sendQualityImprovementNotice', error: 'States.Timeout', message: 'Task timed out after 30 seconds', times: 1 });
    await product.officerDecides(AISHA, /Approve Quality Improvement Notice — Meadowbank/, 'approve');
    const view = await product.caseFor(MEADOWBANK);
    expect(view.case.lastFailure).toMatchObject({ step: 'Send Quality Improvement Notice' });
    expect(view.case.waitingOn?.who).toBe('administrator');
    expect(product.mailTo(ADMIN, /"Send Quality Improvement Notice" failed/).body.text).toMatch(/nothing has been lost/);
    expect(view.audit.at(-2)?.action).toBe('step failed');
  });
});

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('fuzzing the endpoints', () => {
  let product: Product;
  beforeAll(async () => {
    product = await Product.start();
    await product.ingestDemoRatings([MEADOWBANK, OAKFIELD]);
  });
  afterAll(async () => product.close());

  it('answers 1,000 malformed link paths and request bodies with 4xx, never 5xx, and changes nothing', async () => {
    const next = random(20261125);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const link = product.linkIn(product.mailTo(AISHA, /Informal Outcome — Meadowbank/), 'noFurtherAction');
    const realPath = new URL(link).pathname + new URL(link).search;
    const junk = ['', '%', '%00', '..', '../..', '/', '?', '&', '=', '<script>', '"', "'", '\\', '%ZZ', 'é', '🙂', 'A'.repeat(3000), '\u0000', 'null', '{}', '[]', '-1', '1e999'];
    const mutate = (text: string): string => {
      const chars = [...text];
      const edits = 1 + Math.floor(next() * 4);
      for (let i = 0; i < edits; i += 1) {
        const at = Math.floor(next() * (chars.length + 1));
        if (next() < 0.5) chars.splice(at, 1);
        else chars.splice(at, 0, pick(junk));
      }
      return chars.join('');
    };
    const paths = ['/act/', '/board/meetings', '/board/decisions', '/admin/cases', '/api/cases/', '/cases/', '/providers/', '/memo', '/nowhere'];
    // The JSON endpoints get their exact paths with bodies that can never be valid: junk where
    // a date, an id or a sheet belongs (seeded from values no record has).
    const jsonEndpoints: Array<[string, () => string]> = [
      ['/board/meetings/schedule', () => JSON.stringify({ date: mutate('not-a-date') })],
      ['/board/meetings', () => pick([`{"date":"${mutate('x')}","attendees":[]}`, `{"attendees":"${mutate('x')}"}`, mutate('{"date":')])],
      ['/board/decisions', () => JSON.stringify({ meetingId: mutate('no-such-meeting'), caseId: mutate('no-such-case'), decision: mutate('close'), rationale: mutate('r') })],
      ['/admin/cases', () => pick([JSON.stringify({ locationId: mutate('no-such-location'), concern: mutate('c') }), mutate('{"concern":1}'), '[]'])],
      ['/admin/ingest?fileName=x.csv', () => mutate('Provider,Name\r\n1,2')],
    ];
    const before = await dumpTable(product.runtime);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1000; i += 1) {
      const kind = next();
      let path: string;
      if (kind < 0.25) {
        const [endpoint, body] = pick(jsonEndpoints);
        const response = await fetch(`${product.url}${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${product.runtime.adminToken}` }, body: body() });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.status, `POST ${endpoint}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `POST ${endpoint}: ${await response.clone().text()}`).toBeLessThan(500);
        await response.arrayBuffer();
        continue;
      }
      if (kind < 0.55) path = mutate(realPath);
      else if (kind < 0.6) path = `/act/${mutate('x')}/${mutate('approve')}?o=${mutate('aisha-khan')}&e=${mutate('99999999999')}&s=${mutate('abc')}`;
      // Appended junk that a URL parser would resolve away ("..", "?") would make a valid request.
      else path = pick(paths) + pick(junk.filter((item) => item && !['?', '..', '../..', '/'].includes(item))) + mutate('x').replace(/[?#]/g, '');
      if (!path.startsWith('/')) path = `/${path}`;
      const method = pick(['GET', 'POST', 'POST', 'PUT', 'DELETE']);
      const body = method === 'GET' ? undefined : pick([mutate('formToken=x&note=y'), mutate('{"meetingId":"m","caseId":"c","decision":"close","rationale":"r"}'), mutate(''), '{', 'a'.repeat(10_000)]);
      const token = next() < 0.5 || !/^\/(act|board|admin|api)\//.test(path) ? product.runtime.adminToken : null;
      let status: number;
      try {
        const response = await fetch(`${product.url}${encodeURI(path).replace(/%25/g, '%')}`, {
          method,
          headers: { 'content-type': pick(['application/json', 'application/x-www-form-urlencoded', 'text/plain']), ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body,
        });
        status = response.status;
        await response.arrayBuffer();
      } catch (error) {
        // A path the HTTP client itself refuses to send never reached us.
        if ((error as Error).name === 'TypeError') continue;
        throw error;
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      expect(status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(status, `${method} ${path}`).toBeLessThan(500);
    }
    await product.runtime.idle();
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(950);
    // Nothing changed, except that refused attempts on the real link's step are on its audit trail.
    const after = await dumpTable(product.runtime);
    const added = after.filter((item) => !before.some((old) => old.pk === item.pk && old.sk === item.sk));
    // The audit head moves with the trail; everything else is as it was.
    const same = (items: Array<Record<string, unknown>>) => items.filter((item) => item.sk !== 'AUDITHEAD');
    expect(same(after.filter((item) => !added.includes(item)))).toEqual(same(before));
    expect(added.every((item) => String(item.sk).startsWith('EVENT#') && item.action === 'link refused'), JSON.stringify(added.slice(0, 3))).toBe(true);
  });
});

describe('a file that is not a ratings sheet', () => {
  let product: Product;
  beforeAll(async () => {
    product = await Product.start();
  });
  afterAll(async () => product.close());

  it('is refused with 400 naming the missing column, and nothing is stored', async () => {
    const before = await dumpTable(product.runtime);
    const response = await fetch(`${product.url}/admin/ingest?fileName=ratings.csv`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${product.runtime.adminToken}` },
      body: 'Location ID,Location Name\r\n1-1,Somewhere',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/required column "Location Local Authority"|required column/);
    expect(await dumpTable(product.runtime)).toEqual(before);
  });
});

describe('hostile text', () => {
  let product: Product;
  beforeAll(async () => {
    product = await Product.start();
  });
  afterAll(async () => product.close());

  it("is escaped in every email and on the link pages: provider names and officers' notes", async () => {
    const hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>';
    const meadowbank = DEMO_LOCATIONS.find((location) => location.locationId === MEADOWBANK)!;
    await product.uploadRatings(demoRatingsCsv([{ ...meadowbank, name: `Meadowbank ${hostile}`, providerName: `Hawthorn ${hostile}` }]));
    const page = await (await fetch(product.linkIn(product.mailTo(AISHA, /Informal Outcome — Meadowbank/), 'safeguarding'))).text();
    expect(page).not.toMatch(/<script>|<img src=x/);
    expect(page).toContain('&lt;script&gt;');
    await product.officerDecides(AISHA, /Informal Outcome — Meadowbank/, 'noFurtherAction', { note: `Note ${hostile}` });
    const mail = product.allMail();
    expect(mail.length).toBeGreaterThanOrEqual(3);
    for (const email of mail) {
      expect(email.body.html).not.toMatch(/<script>|<img src=x/);
      expect(email.subject).not.toMatch(/[\r\n]/);
    }
    expect(product.mailTo('ruth.dale@hawthorn-care-group.example.co.uk', /Outcome/).body.html).toContain('&lt;script&gt;');
  });
});
