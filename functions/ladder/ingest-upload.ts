/**
 * Ratings arriving as bytes (the admin upload, the Ratings page, the demo): CSV or ODS, either
 * sheet (told by its header), into the same streaming ingestion as the CLI. The bytes are put in a
 * temporary file under the upload's own name, so format, encoding, separator and sheet are worked
 * out exactly as for a file given to the CLI, and errors name the file the officer chose.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRatingsFile } from '../ingest/files';
import { ingestRatings, type IngestDeps, type IngestPlan, type IngestSummary } from '../ingest/ingest';
import type { Sheet } from '../ingest/columns';
import type { EscalationPort } from '../lib/escalation-port';
import type { LadderDeps } from './context';

/** A file name safe to use as a path part: the last part, odd characters replaced. */
export function uploadFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[^\w.-]+/g, '_').replace(/^\.+/, '').slice(0, 200);
  return cleaned || 'upload.csv';
}

export interface RatingsUpload {
  fileName: string;
  body: Buffer;
  /** As asked for; undefined: told by the header row. */
  sheet?: Sheet;
  onProgress?: IngestDeps['onProgress'];
  /** A preview, or only chosen parts; default: apply all. */
  plan?: IngestPlan;
}

export async function ingestUploadedRatings(deps: LadderDeps, escalation: EscalationPort, upload: RatingsUpload): Promise<IngestSummary> {
  const folder = await mkdtemp(join(tmpdir(), 'ratings-'));
  try {
    const path = join(folder, uploadFileName(upload.fileName));
    await writeFile(path, upload.body);
    const file = await openRatingsFile(path, upload.sheet);
    return await ingestRatings({
      rows: file,
      sheet: upload.sheet,
      facts: file.facts,
      source: upload.fileName,
      doc: deps.store.doc,
      tableName: deps.store.tableName,
      config: deps.config,
      escalation,
      clock: deps.clock,
      onProgress: upload.onProgress,
      // A page shows the counts as they grow: report often.
      progressEvery: upload.onProgress ? 1_000 : undefined,
      plan: upload.plan,
    });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
