/**
 * Ratings arriving as bytes (the admin upload, a file dropped in S3, the demo): CSV or ODS, the
 * Locations or Providers sheet, into the same streaming ingestion as the CLI.
 */
import { Readable } from 'node:stream';
import { readCsvStream } from '../ingest/csv';
import { readOdsFile } from '../ingest/ods';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestRatings, type IngestDeps, type IngestSummary } from '../ingest/ingest';
import type { Sheet } from '../ingest/columns';
import type { EscalationPort } from '../lib/escalation-port';
import type { LadderDeps } from './context';

/** ODS files are zip archives: they start with "PK". */
export function looksLikeOds(body: Buffer): boolean {
  return body.length > 4 && body[0] === 0x50 && body[1] === 0x4b;
}

export function sheetFromName(fileName: string): Sheet {
  return /prov/i.test(fileName) ? 'Providers' : 'Locations';
}

export async function ingestUploadedRatings(
  deps: LadderDeps,
  escalation: EscalationPort,
  upload: { fileName: string; body: Buffer; sheet?: Sheet; onProgress?: IngestDeps['onProgress'] },
): Promise<IngestSummary> {
  const sheet = upload.sheet ?? sheetFromName(upload.fileName);
  // An ODS is a zip: its central directory is at the end, so it is read from a temporary file.
  const folder = looksLikeOds(upload.body) ? await mkdtemp(join(tmpdir(), 'ratings-')) : undefined;
  try {
    let rows;
    if (folder) {
      const file = join(folder, 'upload.ods');
      await writeFile(file, upload.body);
      rows = readOdsFile(file, sheet);
    } else {
      rows = readCsvStream(Readable.from([upload.body]));
    }
    return await ingestRatings({
    rows,
    sheet,
    source: upload.fileName,
    doc: deps.store.doc,
    tableName: deps.store.tableName,
    config: deps.config,
    escalation,
    clock: deps.clock,
    onProgress: upload.onProgress,
    });
  } finally {
    if (folder) await rm(folder, { recursive: true, force: true });
  }
}
