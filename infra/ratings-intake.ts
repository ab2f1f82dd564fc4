/**
 * How ratings reach the ratings-import function on AWS:
 *
 * - a file (CQC's ratings export, ODS or CSV) put in the ratings bucket — by the council's IT or
 *   through the admin upload endpoint — is announced by S3 to EventBridge, and a rule invokes the
 *   function with `{ "source": "ratings-file", "bucket", "key", "versionId", "size" }`;
 * - once a day EventBridge Scheduler invokes it with `{ "source": "cqc-changes" }` to pull CQC's
 *   changes feed.
 *
 * S3 → EventBridge is enabled on the bucket itself (a CloudFormation property), rather than with an
 * S3 notification to Lambda, which CDK can only wire through a custom-resource Lambda of its own
 * (with a managed policy and `s3:PutBucketNotification` on `*`). The rule also gives retries and a
 * payload shaped by us, the same shape for both triggers.
 */
import { Duration, TimeZone } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { ABORT_INCOMPLETE_UPLOADS, PRIVATE_BUCKET } from './buckets';
import { acknowledgeWildcards } from './nag';

/** The daily pull's payload, exactly. */
export const CQC_CHANGES_INPUT = { source: 'cqc-changes' } as const;
/** Where the admin endpoint puts uploaded files (any other prefix is ingested too, but COUNCIL_PREFIX). */
export const UPLOAD_PREFIX = 'uploads/';
/**
 * The council's own files (council/contracts/ for the contract register): previewed by the import
 * function, applied by an officer on the Contracts page. Never read as ratings.
 */
export const COUNCIL_PREFIX = 'council/';

export interface RatingsIntakeProps {
  /** The function that ingests: it is invoked, may read the files, and is told the bucket (RATINGS_BUCKET). */
  readonly importFunction: lambda.Function;
  /**
   * When the changes feed is pulled, London time.
   * @default 06:00 every day
   */
  readonly dailyAt?: { readonly hour: number; readonly minute: number };
  /**
   * Ratings files are kept this long (they show what each ingest read).
   * @default Duration.days(730)
   */
  readonly fileRetention?: Duration;
}

export class RatingsIntake extends Construct {
  public readonly bucket: s3.Bucket;
  /** Receives the ratings bucket's server access logs. */
  public readonly accessLogsBucket: s3.Bucket;
  public readonly fileCreatedRule: events.Rule;
  /** A council file (the contract register) was put under COUNCIL_PREFIX. */
  public readonly councilFileRule: events.Rule;
  public readonly dailySchedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: RatingsIntakeProps) {
    super(scope, id);

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      ...PRIVATE_BUCKET,
      lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(365) }],
    });
    this.bucket = new s3.Bucket(this, 'Ratings', {
      ...PRIVATE_BUCKET,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'ratings/',
      lifecycleRules: [
        ABORT_INCOMPLETE_UPLOADS,
        { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(90) },
        { id: 'expire-files', expiration: props.fileRetention ?? Duration.days(730) },
      ],
    });
    // S3 → EventBridge, as a property of the bucket (see the module comment for why not the L2 switch).
    (this.bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };

    this.fileCreatedRule = new events.Rule(this, 'FileCreated', {
      description: 'A ratings file was put in the ratings bucket: ingest it',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [this.bucket.bucketName] }, object: { key: events.Match.anythingButPrefix(COUNCIL_PREFIX) } },
      },
      targets: [
        new targets.LambdaFunction(props.importFunction, {
          event: events.RuleTargetInput.fromObject({
            source: 'ratings-file',
            bucket: events.EventField.fromPath('$.detail.bucket.name'),
            key: events.EventField.fromPath('$.detail.object.key'),
            versionId: events.EventField.fromPath('$.detail.object.version-id'),
            size: events.EventField.fromPath('$.detail.object.size'),
          }),
          retryAttempts: 4,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });

    this.councilFileRule = new events.Rule(this, 'CouncilFileCreated', {
      description: 'A council file (contract register) was put in the drop zone: preview it for an officer to apply',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [this.bucket.bucketName] }, object: { key: events.Match.prefix(COUNCIL_PREFIX) } },
      },
      targets: [
        new targets.LambdaFunction(props.importFunction, {
          event: events.RuleTargetInput.fromObject({
            source: 'council-file',
            bucket: events.EventField.fromPath('$.detail.bucket.name'),
            key: events.EventField.fromPath('$.detail.object.key'),
            versionId: events.EventField.fromPath('$.detail.object.version-id'),
          }),
          retryAttempts: 4,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });

    props.importFunction.addEnvironment('RATINGS_BUCKET', this.bucket.bucketName);
    this.grantRead(props.importFunction);

    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets EventBridge Scheduler invoke the ratings-import function',
    });
    acknowledgeWildcards(
      scheduleRole,
      [`${props.importFunction.functionArn}:*`],
      'Versions and aliases of the ratings-import function only (grantInvoke); nothing else can be invoked.',
    );
    const at = props.dailyAt ?? { hour: 6, minute: 0 };
    this.dailySchedule = new scheduler.Schedule(this, 'DailyCqcChanges', {
      description: "Pull CQC's changes feed once a day",
      schedule: scheduler.ScheduleExpression.cron({
        hour: String(at.hour),
        minute: String(at.minute),
        timeZone: TimeZone.EUROPE_LONDON,
      }),
      target: new schedulerTargets.LambdaInvoke(props.importFunction, {
        role: scheduleRole,
        input: scheduler.ScheduleTargetInput.fromObject(CQC_CHANGES_INPUT),
        retryAttempts: 3,
        maxEventAge: Duration.hours(6),
      }),
    });
  }

  /** GetObject (any version) on the ratings files. */
  public grantRead(fn: lambda.Function): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    acknowledgeWildcards(
      fn.role ?? fn,
      [this.bucket.arnForObjects('*')],
      'Reads the ratings files of the ratings bucket (GetObject only); their names are chosen by whoever drops them.',
    );
  }

  /** PutObject under UPLOAD_PREFIX only (the admin upload), and tells `fn` the bucket and prefix. */
  public grantUpload(fn: lambda.Function): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(`${UPLOAD_PREFIX}*`)] }),
    );
    fn.addEnvironment('RATINGS_BUCKET', this.bucket.bucketName);
    fn.addEnvironment('UPLOAD_PREFIX', UPLOAD_PREFIX);
    acknowledgeWildcards(
      fn.role ?? fn,
      [this.bucket.arnForObjects(`${UPLOAD_PREFIX}*`)],
      `Admin upload of a ratings file: PutObject under ${UPLOAD_PREFIX} of the ratings bucket only, a new name per upload.`,
    );
  }
}
