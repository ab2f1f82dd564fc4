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
  SIGNING_KEY_SECRET_ARN: z.string().min(1),
});

let cached: Promise<LadderDeps> | undefined;

/** Reads configuration and the signing key once; a bad environment fails the cold start, loudly. */
export function lambdaDeps(): Promise<LadderDeps> {
  cached ??= (async () => {
    const env = environmentSchema.parse(process.env);
    const secrets = new SecretsManagerClient({});
    const secret = await secrets.send(new GetSecretValueCommand({ SecretId: env.SIGNING_KEY_SECRET_ARN }));
    const config = configFromEnvironment();
    const sender = process.env.SENDER ?? config.mail.sender;
    return {
      store: new Store(documentClient(), env.TABLE_NAME),
      config: { ...config, mail: { ...config.mail, sender, configurationSet: process.env.CONFIGURATION_SET ?? config.mail.configurationSet } },
      clock: systemClock,
      ses: new SESClient({}),
      sfn: new SFNClient({}),
      signingKey: keyFromBase64(Buffer.from(secret.SecretString ?? '', 'utf8').toString('base64url')),
      stateMachineArn: env.STATE_MACHINE_ARN,
    };
  })();
  return cached;
}
