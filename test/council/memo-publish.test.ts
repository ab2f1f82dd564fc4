/**
 * Our memo CSV published for neighbours' systems, on the local runtime: the same bytes GET
 * /memo.csv serves, as memo/latest.csv and memo/<list date>.csv, every day at the configured time
 * on the virtual clock; and the presigned link `npm run memo:share` prints (signed offline).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Product } from '../support/product';
import { MEMO_CSV_COLUMNS, MEMO_CSV_SCHEMA_VERSION } from '../../functions/web/memo';
import { parse } from 'csv-parse/sync';
import { csvLine } from '../../functions/ingest/csv';
import { demoRatingsCsv, DEMO_LOCATIONS } from '../../local/demo';
import { memoShareUrl, parseMemoShareArgs } from '../../local/memo-share';
import { PINNED_NOW } from '../support/pinned-clock';

describe('the memo CSV published for neighbouring authorities', () => {
  let product: Product;
  let folder: string;
  const served = async () => Buffer.from(await (await fetch(`${product.url}/memo.csv`, { headers: { cookie: `session=${product.runtime.adminToken}` } })).arrayBuffer());
  const published = (name: string) => readFileSync(join(folder, 'memo', name));

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'memo-publish-'));
    product = await Product.start({ memoPublish: { folder, dailyAt: '07:00' } });
    // Two services on the memo: cases resumed from the tracker with their commissioning positions.
    await product.uploadRatings(demoRatingsCsv(DEMO_LOCATIONS.map((location) => ({ ...location, ratings: ['Good', 'Good', 'Good', 'Good', 'Good', 'Good'] }))));
    const tracker = [
      ['CQC Location ID', 'Step', 'Stage Entered', 'Case Opened', 'Lead Officer', 'QIMs Held', 'Commissioning Position', 'Concern'],
      ['1-1000000002', 'Record QIM Outcome', '2026-11-03', '2026-09-01', 'Tom Reid', '1', 'Suspend new placements', 'Rated Inadequate'],
      ['1-1000000003', 'Await Board Decision', '2026-11-02', '2026-06-01', '', '2', 'Place with restrictions', 'Repeated falls'],
    ].map(csvLine).join('\r\n');
    const imported = await fetch(`${product.url}/admin/tracker/import?fileName=tracker.csv&apply=true`, { method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${product.runtime.adminToken}` }, body: tracker });
    expect(imported.status, await imported.text()).toBe(200);
    await product.runtime.idle();
  });
  afterAll(async () => {
    await product?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('publishes now the very bytes GET /memo.csv serves, as latest.csv and a dated copy, every row with its schema version', async () => {
    // Act
    const publication = await product.runtime.publishMemo();
    // Assess
    const today = PINNED_NOW.toISOString().slice(0, 10);
    expect(publication).toMatchObject({ listDate: today, written: [join(folder, 'memo', `${today}.csv`), join(folder, 'memo', 'latest.csv')] });
    expect(publication.rows).toBe(2);
    const bytes = published('latest.csv');
    expect(bytes.equals(await served())).toBe(true);
    expect(published(`${today}.csv`).equals(bytes)).toBe(true);
    const rows = parse(bytes, { bom: true }) as string[][];
    expect(rows[0]).toEqual([...MEMO_CSV_COLUMNS]);
    expect(rows.slice(1).map((row) => [row[3], row[5]])).toEqual([['RED', '1-1000000002'], ['AMBER', '1-1000000003']]);
    for (const row of rows.slice(1)) expect(row.slice(0, 3)).toEqual([MEMO_CSV_SCHEMA_VERSION, product.runtime.config.authority.name, today]);
    expect(readdirSync(join(folder, 'memo')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('publishes again each day at 07:00 UK time on the virtual clock, a dated copy per day', async () => {
    // Act: from Monday 09:00 to Thursday 08:00 passes 07:00 on Tuesday, Wednesday and Thursday.
    await product.advance('2d 23h');
    // Assess
    const dated = readdirSync(join(folder, 'memo')).filter((name) => /^\d{4}-\d{2}-\d{2}\.csv$/.test(name)).sort();
    expect(dated).toEqual(['2026-11-16.csv', '2026-11-17.csv', '2026-11-18.csv', '2026-11-19.csv']);
    const latest = published('latest.csv');
    expect(latest.equals(published('2026-11-19.csv'))).toBe(true);
    expect((parse(latest, { bom: true }) as string[][])[1]![2]).toBe('2026-11-19');
    expect(latest.equals(await served())).toBe(true);
  });
});

describe('npm run memo:share', () => {
  it('signs a GET of memo/latest.csv in the named bucket for the days asked, offline', async () => {
    const args = parseMemoShareArgs(['--bucket', 'careq-memo-bucket', '--days', '3']);
    if ('error' in args) throw new Error(args.error);
    const client = new S3Client({ region: 'eu-west-2', credentials: { accessKeyId: 'AKIAEXAMPLEEXAMPLE12', secretAccessKey: 'example-secret' } });
    // Act
    const link = await memoShareUrl(args, client, PINNED_NOW);
    // Assess
    const url = new URL(link.url);
    expect(url.hostname).toBe('careq-memo-bucket.s3.eu-west-2.amazonaws.com');
    expect(url.pathname).toBe('/memo/latest.csv');
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(3 * 86_400));
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIAEXAMPLEEXAMPLE12\/20261116\/eu-west-2\/s3\/aws4_request$/);
    expect(link.expiresAt.toISOString()).toBe('2026-11-19T09:00:00.000Z');
  });

  it('refuses more than 7 days and a missing bucket, saying which', () => {
    expect(parseMemoShareArgs(['--bucket', 'careq-memo-bucket', '--days', '30'])).toEqual({ error: expect.stringMatching(/--days: at most 7/) });
    expect(parseMemoShareArgs(['--days', '2'])).toEqual({ error: expect.stringMatching(/--bucket/) });
  });
});
