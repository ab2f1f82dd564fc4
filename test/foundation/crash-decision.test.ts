/**
 * A decision survives the product being killed at any point of it. The product runs as `npm
 * start` does and SIGKILLs itself at a named crash point in the middle of an officer's decision;
 * started again (no crash point), the case has moved on exactly once: one "decision recorded"
 * audit event, one set of letters (the mail sink is kept in the data folder), and the link says
 * it was used.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crashed, getJson, onServer, startProduct, stop, waitFor, type Spawned } from '../support/spawned';
import type { CrashPoint } from '../../functions/lib/crash-points';

const OAKFIELD = '1-1000000002';

interface Mail {
  subject: string;
  destination: { to: string[] };
  body: { html?: string };
}
interface CaseView {
  case: { caseId: string; locationId: string; waitingOn?: { step: string }; pendingTaskId?: string };
  audit: Array<{ action: string; detail: Record<string, unknown> }>;
  tasks: Array<{ taskId: string; status: string; step: string }>;
}

async function oakfield(started: Spawned): Promise<CaseView> {
  const cases = await getJson<Array<{ caseId: string; locationId: string }>>(started, '/api/cases');
  const record = cases.find((item) => item.locationId === OAKFIELD);
  if (!record) throw new Error('No Oakfield case');
  return getJson<CaseView>(started, `/api/cases/${record.caseId}`);
}

const mail = (started: Spawned) => getJson<Mail[]>(started, '/local/mail.json');

function approvalLink(sent: Mail[]): string {
  const email = sent.find((item) => /Approve Quality Improvement Notice — Oakfield/.test(item.subject));
  const link = /href="([^"]*\/act\/[^"]*\/approve\?[^"]*)"/.exec(email?.body.html ?? '')?.[1];
  if (!link) throw new Error('No approval link in the mail');
  return link.replaceAll('&amp;', '&');
}

const POINTS: CrashPoint[] = ['decision:afterClaim', 'decision:afterAudit', 'decision:afterSend', 'decision:beforeClear'];

describe('a decision, with the product killed in the middle of it', () => {
  const dirs: string[] = [];
  const running: Spawned[] = [];
  afterEach(async () => {
    for (const started of running.splice(0)) await stop(started);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it.each(POINTS)('killed at %s: after a restart the case moves on exactly once', async (point) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'escalation-crash-'));
    dirs.push(dataDir);
    const first = await startProduct(dataDir, { CRASH_AT: point });
    running.push(first);
    const link = onServer(approvalLink(await mail(first)), first);
    const confirmation = await (await fetch(link)).text();
    const formToken = /name="formToken" value="([^"]+)"/.exec(confirmation)?.[1] ?? '';
    const letterHash = /name="letterHash" value="([^"]+)"/.exec(confirmation)?.[1] ?? '';
    // The press that kills it: the connection dies with the process, so no answer comes back.
    const press = fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ formToken, letterHash }).toString() }).then(
      (response) => response.status,
      () => 'no answer',
    );
    expect(await crashed(first.exited)).toBe('SIGKILL');
    expect(await press).toBe('no answer');

    const second = await startProduct(dataDir);
    running.push(second);
    const view = await waitFor(
      () => oakfield(second),
      (value) => value.case.waitingOn?.step === 'Arrange Quality Improvement Meeting',
    );
    expect(view.case.waitingOn?.step).toBe('Arrange Quality Improvement Meeting');
    expect(view.audit.filter((event) => event.action === 'decision recorded')).toHaveLength(1);
    expect(view.audit.filter((event) => event.action === 'formal quality improvement notice sent; contract visits suspended')).toHaveLength(1);
    expect(view.tasks.find((task) => task.step === 'Approve Quality Improvement Notice')?.status).toBe('used');
    const sent = await mail(second);
    const count = (subject: RegExp) => sent.filter((email) => subject.test(email.subject)).length;
    expect(count(/Formal Quality Improvement Notice: Oakfield/)).toBe(1);
    expect(count(/Contract Performance Notice/)).toBe(1);
    expect(count(/^Action needed: Arrange Quality Improvement Meeting — Oakfield/)).toBe(1);
    expect(count(/^Action needed: Approve Quality Improvement Notice — Oakfield/)).toBe(1);
    // And the officer's link tells the truth: it was used.
    const again = await fetch(onServer(link, second));
    expect(again.status).toBe(409);
    expect(await again.text()).toMatch(/already been used/);
  });
});
