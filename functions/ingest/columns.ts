/**
 * Header handling for CQC's ratings sheets. The header row is found by its `Location ID` cell
 * (`Provider ID` on the Providers sheet), columns are matched by normalised name (case, spaces and
 * punctuation ignored: `ProviderID` = `Provider ID`, `Service/PopulationGroup` = `Service / Population
 * Group`), order and extra columns do not matter, and the older `Key Question` stands for `Domain`.
 */

export type Sheet = 'Locations' | 'Providers';

/** One physical row of a sheet: its line (CSV) or row number (ODS), 1-based, and its cells. */
export interface SheetRow {
  line: number;
  cells: string[];
}

/** Required columns are not in the header (or no header row was found at all). */
export class MissingColumn extends Error {
  /** The first missing column (CQC's spelling). */
  readonly column: string;
  /** Every missing required column. */
  readonly columns: string[];
  /** The header row's cells as the file spells them (empty when no header row was found). */
  readonly found: string[];
  readonly file: string;
  constructor(column: string | string[], file: string, detail?: string, found: readonly string[] = []) {
    const columns = Array.isArray(column) ? column : [column];
    super(detail ?? missingText(file, columns, found));
    this.name = 'MissingColumn';
    this.column = columns[0] ?? '';
    this.columns = columns;
    this.found = [...found];
    this.file = file;
  }
}

const quoteList = (names: readonly string[]) => names.map((name) => `"${name}"`).join(', ');

function missingText(file: string, columns: readonly string[], found: readonly string[]): string {
  const named = found.filter((cell) => cell.trim() !== '');
  const what = columns.length === 1 ? `required column ${quoteList(columns)} is` : `required columns ${quoteList(columns)} are`;
  const alias = columns.includes('Domain') ? ' ("Key Question" is taken for "Domain")' : '';
  return `${file}: ${what} missing from the header row${alias}. Columns found (${named.length}): ${named.length ? quoteList(named.map((cell) => (cell.length > 60 ? `${cell.slice(0, 60)}…` : cell)).slice(0, 40)) : 'none'}${named.length > 40 ? ', …' : ''}`;
}

/** Lower-case, letters and digits only: `Service / Population Group` -> `servicepopulationgroup`. */
export function normaliseHeader(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

interface ColumnSpec {
  /** CQC's spelling, used in errors. */
  header: string;
  /** Other accepted spellings (older files). */
  aliases?: string[];
  required: boolean;
}

const ratingColumns = {
  serviceGroup: { header: 'Service / Population Group', required: true },
  domain: { header: 'Domain', aliases: ['Key Question'], required: true },
  rating: { header: 'Latest Rating', required: true },
  publicationDate: { header: 'Publication Date', required: true },
  reportType: { header: 'Report Type', required: false },
  inherited: { header: 'Inherited Rating (Y/N)', required: false },
  url: { header: 'URL', required: false },
} satisfies Record<string, ColumnSpec>;

export const LOCATION_COLUMNS = {
  locationId: { header: 'Location ID', required: true },
  locationName: { header: 'Location Name', required: true },
  careHome: { header: 'Care Home?', required: false },
  locationType: { header: 'Location Type', required: false },
  primaryInspectionCategory: { header: 'Location Primary Inspection Category', required: false },
  street: { header: 'Location Street Address', required: false },
  line2: { header: 'Location Address Line 2', required: false },
  city: { header: 'Location City', required: false },
  postcode: { header: 'Location Post Code', required: false },
  localAuthority: { header: 'Location Local Authority', required: true },
  region: { header: 'Location Region', required: false },
  ...ratingColumns,
  providerId: { header: 'Provider ID', required: true },
  providerName: { header: 'Provider Name', required: false },
} satisfies Record<string, ColumnSpec>;

export const PROVIDER_COLUMNS = {
  providerId: { header: 'Provider ID', required: true },
  providerName: { header: 'Provider Name', required: true },
  providerType: { header: 'Provider Type', required: false },
  primaryInspectionCategory: { header: 'Provider Primary Inspection Category', required: false },
  street: { header: 'Provider Street Address', required: false },
  line2: { header: 'Provider Address Line 2', required: false },
  city: { header: 'Provider City', required: false },
  postcode: { header: 'Provider Post Code', required: false },
  localAuthority: { header: 'Provider Local Authority', required: false },
  region: { header: 'Provider Region', required: false },
  ...ratingColumns,
} satisfies Record<string, ColumnSpec>;

export type LocationField = keyof typeof LOCATION_COLUMNS;
export type ProviderField = keyof typeof PROVIDER_COLUMNS;

/** The Locations sheet's 28 columns, in CQC's order and spelling (CQC-DATA.md). */
export const LOCATIONS_HEADER = [
  'Location ID',
  'Location ODS Code',
  'Location Name',
  'Care Home?',
  'Location Type',
  'Location Primary Inspection Category',
  'Location Street Address',
  'Location Address Line 2',
  'Location City',
  'Location Post Code',
  'Location Local Authority',
  'Location Region',
  'Location NHS Region',
  'Location ONSPD CCG Code',
  'Location ONSPD CCG',
  'Location Commissioning CCG Code',
  'Location Commissioning CCG Name',
  'Service / Population Group',
  'Domain',
  'Latest Rating',
  'Publication Date',
  'Report Type',
  'Inherited Rating (Y/N)',
  'URL',
  'Provider ID',
  'Provider Name',
  'Brand ID',
  'Brand Name',
] as const;

/** The Providers sheet's columns, in CQC's order and spelling (CQC-DATA.md). */
export const PROVIDERS_HEADER = [
  'Provider ID',
  'Provider ODS Code',
  'Provider Name',
  'Provider Type',
  'Provider Primary Inspection Category',
  'Provider Street Address',
  'Provider Address Line 2',
  'Provider City',
  'Provider Post Code',
  'Provider Local Authority',
  'Provider Region',
  'Provider NHS Region',
  'Service / Population Group',
  'Domain',
  'Latest Rating',
  'Publication Date',
  'Report Type',
  'Inherited Rating (Y/N)',
  'URL',
  'Brand ID',
  'Brand Name',
] as const;

/** Column index per field; -1 for an optional column the file does not have. */
export type ColumnMap<F extends string> = Record<F, number>;

export function anchorColumn(sheet: Sheet): string {
  return sheet === 'Locations' ? 'Location ID' : 'Provider ID';
}

/** Is this row the sheet's header row (does it hold the anchor cell)? */
export function isHeaderRow(cells: readonly string[], sheet: Sheet): boolean {
  const anchor = normaliseHeader(anchorColumn(sheet));
  return cells.some((cell) => normaliseHeader(cell) === anchor);
}

export function mapColumns(sheet: 'Locations', header: readonly string[], file: string): ColumnMap<LocationField>;
export function mapColumns(sheet: 'Providers', header: readonly string[], file: string): ColumnMap<ProviderField>;
export function mapColumns(sheet: Sheet, header: readonly string[], file: string): ColumnMap<string>;
export function mapColumns(sheet: Sheet, header: readonly string[], file: string): ColumnMap<string> {
  const specs: Record<string, ColumnSpec> = sheet === 'Locations' ? LOCATION_COLUMNS : PROVIDER_COLUMNS;
  const positions = new Map<string, number>();
  header.forEach((cell, index) => {
    const key = normaliseHeader(cell);
    if (key && !positions.has(key)) positions.set(key, index);
  });
  if (sheet === 'Providers' && positions.has(normaliseHeader('Location ID'))) {
    throw new MissingColumn('Provider ID', file, `${file}: this is a Locations sheet, not the Providers sheet`, header);
  }
  const map: Record<string, number> = {};
  const missing: string[] = [];
  for (const [field, spec] of Object.entries(specs)) {
    const names = [spec.header, ...(spec.aliases ?? [])];
    let index = -1;
    for (const name of names) {
      const found = positions.get(normaliseHeader(name));
      if (found !== undefined) {
        index = found;
        break;
      }
    }
    if (index < 0 && spec.required) missing.push(spec.header);
    map[field] = index;
  }
  if (missing.length) throw new MissingColumn(missing, file, undefined, header);
  return map;
}

/**
 * Which sheet a header row belongs to: a `Location ID` cell makes it the Locations sheet; a
 * `Provider ID` cell without one, the Providers sheet; otherwise it is not a header row.
 */
export function sheetOfHeader(cells: readonly string[]): Sheet | undefined {
  if (isHeaderRow(cells, 'Locations')) return 'Locations';
  if (isHeaderRow(cells, 'Providers')) return 'Providers';
  return undefined;
}

/** How many rows above the header are tolerated (banner rows, notes) before giving up. */
export const HEADER_SEARCH_ROWS = 50;
