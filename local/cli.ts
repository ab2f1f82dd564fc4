/**
 * Command line for the local product, talking to a running `npm start` through the same AWS APIs
 * any SDK would use (its endpoints are in <data folder>/runtime.json):
 *
 *   npm run clock -- show | advance "6 months" | advance 3d
 *   npm run ingest -- <file.csv|file.ods> [--sheet Locations|Providers]
 *   npm run audit:verify
 *   npm run import:contracts -- <register.csv|register.xlsx> [--apply]
 *   npm run import:tracker -- <tracker.csv|tracker.xlsx> [--apply]
 *   npm run import:neighbours -- --authority "Dorset Council" [--date 2026-11-20] <list.csv> [--apply]
 *   npm run memo:publish
 *   npm run memo:share -- --bucket <MemoBucketName> [--days 7] [--region eu-west-2]
 *
 * audit:verify also works with the product stopped: it then opens the data folder itself (its
 * table, checkpoint key and checkpoints) and writes the checkpoint itself.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { loadConfigFile } from '../functions/lib/config';
import { Store } from '../functions/lib/store';
import { documentClient } from '../functions/lib/table';
import { folderCheckpointStore, localCheckpointFolder, localCheckpointKey, runAuditCheckpoint } from '../functions/audit/checkpoint';
import { auditReportSchema, type AuditReport } from '../functions/audit/verify';
import { VirtualClock } from './clock';
import { escalationPort } from '../functions/ladder/cases';
import type { LadderDeps } from '../functions/ladder/context';
import type { Clock } from '../functions/lib/clock';
import { runIngestCli } from '../functions/ingest/cli';
import { formatNeighbourPlan, formatRegisterPlan, runCouncilCli } from '../functions/council/cli';
import { applyNeighbours, previewNeighbours } from '../functions/council/neighbours';
import { applyRegister, previewRegister } from '../functions/council/contracts-import';
import { applyTracker, formatTrackerPlan, previewTracker } from '../functions/council/tracker';
import { folderMemoStore, publishMemo } from '../functions/council/memo-publish';
import { memoShareUrl, parseMemoShareArgs } from './memo-share';
import { startDynamo } from './dynamo';
import { LOCAL_CREDENTIALS, LOCAL_REGION, STATE_MACHINE_NAME, TABLE_NAME, LOCAL_ACCOUNT } from './endpoints';
import { PROJECT_ROOT } from './paths';

const runtimeFileSchema = z.object({
  endpoints: z.object({ http: z.string(), dynamodb: z.string(), stepfunctions: z.string(), ses: z.string() }),
  /** The configuration the running product uses (and its SHA-256 when it started). */
  configFile: z.string().optional(),
  configSha256: z.string().optional(),
});
const secretsSchema = z.object({ adminToken: z.string() });

const dataDir = resolve(process.env.DATA_DIR ?? join(PROJECT_ROOT, '.data'));

function running(): z.infer<typeof runtimeFileSchema> | undefined {
  const file = join(dataDir, 'runtime.json');
  if (!existsSync(file)) return undefined;
  return runtimeFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

async function reachable(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

async function requireRunning(): Promise<{ endpoints: z.infer<typeof runtimeFileSchema>['endpoints']; token: string; info: z.infer<typeof runtimeFileSchema> }> {
  const info = running();
  if (!info || !(await reachable(`${info.endpoints.http}/health`))) {
    throw new Error(`The product is not running for data folder ${dataDir}. Start it with: npm start`);
  }
  const { adminToken } = secretsSchema.parse(JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')));
  return { endpoints: info.endpoints, token: adminToken, info };
}

async function clock(args: string[]): Promise<number> {
  const { endpoints, token } = await requireRunning();
  const [verb, ...rest] = args;
  const request =
    verb === 'advance'
      ? fetch(`${endpoints.http}/local/clock`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ by: rest.join(' ') }) })
      : verb === 'show' || verb === undefined
        ? fetch(`${endpoints.http}/local/clock`)
        : undefined;
  if (!request) {
    console.error('usage: npm run clock -- show | advance "<duration>"   (e.g. "6 months", "5d", "12h")');
    return 2;
  }
  const response = await request;
  const body = (await response.json()) as { now?: string; message?: string };
  if (!response.ok) {
    console.error(body.message ?? `The clock refused: ${response.status}`);
    return 1;
  }
  console.log(`Virtual time is now ${body.now}`);
  return 0;
}

/** The running product's clock, as the functions see it (real time plus the virtual offset). */
async function remoteClock(http: string): Promise<Clock> {
  const { offsetMs } = (await (await fetch(`${http}/local/clock`)).json()) as { offsetMs: number };
  return { now: () => new Date(Date.now() + offsetMs) };
}

/**
 * The running product's configuration (runtime.json names it): ingesting under another one would
 * keep another council's rows. A different APP_CONFIG_FILE, or the file changed since the product
 * started, is refused.
 */
function runningConfig(info: z.infer<typeof runtimeFileSchema>): string {
  if (!info.configFile) {
    throw new UsageError(`The running product does not say which configuration it uses (it was started by an older version). Restart it (npm start) and ingest again.`);
  }
  const asked = process.env.APP_CONFIG_FILE;
  if (asked && resolve(asked) !== info.configFile) {
    throw new UsageError(
      `APP_CONFIG_FILE is ${resolve(asked)}, but the running product uses ${info.configFile}. Ingesting under another configuration would keep another council's rows: unset APP_CONFIG_FILE (the CLI uses the product's), or restart the product with the configuration you mean.`,
    );
  }
  const now = createHash('sha256').update(readFileSync(info.configFile)).digest('hex');
  if (info.configSha256 && now !== info.configSha256) {
    throw new UsageError(`${info.configFile} has changed since the product started, so the CLI and the product would disagree. Restart the product (npm start) and ingest again.`);
  }
  return info.configFile;
}

class UsageError extends Error {}

/**
 * The running product's records, configuration (the one runtime.json names, checked by
 * `runningConfig`) and clock, as ingestion and the council imports need them.
 */
async function productDeps(): Promise<LadderDeps> {
  const { endpoints, info } = await requireRunning();
  const client = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const config = loadConfigFile(runningConfig(info));
  const store = new Store(documentClient({ ...client, endpoint: endpoints.dynamodb }), TABLE_NAME);
  return {
    store,
    config: { ...config, authority: { ...config.authority, baseUrl: endpoints.http } },
    clock: await remoteClock(endpoints.http),
    ses: new SESClient({ ...client, endpoint: endpoints.ses }),
    sfn: new SFNClient({ ...client, endpoint: endpoints.stepfunctions }),
    signingKey: Buffer.alloc(0),
    stateMachineArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${STATE_MACHINE_NAME}`,
  };
}

/** Runs a command against the running product; a configuration that does not match it is exit 2. */
async function withProduct(command: (deps: LadderDeps) => Promise<number>): Promise<number> {
  let deps: LadderDeps;
  try {
    deps = await productDeps();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(error.message);
    return 2;
  }
  return command(deps);
}

function ingest(args: string[]): Promise<number> {
  return withProduct((deps) => runIngestCli(args, { doc: deps.store.doc, tableName: TABLE_NAME, config: deps.config, escalation: escalationPort(deps), clock: deps.clock }));
}

const CLI_ACTOR = `command line (${process.env.USER ?? 'unknown user'})`;

function importContracts(args: string[]): Promise<number> {
  return withProduct((deps) =>
    runCouncilCli(
      args,
      {
        usage: 'usage: npm run import:contracts -- <register.csv|register.xlsx> [--apply]',
        preview: (body, fileName) => previewRegister(deps, body, fileName),
        apply: (body, fileName) => applyRegister(deps, body, fileName, CLI_ACTOR),
        format: formatRegisterPlan,
      },
      { stdout: process.stdout, stderr: process.stderr },
    ),
  );
}

function importTracker(args: string[]): Promise<number> {
  return withProduct((deps) =>
    runCouncilCli(
      args,
      {
        usage: 'usage: npm run import:tracker -- <tracker.csv|tracker.xlsx> [--apply]',
        preview: (body, fileName) => previewTracker(deps, body, fileName),
        apply: (body, fileName) => applyTracker(deps, body, fileName, CLI_ACTOR),
        format: formatTrackerPlan,
      },
      { stdout: process.stdout, stderr: process.stderr },
    ),
  );
}

function importNeighbours(args: string[]): Promise<number> {
  return withProduct((deps) =>
    runCouncilCli(
      args,
      {
        usage: 'usage: npm run import:neighbours -- --authority "Dorset Council" [--date YYYY-MM-DD] <list.csv|list.xlsx> [--apply]',
        options: ['authority', 'date'],
        preview: (body, fileName, options) => previewNeighbours(deps, body, fileName, { authority: options.authority, listDate: options.date }),
        apply: (body, fileName, options) => applyNeighbours(deps, body, fileName, CLI_ACTOR, { authority: options.authority, listDate: options.date }),
        format: formatNeighbourPlan,
      },
      { stdout: process.stdout, stderr: process.stderr },
    ),
  );
}

function printAuditReport(report: AuditReport): void {
  const against = report.checkpoint
    ? `against checkpoint #${report.checkpoint.number} of ${report.checkpoint.writtenAt} (${report.checkpoint.cases} cases; ${report.casesSinceCheckpoint} opened since)`
    : 'with no checkpoint yet (each chain checked on its own)';
  console.log(`Audit trail: ${report.cases} cases, ${report.events} events checked ${against}.`);
  for (const problem of report.checkpointProblems) console.log(`  bad checkpoint ${problem.name}: ${problem.problem}`);
  if (report.breaks.length === 0) console.log('Every chain is intact.');
  else {
    console.log(`${report.breaks.length} break(s):`);
    for (const item of report.breaks) console.log(`  case ${item.caseId}${item.seq === undefined ? '' : `, seq ${item.seq}`}: ${item.reason} — ${item.message}`);
  }
  if (report.written) console.log(`Checkpoint #${report.written.number} written (${report.written.cases} cases).`);
}

/**
 * Exit code 0: intact; 1: breaks or bad checkpoints found; 2: could not verify. Through the running
 * product when there is one (its checkpoint function writes the checkpoint), else straight from
 * the data folder: its table, its checkpoint key and its checkpoints.
 */
async function auditVerify(args: string[]): Promise<number> {
  if (args.length > 0) {
    console.error('usage: npm run audit:verify   (the data folder is DATA_DIR, default .data)');
    return 2;
  }
  let report: AuditReport;
  try {
    const info = running();
    if (info && (await reachable(`${info.endpoints.http}/health`))) {
      const { adminToken } = secretsSchema.parse(JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')));
      const response = await fetch(`${info.endpoints.http}/admin/audit/verify`, { headers: { authorization: `Bearer ${adminToken}` } });
      if (!response.ok) throw new Error(`The product refused the verify: HTTP ${response.status} ${await response.text()}`);
      report = auditReportSchema.parse(await response.json());
    } else {
      if (!existsSync(join(dataDir, 'dynamodb'))) throw new Error(`No data in ${dataDir}: nothing to verify`);
      const dynamo = await startDynamo({ path: join(dataDir, 'dynamodb') });
      const clock = new VirtualClock({ offsetFile: join(dataDir, 'clock.json') });
      try {
        const doc = documentClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: dynamo.endpoint });
        report = await runAuditCheckpoint({ doc, tableName: TABLE_NAME, key: localCheckpointKey(dataDir), store: folderCheckpointStore(localCheckpointFolder(dataDir)), clock }, 'verify');
      } finally {
        clock.close();
        await dynamo.close();
      }
    }
  } catch (error) {
    console.error(`Could not verify the audit trail: ${(error as Error).message}`);
    return 2;
  }
  printAuditReport(report);
  return report.ok ? 0 : 1;
}

/** Publishes the memo CSV now to <data folder>/memo/, as the daily schedule does. */
function memoPublishNow(args: string[]): Promise<number> {
  if (args.length > 0) {
    console.error('usage: npm run memo:publish   (writes <data folder>/memo/latest.csv and memo/<date>.csv)');
    return Promise.resolve(2);
  }
  return withProduct(async (deps) => {
    const publication = await publishMemo(deps, folderMemoStore(dataDir));
    console.log(`Memo of ${publication.listDate} published: ${publication.rows} service(s), ${publication.bytes} bytes.`);
    for (const place of publication.written) console.log(`  ${place}`);
    return 0;
  });
}

/** Prints a presigned link to memo/latest.csv in the memo bucket on AWS (SigV4: at most 7 days). */
async function memoShare(args: string[]): Promise<number> {
  const parsed = parseMemoShareArgs(args);
  if ('error' in parsed) {
    console.error(parsed.error);
    console.error('usage: npm run memo:share -- --bucket <MemoBucketName output> [--days 1-7] [--region eu-west-2]');
    return 2;
  }
  const link = await memoShareUrl(parsed);
  console.log(link.url);
  console.error(`Valid until ${link.expiresAt.toISOString()} (${parsed.days} day(s)), or until the credentials that signed it expire: sign with long-term credentials.`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'clock':
      return clock(args);
    case 'ingest':
      return ingest(args);
    case 'audit-verify':
      return auditVerify(args);
    case 'import-contracts':
      return importContracts(args);
    case 'import-tracker':
      return importTracker(args);
    case 'import-neighbours':
      return importNeighbours(args);
    case 'memo-publish':
      return memoPublishNow(args);
    case 'memo-share':
      return memoShare(args);
    default:
      console.error('usage: tsx local/cli.ts clock|ingest|audit-verify|import-contracts|import-tracker|import-neighbours|memo-publish|memo-share ...');
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
