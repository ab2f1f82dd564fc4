/**
 * Checkpoints in the Object Lock bucket. Keys count down (`checkpoints/<999999999999 - n>-<n>.json`)
 * so a listing, which S3 returns in key order, starts with the newest: one page of 1,000 is enough
 * to find the newest valid checkpoint and the highest number. A write never replaces an object
 * (`If-None-Match: *`); the bucket's default retention locks each version once written.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CheckpointStore } from '../audit/checkpoint';

const TOP = 999_999_999_999;
const pad = (value: number) => String(value).padStart(12, '0');
const KEY = /(\d{12})-(\d{12})\.json$/;

export function s3CheckpointStore(s3: S3Client, bucket: string, prefix = 'checkpoints/'): CheckpointStore {
  const key = (number: number) => `${prefix}${pad(TOP - number)}-${pad(number)}.json`;
  return {
    async numbers() {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1000 }));
      return (page.Contents ?? []).flatMap((object) => {
        const match = KEY.exec(object.Key ?? '');
        return match && Number(match[1]) + Number(match[2]) === TOP ? [Number(match[2])] : [];
      });
    },
    async read(number) {
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key(number) }));
        return await object.Body?.transformToString('utf8');
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    async create(number, text) {
      try {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key(number), Body: text, ContentType: 'application/json', IfNoneMatch: '*', ChecksumAlgorithm: 'SHA256' }));
        return true;
      } catch (error) {
        // 412: another run wrote this number first; 409: a conflicting write in flight.
        const name = (error as Error).name;
        if (name === 'PreconditionFailed' || name === 'ConditionalRequestConflict') return false;
        throw error;
      }
    },
    name: (number) => `s3://${bucket}/${key(number)}`,
  };
}
