/**
 * The memo publish function: EventBridge Scheduler invokes it once a day (`{ "source": "schedule" }`);
 * it reads the table (read-only), renders the memo CSV exactly as `/memo.csv` does and writes
 * `memo/<list date>.csv` and `memo/latest.csv` to the memo bucket, where neighbouring authorities
 * read it (bucket policy for their accounts, or a presigned link: README "Sharing our memo").
 */
import middy from '@middy/core';
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { publishMemo, type MemoObjectStore, type MemoPublication } from '../council/memo-publish';
import type { MemoDeps } from '../web/memo';
import { systemClock } from '../lib/clock';
import { configFromEnvironment } from '../lib/config';
import { Store } from '../lib/store';
import { documentClient } from '../lib/table';
import { s3MemoStore } from './s3-store';

export const memoPublishEventSchema = z.object({ source: z.enum(['schedule', 'request']) });

export class InvalidMemoPublishEvent extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidMemoPublishEvent';
  }
}

export interface MemoPublishDeps extends MemoDeps {
  objects: MemoObjectStore;
}

export function createMemoPublishHandler(deps: () => Promise<MemoPublishDeps>) {
  return middy<unknown, MemoPublication>().handler(async (event) => {
    const parsed = memoPublishEventSchema.safeParse(event);
    if (!parsed.success) throw new InvalidMemoPublishEvent(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`).join('; '));
    const resolved = await deps();
    const publication = await publishMemo(resolved, resolved.objects);
    console.info(JSON.stringify({ message: 'memo published', source: parsed.data.source, ...publication }));
    return publication;
  });
}

const environmentSchema = z.object({
  TABLE_NAME: z.string().min(1),
  MEMO_BUCKET: z.string().min(1),
});

let cached: Promise<MemoPublishDeps> | undefined;
function awsDeps(): Promise<MemoPublishDeps> {
  cached ??= (async () => {
    const env = environmentSchema.parse(process.env);
    return {
      store: new Store(documentClient(), env.TABLE_NAME),
      config: configFromEnvironment(),
      clock: systemClock,
      objects: s3MemoStore(new S3Client({}), env.MEMO_BUCKET),
    };
  })();
  return cached;
}

export const handler = createMemoPublishHandler(awsDeps);
