/**
 * What a CSV file's bytes are: its character encoding and its separator, worked out before it is
 * read, so that a council's own re-saved copy of CQC's sheet reads as well as CQC's.
 *
 * - A byte-order mark says it: UTF-8 (`EF BB BF`), UTF-16 little- or big-endian (`FF FE`, `FE FF`).
 * - Without one, the whole file is checked as UTF-8 (node's native `isUtf8`, chunk by chunk); a file
 *   that is not valid UTF-8 is what Excel on Windows saves as "CSV": Windows-1252.
 * - UTF-16 and Windows-1252 are decoded with iconv-lite, streamed. A character Windows-1252 does not
 *   define comes out as U+FFFD, which row validation refuses (a replacement character is never stored).
 * - The separator is read off the header row: `,`, or `;` (Excel in many locales), or a tab.
 */
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable, Transform } from 'node:stream';
import iconv from 'iconv-lite';

export type TextEncoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'windows-1252';
export type Separator = ',' | ';' | '\t';

/** How the summary names an encoding. */
export const ENCODING_NAMES: Record<TextEncoding, string> = {
  'utf-8': 'UTF-8',
  'utf-8-bom': 'UTF-8 with a byte-order mark',
  'utf-16le': 'UTF-16 (little-endian, with a byte-order mark)',
  'utf-16be': 'UTF-16 (big-endian, with a byte-order mark)',
  'windows-1252': 'Windows-1252 (what Excel on Windows saves as CSV)',
};

export const SEPARATOR_NAMES: Record<Separator, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab' };

export interface TextFacts {
  encoding: TextEncoding;
  separator: Separator;
}

export function encodingFromBom(head: Uint8Array): TextEncoding | undefined {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8-bom';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return undefined;
}

/** Bytes at the end of `chunk` that begin a UTF-8 sequence the next chunk completes. */
function incompleteTail(chunk: Uint8Array): number {
  const length = chunk.length;
  for (let back = 1; back <= Math.min(3, length); back += 1) {
    const byte = chunk[length - back] as number;
    if ((byte & 0xc0) === 0x80) continue;
    if ((byte & 0xc0) !== 0xc0) return 0;
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return needed > back ? back : 0;
  }
  return 0;
}

/** Checks a stream of chunks as UTF-8, carrying a sequence split between two chunks. */
export class Utf8Check {
  private carry: Uint8Array = new Uint8Array(0);
  valid = true;

  push(chunk: Uint8Array): void {
    if (!this.valid) return;
    const joined = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const tail = incompleteTail(joined);
    if (!isUtf8(joined.subarray(0, joined.length - tail))) this.valid = false;
    this.carry = joined.slice(joined.length - tail);
  }

  end(): boolean {
    if (this.carry.length) this.valid = false;
    return this.valid;
  }
}

function decodeHead(head: Buffer, encoding: TextEncoding): string {
  switch (encoding) {
    case 'utf-8':
    case 'utf-8-bom':
      return head.toString('utf8');
    default:
      return iconv.decode(head, encoding === 'windows-1252' ? 'win1252' : encoding);
  }
}

/** Counts separators outside quotes in one line. */
function separatorCounts(line: string): Record<Separator, number> {
  const counts: Record<Separator, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const char of line) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === ',' || char === ';' || char === '\t')) counts[char] += 1;
  }
  return counts;
}

/** The separator of the header row (the first line naming `Location ID` or `Provider ID`), else `,`. */
export function sniffSeparator(text: string): Separator {
  const lines = text.split(/\r?\n/, 60);
  const header = lines.find((line) => /(location|provider)\s*id/i.test(line));
  if (!header) return ',';
  const counts = separatorCounts(header);
  if (counts[';'] > counts[','] && counts[';'] >= counts['\t']) return ';';
  if (counts['\t'] > counts[','] && counts['\t'] > counts[';']) return '\t';
  return ',';
}

const HEAD_BYTES = 64 * 1024;

/** Encoding and separator of the CSV file at `path` (reads the file once through when it has no BOM). */
export async function sniffFile(path: string): Promise<TextFacts> {
  const handle = await open(path, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  let encoding = encodingFromBom(head);
  if (!encoding) {
    const check = new Utf8Check();
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
      check.push(chunk as Buffer);
      if (!check.valid) break;
    }
    encoding = check.end() ? 'utf-8' : 'windows-1252';
  }
  return { encoding, separator: sniffSeparator(decodeHead(head, encoding)) };
}

/** Encoding and separator of CSV bytes held in memory. */
export function sniffBuffer(body: Buffer): TextFacts {
  const encoding = encodingFromBom(body) ?? (isUtf8(body) ? 'utf-8' : 'windows-1252');
  return { encoding, separator: sniffSeparator(decodeHead(body.subarray(0, HEAD_BYTES), encoding)) };
}

/**
 * The stream csv-parse reads: UTF-8 bytes as they are (csv-parse decodes them and drops the BOM),
 * anything else decoded to text by iconv-lite (which drops a BOM too).
 */
export function decodedStream(input: Readable, encoding: TextEncoding): Readable {
  if (encoding === 'utf-8' || encoding === 'utf-8-bom') return input;
  const decoder = iconv.decodeStream(encoding === 'windows-1252' ? 'win1252' : encoding) as unknown as Transform;
  input.on('error', (error) => decoder.destroy(error));
  return input.pipe(decoder);
}
