/**
 * The audit checkpoint on AWS (see functions/audit/checkpoint.ts): a function that alone reads the
 * checkpoint key and alone writes the checkpoint bucket, reading the table without any right to
 * change it. EventBridge Scheduler runs it on a schedule; the HTTP API may only invoke it (for
 * GET /admin/audit/verify and POST /admin/audit/checkpoint), never choose what a checkpoint says.
 *
 * The bucket has Object Lock with a default retention on every version (versioning is on, as Object
 * Lock requires), and a bucket policy refusing object writes from any principal but the function's
 * role. In COMPLIANCE mode nobody, the account root included, can delete or shorten a checkpoint
 * before its retention ends; in GOVERNANCE mode (the default) only a principal granted
 * `s3:BypassGovernanceRetention` can, and no role of this stack is.
 *
 * | context key                    | meaning                                   | default      |
 * |--------------------------------|-------------------------------------------|--------------|
 * | `auditCheckpointLockMode`      | `GOVERNANCE` or `COMPLIANCE`              | `GOVERNANCE` |
 * | `auditCheckpointRetentionDays` | how long each checkpoint is locked        | 2190 (6 years) |
 * | `auditCheckpointEveryMinutes`  | how often the schedule writes one         | 60           |
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PRIVATE_BUCKET } from './buckets';
import { z } from 'zod';
import { EscalationFunction } from './escalation-function';
import { acknowledge, acknowledgeWildcards } from './nag';

/** The scheduled run's payload, exactly. */
export const SCHEDULED_CHECKPOINT_INPUT = { source: 'schedule' } as const;
/** Where the checkpoints are kept in the bucket (functions/audit-checkpoint/s3-store.ts). */
export const CHECKPOINT_PREFIX = 'checkpoints/';

export type CheckpointLockMode = 'GOVERNANCE' | 'COMPLIANCE';

export interface AuditCheckpointProps {
  /** The table whose audit trail is checkpointed: read only. */
  readonly table: dynamodb.ITableV2;
  /**
   * Object Lock mode of every checkpoint.
   * @default 'GOVERNANCE'
   */
  readonly lockMode?: CheckpointLockMode;
  /**
   * How long each checkpoint is locked.
   * @default Duration.days(2190)
   */
  readonly retention?: Duration;
  /**
   * How often a checkpoint is written on schedule.
   * @default Duration.hours(1)
   */
  readonly every?: Duration;
  /**
   * Where the bucket's server access logs go.
   * @default - a logs bucket of its own
   */
  readonly accessLogsBucket?: s3.IBucket;
}

const settingsSchema = z.object({
  lockMode: z.enum(['GOVERNANCE', 'COMPLIANCE']).default('GOVERNANCE'),
  retentionDays: z.coerce.number().int().min(1).max(36500).default(2190),
  everyMinutes: z.coerce.number().int().min(1).max(1440).default(60),
});

/** The checkpoint's settings from CDK context, validated (a bad value fails synth naming the key). */
export function readAuditCheckpointSettings(scope: Construct): Pick<AuditCheckpointProps, 'lockMode' | 'retention' | 'every'> {
  const parsed = settingsSchema.safeParse({
    lockMode: scope.node.tryGetContext('auditCheckpointLockMode') as unknown,
    retentionDays: scope.node.tryGetContext('auditCheckpointRetentionDays') as unknown,
    everyMinutes: scope.node.tryGetContext('auditCheckpointEveryMinutes') as unknown,
  });
  if (!parsed.success) {
    const names: Record<string, string> = { lockMode: 'auditCheckpointLockMode', retentionDays: 'auditCheckpointRetentionDays', everyMinutes: 'auditCheckpointEveryMinutes' };
    throw new Error(`CDK context: ${parsed.error.issues.map((issue) => `${names[String(issue.path[0])] ?? String(issue.path[0])}: ${issue.message}`).join('; ')}`);
  }
  return { lockMode: parsed.data.lockMode, retention: Duration.days(parsed.data.retentionDays), every: Duration.minutes(parsed.data.everyMinutes) };
}

export class AuditCheckpoint extends Construct {
  public readonly bucket: s3.Bucket;
  /** HMAC key of the checkpoints: readable by the checkpoint function only. */
  public readonly key: secretsmanager.Secret;
  public readonly checkpointFunction: EscalationFunction;
  public readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: AuditCheckpointProps) {
    super(scope, id);
    const retention = props.retention ?? Duration.days(2190);
    const lockMode = props.lockMode ?? 'GOVERNANCE';
    const accessLogs =
      props.accessLogsBucket ?? new s3.Bucket(this, 'AccessLogs', { ...PRIVATE_BUCKET, lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(365) }] });

    this.bucket = new s3.Bucket(this, 'Checkpoints', {
      ...PRIVATE_BUCKET,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: lockMode === 'COMPLIANCE' ? s3.ObjectLockRetention.compliance(retention) : s3.ObjectLockRetention.governance(retention),
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'audit-checkpoints/',
    });

    this.key = new secretsmanager.Secret(this, 'Key', {
      description: 'HMAC-SHA256 key of the audit checkpoints (read by the audit-checkpoint function only)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    acknowledge(
      this.key,
      'AwsSolutions-SMG4',
      'Not rotated automatically: every checkpoint kept under Object Lock is verified with this key, and a ' +
        'rotation would make the locked history unverifiable. Rotate by hand, keeping the old value to check old checkpoints.',
    );

    this.checkpointFunction = new EscalationFunction(this, 'Function', {
      source: 'audit-checkpoint',
      description: 'Verifies the audit trail against its newest checkpoint and writes the next one',
      timeout: Duration.minutes(5),
      environment: { TABLE_NAME: props.table.tableName, CHECKPOINT_BUCKET: this.bucket.bucketName },
    }).bindSecret(this.key, 'CHECKPOINT_KEY_SECRET_ARN');
    // Read only: it scans the table itself (not its index), and never writes it.
    const role = this.checkpointFunction.executionRole;
    role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Scan', 'dynamodb:DescribeTable'], resources: [props.table.tableArn] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${CHECKPOINT_PREFIX}*`] } } }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [this.bucket.arnForObjects(`${CHECKPOINT_PREFIX}*`)] }));
    acknowledgeWildcards(
      role,
      [this.bucket.arnForObjects(`${CHECKPOINT_PREFIX}*`)],
      'Reads and adds checkpoints under checkpoints/ (a new name per checkpoint); Object Lock keeps every version, so nothing can be replaced or deleted.',
    );

    // Nobody but the checkpoint function writes objects here, whatever IAM may later grant.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': role.roleArn } },
      }),
    );

    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets EventBridge Scheduler invoke the audit-checkpoint function',
    });
    acknowledgeWildcards(scheduleRole, [`${this.checkpointFunction.functionArn}:*`], 'Versions and aliases of the audit-checkpoint function only (grantInvoke).');
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Write an audit checkpoint',
      schedule: scheduler.ScheduleExpression.rate(props.every ?? Duration.hours(1)),
      target: new schedulerTargets.LambdaInvoke(this.checkpointFunction, {
        role: scheduleRole,
        input: scheduler.ScheduleTargetInput.fromObject(SCHEDULED_CHECKPOINT_INPUT),
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
      }),
    });
  }

  /** Lets `fn` ask for a verify and a checkpoint (invoke only); sets AUDIT_CHECKPOINT_FUNCTION. */
  public grantVerify(fn: lambda.Function): void {
    this.checkpointFunction.grantInvoke(fn);
    fn.addEnvironment('AUDIT_CHECKPOINT_FUNCTION', this.checkpointFunction.functionName);
    acknowledgeWildcards(fn.role ?? fn, [`${this.checkpointFunction.functionArn}:*`], 'Versions and aliases of the audit-checkpoint function only (grantInvoke).');
  }
}
