import { beforeAll, describe, expect, it } from 'vitest';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SUBSTITUTION_KEYS, escalationDefinitionString, substitute } from '../../workflows/escalation';
import { EscalationWorkflow } from '../../infra/escalation-workflow';
import { asArray, flat, logicalId, roleStatements, synthesize, type Synthesized } from './support';

let synthesized: Synthesized;
let stateMachine: { Type: string; Properties: Record<string, any> };
beforeAll(() => {
  synthesized = synthesize();
  const machines = synthesized.template.findResources('AWS::StepFunctions::StateMachine');
  expect(Object.keys(machines)).toHaveLength(1);
  stateMachine = Object.values(machines)[0] as typeof stateMachine;
});

describe('the deployed definition', () => {
  it('is exactly the string the local runtime runs (escalationDefinitionString)', () => {
    // Assess: the template carries the string itself, not a rendering of it.
    expect(stateMachine.Properties.DefinitionString).toBe(escalationDefinitionString());
  });

  it('substitutes every placeholder, and WorkflowStepFunctionArn is the workflow-step function', () => {
    // Prepare
    const { stack } = synthesized;
    const placeholders = [...escalationDefinitionString().matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1]);
    // Assess
    expect(Object.keys(stateMachine.Properties.DefinitionSubstitutions).sort()).toEqual([...SUBSTITUTION_KEYS].sort());
    expect(new Set(placeholders)).toEqual(new Set(SUBSTITUTION_KEYS));
    expect(stateMachine.Properties.DefinitionSubstitutions.WorkflowStepFunctionArn).toEqual({
      'Fn::GetAtt': [logicalId(stack, stack.workflowStepFunction), 'Arn'],
    });
  });

  it('becomes, substituted as Step Functions does, what the local runtime substitutes', () => {
    // Prepare: what CloudFormation's DefinitionSubstitutions does (replace each ${Key}).
    const arn = 'arn:aws:lambda:eu-west-2:123456789012:function:WorkflowStep';
    const byCloudFormation = Object.entries({ WorkflowStepFunctionArn: arn }).reduce(
      (text, [key, value]) => text.split(`\${${key}}`).join(value),
      stateMachine.Properties.DefinitionString as string,
    );
    // Assess
    expect(byCloudFormation).toBe(substitute(escalationDefinitionString(), { WorkflowStepFunctionArn: arn }));
    expect(byCloudFormation).not.toContain('${');
  });

  it('fails synth when the definition uses a placeholder nobody substitutes', () => {
    // Prepare
    const stack = new Stack(new App(), 'Probe');
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    // Act / Assess
    expect(
      () =>
        new EscalationWorkflow(stack, 'Workflow', {
          stateMachineName: 'Probe',
          workflowStepFunction: fn,
          definition: escalationDefinitionString().replace('${WorkflowStepFunctionArn}', '${SomethingElse}'),
        }),
    ).toThrow(/SomethingElse/);
  });
});

describe('the state machine', () => {
  it('is a Standard state machine with X-Ray tracing', () => {
    expect(stateMachine.Properties.StateMachineType).toBe('STANDARD');
    expect(stateMachine.Properties.TracingConfiguration).toEqual({ Enabled: true });
  });

  it('logs ALL events without execution data (no task tokens or case facts in CloudWatch), to its own log group with a retention', () => {
    // Prepare
    const { stack, template } = synthesized;
    const logGroupId = logicalId(stack, stack.workflow.logGroup);
    // Assess
    expect(stateMachine.Properties.LoggingConfiguration).toEqual({
      Level: 'ALL',
      IncludeExecutionData: false,
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } } }],
    });
    expect(template.toJSON().Resources[logGroupId].Properties.RetentionInDays).toBeGreaterThan(0);
  });

  it('has the fixed name the functions were granted on (STATE_MACHINE_ARN)', () => {
    // Prepare
    const { stack, template } = synthesized;
    const name = stateMachine.Properties.StateMachineName as string;
    const functions = [stack.workflowStepFunction, stack.httpApiFunction, stack.ratingsImportFunction];
    // Assess
    expect(name).toBe(`${stack.stackName}-Escalation`);
    for (const fn of functions) {
      const variables = template.toJSON().Resources[logicalId(stack, fn)].Properties.Environment.Variables;
      expect(flat(variables.STATE_MACHINE_ARN)).toBe(
        `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:${name}`,
      );
    }
  });

  it('may invoke the workflow-step function (and its versions) and no other', () => {
    // Prepare
    const { stack, template } = synthesized;
    const roleId = logicalId(stack, stack.workflow.stateMachine.role);
    const fnArn = { 'Fn::GetAtt': [logicalId(stack, stack.workflowStepFunction), 'Arn'] };
    const lambdaStatements = roleStatements(template, roleId).filter((statement) =>
      asArray(statement.Action).some((action) => action.startsWith('lambda:')),
    );
    // Assess
    expect(lambdaStatements).toHaveLength(1);
    expect(lambdaStatements[0]?.Action).toBe('lambda:InvokeFunction');
    expect(asArray(lambdaStatements[0]?.Resource).map(flat).sort()).toEqual([flat(fnArn), `${flat(fnArn)}:*`].sort());
    expect(template.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
  });

  it("uses Resource '*' only for the log-delivery and X-Ray actions that cannot be scoped", () => {
    const { stack, template } = synthesized;
    const roleId = logicalId(stack, stack.workflow.stateMachine.role);
    const unscoped = roleStatements(template, roleId)
      .filter((statement) => asArray(statement.Resource).includes('*'))
      .flatMap((statement) => asArray(statement.Action));
    expect(unscoped.length).toBeGreaterThan(0);
    for (const action of unscoped) expect(action).toMatch(/^(xray:|logs:(Create|Get|Update|Delete|List)LogDeliver|logs:(Put|Describe)ResourcePolic|logs:DescribeLogGroups$)/);
  });

  it('raises alarms on failed and timed-out executions', () => {
    const { stack, template } = synthesized;
    for (const metricName of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metricName,
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId(stack, stack.workflow.stateMachine) } }],
        Threshold: 1,
      });
    }
  });

  it('outputs its ARN', () => {
    const { stack, template } = synthesized;
    template.hasOutput('StateMachineArn', { Value: { Ref: logicalId(stack, stack.workflow.stateMachine) } });
  });
});
