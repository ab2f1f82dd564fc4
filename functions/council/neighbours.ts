/**
 * Neighbouring authorities' live status lists (seed 004's shared list): each neighbour's Managed
 * Placements Memo, in our own memo CSV format (another authority running the product) or in a
 * simple documented one (provider, location id or name and postcode, status, date, contact).
 *
 * One list per authority (its *source*): a new import of a source replaces that source's list,
 * never another's, and keeps the list's date. Each row is matched to a location on record here:
 * by CQC location id, else by name and postcode, and the match is kept with the row; a row that
 * matches nothing is kept and listed as unmatched, never dropped.
 *
 * A source's list is one item (its rows gzipped), so a replacement is a single write: a reader sees
 * the old list or the new one, never half of each. Its audit event follows; an apply interrupted
 * between the two and run again finds the list in place and writes the missing event, once.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { isoDate, type Clock } from '../lib/clock';
import type { AppConfig } from '../lib/config';
import { crashPoint } from '../lib/crash-points';
import { BadInput } from '../lib/errors';
import { contractLocations, MEMO_RAG, type MemoRag } from '../lib/model';
import type { Store } from '../lib/store';
import type { SheetRow } from '../ingest/columns';
import { listCaseSummaries, loadLocations, type LocationName } from '../web/data';
import { cell, isCqcId, mapTable, MissingColumns, parseDate, readTableFile, type ColumnSpec, type TableFile, RowProblem } from './table-file';
import type { Rejection } from './register';

export interface NeighbourDeps {
  store: Store;
  config: AppConfig;
  clock: Clock;
}

/** The schema version of our memo CSV this product reads (functions/web/memo.ts writes it). */
export const READABLE_SCHEMA_VERSIONS = ['1'];
/** A list older than this is marked as possibly out of date wherever it is shown. */
export const NEIGHBOUR_STALE_DAYS = 30;
/** A status list is short; anything longer is not one. */
export const MAX_NEIGHBOUR_ROWS = 5000;

/**
 * One set of columns reads both formats: our memo CSV's names (`cqc_location_id`) and the simple
 * format's (`Location ID`) are the same once case, spaces and punctuation are ignored, and the
 * rest are aliases.
 */
export const NEIGHBOUR_COLUMNS = {
  schemaVersion: { header: 'schema_version' },
  authority: { header: 'authority', aliases: ['Council', 'Local Authority'] },
  listDate: { header: 'list_date' },
  provider: { header: 'Provider', aliases: ['provider_name', 'Provider Name'] },
  locationId: { header: 'Location ID', aliases: ['cqc_location_id', 'CQC Location ID'] },
  locationName: { header: 'Location Name', aliases: ['location_name', 'Name', 'Location', 'Service', 'Service Name'] },
  postcode: { header: 'Postcode', aliases: ['Post Code'] },
  status: { header: 'Status', aliases: ['Section', 'RAG'], required: true },
  date: { header: 'Date', aliases: ['since', 'Since', 'Status Date', 'Date Added'], required: true },
  contact: { header: 'Contact', aliases: ['contact_name', 'Contact Name', 'Council Contact'] },
  contactPhone: { header: 'contact_phone', aliases: ['Contact Phone', 'Contact Telephone', 'Telephone'] },
  contactEmail: { header: 'contact_email', aliases: ['Contact Email'] },
  address: { header: 'address' },
  area: { header: 'area' },
  serviceType: { header: 'service_type', aliases: ['Type of Service'] },
} satisfies Record<string, ColumnSpec>;
type NeighbourField = keyof typeof NEIGHBOUR_COLUMNS;

/** The simple format's columns, as the README documents them. */
export const SIMPLE_NEIGHBOUR_HEADER = ['Provider', 'Location ID', 'Location Name', 'Postcode', 'Status', 'Date', 'Contact'];

/** What each status means, in the memo's words ("Dorset Council: not placing since 3 October 2026"). */
export const NEIGHBOUR_STATUS_WORDS: Record<MemoRag, string> = {
  RED: 'not placing',
  AMBER: 'placing with restrictions',
  GREEN: 'placing again',
};

const STATUS_SPELLINGS: Record<string, MemoRag> = {
  red: 'RED',
  'not placing': 'RED',
  'no new placements': 'RED',
  suspended: 'RED',
  'placements suspended': 'RED',
  'suspend new placements': 'RED',
  amber: 'AMBER',
  restrictions: 'AMBER',
  restricted: 'AMBER',
  'placing with restrictions': 'AMBER',
  'place with restrictions': 'AMBER',
  green: 'GREEN',
  placing: 'GREEN',
  'placing again': 'GREEN',
  'restrictions lifted': 'GREEN',
  'restrictions removed': 'GREEN',
  lifted: 'GREEN',
};

export function parseNeighbourStatus(text: string): MemoRag | undefined {
  return STATUS_SPELLINGS[text.toLowerCase().replace(/[^a-z]+/g, ' ').trim()];
}

/** Names compared as people write them: case, punctuation, "&"/"and" and a leading "The" ignored. */
export function normaliseName(name: string): string {
  return name
    .toLowerCase()
    .replaceAll('&', ' and ')
    .replace(/[^a-z0-9]+/g, ' ')
    .replace(/^the /, '')
    .replace(/ (ltd|limited)$/, '')
    .trim();
}

export function normalisePostcode(postcode: string): string {
  return postcode.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

const POSTCODE = /^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$/;

export type MatchKind = 'locationId' | 'namePostcode';

export const MATCH_WORDS: Record<MatchKind, string> = {
  locationId: 'matched by CQC location id',
  namePostcode: 'matched by name and postcode',
};

export const neighbourEntrySchema = z.object({
  line: z.number().int(),
  rag: z.enum(MEMO_RAG),
  /** The status as the neighbour wrote it. */
  statusText: z.string(),
  since: z.string(),
  locationId: z.string().optional(),
  locationName: z.string().optional(),
  provider: z.string().optional(),
  postcode: z.string().optional(),
  contact: z.string().optional(),
  match: z.object({ by: z.enum(['locationId', 'namePostcode']), locationId: z.string(), providerId: z.string(), name: z.string() }).optional(),
  /** Why a row matched no location here. */
  unmatched: z.string().optional(),
});
export type NeighbourEntry = z.infer<typeof neighbourEntrySchema>;

export const NEIGHBOUR_FORMATS = ['memo', 'simple'] as const;
export type NeighbourFormat = (typeof NEIGHBOUR_FORMATS)[number];

const storedListSchema = z.object({
  sourceId: z.string(),
  authority: z.string(),
  listDate: z.string(),
  /** Where the list's date came from: the file's `list_date`, the importer, or the day it was imported. */
  listDateFrom: z.enum(['file', 'given', 'imported']),
  importId: z.string(),
  importedAt: z.string(),
  importedBy: z.string(),
  file: z.string(),
  format: z.enum(NEIGHBOUR_FORMATS),
  entryCount: z.number().int(),
  entriesGz: z.string(),
  /** The list this one replaced (its import and date), for the audit event after a crash. */
  replaced: z.object({ importId: z.string(), listDate: z.string() }).optional(),
});
type StoredList = z.infer<typeof storedListSchema>;

export type NeighbourList = Omit<StoredList, 'entriesGz'> & { entries: NeighbourEntry[] };

const LIST_INDEX = 'NEIGHBOURLISTS';
const listKey = (sourceId: string) => ({ pk: `NEIGHBOURS#${sourceId}`, sk: 'LIST' });
export const neighbourAuditId = (sourceId: string) => `neighbours-${sourceId}`;

/** A source's id from the authority's name: `Dorset Council` → `dorset-council`. */
export function sourceIdOf(authority: string): string {
  const id = authority.toLowerCase().replaceAll('&', 'and').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
  if (!id) throw new BadInput(`"${authority}" is not an authority's name`);
  return id;
}

function unpack(item: Record<string, unknown>): NeighbourList | undefined {
  const parsed = storedListSchema.safeParse(item);
  if (!parsed.success) return undefined;
  const { entriesGz, ...list } = parsed.data;
  const entries = z.array(neighbourEntrySchema).parse(JSON.parse(gunzipSync(Buffer.from(entriesGz, 'base64')).toString('utf8')));
  return { ...list, entries };
}

export async function getNeighbourList(store: Store, sourceId: string): Promise<NeighbourList | undefined> {
  const item = await store.getRaw(listKey(sourceId));
  return item ? unpack(item) : undefined;
}

/** Every neighbour's list on record, by authority. */
export async function listNeighbourLists(store: Store): Promise<NeighbourList[]> {
  const lists = (await store.listRaw(LIST_INDEX)).flatMap((item) => {
    const list = unpack(item);
    return list ? [list] : [];
  });
  return lists.sort((a, b) => a.authority.localeCompare(b.authority));
}

// ---- reading a file --------------------------------------------------------------------------

/** Our own CSV neutralises a leading = + - @ with an apostrophe; read back, it goes. */
function unquoteFormula(text: string): string {
  return /^'[=+\-@]/.test(text) ? text.slice(1) : text;
}

function excelOrText(text: string): string | undefined {
  if (/^\d{5}(\.\d+)?$/.test(text)) return new Date(Date.UTC(1899, 11, 30) + Math.floor(Number(text)) * 86_400_000).toISOString().slice(0, 10);
  return parseDate(text);
}

interface ParsedRow {
  entry: Omit<NeighbourEntry, 'match' | 'unmatched'>;
  authority?: string;
  listDate?: string;
}

function parseRow(columns: Record<NeighbourField, number>, row: SheetRow, format: NeighbourFormat, today: string): ParsedRow {
  const get = (field: NeighbourField) => unquoteFormula(cell(columns, row, field));
  const header = (field: NeighbourField) => NEIGHBOUR_COLUMNS[field].header;
  if (format === 'memo') {
    const version = get('schemaVersion');
    if (!READABLE_SCHEMA_VERSIONS.includes(version)) throw new RowProblem(header('schemaVersion'), `is not a version this product reads (${READABLE_SCHEMA_VERSIONS.join(', ')})`, version);
  }
  const statusText = get('status');
  if (!statusText) throw new RowProblem(header('status'), 'is empty', '');
  const rag = parseNeighbourStatus(statusText);
  if (!rag) throw new RowProblem(header('status'), 'is not RED, AMBER or GREEN (or not placing, placing with restrictions, placing again)', statusText);
  const dateText = get('date');
  if (!dateText) throw new RowProblem(header('date'), 'is empty', '');
  const since = excelOrText(dateText);
  if (!since) throw new RowProblem(header('date'), 'is not a date (YYYY-MM-DD or DD/MM/YYYY)', dateText);
  if (since > today) throw new RowProblem(header('date'), 'is in the future', dateText);
  const listDateText = get('listDate');
  const listDate = listDateText ? excelOrText(listDateText) : undefined;
  if (listDateText && !listDate) throw new RowProblem(header('listDate'), 'is not a date (YYYY-MM-DD)', listDateText);
  if (listDate && listDate > today) throw new RowProblem(header('listDate'), 'is in the future', listDateText);
  const locationId = get('locationId');
  if (locationId && !isCqcId(locationId)) throw new RowProblem(header('locationId'), 'is not a CQC location id (like 1-123456789)', locationId);
  const locationName = get('locationName');
  const postcode = get('postcode');
  if (!locationId && !locationName) throw new RowProblem(header('locationName'), 'is needed when there is no Location ID', '');
  if (!locationId && !postcode) throw new RowProblem(header('postcode'), 'is needed when there is no Location ID (the name is matched with it)', '');
  if (postcode && !POSTCODE.test(normalisePostcode(postcode))) throw new RowProblem(header('postcode'), 'is not a UK postcode', postcode);
  const contact = [get('contact'), get('contactPhone'), get('contactEmail')].filter(Boolean).join(', ');
  const entry = {
    line: row.line,
    rag,
    statusText,
    since,
    ...(locationId ? { locationId } : {}),
    ...(locationName ? { locationName } : {}),
    ...(get('provider') ? { provider: get('provider') } : {}),
    ...(postcode ? { postcode: postcode.toUpperCase() } : {}),
    ...(contact ? { contact } : {}),
  };
  return { entry, authority: get('authority') || undefined, listDate };
}

export interface ParsedNeighbourFile {
  file: string;
  fileFormat: TableFile['format'];
  format: NeighbourFormat;
  headerLine: number;
  unusedColumns: string[];
  rowsRead: number;
  entries: Array<Omit<NeighbourEntry, 'match' | 'unmatched'>>;
  rejections: Rejection[];
  /** The authority and list date the file itself states (our memo CSV does, on every row). */
  authority?: string;
  listDate?: string;
}

export function parseNeighbourFile(table: TableFile, file: string, today: string): ParsedNeighbourFile {
  const mapped = mapTable(table, NEIGHBOUR_COLUMNS, file);
  if (mapped.columns.locationId < 0 && mapped.columns.locationName < 0) throw new MissingColumns(file, [NEIGHBOUR_COLUMNS.locationId.header, NEIGHBOUR_COLUMNS.locationName.header]);
  if (mapped.columns.locationId < 0 && mapped.columns.postcode < 0) throw new MissingColumns(file, [NEIGHBOUR_COLUMNS.postcode.header]);
  const rows = mapped.rows.filter((row) => row.cells.some((value) => value.trim()));
  if (rows.length > MAX_NEIGHBOUR_ROWS) throw new BadInput(`${file}: ${rows.length} rows; a status list holds at most ${MAX_NEIGHBOUR_ROWS}`);
  const format: NeighbourFormat = mapped.columns.schemaVersion >= 0 ? 'memo' : 'simple';
  const rejections: Rejection[] = [];
  const entries: ParsedNeighbourFile['entries'] = [];
  const authorities = new Set<string>();
  const listDates = new Set<string>();
  const seen = new Map<string, number>();
  for (const row of rows) {
    try {
      const parsed = parseRow(mapped.columns, row, format, today);
      const { entry } = parsed;
      const keys = [entry.locationId ? `id:${entry.locationId}` : '', entry.locationName && entry.postcode ? `np:${normaliseName(entry.locationName)}|${normalisePostcode(entry.postcode)}` : ''].filter(Boolean);
      const earlier = keys.map((key) => seen.get(key)).find((line) => line !== undefined);
      if (earlier !== undefined) throw new RowProblem(entry.locationId ? NEIGHBOUR_COLUMNS.locationId.header : NEIGHBOUR_COLUMNS.locationName.header, `repeats the service on line ${earlier}; the first is kept`, entry.locationId ?? entry.locationName ?? '');
      for (const key of keys) seen.set(key, row.line);
      if (parsed.authority) authorities.add(parsed.authority);
      if (parsed.listDate) listDates.add(parsed.listDate);
      entries.push(entry);
    } catch (error) {
      if (!(error instanceof RowProblem)) throw error;
      rejections.push({ line: row.line, field: error.field, reason: error.reason, value: error.value });
    }
  }
  if (authorities.size > 1) throw new BadInput(`${file}: the authority column names more than one authority (${[...authorities].join(', ')}); a file is one authority's list`);
  return {
    file,
    fileFormat: table.format,
    format,
    headerLine: mapped.headerLine,
    unusedColumns: mapped.unused,
    rowsRead: rows.length,
    entries,
    rejections,
    authority: [...authorities][0],
    listDate: [...listDates].sort().at(-1),
  };
}

// ---- matching --------------------------------------------------------------------------------

type Location = LocationName;

interface Candidates {
  byId(locationId: string): Promise<Location | undefined>;
  byNamePostcode(name: string, postcode: string): Location[];
}

/**
 * The locations a neighbour's row can match: any on record by its CQC id; by name and postcode,
 * those the council contracts with or has had a case about (the services its staff place with).
 */
async function candidates(store: Store): Promise<Candidates> {
  const [contracts, cases] = await Promise.all([store.listContracts(), listCaseSummaries(store)]);
  const ids = new Set([...contracts.flatMap((contract) => contractLocations(contract)), ...cases.map((record) => record.locationId)]);
  const known = await loadLocations(store, [...ids]);
  const byKey = new Map<string, Location[]>();
  for (const location of known.values()) {
    const key = `${normaliseName(location.name)}|${normalisePostcode(location.address.postcode)}`;
    byKey.set(key, [...(byKey.get(key) ?? []), location]);
  }
  const fetched = new Map<string, Location | undefined>();
  return {
    async byId(locationId) {
      if (!fetched.has(locationId)) fetched.set(locationId, await store.getLocation(locationId));
      return fetched.get(locationId);
    },
    byNamePostcode: (name, postcode) => byKey.get(`${normaliseName(name)}|${normalisePostcode(postcode)}`) ?? [],
  };
}

async function matchEntry(entry: ParsedNeighbourFile['entries'][number], found: Candidates): Promise<NeighbourEntry> {
  if (entry.locationId) {
    const location = await found.byId(entry.locationId);
    if (location) return { ...entry, match: { by: 'locationId', locationId: location.locationId, providerId: location.providerId, name: location.name } };
  }
  if (entry.locationName && entry.postcode) {
    const locations = found.byNamePostcode(entry.locationName, entry.postcode);
    if (locations.length === 1) {
      const [location] = locations as [Location];
      return { ...entry, match: { by: 'namePostcode', locationId: location.locationId, providerId: location.providerId, name: location.name } };
    }
    if (locations.length > 1) return { ...entry, unmatched: `its name and postcode fit ${locations.length} locations here (${locations.map((location) => location.locationId).join(', ')})` };
  }
  const reasons = [entry.locationId ? `CQC location ${entry.locationId} is not on record here` : '', entry.locationName && entry.postcode ? 'no service here has its name and postcode' : ''].filter(Boolean);
  return { ...entry, unmatched: reasons.join('; ') };
}

// ---- the plan and its apply --------------------------------------------------------------------

export interface NeighbourOptions {
  /** The neighbouring authority's name; our memo CSV states it, the simple format does not. */
  authority?: string;
  /** The list's date (YYYY-MM-DD), when the file does not state it. */
  listDate?: string;
}

/** What applying a parsed file would do: the file's facts as read, its entries matched here. */
export interface NeighbourPlan extends Pick<ParsedNeighbourFile, 'file' | 'fileFormat' | 'format' | 'headerLine' | 'unusedColumns' | 'rowsRead' | 'rejections'> {
  importId: string;
  sourceId: string;
  authority: string;
  listDate: string;
  listDateFrom: StoredList['listDateFrom'];
  entries: NeighbourEntry[];
  /** `replaced`: the source's earlier list gives way to this one; `unchanged`: it is this one already. */
  kind: 'added' | 'replaced' | 'unchanged';
  before?: { importId: string; listDate: string; entryCount: number; importedAt: string };
  summary: { entries: number; matchedById: number; matchedByNamePostcode: number; unmatched: number; rejected: number };
  applied: boolean;
}

function listDigest(authority: string, listDate: string, entries: NeighbourEntry[]): string {
  return createHash('sha256').update(JSON.stringify({ authority, listDate, entries })).digest('hex').slice(0, 20);
}

export async function planNeighbourImport(deps: NeighbourDeps, body: Buffer, fileName: string, options: NeighbourOptions = {}): Promise<NeighbourPlan> {
  const today = isoDate(deps.clock.now());
  if (options.listDate !== undefined && (!parseDate(options.listDate) || parseDate(options.listDate)! > today)) {
    throw new BadInput(`The list's date ${JSON.stringify(options.listDate)} is not a date on or before today (YYYY-MM-DD)`);
  }
  const parsed = parseNeighbourFile(await readTableFile(body, fileName), fileName, today);
  const given = options.authority?.trim();
  if (given && parsed.authority && sourceIdOf(given) !== sourceIdOf(parsed.authority)) {
    throw new BadInput(`${fileName} is ${parsed.authority}'s list (its authority column), not ${given}'s`);
  }
  const authority = given || parsed.authority;
  if (!authority) throw new BadInput(`${fileName} does not say whose list it is: name the neighbouring authority (--authority "Dorset Council", or the form's authority field)`);
  if (sourceIdOf(authority) === sourceIdOf(deps.config.authority.name)) throw new BadInput(`${authority} is this council: its own memo is not a neighbour's list`);
  const sourceId = sourceIdOf(authority);
  const listDate = parsed.listDate ?? (options.listDate ? parseDate(options.listDate)! : today);
  const listDateFrom = parsed.listDate ? 'file' : options.listDate ? 'given' : 'imported';
  const found = await candidates(deps.store);
  const entries: NeighbourEntry[] = [];
  for (const entry of parsed.entries) entries.push(await matchEntry(entry, found));
  const importId = listDigest(authority, listDate, entries);
  const before = await getNeighbourList(deps.store, sourceId);
  const kind = before?.importId === importId ? 'unchanged' : before ? 'replaced' : 'added';
  return {
    importId,
    sourceId,
    authority,
    listDate,
    listDateFrom,
    file: fileName,
    fileFormat: parsed.fileFormat,
    format: parsed.format,
    headerLine: parsed.headerLine,
    unusedColumns: parsed.unusedColumns,
    rowsRead: parsed.rowsRead,
    entries,
    rejections: parsed.rejections,
    kind,
    ...(before ? { before: { importId: before.importId, listDate: before.listDate, entryCount: before.entryCount, importedAt: before.importedAt } } : {}),
    summary: {
      entries: entries.length,
      matchedById: entries.filter((entry) => entry.match?.by === 'locationId').length,
      matchedByNamePostcode: entries.filter((entry) => entry.match?.by === 'namePostcode').length,
      unmatched: entries.filter((entry) => !entry.match).length,
      rejected: new Set(parsed.rejections.map((rejection) => rejection.line)).size,
    },
    applied: false,
  };
}

/** What the file would change: nothing is written. */
export function previewNeighbours(deps: NeighbourDeps, body: Buffer, fileName: string, options: NeighbourOptions = {}): Promise<NeighbourPlan> {
  return planNeighbourImport(deps, body, fileName, options);
}

export async function applyNeighbours(deps: NeighbourDeps, body: Buffer, fileName: string, actor: string, options: NeighbourOptions = {}): Promise<NeighbourPlan> {
  const plan = await planNeighbourImport(deps, body, fileName, options);
  const at = deps.clock.now().toISOString();
  if (plan.kind !== 'unchanged') {
    const stored: StoredList = {
      sourceId: plan.sourceId,
      authority: plan.authority,
      listDate: plan.listDate,
      listDateFrom: plan.listDateFrom,
      importId: plan.importId,
      importedAt: at,
      importedBy: actor,
      file: fileName,
      format: plan.format,
      entryCount: plan.entries.length,
      entriesGz: gzipSync(JSON.stringify(plan.entries)).toString('base64'),
      ...(plan.before ? { replaced: { importId: plan.before.importId, listDate: plan.before.listDate } } : {}),
    };
    // The commit point: the source's whole list in one write.
    await deps.store.putRaw(listKey(plan.sourceId), { gsi1pk: LIST_INDEX, gsi1sk: plan.sourceId }, stored);
  }
  crashPoint('neighbours:afterWrite');
  // Audit: the list now on record, once (an interrupted apply left the list and not its event).
  const chain = neighbourAuditId(plan.sourceId);
  const events = await deps.store.listAudit(chain);
  if (!events.some((event) => event.detail.importId === plan.importId)) {
    const current = await getNeighbourList(deps.store, plan.sourceId);
    await deps.store.appendAudit({
      caseId: chain,
      at,
      actor,
      action: current?.replaced ? `${plan.authority}'s list replaced` : `${plan.authority}'s list added`,
      detail: {
        importId: plan.importId,
        file: fileName,
        listDate: plan.listDate,
        entries: plan.summary.entries,
        matched: plan.summary.matchedById + plan.summary.matchedByNamePostcode,
        unmatched: plan.summary.unmatched,
        rejected: plan.summary.rejected,
        ...(current?.replaced ? { replacedListOf: current.replaced.listDate } : {}),
      },
    });
  }
  return { ...plan, applied: true };
}

// ---- what the pages show ----------------------------------------------------------------------

export interface NeighbourStatus {
  sourceId: string;
  authority: string;
  listDate: string;
  ageDays: number;
  stale: boolean;
  entry: NeighbourEntry;
}

export function listAgeDays(listDate: string, now: Date): number {
  return Math.max(0, Math.floor((Date.parse(isoDate(now)) - Date.parse(listDate)) / 86_400_000));
}

/** Every matched neighbour row, by our location id; each list's age and staleness with it. */
export async function neighbourStatusesByLocation(store: Store, now: Date): Promise<{ lists: NeighbourList[]; byLocation: Map<string, NeighbourStatus[]> }> {
  const lists = await listNeighbourLists(store);
  const byLocation = new Map<string, NeighbourStatus[]>();
  for (const list of lists) {
    const ageDays = listAgeDays(list.listDate, now);
    for (const entry of list.entries) {
      if (!entry.match) continue;
      const status: NeighbourStatus = { sourceId: list.sourceId, authority: list.authority, listDate: list.listDate, ageDays, stale: ageDays > NEIGHBOUR_STALE_DAYS, entry };
      byLocation.set(entry.match.locationId, [...(byLocation.get(entry.match.locationId) ?? []), status]);
    }
  }
  return { lists, byLocation };
}
