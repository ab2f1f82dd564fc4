/**
 * Reads one sheet of an Excel workbook (.xlsx: a zip of XML parts, ECMA-376) into rows, with the
 * same two libraries as the ODS reader (yauzl for the zip, saxes for the XML) rather than a
 * spreadsheet library: a council's contract register or tracker is a few thousand rows, so each part
 * is inflated whole (with a size cap against zip bombs), and only what a register holds is
 * interpreted: shared and inline strings, numbers, booleans, and numbers whose cell style is a date
 * format, which come out as YYYY-MM-DD (Excel's 1900 date system; 1904 when the workbook says so).
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import yauzl from 'yauzl';
import type { SheetRow } from '../ingest/columns';
import { BadInput } from '../lib/errors';

/** No part of a register workbook needs more than this once inflated. */
export const MAX_PART_BYTES = 64 * 1024 * 1024;

/** The workbook cannot be read: says which file and which part. */
export class WorkbookError extends BadInput {}

async function readParts(body: Buffer, wanted: (name: string) => boolean, file: string): Promise<Map<string, string>> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(body, { lazyEntries: true });
  } catch (error) {
    throw new WorkbookError(`${file}: not a readable .xlsx workbook (${(error as Error).message})`);
  }
  const parts = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    zip.on('error', (error: Error) => reject(new WorkbookError(`${file}: ${error.message}`)));
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      if (!wanted(entry.fileName)) {
        zip.readEntry();
        return;
      }
      if (entry.uncompressedSize > MAX_PART_BYTES) {
        reject(new WorkbookError(`${file}: ${entry.fileName} is larger than ${MAX_PART_BYTES} bytes`));
        return;
      }
      zip.openReadStream(entry, (error, stream) => {
        if (error) {
          reject(new WorkbookError(`${file}: ${entry.fileName}: ${error.message}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_PART_BYTES) stream.destroy(new WorkbookError(`${file}: ${entry.fileName} inflates past ${MAX_PART_BYTES} bytes`));
          else chunks.push(chunk);
        });
        stream.on('error', (streamError) => reject(streamError instanceof WorkbookError ? streamError : new WorkbookError(`${file}: ${streamError.message}`)));
        stream.on('end', () => {
          parts.set(entry.fileName, Buffer.concat(chunks).toString('utf8'));
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return parts;
}

/** Calls `open`/`close`/`text` for the XML, namespaces ignored (local names only). */
function walk(xml: string, handlers: { open?: (name: string, attributes: Record<string, string>) => void; close?: (name: string) => void; text?: (text: string) => void }): void {
  const parser = new SaxesParser();
  const local = (name: string) => name.slice(name.indexOf(':') + 1);
  parser.on('opentag', (node: SaxesTagPlain) => handlers.open?.(local(node.name), node.attributes));
  parser.on('closetag', (node: SaxesTagPlain) => handlers.close?.(local(node.name)));
  parser.on('text', (text) => handlers.text?.(text));
  parser.on('cdata', (text) => handlers.text?.(text));
  parser.write(xml).close();
}

function sharedStrings(xml: string | undefined): string[] {
  if (!xml) return [];
  const strings: string[] = [];
  let current: string | undefined;
  let inText = false;
  let phonetic = 0;
  walk(xml, {
    open: (name) => {
      if (name === 'si') current = '';
      else if (name === 'rPh') phonetic += 1;
      else if (name === 't' && phonetic === 0) inText = true;
    },
    close: (name) => {
      if (name === 'si') {
        strings.push(current ?? '');
        current = undefined;
      } else if (name === 'rPh') phonetic -= 1;
      else if (name === 't') inText = false;
    },
    text: (text) => {
      if (inText && current !== undefined) current += text;
    },
  });
  return strings;
}

/** Excel's built-in number formats that are dates (ECMA-376 Part 1, 18.8.30). */
const BUILT_IN_DATE_FORMATS = new Set([14, 15, 16, 17, 22, 27, 30, 36, 45, 46, 47, 50, 57]);

/** A format code is a date if, outside quotes, escapes and [colour] brackets, it has d, m or y. */
export function isDateFormat(code: string): boolean {
  const bare = code.replace(/"[^"]*"/g, '').replace(/\\./g, '').replace(/\[[^\]]*\]/g, '');
  return /[dmy]/i.test(bare) && !/^[#0.,%\s]*$/.test(bare);
}

/** For each cell style index, whether it shows a date. */
function dateStyles(xml: string | undefined): boolean[] {
  if (!xml) return [];
  const custom = new Map<number, string>();
  const styles: boolean[] = [];
  let inCellXfs = false;
  walk(xml, {
    open: (name, attributes) => {
      if (name === 'numFmt') custom.set(Number(attributes.numFmtId), attributes.formatCode ?? '');
      else if (name === 'cellXfs') inCellXfs = true;
      else if (name === 'xf' && inCellXfs) {
        const id = Number(attributes.numFmtId ?? '0');
        const code = custom.get(id);
        styles.push(code !== undefined ? isDateFormat(code) : BUILT_IN_DATE_FORMATS.has(id));
      }
    },
    close: (name) => {
      if (name === 'cellXfs') inCellXfs = false;
    },
  });
  return styles;
}

/** Excel serial day → YYYY-MM-DD (1900 system, with its phantom 29 February 1900; or 1904). */
export function serialToIsoDate(serial: number, date1904 = false): string | undefined {
  if (!Number.isFinite(serial) || serial < 1 || serial > 2_958_465) return undefined;
  const day = Math.floor(serial);
  const epoch = date1904 ? Date.UTC(1904, 0, 1) : Date.UTC(1899, 11, 30);
  return new Date(epoch + day * 86_400_000).toISOString().slice(0, 10);
}

/** `B7` → column 1 (0-based). */
function columnIndex(reference: string | undefined): number | undefined {
  const letters = /^([A-Z]+)\d*$/i.exec(reference ?? '')?.[1];
  if (!letters) return undefined;
  let index = 0;
  for (const letter of letters.toUpperCase()) index = index * 26 + (letter.charCodeAt(0) - 64);
  return index - 1;
}

function resolveTarget(target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const parts = `xl/${target}`.split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '..') out.pop();
    else if (part !== '.') out.push(part);
  }
  return out.join('/');
}

/** The sheets of the workbook in order, with the part each lives in. */
function sheetList(workbook: string, rels: string | undefined): { name: string; part: string }[] {
  const targets = new Map<string, string>();
  if (rels) {
    walk(rels, {
      open: (name, attributes) => {
        if (name === 'Relationship' && attributes.Id && attributes.Target) targets.set(attributes.Id, resolveTarget(attributes.Target));
      },
    });
  }
  const sheets: { name: string; part: string }[] = [];
  walk(workbook, {
    open: (name, attributes) => {
      if (name !== 'sheet') return;
      const id = attributes['r:id'] ?? Object.entries(attributes).find(([key]) => key.endsWith(':id'))?.[1];
      const part = id ? targets.get(id) : undefined;
      if (part) sheets.push({ name: attributes.name ?? '', part });
    },
  });
  return sheets;
}

export interface XlsxSheet {
  sheet: string;
  sheets: string[];
  rows: SheetRow[];
}

/** The rows of the named sheet (default: the first), each with its spreadsheet row number. */
export async function readXlsx(body: Buffer, file: string, sheetName?: string): Promise<XlsxSheet> {
  const first = await readParts(body, (name) => ['xl/workbook.xml', 'xl/_rels/workbook.xml.rels', 'xl/sharedStrings.xml', 'xl/styles.xml'].includes(name), file);
  const workbook = first.get('xl/workbook.xml');
  if (!workbook) throw new WorkbookError(`${file}: not an .xlsx workbook (no xl/workbook.xml)`);
  const sheets = sheetList(workbook, first.get('xl/_rels/workbook.xml.rels'));
  const chosen = sheetName ? sheets.find((sheet) => sheet.name.toLowerCase() === sheetName.toLowerCase()) : sheets[0];
  if (!chosen) throw new WorkbookError(`${file}: no sheet${sheetName ? ` named "${sheetName}"` : ''} (sheets: ${sheets.map((sheet) => sheet.name).join(', ') || 'none'})`);
  const date1904 = /date1904="(1|true)"/.test(workbook);
  const strings = sharedStrings(first.get('xl/sharedStrings.xml'));
  const isDate = dateStyles(first.get('xl/styles.xml'));
  const xml = (await readParts(body, (name) => name === chosen.part, file)).get(chosen.part);
  if (xml === undefined) throw new WorkbookError(`${file}: sheet "${chosen.name}" (${chosen.part}) is missing from the workbook`);

  const rows: SheetRow[] = [];
  let rowNumber = 0;
  let cells: string[] = [];
  let cell: { column: number; type: string; style: number; value: string; inline: string } | undefined;
  let inValue = false;
  let inInline = false;
  let nextColumn = 0;
  walk(xml, {
    open: (name, attributes) => {
      if (name === 'row') {
        rowNumber = attributes.r ? Number(attributes.r) : rowNumber + 1;
        cells = [];
        nextColumn = 0;
      } else if (name === 'c') {
        const column = columnIndex(attributes.r) ?? nextColumn;
        cell = { column, type: attributes.t ?? 'n', style: Number(attributes.s ?? '0'), value: '', inline: '' };
      } else if (name === 'v' && cell) inValue = true;
      else if (name === 't' && cell) inInline = true;
    },
    close: (name) => {
      if (name === 'v') inValue = false;
      else if (name === 't') inInline = false;
      else if (name === 'c' && cell) {
        let text: string;
        if (cell.type === 's') text = strings[Number(cell.value)] ?? '';
        else if (cell.type === 'inlineStr') text = cell.inline;
        else if (cell.type === 'b') text = cell.value === '1' ? 'TRUE' : 'FALSE';
        else if (cell.type === 'n' && isDate[cell.style] && cell.value !== '') text = serialToIsoDate(Number(cell.value), date1904) ?? cell.value;
        else text = cell.value;
        while (cells.length < cell.column) cells.push('');
        cells[cell.column] = text;
        nextColumn = cell.column + 1;
        cell = undefined;
      } else if (name === 'row') {
        if (cells.some((value) => value.trim() !== '')) rows.push({ line: rowNumber, cells });
      }
    },
    text: (text) => {
      if (!cell) return;
      if (inValue) cell.value += text;
      else if (inInline) cell.inline += text;
    },
  });
  return { sheet: chosen.name, sheets: sheets.map((sheet) => sheet.name), rows };
}

/** A zip's first bytes: `PK\x03\x04`. */
export function isZip(body: Buffer): boolean {
  return body.length >= 4 && body[0] === 0x50 && body[1] === 0x4b && body[2] === 0x03 && body[3] === 0x04;
}
