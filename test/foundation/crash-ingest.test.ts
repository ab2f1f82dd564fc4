/**
 * Ingestion killed midway. The product runs as `npm start` does and SIGKILLs itself at a crash
 * point while a ratings file is opening cases; started again (no crash point):
 * - one case, one live execution, always: a case whose execution had started but was not yet on
 *   its record is not started a second time (which sent two "Action needed" emails, the first
 *   one's links dead);
 * - the run that died says "interrupted" instead of "running" for ever, and the cases its
 *   locations were owed are opened without anyone uploading the file again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { crashed, getJson, spawnProduct, startProduct, stop, type Spawned } from '../support/spawned';
import { DEMO_LOCATIONS, demoRatingsCsv } from '../../local/demo';

interface Mail {
  subject: string;
}
interface Case {
  caseId: string;
  locationId: string;
  status: string;
  executions: Array<{ executionArn: string }>;
}

/** Every execution the engine has, by case (execution names are `<caseId>-g<n>`). */
async function executionsByCase(started: Spawned): Promise<Map<string, string[]>> {
  const endpoint = /Step Functions\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(started.output())![1]!;
  const stateMachineArn = /state machine (arn:\S+)\)/.exec(started.output())![1]!;
  const sfn = new SFNClient({ endpoint, region: 'eu-west-2', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const byCase = new Map<string, string[]>();
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken }));
    for (const execution of page.executions ?? []) {
      const caseId = execution.name!.replace(/-g\d+$/, '');
      byCase.set(caseId, [...(byCase.get(caseId) ?? []), `${execution.name} ${execution.status}`]);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  sfn.destroy();
  return byCase;
}

describe('ingestion, with the product killed in the middle of it', () => {
  const dirs: string[] = [];
  const running: Spawned[] = [];
  afterEach(async () => {
    for (const started of running.splice(0)) await stop(started);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('killed just after a case execution started: after a restart every case has exactly one execution and one "Action needed" email', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'escalation-crash-ingest-'));
    dirs.push(dataDir);
    // The demo's ratings file opens three cases on the first start; the first one kills it.
    const first = spawnProduct(dataDir, { CRASH_AT: 'openCase:afterStart' });
    expect(await crashed(first.exited)).toBe('SIGKILL');

    const second = await startProduct(dataDir);
    running.push(second);
    const cases = await getJson<Case[]>(second, '/api/cases');
    expect(cases.map((item) => item.locationId).sort()).toEqual(['1-1000000001', '1-1000000002', '1-1000000004']);
    const executions = await executionsByCase(second);
    for (const record of cases) {
      expect(executions.get(record.caseId), record.caseId).toEqual([`${record.caseId}-g${record.executions.length} RUNNING`]);
      expect(record.executions).toHaveLength(1);
    }
    const mail = await getJson<Mail[]>(second, '/local/mail.json');
    for (const name of ['Meadowbank House', 'Oakfield Nursing Home', 'Westshire Homecare']) {
      expect(mail.filter((email) => email.subject.startsWith('Action needed:') && email.subject.includes(`— ${name} (`)), name).toHaveLength(1);
    }
  });

  it('killed after a chunk of locations was written: the run is marked interrupted and the cases it owed are opened, once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'escalation-crash-run-'));
    dirs.push(dataDir);
    // The demo's own ingest is the first time this point is reached; the upload below the second.
    const first = await startProduct(dataDir, { CRASH_AT: 'ingest:afterWrite#2' });
    running.push(first);
    const newlyBelowGood = DEMO_LOCATIONS.filter((location) => location.locationId === '1-1000000003' || location.locationId === '1-1000000005').map((location) => ({
      ...location,
      ratings: ['Requires improvement', 'Requires improvement', 'Good', 'Good', 'Good', 'Good'] as typeof location.ratings,
      published: '10/11/2026',
    }));
    void fetch(`${first.url}/admin/ingest?fileName=ratings.csv&wait=false`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${first.token}` },
      body: demoRatingsCsv(newlyBelowGood),
    }).catch(() => undefined);
    expect(await crashed(first.exited)).toBe('SIGKILL');

    const second = await startProduct(dataDir);
    running.push(second);
    const page = await (await fetch(`${second.url}/ratings`, { headers: { authorization: `Bearer ${second.token}` } })).text();
    const runId = /href="\/ratings\/([\w-]+)">ratings\.csv</.exec(page)?.[1];
    expect(runId, page).toBeTruthy();
    expect(page).toMatch(/Interrupted/);
    const run = await getJson<{ status: string; finishedAt?: string; error?: string; recovery?: { casesOpened: number } }>(second, `/admin/ingest/${runId}`);
    expect(run.status).toBe('interrupted');
    expect(run.finishedAt).toBeTruthy();
    expect(run.error).toMatch(/stopped before the end of the file/);
    expect(run.recovery?.casesOpened).toBe(2);

    const cases = await getJson<Case[]>(second, '/api/cases');
    const executions = await executionsByCase(second);
    for (const locationId of ['1-1000000003', '1-1000000005']) {
      const opened = cases.filter((item) => item.locationId === locationId);
      expect(opened, locationId).toHaveLength(1);
      expect(executions.get(opened[0]!.caseId)).toEqual([`${opened[0]!.caseId}-g1 RUNNING`]);
    }
    const mail = await getJson<Mail[]>(second, '/local/mail.json');
    for (const name of ['Riverside Lodge', 'Willow Court']) {
      expect(mail.filter((email) => email.subject.startsWith('Action needed:') && email.subject.includes(`— ${name} (`)), name).toHaveLength(1);
    }
  });
});
