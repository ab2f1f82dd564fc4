/**
 * Sending mail: the SES identity that covers the sender and the configuration set every message
 * goes through, created here or imported when the council already has them. `bind` grants a
 * function SendEmail/SendRawEmail from exactly the sender address (`ses:FromAddress`), through
 * the configuration set, and tells it both names (SENDER, CONFIGURATION_SET).
 *
 * In the SES sandbox (every new account is in it until production access is granted) SES also
 * authorizes each recipient against its verified identity, so a grant on the sender's identity
 * alone is refused for every message ("not authorized to perform ses:SendEmail on resource
 * …:identity/<recipient>"). With `sandbox` the grant covers the account's identities, still from
 * the sender address only; without it, the sender's identity only.
 *
 * `deliverEventsTo` sends the configuration set's bounces and complaints to a function (an
 * encrypted SNS topic in between).
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { acknowledgeWildcards } from './nag';

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
  /**
   * The account is in the SES sandbox: recipients are verified identities too, and the grant
   * must cover them (from the sender address only).
   * @default false
   */
  readonly sandbox?: boolean;
}

export class EscalationMail extends Construct {
  public readonly senderAddress: string;
  public readonly configurationSet: ses.IConfigurationSet;
  public readonly identity: ses.IEmailIdentity;
  /** arn:…:ses:<region>:<account>:configuration-set/<name> */
  public readonly configurationSetArn: string;
  public readonly configurationSetName: string;
  /** Where the configuration set publishes bounces and complaints (once `deliverEventsTo` is called). */
  public eventsTopic?: sns.Topic;
  private readonly sandbox: boolean;
  /** arn:…:ses:<region>:<account>:identity/* (the sandbox grant) */
  private readonly allIdentitiesArn: string;

  constructor(scope: Construct, id: string, props: EscalationMailProps) {
    super(scope, id);
    this.senderAddress = props.senderAddress;
    this.configurationSetName = props.configurationSetName;
    this.sandbox = props.sandbox ?? false;
    this.allIdentitiesArn = Stack.of(this).formatArn({ service: 'ses', resource: 'identity', resourceName: '*' });

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
        resources: [this.sandbox ? this.allIdentitiesArn : this.identity.emailIdentityArn, this.configurationSetArn],
        conditions: { StringEquals: { 'ses:FromAddress': this.senderAddress } },
      }),
    );
    if (this.sandbox && fn.role) {
      acknowledgeWildcards(
        fn.role,
        [this.allIdentitiesArn],
        'SES sandbox: SES authorizes each recipient against its verified identity as well as the sender, so the ' +
          'grant covers the identities of this account and region; the ses:FromAddress condition still allows ' +
          'sending from the configured sender only. Set sesSandbox to false after production access to narrow it.',
      );
    }
    fn.addEnvironment('SENDER', this.senderAddress);
    fn.addEnvironment('CONFIGURATION_SET', this.configurationSetName);
  }

  /**
   * Bounces and complaints of every message sent through the configuration set go to `fn`:
   * SES → an SNS topic encrypted with a key of ours (SES may use it, nobody else publishes) → `fn`.
   */
  public deliverEventsTo(fn: lambda.IFunction): sns.Topic {
    const stack = Stack.of(this);
    const key = new kms.Key(this, 'EventsKey', {
      description: 'Encrypts the SES bounce and complaint notifications (addresses of people)',
      enableKeyRotation: true,
    });
    // SES publishes to the encrypted topic: it must be able to make data keys with this key.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        resources: ['*'], // in a key policy, "*" is this key
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account, 'aws:SourceArn': this.configurationSetArn } },
      }),
    );
    const topic = new sns.Topic(this, 'EventsTopic', { masterKey: key, enforceSSL: true, displayName: 'SES bounces and complaints' });
    new ses.ConfigurationSetEventDestination(this, 'BouncesAndComplaints', {
      configurationSet: this.configurationSet,
      destination: ses.EventDestination.snsTopic(topic),
      events: [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT],
    });
    topic.addSubscription(new subscriptions.LambdaSubscription(fn));
    this.eventsTopic = topic;
    return topic;
  }
}
