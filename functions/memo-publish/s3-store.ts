/** The memo bucket as a MemoObjectStore: one PutObject per key (the bucket keeps old versions). */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MEMO_PREFIX, type MemoObjectStore } from '../council/memo-publish';

export function s3MemoStore(s3: S3Client, bucket: string): MemoObjectStore {
  return {
    async put(key, body, contentType) {
      if (!key.startsWith(MEMO_PREFIX)) throw new Error(`The memo store writes under ${MEMO_PREFIX} only, not ${key}`);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, CacheControl: 'no-cache', ChecksumAlgorithm: 'SHA256' }));
      return `s3://${bucket}/${key}`;
    },
  };
}
