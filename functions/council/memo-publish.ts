/**
 * The scheduled publish of our Managed Placements Memo as CSV (README: "Our memo CSV"), for
 * neighbouring authorities' systems to fetch: the very bytes `GET /memo.csv` serves
 * (`renderMemoCsv`), written to an object store as `memo/latest.csv` and a dated copy
 * `memo/YYYY-MM-DD.csv` (the list's date). On AWS the store is the memo bucket
 * (functions/memo-publish/s3-store.ts); locally, the data folder (`folderMemoStore`).
 *
 * The dated copy is written first, then `latest.csv`: each write replaces its object whole (S3 PUT;
 * a temporary file renamed over the old one here), so a reader sees yesterday's list or today's,
 * never half of one, and a run stopped between the two leaves `latest.csv` on the last whole list
 * until the next run. Publishing twice on one day writes the same keys again.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { renderMemoCsv, type MemoDeps } from '../web/memo';

/** Every key the publish writes starts with this: the memo function may write nothing else. */
export const MEMO_PREFIX = 'memo/';
export const MEMO_LATEST_KEY = `${MEMO_PREFIX}latest.csv`;
export const MEMO_CONTENT_TYPE = 'text/csv; charset=utf-8';

/** Where the published memo goes: puts one object whole; returns where it went (for logs and the CLI). */
export interface MemoObjectStore {
  put(key: string, body: string, contentType: string): Promise<string>;
}

/** What a publish did (the function's result). `written`: where each object went, the dated copy then latest. */
export const memoPublicationSchema = z.object({
  listDate: z.string(),
  rows: z.number().int(),
  bytes: z.number().int(),
  written: z.tuple([z.string(), z.string()]),
});
export type MemoPublication = z.infer<typeof memoPublicationSchema>;

export function datedMemoKey(listDate: string): string {
  return `${MEMO_PREFIX}${listDate}.csv`;
}

export async function publishMemo(deps: MemoDeps, store: MemoObjectStore): Promise<MemoPublication> {
  const { csv, listDate, rows } = await renderMemoCsv(deps);
  const dated = await store.put(datedMemoKey(listDate), csv, MEMO_CONTENT_TYPE);
  const latest = await store.put(MEMO_LATEST_KEY, csv, MEMO_CONTENT_TYPE);
  return { listDate, rows, bytes: Buffer.byteLength(csv), written: [dated, latest] };
}

/** The local store: `<folder>/<key>` (`.data/memo/latest.csv`), each file replaced by a rename. */
export function folderMemoStore(folder: string): MemoObjectStore {
  return {
    async put(key, body) {
      if (!key.startsWith(MEMO_PREFIX) || key.includes('..')) throw new Error(`The memo store writes under ${MEMO_PREFIX} only, not ${key}`);
      const file = join(folder, key);
      mkdirSync(dirname(file), { recursive: true });
      const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      writeFileSync(temp, body);
      renameSync(temp, file);
      return file;
    },
  };
}
