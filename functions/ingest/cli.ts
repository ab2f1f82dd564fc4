/**
 * `npm run ingest -- <file> [--sheet Locations|Providers] [--dry-run | --apply [--cases …] [--resume …] [--concerns …]]`
 * and `npm run ingest -- --changes <since> [<until>]`: ingests a ratings file (or the CQC changes
 * feed) with a progress bar on stderr when it is a terminal (plain progress lines otherwise) and
 * prints a summary. The sheet is told by the file's header unless `--sheet` says it. The council's
 * first file (and any file with `--dry-run`) is a preview: what it would store, open, resume and
 * raise, with nothing written and no email sent; `--apply` applies it, all or chosen parts.
 * Returns the exit code: 0 done (or previewed), 1 failed, 2 usage, 3 missing column, 4 done but
 * some escalation calls failed (re-run to retry them), 5 nothing kept (every row rejected, or our
 * area spelt another way).
 */
import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AppConfig } from '../lib/config';
import type { Clock } from '../lib/clock';
import type { EscalationPort } from '../lib/escalation-port';
import { MissingColumn, type Sheet } from './columns';
import { openRatingsFile } from './files';
import { hasAppliedIngest, ingestRatings, type IngestPlan, type IngestProgress, type IngestSummary } from './ingest';
import { shorten } from './rows';
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

const USAGE = `usage: ingest <file.ods|file.csv> [--sheet Locations|Providers] [--dry-run]
       ingest <file> --apply [--cases all|none|<location id>,…] [--resume all|none|<location id>,…] [--concerns all|none|<provider id>,…]
       ingest --changes <since ISO timestamp> [<until ISO timestamp>]
The sheet is told by the file's header unless --sheet says it. The council's first file is shown as a
preview (nothing stored, no email sent) until --apply is given; --dry-run previews any file.`;

const number = (value: number) => value.toLocaleString('en-GB');

export function formatSummary(summary: IngestSummary & { api?: Record<string, number> }): string {
  const preview = summary.preview;
  const lines = [
    preview
      ? `Preview of the ${summary.sheet} sheet from ${summary.source} (${(summary.durationMs / 1000).toFixed(1)} s): NOTHING WAS STORED AND NO EMAIL WAS SENT`
      : `${summary.outcome === 'failed' ? 'FAILED: ' : ''}Ingested the ${summary.sheet} sheet from ${summary.source} in ${(summary.durationMs / 1000).toFixed(1)} s`,
  ];
  if (summary.format || summary.encoding) lines.push(`  read as              ${[summary.format, summary.encoding].filter(Boolean).join(', ')}`);
  lines.push(
    `  rows read            ${number(summary.rowsRead)}`,
    `  rows kept            ${number(summary.rowsKept)}`,
    `  rows out of scope    ${number(summary.rowsOutOfScope)}`,
    `  rows rejected        ${number(summary.rowsRejected)}`,
  );
  if (preview) {
    lines.push(
      `  items it would write ${number(preview.itemsToWrite)} (locations and providers new or changed)`,
      `  cases it would open  ${number(preview.casesToOpenCount)} (${number(preview.casesToOpen.filter((c) => c.stage === 'formal').length)} at the formal stage); ${number(preview.casesAlreadyOpen)} already open`,
      `  cases it would resume ${number(preview.casesToResumeCount)} (waiting on the next inspection)`,
      `  corporate concerns   ${number(preview.concernsToRaiseCount)} it would raise`,
    );
  } else {
    lines.push(
      `  locations changed    ${number(summary.locationsChanged)} (of ${number(summary.locationsSeen)} seen)`,
      `  providers changed    ${number(summary.providersChanged)}`,
      `  items written        ${number(summary.itemsWritten)}`,
      `  cases opened         ${number(summary.casesOpened)}`,
      `  cases resumed        ${number(summary.casesResumed)} (${number(summary.inspectionsDelivered)} inspections delivered)`,
      `  corporate concerns   ${number(summary.corporateConcerns)}`,
    );
    if (summary.leftOut) lines.push(`  left out by choice   ${number(summary.leftOut.cases)} cases not opened, ${number(summary.leftOut.resumes)} not resumed, ${number(summary.leftOut.concerns)} concerns not raised`);
  }
  if (summary.api) {
    for (const [name, value] of Object.entries(summary.api)) lines.push(`  api ${name.padEnd(16)} ${number(value)}`);
  }
  for (const note of summary.notes) lines.push(`Note: ${shorten(note, 400)}`);
  if (summary.outcome === 'failed') lines.push(`Why it failed: ${shorten(summary.failureReason ?? '', 600)}`);
  if (preview) {
    if (preview.casesToOpen.length) {
      lines.push(`Cases it would open${preview.casesToOpenCount > preview.casesToOpen.length ? ` (first ${preview.casesToOpen.length})` : ''}:`);
      for (const c of preview.casesToOpen) lines.push(`  ${c.locationId}  ${shorten(c.name, 60)}  ${c.stage}: ${shorten(c.trigger, 200)}`);
    }
    if (preview.casesToResume.length) {
      lines.push('Cases it would resume (a new rating for a case waiting on the next inspection):');
      for (const c of preview.casesToResume) lines.push(`  ${c.locationId}  ${shorten(c.name, 60)}  case ${c.caseId ?? '?'}: rated ${c.belowGood ? 'below Good' : 'Good or better'}`);
    }
    if (preview.concernsToRaise.length) {
      lines.push('Corporate concerns it would raise:');
      for (const c of preview.concernsToRaise) lines.push(`  ${c.providerId}  ${shorten(c.name, 60)}: ${c.locationIds.join(', ')}`);
    }
  }
  if (summary.rejections.length) {
    lines.push(`Rejected rows${summary.rejectionsTruncated || summary.rejections.length > 50 ? ` (first ${Math.min(50, summary.rejections.length)} of ${number(summary.rowsRejected)})` : ''}:`);
    for (const r of summary.rejections.slice(0, 50)) {
      lines.push(`  ${r.source ?? 'line'} ${r.line}: ${r.field} ${JSON.stringify(shorten(r.value))}: ${r.reason}`);
    }
  }
  if (summary.escalationFailures.length) {
    lines.push(`Escalation calls that failed (a re-run retries them):`);
    for (const f of summary.escalationFailures.slice(0, 50)) {
      lines.push(`  ${f.call} ${f.locationId ?? f.providerId ?? ''}: ${shorten(f.error, 300)}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** `all` (undefined: no limit), `none`, or a comma-separated list of ids. */
function choice(option: string, value: string | undefined): ReadonlySet<string> | undefined {
  if (value === undefined || value.startsWith('--')) throw new Error(`${option} needs all, none or a comma-separated list of ids`);
  if (value === 'all') return undefined;
  if (value === 'none') return new Set();
  return new Set(value.split(',').map((id) => id.trim()).filter(Boolean));
}

interface CliArgs {
  file?: string;
  sheet?: Sheet;
  changes?: [string, string | undefined];
  help: boolean;
  dryRun: boolean;
  apply: boolean;
  plan: IngestPlan;
}

function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { help: false, dryRun: false, apply: false, plan: {} };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const valueOf = () => (arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i]);
    if (arg === '--help' || arg === '-h') args.help = true;
    else if (arg === '--sheet' || arg.startsWith('--sheet=')) {
      const value = valueOf();
      const match = (['Locations', 'Providers'] as const).find((s) => s.toLowerCase() === value?.toLowerCase());
      if (!match) throw new Error(`--sheet must be Locations or Providers, not ${value ?? '(nothing)'}`);
      args.sheet = match;
    } else if (arg === '--dry-run' || arg === '--preview') args.dryRun = true;
    else if (arg === '--apply') args.apply = true;
    else if (/^--(cases|resume|concerns)(=|$)/.test(arg)) {
      const option = arg.split('=')[0] as string;
      const chosen = choice(option, valueOf());
      args.apply = true;
      if (option === '--cases') args.plan.openCases = chosen;
      else if (option === '--resume') args.plan.resumeCases = chosen;
      else args.plan.raiseConcerns = chosen;
    } else if (arg === '--changes') {
      const since = argv[++i];
      if (!since) throw new Error('--changes needs a start timestamp');
      const until = argv[i + 1] && !argv[i + 1]?.startsWith('--') ? argv[++i] : undefined;
      args.changes = [since, until];
    } else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else if (!args.file) args.file = arg;
    else throw new Error(`unexpected argument ${arg}`);
  }
  if (args.dryRun && args.apply) throw new Error('--dry-run previews; --apply (and --cases, --resume, --concerns) applies: give one or the other');
  return args;
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
      const first = !args.apply && !args.dryRun && !(await hasAppliedIngest(deps.doc, deps.tableName));
      const dryRun = args.dryRun || first;
      reporter = progressReporter(stderr, () => file.progress());
      summary = await ingestRatings({
        ...deps,
        rows: file,
        sheet: args.sheet,
        facts: file.facts,
        source: basename(file.path),
        progressEvery: 5_000,
        onProgress: (progress) => reporter?.update(progress),
        plan: dryRun ? { dryRun: true } : args.plan,
      });
      if (first && summary.outcome !== 'failed') {
        summary.notes.push(
          'This is the first ratings file for this council, so it was only previewed: cases it would open may already be on your own records. ' +
            'To apply it: run again with --apply (everything), or choose with --cases, --resume and --concerns (all, none, or a list of ids).',
        );
      }
    }
    reporter.stop();
    stdout.write(formatSummary(summary));
    if (summary.outcome === 'failed') return 5;
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
