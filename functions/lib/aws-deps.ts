/**
 * Dependencies on AWS, built once per cold start from the environment the stack sets. The local
 * runtime builds the same `LadderDeps` with clients pointed at loopback and its virtual clock.
 */
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { systemClock } from './clock';
import { configFromEnvironment } from './config';
import { keyFromBase64 } from './links';
import { Store } from './store';
import { documentClient } from './table';
import type { LadderDeps } from '../ladder/context';

const environmentSchema = z.object({
  TABLE_NAME: z.string().min(1),
  STATE_MACHINE_ARN: z.string().min(1),
  SIGNING_KEY_SECRET_ARN: z.string().min(1).optional(),
});

let cached: Promise<LadderDeps> | undefined;

/** A secret's text, read once per cold start. */
export async function readSecret(secretArn: string): Promise<string> {
  const secret = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!secret.SecretString) throw new Error(`Secret ${secretArn} has no text value`);
  return secret.SecretString;
}

/**
 * Reads configuration and the link-signing key once; a bad environment fails the cold start,
 * loudly. A function not granted the key (ratings import) gets an empty one, which signLink
 * refuses, so it can never sign a link by accident.
 */
export function lambdaDeps(): Promise<LadderDeps> {
  cached ??= (async () => {
    const env = environmentSchema.parse(process.env);
    const signingSecret = env.SIGNING_KEY_SECRET_ARN ? await readSecret(env.SIGNING_KEY_SECRET_ARN) : undefined;
    const config = configFromEnvironment();
    const sender = process.env.SENDER ?? config.mail.sender;
    return {
      store: new Store(documentClient(), env.TABLE_NAME),
      config: { ...config, mail: { ...config.mail, sender, configurationSet: process.env.CONFIGURATION_SET ?? config.mail.configurationSet } },
      clock: systemClock,
      ses: new SESClient({}),
      sfn: new SFNClient({}),
      signingKey: signingSecret ? keyFromBase64(Buffer.from(signingSecret, 'utf8').toString('base64url')) : Buffer.alloc(0),
      stateMachineArn: env.STATE_MACHINE_ARN,
    };
  })();
  return cached;
}
