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
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AppConfig } from '../lib/config';
import type { Clock } from '../lib/clock';
import type { EscalationPort } from '../lib/escalation-port';
import type { HistoricRating, RatingEntry } from '../lib/model';
import { keys } from '../lib/table';
import { crashPoint } from '../lib/crash-points';
import { isoDate } from '../lib/clock';
import type { FileFacts } from './files';
import {
  HEADER_SEARCH_ROWS,
  MissingColumn,
  mapColumns,
  sheetOfHeader,
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
  checkCells,
  parseLocationRow,
  parseProviderRow,
  shorten,
  validateLocationRow,
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

/** What a preview (dry run) found: what applying the file would do. Nothing was written or sent. */
export interface IngestPreview {
  /** Location and provider items that would be created or changed. */
  itemsToWrite: number;
  /** Cases that would open (the first `maxPreviewEntries`), with their stage and why. */
  casesToOpen: Array<{ locationId: string; name: string; providerId: string; stage: 'informal' | 'formal'; trigger: string }>;
  casesToOpenCount: number;
  /** Locations whose ratings call for a case that is open already (nothing new would happen). */
  casesAlreadyOpen: number;
  /** Open cases waiting on the next inspection that the new rating would resume. */
  casesToResume: Array<{ locationId: string; name: string; caseId?: string; belowGood: boolean }>;
  casesToResumeCount: number;
  /** Corporate concerns that would be raised. */
  concernsToRaise: Array<{ providerId: string; name: string; locationIds: string[] }>;
  concernsToRaiseCount: number;
}

/** Which parts of a file to apply (undefined: all); or a preview with no writes and no emails. */
export interface IngestPlan {
  dryRun?: boolean;
  /** Location ids whose case may open; others are stored without opening one. */
  openCases?: ReadonlySet<string>;
  /** Location ids whose waiting case may be resumed by the new rating. */
  resumeCases?: ReadonlySet<string>;
  /** Provider ids whose corporate concern may be raised. */
  raiseConcerns?: ReadonlySet<string>;
}

export interface IngestSummary {
  source: string;
  sheet: Sheet;
  /** `failed`: nothing usable was kept (see `failureReason`); the counts and rejections still stand. */
  outcome: 'done' | 'failed';
  failureReason?: string;
  /** CSV, ODS, or records built from the CQC API. */
  format?: string;
  /** The encoding the file was read in, as said to the user. */
  encoding?: string;
  /** Facts worth telling: the separator, the sheet read, areas that look misspelt. */
  notes: string[];
  /** True for a preview: nothing was written and no email sent. */
  dryRun: boolean;
  preview?: IngestPreview;
  /** Parts left out by choice when applying (cases not opened, cases not resumed, concerns not raised). */
  leftOut?: { cases: number; resumes: number; concerns: number };
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
  /** Entries kept in each list of a preview (default 500; all are counted). */
  maxPreviewEntries?: number;
  retry?: RetryOptions;
  plan?: IngestPlan;
}

export interface IngestRatingsOptions extends IngestDeps {
  /** Raw sheet rows, header included (see `openRatingsFile`). */
  rows: AsyncIterable<SheetRow>;
  /** The sheet expected; undefined: told by the header row (`Provider ID` without `Location ID`: Providers). */
  sheet?: Sheet;
  /** What was found out about the file (encoding, separator, format): said in the summary. */
  facts?: FileFacts;
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

/** DynamoDB's item limit is 400 KB; an item near it is refused before the batch that holds it. */
const MAX_ITEM_BYTES = 380_000;

/**
 * An error that stopped a run, said with the file, the line and the location. Every location is
 * written whole, so a re-run of the same file completes the run.
 */
export class IngestStopped extends Error {
  constructor(
    readonly file: string,
    where: string,
    readonly underlying?: unknown,
  ) {
    super(`${file}: the run stopped at ${where}. Each location is written whole, so nothing is half-written; ingest the same file again to complete the run.`);
    this.name = 'IngestStopped';
  }
}

/** Letters only, without the words councils add: `Somerset County Council` -> `somerset`. */
function looseArea(name: string): string {
  return name
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/\b(the|council|county|city|of|borough|metropolitan|district|royal|unitary|authority)\b/g, ' ')
    .replace(/[^a-z]/g, '');
}

/** Is `theirs` (a file's spelling) our area `ours` spelt another way? */
export function sameArea(ours: string, theirs: string): boolean {
  const a = looseArea(ours);
  const b = looseArea(theirs);
  if (!a || !b) return false;
  return a === b || (a.length >= 4 && b.includes(a)) || (b.length >= 4 && a.includes(b));
}

const APPLIED = keys.ingestRun('ratings-applied');

/** Has a ratings file ever been applied here (so an ingest is not the council's first)? */
export async function hasAppliedIngest(doc: DynamoDBDocumentClient, tableName: string): Promise<boolean> {
  const found = await batchGet(doc, tableName, [APPLIED]);
  return found.size > 0;
}

async function markApplied(doc: DynamoDBDocumentClient, tableName: string, clock: Clock): Promise<void> {
  try {
    await doc.send(new PutCommand({ TableName: tableName, Item: { ...APPLIED, firstAppliedAt: clock.now().toISOString() }, ConditionExpression: 'attribute_not_exists(pk)' }));
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
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
  private readonly maxPreview: number;
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
  /** A preview's would-be writes, so later chunks see them as a real run would. */
  private readonly overlay = new Map<string, Item>();
  /** Items already counted in a preview's items to write. */
  private readonly previewed = new Set<string>();
  /** The file lines each location's rows came from (for errors that stop the run). */
  private readonly linesOf = new Map<string, number[]>();
  /** Local authorities of rows kept out, with their row counts. */
  private readonly areas = new Map<string, number>();
  private lastProgressAt = 0;
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
    this.maxPreview = deps.maxPreviewEntries ?? 500;
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
      outcome: 'done',
      notes: [],
      dryRun: this.dryRun,
    };
    if (this.dryRun) {
      this.summary.preview = { itemsToWrite: 0, casesToOpen: [], casesToOpenCount: 0, casesAlreadyOpen: 0, casesToResume: [], casesToResumeCount: 0, concernsToRaise: [], concernsToRaiseCount: 0 };
    } else if (deps.plan?.openCases || deps.plan?.resumeCases || deps.plan?.raiseConcerns) {
      this.summary.leftOut = { cases: 0, resumes: 0, concerns: 0 };
    }
  }

  private get dryRun(): boolean {
    return this.deps.plan?.dryRun === true;
  }

  /** Stored items, as a preview sees them: what it would have written earlier in the run comes first. */
  private async readItems(wanted: { pk: string; sk: string }[], attributes?: readonly string[]): Promise<Map<string, Item>> {
    if (!this.dryRun || this.overlay.size === 0) return batchGet(this.deps.doc, this.deps.tableName, wanted, this.deps.retry, attributes);
    const rest = wanted.filter((key) => !this.overlay.has(keyString(key)));
    const found = await batchGet(this.deps.doc, this.deps.tableName, rest, this.deps.retry, attributes);
    for (const key of wanted) {
      const item = this.overlay.get(keyString(key));
      if (item) found.set(keyString(key), item);
    }
    return found;
  }

  /** Writes items (a preview only notes them); returns how many were written. */
  private async writeItems(items: Item[]): Promise<number> {
    for (const item of items) {
      const bytes = Buffer.byteLength(JSON.stringify(item));
      if (bytes > MAX_ITEM_BYTES) {
        const lines = (this.linesOf.get(keyString(item)) ?? []).slice(0, 5).join(', ');
        throw new IngestStopped(
          this.summary.source,
          `line ${lines || '?'}, ${item.sk === 'LOCATION' ? 'location' : 'provider'} ${shorten(String(item.locationId ?? item.providerId ?? item.pk), 40)}: its record would be ${bytes.toLocaleString('en-GB')} bytes, more than the ${MAX_ITEM_BYTES.toLocaleString('en-GB')} a record can hold`,
        );
      }
    }
    if (this.dryRun) {
      for (const item of items) this.overlay.set(keyString(item), item);
      for (const item of items) {
        const key = keyString(item);
        if (this.previewed.has(key)) continue;
        this.previewed.add(key);
        (this.summary.preview as IngestPreview).itemsToWrite += 1;
      }
      return 0;
    }
    return batchPut(this.deps.doc, this.deps.tableName, items, this.deps.retry);
  }

  /** Notes the area of a row kept out, to spot the authority's own area spelt another way. */
  noteArea(localAuthority: string | undefined): void {
    const name = (localAuthority ?? '').trim();
    if (!name) return;
    const count = this.areas.get(name);
    if (count !== undefined) this.areas.set(name, count + 1);
    else if (this.areas.size < 1_000) this.areas.set(name, 1);
  }

  read(): void {
    this.summary.rowsRead += 1;
    if (this.summary.rowsRead >= this.nextProgressAt) {
      this.nextProgressAt += this.progressEvery;
      this.progress('reading');
    } else if ((this.summary.rowsRead & 1023) === 0 && this.deps.onProgress) {
      // A slow run (a busy table) still reports at least every two seconds.
      const now = performance.now();
      if (now - this.lastProgressAt > 2_000) this.progress('reading');
    }
  }

  outOfScope(rows = 1): void {
    this.summary.rowsOutOfScope += rows;
  }

  reject(rejection: Rejection): void {
    this.summary.rowsRejected += 1;
    if (this.summary.rejections.length < this.maxRejections) this.summary.rejections.push(rejection.value.length > 200 ? { ...rejection, value: shorten(rejection.value) } : rejection);
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
    const key = keyString(record.kind === 'location' ? keys.location(id) : keys.provider(id));
    const lines = this.linesOf.get(key);
    if (!lines) this.linesOf.set(key, [record.line]);
    else if (lines.length < 5) lines.push(record.line);
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
      this.failure ??= error instanceof IngestStopped ? error : this.stopped(error, groups);
    });
    const tracked = work.finally(() => {
      this.inflight.delete(tracked);
      for (const group of groups) if (this.inflightById.get(group.id) === tracked) this.inflightById.delete(group.id);
    });
    this.inflight.add(tracked);
    for (const group of groups) this.inflightById.set(group.id, tracked);
  }

  /** An error that stops the run, said with the file, the lines and the locations it stopped at. */
  private stopped(error: unknown, groups: Group<RatingRecord>[]): IngestStopped {
    const lines = groups.flatMap((group) => group.records.map((record) => record.line));
    const first = Math.min(...lines);
    const last = Math.max(...lines);
    const ids = groups.map((group) => group.id);
    const what = this.sheet === 'Locations' ? 'location' : 'provider';
    const named = ids.length === 1 ? `${what} ${shorten(ids[0] as string, 40)}` : `${what}s ${shorten(ids[0] as string, 40)} to ${shorten(ids[ids.length - 1] as string, 40)} (${ids.length})`;
    return new IngestStopped(this.summary.source, `${first === last ? `line ${first}` : `lines ${first}–${last}`}, ${named}: ${shorten(errorText(error), 300)}`, error);
  }

  private async drain(): Promise<void> {
    await this.flush();
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
    if (this.failure) throw this.failure;
  }

  private async applyLocations(allGroups: Group<LocationRatingRecord>[], claimedProviders: string[]): Promise<void> {
    const { doc, tableName, clock, config } = this.deps;
    void doc;
    void tableName;
    const now = clock.now().toISOString();
    const providerNames = new Map<string, string>();
    for (const group of allGroups) for (const record of group.records) if (record.providerName) providerNames.set(record.providerId, record.providerName);
    // First a light read: a location given exactly the rows it was last built from (its input
    // digest), and owing no escalation, is unchanged without reading its history and services.
    const digests = new Map(allGroups.map((group) => [group.id, inputDigest(group.records)]));
    const light = await this.readItems(allGroups.map((group) => keys.location(group.id)), ['inputDigest', 'escalationDue', 'providerId', 'ratings']);
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
    const stored = await this.readItems([...groups.map((group) => keys.location(group.id)), ...claimedProviders.map((id) => keys.provider(id))]);
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
    const written = await this.writeItems(writes);
    this.summary.itemsWritten += written;
    crashPoint('ingest:afterWrite');

    const cleared: Item[] = [];
    for (const item of owed) {
      if (await this.escalate(item)) {
        const done = { ...item };
        delete done.escalationDue;
        cleared.push(done);
      }
    }
    if (this.dryRun) {
      for (const item of cleared) this.overlay.set(keyString(item), item);
      return;
    }
    const clearedCount = await batchPut(doc, tableName, cleared, this.deps.retry);
    this.summary.itemsWritten += clearedCount;
  }

  /** Makes the calls a location's `escalationDue` mark stands for; true when all succeeded. */
  private async escalate(item: Item): Promise<boolean> {
    const { escalation, config, plan } = this.deps;
    const due = item.escalationDue as EscalationDue;
    const locationId = item.locationId as string;
    const providerId = item.providerId as string;
    const ratings = item.ratings as Record<string, RatingEntry>;
    const request = caseFor({ locationId, providerId, ratings }, config.policy);
    if (this.dryRun) {
      const preview = this.summary.preview as IngestPreview;
      const name = String(item.name ?? locationId);
      if (due.inspection) {
        const belowGood = locationBelowGood(ratings);
        const result = escalation.preview ? await escalation.preview.deliverInspection({ locationId, ratings, belowGood }) : { resumed: false };
        if (result.resumed) {
          preview.casesToResumeCount += 1;
          if (preview.casesToResume.length < this.maxPreview) preview.casesToResume.push({ locationId, name, caseId: result.caseId, belowGood });
        }
      }
      if (request) {
        const result = escalation.preview ? await escalation.preview.openCase(request) : { opened: true };
        if (result.opened) {
          preview.casesToOpenCount += 1;
          if (preview.casesToOpen.length < this.maxPreview) preview.casesToOpen.push({ locationId, name, providerId, stage: request.stage, trigger: request.trigger });
        } else preview.casesAlreadyOpen += 1;
      }
      return true;
    }
    let call: EscalationFailure['call'] = 'deliverInspection';
    try {
      if (due.inspection) {
        if (plan?.resumeCases && !plan.resumeCases.has(locationId)) {
          if (this.summary.leftOut) this.summary.leftOut.resumes += 1;
        } else {
          this.summary.escalationCalls += 1;
          const result = await escalation.deliverInspection({ locationId, ratings, belowGood: locationBelowGood(ratings) });
          this.summary.inspectionsDelivered += 1;
          if (result.resumed) this.summary.casesResumed += 1;
        }
      }
      if (request) {
        if (plan?.openCases && !plan.openCases.has(locationId)) {
          if (this.summary.leftOut) this.summary.leftOut.cases += 1;
        } else {
          call = 'openCase';
          this.summary.escalationCalls += 1;
          const result = await escalation.openCase(request);
          if (result.opened) this.summary.casesOpened += 1;
        }
      }
      return true;
    } catch (error) {
      this.summary.escalationFailures.push({ locationId, providerId, call, error: shorten(errorText(error), 300) });
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
    void doc;
    void tableName;
    const stored = await this.readItems(groups.map((group) => keys.provider(group.id)));
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
        for (let i = 0; i < group.records.length; i += 1) this.noteArea(last.localAuthority);
        continue;
      }
      for (const record of group.records) this.keep(record);
      const item = mergeProvider(previous, group.records, now);
      if (!sameItem(previous, item)) {
        writes.push(item);
        this.summary.providersChanged += 1;
      }
    }
    const written = await this.writeItems(writes);
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
    const providers = await this.readItems([...candidates.keys()].map((id) => keys.provider(id)));
    for (const [providerId, set] of candidates) {
      const locationIds = [...set].sort();
      const provider = providers.get(keyString(keys.provider(providerId)));
      const raised = (provider?.corporateConcern as { locationsBelowGood?: string[] } | undefined)?.locationsBelowGood;
      if (!corporateConcernDue(locationIds, raised, threshold)) continue;
      if (this.dryRun) {
        const preview = this.summary.preview as IngestPreview;
        preview.concernsToRaiseCount += 1;
        if (preview.concernsToRaise.length < this.maxPreview) preview.concernsToRaise.push({ providerId, name: String(provider?.name ?? providerId), locationIds });
        continue;
      }
      if (this.deps.plan?.raiseConcerns && !this.deps.plan.raiseConcerns.has(providerId)) {
        if (this.summary.leftOut) this.summary.leftOut.concerns += 1;
        continue;
      }
      try {
        this.summary.escalationCalls += 1;
        await escalation.raiseCorporateConcern(providerId, locationIds);
      } catch (error) {
        this.summary.escalationFailures.push({ providerId, call: 'raiseCorporateConcern', error: shorten(errorText(error), 300) });
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
    this.judge();
    if (!this.dryRun && this.summary.rowsKept > 0) await markApplied(this.deps.doc, this.deps.tableName, this.deps.clock);
    this.summary.durationMs = Math.round(performance.now() - this.started);
    this.progress('done');
    return this.summary;
  }

  /**
   * A run that kept nothing is a failure when every row was rejected, or when rows of the
   * authority's own area came under another spelling; one that kept nothing only because no row was
   * for the area says so.
   */
  private judge(): void {
    const s = this.summary;
    const configured = [...this.scope.localAuthorities];
    const lookalikes = [...this.areas.entries()].filter(([name]) => configured.some((ours) => sameArea(ours, name)));
    if (s.rowsKept > 0) return;
    const fail = (reason: string) => {
      s.outcome = 'failed';
      s.failureReason = reason;
    };
    if (s.rowsRead === 0) fail('The file has a header row but no rows of ratings under it.');
    else if (s.rowsRejected === s.rowsRead) fail(`Every row was rejected (${s.rowsRejected.toLocaleString('en-GB')}): nothing was stored. The rejected rows below say why.`);
    else if (lookalikes.length) {
      const rows = lookalikes.reduce((total, [, count]) => total + count, 0);
      fail(
        `No row was kept, but ${rows.toLocaleString('en-GB')} rows are for ${lookalikes.map(([name]) => `"${shorten(name, 80)}"`).slice(0, 5).join(', ')}, which looks like our area spelt another way ` +
          `(the configuration's authority.localAuthorities: ${configured.map((name) => `"${name}"`).join(', ')}). Correct the spelling in the configuration (or the file) and ingest it again.`,
      );
    } else if (s.rowsOutOfScope > 0) {
      const top = [...this.areas.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
      s.notes.push(
        `No row is for our area (authority.localAuthorities: ${configured.map((name) => `"${name}"`).join(', ')}) or under contract${top.length ? `; the file's areas include ${top.map(([name, count]) => `"${shorten(name, 80)}" (${count.toLocaleString('en-GB')} rows)`).join(', ')}` : ''}.`,
      );
    }
  }

  /** Waits for work in flight (used when reading fails, so nothing is left running). */
  async abandon(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  private progress(phase: IngestProgress['phase']): void {
    this.lastProgressAt = performance.now();
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
 * Ingests one sheet of CQC's ratings file: finds the header (and from it the sheet, unless one was
 * asked for), maps the columns (MissingColumn naming every absent one), validates every row —
 * whatever its area: a damaged row of another county is a sign the file is damaged — and applies
 * the kept ones.
 */
export async function ingestRatings(options: IngestRatingsOptions): Promise<IngestSummary> {
  const { rows, source } = options;
  const today = isoDate(options.clock.now());
  const scope = await loadScope(options.doc, options.tableName, options.config);
  let run: Ingestion | undefined;
  let locationColumns: ColumnMap<LocationField> | undefined;
  let providerColumns: ColumnMap<ProviderField> | undefined;
  let header: string[] = [];
  let width = 0;
  let rowsBeforeHeader = 0;
  // A header repeated further down (sheets joined together) is skipped: its anchor cell, as spelt.
  let anchorIndex = -1;
  let anchorText = '';
  // ODS omits a row's trailing empty cells, so only CSV rows can be told short.
  const shortRowsPossible = options.facts?.format !== 'ods';
  try {
    for await (const row of rows) {
      const { line, cells } = row;
      if (!run) {
        const found = sheetOfHeader(cells);
        if (found && (options.sheet === undefined || found === options.sheet || (options.sheet === 'Providers' && found === 'Locations'))) {
          const sheet = options.sheet ?? found;
          if (sheet === 'Locations') {
            locationColumns = mapColumns('Locations', cells, source);
            anchorIndex = locationColumns.locationId;
          } else {
            providerColumns = mapColumns('Providers', cells, source);
            anchorIndex = providerColumns.providerId;
          }
          header = cells.map((cell) => cell.trim());
          width = cells.length;
          anchorText = cells[anchorIndex] ?? '';
          run = new Ingestion(options, sheet, source, scope, true);
          if (options.facts) {
            run.summary.format = options.facts.format.toUpperCase();
            run.summary.encoding = options.facts.encoding;
            run.summary.notes.push(...options.facts.notes);
          }
          if (!options.sheet) run.summary.notes.push(`Read as CQC's ${sheet} sheet (its header has "${sheet === 'Locations' ? 'Location ID' : 'Provider ID'}"${sheet === 'Providers' ? ' and no "Location ID"' : ''}).`);
        } else if (++rowsBeforeHeader >= HEADER_SEARCH_ROWS) break;
        continue;
      }
      if (cells[anchorIndex] === anchorText) continue;
      run.read();
      if (cells.length !== width) {
        const short = cells.length < width;
        if ((short && shortRowsPossible) || (!short && cells.slice(width).some((cell) => cell.trim() !== ''))) {
          run.reject({
            line,
            field: 'whole row',
            reason: `${short ? 'short row' : 'long row'}: ${cells.length} cells where the header has ${width}${short ? ' (the row is cut short)' : ' (a value holds an unquoted separator, or cells were added)'}`,
            value: shorten(cells.join(',')),
          });
          continue;
        }
      }
      const damaged = checkCells(line, cells, header);
      if (damaged) {
        run.reject(damaged);
        continue;
      }
      let wait: Promise<void> | undefined;
      if (locationColumns) {
        const locationId = (cells[locationColumns.locationId] ?? '').trim();
        const area = cells[locationColumns.localAuthority];
        if (locationId && !inScopeLocation(scope, locationId, area)) {
          // Outside the area: validated all the same (a damaged row is reported), but not built.
          const rejection = validateLocationRow(line, cells, locationColumns, today);
          if (rejection) run.reject(rejection);
          else {
            run.outOfScope();
            run.noteArea(area);
          }
        } else {
          const result = parseLocationRow(line, cells, locationColumns, today);
          if (result.ok) wait = run.add(result.record);
          else run.reject(result.rejection);
        }
      } else if (providerColumns) {
        const result = parseProviderRow(line, cells, providerColumns, today);
        if (result.ok) wait = run.add(result.record);
        else run.reject(result.rejection);
      }
      if (wait) await wait;
    }
    if (!run) {
      const wanted = options.sheet === undefined ? '"Location ID" or "Provider ID"' : `"${options.sheet === 'Locations' ? 'Location ID' : 'Provider ID'}"`;
      const other = options.sheet === 'Locations' ? ' (a row with "Provider ID" and no "Location ID" makes it the Providers sheet: leave out --sheet to read it)' : '';
      const separatorHint = options.facts?.format === 'csv' ? '' : '';
      throw new MissingColumn(
        options.sheet === 'Providers' ? 'Provider ID' : 'Location ID',
        source,
        `${source}: no header row (a row with a ${wanted} cell) in its first ${HEADER_SEARCH_ROWS} rows${other}${separatorHint}`,
      );
    }
    return await run.finish();
  } catch (error) {
    await run?.abandon();
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
