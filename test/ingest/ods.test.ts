import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OdsSheetParser, readOdsFile } from '../../functions/ingest/ods';
import { openRatingsFile } from '../../functions/ingest/files';
import { ZipWriter, writeOds } from '../../scripts/ods-writer';
import type { SheetRow } from '../../functions/ingest/columns';

const dir = mkdtempSync(join(tmpdir(), 'ingest-ods-'));

async function collect(rows: AsyncIterable<SheetRow>): Promise<SheetRow[]> {
  const out: SheetRow[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

const cell = (text: string) => `<table:table-cell office:value-type="string"><text:p>${text}</text:p></table:table-cell>`;

describe('ODS reader', () => {
  it('selects the sheet by name and handles repeats, text:s, several text:p, date-value and covered cells', async () => {
    const path = join(dir, 'shapes.ods');
    await writeOds(
      path,
      [
        { name: 'Notes', rows: [['ignore me', 'and me']] },
        {
          name: 'Locations',
          rows: [
            { xml: `<table:table-row>${cell('Care directory with ratings')}<table:table-cell table:number-columns-repeated="16383"/></table:table-row>` },
            { xml: '<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>' },
            ['Location ID', 'Name', 'Publication Date', 'Note'],
            {
              xml:
                '<table:table-row>' +
                cell('1-101') +
                '<table:table-cell office:value-type="string"><text:p>Oak<text:s/>House<text:s text:c="3"/>Annexe</text:p></table:table-cell>' +
                '<table:table-cell office:value-type="date" office:date-value="2021-01-22T00:00:00" calc:value-type="date"><text:p>Jan 22, 2021</text:p></table:table-cell>' +
                '<table:table-cell office:value-type="string"><text:p>first</text:p><text:p>second <text:span>part</text:span></text:p>' +
                '<office:annotation><text:p>a comment</text:p></office:annotation></table:table-cell>' +
                '<table:table-cell table:number-columns-repeated="1020"/></table:table-row>',
            },
            {
              xml:
                '<table:table-row table:number-rows-repeated="2">' +
                cell('1-102') +
                '<table:table-cell table:number-columns-spanned="2" office:value-type="string"><text:p>Wide</text:p></table:table-cell><table:covered-table-cell/>' +
                '<table:table-cell office:value-type="float" office:value="3"/>' +
                '</table:table-row>',
            },
            { xml: `<table:table-row>${cell('1-103')}<table:table-cell table:number-columns-repeated="2"/>${cell('x')}</table:table-row>` },
          ],
        },
      ],
    );
    const rows = await collect(readOdsFile(path, 'Locations'));
    expect(rows).toEqual([
      { line: 1, cells: ['Care directory with ratings'] },
      { line: 4, cells: ['Location ID', 'Name', 'Publication Date', 'Note'] },
      { line: 5, cells: ['1-101', 'Oak House   Annexe', '22/01/2021', 'first\nsecond part'] },
      { line: 6, cells: ['1-102', 'Wide', '', '3'] },
      { line: 7, cells: ['1-102', 'Wide', '', '3'] },
      { line: 8, cells: ['1-103', '', '', 'x'] },
    ]);
    await expect(collect(readOdsFile(path, 'Providers'))).rejects.toThrow(/no sheet named "Providers" \(sheets: Notes, Locations\)/);
  });

  it('counts huge trailing repeats without expanding them', () => {
    const rows: SheetRow[] = [];
    const parser = new OdsSheetParser('S', (row) => rows.push(row));
    parser.write(
      '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="S">',
    );
    parser.write(`<table:table-row>${cell('a')}<table:table-cell table:number-columns-repeated="2147483647"/></table:table-row>`);
    parser.write('<table:table-row table:number-rows-repeated="2147483600"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>');
    parser.write(`<table:table-row>${cell('b')}</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>`);
    parser.end();
    expect(rows).toEqual([
      { line: 1, cells: ['a'] },
      { line: 2147483602, cells: ['b'] },
    ]);
  });

  it('resolves namespace prefixes from the document, whatever they are called', async () => {
    const path = join(dir, 'prefixes.ods');
    const zip = new ZipWriter(createWriteStream(path));
    await zip.add('mimetype', 'application/vnd.oasis.opendocument.spreadsheet', true);
    const content = await zip.stream('content.xml');
    await content.write(
      '<o:document-content xmlns:o="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:t="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:x="urn:oasis:names:tc:opendocument:xmlns:text:1.0">' +
        '<o:body><o:spreadsheet><t:table t:name="Locations"><t:table-row><t:table-cell><x:p>Location ID</x:p></t:table-cell></t:table-row>' +
        '<t:table-row t:number-rows-repeated="2"><t:table-cell><x:p>A<x:s x:c="2"/>B</x:p></t:table-cell></t:table-row></t:table></o:spreadsheet></o:body></o:document-content>',
    );
    await content.end();
    await zip.finish();
    expect(await collect(readOdsFile(path, 'Locations'))).toEqual([
      { line: 1, cells: ['Location ID'] },
      { line: 2, cells: ['A  B'] },
      { line: 3, cells: ['A  B'] },
    ]);
  });

  it('streams: reading the first rows inflates only the start of a large sheet', async () => {
    const path = join(dir, 'large.ods');
    const rows = function* () {
      yield ['Location ID', 'Name', 'Note'];
      for (let i = 0; i < 60_000; i += 1) yield [`1-${i}`, `Home number ${i}`, `note ${(i * 7919) % 10007}`];
    };
    await writeOds(path, [{ name: 'Locations', rows: rows() }]);
    let read = 0;
    let total = 0;
    const iterator = readOdsFile(path, 'Locations', {
      highWaterMark: 100,
      onBytes: (done, all) => {
        read = done;
        total = all;
      },
    });
    let count = 0;
    for await (const row of iterator) {
      count += 1;
      if (count === 1) expect(row.cells[0]).toBe('Location ID');
      if (count === 50) break;
    }
    expect(total).toBeGreaterThan(0);
    expect(read / total).toBeLessThan(0.25);

    const file = await openRatingsFile(path, 'Locations');
    expect(file.format).toBe('ods');
    let all = 0;
    for await (const _ of file) all += 1;
    expect(all).toBe(60_001);
  });
});
