/**
 * The admin API's ingest on the local runtime: `?dryRun=true` previews (nothing stored, no email),
 * a run that keeps nothing answers 422 with the reason, and a background run (`wait=false`) that
 * keeps nothing shows as failed with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoRatingsCsv, DEMO_LOCATIONS } from '../../local/demo';
import { Product } from '../support/product';
import { dumpTable } from '../support/table-dump';

let product: Product;
beforeAll(async () => {
  product = await Product.start();
});
afterAll(async () => product.close());

const post = (query: string, body: string) =>
  fetch(`${product.url}/admin/ingest?fileName=ratings.csv${query}`, { method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${product.runtime.adminToken}` }, body });

describe('POST /admin/ingest', () => {
  it('?dryRun=true previews the cases, writes nothing and sends nothing', async () => {
    const before = await dumpTable(product.runtime);
    const response = await post('&dryRun=true', demoRatingsCsv(DEMO_LOCATIONS));
    expect(response.status).toBe(200);
    const summary = (await response.json()) as { dryRun: boolean; preview: { casesToOpenCount: number; casesToOpen: { locationId: string; stage: string }[] } };
    expect(summary.dryRun).toBe(true);
    expect(summary.preview.casesToOpen.map((c) => [c.locationId, c.stage])).toEqual([
      ['1-1000000001', 'informal'],
      ['1-1000000002', 'formal'],
      ['1-1000000004', 'informal'],
    ]);
    await product.runtime.idle();
    expect(await dumpTable(product.runtime)).toEqual(before);
    expect(product.runtime.ses.emails()).toEqual([]);
  });

  it('a file whose every row is rejected answers 422 with the reason; in the background, the run shows failed', async () => {
    const bad = demoRatingsCsv(DEMO_LOCATIONS.slice(0, 1)).replace(/Requires improvement|Good|Inadequate/g, 'Brilliant');
    const response = await post('', bad);
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ error: 'IngestFailed', message: 'Every row was rejected (6): nothing was stored. The rejected rows below say why.', summary: { outcome: 'failed', rowsRejected: 6 } });
    const started = (await (await post('&wait=false', bad)).json()) as { runId: string };
    const deadline = Date.now() + 10_000;
    let run: { status: string; error?: string } = { status: 'running' };
    while (run.status === 'running' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      run = (await (await fetch(`${product.url}/admin/ingest/${started.runId}`, { headers: { authorization: `Bearer ${product.runtime.adminToken}` } })).json()) as typeof run;
    }
    expect(run).toMatchObject({ status: 'failed', error: expect.stringMatching(/^Every row was rejected \(6\)/) });
  });
});
