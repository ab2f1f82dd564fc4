/**
 * On AWS nothing "starts": the daily scheduled run of the ratings-import function is where runs
 * that died are put right. A run may still be alive in another invocation, so only a run unheard
 * of for longer than any run can live (the lease, above the function's 15-minute limit) is marked
 * interrupted; and the ladder calls still owed by locations it wrote (their `escalationDue`
 * marks) are made, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { createImportHandler } from '../../functions/ratings-import/handler';
import { RUN_LEASE_MS } from '../../functions/ladder/ingest-recovery';
import { keys } from '../../functions/lib/table';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/endpoints';
import { startFakeCqc, type FakeCqc } from '../support/fake-cqc';
import { Product } from '../support/product';
import { logicalId, synthesize } from '../infra/support';

const RIVERSIDE = '1-1000000003';

describe('the daily run recovers what a dead ingest run left', () => {
  let product: Product;
  let cqc: FakeCqc;
  beforeAll(async () => {
    product = await Product.start();
    cqc = await startFakeCqc({ key: 'cqc-test-key' });
  });
  afterAll(async () => {
    await cqc.close();
    await product.close();
  });

  it('marks only runs past the lease interrupted, and makes the owed ladder calls once', async () => {
    const { store } = product.runtime.deps;
    const now = product.runtime.clock.now().getTime();
    const run = async (runId: string, minutesAgo: number) => {
      const heard = new Date(now - minutesAgo * 60_000).toISOString();
      await store.putRaw(keys.ingestRun(runId), { gsi1pk: 'INGESTS', gsi1sk: `${heard}#${runId}` }, { runId, fileName: 'ratings.csv', bytes: 1, startedAt: heard, heartbeatAt: heard, by: 'local-admin', status: 'running', progress: { rowsRead: 12 } });
    };
    await run('alive', 5);
    await run('dead', RUN_LEASE_MS / 60_000 + 5);
    // A location written by the dead run with its case still owed (the crash came before the call).
    await store.putLocation({
      locationId: RIVERSIDE,
      providerId: '1-900000002',
      name: 'Riverside Lodge',
      address: { street: '1 River Walk', line2: '', city: 'Kingsmoor', postcode: 'WS1 1AA' },
      localAuthority: 'Westshire',
      region: 'South West',
      careHome: true,
      locationType: 'Social Care Org',
      primaryInspectionCategory: 'Residential social care',
      ratings: { Overall: { rating: 'Requires improvement', publicationDate: '2026-11-10' }, Safe: { rating: 'Requires improvement', publicationDate: '2026-11-10' } },
      serviceRatings: {},
      ratingHistory: [],
      escalationDue: { publicationDate: '2026-11-10', inspection: false },
      updatedAt: new Date(now).toISOString(),
    });

    const handler = createImportHandler(async () => ({
      ladder: { ...product.runtime.deps, config: { ...product.runtime.deps.config, cqcApi: { baseUrl: cqc.url, perPage: 2 } } },
      s3: new S3Client({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: 'http://127.0.0.1:9', forcePathStyle: true }),
      cqcKey: async () => 'cqc-test-key',
    }));
    const result = (await handler({ source: 'cqc-changes' }, {} as Context)) as { recovery: { interrupted: string[]; casesOpened: number } };
    await product.runtime.idle();
    expect(result.recovery).toMatchObject({ interrupted: ['dead'], casesOpened: 1 });
    expect(await store.getRaw(keys.ingestRun('alive'))).toMatchObject({ status: 'running' });
    expect(await store.getRaw(keys.ingestRun('dead'))).toMatchObject({ status: 'interrupted', progress: { rowsRead: 12 }, recovery: { casesOpened: 1 } });
    expect((await store.getLocation(RIVERSIDE))?.escalationDue).toBeUndefined();
    const riverside = await product.caseFor(RIVERSIDE);
    expect(riverside.case.executions).toHaveLength(1);

    // The next day's run finds nothing left to do.
    const again = (await handler({ source: 'cqc-changes' }, {} as Context)) as { recovery: { interrupted: string[]; casesOpened: number; escalated: string[] } };
    expect(again.recovery).toMatchObject({ interrupted: [], casesOpened: 0, escalated: [] });
  });

  it('the lease is longer than the ratings-import function can run', () => {
    const { stack, template } = synthesize();
    const resources = template.toJSON().Resources as Record<string, { Properties: { Timeout: number } }>;
    const importFunction = resources[logicalId(stack, stack.ratingsImportFunction)]!;
    expect(importFunction.Properties.Timeout * 1000).toBeLessThan(RUN_LEASE_MS);
  });
});
