/**
 * The HTTP edge as an attacker meets it: request targets that are not ordinary paths, bodies that
 * are too large or sent where nobody reads them, and a session cookie paired with a made-up
 * Authorization header. Measured, not timed: the bytes of request bodies the server held.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Product, MEADOWBANK } from '../support/product';
import { dumpTable } from '../support/table-dump';

let product: Product;
beforeAll(async () => {
  product = await Product.start();
  await product.ingestDemoRatings([MEADOWBANK]);
});
afterAll(async () => product.close());

interface Answer {
  status: number;
  body: string;
}

const MB = 1024 * 1024;
const CHUNK = Buffer.alloc(MB, 'a');

/**
 * Sends a request with the raw target given (no URL normalisation) and `bytes` of body, written
 * with back-pressure and stopped as soon as the server answers. Resolves with the answer, or with
 * status 0 if the connection closed before any answer came.
 */
function send(method: string, target: string, options: { headers?: Record<string, string>; bytes?: number; body?: string; chunked?: boolean } = {}): Promise<Answer> {
  const url = new URL(product.url);
  const bytes = options.body !== undefined ? Buffer.byteLength(options.body) : (options.bytes ?? 0);
  const headers = { ...options.headers, ...(options.chunked || bytes === 0 ? {} : { 'content-length': String(bytes) }) };
  return new Promise((resolve) => {
    let answered = false;
    const req = request({ host: url.hostname, port: url.port, method, path: target, headers }, (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: text });
        req.destroy();
      });
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', () => {
      if (!answered) resolve({ status: 0, body: '' });
    });
    if (options.body !== undefined) return void req.end(options.body);
    let sent = 0;
    const pump = (): void => {
      while (sent < bytes && !answered && !req.destroyed) {
        const size = Math.min(CHUNK.length, bytes - sent);
        sent += size;
        if (!req.write(CHUNK.subarray(0, size))) return void req.once('drain', pump);
      }
      if (!answered && !req.destroyed) req.end();
    };
    pump();
  });
}

const bearer = () => ({ authorization: `Bearer ${product.runtime.adminToken}` });
const cookie = () => ({ cookie: `session=${product.runtime.adminToken}` });

describe('request targets', () => {
  it('answers every malformed path with a clean 400 or 404, signed in or not', async () => {
    const targets = ['//]x', '//%zz', '//', '///cases', '//cases', '/\\x', '//admin/audit/verify', '/%zz', '/%00', '/admin/%zz', '/api/cases/%E0%A4%A', '*', 'ftp://x/y'];
    for (const target of targets) {
      for (const headers of [{}, bearer(), cookie()]) {
        for (const method of ['GET', 'POST']) {
          const answer = await send(method, target, { headers, body: method === 'POST' ? '{}' : undefined });
          expect([400, 401, 404], `${method} ${target} ${JSON.stringify(Object.keys(headers))}: ${answer.status} ${answer.body.slice(0, 100)}`).toContain(answer.status);
        }
      }
      // The `//` paths in particular are not pages, so they are never a redirect or a page render.
      if (target.startsWith('//')) expect((await send('GET', target, { headers: bearer() })).status, target).toBe(404);
    }
  });
});

describe('the Authorization header', () => {
  it('must itself be valid: a session cookie beside a made-up header changes nothing', async () => {
    const before = await dumpTable(product.runtime);
    const json = { 'content-type': 'application/json' };
    const changes: Array<[string, unknown]> = [
      ['/admin/cases', { locationId: MEADOWBANK, concern: 'A whistle-blower called' }],
      ['/board/meetings/schedule', { date: '2027-03-01' }],
      ['/local/clock', { by: '1 day' }],
      ['/admin/resume', {}],
    ];
    for (const [path, body] of changes) {
      for (const authorization of ['x', 'Bearer', 'Bearer not-the-token', `Basic ${product.runtime.adminToken}`]) {
        const answer = await send('POST', path, { headers: { ...json, ...cookie(), authorization }, body: JSON.stringify(body) });
        expect(answer.status, `${path} with "${authorization}": ${answer.body}`).toBe(401);
      }
    }
    expect(await dumpTable(product.runtime)).toEqual(before);
    // The real header still works, with or without the cookie.
    const scheduled = await send('POST', '/board/meetings/schedule', { headers: { ...json, ...cookie(), ...bearer() }, body: JSON.stringify({ date: '2027-03-01' }) });
    expect(scheduled.status, scheduled.body).toBe(201);
  });
});

describe('request bodies', () => {
  it('are never read for unknown paths or unauthenticated callers: ten 49 MB posts hold no body bytes', async () => {
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 10);
    const startPeak = product.runtime.http.bodyBytes().peak;
    try {
      const answers = await Promise.all([
        ...Array.from({ length: 6 }, () => send('POST', '/no/such/place', { bytes: 49 * MB })),
        send('POST', '//]x', { bytes: 49 * MB }),
        send('POST', '/admin/ingest?fileName=x.csv', { bytes: 49 * MB, headers: { 'content-type': 'text/csv' } }),
        send('POST', '/admin/ingest?fileName=x.csv', { bytes: 49 * MB, headers: { 'content-type': 'text/csv', ...cookie(), authorization: 'Bearer guess' } }),
        send('POST', '/ratings', { bytes: 49 * MB, headers: { 'content-type': 'multipart/form-data; boundary=x' } }),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual([404, 404, 404, 404, 404, 404, 404, 401, 401, 401]);
    } finally {
      clearInterval(sampler);
    }
    // Not one byte of those bodies was buffered (the peak is unchanged from before them).
    expect(product.runtime.http.bodyBytes().peak).toBe(startPeak);
    expect(product.runtime.http.bodyBytes().held).toBe(0);
    // Before, the server buffered every one whole: about 1 GB.
    expect(rssPeak - rssBefore).toBeLessThan(150 * MB);
  });

  it('over the route limit are refused with 413 while they stream, before they are buffered', async () => {
    const json = { 'content-type': 'application/json', ...bearer() };
    // Declared too large: refused from the headers alone.
    const declared = await send('POST', '/admin/ingest?fileName=big.csv', { bytes: 60 * MB, headers: { 'content-type': 'text/csv', ...bearer() } });
    expect(declared.status, declared.body).toBe(413);
    expect(JSON.parse(declared.body)).toMatchObject({ error: 'PayloadTooLarge' });
    // Chunked, no length: counted as it arrives and stopped just past the JSON API's 1 MB.
    const peakBefore = product.runtime.http.bodyBytes().peak;
    const chunked = await send('POST', '/board/meetings', { bytes: 30 * MB, chunked: true, headers: json });
    expect(chunked.status, chunked.body).toBe(413);
    expect(product.runtime.http.bodyBytes().peak).toBeLessThanOrEqual(Math.max(peakBefore, 2 * MB));
    // An email link's form is small too.
    expect((await send('POST', '/act/abc/approve?o=x&e=1&s=y', { bytes: 2 * MB, headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(413);
    expect(product.runtime.http.bodyBytes().held).toBe(0);
  });

  it('hold at most the server-wide budget at once: a large upload beyond it is told to come back (503)', async () => {
    const upload = { 'content-type': 'text/csv', ...bearer() };
    // Three declared 45 MB uploads need 135 MB; the budget is 128 MB, so one is refused at once.
    // (Their file name is refused once read, so nothing is ingested.)
    const target = (name: string) => `/admin/ingest?fileName=${name}%21`;
    const slow = [send('POST', target('a'), { bytes: 45 * MB, headers: upload }), send('POST', target('b'), { bytes: 45 * MB, headers: upload })];
    const third = await send('POST', target('c'), { bytes: 45 * MB, headers: upload });
    const all = [third, ...(await Promise.all(slow))];
    expect(all.map((answer) => answer.status).sort()).toEqual([400, 400, 503]);
    expect(product.runtime.http.bodyBytes().peak).toBeLessThanOrEqual(128 * MB);
    expect(product.runtime.http.bodyBytes().held).toBe(0);
  });
});
