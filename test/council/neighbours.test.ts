/**
 * Neighbouring authorities' status lists, on the local runtime through the admin API and the
 * pages: two neighbours' lists (Dorset's in our own memo CSV format, Eastshire's in the simple
 * format), bad rows reported with their lines, the same list twice changing nothing, a new list
 * replacing only its own authority's, name-and-postcode matches shown as such, and their statuses
 * beside ours on the memo, the provider page and the case page. Our own memo CSV's header pinned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Product, OAKFIELD, MEADOWBANK } from '../support/product';
import { demoNeighbourLists } from '../../local/demo';
import { MEMO_CSV_COLUMNS } from '../../functions/web/memo';
import { SIMPLE_NEIGHBOUR_HEADER, type NeighbourPlan } from '../../functions/council/neighbours';
import { csvLine } from '../../functions/ingest/csv';
import { longDate } from '../../functions/lib/dates';

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#x27;|&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');

describe("neighbouring authorities' status lists", () => {
  let product: Product;
  let cookie: string;
  const lists = () => demoNeighbourLists(product.runtime.clock.now());
  const page = async (path: string) => {
    const response = await fetch(`${product.url}${path}`, { headers: { cookie } });
    return { status: response.status, html: await response.text() };
  };
  async function post(body: string, query: Record<string, string>): Promise<{ status: number; json: NeighbourPlan & { message?: string } }> {
    const response = await fetch(`${product.url}/admin/neighbours/import?${new URLSearchParams(query).toString()}`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${product.runtime.adminToken}` },
      body,
    });
    return { status: response.status, json: (await response.json()) as NeighbourPlan & { message?: string } };
  }

  beforeAll(async () => {
    product = await Product.start();
    cookie = `session=${product.runtime.adminToken}`;
    await product.ingestDemoRatings();
  });
  afterAll(async () => product.close());

  it('our memo CSV keeps its documented header, with the schema version first', async () => {
    expect(MEMO_CSV_COLUMNS).toEqual([
      'schema_version', 'authority', 'list_date', 'status', 'since', 'cqc_location_id', 'location_name', 'provider_name',
      'address', 'postcode', 'area', 'service_type', 'contact_name', 'contact_phone', 'contact_email',
    ]);
    const csv = Buffer.from(await (await fetch(`${product.url}/memo.csv`, { headers: { cookie } })).arrayBuffer()).toString('utf8');
    expect(csv.split('\r\n')[0]).toBe(`\uFEFF${MEMO_CSV_COLUMNS.map((column) => `"${column}"`).join(',')}`);
  });

  it("previews Dorset's memo CSV (matched by CQC id) and Eastshire's simple list (matched by name and postcode), writing nothing", async () => {
    const [dorset, eastshire] = lists();
    // Act
    const one = await post(dorset!.body, { fileName: dorset!.fileName });
    const two = await post(eastshire!.body, { fileName: eastshire!.fileName, authority: eastshire!.authority, listDate: eastshire!.listDate! });

    // Assess: Dorset's list names its authority and date itself.
    expect(one.status, JSON.stringify(one.json)).toBe(200);
    expect(one.json).toMatchObject({ format: 'memo', authority: 'Dorset Council', listDateFrom: 'file', kind: 'added', applied: false, summary: { entries: 2, matchedById: 1, unmatched: 1, rejected: 0 } });
    expect(one.json.entries[0]).toMatchObject({ rag: 'RED', locationId: OAKFIELD, match: { by: 'locationId', locationId: OAKFIELD } });
    expect(one.json.entries[1]?.unmatched).toMatch(/CQC location 1-3000000009 is not on record here/);
    expect(two.json).toMatchObject({ format: 'simple', authority: 'Eastshire County Council', listDate: eastshire!.listDate, listDateFrom: 'given', summary: { entries: 3, matchedByNamePostcode: 2, unmatched: 1 } });
    expect(two.json.entries.find((entry) => entry.locationName === 'Willow Court')).toMatchObject({ rag: 'GREEN', postcode: 'WS7 3JK', match: { by: 'namePostcode', locationId: '1-1000000005' } });
    // Nothing on record yet.
    expect(text((await page('/memo/neighbours')).html)).toContain("No neighbouring authority's list has been loaded yet.");
  });

  it('reports every bad row with its line, column and why; a file without location columns is refused naming them', async () => {
    const bad = [
      SIMPLE_NEIGHBOUR_HEADER,
      ['Hawthorn Care Group Ltd', '', 'Meadowbank House', 'WS1 4AB', 'Not placing', '2026-10-03', 'Jo'],
      ['Someone', '', 'Nowhere', 'WS1 4AB', 'Closed for lunch', '2026-10-03', ''],
      ['Someone', '', 'Nowhere', 'WS1 4AB', 'RED', '31/02/2026', ''],
      ['Someone', '', 'Nowhere', 'WS1 4AB', 'RED', '2027-01-01', ''],
      ['Someone', '', '', '', 'RED', '2026-10-03', ''],
      ['Someone', 'not-an-id', '', '', 'RED', '2026-10-03', ''],
      ['Someone', '', 'Lost House', 'NOT A CODE', 'RED', '2026-10-03', ''],
      ['Hawthorn', '', 'meadowbank house', 'ws14ab', 'RED', '2026-10-04', ''],
    ];
    const { status, json } = await post(bad.map((cells) => csvLine(cells)).join('\r\n'), { fileName: 'bad.csv', authority: 'Eastshire County Council' });
    expect(status).toBe(200);
    expect(json.rejections.map((rejection) => [rejection.line, rejection.field])).toEqual([
      [3, 'Status'],
      [4, 'Date'],
      [5, 'Date'],
      [6, 'Location Name'],
      [7, 'Location ID'],
      [8, 'Postcode'],
      [9, 'Location Name'],
    ]);
    expect(json.rejections.find((rejection) => rejection.line === 5)?.reason).toBe('is in the future');
    expect(json.rejections.find((rejection) => rejection.line === 9)?.reason).toBe('repeats the service on line 2; the first is kept');
    expect(json.entries).toHaveLength(1);

    const missing = await post('Provider,Status,Date\r\nX,RED,2026-10-01\r\n', { fileName: 'wrong.csv', authority: 'Eastshire County Council' });
    expect(missing.status).toBe(400);
    expect(missing.json.message).toBe('wrong.csv: required columns "Location ID", "Location Name" missing from the header row');
    const nobody = await post(lists()[1]!.body, { fileName: 'anon.csv' });
    expect(nobody.status).toBe(400);
    expect(nobody.json.message).toMatch(/does not say whose list it is/);
  });

  it('applies both; the same list twice changes nothing; a new list replaces only its own authority’s', async () => {
    const [dorset, eastshire] = lists();
    const { store } = product.runtime.deps;
    // Act
    const first = await post(dorset!.body, { fileName: dorset!.fileName, apply: 'true' });
    await post(eastshire!.body, { fileName: eastshire!.fileName, authority: eastshire!.authority, listDate: eastshire!.listDate!, apply: 'true' });
    const again = await post(dorset!.body, { fileName: 'dorset-again.csv', apply: 'true' });

    // Assess
    expect(first.json).toMatchObject({ applied: true, kind: 'added' });
    expect(again.json).toMatchObject({ applied: true, kind: 'unchanged' });
    expect((await store.listAudit('neighbours-dorset-council')).map((event) => event.action)).toEqual(["Dorset Council's list added"]);

    // Act: Dorset sends a newer list without Seaview.
    const newer = dorset!.body.split('\r\n').filter((line) => !line.includes('Seaview')).join('\r\n');
    const replaced = await post(newer, { fileName: 'dorset-newer.csv', apply: 'true' });
    expect(replaced.json).toMatchObject({ kind: 'replaced', summary: { entries: 1 } });
    const sources = await page('/memo/neighbours');
    expect(text(sources.html)).toMatch(/Dorset Council list of .* 1 row: 1 matched, 0 unmatched/);
    expect(text(sources.html)).toMatch(/Eastshire County Council list of .* \(42 days old\) Out of date 3 rows: 2 matched, 1 unmatched/);
    expect((await store.listAudit('neighbours-dorset-council')).map((event) => event.action)).toEqual(["Dorset Council's list added", "Dorset Council's list replaced"]);
    expect((await store.listAudit('neighbours-eastshire-county-council'))).toHaveLength(1);
    // One source's page lists its rows and how each was matched; unmatched rows stay listed.
    const eastshirePage = text((await page('/memo/neighbours/eastshire-county-council')).html);
    expect(eastshirePage).toContain('Harbour View');
    expect(eastshirePage).toMatch(/Unmatched no service here has its name and postcode/);
    expect(eastshirePage).toMatch(/matched by name and postcode: Meadowbank House/);
  });

  it("shows their statuses beside ours on the memo, the provider page and the case page, with the match and the list's age", async () => {
    const today = product.runtime.clock.now();
    const since = (days: number) => longDate(new Date(today.getTime() - days * 86_400_000));
    // Prepare: Oakfield RED on our own memo (as a QIM's "suspend new placements" puts it).
    const oakfield = await product.caseFor(OAKFIELD);
    await product.runtime.deps.store.updateCase(oakfield.case.caseId, (record) => ({ ...record, commissioningPosition: 'suspendNewPlacements', memo: { rag: 'RED', addedAt: today.toISOString() } }), today.toISOString());
    // The memo: beside Oakfield (RED here), Dorset's status; Meadowbank is on Eastshire's only.
    const memo = text((await page('/memo')).html);
    expect(memo).toMatch(new RegExp(`Oakfield Nursing Home .* RED Dorset Council: not placing since ${since(20)} matched by CQC location id; list of ${since(2)} \\(2 days old\\) Westbury None in Westbury`));
    // Our own memo CSV, as a neighbour reads it: every row says whose list it is, of what date and which version.
    const csv = await (await fetch(`${product.url}/memo.csv`, { headers: { cookie } })).text();
    expect(csv).toMatch(/^"1","Westshire County Council","2026-11-16","RED","2026-11-16","1-1000000002","Oakfield Nursing Home","Hawthorn Care Group Ltd","3 Church Road, Kingsmoor, WS4 2CD","WS4 2CD","Kingsmoor","NC","Tom Reid","01632 960 102","tom.reid@westshire.example.gov.uk"$/m);
    expect(memo).toMatch(/Services on their lists and not on ours/);
    expect(memo).toContain(`Eastshire County Council: placing with restrictions since ${since(50)} matched by name and postcode; list of ${since(42)} (42 days old) Out of date`);
    // The provider page: each location, ours beside theirs.
    const provider = text((await page('/providers/1-900000001')).html);
    expect(provider).toMatch(/Oakfield Nursing Home RED since .* Dorset Council: not placing since/);
    expect(provider).toMatch(/Meadowbank House Not on our memo .*Eastshire County Council: placing with restrictions since/);
    // The case page.
    const casePage = text((await page(`/cases/${oakfield.case.caseId}`)).html);
    expect(casePage).toContain(`Neighbouring authorities RED Dorset Council: not placing since ${since(20)}`);
    const meadowbank = await product.caseFor(MEADOWBANK);
    expect(text((await page(`/cases/${meadowbank.case.caseId}`)).html)).toContain('Eastshire County Council: placing with restrictions since');
  });

  it('the upload page previews a list and applies it', async () => {
    const sources = await page('/memo/neighbours');
    const csrf = /name="csrfToken" value="([^"]+)"/.exec(sources.html.slice(sources.html.indexOf('action="/memo/neighbours/import"')))![1]!;
    const form = new FormData();
    form.set('csrfToken', csrf);
    form.set('authority', 'Northshire Council');
    form.set('listDate-day', '10');
    form.set('listDate-month', '11');
    form.set('listDate-year', '2026');
    form.set('neighbourFile', new Blob([[SIMPLE_NEIGHBOUR_HEADER, ['', '1-1000000004', '', '', 'RED', '2026-11-01', '']].map((cells) => csvLine(cells)).join('\r\n')], { type: 'text/csv' }), 'northshire.csv');
    const preview = await fetch(`${product.url}/memo/neighbours/import`, { method: 'POST', headers: { cookie }, body: form });
    const html = await preview.text();
    expect(preview.status, html).toBe(200);
    expect(text(html)).toContain('Nothing has been changed yet.');
    expect(text(html)).toContain('list of 10 November 2026 (6 days old)');
    const uploadId = /name="uploadId" value="([0-9a-f]{20})"/.exec(html)![1]!;
    const applyToken = /name="csrfToken" value="([^"]+)"/.exec(html.slice(html.indexOf('action="/memo/neighbours/apply"')))![1]!;
    const applied = await fetch(`${product.url}/memo/neighbours/apply`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrfToken: applyToken, uploadId }).toString() });
    expect(applied.status).toBe(200);
    expect(text(await applied.text())).toContain("Northshire Council's list added");
    expect(text((await page('/providers/1-900000003')).html)).toContain('Northshire Council: not placing since 1 November 2026');
  });
});
