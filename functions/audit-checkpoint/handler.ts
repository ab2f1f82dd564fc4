/**
 * The audit checkpoint function: the only holder of the checkpoint key and the only writer of the
 * checkpoint bucket. Invoked by EventBridge Scheduler (`{ "source": "schedule" }`) and by the HTTP
 * API's verify and checkpoint endpoints (`verify`, `request`); it reads the table (read-only),
 * verifies it against the newest valid checkpoint, writes the next one and returns the report.
 */
import middy from '@middy/core';
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { runAuditCheckpoint, type CheckpointDeps } from '../audit/checkpoint';
import { CHECKPOINT_REASONS, type AuditReport } from '../audit/verify';
import { readSecret } from '../lib/aws-deps';
import { systemClock } from '../lib/clock';
import { documentClient } from '../lib/table';
import { s3CheckpointStore } from './s3-store';

export const checkpointEventSchema = z.object({ source: z.enum(CHECKPOINT_REASONS) });

export class InvalidCheckpointEvent extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCheckpointEvent';
  }
}

export function createAuditCheckpointHandler(deps: () => Promise<CheckpointDeps>) {
  return middy<unknown, AuditReport>().handler(async (event) => {
    const parsed = checkpointEventSchema.safeParse(event);
    if (!parsed.success) throw new InvalidCheckpointEvent(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
    return runAuditCheckpoint(await deps(), parsed.data.source);
  });
}

const environmentSchema = z.object({
  TABLE_NAME: z.string().min(1),
  CHECKPOINT_BUCKET: z.string().min(1),
  CHECKPOINT_KEY_SECRET_ARN: z.string().min(1),
});

let cached: Promise<CheckpointDeps> | undefined;
function awsDeps(): Promise<CheckpointDeps> {
  cached ??= (async () => {
    const env = environmentSchema.parse(process.env);
    return {
      doc: documentClient(),
      tableName: env.TABLE_NAME,
      // The secret is 64 generated characters; their bytes are the HMAC key.
      key: Buffer.from(await readSecret(env.CHECKPOINT_KEY_SECRET_ARN), 'utf8'),
      store: s3CheckpointStore(new S3Client({}), env.CHECKPOINT_BUCKET),
      clock: systemClock,
    };
  })();
  return cached;
}

export const handler = createAuditCheckpointHandler(awsDeps);
