/**
 * The register's other ways in and its pages: a file dropped in the bucket's council prefix (the
 * import function previews it, read through S3's GetObject protocol from a loopback stand-in),
 * checked and applied by an officer on the Contracts page; a contract edited on its page, audited;
 * the provider page listing its contracts. And the infrastructure that routes the drop zone.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { startRuntime, type Runtime } from '../../local/runtime';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/endpoints';
import { createImportHandler } from '../../functions/ratings-import/handler';
import { COUNCIL_PREFIX } from '../../infra/ratings-intake';
import { PINNED_NOW } from '../support/pinned-clock';
import { demoRatingsCsv, DEMO_LOCATIONS } from '../../local/demo';
import { fixtureFile } from '../support/fixtures';
import { logicalId, synthesize } from '../infra/support';

const REGISTER = readFileSync(fixtureFile('council/register.csv'));

/** Path-style S3 GetObject on loopback: GET /<bucket>/<key> answers the object's bytes. */
async function startS3(objects: Map<string, Buffer>): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const body = objects.get(decodeURIComponent((req.url ?? '').split('?')[0]!.slice(1)));
    if (req.method !== 'GET' || !body) {
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/csv', 'content-length': String(body.length), etag: '"register"', 'last-modified': new Date(0).toUTCString() });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('the register dropped in the bucket, and the contract pages', () => {
  let runtime: Runtime;
  let s3: Awaited<ReturnType<typeof startS3>>;
  let cookie: string;
  const page = async (path: string) => {
    const response = await fetch(`${runtime.endpoints.http}${path}`, { headers: { cookie } });
    return { status: response.status, html: await response.text() };
  };
  const submit = async (path: string, fields: Record<string, string>) => {
    const response = await fetch(`${runtime.endpoints.http}${path}`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(), redirect: 'manual' });
    return { status: response.status, html: await response.text(), location: response.headers.get('location') };
  };
  const token = (html: string, action: string) => /name="csrfToken" value="([^"]+)"/.exec(html.slice(html.indexOf(`action="${action}"`)))?.[1] ?? '';

  beforeAll(async () => {
    runtime = await startRuntime({ clockStart: PINNED_NOW });
    cookie = `session=${runtime.adminToken}`;
    s3 = await startS3(new Map([['ratings-bucket/council/contracts/Contracts register Nov 2026.csv', REGISTER]]));
  });
  afterAll(async () => {
    await s3.close();
    await runtime.close();
  });

  it('a dropped register is previewed, not applied; an officer checks and applies it on the Contracts page', async () => {
    // Act: S3 announces the file (EventBridge's payload, key URL-encoded).
    const handler = createImportHandler(async () => ({
      ladder: runtime.deps,
      s3: new S3Client({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: s3.endpoint, forcePathStyle: true }),
      cqcKey: async () => 'unused',
    }));
    const result = (await handler({ source: 'council-file', bucket: 'ratings-bucket', key: 'council/contracts/Contracts+register+Nov+2026.csv' }, {} as Context)) as { uploadId: string; plan: { summary: { added: number } } };

    // Assess: previewed, nothing written, offered on the page.
    expect(result.plan.summary.added).toBe(5);
    expect(await runtime.deps.store.listContracts()).toEqual([]);
    const contracts = await page('/contracts');
    expect(contracts.html).toContain('Waiting to be applied');
    expect(contracts.html).toContain(`href="/contracts/import/${result.uploadId}"`);

    // Act: the officer opens it and applies it.
    const preview = await page(`/contracts/import/${result.uploadId}`);
    expect(preview.html).toContain('What this register would change');
    expect(preview.html).toContain('Nothing has been changed yet.');
    const applied = await submit('/contracts/import/apply', { csrfToken: token(preview.html, '/contracts/import/apply'), uploadId: result.uploadId });

    // Assess
    expect(applied.status).toBe(200);
    expect(applied.html).toContain('Register applied: 5 added, 0 changed, 1 ended');
    expect((await runtime.deps.store.listContracts()).map((contract) => contract.contractId).sort()).toEqual(['WCC-0001', 'WCC-0002', 'WCC-0003', 'WCC-0004', 'WCC-0005', 'WCC-0006']);
    expect((await page('/contracts')).html).not.toContain('Waiting to be applied');
    // A form from elsewhere changes nothing.
    expect((await submit('/contracts/import/apply', { csrfToken: 'forged', uploadId: result.uploadId })).status).toBe(403);
  });

  it('a contract is edited on its page, with its history; the provider page lists its contracts', async () => {
    // Act
    const view = await page('/contracts/WCC-0002');
    expect(view.html).toContain('Bluebell Homes block contract');
    const saved = await submit('/contracts/WCC-0002', {
      csrfToken: token(view.html, '/contracts/WCC-0002'),
      relationshipHolder: 'grace-owen',
      area: 'Westbury',
      serviceType: 'RC',
      placements: '32',
      status: 'active',
      marketRisk: 'yes',
      hostName: '',
      hostContactName: '',
      hostEmail: '',
      hostPhone: '',
    });
    const refused = await submit('/contracts/WCC-0002', { csrfToken: token(view.html, '/contracts/WCC-0002'), relationshipHolder: 'grace-owen', area: '', serviceType: 'RC', placements: 'many', status: 'active', outOfCounty: 'yes', hostName: '', hostContactName: '', hostEmail: '', hostPhone: '' });

    // Assess
    expect(saved.status).toBe(303);
    expect(await runtime.deps.store.getContract('WCC-0002')).toMatchObject({ relationshipHolder: 'grace-owen', placements: 32, marketRisk: true, source: 'edited by local-admin' });
    const events = await runtime.deps.store.listAudit('contract-WCC-0002');
    expect(events.map((event) => event.action)).toEqual(['contract added from the register', 'contract edited']);
    expect(events[1]).toMatchObject({ actor: 'local-admin', detail: { fields: ['relationshipHolder', 'placements'] } });
    expect((await page('/contracts/WCC-0002?saved=1')).html).toContain('Contract saved');
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('Enter the area');
    expect(refused.html).toContain('needs the host authority&#x27;s name and contact email');
    await fetch(`${runtime.endpoints.http}/admin/ingest?fileName=ratings.csv`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${runtime.adminToken}` },
      body: demoRatingsCsv(DEMO_LOCATIONS.filter((location) => location.locationId === '1-1000000003')),
    });
    await runtime.idle();
    const provider = await page('/providers/1-900000002');
    expect(provider.html).toContain('href="/contracts/WCC-0002"');
  });
});

describe('the drop zone on AWS', () => {
  it('sends files under council/ to the import function as council files, and never as ratings', () => {
    const { stack, template } = synthesize();
    const bucket = { Ref: logicalId(stack, stack.ratings.bucket) };
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { bucket: { name: [bucket] }, object: { key: [{ prefix: COUNCIL_PREFIX }] } } },
      Targets: [Match.objectLike({ InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('^\\{"source":"council-file"') }) })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { bucket: { name: [bucket] }, object: { key: [{ 'anything-but': { prefix: COUNCIL_PREFIX } }] } } },
      Targets: [Match.objectLike({ InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('^\\{"source":"ratings-file"') }) })],
    });
  });
});
