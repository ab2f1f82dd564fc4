import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCATIONS_HEADER, MissingColumn } from '../../functions/ingest/columns';
import { openRatingsFile } from '../../functions/ingest/files';
import { ingestRatings, type IngestDeps, type IngestSummary } from '../../functions/ingest/ingest';
import { caseFor } from '../../functions/ingest/policy';
import { runIngestCli } from '../../functions/ingest/cli';
import type { AppConfig } from '../../functions/lib/config';
import { generateLocationRows, writeCsv, writeLocationsOds } from '../../scripts/generate-ratings';
import {
  RecordingEscalation,
  countingDoc,
  fixedClock,
  locationRow,
  locationRows,
  putContract,
  scanAll,
  sheetRows,
  startTestDb,
  testConfig,
  type TestDb,
} from './helpers';
import { fixtureFile } from '../support/fixtures';
import { PINNED_NOW } from '../support/pinned-clock';

const PROVIDERS_FILE = fixtureFile('cqc/Latest_ratings_2_2021_Prov.csv');
const dir = mkdtempSync(join(tmpdir(), 'ingest-'));
let db: TestDb;

beforeAll(async () => {
  db = await startTestDb();
});
afterAll(async () => {
  await db.dynamo.close();
});

interface Setup {
  tableName: string;
  escalation: RecordingEscalation;
  config: AppConfig;
  deps: (overrides?: Partial<IngestDeps>) => IngestDeps;
}

async function setup(config: AppConfig = testConfig()): Promise<Setup> {
  const tableName = await db.table();
  const escalation = new RecordingEscalation();
  return {
    tableName,
    escalation,
    config,
    deps: (overrides = {}) => ({ doc: db.doc, tableName, config, escalation, clock: fixedClock(), ...overrides }),
  };
}

async function ingestRows(s: Setup, rows: string[][], overrides: Partial<IngestDeps> = {}, header: readonly string[] = LOCATIONS_HEADER) {
  return ingestRatings({ ...s.deps(overrides), rows: sheetRows(rows, header), sheet: 'Locations', source: 'test.csv' });
}

const withoutTimes = (items: Record<string, any>[]) =>
  items
    .map(({ updatedAt: _u, corporateConcern, ...rest }): Record<string, any> => ({
      ...rest,
      ...(corporateConcern ? { corporateConcern: { ...corporateConcern, raisedAt: '-' } } : {}),
    }))
    .sort((a, b) => `${a.pk}${a.sk}`.localeCompare(`${b.pk}${b.sk}`));

const item = (items: Record<string, any>[], pk: string) => items.find((candidate) => candidate.pk === pk);

function expectQuiet(summary: IngestSummary) {
  expect(summary.itemsWritten).toBe(0);
  expect(summary.escalationCalls).toBe(0);
  expect(summary.locationsChanged + summary.providersChanged).toBe(0);
}

describe('the real Providers file (February 2021)', () => {
  it('is ingested whole: counts as in its README, repeated keys resolved to the newer date, twice writes nothing', async () => {
    const records = parse(readFileSync(PROVIDERS_FILE), { bom: true, columns: true }) as Record<string, string>[];
    // The README's figures, checked on the file itself first.
    expect(records).toHaveLength(8053);
    expect(new Set(records.map((r) => r.ProviderID)).size).toBe(239);
    expect(records.filter((r) => r['Service/PopulationGroup'] === 'Overall' && r.Domain === 'Overall')).toHaveLength(233);
    const keyCount = new Map<string, Record<string, string>[]>();
    for (const r of records) {
      const key = `${r.ProviderID}|${r['Service/PopulationGroup']}|${r.Domain}`;
      keyCount.set(key, [...(keyCount.get(key) ?? []), r]);
    }
    const repeated = [...keyCount.entries()].filter(([, rows]) => rows.length > 1);
    expect(repeated).toHaveLength(16);
    expect(new Set(repeated.map(([key]) => key.split('|')[0]))).toEqual(new Set(['RMY', 'RXE']));

    const localAuthorities = [...new Set(records.map((r) => r.ProviderLocalAuthority as string))];
    const s = await setup(testConfig({ localAuthorities }));
    const file = await openRatingsFile(PROVIDERS_FILE, 'Providers');
    expect(file.format).toBe('csv');
    const summary = await ingestRatings({ ...s.deps(), rows: file, sheet: 'Providers', source: 'Latest_ratings_2_2021_Prov.csv' });
    expect(summary).toMatchObject({ rowsRead: 8053, rowsKept: 8053, rowsRejected: 0, rowsOutOfScope: 0, providersChanged: 239, itemsWritten: 239 });
    expect(summary.ratingCounts).toEqual({
      Good: 5819,
      'Requires improvement': 1312,
      Outstanding: 785,
      Inadequate: 117,
      'Insufficient evidence to rate': 20,
    });
    expect(summary.escalationCalls).toBe(0);

    const providers = (await scanAll(db.doc, s.tableName)).filter((i) => i.sk === 'PROVIDER');
    expect(providers).toHaveLength(239);
    const entries = providers.reduce((n, p) => n + Object.keys(p.ratings).length + Object.keys(p.serviceRatings).length, 0);
    expect(entries).toBe(8053 - 16);
    expect(providers.reduce((n, p) => n + p.ratingHistory.length, 0)).toBe(16);
    const withOwnRating = new Set(records.filter((r) => r['Service/PopulationGroup'] === 'Overall' && r.Domain === 'Overall').map((r) => r.ProviderID));
    expect(providers.filter((p) => p.ratings.Overall).length).toBe(withOwnRating.size);
    expect(providers.filter((p) => p.ratings['Use of Resources']).length).toBeGreaterThan(0);
    const toIso = (dmy: string) => dmy.split('/').reverse().join('-');
    for (const [key, rows] of repeated) {
      const [providerId, group, domain] = key.split('|') as [string, string, string];
      const provider = providers.find((p) => p.providerId === providerId);
      const stored = group === 'Overall' ? provider?.ratings[domain] : provider?.serviceRatings[`${group}|${domain}`];
      const dates = rows.map((r) => toIso(r.PublicationDate as string)).sort();
      expect(stored.publicationDate).toBe(dates[dates.length - 1]);
      expect(provider?.ratingHistory.some((h: any) => h.serviceGroup === group && h.domain === domain && h.publicationDate === dates[0])).toBe(true);
    }
    const rmy = providers.find((p) => p.providerId === 'RMY');
    expect(rmy).toMatchObject({ gsi1pk: 'PROVIDERS', gsi1sk: rmy?.name, providerType: 'NHS Healthcare Organisation' });

    const again = await ingestRatings({ ...s.deps(), rows: await openRatingsFile(PROVIDERS_FILE, 'Providers'), sheet: 'Providers', source: 'again' });
    expectQuiet(again);
    expect(again.rowsKept).toBe(8053);
  });

  it('keeps only providers in the area, under contract or already known', async () => {
    const s = await setup(testConfig({ localAuthorities: ['Birmingham'] }));
    await putContract(db.doc, s.tableName, { contractId: 'C-1', locationId: 'RXE-1', providerId: 'RXE' });
    const summary = await ingestRatings({ ...s.deps(), rows: await openRatingsFile(PROVIDERS_FILE, 'Providers'), sheet: 'Providers', source: 'p.csv' });
    const providers = (await scanAll(db.doc, s.tableName)).filter((i) => i.sk === 'PROVIDER');
    expect(providers.some((p) => p.providerId === 'RXE')).toBe(true);
    expect(providers.every((p) => p.providerId === 'RXE' || p.localAuthority === 'Birmingham')).toBe(true);
    expect(summary.rowsKept + summary.rowsOutOfScope).toBe(8053);
    expect(summary.providersChanged).toBe(providers.length);
  });
});

describe('a generated Locations file on the real header', () => {
  const authorities = ['Westshire', 'Eastshire', 'Northshire'];
  const rows = [...generateLocationRows({ locations: 300, seed: 7, localAuthorities: authorities })];
  const westshire = rows.filter((row) => row[10] === 'Westshire');
  const csvPath = join(dir, 'locations.csv');
  const odsPath = join(dir, 'locations.ods');

  it('ingests the authority slice as CSV, opens the cases the policy calls for, and the second run does nothing', async () => {
    await writeCsv(csvPath, LOCATIONS_HEADER, rows);
    const s = await setup();
    const summary = await ingestRatings({ ...s.deps(), rows: await openRatingsFile(csvPath, 'Locations'), sheet: 'Locations', source: 'locations.csv' });
    const locationIds = new Set(westshire.map((row) => row[0]));
    expect(summary).toMatchObject({
      rowsRead: rows.length,
      rowsKept: westshire.length,
      rowsOutOfScope: rows.length - westshire.length,
      rowsRejected: 0,
      locationsChanged: locationIds.size,
    });
    const items = await scanAll(db.doc, s.tableName);
    const locations = items.filter((i) => i.sk === 'LOCATION');
    expect(locations).toHaveLength(locationIds.size);
    expect(locations.every((l) => l.localAuthority === 'Westshire' && l.gsi1pk === `PROVIDER#${l.providerId}` && l.gsi1sk === `LOCATION#${l.locationId}`)).toBe(true);
    expect(locations.every((l) => l.escalationDue === undefined)).toBe(true);
    const providerIds = new Set(locations.map((l) => l.providerId));
    expect(items.filter((i) => i.sk === 'PROVIDER').map((p) => p.providerId).sort()).toEqual([...providerIds].sort());
    const expectedCases = locations.filter((l) => caseFor({ locationId: l.locationId, providerId: l.providerId, ratings: l.ratings }, s.config.policy));
    expect(expectedCases.length).toBeGreaterThan(0);
    expect(summary.casesOpened).toBe(expectedCases.length);
    expect(new Set(s.escalation.openCases.keys())).toEqual(new Set(expectedCases.map((l) => l.locationId)));
    expect(s.escalation.count('deliverInspection')).toBe(0);
    expect(summary.itemsWritten).toBe(locations.length + providerIds.size + expectedCases.length + summary.corporateConcerns);

    const calls = s.escalation.calls.length;
    const again = await ingestRatings({ ...s.deps(), rows: await openRatingsFile(csvPath, 'Locations'), sheet: 'Locations', source: 'again' });
    expectQuiet(again);
    expect(s.escalation.calls.length).toBe(calls);
  });

  it('reads the same sheet as ODS (typed date cells) into exactly the same items', async () => {
    await writeLocationsOds(odsPath, rows);
    const fromCsv = await setup();
    await ingestRatings({ ...fromCsv.deps(), rows: await openRatingsFile(csvPath, 'Locations'), sheet: 'Locations', source: 'csv' });
    const fromOds = await setup();
    const summary = await ingestRatings({ ...fromOds.deps(), rows: await openRatingsFile(odsPath, 'Locations'), sheet: 'Locations', source: 'ods' });
    expect(summary.rowsRead).toBe(rows.length);
    expect(withoutTimes(await scanAll(db.doc, fromOds.tableName))).toEqual(withoutTimes(await scanAll(db.doc, fromCsv.tableName)));
    // and the ODS over the CSV's table changes nothing
    expectQuiet(await ingestRatings({ ...fromCsv.deps(), rows: await openRatingsFile(odsPath, 'Locations'), sheet: 'Locations', source: 'ods' }));
  });
});

describe('file shapes', () => {
  it('takes reordered and extra columns, Key Question for Domain, and a banner row above the header', async () => {
    const s = await setup();
    const header = [...LOCATIONS_HEADER];
    const order = header.map((_, index) => index).reverse();
    const reorderedHeader = ['Notes', ...order.map((index) => (header[index] === 'Domain' ? 'Key Question' : (header[index] as string).replace(/ /g, '')))];
    const data = locationRows({ locationId: '1-A', date: '01/02/2026' }, 'Requires improvement').map((row) => ['note', ...order.map((index) => row[index] as string)]);
    const summary = await ingestRatings({
      ...s.deps(),
      rows: (async function* () {
        yield { line: 1, cells: ['Care directory with ratings'] };
        yield { line: 2, cells: [] };
        let line = 3;
        yield { line, cells: reorderedHeader };
        for (const cells of data) yield { line: ++line, cells };
      })(),
      sheet: 'Locations',
      source: 'reordered.csv',
    });
    expect(summary).toMatchObject({ rowsRead: 6, rowsKept: 6, casesOpened: 1 });
    const location = item(await scanAll(db.doc, s.tableName), 'LOCATION#1-A');
    expect(location?.ratings.Overall).toEqual({ rating: 'Requires improvement', publicationDate: '2026-02-01', reportType: 'Location', inherited: false });
    expect(location?.name).toBe('Home 1-A');
  });

  it('refuses a file missing a required column, naming it, and writes nothing', async () => {
    const s = await setup();
    const header = LOCATIONS_HEADER.filter((name) => name !== 'Publication Date');
    const rows = locationRows({ locationId: '1-A', date: '01/02/2026' }, 'Inadequate').map((row) => row.filter((_, i) => LOCATIONS_HEADER[i] !== 'Publication Date'));
    const attempt = ingestRows(s, rows, {}, header);
    await expect(attempt).rejects.toBeInstanceOf(MissingColumn);
    await expect(ingestRows(s, rows, {}, header)).rejects.toThrow(/test\.csv: required column "Publication Date"/);
    expect(await scanAll(db.doc, s.tableName)).toEqual([]);
    expect(s.escalation.calls).toEqual([]);
  });

  it('rejects bad values with their line numbers and applies the good rows', async () => {
    const s = await setup();
    const rows = [
      ...locationRows({ locationId: '1-A', date: '01/02/2026' }, 'Good'),
      locationRow({ locationId: '1-B', domain: 'Overall', rating: 'Brilliant', date: '01/02/2026' }),
      locationRow({ locationId: '1-B', domain: 'Safe', rating: 'Good', date: '31/02/2026' }),
      locationRow({ locationId: '', domain: 'Safe', rating: 'Good', date: '01/02/2026' }),
      locationRow({ locationId: '1-B', domain: 'Caring', rating: 'Good', date: '01/02/2026' }),
    ];
    const summary = await ingestRows(s, rows);
    expect(summary.rowsRejected).toBe(3);
    expect(summary.rowsKept).toBe(7);
    expect(summary.rejections).toEqual([
      { line: 8, field: 'Latest Rating', reason: 'unknown rating value', value: 'Brilliant' },
      { line: 9, field: 'Publication Date', reason: 'bad date', value: '31/02/2026' },
      { line: 10, field: 'Location ID', reason: 'missing id', value: '' },
    ]);
    const items = await scanAll(db.doc, s.tableName);
    expect(item(items, 'LOCATION#1-B')?.ratings).toEqual({ Caring: { rating: 'Good', publicationDate: '2026-02-01', reportType: 'Location', inherited: false } });
  });

  it('stores ungraded ratings without opening a case', async () => {
    const s = await setup();
    const rows = [
      ...locationRows({ locationId: '1-N', date: '01/02/2026' }, 'Not Rated', { Safe: 'Not Rated', Effective: 'Not Rated', Caring: 'Not Rated', Responsive: 'Not Rated', 'Well-led': 'Not Rated' }),
      locationRow({ locationId: '1-D', domain: 'Overall', rating: 'Not applicable', date: '01/02/2026' }),
      locationRow({ locationId: '1-I', domain: 'Overall', rating: 'Insufficient evidence to rate', date: '01/02/2026' }),
    ];
    const summary = await ingestRows(s, rows);
    expect(summary).toMatchObject({ rowsKept: 8, locationsChanged: 3, escalationCalls: 0 });
    expect(item(await scanAll(db.doc, s.tableName), 'LOCATION#1-D')?.ratings.Overall.rating).toBe('Not applicable');
  });
});

describe('ratings over time', () => {
  it('resolves duplicate keys in a file to the newer date, whatever their order; identical rows count once', async () => {
    const s = await setup();
    const rows = [
      locationRow({ locationId: '1-D', domain: 'Overall', rating: 'Good', date: '22/01/2021' }),
      locationRow({ locationId: '1-D', domain: 'Overall', rating: 'Requires improvement', date: '01/05/2020' }),
      locationRow({ locationId: '1-D', domain: 'Safe', rating: 'Inadequate', date: '01/05/2020' }),
      locationRow({ locationId: '1-D', domain: 'Safe', rating: 'Good', date: '22/01/2021' }),
      locationRow({ locationId: '1-D', domain: 'Caring', rating: 'Good', date: '22/01/2021' }),
      locationRow({ locationId: '1-D', domain: 'Caring', rating: 'Good', date: '22/01/2021' }),
      locationRow({ locationId: '1-D', group: 'Care Homes', domain: 'Caring', rating: 'Good', date: '22/01/2021' }),
      locationRow({ locationId: '1-D', group: 'Care Homes', domain: 'Caring', rating: 'Requires improvement', date: '22/01/2021' }),
    ];
    await ingestRows(s, rows);
    const location = item(await scanAll(db.doc, s.tableName), 'LOCATION#1-D');
    expect(location?.ratings.Overall.rating).toBe('Good');
    expect(location?.ratings.Safe).toMatchObject({ rating: 'Good', publicationDate: '2021-01-22' });
    expect(location?.ratings.Caring).toMatchObject({ rating: 'Good', publicationDate: '2021-01-22' });
    // Two ratings on the same date: the more severe is kept.
    expect(location?.serviceRatings['Care Homes|Caring'].rating).toBe('Requires improvement');
    expect(location?.ratingHistory.map((h: any) => `${h.serviceGroup}|${h.domain}|${h.publicationDate}|${h.rating}`)).toEqual([
      'Overall|Overall|2020-05-01|Requires improvement',
      'Overall|Safe|2020-05-01|Inadequate',
      'Care Homes|Caring|2021-01-22|Good',
    ]);
    expectQuiet(await ingestRows(s, [...rows].reverse()));
  });

  it('never lets an older rating overwrite a newer one: it goes to history, opens nothing', async () => {
    const s = await setup();
    await ingestRows(s, locationRows({ locationId: '1-O', date: '01/02/2026' }, 'Good'));
    const older = await ingestRows(s, locationRows({ locationId: '1-O', date: '01/02/2024' }, 'Inadequate', { Safe: 'Inadequate' }));
    expect(older).toMatchObject({ locationsChanged: 1, itemsWritten: 1, escalationCalls: 0 });
    const location = item(await scanAll(db.doc, s.tableName), 'LOCATION#1-O');
    expect(location?.ratings.Overall).toMatchObject({ rating: 'Good', publicationDate: '2026-02-01' });
    expect(location?.ratingHistory).toHaveLength(6);
    expect(location?.ratingHistory[0]).toMatchObject({ publicationDate: '2024-02-01', rating: 'Inadequate' });
    expectQuiet(await ingestRows(s, locationRows({ locationId: '1-O', date: '01/02/2024' }, 'Inadequate', { Safe: 'Inadequate' })));
  });

  it('gives a new rating to the case waiting on the next inspection', async () => {
    const s = await setup();
    const first = await ingestRows(s, locationRows({ locationId: '1-W', date: '01/02/2026' }, 'Requires improvement'));
    expect(first.casesOpened).toBe(1);
    expect(s.escalation.openCases.get('1-W')).toMatchObject({ stage: 'informal' });
    s.escalation.waitingOnInspection.add('1-W');
    const next = await ingestRows(s, locationRows({ locationId: '1-W', date: '15/08/2026' }, 'Good'));
    expect(next).toMatchObject({ casesResumed: 1, inspectionsDelivered: 1, casesOpened: 0, escalationCalls: 1 });
    expect(s.escalation.resumed).toEqual([{ locationId: '1-W', caseId: 'case-1', belowGood: false }]);
    const delivered = s.escalation.calls.find((call) => call.method === 'deliverInspection');
    expect(delivered).toMatchObject({ result: { locationId: '1-W', belowGood: false, ratings: { Overall: { rating: 'Good', publicationDate: '2026-08-15' } } } });
    expect(item(await scanAll(db.doc, s.tableName), 'LOCATION#1-W')?.escalationDue).toBeUndefined();
    expectQuiet(await ingestRows(s, locationRows({ locationId: '1-W', date: '15/08/2026' }, 'Good')));
  });

  it('opens at the formal stage for Inadequate, and informal contact for a Good location with a key question Requires improvement', async () => {
    const s = await setup();
    await ingestRows(s, [
      ...locationRows({ locationId: '1-F', date: '01/02/2026' }, 'Inadequate', { Safe: 'Inadequate' }),
      ...locationRows({ locationId: '1-G', date: '01/02/2026' }, 'Good', { 'Well-led': 'Requires improvement' }),
    ]);
    expect(s.escalation.openCases.get('1-F')?.stage).toBe('formal');
    expect(s.escalation.openCases.get('1-G')).toMatchObject({ stage: 'informal', trigger: expect.stringMatching(/informal contact/) });
  });

  it('raises a corporate concern when a provider reaches the threshold, and again only when another location joins', async () => {
    const s = await setup(testConfig({ threshold: 2 }));
    const base = (id: string, providerId: string) => ({ locationId: id, providerId, providerName: `Provider ${providerId}`, date: '01/02/2026' });
    const first = await ingestRows(s, [
      ...locationRows(base('1-P1', '1-P'), 'Requires improvement'),
      ...locationRows(base('1-P2', '1-P'), 'Good', { Safe: 'Inadequate' }),
      ...locationRows(base('1-P3', '1-P'), 'Good'),
      ...locationRows(base('1-Q1', '1-Q'), 'Inadequate'),
      ...locationRows(base('1-Q2', '1-Q'), 'Good'),
    ]);
    expect(first.corporateConcerns).toBe(1);
    expect(s.escalation.calls.filter((c) => c.method === 'raiseCorporateConcern')).toEqual([
      { method: 'raiseCorporateConcern', providerId: '1-P', locationIds: ['1-P1', '1-P2'] },
    ]);
    const provider = item(await scanAll(db.doc, s.tableName), 'PROVIDER#1-P');
    expect(provider?.corporateConcern).toEqual({ raisedAt: PINNED_NOW.toISOString(), locationsBelowGood: ['1-P1', '1-P2'] });
    expect(provider?.name).toBe('Provider 1-P');

    expectQuiet(
      await ingestRows(s, [
        ...locationRows(base('1-P1', '1-P'), 'Requires improvement'),
        ...locationRows(base('1-P2', '1-P'), 'Good', { Safe: 'Inadequate' }),
        ...locationRows(base('1-P3', '1-P'), 'Good'),
      ]),
    );
    const third = await ingestRows(s, [...locationRows({ ...base('1-P3', '1-P'), date: '01/03/2026' }, 'Inadequate')]);
    expect(third.corporateConcerns).toBe(0); // a partial file alone only knows one of P's locations
    const full = await ingestRows(s, [
      ...locationRows(base('1-P1', '1-P'), 'Requires improvement'),
      ...locationRows(base('1-P2', '1-P'), 'Good', { Safe: 'Inadequate' }),
      ...locationRows({ ...base('1-P3', '1-P'), date: '01/03/2026' }, 'Inadequate'),
    ]);
    expect(full.corporateConcerns).toBe(1);
    expect(s.escalation.concerns.get('1-P')).toEqual(['1-P1', '1-P2', '1-P3']);
  });

  it('keeps a contracted location outside the area, and no other', async () => {
    const s = await setup();
    await putContract(db.doc, s.tableName, { contractId: 'C-9', locationId: '1-FAR', providerId: '1-Z' });
    const summary = await ingestRows(s, [
      ...locationRows({ locationId: '1-FAR', providerId: '1-Z', localAuthority: 'Farshire', date: '01/02/2026' }, 'Good'),
      ...locationRows({ locationId: '1-NEAR', providerId: '1-Z', localAuthority: 'Farshire', date: '01/02/2026' }, 'Inadequate'),
    ]);
    expect(summary).toMatchObject({ rowsKept: 6, rowsOutOfScope: 6, locationsChanged: 1, escalationCalls: 0 });
    const locations = (await scanAll(db.doc, s.tableName)).filter((i) => i.sk === 'LOCATION');
    expect(locations.map((l) => l.locationId)).toEqual(['1-FAR']);
  });
});

describe('batches and crashes', () => {
  const many = (count: number, date = '01/02/2026') =>
    Array.from({ length: count }, (_, i) => {
      const overall = i % 5 === 0 ? 'Inadequate' : i % 3 === 0 ? 'Requires improvement' : 'Good';
      return locationRows({ locationId: `1-${String(i).padStart(4, '0')}`, providerId: `1-PR${i % 7}`, date }, overall);
    }).flat();

  it('writes 25 items a BatchWrite and retries unprocessed items and keys', async () => {
    const s = await setup();
    const base = db.doc;
    let writes = 0;
    let gets = 0;
    const flaky = Object.create(base) as DynamoDBDocumentClient;
    (flaky as { send: unknown }).send = async (command: unknown) => {
      if (command instanceof BatchWriteCommand) {
        writes += 1;
        const requests = Object.values(command.input.RequestItems ?? {})[0] ?? [];
        expect(requests.length).toBeLessThanOrEqual(25);
        if (writes % 2 === 1 && requests.length > 1) {
          // DynamoDB took only half of them.
          const half = requests.slice(0, Math.floor(requests.length / 2));
          await base.send(new BatchWriteCommand({ RequestItems: { [s.tableName]: half } }));
          return { UnprocessedItems: { [s.tableName]: requests.slice(half.length) } };
        }
      }
      if (command instanceof BatchGetCommand) {
        gets += 1;
        const request = Object.values(command.input.RequestItems ?? {})[0];
        if (gets === 1 && request && (request.Keys?.length ?? 0) > 1) {
          const keys = request.Keys ?? [];
          const out = (await base.send(new BatchGetCommand({ RequestItems: { [s.tableName]: { ...request, Keys: keys.slice(0, 1) } } }))) as any;
          return { Responses: out.Responses, UnprocessedKeys: { [s.tableName]: { ...request, Keys: keys.slice(1) } } };
        }
      }
      return (base.send as (c: unknown) => Promise<unknown>)(command);
    };
    const summary = await ingestRows(s, many(60), { doc: flaky, chunkSize: 60, retry: { sleep: async () => {} } });
    expect(summary.locationsChanged).toBe(60);
    const locations = (await scanAll(db.doc, s.tableName)).filter((i) => i.sk === 'LOCATION');
    expect(locations).toHaveLength(60);
    expect(locations.every((l) => l.escalationDue === undefined)).toBe(true);
  });

  it('a crash part-way through the file (a BatchWrite fails) loses nothing: a re-run finishes the job', async () => {
    const rows = many(40);
    const clean = await setup();
    await ingestRows(clean, rows, { chunkSize: 8, concurrency: 1 });

    const s = await setup();
    const crashing = countingDoc(db.doc, { failBatchWriteAt: 4 });
    await expect(ingestRows(s, rows, { doc: crashing.doc, chunkSize: 8, concurrency: 1 })).rejects.toThrow(/injected crash/);
    const partial = (await scanAll(db.doc, s.tableName)).filter((i) => i.sk === 'LOCATION');
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(40);
    // Every location written is whole: six ratings.
    expect(partial.every((l) => Object.keys(l.ratings).length === 6)).toBe(true);

    const rerun = await ingestRows(s, rows, { chunkSize: 8, concurrency: 1 });
    expect(rerun.escalationFailures).toEqual([]);
    expect(withoutTimes(await scanAll(db.doc, s.tableName))).toEqual(withoutTimes(await scanAll(db.doc, clean.tableName)));
    expect(new Set(s.escalation.openCases.keys())).toEqual(new Set(clean.escalation.openCases.keys()));
    // Each case opened once (the port is idempotent; no location asked twice to open except after the crash).
    const opened = s.escalation.calls.filter((c) => c.method === 'openCase').map((c) => (c as any).request.locationId);
    expect(new Set(opened).size).toBe(clean.escalation.openCases.size);
    expectQuiet(await ingestRows(s, rows, { chunkSize: 8, concurrency: 1 }));
  });

  it('a crash between writing a rating and calling the ladder leaves the escalation owed, and a re-run makes it', async () => {
    const rows = many(20);
    const s = await setup();
    s.escalation.failWhen = (call) => call.method === 'openCase' && ['1-0000', '1-0010'].includes(call.request.locationId);
    const first = await ingestRows(s, rows, { chunkSize: 5 });
    expect(first.escalationFailures.map((f) => f.locationId).sort()).toEqual(['1-0000', '1-0010']);
    const marked = (await scanAll(db.doc, s.tableName)).filter((i) => i.escalationDue);
    expect(marked.map((m) => m.locationId).sort()).toEqual(['1-0000', '1-0010']);
    expect(s.escalation.openCases.has('1-0000')).toBe(false);

    s.escalation.failWhen = undefined;
    const callsBefore = s.escalation.calls.length;
    const rerun = await ingestRows(s, rows, { chunkSize: 5 });
    expect(rerun.casesOpened).toBe(2);
    expect(rerun.locationsChanged).toBe(0);
    expect(rerun.itemsWritten).toBe(2); // the two marks cleared
    expect(s.escalation.calls.slice(callsBefore).map((c) => (c as any).request.locationId).sort()).toEqual(['1-0000', '1-0010']);
    expect((await scanAll(db.doc, s.tableName)).filter((i) => i.escalationDue)).toEqual([]);
    expectQuiet(await ingestRows(s, rows, { chunkSize: 5 }));
  });

  it('merges a location whose rows are not consecutive, even across chunks in flight', async () => {
    const s = await setup();
    const a = locationRows({ locationId: '1-SPLIT', date: '01/02/2026' }, 'Good');
    const rows = [...a.slice(0, 3), ...many(30), ...a.slice(3), locationRow({ locationId: '1-SPLIT', domain: 'Overall', rating: 'Inadequate', date: '01/03/2026' })];
    await ingestRows(s, rows, { chunkSize: 4, concurrency: 4 });
    const location = item(await scanAll(db.doc, s.tableName), 'LOCATION#1-SPLIT');
    expect(Object.keys(location?.ratings ?? {}).sort()).toEqual(['Caring', 'Effective', 'Overall', 'Responsive', 'Safe', 'Well-led']);
    expect(location?.ratings.Overall.rating).toBe('Inadequate');
    expect(s.escalation.openCases.get('1-SPLIT')?.stage).toBe('formal');
    expectQuiet(await ingestRows(s, rows, { chunkSize: 4, concurrency: 4 }));
  });
});

describe('ingest CLI', () => {
  const sink = (isTTY = false) => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    }) as Writable & { isTTY?: boolean };
    stream.isTTY = isTTY;
    return { stream, text: () => chunks.join('') };
  };

  it('ingests a file, prints progress and a summary; exits 3 naming a missing column', async () => {
    const s = await setup();
    const path = join(dir, 'cli.csv');
    const generated = [...generateLocationRows({ locations: 40, seed: 3, localAuthorities: ['Westshire'] })];
    await writeCsv(path, LOCATIONS_HEADER, generated);
    const out = sink();
    const err = sink();
    const deps = { doc: db.doc, tableName: s.tableName, config: s.config, escalation: s.escalation, clock: fixedClock(), stdout: out.stream, stderr: err.stream };
    // The council's first file is a preview: nothing stored, no case opened.
    expect(await runIngestCli([path], deps)).toBe(0);
    expect(out.text()).toMatch(/^Preview of the Locations sheet from cli\.csv .*NOTHING WAS STORED AND NO EMAIL WAS SENT/);
    expect(out.text()).toMatch(/first ratings file for this council/);
    expect(await scanAll(db.doc, s.tableName)).toEqual([]);
    expect(s.escalation.calls).toEqual([]);
    const applied = sink();
    expect(await runIngestCli([path, '--apply'], { ...deps, stdout: applied.stream })).toBe(0);
    expect(applied.text()).toMatch(new RegExp(`rows read\\s+${generated.length}\\n`));
    expect(applied.text()).toMatch(/read as\s+CSV, UTF-8/);
    expect(applied.text()).toMatch(/cases opened/);
    expect(err.text()).toMatch(/ingest: done/);

    const bad = join(dir, 'bad.csv');
    await writeCsv(bad, LOCATIONS_HEADER.filter((h) => h !== 'Latest Rating'), []);
    const err2 = sink();
    expect(await runIngestCli([bad], { ...deps, stderr: err2.stream })).toBe(3);
    expect(err2.text()).toMatch(/required column "Latest Rating" is missing/);
    expect(await runIngestCli([], { ...deps, stderr: sink().stream })).toBe(2);
    const tty = sink(true);
    expect(await runIngestCli([path, '--sheet', 'Locations'], { ...deps, stdout: sink().stream, stderr: tty.stream })).toBe(0);
    expect(tty.text()).toMatch(/100%/);
  });
});
