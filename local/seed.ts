/** Loads the demo into an empty store: contracts first, then the ratings file through ingestion. */
import type { Runtime } from './runtime';
import { demoRatingsCsv, demoRegisterCsv } from './demo';
import { applyRegister } from '../functions/council/contracts-import';
import { ingestCsvText } from './ingest-text';

export interface DemoSummary {
  contracts: number;
  rowsRead: number;
  casesOpened: number;
}

export async function loadDemoIfEmpty(runtime: Runtime): Promise<DemoSummary | undefined> {
  const { store } = runtime.deps;
  if ((await store.listContracts()).length > 0 || (await store.listCases()).length > 0) return undefined;
  // Through the same import a council uses for its own register.
  const register = await applyRegister(runtime.deps, Buffer.from(demoRegisterCsv(), 'utf8'), 'demo-register.csv', 'demo');
  const summary = await ingestCsvText(runtime.deps, demoRatingsCsv(), 'demo-ratings.csv');
  await runtime.idle();
  return { contracts: register.summary.added, rowsRead: summary.rowsRead, casesOpened: summary.casesOpened };
}
