/**
 * Files a council would really feed ingestion (issue 11), each built on CQC's real 28-column
 * Locations header (../shared/CQC-DATA.md) with a few rows, written to disk and read the way the
 * CLI and the upload read them (format, encoding, separator and sheet worked out from the bytes),
 * plus one file combining them all.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCATIONS_HEADER, MissingColumn } from '../../functions/ingest/columns';
import { csvLine } from '../../functions/ingest/csv';
import { openRatingsFile } from '../../functions/ingest/files';
import { IngestStopped, ingestRatings, type IngestDeps, type IngestSummary } from '../../functions/ingest/ingest';
import { DamagedSpreadsheet } from '../../functions/ingest/ods';
import { formatSummary, runIngestCli } from '../../functions/ingest/cli';
import { writeOds } from '../../scripts/ods-writer';
import { writeLocationsOds } from '../../scripts/generate-ratings';
import { fixtureFile } from '../support/fixtures';
import { PINNED_NOW } from '../support/pinned-clock';
import { RecordingEscalation, countingDoc, fixedClock, locationRow, locationRows, scanAll, startTestDb, testConfig, type TestDb } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'held-out-'));
let db: TestDb;
beforeAll(async () => {
  db = await startTestDb();
});
afterAll(async () => {
  await db.dynamo.close();
});

const AREA = LOCATIONS_HEADER.indexOf('Location Local Authority');
const NAME = LOCATIONS_HEADER.indexOf('Location Name');

/** A CSV on the real header: CRLF, quoted where needed, as CQC and Excel write it. */
function csv(rows: string[][], options: { separator?: string; header?: readonly string[] } = {}): string {
  const line = (cells: readonly string[]) =>
    options.separator ? cells.map((cell) => (/[";\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell)).join(options.separator) : csvLine(cells);
  return [line(options.header ?? LOCATIONS_HEADER), ...rows.map(line)].join('\r\n');
}

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function setup(config = testConfig()) {
  const tableName = await db.table();
  const escalation = new RecordingEscalation();
  const deps = (overrides: Partial<IngestDeps> = {}): IngestDeps => ({ doc: db.doc, tableName, config, escalation, clock: fixedClock(), ...overrides });
  const ingest = async (path: string, overrides: Partial<IngestDeps> = {}) => {
    const opened = await openRatingsFile(path);
    return ingestRatings({ ...deps(overrides), rows: opened, facts: opened.facts, source: path.split('/').pop() as string });
  };
  return { tableName, escalation, config, deps, ingest, items: () => scanAll(db.doc, tableName) };
}

const location = (items: Record<string, any>[], id: string) => items.find((item) => item.pk === `LOCATION#${id}`);

// The cases, each a few rows on the real header.
const SHORT_ROWS = () => [
  ...locationRows({ locationId: '1-OK', date: '01/10/2026' }, 'Good'),
  locationRow({ locationId: '1-CUT1', domain: 'Overall', rating: 'Inadequate', date: '01/10/2026' }).slice(0, AREA - 2), // cut before the area
  locationRow({ locationId: '1-CUT2', domain: 'Overall', rating: 'Inadequate', date: '01/10/2026', localAuthority: 'Farshire' }).slice(0, AREA + 3), // cut after it, another county
  [...locationRow({ locationId: '1-LONG', domain: 'Overall', rating: 'Inadequate', date: '01/10/2026' }), 'spilled over'],
];
const OTHER_COUNTY_DAMAGE = () => [
  ...locationRows({ locationId: '1-HOME', date: '01/10/2026' }, 'Good'),
  locationRow({ locationId: '1-FAR', domain: 'Overall', rating: 'Good', date: '31/02/2026', localAuthority: 'Farshire' }),
];
const FUTURE_DATE = () => [
  locationRow({ locationId: '1-TYPO', domain: 'Overall', rating: 'Good', date: '01/03/2062' }),
  locationRow({ locationId: '1-TYPO', domain: 'Overall', rating: 'Inadequate', date: '01/10/2026' }),
  locationRow({ locationId: '1-TYPO', domain: 'Safe', rating: 'Inadequate', date: '01/10/2026' }),
];
const RESAVED_DATES = () => [
  locationRow({ locationId: '1-XL', domain: 'Overall', rating: 'Requires improvement', date: '46082' }),
  locationRow({ locationId: '1-XL', domain: 'Safe', rating: 'Good', date: '01/03/2026 00:00' }),
  locationRow({ locationId: '1-XL', domain: 'Caring', rating: 'Good', date: '01/03/26' }),
  locationRow({ locationId: '1-XL', domain: 'Effective', rating: 'Good', date: 'March 2026' }),
  locationRow({ locationId: '1-XL', domain: 'Responsive', rating: 'Good', date: '2026/03/01' }),
];
const HUGE = 'Oak House '.repeat(524_288); // 5 MB
const OVERSIZED = () => [
  ...locationRows({ locationId: '1-BIG', name: HUGE, date: '01/10/2026' }, 'Inadequate').slice(0, 1),
  ...locationRows({ locationId: '1-NEXT', date: '01/10/2026' }, 'Inadequate'),
];

describe('rows are never dropped silently', () => {
  it('a short or long row is rejected as such, with its line and cells found and expected, whatever its area', async () => {
    const s = await setup();
    const summary = await s.ingest(file('short-rows.csv', csv(SHORT_ROWS())));
    expect(summary.rejections).toEqual([
      { line: 8, field: 'whole row', reason: `short row: ${AREA - 2} cells where the header has 28 (the row is cut short)`, value: expect.stringMatching(/^1-CUT1,/) },
      { line: 9, field: 'whole row', reason: `short row: ${AREA + 3} cells where the header has 28 (the row is cut short)`, value: expect.stringMatching(/^1-CUT2,/) },
      { line: 10, field: 'whole row', reason: 'long row: 29 cells where the header has 28 (a value holds an unquoted separator, or cells were added)', value: expect.stringMatching(/^1-LONG,/) },
    ]);
    expect(summary).toMatchObject({ rowsRead: 9, rowsKept: 6, rowsRejected: 3, rowsOutOfScope: 0, casesOpened: 0 });
    expect((await s.items()).filter((item) => item.sk === 'LOCATION').map((item) => item.locationId)).toEqual(['1-OK']);
  });

  it('validates rows of another county too: a 31/02/2026 there is reported', async () => {
    const s = await setup();
    const summary = await s.ingest(file('other-county.csv', csv(OTHER_COUNTY_DAMAGE())));
    expect(summary).toMatchObject({ rowsKept: 6, rowsRejected: 1, rowsOutOfScope: 0 });
    expect(summary.rejections).toEqual([{ line: 8, field: 'Publication Date', reason: 'bad date', value: '31/02/2026' }]);
  });

  it('rejects a publication date after today (the product clock) and lets the real rating after it count', async () => {
    const s = await setup();
    const summary = await s.ingest(file('future-date.csv', csv(FUTURE_DATE())));
    expect(summary.rejections).toEqual([{ line: 2, field: 'Publication Date', reason: 'date in the future (after today, 16/11/2026)', value: '01/03/2062' }]);
    expect(location(await s.items(), '1-TYPO')?.ratings.Overall).toMatchObject({ rating: 'Inadequate', publicationDate: '2026-10-01' });
    expect(s.escalation.openCases.get('1-TYPO')?.stage).toBe('formal');
    expect(summary.casesOpened).toBe(1);
    // "Today" is the product's clock: a day later, a rating published that day is fine.
    const later = await setup();
    const tomorrow = new Date(PINNED_NOW.getTime() + 86_400_000);
    const next = await later.ingest(file('tomorrow.csv', csv([locationRow({ locationId: '1-T', domain: 'Overall', rating: 'Good', date: '17/11/2026' })])), { clock: fixedClock(tomorrow.toISOString()) });
    expect(next.rowsRejected).toBe(0);
  });

  it('accepts the dates Excel writes when the file is re-saved, and rejects anything else with line and value', async () => {
    const s = await setup();
    const summary = await s.ingest(file('resaved-dates.csv', csv(RESAVED_DATES())));
    expect(summary.rejections).toEqual([
      { line: 5, field: 'Publication Date', reason: 'bad date', value: 'March 2026' },
      { line: 6, field: 'Publication Date', reason: 'bad date', value: '2026/03/01' },
    ]);
    const ratings = location(await s.items(), '1-XL')?.ratings;
    expect([ratings.Overall.publicationDate, ratings.Safe.publicationDate, ratings.Caring.publicationDate]).toEqual(['2026-03-01', '2026-03-01', '2026-03-01']);
  });

  it('rejects a 5 MB value with its line and a shortened value, and goes on; the summary prints nothing long', async () => {
    const s = await setup();
    const summary = await s.ingest(file('oversized.csv', csv(OVERSIZED())));
    expect(summary.rejections).toHaveLength(1);
    const [rejection] = summary.rejections;
    expect(rejection).toMatchObject({ line: 2, field: 'Location Name', reason: 'value too long: 5,242,880 characters (no real cell has over 2,000)' });
    expect(rejection?.value.length).toBeLessThan(200);
    expect(rejection?.value).toMatch(/^Oak House Oak House .*… \(5,242,880 characters\)$/);
    expect(summary).toMatchObject({ rowsKept: 6, casesOpened: 1 });
    expect(s.escalation.openCases.has('1-NEXT')).toBe(true);
    expect(formatSummary(summary).split('\n').every((line) => line.length < 500)).toBe(true);
  });

  it('an error that still stops a run names the file, the line and the location; the same file again completes it', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => locationRows({ locationId: `1-R${String(i).padStart(2, '0')}`, providerId: `1-PR${i % 3}`, date: '01/10/2026' }, i % 4 === 0 ? 'Inadequate' : 'Good')).flat();
    const path = file('stops.csv', csv(rows));
    const clean = await setup();
    await clean.ingest(path, { chunkSize: 4, concurrency: 1 });
    const s = await setup();
    const crashing = countingDoc(db.doc, { failBatchWriteAt: 2 });
    const error = await s.ingest(path, { doc: crashing.doc, chunkSize: 4, concurrency: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IngestStopped);
    expect((error as Error).message).toMatch(/^stops\.csv: the run stopped at lines 2–25, locations 1-R00 to 1-R03 \(4\): Error: injected crash in BatchWriteItem\. .*ingest the same file again to complete the run\.$/);
    const rerun = await s.ingest(path, { chunkSize: 4, concurrency: 1 });
    expect(rerun.escalationFailures).toEqual([]);
    const strip = (items: Record<string, any>[]) => items.map(({ updatedAt: _u, corporateConcern: c, firstAppliedAt: _f, ...rest }): Record<string, any> => ({ ...rest, concern: c?.locationsBelowGood })).sort((a, b) => String(a.pk).localeCompare(String(b.pk)));
    expect(strip(await s.items())).toEqual(strip(await clean.items()));
    expect([...s.escalation.openCases.keys()].sort()).toEqual([...clean.escalation.openCases.keys()].sort());
    expect(s.escalation.concerns).toEqual(clean.escalation.concerns);
  });
});

describe('the right outcome, said plainly', () => {
  it('a run where every row was rejected fails with the reason (CLI: exit 5)', async () => {
    const s = await setup();
    const path = file('all-bad.csv', csv([locationRow({ locationId: '1-A', domain: 'Overall', rating: 'Brilliant', date: '01/10/2026' }), locationRow({ locationId: '1-B', domain: 'Overall', rating: 'Good', date: '99/99/2026' })]));
    const summary = await s.ingest(path);
    expect(summary).toMatchObject({ outcome: 'failed', rowsRejected: 2, failureReason: 'Every row was rejected (2): nothing was stored. The rejected rows below say why.' });
    const out = sink();
    expect(await runIngestCli([path, '--apply'], { ...cliDeps(s), stdout: out.stream, stderr: sink().stream })).toBe(5);
    expect(out.text()).toMatch(/^FAILED: Ingested the Locations sheet/);
    expect(out.text()).toMatch(/Why it failed: Every row was rejected/);
  });

  it('a run that keeps nothing although rows of our area came under another spelling fails, naming both spellings', async () => {
    const s = await setup(testConfig({ localAuthorities: ['Somerset'] }));
    const rows = [
      ...locationRows({ locationId: '1-S1', localAuthority: 'Somerset County Council', date: '01/10/2026' }, 'Inadequate'),
      ...locationRows({ locationId: '1-D1', localAuthority: 'Devon', date: '01/10/2026' }, 'Good'),
    ];
    const summary = await s.ingest(file('spelling.csv', csv(rows)));
    expect(summary.outcome).toBe('failed');
    expect(summary.failureReason).toBe(
      'No row was kept, but 6 rows are for "Somerset County Council", which looks like our area spelt another way (the configuration\'s authority.localAuthorities: "somerset"). Correct the spelling in the configuration (or the file) and ingest it again.',
    );
    expect(s.escalation.calls).toEqual([]);
    // Keeping nothing because nothing is ours is not a failure, but is said.
    const other = await setup(testConfig({ localAuthorities: ['Westshire'] }));
    const quiet = await other.ingest(file('elsewhere.csv', csv(rows)));
    expect(quiet.outcome).toBe('done');
    expect(quiet.notes).toContain('No row is for our area (authority.localAuthorities: "westshire") or under contract; the file\'s areas include "Somerset County Council" (6 rows), "Devon" (6 rows).');
  });

  const CAFE = 'Café Care – Taunton, £5 Lane';
  const encoded = (name: string) => csv(locationRows({ locationId: '1-CAFE', name, providerName: 'Crème Homes Ltd', date: '01/10/2026' }, 'Requires improvement'));

  it.each([
    ['UTF-8', 'utf-8.csv', () => Buffer.from(encoded(CAFE), 'utf8')],
    ['UTF-8 with a byte-order mark', 'utf-8-bom.csv', () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(encoded(CAFE), 'utf8')])],
    ['UTF-16 (little-endian, with a byte-order mark)', 'utf-16.csv', () => iconv.encode(encoded(CAFE), 'utf-16le', { addBOM: true })],
    ['Windows-1252 (what Excel on Windows saves as CSV)', 'windows-1252.csv', () => iconv.encode(encoded(CAFE), 'win1252')],
  ])('reads %s and stores "Café Care – Taunton, £5 Lane" as written', async (encoding, name, bytes) => {
    const s = await setup();
    const summary = await s.ingest(file(name, bytes()));
    expect(summary).toMatchObject({ encoding, rowsKept: 6, rowsRejected: 0, casesOpened: 1 });
    const items = await s.items();
    expect(location(items, '1-CAFE')?.name).toBe(CAFE);
    expect(items.find((item) => item.sk === 'PROVIDER')?.name).toBe('Crème Homes Ltd');
  });

  it('never stores a replacement character: a byte Windows-1252 lacks, or one left by an earlier conversion, rejects the row', async () => {
    const s = await setup();
    const rows = locationRows({ locationId: '1-CAFE', name: 'Cafe Care', date: '01/10/2026' }, 'Good');
    const lines = csv(rows).split('\r\n');
    const broken = Buffer.concat([
      Buffer.from(`${lines.slice(0, 3).join('\r\n')}\r\n`, 'latin1'),
      Buffer.from(lines[3]!.replace('Cafe Care', 'Caf\u00e9 \u0081Care'), 'latin1'),
      Buffer.from(`\r\n${lines.slice(4).join('\r\n')}`, 'latin1'),
    ]);
    const summary = await s.ingest(file('undefined-byte.csv', broken));
    expect(summary.encoding).toMatch(/^Windows-1252/);
    expect(summary.rejections).toEqual([{ line: 4, field: 'Location Name', reason: expect.stringMatching(/^holds an unreadable character/), value: 'Café \uFFFDCare' }]);
    const damagedEarlier = await setup();
    const again = await damagedEarlier.ingest(file('replacement.csv', csv(locationRows({ locationId: '1-X', name: 'Caf\uFFFD Care \uFFFD Taunton', date: '01/10/2026' }, 'Good'))));
    expect(again.rowsRejected).toBe(6);
    expect(JSON.stringify(await s.items())).not.toContain('\uFFFD');
    expect(JSON.stringify(await damagedEarlier.items())).not.toContain('\uFFFD');
  });

  it('accepts a semicolon-separated file, with a note saying so', async () => {
    const s = await setup();
    const rows = locationRows({ locationId: '1-SEMI', name: 'Oak House; Annexe', date: '01/10/2026' }, 'Inadequate');
    const summary = await s.ingest(file('semicolons.csv', csv(rows, { separator: ';' })));
    expect(summary).toMatchObject({ rowsKept: 6, casesOpened: 1 });
    expect(summary.notes).toContain('The columns are separated by semicolons (";"), not commas, as Excel saves CSV in many countries: read that way.');
    expect(location(await s.items(), '1-SEMI')?.name).toBe('Oak House; Annexe');
  });

  it('a corrupt ODS gets an error naming the file, the sheet, where, and what to do', async () => {
    const s = await setup();
    const row = (cells: string[]) => cells;
    const broken = join(dir, 'broken.ods');
    await writeOds(broken, [
      { name: 'Locations', rows: [row([...LOCATIONS_HEADER]), ...locationRows({ locationId: '1-ODS', date: '01/10/2026' }, 'Good'), { xml: '<table:table-row><table:table-cell office:value-type="string"><text:p>1-ODS2</text:p></table:table-cell></table:table-cell></table:table-row>' }] },
    ]);
    const error = await s.ingest(broken).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DamagedSpreadsheet);
    expect((error as Error).message).toMatch(
      /^broken\.ods: the spreadsheet is damaged and cannot be read to the end\. In sheet "Locations", after row 8: its data breaks off or is garbled \(the XML parser found "unexpected close tag" at line \d+, character [\d,]+ of the sheet data\)\. Rows before that point were read as usual\. Download the file again from CQC/,
    );
    const whole = join(dir, 'whole.ods');
    await writeLocationsOds(whole, locationRows({ locationId: '1-ODS', date: '01/10/2026' }, 'Good'));
    const { readFileSync } = await import('node:fs');
    const cut = file('cut.ods', readFileSync(whole).subarray(0, 300));
    const cutError = await s.ingest(cut).catch((caught: unknown) => caught);
    expect((cutError as Error).message).toMatch(/^cut\.ods: the spreadsheet is damaged and cannot be read to the end\. It is not a complete ODS workbook: the zip archive it should be cannot be opened \(.*\); it may have been cut short while downloading\./);
  });

  it('a file missing several required columns names them all, with the columns found', async () => {
    const s = await setup();
    const header = LOCATIONS_HEADER.filter((name) => !['Latest Rating', 'Publication Date', 'Provider ID'].includes(name));
    const error = await s.ingest(file('columns.csv', csv([], { header }))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MissingColumn);
    expect((error as MissingColumn).columns).toEqual(['Latest Rating', 'Publication Date', 'Provider ID']);
    expect((error as Error).message).toBe(`columns.csv: required columns "Latest Rating", "Publication Date", "Provider ID" are missing from the header row. Columns found (25): ${header.map((name) => `"${name}"`).join(', ')}`);
  });
});

describe('the sheet is told by the header', () => {
  it('the CLI reads the real Providers file without --sheet, says which sheet it read, with the README counts', async () => {
    const s = await setup(testConfig({ localAuthorities: ['Birmingham'] }));
    const out = sink();
    expect(await runIngestCli([fixtureFile('cqc/Latest_ratings_2_2021_Prov.csv'), '--apply'], { ...cliDeps(s), stdout: out.stream, stderr: sink().stream })).toBe(0);
    expect(out.text()).toMatch(/^Ingested the Providers sheet from Latest_ratings_2_2021_Prov\.csv/);
    expect(out.text()).toMatch(/rows read\s+8,053\n/);
    expect(out.text()).toContain('Note: Read as CQC\'s Providers sheet (its header has "Provider ID" and no "Location ID").');
    expect(out.text()).toMatch(/read as\s+CSV, UTF-8 with a byte-order mark/);
  });

  it('an ODS workbook: the Providers sheet is found by its name when no sheet is asked for', async () => {
    const s = await setup(testConfig({ localAuthorities: ['Westshire'] }));
    const path = join(dir, 'providers.ods');
    const header = ['Provider ID', 'Provider Name', 'Provider Local Authority', 'Service / Population Group', 'Domain', 'Latest Rating', 'Publication Date'];
    await writeOds(path, [{ name: 'Notes', rows: [['see the other sheet']] }, { name: 'Providers', rows: [header, ['1-P1', 'Westshire Care Ltd', 'Westshire', 'Overall', 'Overall', 'Good', '01/10/2026']] }]);
    const summary = await s.ingest(path);
    expect(summary).toMatchObject({ sheet: 'Providers', rowsKept: 1, providersChanged: 1 });
    expect(summary.notes).toEqual(['Read the workbook\'s sheet "Providers".', 'Read as CQC\'s Providers sheet (its header has "Provider ID" and no "Location ID").']);
  });
});

describe('a preview for the first ingest, then applying all or chosen parts', () => {
  const rows = () => [
    ...locationRows({ locationId: '1-P1', providerId: '1-PP', providerName: 'Pear Care', name: 'Pear House', date: '01/10/2026' }, 'Inadequate'),
    ...locationRows({ locationId: '1-P2', providerId: '1-PP', providerName: 'Pear Care', name: 'Pear Lodge', date: '01/10/2026' }, 'Requires improvement'),
    ...locationRows({ locationId: '1-W', providerId: '1-WW', name: 'Willow Court', date: '01/10/2026' }, 'Good'),
  ];

  it('says what it would store, open (and at which stage), resume and raise, with no writes and no ladder calls', async () => {
    const s = await setup();
    // Willow Court has a case waiting on its next inspection; Pear Lodge has a case open already.
    await s.ingest(file('before.csv', csv(locationRows({ locationId: '1-W', providerId: '1-WW', name: 'Willow Court', date: '01/03/2026' }, 'Requires improvement'))));
    s.escalation.openCases.set('1-P2', { caseId: 'case-p2', stage: 'informal', trigger: 'own records' });
    s.escalation.waitingOnInspection.add('1-W');
    const before = await s.items();
    const calls = s.escalation.calls.length;
    const preview = await s.ingest(file('preview.csv', csv(rows())), { plan: { dryRun: true } });
    expect(await s.items()).toEqual(before);
    expect(s.escalation.calls).toHaveLength(calls);
    expect(preview).toMatchObject({ dryRun: true, itemsWritten: 0, escalationCalls: 0, casesOpened: 0 });
    expect(preview.preview).toEqual({
      itemsToWrite: 4, // Pear House, Pear Lodge, Willow Court, and the provider Pear Care
      casesToOpen: [{ locationId: '1-P1', name: 'Pear House', providerId: '1-PP', stage: 'formal', trigger: 'CQC rated Inadequate overall (published 1 October 2026)' }],
      casesToOpenCount: 1,
      casesAlreadyOpen: 1,
      casesToResume: [{ locationId: '1-W', name: 'Willow Court', caseId: 'case-1', belowGood: false }],
      casesToResumeCount: 1,
      concernsToRaise: [{ providerId: '1-PP', name: 'Pear Care', locationIds: ['1-P1', '1-P2'] }],
      concernsToRaiseCount: 1,
    });
    // Applying it does what the preview said.
    const applied = await s.ingest(join(dir, 'preview.csv'));
    expect(applied).toMatchObject({ casesOpened: 1, casesResumed: 1, corporateConcerns: 1, itemsWritten: preview.preview!.itemsToWrite + 3 + 1 }); // + the three escalation marks cleared, the concern recorded
  });

  it('applies only the chosen parts: the other cases are not opened, and a later run does not open them', async () => {
    const s = await setup();
    const path = file('chosen.csv', csv([...rows(), ...locationRows({ locationId: '1-Q', providerId: '1-QQ', name: 'Quince House', date: '01/10/2026' }, 'Requires improvement')]));
    const summary = await s.ingest(path, { plan: { openCases: new Set(['1-Q']), raiseConcerns: new Set() } });
    expect([...s.escalation.openCases.keys()]).toEqual(['1-Q']);
    expect(summary.leftOut).toEqual({ cases: 2, resumes: 0, concerns: 1 });
    expect(summary.corporateConcerns).toBe(0);
    expect((await s.items()).filter((item) => item.escalationDue)).toEqual([]);
    const again = await s.ingest(path);
    expect(again).toMatchObject({ casesOpened: 0, itemsWritten: 1, corporateConcerns: 1 }); // the concern, raised now it is not left out
  });

  it('the CLI: the first file is previewed unless --apply; --dry-run previews any file; --cases chooses', async () => {
    const s = await setup();
    const path = file('cli-preview.csv', csv(rows()));
    const first = sink();
    expect(await runIngestCli([path], { ...cliDeps(s), stdout: first.stream, stderr: sink().stream })).toBe(0);
    expect(first.text()).toMatch(/cases it would open\s+2 \(1 at the formal stage\); 0 already open/);
    expect(first.text()).toMatch(/\n {2}1-P1 {2}Pear House {2}formal: CQC rated Inadequate overall/);
    expect(first.text()).toMatch(/Corporate concerns it would raise:\n {2}1-PP {2}Pear Care: 1-P1, 1-P2/);
    expect(await s.items()).toEqual([]);
    const chosen = sink();
    expect(await runIngestCli([path, '--cases', 'none', '--concerns', 'all'], { ...cliDeps(s), stdout: chosen.stream, stderr: sink().stream })).toBe(0);
    expect(chosen.text()).toMatch(/left out by choice\s+2 cases not opened, 0 not resumed, 0 concerns not raised/);
    expect(s.escalation.openCases.size).toBe(0);
    const dry = sink();
    expect(await runIngestCli([path, '--dry-run'], { ...cliDeps(s), stdout: dry.stream, stderr: sink().stream })).toBe(0);
    expect(dry.text()).toMatch(/NOTHING WAS STORED/);
    expect(await runIngestCli([path, '--dry-run', '--apply'], { ...cliDeps(s), stdout: sink().stream, stderr: sink().stream })).toBe(2);
  });
});

describe('everything at once', () => {
  it('a file combining every case above gives every rejection, in file order, and applies the rest', async () => {
    const s = await setup();
    const all = [...SHORT_ROWS(), ...OTHER_COUNTY_DAMAGE(), ...FUTURE_DATE(), ...RESAVED_DATES(), ...OVERSIZED()];
    const bytes = iconv.encode(csv(all, { separator: ';' }).replace('1-OK', '1-OK').replace(/Home 1-HOME/g, 'Café 1-HOME'), 'win1252');
    const summary: IngestSummary = await s.ingest(file('combined.csv', bytes));
    expect(summary.encoding).toMatch(/^Windows-1252/);
    expect(summary.notes[0]).toMatch(/semicolons/);
    expect(summary.rejections.map((r) => [r.line, r.field, r.reason.split(':')[0]])).toEqual([
      [8, 'whole row', 'short row'],
      [9, 'whole row', 'short row'],
      [10, 'whole row', 'long row'],
      [17, 'Publication Date', 'bad date'],
      [18, 'Publication Date', 'date in the future (after today, 16/11/2026)'],
      [24, 'Publication Date', 'bad date'],
      [25, 'Publication Date', 'bad date'],
      [26, 'Location Name', 'value too long'],
    ]);
    expect(summary).toMatchObject({ outcome: 'done', rowsRead: all.length, rowsRejected: 8, rowsKept: all.length - 8 });
    const items = await s.items();
    expect(location(items, '1-HOME')?.name).toBe('Café 1-HOME');
    expect([...s.escalation.openCases.keys()].sort()).toEqual(['1-NEXT', '1-TYPO', '1-XL']);
    expect(formatSummary(summary).split('\n').every((line) => line.length < 500)).toBe(true);
    expect(NAME).toBe(2);
  });
});

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

function cliDeps(s: Awaited<ReturnType<typeof setup>>) {
  return { doc: db.doc, tableName: s.tableName, config: s.config, escalation: s.escalation, clock: fixedClock() };
}
