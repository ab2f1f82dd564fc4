/**
 * Streaming CSV reader on csv-parse: BOM, CRLF or LF, quoted fields (commas, quotes and line breaks
 * inside), no final newline. Yields every non-blank record with the physical line it starts on.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { parse, type InfoRecord, type Options } from 'csv-parse';
import type { SheetRow } from './columns';
import { decodedStream, type Separator, type TextEncoding } from './text';

export interface CsvReadOptions {
  /** Called with the byte count as the file is read (for progress). */
  onBytes?: (bytesRead: number) => void;
  /** Default UTF-8 (with or without BOM). */
  encoding?: TextEncoding;
  /** Default `,`. */
  separator?: Separator;
}

function countNewlines(cells: readonly string[]): number {
  let count = 0;
  for (const cell of cells) {
    let at = cell.indexOf('\n');
    while (at >= 0) {
      count += 1;
      at = cell.indexOf('\n', at + 1);
    }
  }
  return count;
}

function isBlank(cells: readonly string[]): boolean {
  for (const cell of cells) if (cell.trim() !== '') return false;
  return true;
}

/** Rows of a CSV byte stream. Blank lines are skipped but still counted. */
export async function* readCsvStream(source: Readable, read: Pick<CsvReadOptions, 'encoding' | 'separator'> = {}): AsyncGenerator<SheetRow> {
  const input = decodedStream(source, read.encoding ?? 'utf-8');
  // csv-parse's own line counter counts a CRLF inside quotes twice, so the physical line is worked
  // out here: the previous record's last line + 1, plus the line breaks inside this record's cells.
  let lastLine = 0;
  let lastParserLines = 0;
  const options: Options<unknown, string[]> = {
    bom: true,
    delimiter: read.separator ?? ',',
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    on_record: (record: unknown, context: InfoRecord) => {
      const cells = record as string[];
      const line = lastLine + 1;
      const span = context.lines - lastParserLines > 1 ? countNewlines(cells) : 0;
      lastParserLines = context.lines;
      lastLine = line + span;
      return { line, cells };
    },
  };
  const parser = parse(options as Options);
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);
  try {
    for await (const row of parser as AsyncIterable<SheetRow>) {
      if (!isBlank(row.cells)) yield row;
    }
  } finally {
    input.unpipe(parser);
    input.destroy();
    source.destroy();
    parser.destroy();
  }
}

export function readCsvFile(path: string, options: CsvReadOptions = {}): AsyncGenerator<SheetRow> {
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  if (options.onBytes) {
    const onBytes = options.onBytes;
    stream.on('data', () => onBytes(stream.bytesRead));
  }
  return readCsvStream(stream, options);
}

/** One CSV line as CQC writes its files: fields quoted only when they hold a comma, quote or line break. */
export function csvLine(cells: readonly string[]): string {
  return cells.map((value) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value)).join(',');
}
