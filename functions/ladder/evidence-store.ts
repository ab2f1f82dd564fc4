/**
 * Where the provider's evidence files are kept: a folder (the local runtime's data folder), memory
 * (tests without one), or an S3 bucket on AWS. Keys are chosen by us (`evidence/<case>/<request>/<sha256>`),
 * never from a file's name.
 */
import { mkdirSync, readFileSync, existsSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { EvidenceStore } from './provider-side';

const KEY = /^evidence\/[A-Za-z0-9_-]{1,120}\/[A-Za-z0-9_-]{1,100}\/[a-f0-9]{64}$/;

function checkKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`Not an evidence key: ${key}`);
}

export function memoryEvidenceStore(): EvidenceStore {
  const files = new Map<string, Buffer>();
  return {
    async put(key, body) {
      checkKey(key);
      files.set(key, Buffer.from(body));
    },
    async get(key) {
      return files.get(key);
    },
  };
}

export function folderEvidenceStore(folder: string): EvidenceStore {
  const root = resolve(folder);
  const path = (key: string) => {
    checkKey(key);
    return join(root, ...key.split('/').slice(1));
  };
  return {
    async put(key, body) {
      const file = path(key);
      mkdirSync(dirname(file), { recursive: true });
      // Written whole or not at all: a crash leaves at most a temporary file beside it.
      const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
      writeFileSync(temp, body);
      renameSync(temp, file);
    },
    async get(key) {
      const file = path(key);
      return existsSync(file) ? readFileSync(file) : undefined;
    },
  };
}

export function s3EvidenceStore(s3: S3Client, bucket: string): EvidenceStore {
  return {
    async put(key, body) {
      checkKey(key);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/octet-stream', ContentDisposition: 'attachment' }));
    },
    async get(key) {
      checkKey(key);
      try {
        const result = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return result.Body ? Buffer.from(await result.Body.transformToByteArray()) : undefined;
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
  };
}
