import { startRuntime } from '../local/runtime';
import { batchPut } from '../functions/ingest/store';
import { ContractIndex, listCaseSummaries, loadLocations, loadProviders } from '../functions/web/data';
import { memoCases, memoPage } from '../functions/web/memo';
import { seedItems } from './bench-pages';
const runtime = await startRuntime();
const { store } = runtime.deps;
await batchPut(store.doc, store.tableName, seedItems(2000, 500, ['aisha-khan', 'tom-reid'], runtime.clock.now()));
async function t(name: string, fn: () => Promise<unknown>) {
  for (let i = 0; i < 2; i++) await fn();
  const s = performance.now();
  for (let i = 0; i < 8; i++) await fn();
  console.log(name, ((performance.now() - s) / 8).toFixed(1), 'ms');
}
await t('cases', () => listCaseSummaries(store));
await t('contracts', () => ContractIndex.load(store));
const cases = memoCases(await listCaseSummaries(store), runtime.clock.now());
console.log('memo entries', cases.length);
await t('locations', () => loadLocations(store, cases.map((c) => c.locationId)));
await t('providers', () => loadProviders(store, cases.map((c) => c.providerId)));
await t('memoPage total', () => memoPage(runtime.deps as never));
await runtime.close();
