/**
 * Secrets Manager on loopback, just enough for the Lambda bundles: `GetSecretValue` over the real
 * protocol (awsJson1_1, `X-Amz-Target: secretsmanager.GetSecretValue`), so the shipped code reads
 * its link-signing key exactly as it does on AWS. Secrets are given at start, by ARN.
 */
import { createServer } from 'node:http';
import { z } from 'zod';
import { serveOnLoopback } from './net';

export interface LocalSecretsManager {
  readonly endpoint: string;
  close(): Promise<void>;
}

const requestSchema = z.object({ SecretId: z.string().min(1) });

export async function startSecretsManager(secrets: Readonly<Record<string, string>>, port?: number): Promise<LocalSecretsManager> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        return answer(400, { __type: 'InvalidRequestException', message: `Not supported here: ${String(req.headers['x-amz-target'])}` });
      }
      let parsed: z.infer<typeof requestSchema>;
      try {
        parsed = requestSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        return answer(400, { __type: 'InvalidParameterException', message: 'SecretId is required' });
      }
      const arn = Object.keys(secrets).find((candidate) => candidate === parsed.SecretId || candidate.split(':').at(-1) === parsed.SecretId);
      if (!arn) return answer(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
      return answer(200, { ARN: arn, Name: arn.split(':').at(-1), SecretString: secrets[arn], VersionId: 'local', VersionStages: ['AWSCURRENT'], CreatedDate: 0 });
    });
  });
  return serveOnLoopback(server, port);
}
