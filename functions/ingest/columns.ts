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

/** A required column is not in the header (or no header row was found at all). */
export class MissingColumn extends Error {
  readonly column: string;
  readonly file: string;
  constructor(column: string, file: string, detail?: string) {
    super(detail ?? `${file}: required column "${column}" is missing from the header row`);
    this.name = 'MissingColumn';
    this.column = column;
    this.file = file;
  }
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
    throw new MissingColumn('Provider ID', file, `${file}: this is a Locations sheet, not the Providers sheet`);
  }
  const map: Record<string, number> = {};
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
    if (index < 0 && spec.required) {
      const alias = spec.aliases?.length ? ` (or "${spec.aliases.join('", "')}")` : '';
      throw new MissingColumn(spec.header, file, `${file}: required column "${spec.header}"${alias} is missing from the header row`);
    }
    map[field] = index;
  }
  return map;
}

/** How many rows above the header are tolerated (banner rows, notes) before giving up. */
export const HEADER_SEARCH_ROWS = 50;
