/**
 * Reads for the pages, shaped so a page costs a handful of requests whatever the number of cases:
 * each list is read once and joined in memory (no read per row), only the attributes a list page
 * shows are read (a ProjectionExpression), and the locations and providers a page names are
 * fetched together with BatchGetItem, 100 keys a call. Every item read is still parsed, with the
 * model's own schemas narrowed to those attributes.
 */
import { BatchGetCommand, QueryCommand, type NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { keys, TABLE_KEYS } from '../lib/table';
import { addressSchema, caseSchema, contractSchema, locationSchema, pendingTaskSchema, providerSchema, type PendingTask } from '../lib/model';
import type { Store } from '../lib/store';

/** `#a0, #a1, ...` for a list of attributes, so reserved words (status, name) need no thought. */
function projection(attributes: readonly string[]): { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> } {
  const names: Record<string, string> = {};
  attributes.forEach((attribute, index) => {
    names[`#a${index}`] = attribute;
  });
  return { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names };
}

function parseAll<S extends z.ZodTypeAny>(schema: S, items: Record<string, unknown>[], what: string): z.infer<S>[] {
  const parsed: z.infer<S>[] = [];
  for (const item of items) {
    const result = schema.safeParse(item);
    if (result.success) parsed.push(result.data);
    else console.error(`Skipping a ${what} that does not match its schema`, { pk: item.pk, issues: result.error.issues.slice(0, 3) });
  }
  return parsed;
}

/** Every item of a gsi1 partition, only `attributes` of each. */
async function queryPartition(store: Store, partition: string, attributes: readonly string[]): Promise<Record<string, unknown>[]> {
  const { ProjectionExpression, ExpressionAttributeNames } = projection(attributes);
  const items: Record<string, unknown>[] = [];
  let start: Record<string, NativeAttributeValue> | undefined;
  do {
    const page = await store.doc.send(
      new QueryCommand({
        TableName: store.tableName,
        IndexName: TABLE_KEYS.gsi1.name,
        KeyConditionExpression: '#p = :p',
        ProjectionExpression,
        ExpressionAttributeNames: { ...ExpressionAttributeNames, '#p': TABLE_KEYS.gsi1.partitionKey },
        ExpressionAttributeValues: { ':p': partition },
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

const MAX_BATCH_ATTEMPTS = 6;

/** The items for `keyList`, only `attributes` of each; 100 keys a call, unprocessed keys retried. */
async function batchRead(store: Store, keyList: Array<{ pk: string; sk: string }>, attributes: readonly string[]): Promise<Record<string, unknown>[]> {
  const { ProjectionExpression, ExpressionAttributeNames } = projection(attributes);
  const unique = [...new Map(keyList.map((key) => [`${key.pk}\u0000${key.sk}`, key])).values()];
  const items: Record<string, unknown>[] = [];
  for (let start = 0; start < unique.length; start += 100) {
    let pending: Record<string, NativeAttributeValue>[] = unique.slice(start, start + 100);
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt >= MAX_BATCH_ATTEMPTS) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed after ${attempt} attempts`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
      const out = await store.doc.send(
        new BatchGetCommand({ RequestItems: { [store.tableName]: { Keys: pending, ProjectionExpression, ExpressionAttributeNames } } }),
      );
      items.push(...(out.Responses?.[store.tableName] ?? []));
      pending = out.UnprocessedKeys?.[store.tableName]?.Keys ?? [];
    }
  }
  return items;
}

/** Pending tasks by id, in one batched read (never the token: pages have no use for it). */
export async function loadTasks(store: Store, taskIds: Iterable<string>): Promise<Map<string, Omit<PendingTask, 'taskToken'>>> {
  const ids = [...new Set(taskIds)];
  const schema = pendingTaskSchema.omit({ taskToken: true });
  const fields = Object.keys(schema.shape);
  const items = ids.length ? await batchRead(store, ids.map((id) => keys.task(id)), fields) : [];
  const tasks = new Map<string, Omit<PendingTask, 'taskToken'>>();
  for (const item of items) {
    const parsed = schema.safeParse(item);
    if (parsed.success) tasks.set(parsed.data.taskId, parsed.data);
  }
  return tasks;
}

// ---- cases -------------------------------------------------------------------------------------

/** What the list pages (cases, memo, Board, provider) show of a case. */
export const caseSummarySchema = caseSchema.pick({
  caseId: true,
  locationId: true,
  providerId: true,
  contractId: true,
  status: true,
  stage: true,
  returnStage: true,
  leadOfficer: true,
  openedAt: true,
  closedAt: true,
  outcome: true,
  deadlines: true,
  memo: true,
  waitingOn: true,
  pendingTaskId: true,
  updatedAt: true,
});
export type CaseSummary = z.infer<typeof caseSummarySchema>;

export async function listCaseSummaries(store: Store): Promise<CaseSummary[]> {
  return parseAll(caseSummarySchema, await queryPartition(store, 'CASES', Object.keys(caseSummarySchema.shape)), 'case');
}

// ---- locations and providers, by id --------------------------------------------------------------

export const locationNameSchema = locationSchema.pick({ locationId: true, providerId: true, name: true }).extend({ address: addressSchema.default({ street: '', line2: '', city: '', postcode: '' }) });
export type LocationName = z.infer<typeof locationNameSchema>;

export const providerNameSchema = providerSchema.pick({ providerId: true, name: true });
export type ProviderName = z.infer<typeof providerNameSchema>;

/**
 * Names and addresses change rarely (a CQC file may rename a home), while the memo and the case
 * list name hundreds of them on every request. So they are kept for NAME_TTL_MS per store. What a
 * page says about a case (stage, memo RAG, deadlines, who it waits on) is never cached: it is read
 * on every request.
 */
export const NAME_TTL_MS = 60_000;
const MAX_CACHED = 50_000;

class NameCache<T> {
  private readonly entries = new Map<string, { value: T; at: number }>();

  constructor(private readonly fetch: (ids: string[]) => Promise<Array<[string, T]>>) {}

  async get(ids: Iterable<string>): Promise<Map<string, T>> {
    const now = performance.now();
    const found = new Map<string, T>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const entry = this.entries.get(id);
      if (entry && now - entry.at < NAME_TTL_MS) found.set(id, entry.value);
      else missing.push(id);
    }
    if (missing.length) {
      if (this.entries.size + missing.length > MAX_CACHED) this.entries.clear();
      for (const [id, value] of await this.fetch(missing)) {
        this.entries.set(id, { value, at: now });
        found.set(id, value);
      }
    }
    return found;
  }
}

const caches = new WeakMap<Store, { locations: NameCache<LocationName>; providers: NameCache<ProviderName> }>();

function cachesFor(store: Store) {
  let held = caches.get(store);
  if (!held) {
    held = {
      locations: new NameCache(async (ids) =>
        parseAll(locationNameSchema, await batchRead(store, ids.map(keys.location), ['locationId', 'providerId', 'name', 'address']), 'location').map(
          (location): [string, LocationName] => [location.locationId, location],
        ),
      ),
      providers: new NameCache(async (ids) =>
        parseAll(providerNameSchema, await batchRead(store, ids.map(keys.provider), ['providerId', 'name']), 'provider').map(
          (provider): [string, ProviderName] => [provider.providerId, provider],
        ),
      ),
    };
    caches.set(store, held);
  }
  return held;
}

/** Name and address of each location in `ids` (the ones not on record are absent). */
export function loadLocations(store: Store, ids: Iterable<string>): Promise<Map<string, LocationName>> {
  return cachesFor(store).locations.get(ids);
}

/** Name of each provider in `ids`. */
export function loadProviders(store: Store, ids: Iterable<string>): Promise<Map<string, ProviderName>> {
  return cachesFor(store).providers.get(ids);
}

// ---- contracts -------------------------------------------------------------------------------------

export const contractSummarySchema = contractSchema.pick({ contractId: true, locationId: true, providerId: true, serviceType: true, area: true, status: true });
export type ContractSummary = z.infer<typeof contractSummarySchema>;

/** Every contract, findable by id and by location (the active one first, as `contractForLocation`). */
export class ContractIndex {
  private readonly byId = new Map<string, ContractSummary>();
  private readonly byLocation = new Map<string, ContractSummary>();

  constructor(contracts: readonly ContractSummary[]) {
    for (const contract of contracts) {
      this.byId.set(contract.contractId, contract);
      const held = this.byLocation.get(contract.locationId);
      if (!held || (held.status !== 'active' && contract.status === 'active')) this.byLocation.set(contract.locationId, contract);
    }
  }

  static async load(store: Store): Promise<ContractIndex> {
    return new ContractIndex(parseAll(contractSummarySchema, await queryPartition(store, 'CONTRACTS', Object.keys(contractSummarySchema.shape)), 'contract'));
  }

  forCase(record: { contractId?: string | undefined; locationId: string }): ContractSummary | undefined {
    return (record.contractId ? this.byId.get(record.contractId) : undefined) ?? this.byLocation.get(record.locationId);
  }

  forLocation(locationId: string): ContractSummary | undefined {
    return this.byLocation.get(locationId);
  }

  areas(): string[] {
    return [...new Set([...this.byId.values()].map((contract) => contract.area).filter(Boolean))].sort((a, b) => a.localeCompare(b));
  }
}
