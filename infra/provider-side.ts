/**
 * The provider's side on AWS: the bucket the provider's evidence files go to (private, encrypted,
 * versioned, never served: the HTTP API hands them to signed-in officers as downloads), and the
 * daily schedule that runs the provider-side sweep (receipts not confirmed in time) by invoking
 * the workflow-step function with `{ "source": "daily-sweep" }` at 07:00 London time.
 */
import { Duration, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { ABORT_INCOMPLETE_UPLOADS, PRIVATE_BUCKET } from './buckets';
import { acknowledgeWildcards } from './nag';
import { DAILY_SWEEP_INPUT } from '../functions/ladder/daily-sweep';

export const EVIDENCE_PREFIX = 'evidence/';

export interface ProviderSideProps {
  /** Runs the daily sweep. */
  readonly sweepFunction: lambda.Function;
  /** Stores and reads evidence files (told the bucket as EVIDENCE_BUCKET). */
  readonly evidenceFunction: lambda.Function;
  readonly accessLogsBucket: s3.IBucket;
}

export class ProviderSideResources extends Construct {
  public readonly evidenceBucket: s3.Bucket;
  public readonly dailySweep: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: ProviderSideProps) {
    super(scope, id);
    this.evidenceBucket = new s3.Bucket(this, 'Evidence', {
      ...PRIVATE_BUCKET,
      versioned: true,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'evidence/',
      lifecycleRules: [ABORT_INCOMPLETE_UPLOADS],
    });
    const objects = this.evidenceBucket.arnForObjects(`${EVIDENCE_PREFIX}*`);
    props.evidenceFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:GetObject'], resources: [objects] }));
    acknowledgeWildcards(props.evidenceFunction.role ?? props.evidenceFunction, [objects], 'Puts and reads evidence files under evidence/ only; their keys are the case, the request and the content digest.');
    props.evidenceFunction.addEnvironment('EVIDENCE_BUCKET', this.evidenceBucket.bucketName);

    const role = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets EventBridge Scheduler invoke the workflow-step function for the daily sweep',
    });
    acknowledgeWildcards(role, [`${props.sweepFunction.functionArn}:*`], 'Versions and aliases of the workflow-step function only (grantInvoke); nothing else can be invoked.');
    this.dailySweep = new scheduler.Schedule(this, 'DailySweep', {
      description: "The provider's side, daily: letters not confirmed in time (provider reminded, officer told)",
      schedule: scheduler.ScheduleExpression.cron({ hour: '7', minute: '0', timeZone: TimeZone.EUROPE_LONDON }),
      target: new schedulerTargets.LambdaInvoke(props.sweepFunction, {
        role,
        input: scheduler.ScheduleTargetInput.fromObject(DAILY_SWEEP_INPUT),
        retryAttempts: 3,
        maxEventAge: Duration.hours(6),
      }),
    });
  }
}
