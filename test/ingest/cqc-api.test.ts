import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CqcApiError, CqcClient, cqcClientFromConfig } from '../../functions/cqc/client';
import { ingestChanges, locationRecords } from '../../functions/cqc/changes';
import { ingestRatings } from '../../functions/ingest/ingest';
import { runIngestCli } from '../../functions/ingest/cli';
import { Writable } from 'node:stream';
import { cqcLocationSchema } from '../../functions/cqc/client';
import { startFakeCqc, cqcLocation, type FakeCqc } from '../support/fake-cqc';
import { RecordingEscalation, fixedClock, locationRows, putContract, scanAll, sheetRows, startTestDb, testConfig, type TestDb } from './helpers';

let cqc: FakeCqc;
let db: TestDb;
let sleeps: number[];

beforeAll(async () => {
  cqc = await startFakeCqc({ key: 'k-123' });
  db = await startTestDb();
});
afterAll(async () => {
  await cqc.close();
  await db.dynamo.close();
});
beforeEach(() => {
  sleeps = [];
  cqc.requests.length = 0;
  cqc.locations.clear();
  cqc.changes.location.length = 0;
});

const client = (overrides: Partial<ConstructorParameters<typeof CqcClient>[0]> = {}) =>
  new CqcClient({
    baseUrl: cqc.url,
    subscriptionKey: 'k-123',
    perPage: 3,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  });

const kq = (rating = 'Good', order = ['Safe', 'Well-led', 'Caring', 'Responsive', 'Effective']) => order.map((name) => ({ name, rating }));

describe('CQC API client', () => {
  it('sends the subscription key header and a User-Agent; a wrong key fails at once', async () => {
    cqc.addLocation({ locationId: '1-A', providerId: '1-P', overall: { rating: 'Good', reportDate: '2025-04-20' }, keyQuestions: kq() });
    const location = await client().getLocation('1-A');
    expect(location?.name).toBe('Home 1-A');
    const request = cqc.requests[0];
    expect(request?.path).toBe('/public/v1/locations/1-A');
    expect(request?.headers['ocp-apim-subscription-key']).toBe('k-123');
    expect(request?.headers['user-agent']).toMatch(/care-quality-escalation/);

    const wrong = client({ subscriptionKey: 'nope' });
    await expect(wrong.getLocation('1-A')).rejects.toMatchObject({ name: 'CqcApiError', status: 401 });
    expect(wrong.stats.requests).toBe(1);
    expect(() => cqcClientFromConfig(testConfig())).toThrow(/subscriptionKey/);
  });

  it('pages the changes feed through nextPageUri within [start, end)', async () => {
    for (let i = 0; i < 8; i += 1) cqc.addChangeOnly(`1-${i}`, `2026-02-0${1 + (i % 4)}T10:00:00Z`);
    cqc.addChangeOnly('1-late', '2026-02-05T00:00:00Z'); // at the end: excluded
    cqc.addChangeOnly('1-early', '2026-01-31T23:59:59Z');
    const c = client();
    const ids: string[] = [];
    for await (const id of c.changes('location', { since: '2026-02-01T00:00:00Z', until: new Date('2026-02-05T00:00:00Z') })) ids.push(id);
    expect(ids).toEqual(['1-0', '1-1', '1-2', '1-3', '1-4', '1-5', '1-6', '1-7']);
    expect(c.stats.pages).toBe(3);
    expect(cqc.requests.map((r) => r.query.page)).toEqual(['1', '2', '3']);
    expect(cqc.requests[0]?.query).toMatchObject({ startTimestamp: '2026-02-01T00:00:00Z', endTimestamp: '2026-02-05T00:00:00Z', perPage: '3' });
  });

  it('retries 429 (honouring Retry-After), 500 and a 200 whose body says 429, with bounded attempts', async () => {
    cqc.addLocation({ locationId: '1-R', providerId: '1-P', overall: { rating: 'Good', reportDate: '2025-04-20' }, keyQuestions: kq() });
    cqc.inject('/locations/1-R', { status: 429, retryAfter: '7' }, { status: 500 }, { status: 200, body: { statusCode: 429, message: 'Rate limit is exceeded. Try again in 1 seconds.' } });
    const c = client({ baseDelayMs: 100 });
    const location = await c.getLocation('1-R');
    expect(location?.locationId).toBe('1-R');
    expect(c.stats).toMatchObject({ requests: 4, retries: 3, throttled: 2 });
    expect(sleeps[0]).toBe(7000 + 10); // Retry-After plus a little jitter
    expect(sleeps[1]).toBe(100); // attempt 2: half of 200 (random = 0.5)
    expect(sleeps[2]).toBe(200);

    cqc.inject('/locations/1-R', ...Array.from({ length: 5 }, () => ({ status: 503 })));
    const bounded = client({ maxAttempts: 3 });
    await expect(bounded.getLocation('1-R')).rejects.toThrow(/gave up .* after 3 attempts \(HTTP 503\)/);
    expect(bounded.stats.requests).toBe(3);
    cqc.inject('/locations/1-R', ...Array.from({ length: 2 }, () => ({ status: 503 }))); // drain the rest
    await client().getLocation('1-R');
  });

  it('fails on a missing page of a list instead of taking it for the end (the changes window must not move on)', async () => {
    cqc.inject(/\/changes\/location/, { status: 404 });
    const c = client();
    const ids: string[] = [];
    await expect(
      (async () => {
        for await (const id of c.changes('location', { since: '2026-01-01T00:00:00Z', until: '2026-01-02T00:00:00Z' })) ids.push(id as string);
      })(),
    ).rejects.toThrow(/was not found \(404\)/);
  });

  it('gives undefined for a 404 and counts it', async () => {
    const c = client();
    expect(await c.getLocation('1-gone')).toBeUndefined();
    expect(c.stats.notFound).toBe(1);
    expect(c.stats.retries).toBe(0);
  });

  it('turns currentRatings into the records a Locations row gives, matching key questions by name', async () => {
    const detail = cqcLocationSchema.parse(
      cqcLocation({
        locationId: '1-M',
        providerId: '1-P',
        overall: { rating: 'Requires improvement', reportDate: '2025-04-20' },
        keyQuestions: [
          { name: 'Well-led', rating: 'Inadequate' },
          { name: 'Safe', rating: 'Requires improvement', reportDate: '2025-06-01' },
          { name: 'Caring', rating: 'Good' },
          { name: 'Responsive', rating: 'Good' },
          { name: 'Effective', rating: 'Good' },
        ],
      }),
    );
    const records = locationRecords(detail, { providerName: 'Provider 1-P' });
    expect(records.every((r) => r.ok)).toBe(true);
    const byDomain = Object.fromEntries(records.map((r) => (r.ok ? [r.record.domain, r.record] : ['', undefined])));
    expect(byDomain['Well-led']).toMatchObject({ rating: 'Inadequate', publicationDate: '2025-04-20', serviceGroup: 'Overall' });
    expect(byDomain.Safe).toMatchObject({ rating: 'Requires improvement', publicationDate: '2025-06-01' });
    expect(byDomain.Overall).toMatchObject({ reportType: 'Location', localAuthority: 'Westshire', careHome: true, primaryInspectionCategory: 'Residential social care' });
  });
});

describe('ingestChanges', () => {
  it('applies the changed locations in scope, skips 404s and out-of-area ones, and a second pull does nothing', async () => {
    const tableName = await db.table();
    const escalation = new RecordingEscalation();
    const deps = { doc: db.doc, tableName, config: testConfig(), escalation, clock: fixedClock() };
    await putContract(db.doc, tableName, { contractId: 'C-1', locationId: '1-FAR', providerId: '1-Z' });
    const at = '2026-02-10T12:00:00Z';
    cqc.addLocation({ locationId: '1-W1', providerId: '1-P', overall: { rating: 'Good', reportDate: '2026-02-09' }, keyQuestions: kq() }, at);
    cqc.addLocation(
      { locationId: '1-W2', providerId: '1-P', overall: { rating: 'Requires improvement', reportDate: '2026-02-09' }, keyQuestions: kq('Requires improvement') },
      at,
    );
    cqc.addLocation({ locationId: '1-FAR', providerId: '1-Z', localAuthority: 'Farshire', overall: { rating: 'Good', reportDate: '2026-01-05' }, keyQuestions: kq() }, at);
    cqc.addLocation({ locationId: '1-OUT', providerId: '1-Z', localAuthority: 'Farshire', overall: { rating: 'Inadequate', reportDate: '2026-01-05' }, keyQuestions: kq() }, at);
    cqc.addChangeOnly('1-GONE', at);
    cqc.inject('/locations/1-W2', { status: 429, retryAfter: '1' });
    cqc.inject('/changes/location', { status: 200, body: { statusCode: 429, message: 'Rate limit is exceeded.' } });

    const window = { since: '2026-02-10T00:00:00Z', until: '2026-02-11T00:00:00Z' };
    const summary = await ingestChanges({ ...deps, client: client(), ...window });
    expect(summary.api).toMatchObject({ changed: 5, fetched: 4, notFound: 1, outOfScope: 1 });
    expect(summary.api.retries).toBeGreaterThanOrEqual(2);
    expect(summary).toMatchObject({ rowsKept: 18, locationsChanged: 3, casesOpened: 1, rowsRejected: 0 });
    const items = await scanAll(db.doc, tableName);
    const locations = items.filter((i) => i.sk === 'LOCATION');
    expect(locations.map((l) => l.locationId).sort()).toEqual(['1-FAR', '1-W1', '1-W2']);
    expect(items.find((i) => i.pk === 'PROVIDER#1-P')?.name).toBe('Provider 1-P');
    expect(escalation.openCases.get('1-W2')?.stage).toBe('informal');

    const again = await ingestChanges({ ...deps, client: client(), ...window });
    expect(again).toMatchObject({ itemsWritten: 0, escalationCalls: 0, locationsChanged: 0 });
  });

  it('stores what the Locations file would, and resumes a waiting case and counts the provider’s other locations for a corporate concern', async () => {
    const config = testConfig({ threshold: 2 });
    // The same location, once from a file row set and once from the API.
    const fromFile = await db.table();
    await ingestRatings({
      doc: db.doc,
      tableName: fromFile,
      config,
      escalation: new RecordingEscalation(),
      clock: fixedClock(),
      rows: sheetRows(locationRows({ locationId: '1-S', providerId: '1-P', providerName: 'Provider 1-P', date: '09/02/2026' }, 'Good', { Safe: 'Requires improvement' })),
      sheet: 'Locations',
      source: 'file',
    });
    const fromApi = await db.table();
    const escalation = new RecordingEscalation();
    const deps = { doc: db.doc, tableName: fromApi, config, escalation, clock: fixedClock() };
    cqc.addLocation(
      {
        locationId: '1-S',
        providerId: '1-P',
        overall: { rating: 'Good', reportDate: '2026-02-09' },
        keyQuestions: kq('Good', ['Well-led', 'Effective', 'Caring', 'Responsive']).concat([{ name: 'Safe', rating: 'Requires improvement' }]),
      },
      '2026-02-10T12:00:00Z',
    );
    await ingestChanges({ ...deps, client: client(), since: '2026-02-10T00:00:00Z', until: '2026-02-11T00:00:00Z' });
    const ratingsOf = async (table: string) => {
      const loc = (await scanAll(db.doc, table)).find((i) => i.pk === 'LOCATION#1-S');
      return Object.fromEntries(Object.entries(loc?.ratings ?? {}).map(([d, e]: [string, any]) => [d, `${e.rating} ${e.publicationDate}`]));
    };
    expect(await ratingsOf(fromApi)).toEqual(await ratingsOf(fromFile));
    expect(escalation.openCases.get('1-S')?.trigger).toMatch(/informal contact/);

    // Next day: the case waits on the inspection; a new rating arrives, and a second location of 1-P drops below Good.
    escalation.waitingOnInspection.add('1-S');
    cqc.addLocation({ locationId: '1-S', providerId: '1-P', overall: { rating: 'Good', reportDate: '2026-03-01' }, keyQuestions: kq() }, '2026-03-02T08:00:00Z');
    const next = await ingestChanges({ ...deps, client: client(), since: '2026-03-02T00:00:00Z', until: '2026-03-03T00:00:00Z' });
    expect(next).toMatchObject({ casesResumed: 1, corporateConcerns: 0 });
    expect(escalation.resumed[0]).toMatchObject({ locationId: '1-S', belowGood: false });

    cqc.addLocation({ locationId: '1-T', providerId: '1-P', overall: { rating: 'Inadequate', reportDate: '2026-03-03' }, keyQuestions: kq('Inadequate') }, '2026-03-04T08:00:00Z');
    cqc.addLocation({ locationId: '1-U', providerId: '1-P', overall: { rating: 'Requires improvement', reportDate: '2026-03-03' }, keyQuestions: kq() }, '2026-03-05T08:00:00Z');
    await ingestChanges({ ...deps, client: client(), since: '2026-03-04T00:00:00Z', until: '2026-03-05T00:00:00Z' });
    expect(escalation.concerns.size).toBe(0); // only 1-T below Good so far
    const last = await ingestChanges({ ...deps, client: client(), since: '2026-03-05T00:00:00Z', until: '2026-03-06T00:00:00Z' });
    expect(last.corporateConcerns).toBe(1);
    expect(escalation.concerns.get('1-P')).toEqual(['1-T', '1-U']);
  });

  it('runs from the CLI with --changes', async () => {
    const tableName = await db.table();
    cqc.addLocation({ locationId: '1-C', providerId: '1-P', overall: { rating: 'Inadequate', reportDate: '2026-04-01' }, keyQuestions: kq() }, '2026-04-02T10:00:00Z');
    let out = '';
    const stdout = new Writable({
      write(chunk, _e, done) {
        out += String(chunk);
        done();
      },
    });
    const stderr = new Writable({ write: (_c, _e, done) => done() });
    const escalation = new RecordingEscalation();
    const code = await runIngestCli(['--changes', '2026-04-02T00:00:00Z', '2026-04-03T00:00:00Z'], {
      doc: db.doc,
      tableName,
      config: testConfig(),
      escalation,
      clock: fixedClock(),
      cqc: client(),
      stdout,
      stderr,
    });
    expect(code).toBe(0);
    expect(out).toMatch(/api changed\s+1/);
    expect(out).toMatch(/cases opened\s+1/);
    expect(escalation.openCases.get('1-C')?.stage).toBe('formal');
  });

  it('raises CqcApiError when the API refuses the key', async () => {
    const tableName = await db.table();
    const deps = { doc: db.doc, tableName, config: testConfig(), escalation: new RecordingEscalation(), clock: fixedClock() };
    await expect(ingestChanges({ ...deps, client: client({ subscriptionKey: 'bad' }), since: '2026-01-01T00:00:00Z', until: '2026-01-02T00:00:00Z' })).rejects.toBeInstanceOf(
      CqcApiError,
    );
  });
});
