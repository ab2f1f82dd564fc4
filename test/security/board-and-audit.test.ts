/**
 * The Board's rules (quorum, one decision per step, only for cases waiting on it, papers a week
 * ahead), authentication of admin and Board endpoints, and the tamper-evident audit trail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { MEADOWBANK, OAKFIELD, Product, QIM_ARRANGEMENT, qimOutcome } from '../support/product';
import { dumpTable } from '../support/table-dump';
import { keys } from '../../functions/lib/table';

const TOM = 'tom.reid@westshire.example.gov.uk';

async function referOakfieldToBoard(product: Product): Promise<void> {
  await product.ingestDemoRatings([OAKFIELD, MEADOWBANK]);
  await product.officerDecides(TOM, /Approve Quality Improvement Notice — Oakfield/, 'approve');
  await product.officerDecides(TOM, /Arrange Quality Improvement Meeting — Oakfield/, 'arranged', QIM_ARRANGEMENT);
  await product.officerDecides(TOM, /Record QIM Outcome — Oakfield/, 'referToBoard', qimOutcome('suspendNewPlacements', false, []));
}

describe('the Board', () => {
  let product: Product;
  beforeAll(async () => {
    product = await Product.start();
    await referOakfieldToBoard(product);
  });
  afterAll(async () => product.close());

  it('refuses a decision from a non-quorate meeting, naming the missing roles; its record is notes, not minutes', async () => {
    const today = product.runtime.clock.now().toISOString().slice(0, 10);
    const meeting = (await (await product.api('POST', '/board/meetings', { date: today, attendees: ['priya-shah', 'sam-ford', 'lena-wu'], notes: 'Discussed Oakfield.' })).json()) as Record<string, unknown>;
    expect(meeting).toMatchObject({ quorate: false, record: 'notes', notes: 'Discussed Oakfield.' });
    expect(meeting.missingRoles).toEqual(['councilQualityPerformanceManager', 'councilStrategicCommissioner']);
    const view = await product.caseFor(OAKFIELD);
    const before = await dumpTable(product.runtime, { withoutAudit: true });
    const response = await product.api('POST', '/board/decisions', { meetingId: meeting.meetingId, caseId: view.case.caseId, decision: 'finalWarning', rationale: 'x' });
    expect(response.status).toBe(409);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('NotQuorate');
    expect(body.message).toMatch(/Quality & Performance|Quality and Performance/i);
    expect(body.message).toMatch(/Strategic Commissioner/);
    expect(await dumpTable(product.runtime, { withoutAudit: true })).toEqual(before);
    expect((await product.caseFor(OAKFIELD)).audit.at(-1)).toMatchObject({ action: 'Board decision refused' });
  });

  it('refuses a decision the waiting step does not allow, and one for a case not waiting for the Board', async () => {
    const today = product.runtime.clock.now().toISOString().slice(0, 10);
    const meeting = (await (await product.api('POST', '/board/meetings', { date: today, attendees: ['priya-shah', 'mark-ellis', 'joan-baker'] })).json()) as { meetingId: string; quorate: boolean };
    expect(meeting.quorate).toBe(true);
    const oakfield = await product.caseFor(OAKFIELD);
    const wrong = await product.api('POST', '/board/decisions', { meetingId: meeting.meetingId, caseId: oakfield.case.caseId, decision: 'terminate', rationale: 'Too early.' });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { message: string }).message).toMatch(/Allowed: rectificationNotice, finalWarning, backToQualityProcess, close/);
    const meadowbank = await product.caseFor(MEADOWBANK);
    const notWaiting = await product.api('POST', '/board/decisions', { meetingId: meeting.meetingId, caseId: meadowbank.case.caseId, decision: 'close', rationale: 'x' });
    expect(notWaiting.status).toBe(409);
    expect(((await notWaiting.json()) as { message: string }).message).toMatch(/not waiting for a Board decision/);
  });

  it('decides only at a meeting after the papers: a week later, or an urgent virtual one; never before the referral', async () => {
    const oakfield = await product.caseFor(OAKFIELD);
    const papers = oakfield.tasks.find((task) => task.taskId === oakfield.case.pendingTaskId)!.createdAt.slice(0, 10);
    const today = product.runtime.clock.now().toISOString().slice(0, 10);
    const quorate = ['priya-shah', 'mark-ellis', 'joan-baker'];
    const tooSoon = (await (await product.api('POST', '/board/meetings', { date: today, attendees: quorate })).json()) as { meetingId: string };
    const soonResponse = await product.api('POST', '/board/decisions', { meetingId: tooSoon.meetingId, caseId: oakfield.case.caseId, decision: 'close', rationale: 'x' });
    expect(soonResponse.status).toBe(409);
    expect(((await soonResponse.json()) as { message: string }).message).toMatch(new RegExp(`papers only on ${papers}.*at least 7 days later.*urgent decision`));
    const before = (await (await product.api('POST', '/board/meetings', { date: '2025-01-15', attendees: quorate, virtual: true })).json()) as { meetingId: string };
    const beforeResponse = await product.api('POST', '/board/decisions', { meetingId: before.meetingId, caseId: oakfield.case.caseId, decision: 'close', rationale: 'x' });
    expect(beforeResponse.status).toBe(409);
    expect(((await beforeResponse.json()) as { message: string }).message).toMatch(/before this case came to the Board/);
    expect((await product.caseFor(OAKFIELD)).case.stage).toBe('board');
  });

  it('takes one decision per step: a second decision for the same step is refused', async () => {
    const today = product.runtime.clock.now().toISOString().slice(0, 10);
    // An urgent decision, taken virtually: no week's notice needed.
    const meeting = (await (await product.api('POST', '/board/meetings', { date: today, attendees: ['priya-shah', 'mark-ellis', 'joan-baker', 'sam-ford'], virtual: true })).json()) as { meetingId: string };
    const oakfield = await product.caseFor(OAKFIELD);
    const first = await product.api('POST', '/board/decisions', { meetingId: meeting.meetingId, caseId: oakfield.case.caseId, decision: 'rectificationNotice', rationale: 'Until the next inspection.' });
    expect(first.status).toBe(200);
    const second = await product.api('POST', '/board/decisions', { meetingId: meeting.meetingId, caseId: oakfield.case.caseId, decision: 'rectificationNotice', rationale: 'Again.' });
    // The case now waits on the next inspection: the Board may still act there, but not repeat this step.
    const secondBody = (await second.json()) as { message?: string };
    expect(second.status, JSON.stringify(secondBody)).toBe(400);
    expect(secondBody.message).toMatch(/not a decision the Board can take at "Await Next Inspection"/);
    // Nor can the Board pretend to be the next inspection.
    const posing = await product.api('POST', '/board/decisions', { meetingId: meeting.meetingId, caseId: oakfield.case.caseId, decision: 'ratedGood', rationale: 'x' });
    expect(posing.status).toBe(400);
    expect(((await posing.json()) as { message: string }).message).toMatch(/Allowed: finalWarning, close$/);
    const view = await product.caseFor(OAKFIELD);
    expect(product.allMail().filter((email) => /Rectification notice/.test(email.subject))).toHaveLength(1);
    expect(view.audit.filter((event) => event.action === 'decision recorded' && event.detail.decision === 'rectificationNotice')).toHaveLength(1);
  });

  it('lists a referred case for the first meeting at least seven days away (papers a week ahead)', async () => {
    const fresh = await Product.start();
    try {
      const today = fresh.runtime.clock.now();
      const inDays = (days: number) => new Date(today.getTime() + days * 86_400_000).toISOString().slice(0, 10);
      await fresh.api('POST', '/board/meetings/schedule', { date: inDays(4) });
      await fresh.api('POST', '/board/meetings/schedule', { date: inDays(30) });
      await referOakfieldToBoard(fresh);
      const view = await fresh.caseFor(OAKFIELD);
      expect(view.case.deadlines.boardMeeting).toBe(inDays(30));
      const papers = fresh.mailTo('mark.ellis@westshire.example.gov.uk', /Board papers: .* Oakfield/);
      expect(papers.body.text).toMatch(/listed for the meeting on/);
    } finally {
      await fresh.close();
    }
  });

  it('answers unauthenticated admin and Board calls with 401 and changes nothing', async () => {
    const before = await dumpTable(product.runtime);
    const oakfield = await product.caseFor(OAKFIELD);
    const calls: Array<[string, string, unknown]> = [
      ['POST', '/board/meetings', { date: '2026-12-01', attendees: ['priya-shah', 'mark-ellis', 'joan-baker'] }],
      ['POST', '/board/decisions', { meetingId: 'x', caseId: oakfield.case.caseId, decision: 'close', rationale: 'x' }],
      ['POST', '/admin/cases', { locationId: MEADOWBANK, concern: 'x' }],
      ['POST', '/admin/ingest', 'Location ID\n'],
      ['GET', '/admin/audit/verify', undefined],
      ['GET', '/api/cases', undefined],
      ['POST', '/local/clock', { by: '6 months' }],
    ];
    for (const [method, path, body] of calls) {
      for (const token of [null, 'wrong-token']) {
        const response = await product.api(method, path, body, token);
        expect(response.status, `${method} ${path} with ${token ?? 'no token'}`).toBe(401);
      }
    }
    expect(await dumpTable(product.runtime)).toEqual(before);
  });
});

describe('the audit trail', () => {
  let product: Product;
  beforeAll(async () => {
    product = await Product.start();
    await referOakfieldToBoard(product);
  });
  afterAll(async () => product.close());

  it("chains every event to the one before, and reports an event edited behind the product's back", async () => {
    let report = (await (await product.api('GET', '/admin/audit/verify')).json()) as { ok: boolean; events: number; breaks: unknown[] };
    expect(report.ok).toBe(true);
    expect(report.events).toBeGreaterThan(10);

    // Someone with table access rewrites history: the QIM outcome becomes "resolved".
    const view = await product.caseFor(OAKFIELD);
    const target = view.audit.find((event) => event.action === 'QIM outcome applied')!;
    await product.runtime.deps.store.doc.send(
      new PutCommand({
        TableName: product.runtime.deps.store.tableName,
        Item: { ...keys.auditEvent(target.caseId, target.seq), ...target, detail: { ...target.detail, decision: 'resolved' } },
      }),
    );
    report = (await (await product.api('GET', '/admin/audit/verify')).json()) as { ok: boolean; events: number; breaks: Array<{ caseId: string; seq: number; reason: string }> };
    expect(report.ok).toBe(false);
    expect(report.breaks).toContainEqual(expect.objectContaining({ caseId: target.caseId, seq: target.seq, reason: 'hash-mismatch' }));
  });

  it('notices the newest events being deleted (the chain alone could not)', async () => {
    const view = await product.caseFor(MEADOWBANK);
    const last = view.audit.at(-1)!;
    await product.runtime.deps.store.doc.send(new DeleteCommand({ TableName: product.runtime.deps.store.tableName, Key: keys.auditEvent(last.caseId, last.seq) }));
    const report = (await (await product.api('GET', '/admin/audit/verify')).json()) as { breaks: Array<{ caseId: string; seq: number; reason: string }> };
    expect(report.breaks).toContainEqual(expect.objectContaining({ caseId: last.caseId, seq: last.seq, reason: 'truncated' }));
  });
});

describe('Board meeting dates', () => {
  let product: Product;
  beforeAll(async () => {
    product = await Product.start();
  });
  afterAll(async () => product.close());

  it('refuses impossible dates, meetings scheduled in the past and held meetings in the future', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['/board/meetings/schedule', { date: '2027-02-30' }, /real date/],
      ['/board/meetings/schedule', { date: '2020-01-01' }, /in the past/],
      ['/board/meetings', { date: '2099-06-30', attendees: ['priya-shah', 'mark-ellis', 'joan-baker'] }, /has not happened yet/],
      ['/board/meetings', { date: '2027-06-31', attendees: ['priya-shah', 'mark-ellis', 'joan-baker'] }, /real date/],
    ];
    for (const [path, body, message] of cases) {
      const response = await product.api('POST', path, body);
      expect(response.status, path).toBe(400);
      expect(JSON.stringify(await response.json())).toMatch(message);
    }
    expect((await (await product.api('GET', '/board/meetings')).json()) as unknown[]).toEqual([]);
  });
});

describe('two Board decisions at one meeting at the same moment', () => {
  let product: Product;
  beforeAll(async () => {
    product = await Product.start();
    await referOakfieldToBoard(product);
    const AISHA = 'aisha.khan@westshire.example.gov.uk';
    await product.officerDecides(AISHA, /Informal Outcome — Meadowbank/, 'formalStage');
    await product.officerDecides(AISHA, /Approve Quality Improvement Notice — Meadowbank/, 'approve');
    await product.officerDecides(AISHA, /Arrange Quality Improvement Meeting — Meadowbank/, 'arranged', QIM_ARRANGEMENT);
    await product.officerDecides(AISHA, /Record QIM Outcome — Meadowbank/, 'referToBoard', qimOutcome('placeWithRestrictions', false, []));
  });
  afterAll(async () => product.close());

  it("are both applied and both kept on the meeting's record", async () => {
    const today = product.runtime.clock.now().toISOString().slice(0, 10);
    const meeting = (await (await product.api('POST', '/board/meetings', { date: today, attendees: ['priya-shah', 'mark-ellis', 'joan-baker'], virtual: true })).json()) as { meetingId: string };
    const [oakfield, meadowbank] = [await product.caseFor(OAKFIELD), await product.caseFor(MEADOWBANK)];
    const responses = await Promise.all([
      product.api('POST', '/board/decisions', { meetingId: meeting.meetingId, caseId: oakfield.case.caseId, decision: 'finalWarning', rationale: 'Serious failures.' }),
      product.api('POST', '/board/decisions', { meetingId: meeting.meetingId, caseId: meadowbank.case.caseId, decision: 'rectificationNotice', rationale: 'Until the next inspection.' }),
    ]);
    expect(responses.map((response) => response.status)).toEqual([200, 200]);
    const meetings = (await (await product.api('GET', '/board/meetings')).json()) as Array<{ meetingId: string; decisions: Array<{ caseId: string }> }>;
    const recorded = meetings.find((item) => item.meetingId === meeting.meetingId)!;
    expect(recorded.decisions.map((decision) => decision.caseId).sort()).toEqual([meadowbank.case.caseId, oakfield.case.caseId].sort());
  });
});
