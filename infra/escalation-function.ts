/**
 * A Lambda function with the project's defaults: Node.js 22 on ARM64, X-Ray tracing, its own log
 * group with a retention, its own role with no managed policies (it may write to its log group
 * and nothing else until something is granted), an errors alarm, and esbuild bundling that needs
 * no Docker. `bindTable` and `bindSecret` grant access and set the environment variable in one
 * call, so a permission and the variable that uses it cannot drift apart.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcards } from './nag';
import { LOCK_FILE, PROJECT_ROOT, functionEntry, type FunctionSource } from './paths';

/** Node.js 22: what the handlers are written and tested for (Node 20 is being retired by AWS). */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_22_X;

/**
 * The bundles are ES modules, but some dependencies are CommonJS and call `require` for Node
 * built-ins; ESM has no `require`, so the banner gives each bundle one.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

export interface EscalationFunctionProps {
  /** The folder under `functions/` whose `handler.ts` exports `handler`. */
  readonly source: FunctionSource;
  /**
   * What the function is for, shown in the console.
   * @default - none
   */
  readonly description?: string;
  /**
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * How long its logs are kept.
   * @default logs.RetentionDays.SIX_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Environment variables besides those set by `bindTable` / `bindSecret`.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Retries of asynchronous invocations (S3 events, schedules) after a failure.
   * @default 2 (Lambda's own default)
   */
  readonly retryAttempts?: number;
  /**
   * Folders (their contents) or files copied next to the bundled code (path from the project root →
   * folder in the bundle),
   * e.g. the pages' stylesheets. @default none
   */
  readonly bundleFiles?: Readonly<Record<string, string>>;
}

/** esbuild only bundles code: static files the function reads at run time are copied after it. */
function copyIntoBundle(files: Readonly<Record<string, string>>) {
  const quote = (path: string) => `'${path.replace(/'/g, "'\\''")}'`;
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir: string, outputDir: string): string[] =>
      Object.entries(files).flatMap(([from, to]) => [
        `mkdir -p ${quote(`${outputDir}/${to}`)}`,
        // A folder's contents, or a single file, into the target folder.
        `if [ -d ${quote(`${inputDir}/${from}`)} ]; then cp -R ${quote(`${inputDir}/${from}`)}/. ${quote(`${outputDir}/${to}`)}; else cp ${quote(`${inputDir}/${from}`)} ${quote(`${outputDir}/${to}`)}; fi`,
      ]),
  };
}

export class EscalationFunction extends NodejsFunction {
  /** The function's log group, created here so its retention is ours to set. */
  public readonly functionLogGroup: logs.LogGroup;
  /** The function's role: logs only, plus what is granted to it. */
  public readonly executionRole: iam.Role;
  /** In alarm when the function reports any error in a five-minute period. */
  public readonly errorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: EscalationFunctionProps) {
    // Created beside the function (a subclass cannot create children before super()).
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.SIX_MONTHS,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${props.source} function`,
    });

    super(scope, id, {
      entry: functionEntry(props.source),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: LOCK_FILE,
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      retryAttempts: props.retryAttempts ?? 2,
      ...(props.description ? { description: props.description } : {}),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        // esbuild from node_modules, never Docker: synth works offline on any machine with `npm ci`.
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        // Bundle the AWS SDK v3 pinned in our lock file instead of using the runtime's copy: the
        // code then runs on exactly the SDK the tests and the local runtime ran it with, and a
        // runtime SDK update cannot change behaviour under us.
        bundleAwsSDK: true,
        externalModules: [],
        minify: true,
        // Minified names would scramble every error's name ("Tt" for NotFound): the HTTP API's
        // {"error": ...}, the Lambda's errorType and so the state machine's Retry/Catch and the
        // case's failure record all read `error.name` (DomainError sets it from new.target.name).
        keepNames: true,
        sourceMap: true,
        sourcesContent: false,
        ...(props.bundleFiles ? { commandHooks: copyIntoBundle(props.bundleFiles) } : {}),
      },
    });

    this.functionLogGroup = logGroup;
    this.executionRole = role;
    logGroup.grantWrite(role);
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'Only the X-Ray statement CDK adds for active tracing (xray:PutTraceSegments, xray:PutTelemetryRecords): ' +
        'X-Ray has no resource-level permissions. A test checks nothing else on this role uses Resource *.',
    );
    acknowledge(
      this,
      'AwsSolutions-L1',
      'Pinned to Node.js 22 on purpose: the handlers, their tests and the local runtime target Node 20/22 ' +
        '(package.json engines); moving to a newer runtime is a tested change, not an automatic one.',
    );

    this.errorsAlarm = new cloudwatch.Alarm(this, 'ErrorsAlarm', {
      alarmDescription: `The ${props.source} function reported errors`,
      metric: this.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Read and write items in the table (and query its indexes); sets TABLE_NAME. */
  public bindTable(table: dynamodb.ITableV2): this {
    table.grantReadWriteData(this);
    this.addEnvironment('TABLE_NAME', table.tableName);
    acknowledgeWildcards(
      this.executionRole,
      [`${table.tableArn}/index/*`],
      "Queries the table's own global secondary index (gsi1); index ARNs are <table ARN>/index/<name>, " +
        'and the pattern covers the indexes of this one table only.',
    );
    return this;
  }

  /** Read one secret's value; sets `variable` to the secret's ARN. */
  public bindSecret(secret: secretsmanager.ISecret, variable: string): this {
    secret.grantRead(this);
    this.addEnvironment(variable, secret.secretArn);
    return this;
  }
}
