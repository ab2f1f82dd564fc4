/**
 * `npm start`: the whole product on 127.0.0.1 with its data in a folder (default `.data/`).
 * Ports and the folder come from the environment; the first start loads a small demo.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { startRuntime, PROJECT_ROOT } from './runtime';
import { loadDemoIfEmpty } from './seed';
import { writeFileAtomic } from './clock';
import { clockTime } from '../functions/lib/dates';

const environment = z.object({
  DATA_DIR: z.string().default(join(PROJECT_ROOT, '.data')),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DYNAMODB_PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  STEPFUNCTIONS_PORT: z.coerce.number().int().min(0).max(65535).default(8083),
  SES_PORT: z.coerce.number().int().min(0).max(65535).default(8005),
  APP_CONFIG_FILE: z.string().optional(),
  NO_DEMO: z.enum(['0', '1', 'true', 'false']).optional(),
  /** Where the virtual clock starts on a fresh data folder, e.g. 2026-11-16T09:00:00Z (default: now). */
  CLOCK_START: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
  /** A cloud assembly (`npm run synth -- -o cdk.out`): run its Lambda bundles instead of the source. */
  LAMBDA_BUNDLES: z.string().min(1).optional(),
  /** When the memo CSV is published to <data folder>/memo/ each day (UK time, HH:MM), or `off`. */
  MEMO_PUBLISH_AT: z.union([clockTime, z.literal('off')]).default('07:00'),
});

async function main(): Promise<void> {
  const parsed = environment.safeParse(process.env);
  if (!parsed.success) {
    console.error(`Bad environment: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
    process.exit(2);
  }
  const env = parsed.data;
  const dataDir = resolve(env.DATA_DIR);
  const runtime = await startRuntime({
    dataDir,
    configPath: env.APP_CONFIG_FILE,
    clockStart: env.CLOCK_START ? new Date(env.CLOCK_START) : undefined,
    bundles: env.LAMBDA_BUNDLES ? resolve(env.LAMBDA_BUNDLES) : undefined,
    ...(env.MEMO_PUBLISH_AT === 'off' ? {} : { memoPublish: { dailyAt: env.MEMO_PUBLISH_AT } }),
    ports: { http: env.HTTP_PORT, dynamodb: env.DYNAMODB_PORT, stepfunctions: env.STEPFUNCTIONS_PORT, ses: env.SES_PORT },
  });
  const demo = env.NO_DEMO === '1' || env.NO_DEMO === 'true' ? undefined : await loadDemoIfEmpty(runtime);
  // The configuration it runs with, so `npm run ingest` uses the same one (and refuses another).
  const configFile = resolve(env.APP_CONFIG_FILE ?? join(PROJECT_ROOT, 'config', 'local.json'));
  const configSha256 = createHash('sha256').update(readFileSync(configFile)).digest('hex');
  writeFileAtomic(join(dataDir, 'runtime.json'), JSON.stringify({ endpoints: runtime.endpoints, pid: process.pid, configFile, configSha256 }, null, 2));
  const { endpoints } = runtime;
  const cases = await runtime.deps.store.listCases();
  console.log(`
Care quality escalation — running locally (no AWS account needed)

  Web pages         ${endpoints.http}/cases      (sign in: ${endpoints.http}/login?token=${runtime.adminToken})
  Mail sent         ${endpoints.http}/mail       (every email, with working links)
  HTTP API          ${endpoints.http}            (admin/Board: Authorization: Bearer ${runtime.adminToken})
  DynamoDB          ${endpoints.dynamodb}        (table CareQualityEscalation)
  Step Functions    ${endpoints.stepfunctions}   (state machine ${runtime.stateMachineArn})
  SES               ${endpoints.ses}        (every email as JSON: ${endpoints.http}/local/mail.json, with the admin token)

  Virtual clock     ${runtime.clock.now().toISOString()}   move it: npm run clock -- advance "6 months"
  Data folder       ${dataDir}
  Memo CSV          ${env.MEMO_PUBLISH_AT === 'off' ? 'not published on a schedule (MEMO_PUBLISH_AT=off)' : `published to ${join(dataDir, 'memo')} daily at ${env.MEMO_PUBLISH_AT}`}; now: npm run memo:publish
  Lambdas           ${runtime.lambdaCode === 'bundles' ? `the synthesized bundles in ${resolve(env.LAMBDA_BUNDLES ?? '')}` : 'from source'}
  ${demo ? `Demo loaded: ${demo.contracts} contracts, ${demo.rowsRead} rating rows; ${demo.casesOpened} cases opened; ${demo.neighbourLists} neighbours' lists.` : `${cases.length} cases on record.`}

Any AWS SDK or CLI works against these endpoints with region eu-west-2 and any credentials, e.g.
  aws --endpoint-url ${endpoints.stepfunctions} stepfunctions list-executions --state-machine-arn ${runtime.stateMachineArn}
Stop with Ctrl+C; everything is kept in the data folder.
`);
  const stop = async () => {
    await runtime.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
