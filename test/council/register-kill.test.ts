/**
 * A register apply killed (SIGKILL) at several points and run again ends exactly where one clean
 * run ends: every contract and contact written, each with one audit event from this import.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDynamo } from '../../local/dynamo';
import { LOCAL_CREDENTIALS, LOCAL_REGION, TABLE_NAME } from '../../local/endpoints';
import { Store } from '../../functions/lib/store';
import { documentClient } from '../../functions/lib/table';
import { fixtureFile } from '../support/fixtures';

const ROOT = new URL('../..', import.meta.url).pathname;
const REGISTER = fixtureFile('council/register.csv');
const folders: string[] = [];

function run(dataDir: string, crashAfter?: number): { status: number | null; signal: NodeJS.Signals | null; stdout: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'test/council/apply-child.ts', dataDir, REGISTER], {
    cwd: ROOT,
    env: { ...process.env, ...(crashAfter ? { COUNCIL_IMPORT_CRASH_AFTER_WRITES: String(crashAfter) } : {}) },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, signal: result.signal, stdout: result.stdout };
}

/** Contracts, contacts and each chain's audit actions, as one comparable picture. */
async function state(dataDir: string): Promise<unknown> {
  const dynamo = await startDynamo({ path: join(dataDir, 'dynamodb') });
  try {
    const store = new Store(documentClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: dynamo.endpoint }), TABLE_NAME);
    const contracts = (await store.listContracts()).sort((a, b) => a.contractId.localeCompare(b.contractId));
    const providers = [...new Set(contracts.map((contract) => contract.providerId))].sort();
    return {
      contracts,
      contacts: await Promise.all(providers.map((providerId) => store.listContacts(providerId))),
      links: await Promise.all(['1-1000000003', '1-1000000005', '1-2000000002'].map(async (id) => (await store.contractForLocation(id))?.contractId)),
      audit: {
        contracts: await Promise.all(contracts.map(async (contract) => (await store.listAudit(`contract-${contract.contractId}`)).map((event) => [event.action, event.detail.importId]))),
        providers: await Promise.all(providers.map(async (providerId) => (await store.listAudit(`provider-${providerId}`)).map((event) => event.action))),
      },
    };
  } finally {
    await dynamo.close();
  }
}

function folder(): string {
  const path = mkdtempSync(join(tmpdir(), 'register-kill-'));
  folders.push(path);
  return path;
}

describe('an interrupted register apply', () => {
  afterAll(() => {
    for (const path of folders) rmSync(path, { recursive: true, force: true });
  });

  it('killed while writing contacts, contracts or audit events, then run again, ends as one clean run', async () => {
    // Prepare: one clean run to compare with.
    const clean = folder();
    expect(run(clean).status).toBe(0);
    const expected = await state(clean);

    // 12 contacts, then 6 contracts, then the audit events: a kill in each part.
    for (const crashAfter of [3, 15, 21]) {
      const dataDir = folder();
      // Act
      const killed = run(dataDir, crashAfter);
      const rerun = run(dataDir);

      // Assess
      expect(killed.signal, `crash point ${crashAfter}`).toBe('SIGKILL');
      expect(rerun.status, `rerun after crash point ${crashAfter}`).toBe(0);
      expect(await state(dataDir), `crash point ${crashAfter}`).toEqual(expected);
    }
  }, 240_000);
});
