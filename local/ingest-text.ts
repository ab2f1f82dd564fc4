/** Ingests a ratings CSV held in memory (the demo) through the product's ingestion. */
import { escalationPort } from '../functions/ladder/cases';
import { ingestUploadedRatings } from '../functions/ladder/ingest-upload';
import type { LadderDeps } from '../functions/ladder/context';
import type { IngestSummary } from '../functions/ingest/ingest';

export function ingestCsvText(deps: LadderDeps, text: string, fileName: string): Promise<IngestSummary> {
  return ingestUploadedRatings(deps, escalationPort(deps), { fileName, body: Buffer.from(text, 'utf8') });
}
