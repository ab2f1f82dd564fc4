/**
 * Writes ODS workbooks as a stream: a hand-written zip (node:zlib deflateRaw + zip headers, data
 * descriptors for the streamed entry) holding `mimetype` (stored, first), `META-INF/manifest.xml`
 * and `content.xml`, in the verbose form LibreOffice writes (which is why CQC's workbook unpacks to
 * over 1 GB). Used by the generator, the benchmark and the tests.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';

interface CentralEntry {
  name: Buffer;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
}

const DOS_TIME = 0; // 00:00:00
const DOS_DATE = ((2021 - 1980) << 9) | (2 << 5) | 1; // 2021-02-01

/** A minimal streaming zip writer (no zip64: entries and the archive must stay under 4 GiB). */
export class ZipWriter {
  private offset = 0;
  private readonly entries: CentralEntry[] = [];

  constructor(private readonly out: WriteStream) {}

  private async write(chunk: Buffer): Promise<void> {
    this.offset += chunk.length;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }

  private localHeader(name: Buffer, method: number, flags: number, crc: number, compressedSize: number, size: number): Buffer {
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(flags, 6);
    header.writeUInt16LE(method, 8);
    header.writeUInt16LE(DOS_TIME, 10);
    header.writeUInt16LE(DOS_DATE, 12);
    header.writeUInt32LE(crc >>> 0, 14);
    header.writeUInt32LE(compressedSize, 18);
    header.writeUInt32LE(size, 22);
    header.writeUInt16LE(name.length, 26);
    header.writeUInt16LE(0, 28);
    return Buffer.concat([header, name]);
  }

  /** A whole entry given at once; `store` for `mimetype` (must not be compressed). */
  async add(fileName: string, data: Buffer | string, store = false): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const name = Buffer.from(fileName, 'utf8');
    const body = store ? bytes : deflateRawSync(bytes);
    const entry: CentralEntry = { name, method: store ? 0 : 8, flags: 0, crc: crc32(bytes), compressedSize: body.length, size: bytes.length, offset: this.offset };
    await this.write(this.localHeader(name, entry.method, 0, entry.crc, entry.compressedSize, entry.size));
    await this.write(body);
    this.entries.push(entry);
  }

  /** A deflated entry written chunk by chunk (sizes and CRC follow in a data descriptor). */
  async stream(fileName: string, level = 6): Promise<{ write(chunk: string): Promise<void>; end(): Promise<void> }> {
    const name = Buffer.from(fileName, 'utf8');
    const flags = 0x0008;
    const entry: CentralEntry = { name, method: 8, flags, crc: 0, compressedSize: 0, size: 0, offset: this.offset };
    await this.write(this.localHeader(name, 8, flags, 0, 0, 0));
    const deflate = createDeflateRaw({ level, chunkSize: 256 * 1024 });
    let pending = Promise.resolve();
    deflate.on('data', (chunk: Buffer) => {
      entry.compressedSize += chunk.length;
      this.offset += chunk.length;
      if (!this.out.write(chunk)) {
        deflate.pause();
        this.out.once('drain', () => deflate.resume());
      }
    });
    const finished = once(deflate, 'end');
    return {
      write: async (text: string) => {
        const bytes = Buffer.from(text, 'utf8');
        entry.crc = crc32(bytes, entry.crc);
        entry.size += bytes.length;
        if (entry.size > 0xffffffff) throw new Error(`${fileName} is over 4 GiB; this writer has no zip64`);
        await pending;
        if (!deflate.write(bytes)) pending = once(deflate, 'drain').then(() => undefined);
      },
      end: async () => {
        await pending;
        deflate.end();
        await finished;
        const descriptor = Buffer.alloc(16);
        descriptor.writeUInt32LE(0x08074b50, 0);
        descriptor.writeUInt32LE(entry.crc >>> 0, 4);
        descriptor.writeUInt32LE(entry.compressedSize, 8);
        descriptor.writeUInt32LE(entry.size, 12);
        await this.write(descriptor);
        this.entries.push(entry);
      },
    };
  }

  async finish(): Promise<void> {
    const start = this.offset;
    for (const entry of this.entries) {
      const header = Buffer.alloc(46);
      header.writeUInt32LE(0x02014b50, 0);
      header.writeUInt16LE(20, 4);
      header.writeUInt16LE(20, 6);
      header.writeUInt16LE(entry.flags, 8);
      header.writeUInt16LE(entry.method, 10);
      header.writeUInt16LE(DOS_TIME, 12);
      header.writeUInt16LE(DOS_DATE, 14);
      header.writeUInt32LE(entry.crc >>> 0, 16);
      header.writeUInt32LE(entry.compressedSize, 20);
      header.writeUInt32LE(entry.size, 24);
      header.writeUInt16LE(entry.name.length, 28);
      header.writeUInt16LE(0, 30);
      header.writeUInt16LE(0, 32);
      header.writeUInt16LE(0, 34);
      header.writeUInt16LE(0, 36);
      header.writeUInt32LE(0, 38);
      header.writeUInt32LE(entry.offset, 42);
      await this.write(Buffer.concat([header, entry.name]));
    }
    const size = this.offset - start;
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(0, 4);
    end.writeUInt16LE(0, 6);
    end.writeUInt16LE(this.entries.length, 8);
    end.writeUInt16LE(this.entries.length, 10);
    end.writeUInt32LE(size, 12);
    end.writeUInt32LE(start, 16);
    end.writeUInt16LE(0, 20);
    await this.write(end);
    this.out.end();
    await once(this.out, 'finish');
  }
}

const ODS_NAMESPACES =
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" ' +
  'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" ' +
  'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" ' +
  'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" ' +
  'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" ' +
  'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" ' +
  'xmlns:xlink="http://www.w3.org/1999/xlink" ' +
  'xmlns:calc="urn:org:documentfoundation:names:experimental:calc:xmlns:calc:1.0" ' +
  'office:version="1.3"';

const MANIFEST = `<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>`;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

/** One cell: text, or a typed date (`{ date: '2021-01-22', text: '22/01/2021' }`), or raw XML. */
export type OdsCell = string | { date: string; text: string } | { xml: string };
/** A row of cells, or raw XML for the whole row (to write repeats and odd shapes in tests). */
export type OdsRow = OdsCell[] | { xml: string };

const STRING_CELL_OPEN = '<table:table-cell office:value-type="string" calc:value-type="string"><text:p>';

/** A cell as LibreOffice writes it (runs of spaces become `text:s`). */
export function cellXml(cell: OdsCell): string {
  if (typeof cell === 'string') {
    if (cell === '') return '<table:table-cell/>';
    let body = escapeXml(cell);
    if (body.includes('  ') || body.startsWith(' ')) {
      body = body.replace(/ {2,}/g, (run) => ` <text:s text:c="${run.length - 1}"/>`).replace(/^ /, '<text:s/>');
    }
    return `${STRING_CELL_OPEN}${body}</text:p></table:table-cell>`;
  }
  if ('xml' in cell) return cell.xml;
  return `<table:table-cell table:style-name="ce1" office:value-type="date" office:date-value="${cell.date}" calc:value-type="date"><text:p>${escapeXml(cell.text)}</text:p></table:table-cell>`;
}

export function rowXml(row: OdsRow, trailingColumns = 0): string {
  if (!Array.isArray(row)) return row.xml;
  let xml = '<table:table-row table:style-name="ro1">';
  let empties = 0;
  const flush = () => {
    if (empties === 1) xml += '<table:table-cell/>';
    else if (empties > 1) xml += `<table:table-cell table:number-columns-repeated="${empties}"/>`;
    empties = 0;
  };
  for (const cell of row) {
    if (cell === '') {
      empties += 1;
      continue;
    }
    flush();
    xml += cellXml(cell);
  }
  empties += trailingColumns;
  flush();
  return `${xml}</table:table-row>`;
}

export interface OdsSheet {
  name: string;
  rows: Iterable<OdsRow> | AsyncIterable<OdsRow>;
}

/**
 * Writes an ODS workbook. Like LibreOffice, each row ends with a run of empty cells to column 1024
 * and each sheet with a huge repeated empty row (readers must count, not expand, them), unless
 * `trailing: false`.
 */
export async function writeOds(path: string, sheets: OdsSheet[], options: { level?: number; trailing?: boolean } = {}): Promise<{ xmlBytes: number }> {
  const zip = new ZipWriter(createWriteStream(path));
  await zip.add('mimetype', 'application/vnd.oasis.opendocument.spreadsheet', true);
  await zip.add('META-INF/manifest.xml', MANIFEST);
  const content = await zip.stream('content.xml', options.level ?? 6);
  let xmlBytes = 0;
  let buffer = '';
  const put = async (text: string) => {
    buffer += text;
    if (buffer.length >= 256 * 1024) {
      xmlBytes += Buffer.byteLength(buffer);
      await content.write(buffer);
      buffer = '';
    }
  };
  const trailing = options.trailing ?? true;
  await put(
    `<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content ${ODS_NAMESPACES}>` +
      '<office:automatic-styles><style:style style:name="ro1" style:family="table-row"/><style:style style:name="ce1" style:family="table-cell"/></office:automatic-styles>' +
      '<office:body><office:spreadsheet>',
  );
  for (const sheet of sheets) {
    await put(`<table:table table:name="${escapeXml(sheet.name)}" table:style-name="ta1"><table:table-column table:number-columns-repeated="1024"/>`);
    for await (const row of sheet.rows) {
      const width = Array.isArray(row) ? row.length : 0;
      await put(rowXml(row, trailing && Array.isArray(row) ? Math.max(0, 1024 - width) : 0));
    }
    if (trailing) {
      await put('<table:table-row table:style-name="ro1" table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>');
    }
    await put('</table:table>');
  }
  await put('</office:spreadsheet></office:body></office:document-content>');
  xmlBytes += Buffer.byteLength(buffer);
  await content.write(buffer);
  await content.end();
  await zip.finish();
  return { xmlBytes };
}
