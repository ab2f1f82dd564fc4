/**
 * A council file kept between its preview and its apply: the page shows what the file would change,
 * and "Apply" applies that very file (its id is the digest of its bytes), re-planned against the
 * records as they are then. Kept gzipped in the table, in parts under DynamoDB's item size limit.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import type { Store } from '../lib/store';
import { NotFound } from '../lib/errors';

export const COUNCIL_FILE_KINDS = ['contracts', 'tracker', 'neighbours'] as const;
export type CouncilFileKind = (typeof COUNCIL_FILE_KINDS)[number];

const PART_BYTES = 300_000;

export const uploadMetaSchema = z.object({
  uploadId: z.string(),
  kind: z.enum(COUNCIL_FILE_KINDS),
  fileName: z.string(),
  bytes: z.number(),
  parts: z.number().int().positive(),
  at: z.string(),
  by: z.string(),
  /** Extra choices made with the upload (a neighbour's name and date, say). */
  options: z.record(z.string(), z.string()).default({}),
});
export type UploadMeta = z.infer<typeof uploadMetaSchema>;

const fileKey = (uploadId: string, sk: string) => ({ pk: `COUNCILFILE#${uploadId}`, sk });

/** The file's id: the first 20 hex digits of its SHA-256 (the same file is the same upload). */
export function digestOf(body: Buffer, options: Record<string, string> = {}): string {
  const hash = createHash('sha256').update(body);
  for (const [key, value] of Object.entries(options).sort()) hash.update(`\n${key}=${value}`);
  return hash.digest('hex').slice(0, 20);
}

export async function saveUpload(store: Store, upload: { kind: CouncilFileKind; fileName: string; body: Buffer; by: string; at: string; options?: Record<string, string> }): Promise<UploadMeta> {
  const options = upload.options ?? {};
  const uploadId = digestOf(upload.body, { kind: upload.kind, ...options });
  const packed = gzipSync(upload.body);
  const parts = Math.max(1, Math.ceil(packed.length / PART_BYTES));
  for (let part = 0; part < parts; part += 1) {
    await store.putRaw(fileKey(uploadId, `PART#${String(part).padStart(4, '0')}`), undefined, { data: packed.subarray(part * PART_BYTES, (part + 1) * PART_BYTES).toString('base64') });
  }
  // The meta item last: an upload is usable only once every part is in.
  const meta: UploadMeta = { uploadId, kind: upload.kind, fileName: upload.fileName, bytes: upload.body.length, parts, at: upload.at, by: upload.by, options };
  await store.putRaw(fileKey(uploadId, 'META'), { gsi1pk: 'COUNCILFILES', gsi1sk: `${upload.at}#${uploadId}` }, meta);
  return meta;
}

export async function loadUpload(store: Store, uploadId: string, kind: CouncilFileKind): Promise<{ meta: UploadMeta; body: Buffer }> {
  if (!/^[0-9a-f]{20}$/.test(uploadId)) throw new NotFound(`There is no uploaded file ${uploadId}.`);
  const parsed = uploadMetaSchema.safeParse(await store.getRaw(fileKey(uploadId, 'META')));
  if (!parsed.success || parsed.data.kind !== kind) throw new NotFound(`There is no uploaded ${kind} file ${uploadId}.`);
  const chunks: Buffer[] = [];
  for (let part = 0; part < parsed.data.parts; part += 1) {
    const item = await store.getRaw(fileKey(uploadId, `PART#${String(part).padStart(4, '0')}`));
    if (typeof item?.data !== 'string') throw new NotFound(`Uploaded file ${uploadId} is incomplete; upload it again.`);
    chunks.push(Buffer.from(item.data, 'base64'));
  }
  return { meta: parsed.data, body: gunzipSync(Buffer.concat(chunks)) };
}
