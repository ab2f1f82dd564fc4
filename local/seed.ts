/**
 * Loads the demo into an empty store: contracts first, then the ratings file through ingestion,
 * then two neighbouring authorities' lists through the neighbours' import.
 */
import type { Runtime } from './runtime';
import { demoNeighbourLists, demoRatingsCsv, demoRegisterCsv } from './demo';
import { applyNeighbours } from '../functions/council/neighbours';
import { applyRegister } from '../functions/council/contracts-import';
import { ingestCsvText } from './ingest-text';

export interface DemoSummary {
  contracts: number;
  rowsRead: number;
  casesOpened: number;
  neighbourLists: number;
}

export async function loadDemoIfEmpty(runtime: Runtime): Promise<DemoSummary | undefined> {
  const { store } = runtime.deps;
  if ((await store.listContracts()).length > 0 || (await store.listCases()).length > 0) return undefined;
  // Through the same import a council uses for its own register.
  const register = await applyRegister(runtime.deps, Buffer.from(demoRegisterCsv(), 'utf8'), 'demo-register.csv', 'demo');
  const summary = await ingestCsvText(runtime.deps, demoRatingsCsv(), 'demo-ratings.csv');
  await runtime.idle();
  const lists = demoNeighbourLists(runtime.clock.now());
  for (const list of lists) {
    await applyNeighbours(runtime.deps, Buffer.from(list.body, 'utf8'), list.fileName, 'demo', { authority: list.authority, ...(list.listDate ? { listDate: list.listDate } : {}) });
  }
  return { contracts: register.summary.added, rowsRead: summary.rowsRead, casesOpened: summary.casesOpened, neighbourLists: lists.length };
}
