/**
 * Rating ingestion on AWS. Two triggers, both validated at the edge:
 * - `{ source: 'ratings-file', bucket, key }`: a file dropped in the ratings bucket (EventBridge
 *   rule on S3 "Object Created"); CSV or ODS, Locations or Providers sheet by name;
 * - `{ source: 'cqc-changes' }`: the daily schedule pulls CQC's changes feed since the last run.
 * The work itself is the same streaming ingestion the CLI and the local runtime use.
 */
import middy from '@middy/core';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { lambdaDeps, readSecret } from '../lib/aws-deps';
import { escalationPort } from '../ladder/cases';
import { recoverInterruptedIngests } from '../ladder/ingest-recovery';
import { settleRecordedDecisions } from '../ladder/complete-task';
import { openRatingsFile } from '../ingest/files';
import { ingestRatings } from '../ingest/ingest';
import { ingestChanges } from '../cqc/changes';
import { cqcClientFromConfig } from '../cqc/client';
import { keys } from '../lib/table';
import type { LadderDeps } from '../ladder/context';
import { councilFileEventSchema, previewDroppedFile } from '../council/drop-zone';

export const importEventSchema = z.discriminatedUnion('source', [
  z.object({ source: z.literal('ratings-file'), bucket: z.string().min(1), key: z.string().min(1), versionId: z.string().optional(), size: z.number().optional() }),
  z.object({ source: z.literal('cqc-changes'), since: z.string().datetime().optional(), until: z.string().datetime().optional() }),
  councilFileEventSchema,
]);
export type ImportEvent = z.infer<typeof importEventSchema>;

const CURSOR = keys.ingestRun('cqc-changes-cursor');

export interface ImportDeps {
  ladder: LadderDeps;
  s3: S3Client;
  cqcKey: () => Promise<string>;
}

export async function runImport(deps: ImportDeps, event: ImportEvent): Promise<unknown> {
  const { ladder } = deps;
  if (event.source === 'council-file') return previewDroppedFile({ ...ladder, s3: deps.s3 }, event);
  const common = { doc: ladder.store.doc, tableName: ladder.store.tableName, config: ladder.config, escalation: escalationPort(ladder), clock: ladder.clock };
  if (event.source === 'ratings-file') {
    // S3 event keys arrive URL-encoded, with '+' for spaces.
    const key = decodeURIComponent(event.key.replace(/\+/g, ' '));
    const folder = await mkdtemp(join(tmpdir(), 'ratings-'));
    try {
      const object = await deps.s3.send(new GetObjectCommand({ Bucket: event.bucket, Key: key, VersionId: event.versionId }));
      const runId = object.Metadata?.['run-id'];
      const report = (update: Record<string, unknown>) => (runId ? reportRun(ladder, runId, update) : Promise.resolve());
      await report({ status: 'running', heartbeatAt: ladder.clock.now().toISOString() });
      try {
        const file = join(folder, basename(key));
        await pipeline(object.Body as Readable, createWriteStream(file));
        // The sheet is told by the header row (a Providers sheet has "Provider ID" and no "Location ID").
        const rows = await openRatingsFile(file);
        const summary = await ingestRatings({ ...common, rows, facts: rows.facts, source: `s3://${event.bucket}/${key}` });
        await report({
          status: summary.outcome === 'failed' ? 'failed' : 'done',
          ...(summary.outcome === 'failed' ? { error: summary.failureReason } : {}),
          summary,
          progress: summary,
          finishedAt: ladder.clock.now().toISOString(),
        });
        return summary;
      } catch (error) {
        await report({ status: 'failed', error: (error as Error).message, finishedAt: ladder.clock.now().toISOString() });
        throw error;
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
  // The daily run first puts right what a run that died left behind: its record, and the ladder
  // calls its locations were owed (a run heard of within the lease may still be alive: left alone).
  const recovery = await recoverInterruptedIngests(ladder, common.escalation);
  // ...and sends any recorded decision still short of the workflow (the request that recorded it died).
  await settleRecordedDecisions(ladder);
  const until = event.until ?? ladder.clock.now().toISOString();
  const cursor = await ladder.store.getRaw(CURSOR);
  const since = event.since ?? (typeof cursor?.until === 'string' ? cursor.until : new Date(Date.parse(until) - 86_400_000).toISOString());
  const client = cqcClientFromConfig(ladder.config, { subscriptionKey: await deps.cqcKey() });
  const summary = await ingestChanges({ ...common, client, since, until });
  // The next run starts where this one ended (CQC windows: start inclusive, end exclusive) — but
  // only if every ladder call went through; otherwise the same window is fetched again next time.
  if (summary.escalationFailures.length === 0) {
    await ladder.store.putRaw(CURSOR, undefined, { until, at: ladder.clock.now().toISOString() });
  }
  return { ...summary, recovery };
}

/** The Ratings page's record of an upload (made when the file was uploaded): bring it up to date. */
async function reportRun(ladder: LadderDeps, runId: string, update: Record<string, unknown>): Promise<void> {
  if (!/^[\w-]{1,60}$/.test(runId)) return;
  const run = await ladder.store.getRaw(keys.ingestRun(runId));
  if (!run) return;
  await ladder.store.putRaw(keys.ingestRun(runId), { gsi1pk: 'INGESTS', gsi1sk: `${String(run.startedAt)}#${runId}` }, { ...run, ...update });
}

export function createImportHandler(deps: () => Promise<ImportDeps>) {
  return middy<unknown, unknown>().handler(async (event) => runImport(await deps(), importEventSchema.parse(event)));
}

let s3: S3Client | undefined;
export const handler = createImportHandler(async () => {
  s3 ??= new S3Client({});
  const keyArn = z.string().min(1).parse(process.env.CQC_KEY_SECRET_ARN);
  return { ladder: await lambdaDeps(), s3, cqcKey: () => readSecret(keyArn) };
});
