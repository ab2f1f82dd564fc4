import { beforeAll, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { asArray, cdkJsonContext, flat, logicalId, roleStatements, rolesAllowed, same, synthesize, type Statement, type Synthesized } from './support';

let synthesized: Synthesized;
let roles: { workflowStep: string; httpApi: string; ratingsImport: string; mailEvents: string };
beforeAll(() => {
  synthesized = synthesize();
  const { stack } = synthesized;
  roles = {
    workflowStep: logicalId(stack, stack.workflowStepFunction.executionRole),
    httpApi: logicalId(stack, stack.httpApiFunction.executionRole),
    ratingsImport: logicalId(stack, stack.ratingsImportFunction.executionRole),
    mailEvents: logicalId(stack, stack.mailEventsFunction.executionRole),
  };
});

/** Every statement granting an SES action, with its role. */
function sesStatements(of: Synthesized): Array<{ roleId: string; statement: Statement }> {
  const { template } = of;
  return Object.keys(template.findResources('AWS::IAM::Role')).flatMap((roleId) =>
    roleStatements(template, roleId)
      .filter((statement) => asArray(statement.Action).some((action) => action.startsWith('ses:')))
      .map((statement) => ({ roleId, statement })),
  );
}

/** The actions a role is allowed on resources matching `resource` (as text, see `flat`). */
function actionsOn(roleId: string, resource: RegExp): string[] {
  return roleStatements(synthesized.template, roleId)
    .filter((statement) => asArray(statement.Resource).some((value) => resource.test(flat(value))))
    .flatMap((statement) => asArray(statement.Action))
    .sort();
}

describe('secrets', () => {
  it('the link signing key is readable by workflow-step and http-api only', () => {
    const { stack, template } = synthesized;
    const secret = { Ref: logicalId(stack, stack.linkSigningKey) };
    expect(rolesAllowed(template, 'secretsmanager:GetSecretValue', same(secret))).toEqual([roles.workflowStep, roles.httpApi].sort());
  });

  it('the CQC API key is readable by ratings-import only', () => {
    const { stack, template } = synthesized;
    const secret = { Ref: logicalId(stack, stack.cqcApiKey) };
    expect(rolesAllowed(template, 'secretsmanager:GetSecretValue', same(secret))).toEqual([roles.ratingsImport]);
  });

  it('the link signing key is generated: 64 characters that are all valid base64 text', () => {
    synthesized.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false },
    });
  });
});

describe('sending mail', () => {
  it('in the SES sandbox (the default): from the configured sender only, on the identities recipients are verified as and the configuration set', () => {
    // Prepare
    const context = cdkJsonContext();
    const sendStatements = sesStatements(synthesized);
    // Assess
    expect(sendStatements.map(({ roleId }) => roleId).sort()).toEqual([roles.workflowStep, roles.httpApi, roles.mailEvents].sort());
    for (const { statement } of sendStatements) {
      expect(asArray(statement.Action).sort()).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
      expect(asArray(statement.Resource).map(flat).sort()).toEqual(
        [
          'arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*',
          `arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:configuration-set/${context.sesConfigurationSet}`,
        ].sort(),
      );
      expect(statement.Condition).toEqual({ StringEquals: { 'ses:FromAddress': context.senderAddress } });
    }
  });

  it('with production access (sesSandbox false): from the configured sender only, on its identity and the configuration set', () => {
    // Prepare
    const narrow = synthesize({ sesSandbox: 'false' });
    const context = cdkJsonContext();
    // Assess
    const statements = sesStatements(narrow);
    expect(statements).toHaveLength(3);
    for (const { statement } of statements) {
      expect(asArray(statement.Resource).map(flat).sort()).toEqual(
        [
          `arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/<${logicalId(narrow.stack, narrow.stack.mail.identity)}>`,
          `arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:configuration-set/${context.sesConfigurationSet}`,
        ].sort(),
      );
      expect(statement.Condition).toEqual({ StringEquals: { 'ses:FromAddress': context.senderAddress } });
    }
  });

  it('reports bounces and complaints through an encrypted SNS topic to the mail-events function', () => {
    // Prepare
    const { stack, template } = synthesized;
    const topic = logicalId(stack, stack.mail.eventsTopic!);
    // Assess
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: { Ref: logicalId(stack, stack.mail.configurationSet) },
      EventDestination: { Enabled: true, MatchingEventTypes: Match.arrayEquals(['bounce', 'complaint']), SnsDestination: { TopicARN: { Ref: topic } } },
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: topic },
      Endpoint: { 'Fn::GetAtt': [logicalId(stack, stack.mailEventsFunction), 'Arn'] },
    });
  });

  it('goes through a configuration set that requires TLS, which is the identity’s default', () => {
    const { stack, template } = synthesized;
    const context = cdkJsonContext();
    template.hasResourceProperties('AWS::SES::ConfigurationSet', { Name: context.sesConfigurationSet, DeliveryOptions: { TlsPolicy: 'REQUIRE' } });
    template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: context.senderAddress,
      ConfigurationSetAttributes: { ConfigurationSetName: { Ref: logicalId(stack, stack.mail.configurationSet) } },
    });
  });
});

describe('the workflow, as called by the functions', () => {
  const stateMachine = /:stateMachine:CareQualityEscalation-Escalation$/;
  const executions = /:execution:CareQualityEscalation-Escalation:\*$/;

  it('workflow-step may only start executions (to continue as new) and answer a wait with a decision recorded before it', () => {
    expect(actionsOn(roles.workflowStep, stateMachine)).toEqual(['states:SendTaskSuccess', 'states:StartExecution']);
    expect(actionsOn(roles.workflowStep, executions)).toEqual([]);
  });

  it('http-api may answer task tokens with success, start executions and describe them: nothing it does not call', () => {
    expect(actionsOn(roles.httpApi, stateMachine)).toEqual(['states:SendTaskSuccess', 'states:StartExecution']);
    expect(actionsOn(roles.httpApi, executions)).toEqual(['states:DescribeExecution', 'states:GetExecutionHistory']);
  });

  it('ratings-import may start executions, answer "await inspection" tasks and read whether a task took its answer', () => {
    expect(actionsOn(roles.ratingsImport, stateMachine)).toEqual(['states:SendTaskSuccess', 'states:StartExecution']);
    expect(actionsOn(roles.ratingsImport, executions)).toEqual(['states:DescribeExecution', 'states:GetExecutionHistory']);
  });

  it('no function role is allowed any Step Functions action on another resource', () => {
    for (const roleId of Object.values(roles)) {
      const elsewhere = roleStatements(synthesized.template, roleId).filter(
        (statement) =>
          asArray(statement.Action).some((action) => action.startsWith('states:')) &&
          asArray(statement.Resource).some((value) => !stateMachine.test(flat(value)) && !executions.test(flat(value))),
      );
      expect(elsewhere, roleId).toEqual([]);
    }
  });
});

describe('data', () => {
  it('the table is written by the four functions and nobody else; read by them and the memo publish', () => {
    const { stack, template } = synthesized;
    const table = { 'Fn::GetAtt': [logicalId(stack, stack.table), 'Arn'] };
    expect(rolesAllowed(template, 'dynamodb:PutItem', same(table))).toEqual(Object.values(roles).sort());
    expect(rolesAllowed(template, 'dynamodb:Query', same(table))).toEqual([...Object.values(roles), logicalId(stack, stack.memoPublish.publishFunction.executionRole)].sort());
  });

  it('ratings files are read by ratings-import and uploaded by http-api (under uploads/ only)', () => {
    const { stack } = synthesized;
    const bucket = logicalId(stack, stack.ratings.bucket);
    expect(actionsOn(roles.ratingsImport, new RegExp(`^<${bucket}\\.Arn>/\\*$`))).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(actionsOn(roles.httpApi, new RegExp(`^<${bucket}\\.Arn>/uploads/\\*$`))).toEqual(['s3:PutObject']);
    expect(actionsOn(roles.workflowStep, new RegExp(`<${bucket}\\.Arn>`))).toEqual([]);
  });
});
