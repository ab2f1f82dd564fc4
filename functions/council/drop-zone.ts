/**
 * On AWS, the council drops its register in the ratings bucket under `council/contracts/`. The file
 * is not applied on arrival: it is kept with its preview, and the Contracts page offers it to an
 * officer to check and apply, exactly as an upload through the page.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { basename } from 'node:path';
import { z } from 'zod';
import { BadInput } from '../lib/errors';
import { previewRegister, type CouncilDeps, type RegisterPlan } from './contracts-import';
import { saveUpload } from './uploads';

export const councilFileEventSchema = z.object({ source: z.literal('council-file'), bucket: z.string().min(1), key: z.string().min(1), versionId: z.string().optional() });
export type CouncilFileEvent = z.infer<typeof councilFileEventSchema>;

export const CONTRACTS_DROP = 'council/contracts/';

export async function previewDroppedFile(deps: CouncilDeps & { s3: S3Client }, event: CouncilFileEvent): Promise<{ uploadId: string; plan: RegisterPlan }> {
  // S3 event keys arrive URL-encoded, with '+' for spaces.
  const key = decodeURIComponent(event.key.replace(/\+/g, ' '));
  if (!key.startsWith(CONTRACTS_DROP)) throw new BadInput(`s3://${event.bucket}/${key}: council files go under ${CONTRACTS_DROP}`);
  const object = await deps.s3.send(new GetObjectCommand({ Bucket: event.bucket, Key: key, VersionId: event.versionId }));
  const body = Buffer.from(await object.Body!.transformToByteArray());
  const fileName = basename(key).replace(/[^\w .()-]+/g, '_').slice(0, 200) || 'register.csv';
  const plan = await previewRegister(deps, body, fileName);
  const upload = await saveUpload(deps.store, { kind: 'contracts', fileName, body, by: `drop zone s3://${event.bucket}/${key}`, at: deps.clock.now().toISOString() });
  return { uploadId: upload.uploadId, plan };
}
