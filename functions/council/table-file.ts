/**
 * The council's own files (contract register, case tracker, neighbours' lists) as rows: CSV or an
 * Excel workbook, told apart by their first bytes, with columns matched by name the way the ratings
 * file's are (case, spaces and punctuation ignored, any order, extra columns ignored and listed).
 */
import { Readable } from 'node:stream';
import { normaliseHeader, type SheetRow } from '../ingest/columns';
import { readCsvStream } from '../ingest/csv';
import { BadInput } from '../lib/errors';
import { isZip, readXlsx } from './xlsx';

export interface ColumnSpec {
  /** The spelling used in the README and in errors. */
  header: string;
  /** Other spellings councils' exports use (Transparency Code, Atamis, older trackers). */
  aliases?: readonly string[];
  required?: boolean;
}

/** Required columns missing from the header: every one is named. */
export class MissingColumns extends BadInput {
  constructor(
    readonly file: string,
    readonly columns: string[],
  ) {
    super(`${file}: required column${columns.length > 1 ? 's' : ''} ${columns.map((column) => `"${column}"`).join(', ')} missing from the header row`);
  }
}

export class FileTooLarge extends BadInput {}

/** One cell of one row is wrong: thrown while a row is read, reported with the row's line. */
export class RowProblem extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
    readonly value: string,
  ) {
    super(reason);
  }
}

export interface TableFile {
  format: 'csv' | 'xlsx';
  sheet?: string;
  rows: SheetRow[];
}

/** The largest council file taken (a register of 10,000 contracts is a few MB). */
export const MAX_TABLE_FILE_BYTES = 20 * 1024 * 1024;

export async function readTableFile(body: Buffer, file: string, sheet?: string): Promise<TableFile> {
  if (body.length > MAX_TABLE_FILE_BYTES) throw new FileTooLarge(`${file}: ${body.length} bytes; the limit is ${MAX_TABLE_FILE_BYTES} bytes`);
  if (isZip(body)) {
    const workbook = await readXlsx(body, file, sheet);
    return { format: 'xlsx', sheet: workbook.sheet, rows: workbook.rows };
  }
  const rows: SheetRow[] = [];
  for await (const row of readCsvStream(Readable.from([body]))) rows.push(row);
  return { format: 'csv', rows };
}

export interface MappedTable<F extends string> {
  /** The header's line (CSV) or row number (workbook). */
  headerLine: number;
  columns: Record<F, number>;
  /** Header cells no field uses (reported, never an error). */
  unused: string[];
  rows: SheetRow[];
}

/** How far down a banner may push the header row. */
const HEADER_SEARCH_ROWS = 20;

/**
 * Finds the header row (the first, within the first rows, naming at least half the required
 * columns) and maps each field to its column.
 */
export function mapTable<F extends string>(table: TableFile, specs: Record<F, ColumnSpec>, file: string): MappedTable<F> {
  const entries = Object.entries(specs) as Array<[F, ColumnSpec]>;
  const names = (spec: ColumnSpec) => [spec.header, ...(spec.aliases ?? [])].map(normaliseHeader);
  const required = entries.filter(([, spec]) => spec.required);
  let best: { index: number; score: number } | undefined;
  for (let index = 0; index < Math.min(table.rows.length, HEADER_SEARCH_ROWS); index += 1) {
    const cells = new Set(table.rows[index]!.cells.map(normaliseHeader));
    const score = required.filter(([, spec]) => names(spec).some((name) => cells.has(name))).length;
    if (!best || score > best.score) best = { index, score };
    if (score === required.length) break;
  }
  if (!best || best.score === 0) throw new MissingColumns(file, required.map(([, spec]) => spec.header));
  const header = table.rows[best.index]!;
  const positions = new Map<string, number>();
  header.cells.forEach((cell, index) => {
    const key = normaliseHeader(cell);
    if (key && !positions.has(key)) positions.set(key, index);
  });
  const columns = {} as Record<F, number>;
  const used = new Set<number>();
  const missing: string[] = [];
  for (const [field, spec] of entries) {
    const found = names(spec).map((name) => positions.get(name)).find((index) => index !== undefined);
    columns[field] = found ?? -1;
    if (found !== undefined) used.add(found);
    else if (spec.required) missing.push(spec.header);
  }
  if (missing.length) throw new MissingColumns(file, missing);
  const unused = header.cells.filter((cell, index) => cell.trim() && !used.has(index));
  return { headerLine: header.line, columns, unused, rows: table.rows.slice(best.index + 1) };
}

/** The cell of `field` in `row`, trimmed; '' when the file has no such column. */
export function cell<F extends string>(columns: Record<F, number>, row: SheetRow, field: F): string {
  const index = columns[field];
  return index >= 0 ? (row.cells[index] ?? '').trim() : '';
}

// ---- values as councils write them ---------------------------------------------------------------

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function realDate(year: number, month: number, day: number): string | undefined {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return date.toISOString().slice(0, 10);
}

/**
 * A date as registers write it: `2026-04-01` (also with a time), `01/04/2026` (UK order), `1 Apr 2026`,
 * `1 April 2026`. Returns YYYY-MM-DD, or undefined when it is not a real date.
 */
export function parseDate(text: string): string | undefined {
  const value = text.trim();
  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+Z?)?$/.exec(value);
  if (match) return realDate(Number(match[1]), Number(match[2]), Number(match[3]));
  match = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(value);
  if (match) return realDate(Number(match[3]), Number(match[2]), Number(match[1]));
  match = /^(\d{1,2})(?:st|nd|rd|th)?[\s-]+([A-Za-z]{3,9})[\s-]+(\d{4})$/.exec(value);
  if (match) {
    const month = MONTHS.indexOf(match[2]!.slice(0, 3).toLowerCase());
    return month >= 0 ? realDate(Number(match[3]), month + 1, Number(match[1])) : undefined;
  }
  return undefined;
}

/** Y/N, Yes/No, True/False, 1/0; blank is no. Undefined when it is none of these. */
export function parseYesNo(text: string): boolean | undefined {
  const value = text.trim().toLowerCase();
  if (['', 'n', 'no', 'false', '0', '-'].includes(value)) return false;
  if (['y', 'yes', 'true', '1'].includes(value)) return true;
  return undefined;
}

/** `£1,234.50`, `1234.5`, `12,000` → a number of pounds; undefined when it is not a number. */
export function parseMoney(text: string): number | undefined {
  const value = text.trim().replace(/^£/, '').replaceAll(',', '');
  if (!/^\d+(\.\d+)?$/.test(value)) return undefined;
  return Number(value);
}

/** An email address as zod checks them. */
export function isEmail(text: string): boolean {
  return /^[^\s@<>()[\]",;:]+@[^\s@<>()[\]",;:]+\.[^\s@<>()[\]",;:]+$/.test(text);
}

/** Several ids in one cell: separated by `;`, `,`, `|`, spaces or line breaks. */
export function splitList(text: string): string[] {
  return [...new Set(text.split(/[;,|\s]+/).map((item) => item.trim()).filter(Boolean))];
}

/** CQC ids look like `1-123456789` (and RXX… for NHS trusts). */
export function isCqcId(text: string): boolean {
  return /^(1-\d{3,12}|[A-Z0-9]{3,5}(-[A-Z0-9]{1,10})?)$/.test(text);
}
