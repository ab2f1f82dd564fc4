import { beforeAll, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { TABLE_KEYS } from '../../functions/lib/table';
import { CQC_CHANGES_INPUT } from '../../infra/ratings-intake';
import { logicalId, synthesize, type Synthesized } from './support';

let synthesized: Synthesized;
beforeAll(() => {
  synthesized = synthesize();
});

describe('the table', () => {
  it('has the keys and the gsi1 index the code uses (TABLE_KEYS), all strings', () => {
    // Assess
    synthesized.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith(
        [TABLE_KEYS.partitionKey, TABLE_KEYS.sortKey, TABLE_KEYS.gsi1.partitionKey, TABLE_KEYS.gsi1.sortKey].map(
          (name) => ({ AttributeName: name, AttributeType: 'S' }),
        ),
      ),
      GlobalSecondaryIndexes: [
        {
          IndexName: TABLE_KEYS.gsi1.name,
          KeySchema: [
            { AttributeName: TABLE_KEYS.gsi1.partitionKey, KeyType: 'HASH' },
            { AttributeName: TABLE_KEYS.gsi1.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('is billed on demand and encrypted with the AWS-managed key', () => {
    synthesized.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.absent() },
    });
  });

  it('keeps point-in-time recovery and deletion protection on', () => {
    synthesized.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true })],
    });
  });

  it('is retained when the stack is deleted or the table replaced', () => {
    synthesized.template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('the ratings bucket', () => {
  const ratingsBucket = () => synthesized.template.toJSON().Resources[logicalId(synthesized.stack, synthesized.stack.ratings.bucket)];

  it('blocks public access, is encrypted and versioned, and logs access to the logs bucket', () => {
    const accessLogs = logicalId(synthesized.stack, synthesized.stack.ratings.accessLogsBucket);
    expect(ratingsBucket().Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: accessLogs } },
    });
  });

  it('refuses requests that are not over TLS', () => {
    synthesized.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(synthesized.stack, synthesized.stack.ratings.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('expires old versions and abandoned uploads', () => {
    expect(ratingsBucket().Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
        expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 90 } }),
      ]),
    );
  });

  it('announces new files to EventBridge, and a rule hands each to ratings-import as { source: "ratings-file", bucket, key }', () => {
    // Prepare
    const { stack, template } = synthesized;
    const bucket = logicalId(stack, stack.ratings.bucket);
    // Assess
    expect(ratingsBucket().Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: [{ Ref: bucket }] } } },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(stack, stack.ratingsImportFunction), 'Arn'] },
          InputTransformer: {
            InputPathsMap: Match.objectLike({ 'detail-bucket-name': '$.detail.bucket.name', 'detail-object-key': '$.detail.object.key' }),
            InputTemplate: Match.stringLikeRegexp('^\\{"source":"ratings-file","bucket":<detail-bucket-name>,"key":<detail-object-key>'),
          },
        }),
      ],
    });
  });
});

describe('the daily CQC pull', () => {
  it('invokes ratings-import every day, London time, with exactly {"source":"cqc-changes"}', () => {
    const { stack, template } = synthesized;
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/London',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [logicalId(stack, stack.ratingsImportFunction), 'Arn'] },
        Input: '{"source":"cqc-changes"}',
      }),
    });
    expect(JSON.stringify(CQC_CHANGES_INPUT)).toBe('{"source":"cqc-changes"}');
  });
});
