/**
 * The memo publish's AWS side: a private, versioned, encrypted bucket; a function that reads the
 * table and may write under memo/ only; a daily schedule; and read of memo/* shared with the
 * neighbours' accounts the council names, nobody else.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { asArray, flat, logicalId, roleStatements, rolesAllowed, synthesize, type Synthesized } from './support';

let synthesized: Synthesized;
let ids: { bucket: string; fn: string; role: string; table: string };
beforeAll(() => {
  synthesized = synthesize();
  const { stack } = synthesized;
  ids = {
    bucket: logicalId(stack, stack.memoPublish.bucket),
    fn: logicalId(stack, stack.memoPublish.publishFunction),
    role: logicalId(stack, stack.memoPublish.publishFunction.executionRole),
    table: logicalId(stack, stack.table),
  };
});

describe('the memo bucket', () => {
  it('is encrypted, blocks public access, is versioned, logs access and expires old versions', () => {
    const bucket = synthesized.template.toJSON().Resources[ids.bucket].Properties;
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(bucket.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.LoggingConfiguration.LogFilePrefix).toBe('memo/');
    expect(bucket.LifecycleConfiguration.Rules).toEqual(expect.arrayContaining([expect.objectContaining({ Id: 'expire-old-versions', NoncurrentVersionExpiration: { NoncurrentDays: 90 }, Status: 'Enabled' })]));
  });

  it('refuses anything but TLS, and shares nothing without configured accounts', () => {
    const policy = Object.values(synthesized.template.findResources('AWS::S3::BucketPolicy')).find((item) => JSON.stringify(item.Properties.Bucket) === JSON.stringify({ Ref: ids.bucket }));
    const statements = policy!.Properties.PolicyDocument.Statement as { Effect: string; Condition?: unknown }[];
    expect(statements).toEqual([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]);
  });

  it("lets the neighbours' accounts named in memoShareAccounts read memo/* and nothing else", () => {
    const { stack, template } = synthesize({ memoShareAccounts: '111122223333, 444455556666' });
    const bucket = logicalId(stack, stack.memoPublish.bucket);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'NeighboursReadMemo',
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:GetObjectVersion'],
            Principal: { AWS: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:root']] }, { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::444455556666:root']] }] },
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/memo/*']] },
          }),
        ]),
      },
    });
  });

  it('refuses an account id that is not 12 digits, naming the key', () => {
    expect(() => synthesize({ memoShareAccounts: ['111122223333', 'dorset'] })).toThrow(/memoShareAccounts\.1: a 12-digit AWS account id/);
    expect(() => synthesize({ memoPublishAt: '7am' })).toThrow(/memoPublishAt/);
  });
});

describe('the memo publish function', () => {
  it('may put objects under memo/ only, and no other role may write the bucket', () => {
    const { template } = synthesized;
    const onBucket = (value: unknown) => flat(value).startsWith(`<${ids.bucket}.Arn>`);
    const s3 = roleStatements(template, ids.role).filter((statement) => asArray(statement.Action).some((action) => action.startsWith('s3:')));
    expect(s3.map((statement) => ({ actions: asArray(statement.Action), resources: asArray(statement.Resource).map(flat) }))).toEqual([
      { actions: ['s3:PutObject'], resources: [`<${ids.bucket}.Arn>/memo/*`] },
    ]);
    for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:GetObject', 's3:*']) {
      expect(rolesAllowed(template, action, onBucket), action).toEqual(action === 's3:PutObject' ? [ids.role] : []);
    }
  });

  it('reads the table and its index and cannot change it', () => {
    const actions = roleStatements(synthesized.template, ids.role)
      .filter((statement) => asArray(statement.Resource).some((value) => flat(value).includes(`<${ids.table}.Arn>`)))
      .flatMap((statement) => asArray(statement.Action))
      .sort();
    expect(actions).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query']);
  });

  it('is told the table, the bucket and the configuration', () => {
    const variables = synthesized.template.toJSON().Resources[ids.fn].Properties.Environment.Variables;
    expect(variables.TABLE_NAME).toEqual({ Ref: ids.table });
    expect(variables.MEMO_BUCKET).toEqual({ Ref: ids.bucket });
    expect(JSON.parse(variables.APP_CONFIG as string).authority.name).toBeTruthy();
  });
});

describe('the schedule', () => {
  it('runs the function daily at 07:00 London time with {"source":"schedule"}, or when memoPublishAt says', () => {
    synthesized.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 7 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/London',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [ids.fn, 'Arn'] }, Input: JSON.stringify({ source: 'schedule' }) }),
    });
    const { stack, template } = synthesize({ memoPublishAt: '05:30' });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 5 * * ? *)',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack, stack.memoPublish.publishFunction), 'Arn'] } }),
    });
  });
});
