/**
 * `npm run ingest -- <file> [--sheet Locations|Providers]` and
 * `npm run ingest -- --changes <since> [<until>]`: ingests a ratings file (or the CQC changes feed)
 * with a progress bar on stderr when it is a terminal (plain progress lines otherwise) and prints
 * a summary. Returns the exit code: 0 done, 1 failed, 2 usage, 3 missing column, 4 done but some
 * escalation calls failed (re-run to retry them).
 */
import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AppConfig } from '../lib/config';
import type { Clock } from '../lib/clock';
import type { EscalationPort } from '../lib/escalation-port';
import { MissingColumn, type Sheet } from './columns';
import { openRatingsFile } from './files';
import { ingestRatings, type IngestProgress, type IngestSummary } from './ingest';
import { cqcClientFromConfig, type CqcClient } from '../cqc/client';
import { ingestChanges } from '../cqc/changes';

export interface IngestCliDeps {
  doc: DynamoDBDocumentClient;
  tableName: string;
  config: AppConfig;
  escalation: EscalationPort;
  clock: Clock;
  /** For `--changes`; built from `config.cqcApi` when absent. */
  cqc?: CqcClient;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

const USAGE = `usage: ingest <file.ods|file.csv> [--sheet Locations|Providers]
       ingest --changes <since ISO timestamp> [<until ISO timestamp>]`;

const number = (value: number) => value.toLocaleString('en-GB');

export function formatSummary(summary: IngestSummary & { api?: Record<string, number> }): string {
  const lines = [
    `Ingested ${summary.sheet} from ${summary.source} in ${(summary.durationMs / 1000).toFixed(1)} s`,
    `  rows read            ${number(summary.rowsRead)}`,
    `  rows kept            ${number(summary.rowsKept)}`,
    `  rows out of scope    ${number(summary.rowsOutOfScope)}`,
    `  rows rejected        ${number(summary.rowsRejected)}`,
    `  locations changed    ${number(summary.locationsChanged)} (of ${number(summary.locationsSeen)} seen)`,
    `  providers changed    ${number(summary.providersChanged)}`,
    `  items written        ${number(summary.itemsWritten)}`,
    `  cases opened         ${number(summary.casesOpened)}`,
    `  cases resumed        ${number(summary.casesResumed)} (${number(summary.inspectionsDelivered)} inspections delivered)`,
    `  corporate concerns   ${number(summary.corporateConcerns)}`,
  ];
  if (summary.api) {
    for (const [name, value] of Object.entries(summary.api)) lines.push(`  api ${name.padEnd(16)} ${number(value)}`);
  }
  if (summary.rejections.length) {
    lines.push(`Rejected rows${summary.rejectionsTruncated ? ` (first ${summary.rejections.length})` : ''}:`);
    for (const r of summary.rejections.slice(0, 50)) {
      lines.push(`  ${r.source ?? 'line'} ${r.line}: ${r.field} ${JSON.stringify(r.value)}: ${r.reason}`);
    }
  }
  if (summary.escalationFailures.length) {
    lines.push(`Escalation calls that failed (a re-run retries them):`);
    for (const f of summary.escalationFailures.slice(0, 50)) {
      lines.push(`  ${f.call} ${f.locationId ?? f.providerId ?? ''}: ${f.error}`);
    }
  }
  return lines.join('\n') + '\n';
}

function parseArgs(argv: string[]): { file?: string; sheet: Sheet; changes?: [string, string | undefined]; help: boolean } {
  let sheet: Sheet = 'Locations';
  let file: string | undefined;
  let changes: [string, string | undefined] | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--sheet' || arg.startsWith('--sheet=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      const match = (['Locations', 'Providers'] as const).find((s) => s.toLowerCase() === value?.toLowerCase());
      if (!match) throw new Error(`--sheet must be Locations or Providers, not ${value ?? '(nothing)'}`);
      sheet = match;
    } else if (arg === '--changes') {
      const since = argv[++i];
      if (!since) throw new Error('--changes needs a start timestamp');
      const until = argv[i + 1] && !argv[i + 1]?.startsWith('--') ? argv[++i] : undefined;
      changes = [since, until];
    } else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else if (!file) file = arg;
    else throw new Error(`unexpected argument ${arg}`);
  }
  return { file, sheet, changes, help };
}

/** Progress on stderr: a bar on a terminal, a plain line every few seconds otherwise. */
function progressReporter(stderr: NodeJS.WritableStream & { isTTY?: boolean }, total: () => { done: number; total: number }) {
  if (stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: stderr as NodeJS.WritableStream,
        format: ' {bar} {percentage}% | {rows} rows, {kept} kept, {rejected} rejected, {written} written | {duration_formatted}',
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(progress: IngestProgress) {
        const { done, total: all } = total();
        const payload = { rows: number(progress.rowsRead), kept: number(progress.rowsKept), rejected: number(progress.rowsRejected), written: number(progress.itemsWritten) };
        if (!started) {
          bar.start(Math.max(1, all), 0, payload);
          started = true;
        }
        bar.setTotal(Math.max(1, all));
        bar.update(progress.phase === 'reading' ? Math.min(done, all) : all, payload);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = 0;
  return {
    update(progress: IngestProgress) {
      const now = Date.now();
      if (progress.phase === 'reading' && now - last < 5_000) return;
      last = now;
      const { done, total: all } = total();
      const percent = all > 0 ? ` (${Math.min(100, Math.round((done / all) * 100))}%)` : '';
      stderr.write(
        `ingest: ${progress.phase}${progress.phase === 'reading' ? percent : ''}: ${number(progress.rowsRead)} rows read, ` +
          `${number(progress.rowsKept)} kept, ${number(progress.rowsRejected)} rejected, ${number(progress.itemsWritten)} items written\n`,
      );
    },
    stop() {},
  };
}

export async function runIngestCli(argv: string[], deps: IngestCliDeps): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (error) {
    stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!args.file && !args.changes) {
    stderr.write(`${USAGE}\n`);
    return 2;
  }
  let reporter: ReturnType<typeof progressReporter> | undefined;
  try {
    let summary: IngestSummary & { api?: Record<string, number> };
    if (args.changes) {
      const client = deps.cqc ?? cqcClientFromConfig(deps.config);
      const [since, until] = args.changes;
      reporter = progressReporter(stderr, () => ({ done: 0, total: 0 }));
      summary = await ingestChanges({
        ...deps,
        client,
        since,
        until: until ?? deps.clock.now().toISOString(),
        onProgress: (progress) => reporter?.update(progress),
      });
    } else {
      const file = await openRatingsFile(args.file as string, args.sheet);
      reporter = progressReporter(stderr, () => file.progress());
      summary = await ingestRatings({
        ...deps,
        rows: file,
        sheet: args.sheet,
        source: basename(file.path),
        progressEvery: 5_000,
        onProgress: (progress) => reporter?.update(progress),
      });
    }
    reporter.stop();
    stdout.write(formatSummary(summary));
    return summary.escalationFailures.length > 0 ? 4 : 0;
  } catch (error) {
    reporter?.stop();
    if (error instanceof MissingColumn) {
      stderr.write(`${error.message}\n`);
      return 3;
    }
    stderr.write(`ingest failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
