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
import { loadConfigFile, type AppConfig } from '../functions/lib/config';
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
import { startSes, type LocalSes } from './ses';
import { LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION, STATE_MACHINE_NAME, TABLE_NAME } from './endpoints';
import { startHttpServer, type LocalHttp } from './http';
import { createAuditCheckpointHandler } from '../functions/audit-checkpoint/handler';
import { folderCheckpointStore, localCheckpointFolder, localCheckpointKey, memoryCheckpointStore } from '../functions/audit/checkpoint';
import type { AuditReport, CheckpointReason } from '../functions/audit/verify';

import { PROJECT_ROOT } from './paths';
export { PROJECT_ROOT };
export const WORKFLOW_STEP_ARN = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:workflow-step`;

export interface RuntimeOptions {
  /** Where everything is kept; omitted = in memory (tests). */
  dataDir?: string;
  ports?: { http?: number; dynamodb?: number; stepfunctions?: number; ses?: number };
  config?: AppConfig;
  configPath?: string;
  /** Where virtual time begins on a fresh data folder (tests pin it); default: the machine's now. */
  clockStart?: Date;
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
  /** The HTTP server: its endpoint and the request-body bytes it holds. */
  readonly http: LocalHttp;
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
  const config = options.config ?? loadConfigFile(options.configPath ?? join(PROJECT_ROOT, 'config', 'local.json'));
  const secrets = loadSecrets(dataDir);
  const clock = new VirtualClock({ offsetFile: dataDir ? join(dataDir, 'clock.json') : undefined, startAt: options.clockStart });

  const dynamo: LocalDynamo = await startDynamo({ path: dataDir ? join(dataDir, 'dynamodb') : undefined, port: options.ports?.dynamodb });
  await ensureTable(localDynamoClient(dynamo.endpoint), TABLE_NAME);
  const ses = await startSes({ mailFile: dataDir ? join(dataDir, 'mail.jsonl') : undefined, port: options.ports?.ses, clock });

  const lambdaFaults: LambdaFault[] = [];
  // The handler needs clients that need the engine: it is filled in once they exist.
  const lambdas: { workflowStep?: (event: unknown, context: Context) => Promise<unknown> } = {};
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
    signingKey: keyFromBase64(secrets.signingKey),
    stateMachineArn: '',
  };
  const definition = substitute(escalationDefinitionString(), { WorkflowStepFunctionArn: WORKFLOW_STEP_ARN });
  const stateMachineArn = engine.createStateMachine({ name: STATE_MACHINE_NAME, definition }).stateMachineArn;
  if (!stateMachineArn) throw new Error('The local engine did not register the state machine');
  deps.stateMachineArn = stateMachineArn;
  lambdas.workflowStep = createWorkflowStepHandler(async () => deps);

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

  const httpDeps: HttpDeps = { ...deps, authenticate: localAuthenticator(secrets.adminToken), pages: renderPage, ingestUpload: ingestUploadedRatings, auditCheckpoint };
  const httpHandler = createHttpHandler(async () => httpDeps);
  const http: LocalHttp = await startHttpServer({
    port: options.ports?.http,
    handler: (event) => httpHandler(event, lambdaContext('http-api')),
    local: { clock, engine, ses, adminToken: secrets.adminToken, deps: httpDeps },
  });
  // The base URL in links must be where this server really listens.
  deps.config = httpDeps.config = { ...config, authority: { ...config.authority, baseUrl: http.endpoint } };

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
  const started = await auditCheckpoint('start');
  if (!started.ok) console.warn(`Audit trail: ${started.breaks.length} break(s) and ${started.checkpointProblems.length} bad checkpoint(s) found; run npm run audit:verify`);

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
    http,
    idle: () => engine.whenIdle(),
    async close() {
      await http.close();
      await engine.close();
      await sfnServer.close();
      clock.close();
      await ses.close();
      await dynamo.close();
    },
  };
}
