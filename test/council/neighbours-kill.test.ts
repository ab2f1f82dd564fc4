/**
 * A neighbour's list apply killed (SIGKILL) between writing the list and its audit event, then run
 * again, ends as one clean run: the list once, its audit event once.
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
import { listNeighbourLists } from '../../functions/council/neighbours';

const ROOT = new URL('../..', import.meta.url).pathname;
const folders: string[] = [];

function run(dataDir: string, crashAt?: string): { status: number | null; signal: NodeJS.Signals | null } {
  const environment: NodeJS.ProcessEnv = { ...process.env };
  if (crashAt) environment.CRASH_AT = crashAt;
  else delete environment.CRASH_AT;
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'test/council/neighbours-child.ts', dataDir], { cwd: ROOT, env: environment, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, signal: result.signal };
}

async function state(dataDir: string): Promise<unknown> {
  const dynamo = await startDynamo({ path: join(dataDir, 'dynamodb') });
  try {
    const store = new Store(documentClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: dynamo.endpoint }), TABLE_NAME);
    const lists = await listNeighbourLists(store);
    return {
      lists: lists.map((list) => ({ authority: list.authority, listDate: list.listDate, importId: list.importId, entries: list.entries })),
      audit: (await store.listAudit('neighbours-dorset-council')).map((event) => [event.action, event.detail.importId]),
    };
  } finally {
    await dynamo.close();
  }
}

describe("an interrupted neighbour's list apply", () => {
  afterAll(() => {
    for (const path of folders) rmSync(path, { recursive: true, force: true });
  });

  it('killed after the list is written and before its audit event, then run again, ends as one clean run', async () => {
    const clean = mkdtempSync(join(tmpdir(), 'neighbours-kill-'));
    const killed = mkdtempSync(join(tmpdir(), 'neighbours-kill-'));
    folders.push(clean, killed);
    // Prepare
    expect(run(clean).status).toBe(0);
    const expected = await state(clean);
    expect(expected).toMatchObject({ audit: [["Dorset Council's list added", expect.any(String)]] });

    // Act
    const crash = run(killed, 'neighbours:afterWrite');
    const between = await state(killed);
    const rerun = run(killed);

    // Assess: the list was in, its event not; the rerun wrote the event once and nothing twice.
    expect(crash.signal).toBe('SIGKILL');
    expect(between).toMatchObject({ lists: [{ authority: 'Dorset Council' }], audit: [] });
    expect(rerun.status).toBe(0);
    expect(await state(killed)).toEqual(expected);
    expect(run(killed).status).toBe(0);
    expect(await state(killed)).toEqual(expected);
  }, 120_000);
});
