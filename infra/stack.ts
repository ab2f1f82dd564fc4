/**
 * Everything the product needs in one AWS account and region (see ../shared/DESIGN.md):
 * the table, the workflow, the four functions, the HTTP API, mail (with its bounces and complaints), the secrets and ratings intake.
 * Deployment choices come from CDK context (see settings.ts); the product configuration from the
 * file that context names, validated at synth.
 */
import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { TABLE_KEYS } from '../functions/lib/table';
import { EscalationApi } from './escalation-api';
import { EscalationFunction } from './escalation-function';
import { EscalationMail } from './escalation-mail';
import { EscalationWorkflow, WorkflowReference } from './escalation-workflow';
import { acknowledge } from './nag';
import { AuditCheckpoint, readAuditCheckpointSettings } from './audit-checkpoint';
import { RatingsIntake } from './ratings-intake';
import { MemoPublish, readMemoPublishSettings } from './memo-publish';
import { ProviderSideResources } from './provider-side';
import { readDeploymentSettings, type DeploymentSettings } from './settings';

export interface EscalationStackProps extends StackProps {
  /**
   * The state machine's name (fixed, so functions can be granted on its ARN before it exists).
   * @default `${stackName}-Escalation`
   */
  readonly stateMachineName?: string;
}

export class EscalationStack extends Stack {
  public readonly settings: DeploymentSettings;
  public readonly table: dynamodb.TableV2;
  public readonly workflow: EscalationWorkflow;
  public readonly workflowStepFunction: EscalationFunction;
  /** The provider's evidence bucket and the daily sweep's schedule. */
  public readonly providerSide: ProviderSideResources;
  public readonly httpApiFunction: EscalationFunction;
  public readonly ratingsImportFunction: EscalationFunction;
  /** SES's bounces and complaints → the email's record, the case page and the lead officer. */
  public readonly mailEventsFunction: EscalationFunction;
  public readonly api: EscalationApi;
  public readonly mail: EscalationMail;
  public readonly ratings: RatingsIntake;
  /** HMAC key for the links in emails. */
  public readonly linkSigningKey: secretsmanager.Secret;
  /** CQC API subscription key, put here by hand after the first deploy. */
  public readonly cqcApiKey: secretsmanager.Secret;
  /** The audit trail's signed checkpoints, outside the table's writers' reach. */
  public readonly auditCheckpoint: AuditCheckpoint;
  /** The memo CSV published daily for neighbouring authorities. */
  public readonly memoPublish: MemoPublish;

  constructor(scope: Construct, id: string, props: EscalationStackProps = {}) {
    super(scope, id, props);
    const settings = readDeploymentSettings(this);
    this.settings = settings;
    for (const placeholder of settings.placeholders) {
      Annotations.of(this).addWarningV2(placeholder.id, placeholder.message);
    }
    const alarmAction = settings.alarmTopicArn
      ? new actions.SnsAction(sns.Topic.fromTopicArn(this, 'AlarmTopic', settings.alarmTopicArn))
      : undefined;

    // ---- state -------------------------------------------------------------------------------
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      globalSecondaryIndexes: [
        {
          indexName: TABLE_KEYS.gsi1.name,
          partitionKey: { name: TABLE_KEYS.gsi1.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: { name: TABLE_KEYS.gsi1.sortKey, type: dynamodb.AttributeType.STRING },
        },
      ],
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.linkSigningKey = new secretsmanager.Secret(this, 'LinkSigningKey', {
      description: 'HMAC-SHA256 key for the signed links in emails',
      // 64 random characters from [A-Za-z0-9] (~380 bits). The functions use the string's bytes as
      // the key (functions/lib/aws-deps.ts); links.ts refuses anything under 32 bytes.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    acknowledge(
      this.linkSigningKey,
      'AwsSolutions-SMG4',
      'Not rotated automatically: links already in inboxes are signed with the current key, and a rotation ' +
        'would invalidate them all at once. Rotate by hand (put-secret-value) when the key may be exposed.',
    );
    this.cqcApiKey = new secretsmanager.Secret(this, 'CqcApiKey', {
      description:
        "CQC API subscription key. Replace the generated placeholder with the key from CQC's developer portal: " +
        'aws secretsmanager put-secret-value --secret-id <CqcApiKeySecretArn> --secret-string <key>',
    });
    acknowledge(
      this.cqcApiKey,
      'AwsSolutions-SMG4',
      "The key is issued by CQC's developer portal: a rotation Lambda cannot obtain a new one. It is replaced by " +
        'hand when CQC reissues it.',
    );

    this.mail = new EscalationMail(this, 'Mail', {
      senderAddress: settings.senderAddress,
      identity: settings.sesIdentity,
      configurationSetName: settings.sesConfigurationSet,
      importIdentity: settings.sesImportIdentity,
      importConfigurationSet: settings.sesImportConfigurationSet,
      sandbox: settings.sesSandbox,
    });

    // ---- functions ---------------------------------------------------------------------------
    // The state machine's ARN is built from its fixed name: the functions it invokes can then be
    // granted on it (and told it) without a dependency cycle.
    const stateMachineName = props.stateMachineName ?? `${this.stackName}-Escalation`;
    const workflowRef = new WorkflowReference(this, 'WorkflowReference', stateMachineName);
    const common = { APP_CONFIG: settings.appConfigJson, STATE_MACHINE_ARN: workflowRef.stateMachineArn };

    this.workflowStepFunction = new EscalationFunction(this, 'WorkflowStep', {
      source: 'workflow-step',
      description: 'The steps of the escalation workflow: records, emails, pending tasks',
      timeout: Duration.seconds(60),
      environment: common,
    })
      .bindTable(this.table)
      .bindSecret(this.linkSigningKey, 'SIGNING_KEY_SECRET_ARN');
    this.mail.bind(this.workflowStepFunction);
    workflowRef.grantStartExecution(this.workflowStepFunction); // continue as a new execution
    workflowRef.grantTaskResponse(this.workflowStepFunction, ['states:SendTaskSuccess']); // a wait takes a decision recorded before it

    this.httpApiFunction = new EscalationFunction(this, 'HttpApi', {
      source: 'http-api',
      description: 'Email links, Board and admin endpoints, pages',
      // The pages' stylesheets, scripts, fonts and images, read by functions/web/assets.ts.
      bundleFiles: {
        'functions/web/assets': 'assets',
        'node_modules/govuk-frontend/dist/govuk/assets': 'assets/govuk',
        'node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css': 'assets/govuk',
      },
      timeout: Duration.seconds(29), // API Gateway gives up on an integration after 30 s
      environment: common,
    })
      .bindTable(this.table)
      .bindSecret(this.linkSigningKey, 'SIGNING_KEY_SECRET_ARN');
    this.mail.bind(this.httpApiFunction);
    workflowRef.grantTaskResponse(this.httpApiFunction, ['states:SendTaskSuccess']); // decisions from links and the Board
    workflowRef.grantStartExecution(this.httpApiFunction);
    workflowRef.grantExecutionControl(this.httpApiFunction);

    this.ratingsImportFunction = new EscalationFunction(this, 'RatingsImport', {
      source: 'ratings-import',
      description: "Ingests CQC's ratings file and changes feed",
      memorySize: 1024,
      timeout: Duration.minutes(15),
      environment: common,
    })
      .bindTable(this.table)
      .bindSecret(this.cqcApiKey, 'CQC_KEY_SECRET_ARN');
    workflowRef.grantStartExecution(this.ratingsImportFunction);
    workflowRef.grantTaskResponse(this.ratingsImportFunction, ['states:SendTaskSuccess']); // a new rating answers "await inspection"
    workflowRef.grantExecutionControl(this.ratingsImportFunction); // ...settled like any decision; owed case openings

    this.mailEventsFunction = new EscalationFunction(this, 'MailEvents', {
      source: 'mail-events',
      description: 'Bounces and complaints from SES: marks the email on its case and tells the lead officer',
      environment: common,
    }).bindTable(this.table);
    this.mail.bind(this.mailEventsFunction);
    this.mail.deliverEventsTo(this.mailEventsFunction);

    // ---- workflow, API, intake ---------------------------------------------------------------
    this.workflow = new EscalationWorkflow(this, 'Workflow', {
      stateMachineName,
      workflowStepFunction: this.workflowStepFunction,
      ...(alarmAction ? { alarmAction } : {}),
    });

    this.api = new EscalationApi(this, 'Api', {
      handler: this.httpApiFunction,
      jwtIssuer: settings.jwtIssuer,
      jwtAudience: settings.jwtAudience,
      ...(alarmAction ? { alarmAction } : {}),
    });

    this.ratings = new RatingsIntake(this, 'RatingsIntake', { importFunction: this.ratingsImportFunction });
    this.ratings.grantUpload(this.httpApiFunction);
    this.providerSide = new ProviderSideResources(this, 'ProviderSide', { sweepFunction: this.workflowStepFunction, evidenceFunction: this.httpApiFunction, accessLogsBucket: this.ratings.accessLogsBucket });

    this.auditCheckpoint = new AuditCheckpoint(this, 'AuditCheckpoint', {
      table: this.table,
      accessLogsBucket: this.ratings.accessLogsBucket,
      ...readAuditCheckpointSettings(this),
    });
    this.auditCheckpoint.grantVerify(this.httpApiFunction);

    this.memoPublish = new MemoPublish(this, 'MemoPublish', {
      table: this.table,
      environment: { APP_CONFIG: settings.appConfigJson },
      accessLogsBucket: this.ratings.accessLogsBucket,
      ...readMemoPublishSettings(this),
    });

    if (alarmAction) {
      for (const fn of [this.workflowStepFunction, this.httpApiFunction, this.ratingsImportFunction, this.auditCheckpoint.checkpointFunction, this.mailEventsFunction, this.memoPublish.publishFunction]) {
        fn.errorsAlarm.addAlarmAction(alarmAction);
      }
    }

    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ApiUrl', {
      value: this.api.url,
      description: 'Base URL for links in emails (authority.baseUrl), unless a custom domain is used',
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'RatingsBucketName', { value: this.ratings.bucket.bucketName });
    new CfnOutput(this, 'MemoBucketName', {
      value: this.memoPublish.bucket.bucketName,
      description: 'Where the memo CSV is published (memo/latest.csv): npm run memo:share -- --bucket <this> makes a link',
    });
    new CfnOutput(this, 'AuditCheckpointBucketName', { value: this.auditCheckpoint.bucket.bucketName });
    new CfnOutput(this, 'CqcApiKeySecretArn', {
      value: this.cqcApiKey.secretArn,
      description: 'Put the CQC API subscription key here after the first deploy',
    });
  }
}
