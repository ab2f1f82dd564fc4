/**
 * The escalation workflow on AWS: the Standard state machine built from the one definition in
 * `workflows/` (the same string the local runtime executes, substituted the same way), with its
 * execution log group, X-Ray tracing, alarms, and a role that may invoke the workflow-step
 * function and nothing else.
 *
 * Functions that call back into the workflow (StartExecution, SendTaskSuccess...) are granted on
 * a `WorkflowReference`: the ARN built from the fixed state machine name. That breaks
 * the cycle "state machine needs the function's ARN, the function's policy needs the state
 * machine's ARN" without widening any permission.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SUBSTITUTION_KEYS, escalationDefinitionString } from '../workflows/escalation';
import { acknowledge, acknowledgeWildcards } from './nag';

export type SubstitutionKey = (typeof SUBSTITUTION_KEYS)[number];

export interface EscalationWorkflowProps {
  /** The state machine's name, fixed so its ARN can be known before it exists. */
  readonly stateMachineName: string;
  /** The function behind every Lambda task in the definition (`${WorkflowStepFunctionArn}`). */
  readonly workflowStepFunction: lambda.IFunction;
  /**
   * The ASL definition with `${...}` placeholders.
   * @default escalationDefinitionString() from workflows/
   */
  readonly definition?: string;
  /**
   * How long execution logs are kept. They carry state names, event types and error names, never
   * execution data (inputs, outputs, task tokens, letters' facts): see the logging note below.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Where the alarms notify.
   * @default - alarms without actions (visible in the console only)
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

/**
 * The workflow as a function that calls it sees it: ARNs built from the fixed name, and the
 * grants each caller needs, each on the state machine or its executions and nothing else.
 */
export class WorkflowReference extends Construct {
  public readonly stateMachineName: string;
  public readonly stateMachineArn: string;
  /** arn:…:states:<region>:<account>:execution:<name>:* */
  public readonly executionsArn: string;
  private readonly stateMachine: sfn.IStateMachine;

  constructor(scope: Construct, id: string, stateMachineName: string) {
    super(scope, id);
    this.stateMachineName = stateMachineName;
    this.stateMachine = sfn.StateMachine.fromStateMachineName(this, 'StateMachine', stateMachineName);
    this.stateMachineArn = this.stateMachine.stateMachineArn;
    this.executionsArn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /** StartExecution: open a case's workflow, or continue it as a new execution. */
  public grantStartExecution(grantee: iam.IGrantable): void {
    this.stateMachine.grantStartExecution(grantee);
  }

  /** Answer a waiting task through its token (all three calls unless `actions` narrows them). */
  public grantTaskResponse(
    grantee: iam.IGrantable,
    actions: readonly string[] = ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
  ): void {
    this.stateMachine.grant(grantee, ...actions);
  }

  /**
   * DescribeExecution and GetExecutionHistory on this state machine's executions: resuming a case
   * checks its execution, and settling a recorded decision reads whether its task already took it.
   */
  public grantExecutionControl(grantee: iam.IGrantable): void {
    this.stateMachine.grantExecution(grantee, 'states:DescribeExecution', 'states:GetExecutionHistory');
    const principal = grantee.grantPrincipal;
    if (Construct.isConstruct(principal)) {
      acknowledgeWildcards(
        principal,
        [this.executionsArn],
        'DescribeExecution and GetExecutionHistory on executions of the escalation state machine only; an execution ARN ' +
          'ends with the execution name, which is per case and not known in advance.',
      );
    }
  }
}

export class EscalationWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;
  public readonly failedAlarm: cloudwatch.Alarm;
  public readonly timedOutAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: EscalationWorkflowProps) {
    super(scope, id);
    const definition = props.definition ?? escalationDefinitionString();
    const substitutions: Record<SubstitutionKey, string> = {
      WorkflowStepFunctionArn: props.workflowStepFunction.functionArn,
    };
    assertEverySubstitutionProvided(definition, substitutions);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // Under /aws/vendedlogs/ so Step Functions need not grow the account's CloudWatch Logs
      // resource policy for each state machine (it has a size limit).
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(definition),
      definitionSubstitutions: substitutions,
      tracingEnabled: true,
      // Every event, but without execution data: inputs and outputs would put task tokens (which
      // answer a waiting step) and the facts of a case (names, addresses, concerns) in CloudWatch
      // for a year. What a step did is in the case record and its audit trail; the logs say which
      // state ran, when, and with which error name.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    // The definition is a string, so CDK cannot infer what it calls: grant exactly that function
    // (and its versions, `:*`, should the definition ever name a qualified ARN).
    props.workflowStepFunction.grantInvoke(this.stateMachine);
    acknowledgeWildcards(
      this.stateMachine.role,
      [`${props.workflowStepFunction.functionArn}:*`],
      'Versions and aliases of the workflow-step function only (grantInvoke), so a definition naming a ' +
        'qualified ARN keeps working; no other function can be invoked.',
    );
    acknowledge(
      this.stateMachine.role,
      'AwsSolutions-IAM5[Resource::*]',
      'Only what CDK adds for execution logging (logs:CreateLogDelivery and the other CloudWatch Logs delivery ' +
        'actions) and for X-Ray tracing: neither service supports resource-level permissions for these actions. ' +
        'A test checks nothing else on this role uses Resource *.',
    );

    const period = Duration.minutes(5);
    this.failedAlarm = this.alarm('ExecutionsFailedAlarm', 'An escalation execution failed', this.stateMachine.metricFailed({ period }));
    this.timedOutAlarm = this.alarm(
      'ExecutionsTimedOutAlarm',
      'An escalation execution timed out',
      this.stateMachine.metricTimedOut({ period }),
    );
    if (props.alarmAction) {
      for (const alarm of [this.failedAlarm, this.timedOutAlarm]) alarm.addAlarmAction(props.alarmAction);
    }
  }

  private alarm(id: string, description: string, metric: cloudwatch.IMetric): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}

/** A placeholder left unsubstituted would deploy a machine whose tasks call `${...}`: fail synth instead. */
function assertEverySubstitutionProvided(definition: string, substitutions: Record<string, string>): void {
  const used = new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1]));
  const missing = [...used].filter((name) => name !== undefined && !(name in substitutions));
  if (missing.length > 0) {
    throw new Error(`The workflow definition uses placeholders with no substitution: ${missing.join(', ')}`);
  }
}
