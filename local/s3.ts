/**
 * S3 on loopback, just enough for the memo-publish bundle: `PutObject` over the real protocol
 * (path-style `PUT /<bucket>/<key>`, as the SDK sends to an IP endpoint), each bucket a folder, each
 * object a file replaced by a rename. Anything else is answered NotImplemented.
 */
import { createServer } from 'node:http';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, normalize } from 'node:path';
import { serveOnLoopback } from './net';

export interface LocalS3 {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** `aws-chunked` (the SDK's streaming upload with a trailing checksum) back to the plain bytes. */
function unchunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd === -1) break;
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

export async function startLocalS3(buckets: Readonly<Record<string, string>>, port?: number): Promise<LocalS3> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const fail = (status: number, code: string, message: string) => {
        res.writeHead(status, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
      };
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const [, bucket = '', ...rest] = url.pathname.split('/');
      const key = decodeURIComponent(rest.join('/'));
      const folder = buckets[bucket];
      if (!folder) return fail(404, 'NoSuchBucket', 'The specified bucket does not exist');
      if (req.method !== 'PUT' || url.search !== '' && !url.searchParams.has('x-id')) return fail(501, 'NotImplemented', `${req.method} is not supported here`);
      const file = normalize(join(folder, key));
      if (!key || !file.startsWith(normalize(folder) + '/')) return fail(400, 'InvalidArgument', 'Bad key');
      const raw = Buffer.concat(chunks);
      const body = String(req.headers['content-encoding'] ?? '').includes('aws-chunked') ? unchunk(raw) : raw;
      mkdirSync(dirname(file), { recursive: true });
      const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
      writeFileSync(temp, body);
      renameSync(temp, file);
      res.writeHead(200, { etag: `"${randomBytes(16).toString('hex')}"` });
      res.end();
    });
  });
  return serveOnLoopback(server, port);
}
