/**
 * Our Managed Placements Memo published for neighbouring authorities (functions/memo-publish): a
 * function run daily by EventBridge Scheduler writes `memo/latest.csv` and `memo/YYYY-MM-DD.csv` to
 * a private bucket (encrypted, public access blocked, TLS only, versioned; old versions expire).
 * The function reads the table (Query, GetItem, BatchGetItem: never a write) and may put objects
 * under `memo/` only.
 *
 * Sharing: the council lists the neighbours' AWS account ids (`memoShareAccounts`); the bucket
 * policy then lets those accounts GetObject under `memo/` (and nothing else). Without accounts the
 * bucket is shared by presigned links an officer makes with `npm run memo:share` (README).
 *
 * | context key         | meaning                                                         | default |
 * |---------------------|-----------------------------------------------------------------|---------|
 * | `memoPublishAt`     | when the memo is published each day, London time, `HH:MM`        | `07:00` |
 * | `memoShareAccounts` | 12-digit AWS account ids that may read `memo/*` (list or commas) | none    |
 * | `memoVersionDays`   | how long a replaced version of a memo object is kept            | 90      |
 */
import { Duration, TimeZone } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { ABORT_INCOMPLETE_UPLOADS, PRIVATE_BUCKET } from './buckets';
import { z } from 'zod';
import { MEMO_PREFIX } from '../functions/council/memo-publish';
import { clockTime } from '../functions/lib/dates';
import { EscalationFunction } from './escalation-function';
import { acknowledgeWildcards } from './nag';

/** The scheduled run's payload, exactly. */
export const SCHEDULED_MEMO_INPUT = { source: 'schedule' } as const;

export interface MemoPublishProps {
  /** The table the memo is read from: read only. */
  readonly table: dynamodb.ITableV2;
  /** APP_CONFIG and the other variables every function gets. */
  readonly environment: Record<string, string>;
  /** @default { hour: 7, minute: 0 } London time */
  readonly dailyAt?: { readonly hour: number; readonly minute: number };
  /** AWS account ids allowed to read memo/* (bucket policy). @default none */
  readonly shareWithAccounts?: readonly string[];
  /** @default Duration.days(90) */
  readonly versionRetention?: Duration;
  /** Where the bucket's server access logs go. */
  readonly accessLogsBucket: s3.IBucket;
}

const accountId = z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id');
const settingsSchema = z.object({
  publishAt: clockTime.default('07:00'),
  shareAccounts: z
    .union([z.string(), z.array(z.string())])
    .default([])
    .transform((value) => (typeof value === 'string' ? value.split(',') : value).map((item) => item.trim()).filter(Boolean))
    .pipe(z.array(accountId)),
  versionDays: z.coerce.number().int().min(1).max(3650).default(90),
});

/** The memo publish's settings from CDK context, validated (a bad value fails synth naming the key). */
export function readMemoPublishSettings(scope: Construct): Pick<MemoPublishProps, 'dailyAt' | 'shareWithAccounts' | 'versionRetention'> {
  const parsed = settingsSchema.safeParse({
    publishAt: scope.node.tryGetContext('memoPublishAt') as unknown,
    shareAccounts: scope.node.tryGetContext('memoShareAccounts') as unknown,
    versionDays: scope.node.tryGetContext('memoVersionDays') as unknown,
  });
  if (!parsed.success) {
    const names: Record<string, string> = { publishAt: 'memoPublishAt', shareAccounts: 'memoShareAccounts', versionDays: 'memoVersionDays' };
    throw new Error(`CDK context: ${parsed.error.issues.map((issue) => `${[names[String(issue.path[0])] ?? String(issue.path[0]), ...issue.path.slice(1)].join('.')}: ${issue.message}`).join('; ')}`);
  }
  const [hour, minute] = parsed.data.publishAt.split(':').map(Number) as [number, number];
  return { dailyAt: { hour, minute }, shareWithAccounts: [...new Set(parsed.data.shareAccounts)], versionRetention: Duration.days(parsed.data.versionDays) };
}

export class MemoPublish extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly publishFunction: EscalationFunction;
  public readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: MemoPublishProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Memo', {
      ...PRIVATE_BUCKET,
      versioned: true,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'memo/',
      lifecycleRules: [
        ABORT_INCOMPLETE_UPLOADS,
        { id: 'expire-old-versions', noncurrentVersionExpiration: props.versionRetention ?? Duration.days(90) },
      ],
    });

    this.publishFunction = new EscalationFunction(this, 'Function', {
      source: 'memo-publish',
      description: "Publishes the Managed Placements Memo CSV for neighbouring authorities (memo/latest.csv and a dated copy)",
      timeout: Duration.minutes(2),
      environment: { ...props.environment, TABLE_NAME: props.table.tableName, MEMO_BUCKET: this.bucket.bucketName },
    });
    const role = this.publishFunction.executionRole;
    const indexes = `${props.table.tableArn}/index/*`;
    role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:BatchGetItem'], resources: [props.table.tableArn, indexes] }));
    const objects = this.bucket.arnForObjects(`${MEMO_PREFIX}*`);
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [objects] }));
    acknowledgeWildcards(role, [indexes], "Queries the table's own global secondary index (gsi1) to list cases; read only.");
    acknowledgeWildcards(role, [objects], 'Writes memo/latest.csv and memo/<date>.csv (a new name each day) and nothing else in the bucket.');

    const accounts = props.shareWithAccounts ?? [];
    if (accounts.length > 0) {
      this.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'NeighboursReadMemo',
          effect: iam.Effect.ALLOW,
          principals: accounts.map((account) => new iam.AccountPrincipal(account)),
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: [objects],
        }),
      );
    }

    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets EventBridge Scheduler invoke the memo-publish function',
    });
    acknowledgeWildcards(scheduleRole, [`${this.publishFunction.functionArn}:*`], 'Versions and aliases of the memo-publish function only (grantInvoke).');
    const at = props.dailyAt ?? { hour: 7, minute: 0 };
    this.schedule = new scheduler.Schedule(this, 'Daily', {
      description: 'Publish the Managed Placements Memo CSV for neighbouring authorities',
      schedule: scheduler.ScheduleExpression.cron({ hour: String(at.hour), minute: String(at.minute), timeZone: TimeZone.EUROPE_LONDON }),
      target: new schedulerTargets.LambdaInvoke(this.publishFunction, {
        role: scheduleRole,
        input: scheduler.ScheduleTargetInput.fromObject(SCHEDULED_MEMO_INPUT),
        retryAttempts: 3,
        maxEventAge: Duration.hours(6),
      }),
    });
  }
}
