/**
 * The pages over HTTP, without a browser: each renders from realistic data (cases driven through
 * the ladder by officers' email links), the filters and the memo CSV are right, the Board's forms
 * work and refuse what they must, and hostile names and notes show as text everywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '../support/product';
import { BOARD_QUORATE } from '../support/product';
import { runPage, startRun } from '../../functions/web/ratings-page';
import type { Case } from '../../functions/lib/model';
import { keys } from '../../functions/lib/table';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { dateTimeWords, longDate } from '../../functions/lib/dates';
import { isoDate } from '../../functions/lib/clock';
import { MEMO_CSV_COLUMNS } from '../../functions/web/memo';
import {
  FORMULA_AREA,
  HOMECARE,
  HOSTILE_ACTION,
  HOSTILE_LOCATION,
  HOSTILE_LOCATION_ESCAPED,
  HOSTILE_LOCATION_ID,
  HOSTILE_NOTE,
  HOSTILE_PROVIDER,
  HOSTILE_PROVIDER_ESCAPED,
  HOSTILE_PROVIDER_ID,
  MEADOWBANK,
  OAKFIELD,
  seedProduct,
} from './fixture';

let product: Product;
let meetingDate: string;
let cookie: string;
let cases: Case[];

function caseId(locationId: string): string {
  const found = cases.filter((record) => record.locationId === locationId).sort((a, b) => b.openedAt.localeCompare(a.openedAt))[0];
  if (!found) throw new Error(`No case for ${locationId}`);
  return found.caseId;
}

async function get(path: string, headers: Record<string, string> = { cookie }): Promise<{ status: number; html: string; headers: Headers }> {
  const response = await fetch(`${product.url}${path}`, { headers: { accept: 'text/html', ...headers }, redirect: 'manual' });
  return { status: response.status, html: await response.text(), headers: response.headers };
}

async function post(path: string, fields: Record<string, string | string[]>, headers: Record<string, string> = { cookie }): Promise<{ status: number; html: string; location: string | null }> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const item of [value].flat()) body.append(name, item);
  const response = await fetch(`${product.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...headers },
    body: body.toString(),
    redirect: 'manual',
  });
  const html = await response.text();
  await product.runtime.idle();
  return { status: response.status, html, location: response.headers.get('location') };
}

/** The CSRF token of the form that posts to `action`. */
function tokenFor(html: string, action: string): string {
  const form = html.slice(html.indexOf(`action="${action}"`));
  const token = /name="csrfToken" value="([^"]+)"/.exec(form)?.[1];
  if (!token) throw new Error(`No CSRF token in the form for ${action}`);
  return token;
}

/** Rows of the table body, as the text of each cell. */
function tableRows(html: string): string[][] {
  const body = /<tbody class="govuk-table__body">([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((cell) => text(cell[1]!)));
}

/** What a reader sees: tags dropped, entities decoded, white space collapsed. */
function text(html: string): string {
  const entities: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#x27;': "'" };
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#x27);/g, (entity) => entities[entity] ?? entity)
    .replace(/\s+/g, ' ')
    .trim();
}

/** RFC 4180: quoted fields, doubled quotes, CRLF rows. */
function parseCsv(csv: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < csv.length; i += 1) {
    const char = csv[i]!;
    if (quoted) {
      if (char === '"' && csv[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && csv[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += char;
  }
  return rows;
}

function expectNoRawMarkup(html: string): void {
  expect(html).not.toContain('<script>alert');
  expect(html).not.toContain('<img src=x');
  expect(html).not.toContain('<b>"fine"</b>');
}

describe('the web pages', () => {
  beforeAll(async () => {
    // Prepare: cases on every part of the memo, and a signed-in session.
    ({ product, meetingDate } = await seedProduct());
    const login = await fetch(`${product.url}/login?token=${product.runtime.adminToken}`, { redirect: 'manual' });
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(cookie).toMatch(/^session=/);
    cases = (await (await product.api('GET', '/api/cases')).json()) as Case[];
  });
  afterAll(async () => product?.close());

  it('needs a signed-in user: a browser is sent to sign in, a form post without a session is refused', async () => {
    const page = await get('/cases', {});
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Fcases');
    expect((await get('/mail', {})).status).toBe(303);
    expect((await post('/board-meetings/schedule', { 'schedule-date-day': '1' }, {})).status).toBe(401);
    // The bearer token works too (scripts, the tests).
    expect((await get('/memo', { authorization: `Bearer ${product.runtime.adminToken}` })).status).toBe(200);
    // After signing in, the browser goes back where it was going.
    const login = await fetch(`${product.url}/login?token=${product.runtime.adminToken}&next=${encodeURIComponent('/memo')}`, { redirect: 'manual' });
    expect(login.headers.get('location')).toBe('/memo');
    const offsite = await fetch(`${product.url}/login?token=${product.runtime.adminToken}&next=${encodeURIComponent('//evil.example/')}`, { redirect: 'manual' });
    expect(offsite.headers.get('location')).toBe('/cases');
  });

  it('cases: every case with stage, lead officer, next deadline and what waits on whom', async () => {
    const page = await get('/cases');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const rows = tableRows(page.html);
    expect(rows).toHaveLength(4);
    const oakfield = rows.find((row) => row[0]!.startsWith('Oakfield Nursing Home'))!;
    expect(oakfield[0]).toContain('Hawthorn Care Group Ltd · Kingsmoor · NC');
    expect(oakfield[1]).toBe('Referred to the Board RED');
    expect(oakfield[2]).toBe('Tom Reid');
    expect(oakfield[3]).toMatch(/Board meeting \d+ days left/);
    expect(oakfield[4]).toBe('Await Board Decision The Commissioning & Quality Board');
    const meadowbank = rows.find((row) => row[0]!.startsWith('Meadowbank House'))!;
    expect(meadowbank[1]).toBe('Closed GREEN');
    expect(meadowbank[3]).toBe('None');
    expect(meadowbank[4]).toMatch(/^Closed: Resolved/);
    // Open cases first, closed last.
    expect(rows.at(-1)![0]).toMatch(/^Meadowbank House/);
  });

  it('cases: filters by stage, area, memo RAG, type of service and open or closed', async () => {
    const names = async (query: string) => tableRows((await get(`/cases?${query}`)).html).map((row) => row[0]!.split(' ')[0]);
    expect(await names('stage=board')).toEqual(['Oakfield']);
    expect(await names('area=Kingsmoor')).toEqual(['Oakfield']);
    expect(await names('rag=AMBER')).toEqual(['<img']);
    expect(await names('rag=none')).toEqual(['Westshire']);
    expect(await names('serviceType=DCA')).toEqual(['Westshire']);
    expect(await names('status=closed')).toEqual(['Meadowbank']);
    expect(await names('status=open&rag=RED&area=Kingsmoor&serviceType=NC&stage=board')).toEqual(['Oakfield']);
    const none = await get('/cases?stage=termination');
    expect(none.html).toContain('No cases match these filters.');
    // The chosen filter stays chosen; an unknown value is ignored, not an error.
    expect((await get('/cases?stage=board')).html).toContain('<option value="board" selected>');
    expect(tableRows((await get('/cases?stage=nonsense')).html)).toHaveLength(4);
  });

  it('a case: location, ratings with dates, the ladder with the current rung, deadlines, pending step, position, plan, emails, audit', async () => {
    const page = await get(`/cases/${caseId(OAKFIELD)}`);
    expect(page.status).toBe(200);
    const html = page.html;
    expect(html).toContain('<h1 class="govuk-heading-l">Oakfield Nursing Home</h1>');
    expect(html).toContain('3 Church Road, Kingsmoor, WS4 2CD');
    expect(text(html)).toContain('Overall Inadequate 16 October 2026');
    expect(text(html)).toContain('Caring Good 16 October 2026');
    // The ladder: an ordered list with exactly one current rung.
    const ladder = /<ol class="app-ladder__rungs"[\s\S]*?<\/ol>/.exec(html)![0];
    expect(ladder.match(/aria-current="step"/g)).toHaveLength(1);
    expect(/<li class="[^"]*app-ladder__rung--current[^"]*" aria-current="step"><span class="app-ladder__name">([^<]+)</.exec(ladder)![1]).toBe('Referred to the Board');
    expect(text(html)).toMatch(/Board meeting \d+ \w+ \d{4} \d+ days left/);
    expect(text(html)).toContain('Who must act: The Commissioning & Quality Board');
    expect(text(html)).toContain('Issue a rectification notice');
    expect(text(html)).toContain('New placements suspended (memo RED)');
    expect(text(html)).toContain('Appoint a clinical lead Nominated Individual 15 January 2027');
    expect(text(html)).toContain('Board papers: Hawthorn Care Group Ltd — Oakfield Nursing Home');
    expect(text(html)).toContain('QIM outcome applied');
    // Dated as the product's clock dated the event (tests run on a pinned virtual date).
    const decided = (await product.caseFor(OAKFIELD)).audit.find((event) => event.action === 'decision recorded')!;
    expect(text(html)).toContain(`decision recorded ${dateTimeWords(decided.at)} · by Tom Reid`);
    // Every date in words, never ISO: ratings in the audit details, the QIM's date and time, the trigger.
    expect(text(html)).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    expect(text(html)).toContain('Overall: Inadequate (16 October 2026)');
    expect(text(html)).toMatch(/date \d{1,2} \w+ 2026 time 10:30am venue/);
    // The rungs the case has stood on are marked passed, with the day it reached them; a rung it skipped is not.
    const passed = [...ladder.matchAll(/app-ladder__rung--passed"><span class="app-ladder__name">([^<]+)<\/span>[^]*?Reached ([^<]+)</g)].map((match) => [match[1], match[2]]);
    expect(passed).toEqual([
      ['Formal stage', longDate(decided.at)],
      ['Quality Improvement Meeting', longDate(decided.at)],
    ]);
    expect(ladder).not.toMatch(/rung--passed"><span class="app-ladder__name">Informal stage/);
    expect((await get('/cases/no-such-case')).status).toBe(404);
  });

  it('a case: each email opens as it was sent, the same view as the mail page', async () => {
    const html = (await get(`/cases/${caseId(OAKFIELD)}`)).html;
    const link = /<a class="govuk-link" href="(\/cases\/[^"]+\/emails\/[^"]+)">Notice of service provider default: Oakfield Nursing Home<\/a>/.exec(html);
    expect(link).not.toBeNull();
    const letter = await get(link![1]!);
    expect(letter.status).toBe(200);
    const sent = product.allMail().find((email) => email.subject === 'Notice of service provider default: Oakfield Nursing Home')!;
    const body = /<body>([\s\S]*)<\/body>/.exec(sent.body.html!)![1]!;
    expect(letter.html).toContain(`<div class="govuk-body app-email">${body}</div>`);
    expect(text(letter.html)).toContain(`To ${sent.destination.to.join(', ')}`);
    expect(text(letter.html)).toContain('Rectification required');
    expect(text(letter.html)).toContain('Appoint a clinical lead — Nominated Individual, by 15 January 2027');
    // The local mail page shows the same letter the same way.
    const mail = await get(`/mail/${encodeURIComponent(sent.messageId)}`);
    expect(mail.html).toContain(`<div class="govuk-body app-email">${body}</div>`);
    expect((await get(`/cases/${caseId(OAKFIELD)}/emails/no-such-message`)).status).toBe(404);
    expect((await get(`/cases/${caseId(MEADOWBANK)}/emails/${encodeURIComponent(sent.messageId)}`)).status).toBe(404);
    expect((await get(`/cases/${caseId(OAKFIELD)}/emails/%E0%A4%A`)).status).toBe(404);
  });

  it('a case: a decision recorded but not yet delivered to the workflow shows as being recorded', async () => {
    const at = product.runtime.clock.now().toISOString();
    const task = {
      taskId: 'pages-test-recording', caseId: caseId(MEADOWBANK), step: 'Approve Quality Improvement Notice', assignee: 'officer-1', allowedDecisions: ['approve', 'reject'],
      taskToken: 'not-a-real-token', status: 'decided' as const, createdAt: at, expiresAt: at,
      recorded: { decision: 'approve', step: 'Approve Quality Improvement Notice', by: 'Tom Reid', at, note: '', details: {}, auditAfter: 0 },
    };
    await product.runtime.deps.store.putTask(task);
    try {
      const page = text((await get(`/cases/${caseId(MEADOWBANK)}`)).html);
      expect(page).toContain('Being recorded');
      expect(page).toMatch(/Approve Quality Improvement Notice: Approve[^.]*, by Tom Reid on \d{1,2} \w+ 2026, \d{1,2}(:\d{2})?(am|pm)\. The decision is kept/);
    } finally {
      const { doc, tableName } = product.runtime.deps.store;
      await doc.send(new DeleteCommand({ TableName: tableName, Key: keys.task(task.taskId) }));
    }
    expect(text((await get(`/cases/${caseId(MEADOWBANK)}`)).html)).not.toContain('Being recorded');
  });

  it('a closed case marks "Case closed" as the current rung and shows the outcome', async () => {
    const html = (await get(`/cases/${caseId(MEADOWBANK)}`)).html;
    expect(html).toMatch(/<li class="app-ladder__rung app-ladder__rung--end app-ladder__rung--current" aria-current="step"><span class="app-ladder__name">Case closed<\/span>/);
    const closed = cases.find((record) => record.caseId === caseId(MEADOWBANK))!;
    expect(text(html)).toContain(`GREEN since ${longDate(closed.memo!.addedAt)}`);
    // Only what is current: a closed case has no live deadline or pending step, however its record's deadlines read.
    expect(Object.keys(closed.deadlines)).toContain('response');
    expect(text(html)).not.toMatch(/Response due|days left|Pending steps/);
    expect(text(html)).toContain(`None: the case closed on ${longDate(closed.closedAt)}`);
  });

  it('a provider: its locations with ratings and cases, flagged when several are below Good', async () => {
    const html = (await get('/providers/1-900000001')).html;
    expect(html).toContain('<h1 class="govuk-heading-l">Hawthorn Care Group Ltd</h1>');
    expect(text(html)).toMatch(/Corporate concern: 2 locations of 2 are below Good/);
    const rows = tableRows(html.slice(html.indexOf('<h2 class="govuk-heading-m">Locations</h2>')));
    expect(rows.map((row) => row[0]!.split(' ')[0])).toEqual(['Meadowbank', 'Oakfield']);
    expect(rows[1]![1]).toMatch(/^Inadequate/);
    expect(rows[1]!.at(-1)).toMatch(/Referred to the Board/);
    // One location, Good everywhere: no flag.
    const bluebell = text((await get('/providers/1-900000002')).html);
    expect(bluebell).toContain('No location is below Good.');
    expect(bluebell).not.toContain('Corporate concern');
    expect((await get('/providers/1-000000000')).status).toBe(404);
  });

  it('the memo: RED, AMBER and GREEN by area, with type of service, provider and address, council contact and date added', async () => {
    const html = (await get('/memo')).html;
    const red = html.indexOf('id="section-red"');
    const amber = html.indexOf('id="section-amber"');
    const green = html.indexOf('id="section-green"');
    expect(red).toBeGreaterThan(0);
    expect(amber).toBeGreaterThan(red);
    expect(green).toBeGreaterThan(amber);
    const section = (from: number, to: number) => text(html.slice(from, to));
    expect(section(red, amber)).toMatch(/Kingsmoor Type of service .* NC Oakfield Nursing Home Hawthorn Care Group Ltd 3 Church Road, Kingsmoor, WS4 2CD Tom Reid 01632 960 102 (\d+ \w+ \d{4})/);
    const oakfield = cases.find((record) => record.caseId === caseId(OAKFIELD))!;
    expect(/Tom Reid 01632 960 102 (\d+ \w+ \d{4})/.exec(section(red, amber))![1]).toBe(longDate(oakfield.memo!.addedAt));
    expect(section(red, amber)).not.toContain('Meadowbank');
    expect(section(amber, green)).toContain(`${HOSTILE_LOCATION} ${HOSTILE_PROVIDER}`);
    expect(html.slice(amber, green)).toContain(HOSTILE_PROVIDER_ESCAPED);
    expect(section(green, html.length)).toMatch(/Westbury Type of service .* RC Meadowbank House Hawthorn Care Group Ltd 12 Mill Lane, Westbury, WS1 4AB Aisha Khan 01632 960 101/);
    // Printable: the print stylesheet hides navigation.
    const css = await (await fetch(`${product.url}/assets/app.css`)).text();
    expect(css).toMatch(/@media print[\s\S]*\.govuk-service-navigation/);
  });

  it('the memo as CSV: one row per listed service, quoted and escaped, no cell a spreadsheet would run', async () => {
    const response = await fetch(`${product.url}/memo.csv`, { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="managed-placements-memo-\d{4}-\d{2}-\d{2}\.csv"$/);
    const bytes = Buffer.from(await response.arrayBuffer());
    // A UTF-8 byte order mark first, so spreadsheet programs read the names right.
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.subarray(3).toString('utf8');
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual([...MEMO_CSV_COLUMNS]);
    expect(rows).toHaveLength(4);
    expect(rows[1]).toEqual(['1', 'Westshire County Council', isoDate(product.runtime.clock.now()), 'RED', expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), OAKFIELD, 'Oakfield Nursing Home', 'Hawthorn Care Group Ltd', '3 Church Road, Kingsmoor, WS4 2CD', 'WS4 2CD', 'Kingsmoor', 'NC', 'Tom Reid', '01632 960 102', 'tom.reid@westshire.example.gov.uk']);
    const hostile = rows.find((row) => row[5] === HOSTILE_LOCATION_ID)!;
    expect(hostile[3]).toBe('AMBER');
    expect(hostile[10]).toBe(`'${FORMULA_AREA}`);
    expect(hostile[6]).toBe(HOSTILE_LOCATION);
    expect(hostile[7]).toBe(HOSTILE_PROVIDER);
    expect(rows[3]![3]).toBe('GREEN');
    // Every cell is quoted, so no comma or quote in a name can shift the columns.
    expect(csv.split('\r\n')[1]).toMatch(/^"1","Westshire County Council","\d{4}-\d{2}-\d{2}","RED",/);
    expect(csv).toContain('""Co""');
  });

  it('hostile names, addresses and notes show as text on every page', async () => {
    const hostileCase = caseId(HOSTILE_LOCATION_ID);
    for (const path of ['/cases', `/cases/${hostileCase}`, `/providers/${HOSTILE_PROVIDER_ID}`, '/memo', '/board', '/cases?rag=AMBER']) {
      const page = await get(path);
      expect(page.status, path).toBe(200);
      expectNoRawMarkup(page.html);
    }
    const casePage = (await get(`/cases/${hostileCase}`)).html;
    expect(casePage).toContain(HOSTILE_PROVIDER_ESCAPED);
    expect(casePage).toContain(HOSTILE_LOCATION_ESCAPED);
    expect(casePage).toContain('&lt;b&gt;1&lt;/b&gt; Evil Street');
    expect(casePage).toContain('Manager said &lt;b&gt;&quot;fine&quot;&lt;/b&gt; &amp; &lt;script&gt;alert(3)&lt;/script&gt;');
    expect(casePage).toContain('Audit &lt;script&gt;alert(4)&lt;/script&gt; medicines');
    expect(casePage).toContain('&lt;i&gt;Owner&lt;/i&gt;');
    expect(HOSTILE_NOTE).toContain('<script>');
    expect(HOSTILE_ACTION).toContain('<script>');
    // The filter's option for the formula area is text, not markup.
    expect((await get('/cases')).html).toContain('<option value="=HYPERLINK(&quot;http://evil.example&quot;,&quot;x&quot;)">');
    const provider = (await get(`/providers/${HOSTILE_PROVIDER_ID}`)).html;
    expect(provider).toContain(`<h1 class="govuk-heading-l">${HOSTILE_PROVIDER_ESCAPED}</h1>`);
    // Mail pages render our own emails, whose facts were escaped when they were written.
    const mail = (await get('/mail')).html;
    expectNoRawMarkup(mail);
    const hostileMail = product.allMail().find((email) => email.subject.includes(HOSTILE_LOCATION))!;
    expectNoRawMarkup((await get(`/mail/${hostileMail.messageId}`)).html);
  });

  it('the Board: cases waiting with the decisions open, meetings to come with their papers', async () => {
    const html = (await get('/board')).html;
    const waiting = tableRows(html);
    expect(waiting).toHaveLength(1);
    expect(waiting[0]![0]).toBe('Oakfield Nursing Home Hawthorn Care Group Ltd');
    expect(waiting[0]![4]).toContain('Issue a final warning');
    expect(waiting[0]![4]).not.toContain('safeguarding');
    const upcoming = text(html.slice(html.indexOf('Meetings to come'), html.indexOf('Schedule a meeting')));
    expect(upcoming).toContain('Papers: 1 case Oakfield Nursing Home (Hawthorn Care Group Ltd): Referred to the Board');
    expect(upcoming).toMatch(new RegExp(`${Number(meetingDate.slice(8))} \\w+ ${meetingDate.slice(0, 4)}`));
    // The quorum indicator, as the server renders it before anyone is ticked.
    expect(text(html)).toContain('Not quorate: a meeting without a quorum is kept as notes and takes no decisions.');
    expect(html).toContain('<script src="/assets/board.js" defer></script>');
    expect((await fetch(`${product.url}/assets/board.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
  });

  it('the Board forms refuse a post without the page token, with another session token, or from another site', async () => {
    const board = (await get('/board')).html;
    const token = tokenFor(board, '/board-meetings/schedule');
    const date = { 'schedule-date-day': '3', 'schedule-date-month': '3', 'schedule-date-year': String(product.runtime.clock.now().getUTCFullYear() + 1) };
    expect((await post('/board-meetings/schedule', date)).status).toBe(403);
    expect((await post('/board-meetings/schedule', { ...date, csrfToken: 'x'.repeat(43) })).status).toBe(403);
    // The same user by bearer token is another session: the cookie session's token does not fit it.
    expect((await post('/board-meetings/schedule', { ...date, csrfToken: token }, { authorization: `Bearer ${product.runtime.adminToken}` })).status).toBe(403);
    expect((await post('/board-meetings/schedule', { ...date, csrfToken: token }, { cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('/board-meetings/schedule', { ...date, csrfToken: token }, { cookie, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // A token for one form does not work on another.
    expect((await post('/board-meetings/record', { csrfToken: token, attendees: BOARD_QUORATE })).status).toBe(403);
    expect(text((await get('/board')).html)).not.toContain(`3 March ${product.runtime.clock.now().getUTCFullYear() + 1}`);
  });

  it('schedules a meeting; a bad date is shown back with the problem', async () => {
    const token = tokenFor((await get('/board')).html, '/board-meetings/schedule');
    const bad = await post('/board-meetings/schedule', { csrfToken: token, 'schedule-date-day': '31', 'schedule-date-month': '2', 'schedule-date-year': String(product.runtime.clock.now().getUTCFullYear() + 1) });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('<a href="#schedule-date">Enter the date of the meeting as a real date');
    const done = await post('/board-meetings/schedule', { csrfToken: token, 'schedule-date-day': '3', 'schedule-date-month': '3', 'schedule-date-year': String(product.runtime.clock.now().getUTCFullYear() + 1) });
    expect(done.status).toBe(303);
    expect(done.location).toBe('/board?done=scheduled');
    const html = (await get(done.location!)).html;
    expect(html).toContain('Meeting scheduled');
    expect(text(html)).toContain(`3 March ${product.runtime.clock.now().getUTCFullYear() + 1}`);
  });

  it('a meeting without a quorum is kept as notes, names the missing roles, and its decisions are refused', async () => {
    const token = tokenFor((await get('/board')).html, '/board-meetings/record');
    const today = product.runtime.clock.now();
    const date = { 'meeting-date-day': String(today.getUTCDate()), 'meeting-date-month': String(today.getUTCMonth() + 1), 'meeting-date-year': String(today.getUTCFullYear()) };
    const none = await post('/board-meetings/record', { csrfToken: token, meetingId: '', ...date });
    expect(none.status).toBe(400);
    expect(none.html).toContain('Tick the Board members who attended');

    const recorded = await post('/board-meetings/record', { csrfToken: token, meetingId: '', ...date, attendees: ['priya-shah', 'sam-ford', 'lena-wu'], notes: 'Discussed <b>Oakfield</b>.' });
    expect(recorded.status).toBe(303);
    const meetingPath = recorded.location!.replace(/\?.*$/, '');
    const page = (await get(recorded.location!)).html;
    expect(text(page)).toContain('Meeting recorded as notes: not quorate');
    expect(text(page)).toContain('Missing: a quality and performance manager from the council; a Strategic Commissioner from the council.');
    expect(page).toContain('Discussed &lt;b&gt;Oakfield&lt;/b&gt;.');
    expect(page).not.toContain('/decisions"');

    // A decision posted anyway is refused, naming what is missing, and changes nothing.
    const meetingToken = await decisionFormToken();
    const refused = await post(`${meetingPath}/decisions`, { csrfToken: meetingToken, caseId: caseId(OAKFIELD), decision: 'finalWarning', rationale: 'Tried anyway.' });
    expect(refused.status).toBe(409);
    expect(text(refused.html)).toContain('The Board is not quorate and cannot take this decision: missing a quality and performance manager from the council and a Strategic Commissioner from the council.');
    const view = await product.caseFor(OAKFIELD);
    expect(view.case.stage).toBe('board');
    expect(product.actions(view)).toContain('Board decision refused');
  });

  /** A decision form's token: rendered on a quorate meeting's page; the same for every meeting in this session. */
  async function decisionFormToken(): Promise<string> {
    const token = tokenFor((await get('/board')).html, '/board-meetings/record');
    const today = product.runtime.clock.now().toISOString().slice(0, 10).split('-');
    const recorded = await post('/board-meetings/record', {
      csrfToken: token,
      meetingId: '',
      'meeting-date-day': String(Number(today[2])),
      'meeting-date-month': String(Number(today[1])),
      'meeting-date-year': today[0]!,
      attendees: BOARD_QUORATE,
    });
    const html = (await get(recorded.location!)).html;
    return /name="csrfToken" value="([^"]+)"/.exec(html.slice(html.indexOf('/decisions"')))![1]!;
  }

  it('a quorate meeting records a decision: rationale required, then the case moves on', async () => {
    // The scheduled meeting is held on its day: a meeting cannot be recorded before it happens.
    await product.runtime.clock.advanceTo(new Date(`${meetingDate}T09:00:00Z`));
    await product.runtime.idle();
    const board = (await get('/board')).html;
    const scheduled = /name="meetingId" type="radio" value="(M-[^"]+)"/.exec(board)![1]!;
    const token = tokenFor(board, '/board-meetings/record');
    const recorded = await post('/board-meetings/record', { csrfToken: token, meetingId: scheduled, attendees: [...BOARD_QUORATE, 'sam-ford'], 'meeting-date-day': '', 'meeting-date-month': '', 'meeting-date-year': '' });
    expect(recorded.status).toBe(303);
    const page = (await get(recorded.location!)).html;
    expect(text(page)).toContain('Meeting recorded: quorate');
    expect(text(page)).toContain('Quorate Minutes: this meeting can record decisions');
    expect(text(page)).toContain('Priya Shah, ICB safeguarding and commissioning representative');
    const action = /<form method="post" action="([^"]+\/decisions)"/.exec(page)![1]!;
    const decisionToken = tokenFor(page, action);

    const missing = await post(action, { csrfToken: decisionToken, caseId: caseId(OAKFIELD), decision: 'close', rationale: '' });
    expect(missing.status).toBe(400);
    expect(missing.html).toContain('Say why the Board decided this: a rationale is required');
    expect((await product.caseFor(OAKFIELD)).case.stage).toBe('board');

    const done = await post(action, { csrfToken: decisionToken, caseId: caseId(OAKFIELD), decision: 'close', rationale: 'Improvement evidenced <b>in full</b>.' });
    expect(done.status).toBe(303);
    const after = (await get(done.location!)).html;
    expect(text(after)).toContain('Decision recorded');
    expect(after).toContain('Improvement evidenced &lt;b&gt;in full&lt;/b&gt;.');
    const view = await product.caseFor(OAKFIELD);
    expect(view.case.status).toBe('closed');
    // The memo follows: Oakfield's restrictions are lifted.
    const memo = (await get('/memo')).html;
    expect(text(memo.slice(memo.indexOf('id="section-green"')))).toContain('Oakfield Nursing Home');
    expect(text(memo.slice(memo.indexOf('id="section-red"'), memo.indexOf('id="section-amber"')))).not.toContain('Oakfield');
  });

  it('ratings: upload a file through the page and see rows read, changed, cases opened and rejections with line and reason', async () => {
    const page = (await get('/ratings')).html;
    const token = tokenFor(page, '/ratings');
    const header = 'Location ID,Location Name,Location Local Authority,Service / Population Group,Domain,Latest Rating,Publication Date,Provider ID,Provider Name,Location Street Address,Location City,Location Post Code';
    const csv = [
      header,
      `${HOMECARE},Westshire Homecare,Westshire,Overall,Overall,Good,21/09/2026,1-900000003,Westshire Homecare Services Ltd,"Unit 5, Enterprise Park",Ashcombe,WS7 1GH`,
      `${HOMECARE},Westshire Homecare,Westshire,Overall,Safe,<script>alert(5)</script>,21/09/2026,1-900000003,Westshire Homecare Services Ltd,"Unit 5, Enterprise Park",Ashcombe,WS7 1GH`,
      `${HOMECARE},Westshire Homecare,Westshire,Overall,Caring,Good,31/02/2026,1-900000003,Westshire Homecare Services Ltd,"Unit 5, Enterprise Park",Ashcombe,WS7 1GH`,
    ].join('\r\n');
    const form = new FormData();
    form.append('csrfToken', token);
    form.append('ratingsFile', new Blob([csv], { type: 'text/csv' }), '../My ratings <1>.csv');
    const response = await fetch(`${product.url}/ratings`, { method: 'POST', headers: { cookie }, body: form, redirect: 'manual' });
    expect(response.status).toBe(303);
    const location = response.headers.get('location')!;
    expect(location).toMatch(/^\/ratings\/[\w-]+$/);
    const result = (await get(location)).html;
    expectNoRawMarkup(result);
    const words = text(result);
    expect(words).toContain('Ratings file read');
    expect(words).toContain('File My_ratings_1_.csv');
    expect(words).toContain('Rows read 3');
    expect(words).toContain('Rows rejected 2');
    expect(words).toContain('Cases opened 0');
    const rejections = tableRows(result);
    expect(rejections.map((row) => row[0])).toEqual(['3', '4']);
    expect(rejections[0]![1]).toBe('Latest Rating');
    expect(rejections[0]![2]).toBe('<script>alert(5)</script>');
    expect(rejections[1]![1]).toBe('Publication Date');
    // The upload is listed with its result.
    expect(text((await get('/ratings')).html)).toMatch(/My_ratings_1_\.csv Done 3 0 2/);
    // Without a file, the page asks for one.
    const empty = new FormData();
    empty.append('csrfToken', token);
    const noFile = await fetch(`${product.url}/ratings`, { method: 'POST', headers: { cookie }, body: empty, redirect: 'manual' });
    expect(noFile.status).toBe(400);
    expect(await noFile.text()).toContain('Choose a ratings file to upload');
    // And without the page's token, nothing is read.
    const forged = new FormData();
    forged.append('ratingsFile', new Blob([csv], { type: 'text/csv' }), 'forged.csv');
    expect((await fetch(`${product.url}/ratings`, { method: 'POST', headers: { cookie }, body: forged, redirect: 'manual' })).status).toBe(403);
  });

  it('ratings: an upload handed on to be read elsewhere (AWS: the ratings bucket) says so, with no made-up counts', async () => {
    const deps = { ...product.runtime.deps, authenticate: () => 'officer', ingestUpload: async () => ({ accepted: true, message: 'Stored in the ratings bucket.' }) };
    const { finished } = await startRun(deps, 'officer', { fileName: 'ratings.csv', body: Buffer.from('x') });
    const run = await finished;
    expect(run.status).toBe('accepted');
    const page = text(await runPage(deps, run.runId));
    expect(page).toContain('Ratings file accepted Stored in the ratings bucket.');
    expect(page).not.toContain('Rows read');
  });
});
