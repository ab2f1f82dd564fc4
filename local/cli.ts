/**
 * Command line for the local product, talking to a running `npm start` through the same AWS APIs
 * any SDK would use (its endpoints are in <data folder>/runtime.json):
 *
 *   npm run clock -- show | advance "6 months" | advance 3d
 *   npm run ingest -- <file.csv|file.ods> [--sheet Locations|Providers]
 *   npm run audit:verify [-- --dynamodb http://127.0.0.1:8000]
 *   npm run import:contracts -- <register.csv|register.xlsx> [--apply]
 *   npm run import:tracker -- <tracker.csv|tracker.xlsx> [--apply]
 *
 * audit:verify also works with the product stopped: it then opens the data folder itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { loadConfigFile } from '../functions/lib/config';
import { Store } from '../functions/lib/store';
import { documentClient } from '../functions/lib/table';
import { verifyAllChains } from '../functions/http-api/app';
import { escalationPort } from '../functions/ladder/cases';
import type { LadderDeps } from '../functions/ladder/context';
import type { Clock } from '../functions/lib/clock';
import { runIngestCli } from '../functions/ingest/cli';
import { formatRegisterPlan, runCouncilCli } from '../functions/council/cli';
import { applyRegister, previewRegister } from '../functions/council/contracts-import';
import { applyTracker, formatTrackerPlan, previewTracker } from '../functions/council/tracker';
import { startDynamo } from './dynamo';
import { LOCAL_CREDENTIALS, LOCAL_REGION, STATE_MACHINE_NAME, TABLE_NAME, LOCAL_ACCOUNT } from './endpoints';
import { PROJECT_ROOT } from './paths';

const runtimeFileSchema = z.object({
  endpoints: z.object({ http: z.string(), dynamodb: z.string(), stepfunctions: z.string(), ses: z.string() }),
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

async function requireRunning(): Promise<{ endpoints: z.infer<typeof runtimeFileSchema>['endpoints']; token: string }> {
  const info = running();
  if (!info || !(await reachable(`${info.endpoints.http}/health`))) {
    throw new Error(`The product is not running for data folder ${dataDir}. Start it with: npm start`);
  }
  const { adminToken } = secretsSchema.parse(JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')));
  return { endpoints: info.endpoints, token: adminToken };
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

async function ingest(args: string[]): Promise<number> {
  const { endpoints } = await requireRunning();
  const client = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const config = loadConfigFile(process.env.APP_CONFIG_FILE ?? join(PROJECT_ROOT, 'config', 'local.json'));
  const store = new Store(documentClient({ ...client, endpoint: endpoints.dynamodb }), TABLE_NAME);
  const deps: LadderDeps = {
    store,
    config: { ...config, authority: { ...config.authority, baseUrl: endpoints.http } },
    clock: await remoteClock(endpoints.http),
    ses: new SESClient({ ...client, endpoint: endpoints.ses }),
    sfn: new SFNClient({ ...client, endpoint: endpoints.stepfunctions }),
    signingKey: Buffer.alloc(0),
    stateMachineArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${STATE_MACHINE_NAME}`,
  };
  return runIngestCli(args, { doc: store.doc, tableName: TABLE_NAME, config: deps.config, escalation: escalationPort(deps), clock: deps.clock });
}

/** The running product's records, configuration and clock, as the imports need them. */
async function productDeps(): Promise<LadderDeps> {
  const { endpoints } = await requireRunning();
  const client = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const config = loadConfigFile(process.env.APP_CONFIG_FILE ?? join(PROJECT_ROOT, 'config', 'local.json'));
  const store = new Store(documentClient({ ...client, endpoint: endpoints.dynamodb }), TABLE_NAME);
  const deps: LadderDeps = {
    store,
    config: { ...config, authority: { ...config.authority, baseUrl: endpoints.http } },
    clock: await remoteClock(endpoints.http),
    ses: new SESClient({ ...client, endpoint: endpoints.ses }),
    sfn: new SFNClient({ ...client, endpoint: endpoints.stepfunctions }),
    signingKey: Buffer.alloc(0),
    stateMachineArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${STATE_MACHINE_NAME}`,
  };
  return deps;
}

async function importContracts(args: string[]): Promise<number> {
  const deps = await productDeps();
  const actor = `command line (${process.env.USER ?? 'unknown user'})`;
  return runCouncilCli(
    args,
    {
      usage: 'usage: npm run import:contracts -- <register.csv|register.xlsx> [--apply]',
      preview: (body, fileName) => previewRegister(deps, body, fileName),
      apply: (body, fileName) => applyRegister(deps, body, fileName, actor),
      format: formatRegisterPlan,
    },
    { stdout: process.stdout, stderr: process.stderr },
  );
}

async function importTracker(args: string[]): Promise<number> {
  const deps = await productDeps();
  const actor = `command line (${process.env.USER ?? 'unknown user'})`;
  return runCouncilCli(
    args,
    {
      usage: 'usage: npm run import:tracker -- <tracker.csv|tracker.xlsx> [--apply]',
      preview: (body, fileName) => previewTracker(deps, body, fileName),
      apply: (body, fileName) => applyTracker(deps, body, fileName, actor),
      format: formatTrackerPlan,
    },
    { stdout: process.stdout, stderr: process.stderr },
  );
}

async function auditVerify(args: string[]): Promise<number> {
  const flag = args.indexOf('--dynamodb');
  let endpoint = flag >= 0 ? args[flag + 1] : undefined;
  let stopDynamo: (() => Promise<void>) | undefined;
  if (!endpoint) {
    const info = running();
    if (info && (await reachable(info.endpoints.dynamodb))) {
      endpoint = info.endpoints.dynamodb;
    } else {
      if (!existsSync(join(dataDir, 'dynamodb'))) throw new Error(`No data in ${dataDir}: nothing to verify`);
      const dynamo = await startDynamo({ path: join(dataDir, 'dynamodb') });
      endpoint = dynamo.endpoint;
      stopDynamo = () => dynamo.close();
    }
  }
  try {
    const store = new Store(documentClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint }), TABLE_NAME);
    const report = await verifyAllChains({ store });
    console.log(`Audit trail: ${report.cases} cases, ${report.events} events checked.`);
    if (report.ok) {
      console.log('Every chain is intact.');
      return 0;
    }
    console.log(`${report.breaks.length} break(s):`);
    for (const item of report.breaks) console.log(`  case ${item.caseId}, event seq ${item.seq}: ${item.reason}`);
    return 1;
  } finally {
    await stopDynamo?.();
  }
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
    default:
      console.error('usage: tsx local/cli.ts clock|ingest|audit-verify|import-contracts|import-tracker ...');
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
