/**
 * The whole product on one machine: DynamoDB (dynalite), SES (aws-ses-v2-local), the state
 * machine run by the local engine from the very definition CDK deploys, the Lambda handlers
 * invoked as Step Functions and API Gateway would invoke them, and the HTTP API — all on
 * 127.0.0.1, with a virtual clock. Used by `npm start` and by every test.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { localAuthenticator } from './auth';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { configFromEnvironment, loadConfigFile, type AppConfig } from '../functions/lib/config';
import { documentClient } from '../functions/lib/table';
import { Store } from '../functions/lib/store';
import { generateKey, keyFromBase64 } from '../functions/lib/links';
import type { LadderDeps } from '../functions/ladder/context';
import type { HttpDeps } from '../functions/http-api/app';
import { createWorkflowStepHandler } from '../functions/workflow-step/handler';
import { createHttpHandler } from '../functions/http-api/handler';
import { renderPage } from '../functions/web/pages';
import { escalationPort, resumeStalledCases } from '../functions/ladder/cases';
import { recoverInterruptedIngests } from '../functions/ladder/ingest-recovery';
import { ingestUploadedRatings } from '../functions/ladder/ingest-upload';
import { escalationDefinitionString, substitute } from '../workflows/escalation';
import { VirtualClock, writeFileAtomic } from './clock';
import { LocalStepFunctions } from './sfn/engine';
import { startSfnServer } from './sfn/server';
import { ensureTable, localDynamoClient, startDynamo, type LocalDynamo } from './dynamo';
import { startSes, type LocalSes, type MailSimulator, type SesEventRecord } from './ses';
import { createMailEventsHandler } from '../functions/mail-events/handler';
import { LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION, STATE_MACHINE_NAME, TABLE_NAME } from './endpoints';
import { startHttpServer, type LocalHttp } from './http';
import { createAuditCheckpointHandler } from '../functions/audit-checkpoint/handler';
import { folderCheckpointStore, localCheckpointFolder, localCheckpointKey, memoryCheckpointStore } from '../functions/audit/checkpoint';
import type { AuditReport, CheckpointReason } from '../functions/audit/verify';
import { BundledFunction, localEnvironment, readCloudAssembly, type BundledFunctionName, type BundledFunctionSpec } from './bundles';
import { startSecretsManager } from './secrets';
import { startLocalS3 } from './s3';
import { folderMemoStore, memoPublicationSchema, type MemoPublication } from '../functions/council/memo-publish';
import { createMemoPublishHandler } from '../functions/memo-publish/handler';
import { folderEvidenceStore, memoryEvidenceStore } from '../functions/ladder/evidence-store';
import { nextDailyRun, startDailySweep } from './daily';

import { PROJECT_ROOT } from './paths';
export { PROJECT_ROOT };
export const WORKFLOW_STEP_ARN = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:workflow-step`;
const SIGNING_KEY_SECRET_ARN = `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:LinkSigningKey-local`;
const CQC_KEY_SECRET_ARN = `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:CqcApiKey-local`;
/** The memo bucket on the local S3 stand-in (bundles only): the memo folder. */
const MEMO_BUCKET = 'memo-local';

/** What a bundled http-api answers: API Gateway's structured result (payload 2.0). */
const httpResultSchema = z.object({
  statusCode: z.number().int(),
  headers: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  cookies: z.array(z.string()).optional(),
});

/** The configuration the template gives the workflow-step function, with SENDER and CONFIGURATION_SET applied as lambdaDeps does. */
function bundledConfig(assembly: Map<BundledFunctionName, BundledFunctionSpec>): AppConfig {
  const spec = assembly.get('workflow-step');
  if (!spec) throw new Error('The cloud assembly has no workflow-step function');
  const config = configFromEnvironment({ APP_CONFIG: String(spec.environment.APP_CONFIG ?? '') });
  const text = (name: string) => (typeof spec.environment[name] === 'string' ? (spec.environment[name] as string) : undefined);
  return { ...config, mail: { ...config.mail, sender: text('SENDER') ?? config.mail.sender, configurationSet: text('CONFIGURATION_SET') ?? config.mail.configurationSet } };
}

/** What Lambda receives from the SNS topic SES publishes a configuration set's events to. */
function snsEnvelope(record: SesEventRecord, at: Date): unknown {
  const topicArn = `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:mail-events`;
  const messageId = randomBytes(16).toString('hex');
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:local`,
        Sns: {
          Type: 'Notification',
          MessageId: messageId,
          TopicArn: topicArn,
          Subject: null,
          Message: JSON.stringify(record),
          Timestamp: at.toISOString(),
          SignatureVersion: '1',
          Signature: 'local',
          SigningCertUrl: 'https://sns.eu-west-2.amazonaws.com/local.pem',
          UnsubscribeUrl: `https://sns.eu-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:local`,
          MessageAttributes: {},
        },
      },
    ],
  };
}

function withBaseUrl(appConfigJson: string, baseUrl: string): string {
  const config = JSON.parse(appConfigJson) as { authority: Record<string, unknown> };
  return JSON.stringify({ ...config, authority: { ...config.authority, baseUrl } });
}

export interface RuntimeOptions {
  /** Where everything is kept; omitted = in memory (tests). */
  dataDir?: string;
  ports?: { http?: number; dynamodb?: number; stepfunctions?: number; ses?: number };
  config?: AppConfig;
  configPath?: string;
  /** Where virtual time begins on a fresh data folder (tests pin it); default: the machine's now. */
  clockStart?: Date;
  /**
   * A cloud assembly (`cdk synth -o <dir>`): run the Lambda bundles it holds, each in its own
   * worker with the environment the template gives it, instead of the handlers' source. The
   * configuration is then the one synthesized into the template (APP_CONFIG), as on AWS.
   */
  bundles?: string;
  /** Addresses the SES stand-in bounces or complains about (SES's simulator addresses always do). */
  mailSimulator?: MailSimulator;
  /**
   * The memo CSV's publish (on AWS: the memo-publish function, daily): `folder` gets `memo/latest.csv`
   * and `memo/YYYY-MM-DD.csv` (default: the data folder); `dailyAt` (HH:MM, UK time) publishes on
   * the virtual clock every day at that time. Without it, only `publishMemo()` publishes.
   */
  memoPublish?: { folder?: string; dailyAt?: string };
}

/** Faults a test can inject where AWS would produce them: in the Lambda service. */
export interface LambdaFault {
  action: string;
  error: string;
  message?: string;
  times: number;
}

export interface Runtime {
  readonly endpoints: { http: string; dynamodb: string; stepfunctions: string; ses: string; sesInbox: string };
  readonly adminToken: string;
  readonly config: AppConfig;
  readonly clock: VirtualClock;
  readonly engine: LocalStepFunctions;
  readonly deps: LadderDeps;
  readonly ses: LocalSes;
  readonly stateMachineArn: string;
  readonly lambdaFaults: LambdaFault[];
  /** Verifies the audit trail against the newest checkpoint and writes the next one. */
  auditCheckpoint(reason: CheckpointReason): Promise<AuditReport>;
  /** Publishes the memo CSV now (the memo-publish function, from source) to the memo folder. */
  publishMemo(): Promise<MemoPublication>;
  /** The HTTP server: its endpoint and the request-body bytes it holds. */
  readonly http: LocalHttp;
  /** What runs the Lambdas: their source, or the bundles of a cloud assembly. */
  readonly lambdaCode: 'source' | 'bundles';
  /** Resolves once every execution is waiting (on a person, a token or a timer). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

interface LocalSecrets {
  adminToken: string;
  signingKey: string;
}

function loadSecrets(dataDir: string | undefined): LocalSecrets {
  const file = dataDir ? join(dataDir, 'secrets.json') : undefined;
  if (file && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
  const secrets = { adminToken: randomBytes(18).toString('base64url'), signingKey: generateKey().toString('base64url') };
  if (file) writeFileAtomic(file, JSON.stringify(secrets, null, 2));
  return secrets;
}

function lambdaContext(functionName: string): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomBytes(16).toString('hex'),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, 60_000 - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}


export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const { dataDir } = options;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // The pages link to the mail sink only where there is one.
  process.env.MAIL_SINK_PAGE = '/mail';
  const assembly = options.bundles ? readCloudAssembly(options.bundles) : undefined;
  const config = options.config ?? (assembly ? bundledConfig(assembly) : loadConfigFile(options.configPath ?? join(PROJECT_ROOT, 'config', 'local.json')));
  const secrets = loadSecrets(dataDir);
  // The bundles read the link-signing key from Secrets Manager and use the secret's text as the
  // key (functions/lib/aws-deps.ts): here the text is the local key, so both sign alike.
  const signingKey = assembly ? Buffer.from(secrets.signingKey, 'utf8') : keyFromBase64(secrets.signingKey);
  const secretsManager = assembly ? await startSecretsManager({ [SIGNING_KEY_SECRET_ARN]: secrets.signingKey, [CQC_KEY_SECRET_ARN]: 'local-cqc-key' }) : undefined;
  // The memo bucket for the memo-publish bundle: the memo folder (source mode writes it directly).
  const memoFolder = options.memoPublish?.folder ?? dataDir;
  const s3 = assembly ? await startLocalS3(memoFolder ? { [MEMO_BUCKET]: memoFolder } : {}) : undefined;
  const clock = new VirtualClock({ offsetFile: dataDir ? join(dataDir, 'clock.json') : undefined, startAt: options.clockStart });

  const dynamo: LocalDynamo = await startDynamo({ path: dataDir ? join(dataDir, 'dynamodb') : undefined, port: options.ports?.dynamodb });
  await ensureTable(localDynamoClient(dynamo.endpoint), TABLE_NAME);
  // Bounces and complaints reach the mail-events function as SNS delivers them (the configuration
  // set's event destination), a moment after the send; idle() waits for them.
  const mailEvents = new Set<Promise<void>>();
  const lambdas: { workflowStep?: (event: unknown, context: Context) => Promise<unknown>; mailEvents?: (event: unknown, context: Context) => Promise<unknown> } = {};
  const deliverMailEvent = (record: SesEventRecord) => {
    const event = snsEnvelope(record, clock.now());
    const delivery = (async () => {
      try {
        // SES reports once the receiving server has answered: after the step that sent it is done.
        await engine.whenIdle();
        if (bundled.has('mail-events')) await bundled.get('mail-events')!.invoke(event);
        else await lambdas.mailEvents?.(event, lambdaContext('mail-events'));
      } catch (error) {
        console.error('mail-events failed', error);
      }
    })();
    mailEvents.add(delivery);
    void delivery.finally(() => mailEvents.delete(delivery));
  };
  const ses = await startSes({ mailFile: dataDir ? join(dataDir, 'mail.jsonl') : undefined, port: options.ports?.ses, clock, simulator: options.mailSimulator, onEvent: deliverMailEvent });

  const lambdaFaults: LambdaFault[] = [];
  const bundled = new Map<BundledFunctionName, BundledFunction>();
  // The handlers need clients that need the engine: they are filled in once they exist.
  const engine = new LocalStepFunctions({
    clock,
    dataDir: dataDir ? join(dataDir, 'stepfunctions') : undefined,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT,
    invokeLambda: async (functionName, payload) => {
      if (functionName !== WORKFLOW_STEP_ARN && !functionName.endsWith(':workflow-step')) {
        throw Object.assign(new Error(`Function not found: ${functionName}`), { name: 'Lambda.ResourceNotFoundException' });
      }
      const action = (payload as { action?: string }).action;
      const fault = lambdaFaults.find((item) => item.action === action && item.times > 0);
      if (fault) {
        fault.times -= 1;
        throw Object.assign(new Error(fault.message ?? `Injected ${fault.error}`), { name: fault.error });
      }
      if (bundled.has('workflow-step')) return bundled.get('workflow-step')!.invoke(payload);
      if (!lambdas.workflowStep) throw Object.assign(new Error('Runtime still starting'), { name: 'Lambda.ServiceException' });
      return lambdas.workflowStep(payload, lambdaContext('workflow-step'));
    },
  });
  const sfnServer = await startSfnServer(engine, { host: '127.0.0.1', port: options.ports?.stepfunctions });

  const clientConfig = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const sfnClient = new SFNClient({ ...clientConfig, endpoint: sfnServer.endpoint });
  const deps: LadderDeps = {
    store: new Store(documentClient({ ...clientConfig, endpoint: dynamo.endpoint }), TABLE_NAME),
    config,
    clock,
    ses: new SESClient({ ...clientConfig, endpoint: ses.endpoint }),
    sfn: sfnClient,
    signingKey,
    stateMachineArn: '',
  };
  const definition = substitute(escalationDefinitionString(), { WorkflowStepFunctionArn: WORKFLOW_STEP_ARN });
  const stateMachineArn = engine.createStateMachine({ name: STATE_MACHINE_NAME, definition }).stateMachineArn;
  if (!stateMachineArn) throw new Error('The local engine did not register the state machine');
  deps.stateMachineArn = stateMachineArn;
  lambdas.workflowStep = createWorkflowStepHandler(async () => deps);
  lambdas.mailEvents = createMailEventsHandler(async () => deps);

  // The audit checkpoint function, with its own key (a file apart from secrets.json) and its own
  // store (one read-only file per checkpoint); the HTTP API only invokes it, as on AWS.
  const checkpointDeps = {
    doc: deps.store.doc,
    tableName: TABLE_NAME,
    key: localCheckpointKey(dataDir),
    store: dataDir ? folderCheckpointStore(localCheckpointFolder(dataDir)) : memoryCheckpointStore(),
    clock,
  };
  const checkpointHandler = createAuditCheckpointHandler(async () => checkpointDeps);
  const auditCheckpoint = (reason: CheckpointReason) => checkpointHandler({ source: reason }, lambdaContext('audit-checkpoint'));

  const evidence = dataDir ? folderEvidenceStore(join(dataDir, 'evidence')) : memoryEvidenceStore();
  // The memo publish function: the bundle with the S3 stand-in, or the source writing the folder itself.
  // A scheduled run reads the time it was scheduled for, as on AWS however late the work starts.
  const memoPublishNow = async (source: 'schedule' | 'request', at?: Date): Promise<MemoPublication> =>
    bundled.has('memo-publish')
      ? memoPublicationSchema.parse(await bundled.get('memo-publish')!.invoke({ source }))
      : createMemoPublishHandler(async () => {
          if (!memoFolder) throw new Error('The memo is published to a folder: start with a data folder (DATA_DIR) or memoPublish.folder');
          return { store: deps.store, config: deps.config, clock: at ? { now: () => at } : clock, objects: folderMemoStore(memoFolder) };
        })({ source }, lambdaContext('memo-publish'));
  const memoRuns = new Set<Promise<unknown>>();
  let memoTimer: { cancel(): void } | undefined;
  const armMemoPublish = (at: string) => {
    const next = nextDailyRun(clock.now(), at);
    memoTimer = clock.setTimer(next, () => {
      armMemoPublish(at);
      const run = memoPublishNow('schedule', next).catch((error: unknown) => console.error('memo publish failed', error));
      memoRuns.add(run);
      void run.finally(() => memoRuns.delete(run));
    });
  };

  const httpDeps: HttpDeps = { ...deps, authenticate: localAuthenticator(secrets.adminToken), pages: renderPage, ingestUpload: ingestUploadedRatings, auditCheckpoint, evidence };
  const httpHandler = createHttpHandler(async () => httpDeps);
  const http: LocalHttp = await startHttpServer({
    port: options.ports?.http,
    handler: async (event) =>
      bundled.has('http-api') ? httpResultSchema.parse(await bundled.get('http-api')!.invoke(event)) : httpHandler(event, lambdaContext('http-api')),
    local: { clock, engine, ses, adminToken: secrets.adminToken, deps: httpDeps },
  });
  // The base URL in links must be where this server really listens.
  deps.config = httpDeps.config = { ...config, authority: { ...config.authority, baseUrl: http.endpoint } };
  if (assembly) {
    // What CloudFormation would resolve (names, ARNs), the local endpoints, and the base URL the
    // deployer sets in the configuration once the API's address is known.
    const local = { TABLE_NAME, STATE_MACHINE_ARN: stateMachineArn, SIGNING_KEY_SECRET_ARN, CQC_KEY_SECRET_ARN, MEMO_BUCKET };
    const aws = {
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SFN: sfnServer.endpoint,
      AWS_ENDPOINT_URL_SES: ses.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager!.endpoint,
      AWS_ENDPOINT_URL_S3: s3!.endpoint,
    };
    for (const spec of assembly.values()) {
      const appConfig = spec.environment.APP_CONFIG;
      const overrides: Record<string, string> = typeof appConfig === 'string' ? { APP_CONFIG: withBaseUrl(appConfig, http.endpoint) } : {};
      // There is no S3 and no Lambda Invoke API here: the bundles' uploads, the ratings bucket and
      // the checkpoint function are left out (the admin upload and the bundled verify then answer
      // "not available here"); ingestion and the audit checkpoint are tested from source. The
      // evidence bucket is left out too: the bundled http-api then refuses a provider's files (a
      // written response still goes), and evidence files are tested from source.
      const environment = localEnvironment(spec, local, overrides, ['RATINGS_BUCKET', 'UPLOAD_PREFIX', 'AUDIT_CHECKPOINT_FUNCTION', 'CHECKPOINT_BUCKET', 'CHECKPOINT_KEY_SECRET_ARN', 'EVIDENCE_BUCKET']);
      bundled.set(spec.name, new BundledFunction(spec, { ...aws, ...environment }, () => clock.offsetMs()));
    }
  }

  // What a crash left half done is finished now, before anyone is let in: recorded decisions that
  // never reached the workflow are sent (once), executions the engine could not bring back are
  // started again from the cases' records (never a second one for a case), and ingest runs that
  // died midway are marked interrupted and their locations' owed ladder calls made. Every run
  // belongs to this process's predecessor, so none is still alive (lease 0).
  await engine.whenIdle();
  await resumeStalledCases(deps);
  await engine.whenIdle();
  await recoverInterruptedIngests(deps, escalationPort(deps), { leaseMs: 0 });
  await engine.whenIdle();
  // A checkpoint on every start (on AWS: on a schedule), after verifying against the last one.
  // The daily jobs (on AWS: EventBridge Scheduler), on the virtual clock: each day at 07:00 UK time.
  const daily = startDailySweep(clock, deps);
  const started = await auditCheckpoint('start');
  if (!started.ok) console.warn(`Audit trail: ${started.breaks.length} break(s) and ${started.checkpointProblems.length} bad checkpoint(s) found; run npm run audit:verify`);
  if (options.memoPublish?.dailyAt) armMemoPublish(options.memoPublish.dailyAt);

  return {
    endpoints: { http: http.endpoint, dynamodb: dynamo.endpoint, stepfunctions: sfnServer.endpoint, ses: ses.endpoint, sesInbox: ses.inboxEndpoint },
    adminToken: secrets.adminToken,
    get config() {
      return deps.config;
    },
    clock,
    engine,
    deps,
    ses,
    stateMachineArn,
    lambdaFaults,
    auditCheckpoint,
    publishMemo: () => memoPublishNow('request'),
    http,
    lambdaCode: assembly ? 'bundles' : 'source',
    async idle() {
      await engine.whenIdle();
      await daily.idle();
      // A bounce reported while the workflow ran may send a notice, and so on: until all is quiet.
      while (mailEvents.size > 0) {
        await Promise.all([...mailEvents]);
        await engine.whenIdle();
      }
      await Promise.all([...memoRuns]);
    },
    async close() {
      memoTimer?.cancel();
      await Promise.all([...memoRuns]);
      daily.stop();
      await http.close();
      await engine.close();
      await Promise.all([...bundled.values()].map((fn) => fn.close()));
      await secretsManager?.close();
      await s3?.close();
      await sfnServer.close();
      clock.close();
      await ses.close();
      await dynamo.close();
    },
  };
}
