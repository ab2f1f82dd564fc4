/** Loads the demo into an empty store: contracts first, then the ratings file through ingestion. */
import type { Runtime } from './runtime';
import { demoContracts, demoRatingsCsv } from './demo';
import { ingestCsvText } from './ingest-text';

export interface DemoSummary {
  contracts: number;
  rowsRead: number;
  casesOpened: number;
}

export async function loadDemoIfEmpty(runtime: Runtime): Promise<DemoSummary | undefined> {
  const { store } = runtime.deps;
  if ((await store.listContracts()).length > 0 || (await store.listCases()).length > 0) return undefined;
  const contracts = demoContracts();
  for (const contract of contracts) await store.putContract(contract);
  const summary = await ingestCsvText(runtime.deps, demoRatingsCsv(), 'demo-ratings.csv');
  await runtime.idle();
  return { contracts: contracts.length, rowsRead: summary.rowsRead, casesOpened: summary.casesOpened };
}
