/**
 * `npm start` killed and started again keeps its data, and a case that was waiting is waiting
 * again — both when the engine's own records survive (the same email link still works) and when
 * only DynamoDB does (the case is resumed from its record).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PINNED_NOW } from '../support/pinned-clock';

const ROOT = new URL('../..', import.meta.url).pathname;

interface Started {
  child: ChildProcess;
  url: string;
  token: string;
  output: string;
}

async function startProduct(dataDir: string): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, CLOCK_START: PINNED_NOW.toISOString(), HTTP_PORT: '0', DYNAMODB_PORT: '0', STEPFUNCTIONS_PORT: '0', SES_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!/Stop with Ctrl\+C/.test(output)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`npm start exited early (${child.exitCode ?? child.signalCode}):\n${output.split("\n").filter((line) => !/NodeVersion|versions published|require node|To continue|and security|More information|trace-warnings|^\s*$/.test(line)).join("\n")}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up in 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = /Web pages\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  const token = /Bearer (\S+)\)/.exec(output)?.[1];
  if (!url || !token) throw new Error(`Could not read the URL and token from:\n${output}`);
  return { child, url, token, output };
}

async function kill(started: Started): Promise<void> {
  const exited = new Promise((resolve) => started.child.once('exit', resolve));
  started.child.kill('SIGKILL');
  await exited;
}

interface CaseSummary {
  caseId: string;
  locationId: string;
  stage: string;
  status: string;
  waitingOn?: { step: string };
  pendingTaskId?: string;
}

async function cases(started: Started): Promise<CaseSummary[]> {
  const response = await fetch(`${started.url}/api/cases`, { headers: { authorization: `Bearer ${started.token}` } });
  return ((await response.json()) as CaseSummary[]).sort((a, b) => a.caseId.localeCompare(b.caseId));
}

async function approvalLink(started: Started): Promise<string> {
  const mail = (await (await fetch(`${started.url}/local/mail.json`, { headers: { authorization: `Bearer ${started.token}` } })).json()) as Array<{ subject: string; body: { html?: string } }>;
  const email = mail.find((item) => /Approve Quality Improvement Notice — Oakfield/.test(item.subject));
  const link = /href="([^"]*\/act\/[^"]*\/approve\?[^"]*)"/.exec(email?.body.html ?? '')?.[1];
  if (!link) throw new Error('No approval link in the mail');
  return link.replaceAll('&amp;', '&');
}

/** Tests listen on random ports, so a link from before the restart is pointed at the new one. */
function onServer(link: string, started: Started): string {
  const url = new URL(link);
  return `${started.url}${url.pathname}${url.search}`;
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('npm start, killed and started again', () => {
  const dirs: string[] = [];
  const running: Started[] = [];
  afterEach(async () => {
    for (const started of running.splice(0)) if (started.child.exitCode === null && started.child.signalCode === null) await kill(started);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the data; a waiting case is waiting again and its emailed link still works', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'escalation-restart-'));
    dirs.push(dataDir);
    const first = await startProduct(dataDir);
    running.push(first);
    expect(first.output).toMatch(/Demo loaded: 5 contracts, 30 rating rows; 3 cases opened/);
    for (const name of ['DynamoDB', 'Step Functions', 'SES', 'HTTP API']) expect(first.output).toMatch(new RegExp(`${name}\\s+http://127\\.0\\.0\\.1:\\d+`));
    const before = await cases(first);
    expect(before).toHaveLength(3);
    const link = await approvalLink(first);
    await kill(first);

    const second = await startProduct(dataDir);
    running.push(second);
    expect(second.output).toMatch(/3 cases on record/);
    const after = await cases(second);
    expect(after.map(({ caseId, stage, waitingOn, pendingTaskId }) => ({ caseId, stage, waitingOn, pendingTaskId }))).toEqual(
      before.map(({ caseId, stage, waitingOn, pendingTaskId }) => ({ caseId, stage, waitingOn, pendingTaskId })),
    );
    // The officer's link from before the restart still works: GET shows the page, POST acts.
    const moved = onServer(link, second);
    const page = await (await fetch(moved)).text();
    const formToken = /name="formToken" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const posted = await fetch(moved, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ formToken, letterHash: /name="letterHash" value="([^"]+)"/.exec(page)?.[1] ?? '' }).toString() });
    expect(posted.status).toBe(200);
    const oakfield = await waitFor(
      async () => (await cases(second)).find((item) => item.locationId === '1-1000000002'),
      (item) => item?.waitingOn?.step === 'Arrange Quality Improvement Meeting',
    );
    expect(oakfield?.waitingOn?.step).toBe('Arrange Quality Improvement Meeting');
  });

  it("resumes cases from their DynamoDB records when the engine's own records are gone", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'escalation-resume-'));
    dirs.push(dataDir);
    const first = await startProduct(dataDir);
    running.push(first);
    const before = await cases(first);
    await kill(first);
    rmSync(join(dataDir, 'stepfunctions'), { recursive: true, force: true });

    const second = await startProduct(dataDir);
    running.push(second);
    const after = await cases(second);
    expect(after.map((item) => [item.caseId, item.stage, item.waitingOn?.step])).toEqual(before.map((item) => [item.caseId, item.stage, item.waitingOn?.step]));
    // Each case has a new pending task (the old tokens died with the engine's records).
    for (const [index, item] of after.entries()) expect(item.pendingTaskId).not.toBe(before[index]!.pendingTaskId);
    const audit = (await (await fetch(`${second.url}/api/cases/${after[0]!.caseId}`, { headers: { authorization: `Bearer ${second.token}` } })).json()) as { audit: Array<{ action: string }> };
    expect(audit.audit.map((event) => event.action)).toContain('resumed from its record');
  });
});
