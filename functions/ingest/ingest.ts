/**
 * Applies CQC ratings (file rows or API records) to the table and starts escalation.
 *
 * - Keeps locations in the authority's local authorities or under contract, wherever they are.
 * - Groups rows by location (rows of one location are consecutive in CQC's files; a location that
 *   reappears later is merged again onto what was stored), reads the stored items 100 keys a call,
 *   merges, and writes only items that changed, 25 a call. One location is one item, written whole,
 *   so a crash never leaves half a location.
 * - Latest rating per domain (`ratings` for service group Overall, `serviceRatings` keyed
 *   `${group}|${domain}` otherwise); a superseded or older rating goes to `ratingHistory`; an older
 *   rating never replaces a newer one; two ratings on the same date: the more severe wins.
 * - Escalation is crash-safe: the escalation a location owes is marked on its item
 *   (`escalationDue`) in the same write as the rating change, the port is called, then the mark is
 *   cleared. A re-run finds marked locations and calls the port again (the port is idempotent).
 *   Corporate concerns are reconciled from state at the end of a run (raised when a provider has
 *   `corporateConcernThreshold` locations below Good not all named in its last concern).
 * - The same input twice writes nothing and calls nothing.
 */
import { performance } from 'node:perf_hooks';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AppConfig } from '../lib/config';
import type { Clock } from '../lib/clock';
import type { EscalationPort } from '../lib/escalation-port';
import type { HistoricRating, RatingEntry } from '../lib/model';
import { keys } from '../lib/table';
import {
  HEADER_SEARCH_ROWS,
  MissingColumn,
  anchorColumn,
  isHeaderRow,
  mapColumns,
  type ColumnMap,
  type LocationField,
  type ProviderField,
  type Sheet,
  type SheetRow,
} from './columns';
import {
  caseFor,
  compareRatings,
  corporateConcernDue,
  escalationDueFor,
  locationBelowGood,
  mergeEscalationDue,
  type EscalationDue,
} from './policy';
import {
  parseLocationRow,
  parseProviderRow,
  type Address,
  type LocationRatingRecord,
  type ProviderRatingRecord,
  type RatingRecord,
  type Rejection,
  type RowResult,
} from './rows';
import { createHash } from 'node:crypto';
import { batchGet, batchPut, keyString, queryGsi1, type Item, type RetryOptions } from './store';

export interface IngestProgress {
  phase: 'reading' | 'corporate' | 'done';
  rowsRead: number;
  rowsKept: number;
  rowsRejected: number;
  rowsOutOfScope: number;
  locationsChanged: number;
  providersChanged: number;
  itemsWritten: number;
  escalationCalls: number;
}

export interface EscalationFailure {
  locationId?: string;
  providerId?: string;
  call: 'openCase' | 'deliverInspection' | 'raiseCorporateConcern';
  error: string;
}

export interface IngestSummary {
  source: string;
  sheet: Sheet;
  /** Data rows (or API records) read, not counting the header, rows above it, or blank rows. */
  rowsRead: number;
  /** Valid rows for locations (providers) in scope. */
  rowsKept: number;
  rowsRejected: number;
  /** Rows for locations (providers) outside the authority's area and not under contract. */
  rowsOutOfScope: number;
  /** The first `maxRejections` rejections, in file order. */
  rejections: Rejection[];
  rejectionsTruncated: boolean;
  /** Kept rows by Latest Rating. */
  ratingCounts: Record<string, number>;
  locationsSeen: number;
  locationsChanged: number;
  providersChanged: number;
  /** Every item put or updated (locations, providers, escalation marks cleared, concerns recorded). */
  itemsWritten: number;
  casesOpened: number;
  casesResumed: number;
  inspectionsDelivered: number;
  corporateConcerns: number;
  /** Calls made to the escalation port. */
  escalationCalls: number;
  /** Port calls that failed; the location keeps its `escalationDue` mark and a re-run retries. */
  escalationFailures: EscalationFailure[];
  durationMs: number;
}

export interface IngestDeps {
  doc: DynamoDBDocumentClient;
  tableName: string;
  config: AppConfig;
  escalation: EscalationPort;
  clock: Clock;
  onProgress?: (progress: IngestProgress) => void;
  /** Rows between progress reports (default 10,000). */
  progressEvery?: number;
  /** Locations (providers) per read-merge-write chunk; at most 100 (default 100). */
  chunkSize?: number;
  /** Chunks in flight while the file is still being read (default 4). */
  concurrency?: number;
  /** Rejections kept in the summary (default 100; all are counted). */
  maxRejections?: number;
  retry?: RetryOptions;
}

export interface IngestRatingsOptions extends IngestDeps {
  /** Raw sheet rows, header included (see `openRatingsFile`). */
  rows: AsyncIterable<SheetRow>;
  sheet: Sheet;
  /** The file name or URL, for errors and the summary. */
  source: string;
}

export interface IngestRecordsOptions extends IngestDeps {
  /** Validated records (or rejections), e.g. built from the CQC API. */
  records: AsyncIterable<RowResult<RatingRecord>>;
  sheet: Sheet;
  source: string;
  /**
   * True when the input holds every in-scope location (a monthly file): corporate concerns are
   * counted from it alone. False for a partial input (the changes feed): the providers' other
   * stored locations are read too.
   */
  snapshot: boolean;
  scope?: Scope;
}

/** Which locations and providers ingestion keeps. */
export interface Scope {
  localAuthorities: Set<string>;
  contractLocations: Set<string>;
  contractProviders: Set<string>;
}

const normaliseAuthority = (name: string) => name.trim().toLowerCase();

export function inScopeLocation(scope: Scope, locationId: string, localAuthority: string | undefined): boolean {
  return scope.contractLocations.has(locationId) || (localAuthority !== undefined && scope.localAuthorities.has(normaliseAuthority(localAuthority)));
}

/** The configured local authorities plus every location and provider the authority holds a contract with. */
export async function loadScope(doc: DynamoDBDocumentClient, tableName: string, config: AppConfig): Promise<Scope> {
  const contracts = await queryGsi1(doc, tableName, 'CONTRACTS');
  const contractLocations = new Set<string>();
  const contractProviders = new Set<string>();
  for (const contract of contracts) {
    if (typeof contract.locationId === 'string') contractLocations.add(contract.locationId);
    // A contract may cover several locations (council/register.ts): each is in scope.
    if (Array.isArray(contract.locationIds)) for (const id of contract.locationIds) if (typeof id === 'string') contractLocations.add(id);
    if (typeof contract.providerId === 'string') contractProviders.add(contract.providerId);
  }
  return {
    localAuthorities: new Set(config.authority.localAuthorities.map(normaliseAuthority)),
    contractLocations,
    contractProviders,
  };
}

/** JSON with object keys sorted, to compare items whatever order DynamoDB returns attributes in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(inner).sort()) sorted[key] = (inner as Record<string, unknown>)[key];
      return sorted;
    }
    return inner;
  });
}

function sameItem(before: Item | undefined, after: Item): boolean {
  if (!before) return false;
  const { updatedAt: _a, ...left } = before;
  const { updatedAt: _b, ...right } = after;
  return canonicalJson(left) === canonicalJson(right);
}

function entryOf(record: RatingRecord): RatingEntry {
  const entry: RatingEntry = { rating: record.rating, publicationDate: record.publicationDate };
  if (record.reportType !== undefined) entry.reportType = record.reportType;
  if (record.inherited !== undefined) entry.inherited = record.inherited;
  return entry;
}

const historyKey = (h: { serviceGroup: string; domain: string; publicationDate: string; rating: string }) =>
  `${h.serviceGroup}|${h.domain}|${h.publicationDate}|${h.rating}`;

interface RatingState {
  ratings: Record<string, RatingEntry>;
  serviceRatings: Record<string, RatingEntry>;
  ratingHistory: HistoricRating[];
}

/** Merges rating records onto stored ratings; returns new objects (the inputs are not changed). */
export function mergeRatings(stored: Partial<RatingState> | undefined, records: readonly RatingRecord[]): RatingState {
  const ratings: Record<string, RatingEntry> = { ...(stored?.ratings ?? {}) };
  const serviceRatings: Record<string, RatingEntry> = { ...(stored?.serviceRatings ?? {}) };
  const history: HistoricRating[] = [...(stored?.ratingHistory ?? [])];
  const inHistory = new Set(history.map(historyKey));
  let historyChanged = false;
  const remember = (serviceGroup: string, domain: string, entry: RatingEntry) => {
    const historic: HistoricRating = { ...entry, domain, serviceGroup };
    const key = historyKey(historic);
    if (inHistory.has(key)) return;
    inHistory.add(key);
    history.push(historic);
    historyChanged = true;
  };
  for (const record of records) {
    const overall = record.serviceGroup === 'Overall';
    const target = overall ? ratings : serviceRatings;
    const key = overall ? record.domain : `${record.serviceGroup}|${record.domain}`;
    const incoming = entryOf(record);
    const current = target[key];
    if (!current) {
      target[key] = incoming;
      continue;
    }
    const order = compareRatings(incoming, current);
    if (order > 0) {
      target[key] = incoming;
      remember(record.serviceGroup, record.domain, current);
    } else if (order < 0) {
      remember(record.serviceGroup, record.domain, incoming);
    }
  }
  // Oldest first; the sort is stable, so entries with the same date keep their order.
  if (historyChanged) history.sort((a, b) => (a.publicationDate < b.publicationDate ? -1 : a.publicationDate > b.publicationDate ? 1 : 0));
  return { ratings, serviceRatings, ratingHistory: history };
}

function emptyAddress(): Address {
  return { street: '', line2: '', city: '', postcode: '' };
}

/**
 * A location's rows, fingerprinted: the same rows again, in any order and on any line, build the
 * same item (merging is order-independent for ratings; rows of one location agree on its details).
 */
export function inputDigest(records: readonly LocationRatingRecord[]): string {
  const rows = records.map(({ line: _line, ...content }) => canonicalJson(content)).sort();
  return createHash('sha256').update(rows.join('\n')).digest('base64url');
}

/** The stored location item after applying `records` (all for one location). */
export function mergeLocation(stored: Item | undefined, records: readonly LocationRatingRecord[], now: string): Item {
  const last = records[records.length - 1] as LocationRatingRecord;
  const locationId = last.locationId;
  const item: Item = stored
    ? { ...stored }
    : {
        ...keys.location(locationId),
        locationId,
        providerId: last.providerId,
        name: '',
        address: emptyAddress(),
        localAuthority: '',
        region: '',
        careHome: false,
        locationType: '',
        primaryInspectionCategory: '',
        ratings: {},
        serviceRatings: {},
        ratingHistory: [],
      };
  for (const record of records) {
    item.providerId = record.providerId;
    if (record.locationName !== undefined) item.name = record.locationName;
    if (record.localAuthority !== undefined) item.localAuthority = record.localAuthority;
    if (record.region !== undefined) item.region = record.region;
    if (record.careHome !== undefined) item.careHome = record.careHome;
    if (record.locationType !== undefined) item.locationType = record.locationType;
    if (record.primaryInspectionCategory !== undefined) item.primaryInspectionCategory = record.primaryInspectionCategory;
    if (record.address !== undefined) item.address = { ...record.address };
    if (record.url !== undefined) item.url = record.url;
  }
  if (!item.name) item.name = locationId;
  item.gsi1pk = `PROVIDER#${item.providerId as string}`;
  item.gsi1sk = `LOCATION#${locationId}`;
  Object.assign(item, mergeRatings(stored as Partial<RatingState> | undefined, records));
  item.updatedAt = now;
  return item;
}

/** The stored provider item after applying Providers-sheet `records` (all for one provider). */
export function mergeProvider(stored: Item | undefined, records: readonly ProviderRatingRecord[], now: string): Item {
  const last = records[records.length - 1] as ProviderRatingRecord;
  const providerId = last.providerId;
  const item: Item = stored
    ? { ...stored }
    : { ...keys.provider(providerId), providerId, name: '', providerType: '', localAuthority: '', region: '', ratings: {} };
  for (const record of records) {
    if (record.providerName) item.name = record.providerName;
    if (record.providerType !== undefined) item.providerType = record.providerType;
    if (record.localAuthority !== undefined) item.localAuthority = record.localAuthority;
    if (record.region !== undefined) item.region = record.region;
    if (record.address !== undefined) item.address = { ...record.address };
  }
  if (!item.name) item.name = providerId;
  item.gsi1pk = 'PROVIDERS';
  item.gsi1sk = item.name;
  Object.assign(item, mergeRatings(stored as Partial<RatingState> | undefined, records));
  item.updatedAt = now;
  return item;
}

function minimalProvider(providerId: string, name: string, now: string): Item {
  return {
    ...keys.provider(providerId),
    gsi1pk: 'PROVIDERS',
    gsi1sk: name,
    providerId,
    name,
    providerType: '',
    localAuthority: '',
    region: '',
    ratings: {},
    updatedAt: now,
  };
}

interface Group<R> {
  id: string;
  records: R[];
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** One ingestion run: reads records, applies them chunk by chunk, reconciles corporate concerns. */
class Ingestion {
  private readonly started = performance.now();
  private readonly chunkSize: number;
  private readonly concurrency: number;
  private readonly maxRejections: number;
  private readonly progressEvery: number;
  private pending = new Map<string, Group<RatingRecord>>();
  private lastId: string | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private readonly inflightById = new Map<string, Promise<void>>();
  private failure: unknown;
  private readonly providersClaimed = new Set<string>();
  /** providerId -> locations below Good, as left by this run. */
  private readonly belowByProvider = new Map<string, Set<string>>();
  /** Locations processed this run (partial inputs only: their state overrides the index's). */
  private readonly processed = new Map<string, boolean>();
  private nextProgressAt: number;
  readonly summary: IngestSummary;

  constructor(
    private readonly deps: IngestDeps,
    private readonly sheet: Sheet,
    source: string,
    readonly scope: Scope,
    private readonly snapshot: boolean,
  ) {
    this.chunkSize = Math.min(100, Math.max(1, deps.chunkSize ?? 100));
    this.concurrency = Math.max(1, deps.concurrency ?? 4);
    this.maxRejections = deps.maxRejections ?? 100;
    this.progressEvery = deps.progressEvery ?? 10_000;
    this.nextProgressAt = this.progressEvery;
    this.summary = {
      source,
      sheet,
      rowsRead: 0,
      rowsKept: 0,
      rowsRejected: 0,
      rowsOutOfScope: 0,
      rejections: [],
      rejectionsTruncated: false,
      ratingCounts: {},
      locationsSeen: 0,
      locationsChanged: 0,
      providersChanged: 0,
      itemsWritten: 0,
      casesOpened: 0,
      casesResumed: 0,
      inspectionsDelivered: 0,
      corporateConcerns: 0,
      escalationCalls: 0,
      escalationFailures: [],
      durationMs: 0,
    };
  }

  read(): void {
    this.summary.rowsRead += 1;
    if (this.summary.rowsRead >= this.nextProgressAt) {
      this.nextProgressAt += this.progressEvery;
      this.progress('reading');
    }
  }

  outOfScope(rows = 1): void {
    this.summary.rowsOutOfScope += rows;
  }

  reject(rejection: Rejection): void {
    this.summary.rowsRejected += 1;
    if (this.summary.rejections.length < this.maxRejections) this.summary.rejections.push(rejection);
    else this.summary.rejectionsTruncated = true;
  }

  private keep(record: RatingRecord): void {
    this.summary.rowsKept += 1;
    this.summary.ratingCounts[record.rating] = (this.summary.ratingCounts[record.rating] ?? 0) + 1;
  }

  /** Adds a valid record; returns a promise only when the caller must wait (chunk boundary). */
  add(record: RatingRecord): Promise<void> | undefined {
    if (this.failure) throw this.failure;
    const id = record.kind === 'location' ? record.locationId : record.providerId;
    if (record.kind === 'location') this.keep(record);
    let group = this.pending.get(id);
    let wait: Promise<void> | undefined;
    if (!group) {
      if (this.pending.size >= this.chunkSize && id !== this.lastId) wait = this.flush();
      group = { id, records: [] };
      this.pending.set(id, group);
    }
    group.records.push(record);
    this.lastId = id;
    return wait;
  }

  private async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const groups = [...this.pending.values()];
    this.pending = new Map();
    const claimed: string[] = [];
    if (this.sheet === 'Locations') {
      for (const group of groups) {
        const providerId = (group.records[group.records.length - 1] as LocationRatingRecord).providerId;
        if (!this.providersClaimed.has(providerId)) {
          this.providersClaimed.add(providerId);
          claimed.push(providerId);
        }
      }
    }
    // A location still being written by an earlier chunk (rows that were not consecutive) waits for it.
    const conflicts = new Set<Promise<void>>();
    for (const group of groups) {
      const earlier = this.inflightById.get(group.id);
      if (earlier) conflicts.add(earlier);
    }
    if (conflicts.size) await Promise.all(conflicts);
    while (this.inflight.size >= this.concurrency) await Promise.race(this.inflight);
    if (this.failure) throw this.failure;
    const work = (this.sheet === 'Locations'
      ? this.applyLocations(groups as Group<LocationRatingRecord>[], claimed)
      : this.applyProviders(groups as Group<ProviderRatingRecord>[])
    ).catch((error: unknown) => {
      this.failure ??= error;
    });
    const tracked = work.finally(() => {
      this.inflight.delete(tracked);
      for (const group of groups) if (this.inflightById.get(group.id) === tracked) this.inflightById.delete(group.id);
    });
    this.inflight.add(tracked);
    for (const group of groups) this.inflightById.set(group.id, tracked);
  }

  private async drain(): Promise<void> {
    await this.flush();
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
    if (this.failure) throw this.failure;
  }

  private async applyLocations(allGroups: Group<LocationRatingRecord>[], claimedProviders: string[]): Promise<void> {
    const { doc, tableName, clock, config } = this.deps;
    const now = clock.now().toISOString();
    const providerNames = new Map<string, string>();
    for (const group of allGroups) for (const record of group.records) if (record.providerName) providerNames.set(record.providerId, record.providerName);
    // First a light read: a location given exactly the rows it was last built from (its input
    // digest), and owing no escalation, is unchanged without reading its history and services.
    const digests = new Map(allGroups.map((group) => [group.id, inputDigest(group.records)]));
    const light = await batchGet(doc, tableName, allGroups.map((group) => keys.location(group.id)), this.deps.retry, ['inputDigest', 'escalationDue', 'providerId', 'ratings']);
    const groups: Group<LocationRatingRecord>[] = [];
    for (const group of allGroups) {
      const seen = light.get(keyString(keys.location(group.id)));
      if (seen && seen.inputDigest === digests.get(group.id) && !seen.escalationDue) {
        this.summary.locationsSeen += 1;
        const ratings = (seen.ratings ?? {}) as Record<string, RatingEntry>;
        this.noteBelowGood(group.id, seen.providerId as string, locationBelowGood(ratings), seen.providerId as string);
      } else {
        groups.push(group);
      }
    }
    const stored = await batchGet(
      doc,
      tableName,
      [...groups.map((group) => keys.location(group.id)), ...claimedProviders.map((id) => keys.provider(id))],
      this.deps.retry,
    );
    const writes: Item[] = [];
    const owed: Item[] = [];
    for (const group of groups) {
      const previous = stored.get(keyString(keys.location(group.id)));
      const item = mergeLocation(previous, group.records, now);
      item.inputDigest = digests.get(group.id);
      const ratings = item.ratings as Record<string, RatingEntry>;
      const location = { locationId: group.id, providerId: item.providerId as string };
      const due = mergeEscalationDue(
        previous?.escalationDue as EscalationDue | undefined,
        escalationDueFor(previous?.ratings as Record<string, RatingEntry> | undefined, ratings, location, config.policy),
      );
      if (due) item.escalationDue = due;
      else delete item.escalationDue;
      this.summary.locationsSeen += 1;
      // Only a real change is written (a new digest alone is not: a location whose rows come in
      // several pieces would otherwise be rewritten by each piece on every run).
      if (!sameItem(previous, { ...item, inputDigest: previous?.inputDigest })) {
        writes.push(item);
        this.summary.locationsChanged += 1;
      }
      if (due) owed.push(item);
      this.noteBelowGood(group.id, item.providerId as string, locationBelowGood(ratings), previous?.providerId as string | undefined);
    }
    for (const providerId of claimedProviders) {
      const previous = stored.get(keyString(keys.provider(providerId)));
      const name = providerNames.get(providerId);
      if (!previous) {
        writes.push(minimalProvider(providerId, name ?? providerId, now));
        this.summary.providersChanged += 1;
      } else if (name && previous.name !== name) {
        writes.push({ ...previous, name, gsi1sk: name, updatedAt: now });
        this.summary.providersChanged += 1;
      }
    }
    const written = await batchPut(doc, tableName, writes, this.deps.retry);
    this.summary.itemsWritten += written;

    const cleared: Item[] = [];
    for (const item of owed) {
      if (await this.escalate(item)) {
        const done = { ...item };
        delete done.escalationDue;
        cleared.push(done);
      }
    }
    const clearedCount = await batchPut(doc, tableName, cleared, this.deps.retry);
    this.summary.itemsWritten += clearedCount;
  }

  /** Makes the calls a location's `escalationDue` mark stands for; true when all succeeded. */
  private async escalate(item: Item): Promise<boolean> {
    const { escalation, config } = this.deps;
    const due = item.escalationDue as EscalationDue;
    const locationId = item.locationId as string;
    const providerId = item.providerId as string;
    const ratings = item.ratings as Record<string, RatingEntry>;
    let call: EscalationFailure['call'] = 'deliverInspection';
    try {
      if (due.inspection) {
        this.summary.escalationCalls += 1;
        const result = await escalation.deliverInspection({ locationId, ratings, belowGood: locationBelowGood(ratings) });
        this.summary.inspectionsDelivered += 1;
        if (result.resumed) this.summary.casesResumed += 1;
      }
      const request = caseFor({ locationId, providerId, ratings }, config.policy);
      if (request) {
        call = 'openCase';
        this.summary.escalationCalls += 1;
        const result = await escalation.openCase(request);
        if (result.opened) this.summary.casesOpened += 1;
      }
      return true;
    } catch (error) {
      this.summary.escalationFailures.push({ locationId, providerId, call, error: errorText(error) });
      return false;
    }
  }

  private noteBelowGood(locationId: string, providerId: string, below: boolean, previousProvider: string | undefined): void {
    if (!this.snapshot) this.processed.set(locationId, below);
    if (previousProvider && previousProvider !== providerId) this.belowByProvider.get(previousProvider)?.delete(locationId);
    let set = this.belowByProvider.get(providerId);
    if (below) {
      if (!set) this.belowByProvider.set(providerId, (set = new Set()));
      set.add(locationId);
    } else set?.delete(locationId);
  }

  private async applyProviders(groups: Group<ProviderRatingRecord>[]): Promise<void> {
    const { doc, tableName, clock } = this.deps;
    const now = clock.now().toISOString();
    const stored = await batchGet(doc, tableName, groups.map((group) => keys.provider(group.id)), this.deps.retry);
    const writes: Item[] = [];
    for (const group of groups) {
      const previous = stored.get(keyString(keys.provider(group.id)));
      const last = group.records[group.records.length - 1] as ProviderRatingRecord;
      const inScope =
        previous !== undefined ||
        this.scope.contractProviders.has(group.id) ||
        (last.localAuthority !== undefined && this.scope.localAuthorities.has(normaliseAuthority(last.localAuthority)));
      if (!inScope) {
        this.outOfScope(group.records.length);
        continue;
      }
      for (const record of group.records) this.keep(record);
      const item = mergeProvider(previous, group.records, now);
      if (!sameItem(previous, item)) {
        writes.push(item);
        this.summary.providersChanged += 1;
      }
    }
    const written = await batchPut(doc, tableName, writes, this.deps.retry);
    this.summary.itemsWritten += written;
  }

  /** Raises a corporate concern for each provider with enough locations below Good not yet named. */
  private async reconcileCorporateConcerns(): Promise<void> {
    const { doc, tableName, escalation, clock, config } = this.deps;
    const threshold = config.policy.corporateConcernThreshold;
    const candidates = new Map<string, Set<string>>();
    for (const [providerId, below] of this.belowByProvider) {
      if (below.size === 0) continue;
      const all = new Set(below);
      if (!this.snapshot) {
        // A partial input: the provider's other locations are as stored.
        for (const location of await queryGsi1(doc, tableName, `PROVIDER#${providerId}`, 'LOCATION#')) {
          const locationId = location.locationId as string;
          if (this.processed.has(locationId)) continue;
          if (locationBelowGood((location.ratings ?? {}) as Record<string, RatingEntry>)) all.add(locationId);
        }
      }
      if (all.size >= threshold) candidates.set(providerId, all);
    }
    if (candidates.size === 0) return;
    const providers = await batchGet(doc, tableName, [...candidates.keys()].map((id) => keys.provider(id)), this.deps.retry);
    for (const [providerId, set] of candidates) {
      const locationIds = [...set].sort();
      const provider = providers.get(keyString(keys.provider(providerId)));
      const raised = (provider?.corporateConcern as { locationsBelowGood?: string[] } | undefined)?.locationsBelowGood;
      if (!corporateConcernDue(locationIds, raised, threshold)) continue;
      try {
        this.summary.escalationCalls += 1;
        await escalation.raiseCorporateConcern(providerId, locationIds);
      } catch (error) {
        this.summary.escalationFailures.push({ providerId, call: 'raiseCorporateConcern', error: errorText(error) });
        continue;
      }
      this.summary.corporateConcerns += 1;
      const now = clock.now().toISOString();
      try {
        // An update, not a put: the ladder may have written to the provider item meanwhile.
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.provider(providerId),
            UpdateExpression: 'SET corporateConcern = :concern, updatedAt = :now',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':concern': { raisedAt: now, locationsBelowGood: locationIds }, ':now': now },
          }),
        );
        this.summary.itemsWritten += 1;
      } catch (error) {
        // No provider item to record it on (never ingested): the concern is raised all the same.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
  }

  async finish(): Promise<IngestSummary> {
    await this.drain();
    if (this.sheet === 'Locations') {
      this.progress('corporate');
      await this.reconcileCorporateConcerns();
    }
    this.summary.durationMs = Math.round(performance.now() - this.started);
    this.progress('done');
    return this.summary;
  }

  /** Waits for work in flight (used when reading fails, so nothing is left running). */
  async abandon(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  private progress(phase: IngestProgress['phase']): void {
    const s = this.summary;
    this.deps.onProgress?.({
      phase,
      rowsRead: s.rowsRead,
      rowsKept: s.rowsKept,
      rowsRejected: s.rowsRejected,
      rowsOutOfScope: s.rowsOutOfScope,
      locationsChanged: s.locationsChanged,
      providersChanged: s.providersChanged,
      itemsWritten: s.itemsWritten,
      escalationCalls: s.escalationCalls,
    });
  }
}

/**
 * Ingests one sheet of CQC's ratings file: finds the header, maps the columns (MissingColumn when
 * a required one is absent), validates each row, and applies the kept ones.
 */
export async function ingestRatings(options: IngestRatingsOptions): Promise<IngestSummary> {
  const { rows, sheet, source } = options;
  const scope = await loadScope(options.doc, options.tableName, options.config);
  const run = new Ingestion(options, sheet, source, scope, true);
  let locationColumns: ColumnMap<LocationField> | undefined;
  let providerColumns: ColumnMap<ProviderField> | undefined;
  let rowsBeforeHeader = 0;
  // A header repeated further down (sheets joined together) is skipped: its anchor cell, as spelt.
  let anchorIndex = -1;
  let anchorText = '';
  try {
    for await (const row of rows) {
      const { line, cells } = row;
      if (!locationColumns && !providerColumns) {
        if (isHeaderRow(cells, sheet)) {
          if (sheet === 'Locations') {
            locationColumns = mapColumns('Locations', cells, source);
            anchorIndex = locationColumns.locationId;
          } else {
            providerColumns = mapColumns('Providers', cells, source);
            anchorIndex = providerColumns.providerId;
          }
          anchorText = cells[anchorIndex] ?? '';
        } else if (++rowsBeforeHeader >= HEADER_SEARCH_ROWS) break;
        continue;
      }
      if (cells[anchorIndex] === anchorText) continue;
      run.read();
      let wait: Promise<void> | undefined;
      if (locationColumns) {
        const locationId = (cells[locationColumns.locationId] ?? '').trim();
        if (locationId && !inScopeLocation(scope, locationId, cells[locationColumns.localAuthority])) {
          run.outOfScope();
          continue;
        }
        const result = parseLocationRow(line, cells, locationColumns);
        if (result.ok) wait = run.add(result.record);
        else run.reject(result.rejection);
      } else if (providerColumns) {
        const result = parseProviderRow(line, cells, providerColumns);
        if (result.ok) wait = run.add(result.record);
        else run.reject(result.rejection);
      }
      if (wait) await wait;
    }
    if (!locationColumns && !providerColumns) {
      const anchor = anchorColumn(sheet);
      throw new MissingColumn(anchor, source, `${source}: no header row (a row with a "${anchor}" cell) found`);
    }
    return await run.finish();
  } catch (error) {
    await run.abandon();
    throw error;
  }
}

/** Applies records built elsewhere (the CQC API) with the same rules as file rows. */
export async function ingestRecords(options: IngestRecordsOptions): Promise<IngestSummary> {
  const scope = options.scope ?? (await loadScope(options.doc, options.tableName, options.config));
  const run = new Ingestion(options, options.sheet, options.source, scope, options.snapshot);
  try {
    for await (const result of options.records) {
      run.read();
      if (!result.ok) {
        run.reject(result.rejection);
        continue;
      }
      const record = result.record;
      if (record.kind === 'location' && !inScopeLocation(scope, record.locationId, record.localAuthority)) {
        run.outOfScope();
        continue;
      }
      const wait = run.add(record);
      if (wait) await wait;
    }
    return await run.finish();
  } catch (error) {
    await run.abandon();
    throw error;
  }
}
