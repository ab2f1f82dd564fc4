/**
 * Ingestion benchmark (`npm run bench:ingest`). Generates (or reuses, under `.bench/`) a national
 * Locations sheet on the real header as CSV and ODS, starts dynalite in a child process (so its
 * memory is not counted as ours) and measures, in one run:
 *
 *   (a) bare streaming parse of the national CSV with csv-parse alone
 *   (p) our reader + header mapping + row validation of every national row (no database)
 *   (c) first ingest of the authority's slice (config: Westshire)
 *   (b) parse + diff of the national CSV: the same file again over the stored slice, every row of
 *       every area validated (width, cells, values), as ingestion always does
 *   (g) national ODS: reader alone, then parse + diff over the stored slice
 *   (d) first ingest of the whole country (config: every local authority)
 *   (e) re-ingest of the same file, whole country
 *   (f) the naive baseline: every row one GetItem + one PutItem, sequential; bounded: run in full on
 *       the authority slice, and on the first N rows of the whole country, extrapolated
 *
 * Reports rows/s, peak RSS (sampled every 20 ms), items written, escalation calls ("executions"),
 * and ratios against the bare parse and the naive baseline. Results go to stdout and to
 * `.bench/results.{json,md}`.
 *
 *   node --expose-gc --import tsx scripts/bench-ingest.ts [--locations 60000] [--naive-rows 20000] [--regen]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'csv-parse';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTable, localDynamoClient, startDynamo } from '../local/dynamo';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/endpoints';
import { documentClient, keys } from '../functions/lib/table';
import { loadConfigFile, type AppConfig } from '../functions/lib/config';
import type { EscalationPort } from '../functions/lib/escalation-port';
import { isHeaderRow, mapColumns, type ColumnMap, type LocationField } from '../functions/ingest/columns';
import { openRatingsFile } from '../functions/ingest/files';
import { readOdsFile } from '../functions/ingest/ods';
import { ingestRatings, type IngestSummary } from '../functions/ingest/ingest';
import { checkCells, parseLocationRow } from '../functions/ingest/rows';
import { isoDate } from '../functions/lib/clock';
import { LOCAL_AUTHORITIES, generateRatingsFile } from './generate-ratings';

const here = fileURLToPath(import.meta.url);

function arg(name: string, fallback: string): string {
  const argv = process.argv.slice(2);
  const index = argv.indexOf(name);
  return index >= 0 && argv[index + 1] ? (argv[index + 1] as string) : fallback;
}

/** The child: dynalite in memory on loopback; prints its endpoint, runs until stdin closes. */
async function dynaliteChild(): Promise<void> {
  const dynamo = await startDynamo();
  process.stdout.write(`${JSON.stringify({ endpoint: dynamo.endpoint })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void dynamo.close().then(() => process.exit(0)));
}

async function startDynaliteChild(): Promise<{ endpoint: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', here, '--dynalite-child'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const endpoint = await new Promise<string>((resolveEndpoint, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`dynalite child exited (${code})`)));
    lines.once('line', (line) => resolveEndpoint((JSON.parse(line) as { endpoint: string }).endpoint));
  });
  return { endpoint, child };
}

class CountingEscalation implements EscalationPort {
  calls = 0;
  opened = new Set<string>();
  async openCase(request: { locationId: string }) {
    this.calls += 1;
    const opened = !this.opened.has(request.locationId);
    this.opened.add(request.locationId);
    return { caseId: `case-${request.locationId}`, opened };
  }
  async deliverInspection() {
    this.calls += 1;
    return { resumed: false };
  }
  async raiseCorporateConcern() {
    this.calls += 1;
    return { raised: true };
  }
}

interface Result {
  id: string;
  what: string;
  seconds: number;
  rows: number;
  rowsPerSecond: number;
  peakRssMb: number;
  itemsWritten?: number;
  escalationCalls?: number;
  note?: string;
}

async function measure<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number; peakRssMb: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  const started = performance.now();
  try {
    const value = await run();
    const seconds = (performance.now() - started) / 1000;
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, seconds, peakRssMb: peak / 1024 / 1024 };
  } finally {
    clearInterval(timer);
  }
}

async function bareParse(path: string): Promise<number> {
  let records = 0;
  const parser = createReadStream(path, { highWaterMark: 256 * 1024 }).pipe(parse({ bom: true, relax_column_count: true }));
  for await (const _ of parser) records += 1;
  return records - 1; // header
}

/** Every row checked as ingestion checks it: its width, every cell (length, U+FFFD), then its values. */
async function parseAndValidate(path: string): Promise<{ rows: number; kept: number }> {
  const file = await openRatingsFile(path, 'Locations');
  const today = isoDate(new Date());
  let columns: ColumnMap<LocationField> | undefined;
  let header: string[] = [];
  let rows = 0;
  let kept = 0;
  for await (const row of file) {
    if (!columns) {
      if (isHeaderRow(row.cells, 'Locations')) {
        columns = mapColumns('Locations', row.cells, path);
        header = row.cells;
      }
      continue;
    }
    rows += 1;
    if (row.cells.length !== header.length || checkCells(row.line, row.cells, header)) continue;
    if (parseLocationRow(row.line, row.cells, columns, today).ok) kept += 1;
  }
  return { rows, kept };
}

async function odsParse(path: string): Promise<number> {
  let rows = 0;
  for await (const _ of readOdsFile(path, 'Locations')) rows += 1;
  return rows - 1;
}

/** What a user would write first: every kept row, one GetItem and one PutItem, one after the other. */
async function naive(doc: DynamoDBDocumentClient, tableName: string, path: string, config: AppConfig, limit: number): Promise<{ rows: number; read: number; writes: number }> {
  const authorities = new Set(config.authority.localAuthorities);
  const parser = createReadStream(path).pipe(parse({ bom: true, relax_column_count: true, columns: true }));
  let rows = 0;
  let read = 0;
  let writes = 0;
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    read += 1;
    if (read > limit) break;
    if (!authorities.has(record['Location Local Authority'] ?? '')) continue;
    rows += 1;
    const locationId = record['Location ID'] as string;
    const { Item } = await doc.send(new GetCommand({ TableName: tableName, Key: keys.location(locationId) }));
    type Entry = { rating: unknown; publicationDate: string };
    const item = (Item ?? { ...keys.location(locationId), locationId, ratings: {}, serviceRatings: {} }) as Record<string, unknown> & {
      ratings: Record<string, Entry>;
      serviceRatings: Record<string, Entry>;
    };
    const [d, m, y] = (record['Publication Date'] ?? '').split('/');
    const entry = { rating: record['Latest Rating'], publicationDate: `${y}-${m}-${d}` };
    if (record['Service / Population Group'] === 'Overall') item.ratings[record.Domain as string] = entry;
    else item.serviceRatings[`${record['Service / Population Group']}|${record.Domain}`] = entry;
    await doc.send(new PutCommand({ TableName: tableName, Item: item }));
    writes += 1;
  }
  return { rows, read: Math.min(read, limit), writes };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const locations = Number(arg('--locations', '60000'));
  const naiveRows = Number(arg('--naive-rows', '20000'));
  const benchDir = resolve('.bench');
  await mkdir(benchDir, { recursive: true });
  const csv = join(benchDir, `national-${locations}.csv`);
  const ods = join(benchDir, `national-${locations}.ods`);
  const regen = process.argv.includes('--regen');
  for (const [path, format] of [
    [csv, 'csv'],
    [ods, 'ods'],
  ] as const) {
    if (regen || !existsSync(path)) {
      process.stderr.write(`generating ${path} ...\n`);
      await generateRatingsFile({ locations, out: path, format });
    }
  }
  const csvBytes = (await stat(csv)).size;
  const odsBytes = (await stat(ods)).size;
  process.stderr.write(`national CSV ${fmt(csvBytes / 1e6)} MB, ODS ${fmt(odsBytes / 1e6)} MB (zipped)\n`);

  const { endpoint, child } = await startDynaliteChild();
  const doc = documentClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 10 });
  const client = localDynamoClient(endpoint);
  let tableSeq = 0;
  const freshTable = async () => {
    tableSeq += 1;
    const name = `Bench${tableSeq}`;
    await ensureTable(client, name);
    return name;
  };
  const base = loadConfigFile(resolve('config/local.json'));
  const authorityConfig: AppConfig = { ...base, authority: { ...base.authority, localAuthorities: ['Westshire'] } };
  const nationalConfig: AppConfig = { ...base, authority: { ...base.authority, localAuthorities: [...LOCAL_AUTHORITIES] } };
  const clock = { now: () => new Date() };
  const results: Result[] = [];
  const log = (result: Result) => {
    results.push(result);
    process.stderr.write(
      `${result.id.padEnd(3)} ${result.what.padEnd(58)} ${fmt(result.seconds, 2).padStart(8)} s ${fmt(result.rowsPerSecond).padStart(9)} rows/s ` +
        `${fmt(result.peakRssMb).padStart(5)} MB${result.itemsWritten !== undefined ? `  writes ${fmt(result.itemsWritten)}` : ''}` +
        `${result.escalationCalls !== undefined ? `  escalations ${fmt(result.escalationCalls)}` : ''}\n`,
    );
  };
  const ingest = async (id: string, what: string, path: string, tableName: string, config: AppConfig, escalation: CountingEscalation) => {
    const before = escalation.calls;
    const { value, seconds, peakRssMb } = await measure(async () =>
      ingestRatings({ doc, tableName, config, escalation, clock, rows: await openRatingsFile(path), source: path }),
    );
    const summary: IngestSummary = value;
    log({
      id,
      what,
      seconds,
      rows: summary.rowsRead,
      rowsPerSecond: summary.rowsRead / seconds,
      peakRssMb,
      itemsWritten: summary.itemsWritten,
      escalationCalls: escalation.calls - before,
      note: `kept ${summary.rowsKept}, locations changed ${summary.locationsChanged}, cases opened ${summary.casesOpened}, corporate concerns ${summary.corporateConcerns}`,
    });
    return summary;
  };

  try {
    const a = await measure(() => bareParse(csv));
    log({ id: 'a', what: 'bare csv-parse of the national CSV', seconds: a.seconds, rows: a.value, rowsPerSecond: a.value / a.seconds, peakRssMb: a.peakRssMb });
    const totalRows = a.value;

    const p = await measure(() => parseAndValidate(csv));
    log({ id: 'p', what: 'our reader + columns + validation, every national row', seconds: p.seconds, rows: p.value.rows, rowsPerSecond: p.value.rows / p.seconds, peakRssMb: p.peakRssMb });

    const slice = await freshTable();
    const sliceEscalation = new CountingEscalation();
    await ingest('c', 'first ingest, authority slice (Westshire), national CSV', csv, slice, authorityConfig, sliceEscalation);
    await ingest('b', 'parse + validate every row + diff, national CSV (over the stored slice)', csv, slice, authorityConfig, sliceEscalation);

    const g = await measure(() => odsParse(ods));
    log({ id: 'g', what: 'our ODS reader alone, national ODS', seconds: g.seconds, rows: g.value, rowsPerSecond: g.value / g.seconds, peakRssMb: g.peakRssMb });
    await ingest('g2', 'parse + diff national ODS (over the stored slice)', ods, slice, authorityConfig, sliceEscalation);

    const country = await freshTable();
    const countryEscalation = new CountingEscalation();
    await ingest('d', 'first ingest, whole country (every LA), national CSV', csv, country, nationalConfig, countryEscalation);
    await ingest('e', 're-ingest of the same file, whole country', csv, country, nationalConfig, countryEscalation);

    const naiveSlice = await freshTable();
    const f1 = await measure(() => naive(doc, naiveSlice, csv, authorityConfig, Infinity));
    log({
      id: 'f1',
      what: 'naive Get+Put per row, authority slice (whole file read)',
      seconds: f1.seconds,
      rows: f1.value.read,
      rowsPerSecond: f1.value.read / f1.seconds,
      peakRssMb: f1.peakRssMb,
      itemsWritten: f1.value.writes,
      note: `${f1.value.rows} kept rows, each one GetItem + one PutItem`,
    });
    const naiveCountry = await freshTable();
    const f2 = await measure(() => naive(doc, naiveCountry, csv, nationalConfig, naiveRows));
    const perRow = f2.seconds / f2.value.rows;
    log({
      id: 'f2',
      what: `naive Get+Put per row, whole country: first ${fmt(naiveRows)} rows`,
      seconds: f2.seconds,
      rows: f2.value.rows,
      rowsPerSecond: f2.value.rows / f2.seconds,
      peakRssMb: f2.peakRssMb,
      itemsWritten: f2.value.writes,
      note: `extrapolated to ${fmt(totalRows)} rows: ${fmt(perRow * totalRows, 0)} s and ${fmt(totalRows)} writes`,
    });
    const naiveCountrySeconds = perRow * totalRows;

    const byId = (id: string) => results.find((r) => r.id === id) as Result;
    const bare = byId('a').seconds;
    const ratios = {
      parseDiffVsBare: byId('b').seconds / bare,
      ourParseVsBare: byId('p').seconds / bare,
      sliceFirstVsNaive: byId('c').seconds / byId('f1').seconds,
      sliceReingestVsNaive: byId('b').seconds / byId('f1').seconds,
      countryFirstVsNaive: byId('d').seconds / naiveCountrySeconds,
      countryReingestVsNaive: byId('e').seconds / naiveCountrySeconds,
      countryWritesVsNaive: (byId('d').itemsWritten ?? 0) / totalRows,
    };
    const targets = {
      'CSV parse+diff <= 3x bare parse': ratios.parseDiffVsBare <= 3,
      'national ODS < 60 s (reader)': byId('g').seconds < 60,
      'national ODS parse+diff < 60 s': byId('g2').seconds < 60,
      're-ingest: 0 writes, 0 escalations': byId('e').itemsWritten === 0 && byId('e').escalationCalls === 0 && byId('b').itemsWritten === 0 && byId('b').escalationCalls === 0,
      'peak RSS < 512 MB': results.every((r) => r.peakRssMb < 512),
    };

    const header = '| | run | time (s) | rows | rows/s | peak RSS (MB) | items written | escalation calls | notes |\n|---|---|---:|---:|---:|---:|---:|---:|---|';
    const table = results
      .map((r) => `| ${r.id} | ${r.what} | ${fmt(r.seconds, 2)} | ${fmt(r.rows)} | ${fmt(r.rowsPerSecond)} | ${fmt(r.peakRssMb)} | ${r.itemsWritten === undefined ? '' : fmt(r.itemsWritten)} | ${r.escalationCalls === undefined ? '' : fmt(r.escalationCalls)} | ${r.note ?? ''} |`)
      .join('\n');
    const markdown =
      `National file: ${fmt(locations)} locations, ${fmt(totalRows)} rows; CSV ${fmt(csvBytes / 1e6)} MB, ODS ${fmt(odsBytes / 1e6)} MB zipped. ` +
      `Node ${process.version}, ${(await import('node:os')).cpus().length} CPUs, dynalite (in memory) in a child process.\n\n${header}\n${table}\n\n` +
      `Ratios: parse+diff / bare parse ${fmt(ratios.parseDiffVsBare, 2)}x (our parse+validate alone ${fmt(ratios.ourParseVsBare, 2)}x); ` +
      `authority slice first ingest vs naive ${fmt(ratios.sliceFirstVsNaive, 2)}x, re-ingest vs naive ${fmt(ratios.sliceReingestVsNaive, 2)}x; ` +
      `whole country first ingest vs naive (extrapolated ${fmt(naiveCountrySeconds)} s) ${fmt(ratios.countryFirstVsNaive, 3)}x, re-ingest ${fmt(ratios.countryReingestVsNaive, 3)}x; ` +
      `writes, whole country first ingest / naive ${fmt(ratios.countryWritesVsNaive, 3)}x.\n\n` +
      `Targets: ${Object.entries(targets).map(([name, ok]) => `${ok ? 'PASS' : 'FAIL'} ${name}`).join('; ')}.\n`;
    process.stdout.write(`\n${markdown}`);
    await writeFile(join(benchDir, 'results.md'), markdown);
    await writeFile(join(benchDir, 'results.json'), JSON.stringify({ locations, totalRows, results, ratios, naiveCountrySeconds, targets }, null, 2));
    if (Object.values(targets).some((ok) => !ok)) process.exitCode = 1;
  } finally {
    child.stdin?.end();
    doc.destroy();
    client.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  (process.argv.includes('--dynalite-child') ? dynaliteChild() : main()).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}
