/**
 * Opens a ratings file as CQC publishes it: the ODS workbook or the same sheet saved as CSV,
 * told apart by their first bytes (an ODS is a zip: `PK\x03\x04`), else by extension.
 */
import { open, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Sheet, SheetRow } from './columns';
import { readCsvFile } from './csv';
import { readOdsFile } from './ods';
import { ENCODING_NAMES, SEPARATOR_NAMES, sniffFile, type Separator, type TextEncoding } from './text';

export type RatingsFileFormat = 'csv' | 'ods';

/** What was found out about a file before reading its rows (for the summary). */
export interface FileFacts {
  format: RatingsFileFormat;
  /** How the summary names the encoding read (`UTF-8`, `Windows-1252 (…)`, …). */
  encoding: string;
  /** Said in the summary: a separator other than a comma, the sheet of a workbook that was read. */
  notes: string[];
}

export interface RatingsFile extends AsyncIterable<SheetRow> {
  path: string;
  format: RatingsFileFormat;
  /** As asked for; undefined: told by the header row (and, in a workbook, the sheet's name). */
  sheet: Sheet | undefined;
  facts: FileFacts;
  /** Bytes of the file (CSV) or of the compressed sheet XML (ODS) read so far, and the total. */
  progress(): { done: number; total: number };
}

/** A file that is not a ratings sheet we can read (an Excel workbook, a mislabelled file). */
export class UnreadableFile extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreadableFile';
  }
}

async function firstBytes(path: string, count: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(count);
    const { bytesRead } = await handle.read(buffer, 0, count, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export async function detectFormat(path: string): Promise<RatingsFileFormat> {
  const head = await firstBytes(path, 4);
  if (head.length === 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    if (extname(path).toLowerCase() === '.xlsx') throw new UnreadableFile(`${basename(path)}: an .xlsx workbook; save the sheet as ODS or CSV`);
    return 'ods';
  }
  const extension = extname(path).toLowerCase();
  if (extension === '.ods') throw new UnreadableFile(`${basename(path)}: not an ODS workbook (not a zip file): download it again from CQC, or save the sheet as ODS or CSV`);
  if (extension === '.xlsx' || extension === '.xls') throw new UnreadableFile(`${basename(path)}: an Excel workbook; save the sheet as ODS or CSV`);
  return 'csv';
}

/** The rows of `sheet` (`Locations` or `Providers`; undefined: worked out) of the file at `path`, streamed. */
export async function openRatingsFile(path: string, sheet?: Sheet): Promise<RatingsFile> {
  const format = await detectFormat(path);
  const size = (await stat(path)).size;
  let done = 0;
  let total = size;
  const notes: string[] = [];
  let rows: () => AsyncGenerator<SheetRow>;
  let encoding: string;
  if (format === 'csv') {
    const text: { encoding: TextEncoding; separator: Separator } = await sniffFile(path);
    encoding = ENCODING_NAMES[text.encoding];
    if (text.separator !== ',') notes.push(`The columns are separated by ${SEPARATOR_NAMES[text.separator]}s ("${text.separator === '\t' ? 'tab' : text.separator}"), not commas, as Excel saves CSV in many countries: read that way.`);
    rows = () => readCsvFile(path, { onBytes: (bytes) => (done = bytes), ...text });
  } else {
    encoding = 'ODS workbook (UTF-8 XML)';
    rows = () =>
      readOdsFile(path, sheet, {
        onBytes: (read, compressed) => {
          done = read;
          total = compressed;
        },
        onSheet: (name) => {
          if (!notes.some((note) => note.startsWith('Read the workbook'))) notes.push(`Read the workbook's sheet "${name}".`);
        },
      });
  }
  return {
    path,
    format,
    sheet,
    facts: { format, encoding, notes },
    progress: () => ({ done, total }),
    [Symbol.asyncIterator]: () => rows()[Symbol.asyncIterator](),
  };
}
