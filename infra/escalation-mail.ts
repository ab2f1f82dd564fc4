/**
 * Sending mail: the SES identity that covers the sender and the configuration set every message
 * goes through, created here or imported when the council already has them. `bind` grants a
 * function SendEmail/SendRawEmail on exactly that identity and configuration set, from exactly
 * the sender address, and tells it both names (SENDER, CONFIGURATION_SET).
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

export interface EscalationMailProps {
  /** The From address of every message. */
  readonly senderAddress: string;
  /** The SES identity covering the sender: the address itself or its domain. */
  readonly identity: string;
  /** The configuration set's name. */
  readonly configurationSetName: string;
  /**
   * The identity is already verified outside this stack: reference it, do not create it.
   * @default false
   */
  readonly importIdentity?: boolean;
  /**
   * The configuration set already exists outside this stack: reference it, do not create it.
   * @default false
   */
  readonly importConfigurationSet?: boolean;
}

export class EscalationMail extends Construct {
  public readonly senderAddress: string;
  public readonly configurationSet: ses.IConfigurationSet;
  public readonly identity: ses.IEmailIdentity;
  /** arn:…:ses:<region>:<account>:configuration-set/<name> */
  public readonly configurationSetArn: string;
  public readonly configurationSetName: string;

  constructor(scope: Construct, id: string, props: EscalationMailProps) {
    super(scope, id);
    this.senderAddress = props.senderAddress;
    this.configurationSetName = props.configurationSetName;

    this.configurationSet = props.importConfigurationSet
      ? ses.ConfigurationSet.fromConfigurationSetName(this, 'ConfigurationSet', props.configurationSetName)
      : new ses.ConfigurationSet(this, 'ConfigurationSet', {
          configurationSetName: props.configurationSetName,
          // The mail is about care providers and the people they look after: never in clear text.
          tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
          reputationMetrics: true,
          suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
        });
    this.configurationSetArn = Stack.of(this).formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: props.configurationSetName,
    });

    this.identity = props.importIdentity
      ? ses.EmailIdentity.fromEmailIdentityName(this, 'Identity', props.identity)
      : new ses.EmailIdentity(this, 'Identity', {
          identity: props.identity.includes('@') ? ses.Identity.email(props.identity) : ses.Identity.domain(props.identity),
          configurationSet: this.configurationSet,
        });
  }

  /** Lets `fn` send as the sender through the configuration set, and tells it both names. */
  public bind(fn: lambda.Function): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'SendAsTheConfiguredSender',
        actions: ['ses:SendEmail', 'ses:SendRawEmail'],
        resources: [this.identity.emailIdentityArn, this.configurationSetArn],
        conditions: { StringEquals: { 'ses:FromAddress': this.senderAddress } },
      }),
    );
    fn.addEnvironment('SENDER', this.senderAddress);
    fn.addEnvironment('CONFIGURATION_SET', this.configurationSetName);
  }
}
