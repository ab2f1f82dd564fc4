/**
 * The audit checkpoint's AWS side: an Object Lock bucket only the checkpoint function writes, a key
 * only it reads, a schedule that runs it, and table writers that can ask for a checkpoint but
 * neither read its key nor write its bucket.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { asArray, flat, logicalId, roleStatements, rolesAllowed, same, synthesize, type Synthesized } from './support';

let synthesized: Synthesized;
let roles: { checkpoint: string; writers: string[] };
let bucketId: string;
beforeAll(() => {
  synthesized = synthesize();
  const { stack } = synthesized;
  roles = {
    checkpoint: logicalId(stack, stack.auditCheckpoint.checkpointFunction.executionRole),
    writers: [stack.workflowStepFunction, stack.httpApiFunction, stack.ratingsImportFunction].map((fn) => logicalId(stack, fn.executionRole)),
  };
  bucketId = logicalId(stack, stack.auditCheckpoint.bucket);
});

const onBucket = (value: unknown) => flat(value).startsWith(`<${bucketId}.Arn>`);

describe('the checkpoint bucket', () => {
  it('locks every version by default (Object Lock, versioned), governance mode for six years unless configured', () => {
    const bucket = synthesized.template.toJSON().Resources[bucketId].Properties;
    expect(bucket.ObjectLockEnabled).toBe(true);
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 2190 } } });
    expect(bucket.PublicAccessBlockConfiguration).toMatchObject({ BlockPublicAcls: true, RestrictPublicBuckets: true });
  });

  it('takes compliance mode and its retention from CDK context, and refuses a bad value naming the key', () => {
    const { stack, template } = synthesize({ auditCheckpointLockMode: 'COMPLIANCE', auditCheckpointRetentionDays: '3650' });
    expect(template.toJSON().Resources[logicalId(stack, stack.auditCheckpoint.bucket)].Properties.ObjectLockConfiguration.Rule).toEqual({ DefaultRetention: { Mode: 'COMPLIANCE', Days: 3650 } });
    expect(() => synthesize({ auditCheckpointLockMode: 'FOREVER' })).toThrow(/auditCheckpointLockMode/);
  });

  it('is written by the checkpoint function only: no table writer may put, delete or unlock anything in it', () => {
    const { template } = synthesized;
    for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectRetention', 's3:BypassGovernanceRetention', 's3:PutBucketObjectLockConfiguration', 's3:*']) {
      expect(rolesAllowed(template, action, onBucket), action).toEqual(action === 's3:PutObject' ? [roles.checkpoint] : []);
    }
    for (const writer of roles.writers) {
      expect(roleStatements(template, writer).filter((statement) => asArray(statement.Resource).some(onBucket)), writer).toEqual([]);
    }
  });

  it("refuses object writes from any principal but the checkpoint function's role (bucket policy)", () => {
    synthesized.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject', Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [roles.checkpoint, 'Arn'] } } } }),
        ]),
      },
    });
  });
});

describe('the checkpoint key and function', () => {
  it('the key is readable by the checkpoint function only', () => {
    const { stack, template } = synthesized;
    expect(rolesAllowed(template, 'secretsmanager:GetSecretValue', same({ Ref: logicalId(stack, stack.auditCheckpoint.key) }))).toEqual([roles.checkpoint]);
    // ...and the checkpoint function reads no other secret.
    const secrets = roleStatements(template, roles.checkpoint).filter((statement) => asArray(statement.Action).includes('secretsmanager:GetSecretValue'));
    expect(secrets.flatMap((statement) => asArray(statement.Resource))).toEqual([{ Ref: logicalId(stack, stack.auditCheckpoint.key) }]);
  });

  it('reads the table (Scan) and cannot change it', () => {
    const actions = roleStatements(synthesized.template, roles.checkpoint)
      .filter((statement) => asArray(statement.Resource).some((value) => flat(value).includes(`<${logicalId(synthesized.stack, synthesized.stack.table)}.Arn>`)))
      .flatMap((statement) => asArray(statement.Action))
      .sort();
    expect(actions).toEqual(['dynamodb:DescribeTable', 'dynamodb:Scan']);
  });

  it('is told its table, bucket and key; the HTTP API is told the function and may only invoke it', () => {
    const { stack, template } = synthesized;
    const fnId = logicalId(stack, stack.auditCheckpoint.checkpointFunction);
    const fn = template.toJSON().Resources[fnId].Properties;
    expect(Object.keys(fn.Environment.Variables).sort()).toEqual(expect.arrayContaining(['CHECKPOINT_BUCKET', 'CHECKPOINT_KEY_SECRET_ARN', 'TABLE_NAME']));
    const api = template.toJSON().Resources[logicalId(stack, stack.httpApiFunction)].Properties;
    expect(api.Environment.Variables.AUDIT_CHECKPOINT_FUNCTION).toEqual({ Ref: fnId });
    const invokers = rolesAllowed(template, 'lambda:InvokeFunction', (value) => flat(value).startsWith(`<${fnId}.Arn>`));
    expect(invokers).toContain(logicalId(stack, stack.httpApiFunction.executionRole));
    expect(invokers).not.toContain(logicalId(stack, stack.workflowStepFunction.executionRole));
  });
});

describe('the schedule', () => {
  it('runs the checkpoint function every hour with {"source":"schedule"}', () => {
    const { stack, template } = synthesized;
    const fnId = logicalId(stack, stack.auditCheckpoint.checkpointFunction);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, Input: JSON.stringify({ source: 'schedule' }) }),
    });
  });
});
