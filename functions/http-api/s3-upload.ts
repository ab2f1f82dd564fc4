/**
 * On AWS an uploaded ratings file is not ingested inside the HTTP request (API Gateway allows 30 s
 * and 10 MB): it is put in the ratings bucket under the upload prefix, and the bucket's "object
 * created" event runs the ratings-import function, exactly as for a file dropped there by hand.
 */
import { randomBytes } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { IngestUpload } from './app';

export function s3IngestUpload(s3: S3Client, bucket: string, prefix: string): IngestUpload {
  return async (deps, _port, upload) => {
    const key = `${prefix}${deps.clock.now().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}-${upload.fileName}`;
    // The run id travels with the object, so the import function can report on the same run.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: upload.body, Metadata: upload.runId ? { 'run-id': upload.runId } : undefined }));
    return { accepted: true, bucket, key, message: 'The file is stored; ingestion runs in the background and its result is on the Ratings page.' };
  };
}
