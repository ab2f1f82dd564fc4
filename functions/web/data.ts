/**
 * Reads for the pages, shaped so a page costs a handful of requests whatever the number of cases:
 * each list is read once and joined in memory, and the locations and providers a page shows are
 * fetched together (BatchGetItem, 100 keys a call) rather than one by one.
 */
import { batchGet } from '../ingest/store';
import { keys } from '../lib/table';
import { locationSchema, providerSchema, type Case, type Contract, type Location, type Provider } from '../lib/model';
import type { Store } from '../lib/store';

async function fetchMany<T>(
  store: Store,
  ids: Iterable<string>,
  key: (id: string) => { pk: string; sk: string },
  parse: (item: unknown) => [string, T] | undefined,
): Promise<Map<string, T>> {
  const unique = [...new Set(ids)];
  const result = new Map<string, T>();
  if (unique.length === 0) return result;
  // Up to four BatchGetItem calls in flight at once.
  const chunks: string[][] = [];
  for (let start = 0; start < unique.length; start += 100) chunks.push(unique.slice(start, start + 100));
  for (let start = 0; start < chunks.length; start += 4) {
    const found = await Promise.all(chunks.slice(start, start + 4).map((chunk) => batchGet(store.doc, store.tableName, chunk.map(key))));
    for (const items of found) {
      for (const item of items.values()) {
        const parsed = parse(item);
        if (parsed) result.set(parsed[0], parsed[1]);
      }
    }
  }
  return result;
}

export function loadLocations(store: Store, ids: Iterable<string>): Promise<Map<string, Location>> {
  return fetchMany(store, ids, keys.location, (item) => {
    const parsed = locationSchema.safeParse(item);
    return parsed.success ? [parsed.data.locationId, parsed.data] : undefined;
  });
}

export function loadProviders(store: Store, ids: Iterable<string>): Promise<Map<string, Provider>> {
  return fetchMany(store, ids, keys.provider, (item) => {
    const parsed = providerSchema.safeParse(item);
    return parsed.success ? [parsed.data.providerId, parsed.data] : undefined;
  });
}

/** Every contract, findable by id and by location (the active one first, as `contractForLocation`). */
export class ContractIndex {
  private readonly byId = new Map<string, Contract>();
  private readonly byLocation = new Map<string, Contract>();

  constructor(contracts: readonly Contract[]) {
    for (const contract of contracts) {
      this.byId.set(contract.contractId, contract);
      const held = this.byLocation.get(contract.locationId);
      if (!held || (held.status !== 'active' && contract.status === 'active')) this.byLocation.set(contract.locationId, contract);
    }
  }

  static async load(store: Store): Promise<ContractIndex> {
    return new ContractIndex(await store.listContracts());
  }

  forCase(record: Pick<Case, 'contractId' | 'locationId'>): Contract | undefined {
    return (record.contractId ? this.byId.get(record.contractId) : undefined) ?? this.byLocation.get(record.locationId);
  }

  forLocation(locationId: string): Contract | undefined {
    return this.byLocation.get(locationId);
  }

  areas(): string[] {
    return [...new Set([...this.byId.values()].map((contract) => contract.area).filter(Boolean))].sort((a, b) => a.localeCompare(b));
  }
}
