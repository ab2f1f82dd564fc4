/** The provider's side on AWS: the daily sweep's schedule and the private evidence bucket. */
import { describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { logicalId, roleStatements, synthesize } from './support';
import { DAILY_SWEEP_INPUT, dailySweepEventSchema } from '../../functions/ladder/daily-sweep';

const { stack, template } = synthesize();

describe("the provider's side in the template", () => {
  it('runs the sweep daily at 07:00 London time by invoking the workflow-step function with the input its handler recognises', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 7 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/London',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack, stack.workflowStepFunction), 'Arn'] }, Input: '{"source":"daily-sweep"}' }),
    });
    expect(dailySweepEventSchema.safeParse(JSON.parse(JSON.stringify(DAILY_SWEEP_INPUT))).success).toBe(true);
  });

  it('keeps evidence in a private, encrypted, versioned bucket the HTTP API alone may put to and read, under evidence/', () => {
    const bucketId = logicalId(stack, stack.providerSide.evidenceBucket);
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: Match.anyValue(),
      }),
      DeletionPolicy: 'Retain',
    });
    expect(template.toJSON().Resources[bucketId]).toBeDefined();
    const role = logicalId(stack, stack.httpApiFunction.role!);
    const statements = roleStatements(template, role);
    const evidence = statements.find((statement) => JSON.stringify(statement.Resource).includes(bucketId));
    expect(evidence?.Action).toEqual(['s3:PutObject', 's3:GetObject']);
    expect(JSON.stringify(evidence?.Resource)).toContain('/evidence/*');
    const env = template.toJSON().Resources[logicalId(stack, stack.httpApiFunction)].Properties.Environment.Variables;
    expect(env.EVIDENCE_BUCKET).toEqual({ Ref: bucketId });
  });
});
