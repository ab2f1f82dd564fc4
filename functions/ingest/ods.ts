/**
 * Streaming ODS reader. CQC's workbook unpacks to over 1 GB of XML, so it is never held in memory:
 * yauzl opens the zip, `content.xml` is inflated as a stream and fed to saxes chunk by chunk, and
 * rows are handed to the consumer through a small queue that pauses the inflate stream when full.
 *
 * Handled: sheet selection by `table:name`, `table:number-columns-repeated` and
 * `table:number-rows-repeated` (empty trailing cells and rows are counted, never expanded),
 * `text:s` (runs of spaces), `text:tab`, `text:line-break`, several `text:p` in a cell (joined with
 * a line break), nested spans and links, and typed cells (`office:date-value` -> DD/MM/YYYY,
 * otherwise the displayed text, else `office:value`).
 */
import type { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import yauzl from 'yauzl';
import { basename } from 'node:path';
import type { SheetRow } from './columns';

const NS_OFFICE = 'urn:oasis:names:tc:opendocument:xmlns:office:1.0';
const NS_TABLE = 'urn:oasis:names:tc:opendocument:xmlns:table:1.0';
const NS_TEXT = 'urn:oasis:names:tc:opendocument:xmlns:text:1.0';

export class SheetNotFound extends Error {
  constructor(readonly sheet: string, readonly file: string, readonly sheets: string[]) {
    super(`${file}: no sheet named "${sheet}" (sheets: ${sheets.length ? sheets.join(', ') : 'none'})`);
    this.name = 'SheetNotFound';
  }
}

/**
 * A workbook that cannot be read to the end: a cut-short download, a broken zip, or sheet XML that
 * breaks off. Says which file, which sheet and where, in words an officer can act on.
 */
export class DamagedSpreadsheet extends Error {
  constructor(
    readonly file: string,
    readonly sheet: string | undefined,
    /** The last row read whole, if any. */
    readonly afterRow: number | undefined,
    what: string,
  ) {
    const where = sheet ? ` In sheet "${sheet}"${afterRow ? `, after row ${afterRow.toLocaleString('en-GB')}` : ', before its first row'}: ${what}.` : ` ${what}.`;
    super(
      `${file}: the spreadsheet is damaged and cannot be read to the end.${where} ` +
        'Rows before that point were read as usual. Download the file again from CQC (or open it in LibreOffice Calc or Excel and save it again as ODS) and ingest it again: what is already stored is not changed twice.',
    );
    this.name = 'DamagedSpreadsheet';
  }
}

/** saxes says `2:4217636: unexpected close tag.`: the same in words. */
export function xmlProblem(message: string): string {
  const match = /^(?:[^:]*:)?(\d+):(\d+): (.*?)\.?$/.exec(message);
  if (!match) return `its data is not well-formed (${message})`;
  return `its data breaks off or is garbled (the XML parser found "${match[3]}" at line ${match[1]}, character ${Number(match[2]).toLocaleString('en-GB')} of the sheet data)`;
}

const isSheetChoice = (name: string) => /^(locations|providers)$/i.test(name.trim());

export interface OdsReadOptions {
  /** Compressed bytes of content.xml read so far, and its compressed size (for progress). */
  onBytes?: (compressedRead: number, compressedTotal: number) => void;
  /** Rows buffered before the inflate stream is paused. */
  highWaterMark?: number;
  /** A non-empty cell or row repeated more than this is refused as malformed. */
  maxRepeat?: number;
}

/** `2021-01-22` or `2021-01-22T00:00:00` -> `22/01/2021`; anything else unchanged. */
export function odsDateToText(value: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  return match ? `${match[3]}/${match[2]}/${match[1]}` : value;
}

function names(prefix: { office: string; table: string; text: string }) {
  const t = (local: string) => `${prefix.table}:${local}`;
  const x = (local: string) => `${prefix.text}:${local}`;
  const o = (local: string) => `${prefix.office}:${local}`;
  return {
    table: t('table'),
    tableName: t('name'),
    row: t('table-row'),
    cell: t('table-cell'),
    coveredCell: t('covered-table-cell'),
    rowsRepeated: t('number-rows-repeated'),
    columnsRepeated: t('number-columns-repeated'),
    p: x('p'),
    s: x('s'),
    c: x('c'),
    tab: x('tab'),
    lineBreak: x('line-break'),
    valueType: o('value-type'),
    dateValue: o('date-value'),
    value: o('value'),
    booleanValue: o('boolean-value'),
    annotation: o('annotation'),
  };
}

/**
 * Parses content.xml text pushed through `write`, calling `emit` per row of the chosen sheet.
 * Exposed for tests; `readOdsFile` is the usual entry point.
 */
export class OdsSheetParser {
  private readonly parser = new SaxesParser();
  private n = names({ office: 'office', table: 'table', text: 'text' });
  private rootSeen = false;
  private inSheet = false;
  private sheetDone = false;
  private readonly sheetNames: string[] = [];
  private rowNumber = 0;
  private rowRepeat = 1;
  private cells: string[] = [];
  private pendingEmpty = 0;
  private inCell = false;
  private cellRepeat = 1;
  /** A date cell's date as DD/MM/YYYY; for other typed cells, their `office:value`. */
  private cellDate: string | undefined;
  private cellValue: string | undefined;
  private paragraphs = 0;
  private text = '';
  private inP = 0;
  private annotationDepth = 0;
  /** The sheet being read (the requested one, or the first named Locations or Providers). */
  chosen: string | undefined;

  constructor(
    /** The sheet to read; undefined: the first one named Locations or Providers. */
    private readonly sheet: string | undefined,
    private readonly emit: (row: SheetRow) => void,
    private readonly maxRepeat = 100_000,
  ) {
    this.parser.on('opentag', (node) => this.open(node));
    this.parser.on('closetag', (node) => this.close(node));
    this.parser.on('text', (text) => {
      if (this.inP > 0 && this.annotationDepth === 0) this.text += text;
    });
    this.parser.on('cdata', (text) => {
      if (this.inP > 0 && this.annotationDepth === 0) this.text += text;
    });
  }

  /** True once the chosen sheet has been read to its end (the rest of the file can be skipped). */
  get done(): boolean {
    return this.sheetDone;
  }

  get sheets(): string[] {
    return this.sheetNames;
  }

  /** Rows of the chosen sheet read so far. */
  get rowsRead(): number {
    return this.rowNumber;
  }

  write(chunk: string): void {
    if (!this.sheetDone) this.parser.write(chunk);
  }

  end(): void {
    if (!this.sheetDone) this.parser.close();
  }

  private open(node: SaxesTagPlain): void {
    const name = node.name;
    if (!this.rootSeen) {
      this.rootSeen = true;
      this.resolvePrefixes(node.attributes);
    }
    const n = this.n;
    if (name === n.table) {
      const tableName = node.attributes[n.tableName] ?? '';
      this.sheetNames.push(tableName);
      if (this.chosen === undefined && (this.sheet === undefined ? isSheetChoice(tableName) : tableName === this.sheet)) {
        this.inSheet = true;
        this.chosen = tableName;
      }
      return;
    }
    if (!this.inSheet) return;
    if (this.inCell) {
      if (name === n.annotation) this.annotationDepth += 1;
      if (this.annotationDepth > 0) return;
      if (name === n.p) {
        if (this.inP === 0 && this.paragraphs > 0) this.text += '\n';
        this.inP += 1;
        this.paragraphs += 1;
      } else if (name === n.s) {
        const count = Number(node.attributes[n.c] ?? '1');
        this.text += ' '.repeat(Number.isFinite(count) && count > 0 ? Math.min(count, 10_000) : 1);
      } else if (name === n.tab) {
        this.text += '\t';
      } else if (name === n.lineBreak) {
        this.text += '\n';
      }
      return;
    }
    if (name === n.cell || name === n.coveredCell) {
      this.inCell = true;
      this.text = '';
      this.paragraphs = 0;
      this.inP = 0;
      const repeat = node.attributes[n.columnsRepeated];
      this.cellRepeat = repeat ? Math.max(1, Number.parseInt(repeat, 10) || 1) : 1;
      const type = node.attributes[n.valueType];
      this.cellDate = undefined;
      this.cellValue = undefined;
      if (type === 'date') {
        const date = node.attributes[n.dateValue];
        if (date) this.cellDate = odsDateToText(date);
      } else if (type === 'boolean') this.cellValue = node.attributes[n.booleanValue];
      else if (type && type !== 'string') this.cellValue = node.attributes[n.value];
    } else if (name === n.row) {
      this.cells = [];
      this.pendingEmpty = 0;
      const repeat = node.attributes[n.rowsRepeated];
      this.rowRepeat = repeat ? Math.max(1, Number.parseInt(repeat, 10) || 1) : 1;
    }
  }

  private close(node: SaxesTagPlain): void {
    const name = node.name;
    if (!this.inSheet) return;
    const n = this.n;
    if (this.inCell) {
      if (name === n.annotation) {
        this.annotationDepth -= 1;
        return;
      }
      if (this.annotationDepth > 0) return;
      if (name === n.p) {
        this.inP -= 1;
        return;
      }
      if (name === n.cell || name === n.coveredCell) {
        this.inCell = false;
        // A date cell gives its date; other typed cells their displayed text, else their value.
        let value = this.cellDate ?? this.text;
        if (this.paragraphs === 0 && this.cellValue !== undefined) value = this.cellValue;
        this.addCell(value, this.cellRepeat);
      }
      return;
    }
    if (name === n.row) {
      this.finishRow();
    } else if (name === n.table) {
      this.inSheet = false;
      this.sheetDone = true;
    }
  }

  private addCell(value: string, repeat: number): void {
    if (value === '') {
      // Empty cells are only materialised when a non-empty cell follows them.
      this.pendingEmpty += repeat;
      return;
    }
    if (this.pendingEmpty > 0) {
      if (this.cells.length + this.pendingEmpty > this.maxRepeat) throw new Error(`ODS row ${this.rowNumber + 1}: too many columns`);
      for (let i = 0; i < this.pendingEmpty; i += 1) this.cells.push('');
      this.pendingEmpty = 0;
    }
    if (repeat > this.maxRepeat) throw new Error(`ODS row ${this.rowNumber + 1}: a cell repeated ${repeat} times`);
    for (let i = 0; i < repeat; i += 1) this.cells.push(value);
  }

  private finishRow(): void {
    const first = this.rowNumber + 1;
    this.rowNumber += this.rowRepeat;
    if (this.cells.length === 0) return; // empty (trailing) rows are counted, not expanded
    if (this.rowRepeat > this.maxRepeat) throw new Error(`ODS row ${first}: a non-empty row repeated ${this.rowRepeat} times`);
    const cells = this.cells;
    this.emit({ line: first, cells });
    for (let i = 1; i < this.rowRepeat; i += 1) this.emit({ line: first + i, cells: cells.slice() });
  }

  private resolvePrefixes(attributes: Record<string, string>): void {
    const prefix = { office: 'office', table: 'table', text: 'text' };
    for (const [attribute, uri] of Object.entries(attributes)) {
      if (!attribute.startsWith('xmlns:')) continue;
      const declared = attribute.slice(6);
      if (uri === NS_OFFICE) prefix.office = declared;
      else if (uri === NS_TABLE) prefix.table = declared;
      else if (uri === NS_TEXT) prefix.text = declared;
    }
    this.n = names(prefix);
  }
}

async function openContent(
  path: string,
): Promise<{ zip: yauzl.ZipFile; raw: Readable; stream: Readable; compressedSize: number }> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false });
  } catch (error) {
    throw new DamagedSpreadsheet(basename(path), undefined, undefined, `It is not a complete ODS workbook: the zip archive it should be cannot be opened (${(error as Error).message}); it may have been cut short while downloading`);
  }
  try {
    const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
      const onEntry = (candidate: yauzl.Entry) => {
        if (candidate.fileName === 'content.xml') {
          cleanup();
          resolve(candidate);
        } else zip.readEntry();
      };
      const onEnd = () => {
        cleanup();
        resolve(undefined);
      };
      const onError = (error: Error) => {
        cleanup();
        reject(error);
      };
      const cleanup = () => {
        zip.off('entry', onEntry);
        zip.off('end', onEnd);
        zip.off('error', onError);
      };
      zip.on('entry', onEntry);
      zip.on('end', onEnd);
      zip.on('error', onError);
      zip.readEntry();
    });
    if (!entry) throw new DamagedSpreadsheet(basename(path), undefined, undefined, 'It is a zip archive but not an ODS workbook: it holds no sheet data (content.xml)');
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
      throw new Error(`${path}: content.xml uses zip compression method ${entry.compressionMethod}`);
    }
    // Inflated here rather than by yauzl, so the compressed bytes read can be counted for progress.
    const raw = await zip.openReadStreamPromise(entry, { decompress: false });
    const stream = entry.compressionMethod === 8 ? raw.pipe(createInflateRaw({ chunkSize: 64 * 1024 })) : raw;
    if (stream !== raw) raw.on('error', (error) => stream.destroy(error));
    return { zip, raw, stream, compressedSize: entry.compressedSize };
  } catch (error) {
    zip.close();
    throw error;
  }
}

/**
 * Rows of one sheet of an ODS workbook, streamed. The consumer pulls; when more than
 * `highWaterMark` rows are waiting the inflate stream is paused until the queue drains.
 */
export async function* readOdsFile(path: string, sheet: string | undefined, options: OdsReadOptions & { onSheet?: (name: string) => void } = {}): AsyncGenerator<SheetRow> {
  const highWaterMark = options.highWaterMark ?? 2000;
  const { zip, raw, stream, compressedSize } = await openContent(path);
  const file = basename(path);
  let queue: SheetRow[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const parser = new OdsSheetParser(sheet, (row) => queue.push(row), options.maxRepeat);
  let announced = false;
  const damaged = (what: string) => new DamagedSpreadsheet(file, parser.chosen ?? sheet, parser.chosen ? parser.rowsRead : undefined, what);
  const fromParser = (error: Error) => (/^(?:[^:]*:)?\d+:\d+: /.test(error.message) ? damaged(xmlProblem(error.message)) : error);
  if (options.onBytes) {
    const onBytes = options.onBytes;
    let compressedRead = 0;
    raw.on('data', (chunk: Buffer) => {
      compressedRead += chunk.length;
      onBytes(compressedRead, compressedSize);
    });
  }
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    try {
      parser.write(chunk);
    } catch (error) {
      failure = fromParser(error as Error);
      stream.destroy();
      notify();
      return;
    }
    if (!announced && parser.chosen !== undefined) {
      announced = true;
      options.onSheet?.(parser.chosen);
    }
    if (parser.done) {
      ended = true;
      stream.destroy();
    } else if (queue.length >= highWaterMark) {
      stream.pause();
    }
    notify();
  });
  stream.on('end', () => {
    try {
      parser.end();
    } catch (error) {
      failure = fromParser(error as Error);
    }
    ended = true;
    notify();
  });
  stream.on('error', (error: Error & { code?: string }) => {
    if (!ended && !failure) failure = error.code?.startsWith('Z_') || /inflat|invalid|unexpected end/i.test(error.message) ? damaged(`its compressed sheet data is damaged (${error.message})`) : error;
    notify();
  });
  stream.on('close', () => {
    if (!ended && !failure) failure = damaged('the sheet data ends early (the file was cut short)');
    notify();
  });
  try {
    for (;;) {
      if (queue.length > 0) {
        const batch = queue;
        queue = [];
        if (stream.isPaused() && !ended) stream.resume();
        for (const row of batch) yield row;
        continue;
      }
      if (failure) throw failure;
      if (ended) break;
      if (stream.isPaused()) stream.resume();
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (parser.chosen === undefined) throw new SheetNotFound(sheet ?? 'Locations" or "Providers', file, parser.sheets);
  } finally {
    stream.destroy();
    raw.destroy();
    zip.close();
  }
}
