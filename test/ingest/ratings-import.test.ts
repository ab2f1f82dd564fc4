/**
 * The ratings-import Lambda's two triggers, on the local runtime: a file dropped in the ratings
 * bucket (read through the real S3 GetObject protocol from a loopback stand-in) and the daily
 * pull of CQC's changes feed (from the fake CQC API), with the cursor carried between runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { createImportHandler, type ImportDeps } from '../../functions/ratings-import/handler';
import { demoRatingsCsv, DEMO_LOCATIONS } from '../../local/demo';
import { Product, MEADOWBANK } from '../support/product';
import { startFakeCqc, type FakeCqc } from '../support/fake-cqc';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/endpoints';
import type { Context } from 'aws-lambda';
import { keys } from '../../functions/lib/table';

/** Path-style S3 GetObject on loopback: GET /<bucket>/<key> answers the object's bytes. */
async function startS3(objects: Map<string, Buffer>): Promise<{ endpoint: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const path = decodeURIComponent((req.url ?? '').split('?')[0]!.slice(1));
    const body = objects.get(path);
    if (req.method !== 'GET' || !body) {
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/csv', 'content-length': String(body.length), etag: '"demo"', 'last-modified': new Date().toUTCString(), 'x-amz-meta-run-id': 'run-from-page' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const context = {} as Context;

describe('the ratings-import function', () => {
  let product: Product;
  let cqc: FakeCqc;
  let s3: Awaited<ReturnType<typeof startS3>>;
  let handler: ReturnType<typeof createImportHandler>;

  beforeAll(async () => {
    product = await Product.start();
    cqc = await startFakeCqc({ key: 'cqc-test-key' });
    const objects = new Map([['ratings-bucket/uploads/Latest ratings Locations.csv', Buffer.from(demoRatingsCsv(DEMO_LOCATIONS.filter((l) => l.locationId === MEADOWBANK)))]]);
    s3 = await startS3(objects);
    const deps: ImportDeps = {
      ladder: { ...product.runtime.deps, config: { ...product.runtime.deps.config, cqcApi: { baseUrl: cqc.url, perPage: 2 } } },
      s3: new S3Client({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: s3.endpoint, forcePathStyle: true }),
      cqcKey: async () => 'cqc-test-key',
    };
    handler = createImportHandler(async () => deps);
  });
  afterAll(async () => {
    await s3.close();
    await cqc.close();
    await product.close();
  });

  it('ingests a file dropped in the bucket (URL-encoded key) and opens the case', async () => {
    // Uploaded through the Ratings page: the page's run record is brought up to date.
    const startedAt = product.runtime.clock.now().toISOString();
    await product.runtime.deps.store.putRaw(keys.ingestRun('run-from-page'), { gsi1pk: 'INGESTS', gsi1sk: `${startedAt}#run-from-page` }, {
      runId: 'run-from-page', fileName: 'Latest ratings Locations.csv', bytes: 1, startedAt, by: 'local-admin', status: 'accepted',
    });
    const summary = (await handler({ source: 'ratings-file', bucket: 'ratings-bucket', key: 'uploads/Latest+ratings+Locations.csv' }, context)) as { rowsRead: number; casesOpened: number };
    await product.runtime.idle();
    expect(summary).toMatchObject({ rowsRead: 6, casesOpened: 1 });
    expect(s3.requests[0]).toMatch(/^GET \/ratings-bucket\/uploads\/Latest%20ratings%20Locations\.csv/);
    expect((await product.caseFor(MEADOWBANK)).case.stage).toBe('informal');
    const run = await product.runtime.deps.store.getRaw(keys.ingestRun('run-from-page'));
    expect(run).toMatchObject({ status: 'done', summary: { rowsRead: 6, casesOpened: 1 } });
  });

  it('pulls the changes feed since the last run and carries the cursor forward', async () => {
    const now = product.runtime.clock.now();
    const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * 3_600_000).toISOString();
    cqc.addLocation({ locationId: '1-1000000003', providerId: '1-900000002', name: 'Riverside Lodge', overall: { rating: 'Inadequate', reportDate: '2026-11-10' }, keyQuestions: [{ name: 'Safe', rating: 'Inadequate' }, { name: 'Well-led', rating: 'Requires improvement' }] }, at(3));
    cqc.addLocation({ locationId: '1-7777777777', providerId: '1-9999', localAuthority: 'Elsewhere', overall: { rating: 'Inadequate', reportDate: '2026-11-10' } }, at(2));
    const first = (await handler({ source: 'cqc-changes' }, context)) as { casesOpened: number; rowsOutOfScope: number };
    await product.runtime.idle();
    expect(first.casesOpened).toBe(1);
    expect(cqc.requests.every((request) => request.headers['ocp-apim-subscription-key'] === 'cqc-test-key')).toBe(true);
    expect((await product.caseFor('1-1000000003')).case.stage).toBe('formal');

    // The next run asks CQC only for changes after the first run's end.
    const before = cqc.requests.length;
    await handler({ source: 'cqc-changes' }, context);
    const changeRequests = cqc.requests.slice(before).filter((request) => request.path.includes('/changes/'));
    expect(changeRequests[0]?.query.startTimestamp).toBeDefined();
    expect(Date.parse(changeRequests[0]!.query.startTimestamp!)).toBeGreaterThanOrEqual(now.getTime() - 1000);
  });

  it('refuses an event it does not know, naming the problem', async () => {
    await expect(handler({ source: 'somewhere' }, context)).rejects.toThrow(/source/);
  });
});

describe('the admin ingest endpoint on a long file', () => {
  let product: Product;
  beforeAll(async () => {
    product = await Product.start();
  });
  afterAll(async () => product.close());

  it('answers at once with a run, whose counts can be read as it goes and at the end', async () => {
    const auth = { authorization: `Bearer ${product.runtime.adminToken}` };
    const started = await fetch(`${product.url}/admin/ingest?fileName=ratings.csv&wait=false`, { method: 'POST', headers: { 'content-type': 'text/csv', ...auth }, body: demoRatingsCsv() });
    expect(started.status).toBe(202);
    const run = (await started.json()) as { runId: string; status: string; progressUrl: string };
    expect(run.status).toBe('running');
    let state: { status: string; summary?: { rowsRead: number; casesOpened: number } } = run;
    const deadline = Date.now() + 20_000;
    while (state.status === 'running' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = (await (await fetch(`${product.url}${run.progressUrl}`, { headers: auth })).json()) as typeof state;
    }
    expect(state.status).toBe('done');
    expect(state.summary).toMatchObject({ rowsRead: 30, casesOpened: 3 });
    expect((await fetch(`${product.url}/admin/ingest/nope`, { headers: auth })).status).toBe(404);
  });
});
