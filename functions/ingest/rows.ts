/**
 * One sheet row -> one validated rating record (zod), or a rejection with the file line, the
 * column, the reason and the offending value. Ratings are matched case-insensitively against CQC's
 * vocabulary and stored in CQC's spelling; dates become ISO (YYYY-MM-DD).
 */
import { z } from 'zod';
import { DOMAINS } from '../lib/model';
import {
  LOCATION_COLUMNS,
  PROVIDER_COLUMNS,
  type ColumnMap,
  type LocationField,
  type ProviderField,
  type Sheet,
} from './columns';

/** The four graded ratings plus the ones CQC uses that are stored but never open a case. */
export const KNOWN_RATINGS = [
  'Outstanding',
  'Good',
  'Requires improvement',
  'Inadequate',
  'Not Rated',
  'Insufficient evidence to rate',
  'Not applicable',
] as const;
export type KnownRating = (typeof KNOWN_RATINGS)[number];

const ratingByKey = new Map<string, KnownRating>(KNOWN_RATINGS.map((rating) => [rating.toLowerCase(), rating]));
const domainByKey = new Map<string, string>(DOMAINS.map((domain) => [domain.toLowerCase().replace(/[^a-z]/g, ''), domain]));

export function canonicalRating(value: string): KnownRating | undefined {
  return ratingByKey.get(value.trim().replace(/\s+/g, ' ').toLowerCase());
}

/** `Well led` / `WELL-LED` -> `Well-led`; domains CQC adds (`Use of Resources`, ...) as they come. */
export function canonicalDomain(value: string): string {
  const trimmed = value.trim();
  return domainByKey.get(trimmed.toLowerCase().replace(/[^a-z]/g, '')) ?? trimmed;
}

export function canonicalServiceGroup(value: string): string {
  const trimmed = value.trim();
  return trimmed.toLowerCase() === 'overall' ? 'Overall' : trimmed;
}

const DMY = /^(\d{1,2})\/(\d{1,2})\/(\d{4}|\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/;
/** A spreadsheet's day number (Excel and LibreOffice: days since 30 December 1899), maybe with a time. */
const SERIAL = /^(\d{1,7})(?:\.\d+)?$/;
const SERIAL_EPOCH = Date.UTC(1899, 11, 30);

/**
 * A publication date as CQC writes it (`22/01/2021`), as ISO (`2021-01-22`, maybe with a time), or
 * as a spreadsheet re-saves it: `22/01/2021 00:00`, `22/01/21` (two-digit years are 20yy), or the
 * day number `44218`. Returns `2021-01-22`, or undefined if it is none of these or not a real date.
 */
export function parseRatingDate(value: string): string | undefined {
  const text = value.trim();
  let year: number;
  let month: number;
  let day: number;
  let match = DMY.exec(text);
  if (match) {
    day = Number(match[1]);
    month = Number(match[2]);
    year = Number(match[3]);
    if ((match[3] as string).length === 2) year += 2000;
    if (match[4] !== undefined && (Number(match[4]) > 23 || Number(match[5]) > 59 || Number(match[6] ?? 0) > 59)) return undefined;
  } else if ((match = ISO.exec(text))) {
    year = Number(match[1]);
    month = Number(match[2]);
    day = Number(match[3]);
  } else if ((match = SERIAL.exec(text))) {
    const serial = Number(match[1]);
    // 1 January 1900 is day 2 (day 60 is Excel's 29 February 1900, which never was).
    if (serial < 61) return undefined;
    const date = new Date(SERIAL_EPOCH + serial * 86_400_000);
    year = date.getUTCFullYear();
    month = date.getUTCMonth() + 1;
    day = date.getUTCDate();
  } else return undefined;
  if (year < 1900 || year > 2999 || month < 1 || month > 12 || day < 1) return undefined;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > lastDay) return undefined;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** No real cell of CQC's sheets comes near this (names and addresses are under 300 characters). */
export const MAX_CELL_CHARS = 2_000;
/** Values shown in rejections and summaries are cut to this. */
export const SHOWN_VALUE_CHARS = 120;

/** A value short enough to show: the start of it and how long it really was. */
export function shorten(value: string, max = SHOWN_VALUE_CHARS): string {
  if (value.length <= max) return value;
  return `${value.slice(0, max)}… (${value.length.toLocaleString('en-GB')} characters)`;
}

const ddmmyyyy = (iso: string) => iso.split('-').reverse().join('/');

/**
 * Checks that hold for any cell, before a row's values are read: no value longer than any real
 * cell, and no U+FFFD (a character lost by an earlier conversion, or one the file's encoding lacks).
 * `header` names the column.
 */
export function checkCells(line: number, cells: readonly string[], header: readonly string[]): Rejection | undefined {
  for (let index = 0; index < cells.length; index += 1) {
    const value = cells[index] as string;
    if (value.length > MAX_CELL_CHARS) {
      return { line, field: header[index] ?? `column ${index + 1}`, reason: `value too long: ${value.length.toLocaleString('en-GB')} characters (no real cell has over ${MAX_CELL_CHARS.toLocaleString('en-GB')})`, value: shorten(value) };
    }
    if (value.includes('\uFFFD')) {
      return { line, field: header[index] ?? `column ${index + 1}`, reason: 'holds an unreadable character (\uFFFD): the file was damaged by an earlier conversion, or its encoding is not one we read', value: shorten(value) };
    }
  }
  return undefined;
}

/** A publication date after `today` (ISO) cannot be true: a typo that would hide later ratings. */
function futureDate(line: number, publicationDate: string, raw: string, today: string | undefined): Rejection | undefined {
  if (today === undefined || publicationDate <= today) return undefined;
  return { line, field: 'Publication Date', reason: `date in the future (after today, ${ddmmyyyy(today)})`, value: shorten(raw.trim()) };
}

function yesNo(value: string | undefined): boolean | undefined {
  const text = value?.trim().toUpperCase();
  if (text === 'Y' || text === 'YES') return true;
  if (text === 'N' || text === 'NO') return false;
  return undefined;
}

export interface Rejection {
  /** Physical line of the file (CSV), row number (ODS), or position in an API batch. */
  line: number;
  /** The column, in CQC's spelling. */
  field: string;
  reason: string;
  value: string;
  /** Where the row came from when not a file line (e.g. `GET /locations/1-123`). */
  source?: string;
}

export interface Address {
  street: string;
  line2: string;
  city: string;
  postcode: string;
}

interface RatingFields {
  line: number;
  /** `Overall` or a service / population group (core service). */
  serviceGroup: string;
  domain: string;
  rating: KnownRating;
  /** ISO date. */
  publicationDate: string;
  reportType?: string;
  inherited?: boolean;
  url?: string;
}

/** A Locations sheet row (or the same built from the API). Undefined = not known, keep what is stored. */
export interface LocationRatingRecord extends RatingFields {
  kind: 'location';
  locationId: string;
  providerId: string;
  locationName?: string;
  providerName?: string;
  localAuthority?: string;
  region?: string;
  careHome?: boolean;
  locationType?: string;
  primaryInspectionCategory?: string;
  address?: Address;
}

export interface ProviderRatingRecord extends RatingFields {
  kind: 'provider';
  providerId: string;
  providerName?: string;
  providerType?: string;
  localAuthority?: string;
  region?: string;
  address?: Address;
}

export type RatingRecord = LocationRatingRecord | ProviderRatingRecord;

export type RowResult<R> = { ok: true; record: R } | { ok: false; rejection: Rejection };

const id = z.string().trim().min(1, 'missing id');
const required = z.string().trim().min(1, 'missing value');
const rating = z.string().transform((value, ctx) => {
  const known = canonicalRating(value);
  if (known) return known;
  ctx.addIssue({ code: 'custom', message: value.trim() === '' ? 'missing rating' : 'unknown rating value' });
  return z.NEVER;
});
const date = z.string().transform((value, ctx) => {
  const iso = parseRatingDate(value);
  if (iso) return iso;
  ctx.addIssue({ code: 'custom', message: value.trim() === '' ? 'missing date' : 'bad date' });
  return z.NEVER;
});

const ratingShape = {
  serviceGroup: required.transform(canonicalServiceGroup),
  domain: required.transform(canonicalDomain),
  rating,
  publicationDate: date,
};
const locationRowSchema = z.object({ locationId: id, providerId: id, ...ratingShape });
const providerRowSchema = z.object({ providerId: id, ...ratingShape });

/** Which field names the column the checked value came from. */
const HEADERS: Record<string, string> = {
  ...Object.fromEntries(Object.entries(LOCATION_COLUMNS).map(([field, spec]) => [field, spec.header])),
  ...Object.fromEntries(Object.entries(PROVIDER_COLUMNS).map(([field, spec]) => [field, spec.header])),
};

function rejectionFrom(line: number, error: z.ZodError, input: Record<string, string>): Rejection {
  const issue = error.issues[0];
  const field = String(issue?.path[0] ?? '');
  return { line, field: HEADERS[field] ?? field, reason: issue?.message ?? 'invalid', value: shorten(input[field] ?? '') };
}

function cell(cells: readonly string[], index: number): string | undefined {
  if (index < 0) return undefined;
  return (cells[index] ?? '').trim();
}

function addressFrom(cells: readonly string[], columns: ColumnMap<'street' | 'line2' | 'city' | 'postcode'>): Address | undefined {
  if (columns.street < 0 && columns.line2 < 0 && columns.city < 0 && columns.postcode < 0) return undefined;
  return {
    street: cell(cells, columns.street) ?? '',
    line2: cell(cells, columns.line2) ?? '',
    city: cell(cells, columns.city) ?? '',
    postcode: cell(cells, columns.postcode) ?? '',
  };
}

function ratingExtras(cells: readonly string[], columns: ColumnMap<'reportType' | 'inherited' | 'url'>) {
  const extras: Pick<RatingFields, 'reportType' | 'inherited' | 'url'> = {};
  const reportType = cell(cells, columns.reportType);
  if (reportType) extras.reportType = reportType;
  const inherited = yesNo(cell(cells, columns.inherited));
  if (inherited !== undefined) extras.inherited = inherited;
  const url = cell(cells, columns.url);
  if (url) extras.url = url;
  return extras;
}

/** `today` (ISO, on the product's clock): publication dates after it are rejected. */
export function parseLocationRow(line: number, cells: readonly string[], columns: ColumnMap<LocationField>, today?: string): RowResult<LocationRatingRecord> {
  const input = {
    locationId: cells[columns.locationId] ?? '',
    providerId: cells[columns.providerId] ?? '',
    serviceGroup: cells[columns.serviceGroup] ?? '',
    domain: cells[columns.domain] ?? '',
    rating: cells[columns.rating] ?? '',
    publicationDate: cells[columns.publicationDate] ?? '',
  };
  const parsed = locationRowSchema.safeParse(input);
  if (!parsed.success) return { ok: false, rejection: rejectionFrom(line, parsed.error, input) };
  const future = futureDate(line, parsed.data.publicationDate, input.publicationDate, today);
  if (future) return { ok: false, rejection: future };
  const record: LocationRatingRecord = { kind: 'location', line, ...parsed.data, ...ratingExtras(cells, columns) };
  const locationName = cell(cells, columns.locationName);
  if (locationName !== undefined) record.locationName = locationName;
  const providerName = cell(cells, columns.providerName);
  if (providerName) record.providerName = providerName;
  const localAuthority = cell(cells, columns.localAuthority);
  if (localAuthority !== undefined) record.localAuthority = localAuthority;
  const region = cell(cells, columns.region);
  if (region !== undefined) record.region = region;
  const careHome = yesNo(cell(cells, columns.careHome));
  if (careHome !== undefined) record.careHome = careHome;
  const locationType = cell(cells, columns.locationType);
  if (locationType !== undefined) record.locationType = locationType;
  const category = cell(cells, columns.primaryInspectionCategory);
  if (category !== undefined) record.primaryInspectionCategory = category;
  const address = addressFrom(cells, columns);
  if (address) record.address = address;
  return { ok: true, record };
}

/**
 * The same checks as `parseLocationRow` for a row that will not be kept (outside the area): its
 * values are validated, but no record is built. Undefined when the row is valid.
 */
export function validateLocationRow(line: number, cells: readonly string[], columns: ColumnMap<LocationField>, today?: string): Rejection | undefined {
  const input = {
    locationId: cells[columns.locationId] ?? '',
    providerId: cells[columns.providerId] ?? '',
    serviceGroup: cells[columns.serviceGroup] ?? '',
    domain: cells[columns.domain] ?? '',
    rating: cells[columns.rating] ?? '',
    publicationDate: cells[columns.publicationDate] ?? '',
  };
  const parsed = locationRowSchema.safeParse(input);
  if (!parsed.success) return rejectionFrom(line, parsed.error, input);
  return futureDate(line, parsed.data.publicationDate, input.publicationDate, today);
}

export function parseProviderRow(line: number, cells: readonly string[], columns: ColumnMap<ProviderField>, today?: string): RowResult<ProviderRatingRecord> {
  const input = {
    providerId: cells[columns.providerId] ?? '',
    serviceGroup: cells[columns.serviceGroup] ?? '',
    domain: cells[columns.domain] ?? '',
    rating: cells[columns.rating] ?? '',
    publicationDate: cells[columns.publicationDate] ?? '',
  };
  const parsed = providerRowSchema.safeParse(input);
  if (!parsed.success) return { ok: false, rejection: rejectionFrom(line, parsed.error, input) };
  const future = futureDate(line, parsed.data.publicationDate, input.publicationDate, today);
  if (future) return { ok: false, rejection: future };
  const record: ProviderRatingRecord = { kind: 'provider', line, ...parsed.data, ...ratingExtras(cells, columns) };
  const providerName = cell(cells, columns.providerName);
  if (providerName) record.providerName = providerName;
  const providerType = cell(cells, columns.providerType);
  if (providerType !== undefined) record.providerType = providerType;
  const localAuthority = cell(cells, columns.localAuthority);
  if (localAuthority !== undefined) record.localAuthority = localAuthority;
  const region = cell(cells, columns.region);
  if (region !== undefined) record.region = region;
  const address = addressFrom(cells, columns);
  if (address) record.address = address;
  return { ok: true, record };
}

/** Validates a record built elsewhere (the API path) with the same rules as a file row. */
export function validateLocationRecord(
  raw: Omit<LocationRatingRecord, 'kind' | 'rating' | 'publicationDate' | 'serviceGroup' | 'domain'> & {
    serviceGroup: string;
    domain: string;
    rating: string;
    publicationDate: string;
  },
  source?: string,
  today?: string,
): RowResult<LocationRatingRecord> {
  const input = {
    locationId: raw.locationId,
    providerId: raw.providerId,
    serviceGroup: raw.serviceGroup,
    domain: raw.domain,
    rating: raw.rating,
    publicationDate: raw.publicationDate,
  };
  const parsed = locationRowSchema.safeParse(input);
  if (!parsed.success) {
    const rejection = rejectionFrom(raw.line, parsed.error, input);
    if (source) rejection.source = source;
    return { ok: false, rejection };
  }
  const rejection = futureDate(raw.line, parsed.data.publicationDate, raw.publicationDate, today) ?? checkRecordText(raw);
  if (rejection) {
    if (source) rejection.source = source;
    return { ok: false, rejection };
  }
  return { ok: true, record: { ...raw, kind: 'location', ...parsed.data } };
}

export type SheetRecord<S extends Sheet> = S extends 'Locations' ? LocationRatingRecord : ProviderRatingRecord;

/** The cell checks for a record built elsewhere: its text fields, by the column they stand for. */
function checkRecordText(raw: Record<string, unknown>): Rejection | undefined {
  const names: string[] = [];
  const values: string[] = [];
  const visit = (field: string, value: unknown) => {
    if (typeof value === 'string') {
      names.push(HEADERS[field] ?? field);
      values.push(value);
    } else if (value && typeof value === 'object') for (const [inner, nested] of Object.entries(value)) visit(inner, nested);
  };
  for (const [field, value] of Object.entries(raw)) visit(field, value);
  return checkCells(typeof raw.line === 'number' ? raw.line : 0, values, names);
}
