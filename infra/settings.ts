/**
 * Deployment settings: what the council's IT chooses per account, read from CDK context
 * (`cdk.json` "context", or `cdk deploy -c key=value`) and validated once, so a typo fails
 * `cdk synth` with a message naming the key instead of producing a stack that deploys and misbehaves.
 *
 * | context key                 | meaning                                                                       | default                        |
 * |-----------------------------|-------------------------------------------------------------------------------|--------------------------------|
 * | `appConfigFile`             | the product configuration (officers, Board, policy), validated with `configSchema` | `infra/app-config.example.json` |
 * | `senderAddress`             | the From address of every email                                               | required (cdk.json)            |
 * | `sesConfigurationSet`       | the SES configuration set every email is sent through                         | required (cdk.json)            |
 * | `sesIdentity`               | the SES identity that covers the sender: the address itself or its domain     | `senderAddress`                |
 * | `sesImportIdentity`         | `true` when that identity is already verified outside this stack              | `false` (the stack creates it) |
 * | `sesImportConfigurationSet` | `true` when the configuration set already exists outside this stack           | `false` (the stack creates it) |
 * | `sesSandbox`                | `true` while the account is in the SES sandbox (recipients are identities too) | `true` (every new account is)  |
 * | `jwtIssuer`                 | issuer of the tokens admin, Board and page routes accept (https URL)           | placeholder in cdk.json        |
 * | `jwtAudience`               | audience (client id) those tokens must carry; several separated by commas     | placeholder in cdk.json        |
 * | `alarmTopicArn`             | an SNS topic the stack's alarms notify                                        | none (alarms without actions)  |
 *
 * JWT: any OIDC provider whose tokens API Gateway can verify works. With Amazon Cognito the issuer
 * is `https://cognito-idp.<region>.amazonaws.com/<user pool id>` and the audience the app client id;
 * with Microsoft Entra ID, `https://login.microsoftonline.com/<tenant id>/v2.0` and the application
 * (client) id. The placeholders in cdk.json use the reserved `.invalid` domain: they can never
 * validate a token, so a stack deployed with them refuses every authenticated call (fails closed),
 * and synth warns until they are replaced.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Construct } from 'constructs';
import { parseConfig, type AppConfig } from '../functions/lib/config';
import { projectPath } from './paths';

export const DEFAULT_APP_CONFIG_FILE = 'infra/app-config.example.json';

/**
 * Lambda allows 4 KB for all environment variables of a function together. The configuration
 * travels as one of them (APP_CONFIG), next to a few ARNs and names; beyond this it no longer fits.
 */
export const MAX_APP_CONFIG_BYTES = 3072;

/** Hosts that mark a value as a placeholder (RFC 2606 reserved names). */
const PLACEHOLDER_HOST = /(^|\.)(invalid|example|example\.(com|org|net))$/i;

const CONTEXT_KEYS = [
  'appConfigFile',
  'senderAddress',
  'sesConfigurationSet',
  'sesIdentity',
  'sesImportIdentity',
  'sesImportConfigurationSet',
  'sesSandbox',
  'jwtIssuer',
  'jwtAudience',
  'alarmTopicArn',
] as const;

/** `-c key=true` arrives as a string; cdk.json gives a boolean. Accept both, nothing else. */
const flag = z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean());

const contextSchema = z
  .object({
    appConfigFile: z.string().min(1).default(DEFAULT_APP_CONFIG_FILE),
    senderAddress: z.string().email(),
    sesConfigurationSet: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only, at most 64'),
    sesIdentity: z.string().min(1).optional(),
    sesImportIdentity: flag.default(false),
    sesImportConfigurationSet: flag.default(false),
    sesSandbox: flag.default(true),
    jwtIssuer: z
      .string()
      .url()
      .refine((url) => url.startsWith('https://'), 'must be an https URL (API Gateway fetches its keys over TLS)'),
    jwtAudience: z
      .union([z.string(), z.array(z.string())])
      .transform((value) => (typeof value === 'string' ? value.split(',') : value).map((item) => item.trim()).filter(Boolean))
      .pipe(z.array(z.string()).min(1, 'at least one audience')),
    alarmTopicArn: z.string().regex(/^arn:[^:]+:sns:/, 'an SNS topic ARN').optional(),
  })
  .superRefine((context, issues) => {
    const identity = context.sesIdentity ?? context.senderAddress;
    const covered = identity.includes('@')
      ? identity.toLowerCase() === context.senderAddress.toLowerCase()
      : context.senderAddress.toLowerCase().endsWith(`@${identity.toLowerCase()}`);
    if (!covered) {
      issues.addIssue({
        code: 'custom',
        path: ['sesIdentity'],
        message: `${identity} does not cover the sender ${context.senderAddress}: give the sender address or its domain`,
      });
    }
  });

export interface DeploymentSettings {
  /** Absolute path of the product configuration file that was read. */
  readonly appConfigFile: string;
  /** The validated configuration, with mail.sender and mail.configurationSet set from context. */
  readonly appConfig: AppConfig;
  /** `appConfig` as the functions receive it (APP_CONFIG). */
  readonly appConfigJson: string;
  readonly senderAddress: string;
  readonly sesConfigurationSet: string;
  /** An email address or a domain. */
  readonly sesIdentity: string;
  readonly sesImportIdentity: boolean;
  readonly sesImportConfigurationSet: boolean;
  /** The account is in the SES sandbox: the send grant covers the (verified) recipients' identities too. */
  readonly sesSandbox: boolean;
  readonly jwtIssuer: string;
  readonly jwtAudience: string[];
  readonly alarmTopicArn?: string;
  /** Values that are still placeholders, for synth to warn about (acknowledgeable by id). */
  readonly placeholders: Placeholder[];
}

export interface Placeholder {
  readonly id: string;
  readonly message: string;
}

export class DeploymentSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeploymentSettingsError';
  }
}

/** Reads and validates the context of `scope` and the product configuration it names. */
export function readDeploymentSettings(scope: Construct): DeploymentSettings {
  const raw = Object.fromEntries(
    CONTEXT_KEYS.map((key) => [key, scope.node.tryGetContext(key) as unknown]).filter(([, value]) => value !== undefined),
  );
  const parsed = contextSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DeploymentSettingsError(
      'Invalid CDK context (cdk.json "context", or -c key=value):\n' +
        parsed.error.issues.map((issue) => `  - ${issue.path.join('.') || '(root)'}: ${issue.message}`).join('\n'),
    );
  }
  const context = parsed.data;
  const appConfigFile = projectPath(context.appConfigFile);
  const appConfig = loadDeployedAppConfig(appConfigFile, {
    sender: context.senderAddress,
    configurationSet: context.sesConfigurationSet,
  });
  const appConfigJson = JSON.stringify(appConfig);
  if (Buffer.byteLength(appConfigJson) > MAX_APP_CONFIG_BYTES) {
    throw new DeploymentSettingsError(
      `The configuration in ${appConfigFile} is ${Buffer.byteLength(appConfigJson)} bytes as JSON; ` +
        `at most ${MAX_APP_CONFIG_BYTES} fit in a Lambda environment variable next to the others. ` +
        'Move the lists of people to an SSM parameter or S3 object before growing it further.',
    );
  }

  const placeholders: Placeholder[] = [];
  if (PLACEHOLDER_HOST.test(new URL(appConfig.authority.baseUrl).hostname)) {
    placeholders.push({
      id: 'care-quality-escalation:placeholder-base-url',
      message:
        `authority.baseUrl in ${context.appConfigFile} is the placeholder ${appConfig.authority.baseUrl}: links in emails ` +
        'will not work. Set it to the ApiUrl output (after the first deploy) or to your custom domain.',
    });
  }
  if (PLACEHOLDER_HOST.test(new URL(context.jwtIssuer).hostname)) {
    placeholders.push({
      id: 'care-quality-escalation:placeholder-jwt-issuer',
      message:
        `jwtIssuer is the placeholder ${context.jwtIssuer}: every admin, Board and page request will get 401. ` +
        'Set jwtIssuer and jwtAudience in cdk.json (or -c) to your identity provider.',
    });
  }

  return {
    appConfigFile,
    appConfig,
    appConfigJson,
    senderAddress: context.senderAddress,
    sesConfigurationSet: context.sesConfigurationSet,
    sesIdentity: context.sesIdentity ?? context.senderAddress,
    sesImportIdentity: context.sesImportIdentity,
    sesImportConfigurationSet: context.sesImportConfigurationSet,
    sesSandbox: context.sesSandbox,
    jwtIssuer: context.jwtIssuer,
    jwtAudience: context.jwtAudience,
    ...(context.alarmTopicArn ? { alarmTopicArn: context.alarmTopicArn } : {}),
    placeholders,
  };
}

/**
 * Reads and validates the product configuration for AWS. The sender and configuration set come
 * from context, because IAM is scoped to exactly those: a different address in the file would make
 * every send fail with AccessDenied. Secrets never travel in it: the CQC key is in Secrets Manager.
 */
export function loadDeployedAppConfig(file: string, mail: { sender: string; configurationSet: string }): AppConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new DeploymentSettingsError(`Cannot read the configuration ${file}: ${(error as Error).message}`);
  }
  const config = parseConfig(raw, file); // throws ConfigError listing every invalid field
  if (config.cqcApi?.subscriptionKey !== undefined) {
    throw new DeploymentSettingsError(
      `Invalid configuration in ${file}:\n  - cqcApi.subscriptionKey: must not be in the deployed configuration ` +
        "(it would sit in plain text in the template and the function's environment); put the key in the " +
        "stack's CQC API key secret (output CqcApiKeySecretArn) instead",
    );
  }
  return { ...config, mail: { ...config.mail, sender: mail.sender, configurationSet: mail.configurationSet } };
}
