import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  LOCATIONS_HEADER,
  MissingColumn,
  PROVIDERS_HEADER,
  isHeaderRow,
  mapColumns,
  normaliseHeader,
} from '../../functions/ingest/columns';
import { readCsvFile } from '../../functions/ingest/csv';
import { detectFormat } from '../../functions/ingest/files';
import { canonicalDomain, canonicalRating, parseLocationRow, parseRatingDate } from '../../functions/ingest/rows';
import { locationRow } from './helpers';
import { fixtureFile } from '../support/fixtures';

const dir = mkdtempSync(join(tmpdir(), 'ingest-parse-'));

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

describe('columns', () => {
  it('normalises header names: case, spaces and punctuation ignored', () => {
    expect(normaliseHeader('Provider ID')).toBe(normaliseHeader('ProviderID'));
    expect(normaliseHeader('Service / Population Group')).toBe(normaliseHeader('Service/PopulationGroup'));
    expect(normaliseHeader('Inherited Rating (Y/N)')).toBe('inheritedratingyn');
    expect(normaliseHeader('Care Home?')).toBe('carehome');
  });

  it('maps the real 28-column Locations header', () => {
    expect(LOCATIONS_HEADER).toHaveLength(28);
    const columns = mapColumns('Locations', LOCATIONS_HEADER, 'x.csv');
    expect(columns.locationId).toBe(0);
    expect(columns.domain).toBe(18);
    expect(columns.rating).toBe(19);
    expect(columns.publicationDate).toBe(20);
    expect(columns.providerId).toBe(24);
  });

  it('tolerates reordered and extra columns, and Key Question for Domain', () => {
    const header = ['Extra', ...[...LOCATIONS_HEADER].reverse()].map((name) => (name === 'Domain' ? 'Key Question' : name));
    const columns = mapColumns('Locations', header, 'x.csv');
    expect(header[columns.locationId]).toBe('Location ID');
    expect(header[columns.domain]).toBe('Key Question');
    expect(header[columns.localAuthority]).toBe('Location Local Authority');
  });

  it('refuses a file missing a required column, naming the column and the file', () => {
    const header = LOCATIONS_HEADER.filter((name) => name !== 'Latest Rating');
    expect(() => mapColumns('Locations', header, 'ratings.csv')).toThrow(MissingColumn);
    expect(() => mapColumns('Locations', header, 'ratings.csv')).toThrow(/ratings\.csv: required column "Latest Rating"/);
    const noDomain = LOCATIONS_HEADER.filter((name) => name !== 'Domain');
    expect(() => mapColumns('Locations', noDomain, 'r.csv')).toThrow(/required column "Domain" is missing from the header row \("Key Question" is taken for "Domain"\)/);
  });

  it('finds the header row by its anchor cell, and tells the sheets apart', () => {
    expect(isHeaderRow(['Care directory with ratings', '', ''], 'Locations')).toBe(false);
    expect(isHeaderRow([...LOCATIONS_HEADER], 'Locations')).toBe(true);
    expect(isHeaderRow([...PROVIDERS_HEADER], 'Providers')).toBe(true);
    expect(() => mapColumns('Providers', LOCATIONS_HEADER, 'loc.csv')).toThrow(/Locations sheet/);
  });
});

describe('row validation', () => {
  const columns = mapColumns('Locations', LOCATIONS_HEADER, 't.csv');

  it('parses dates as DD/MM/YYYY or ISO into ISO, refusing impossible ones', () => {
    expect(parseRatingDate('22/01/2021')).toBe('2021-01-22');
    expect(parseRatingDate('2/7/2014')).toBe('2014-07-02');
    expect(parseRatingDate('2021-01-22')).toBe('2021-01-22');
    expect(parseRatingDate('2021-01-22T00:00:00')).toBe('2021-01-22');
    expect(parseRatingDate('31/02/2021')).toBeUndefined();
    expect(parseRatingDate('01/13/2021')).toBeUndefined();
    expect(parseRatingDate('last week')).toBeUndefined();
  });

  it('knows the rating vocabulary, case-insensitively, in CQC spelling', () => {
    expect(canonicalRating('requires Improvement')).toBe('Requires improvement');
    expect(canonicalRating('Not rated')).toBe('Not Rated');
    expect(canonicalRating('Insufficient evidence to rate')).toBe('Insufficient evidence to rate');
    expect(canonicalRating('Not applicable')).toBe('Not applicable');
    expect(canonicalRating('Superb')).toBeUndefined();
    expect(canonicalDomain('Well led')).toBe('Well-led');
    expect(canonicalDomain('Use of Resources')).toBe('Use of Resources');
  });

  it('rejects bad rows with line, column, reason and value', () => {
    const bad = (overrides: Parameters<typeof locationRow>[0]) => parseLocationRow(7, locationRow(overrides), columns);
    expect(bad({ locationId: '1-1', domain: 'Safe', rating: 'Superb', date: '01/02/2021' })).toEqual({
      ok: false,
      rejection: { line: 7, field: 'Latest Rating', reason: 'unknown rating value', value: 'Superb' },
    });
    expect(bad({ locationId: '1-1', domain: 'Safe', rating: 'Good', date: '2021/02/31' })).toMatchObject({
      ok: false,
      rejection: { field: 'Publication Date', reason: 'bad date', value: '2021/02/31' },
    });
    expect(bad({ locationId: '', domain: 'Safe', rating: 'Good', date: '01/02/2021' })).toMatchObject({
      ok: false,
      rejection: { field: 'Location ID', reason: 'missing id' },
    });
    const good = parseLocationRow(8, locationRow({ locationId: '1-1', domain: 'well-led', rating: 'good', date: '01/02/2021' }), columns);
    expect(good).toMatchObject({
      ok: true,
      record: { line: 8, locationId: '1-1', domain: 'Well-led', rating: 'Good', publicationDate: '2021-02-01', careHome: true, inherited: false },
    });
  });
});

describe('file format', () => {
  it('tells ODS (a zip) from CSV by the first bytes, and refuses Excel', async () => {
    const zip = join(dir, 'ratings.bin');
    writeFileSync(zip, Buffer.from('PK\u0003\u0004rest', 'latin1'));
    expect(await detectFormat(zip)).toBe('ods');
    const csv = join(dir, 'ratings.txt');
    writeFileSync(csv, 'Location ID\r\n1-1');
    expect(await detectFormat(csv)).toBe('csv');
    const xlsx = join(dir, 'ratings.xlsx');
    writeFileSync(xlsx, Buffer.from('PK\u0003\u0004rest', 'latin1'));
    await expect(detectFormat(xlsx)).rejects.toThrow(/save the sheet as ODS or CSV/);
  });
});

describe('CSV reader', () => {
  it('handles a BOM, CRLF, quoted commas and line breaks, blank lines, and no final newline, with physical line numbers', async () => {
    const path = join(dir, 'quirks.csv');
    writeFileSync(path, '\ufeffLocation ID,Name,Note\r\n1-1,"Oak, House",plain\r\n\r\n1-2,"Two\r\nLines",x\r\n1-3,"say ""hi""",last');
    const rows = await collect(readCsvFile(path));
    expect(rows).toEqual([
      { line: 1, cells: ['Location ID', 'Name', 'Note'] },
      { line: 2, cells: ['1-1', 'Oak, House', 'plain'] },
      { line: 4, cells: ['1-2', 'Two\r\nLines', 'x'] },
      { line: 6, cells: ['1-3', 'say "hi"', 'last'] },
    ]);
  });

  it('reads the real Providers file: BOM stripped, CRLF, 8,054 lines, last line without terminator', async () => {
    const rows = await collect(readCsvFile(fixtureFile('cqc/Latest_ratings_2_2021_Prov.csv')));
    expect(rows).toHaveLength(8054);
    expect(rows[0]?.cells[0]).toBe('ProviderID');
    expect(rows[0]?.cells).toHaveLength(19);
    const last = rows[rows.length - 1];
    expect(last?.line).toBe(8054);
    expect(last?.cells.slice(-3)).toEqual(['http://www.cqc.org.uk/provider/TAJ', '-', '-']);
    expect(rows.every((row) => row.cells.length === 19)).toBe(true);
  });
});
