/**
 * Cases already under way, imported from the council's tracker on the local runtime: four cases
 * resumed at four different steps, deadlines on their original dates, nothing sent, the import the
 * first audit event; previewed first; the same file twice changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvLine } from '../../functions/ingest/csv';
import { demoRatingsCsv, DEMO_LOCATIONS } from '../../local/demo';
import { Product } from '../support/product';
import type { TrackerPlan } from '../../functions/council/tracker';

const G = 'Good';
const HEADER = ['CQC Location ID', 'Step', 'Stage Entered', 'Case Opened', 'Lead Officer', 'Final Warning Issued', 'Final Warning Deadline', 'Commissioning Position', 'Improvement Plan', 'QIMs Held', 'Board Meetings Held', 'Concern', 'RAG notes'];
const TRACKER = [
  HEADER,
  ['1-1000000001', 'Informal', '2026-10-20', '2026-10-20', '', '', '', '', '', '0', '0', 'Medication errors reported by a GP', 'amber'],
  ['1-1000000002', 'Record QIM Outcome', '03/11/2026', '2026-09-01', 'Tom Reid', '', '', 'Suspend new placements', 'Appoint a clinical lead | Nominated Individual | 2027-01-15; Retrain night staff | Registered Manager | 2027-02-01', '1', '0', 'Rated Inadequate', 'red'],
  ['1-1000000003', 'Await Board Decision', '2026-11-02', '2026-06-01', '', '', '', 'Place with restrictions', '', '2', '1', 'Repeated falls', ''],
  ['1-1000000005', 'final warning', '2026-09-01', '2026-01-10', 'tom-reid', '2026-09-01', '2027-03-01', 'Suspend new placements', '', '3', '2', 'Well-led inadequate twice', ''],
  ['1-1000000004', 'Final warning', '2026-09-01', '', '', '', '', '', '', '', '', '', ''],
  ['1-9999999999', 'Informal', '2026-10-01', '', '', '', '', '', '', '', '', '', ''],
].map(csvLine).join('\r\n');

describe('cases already under way, from the tracker', () => {
  let product: Product;
  const post = async (apply: boolean, body = TRACKER): Promise<TrackerPlan> => {
    const result = await fetch(`${product.url}/admin/tracker/import?fileName=tracker.csv&apply=${apply}`, { method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${product.runtime.adminToken}` }, body });
    const json = (await result.json()) as TrackerPlan;
    expect(result.status, JSON.stringify(json)).toBe(200);
    await product.runtime.idle();
    return json;
  };

  beforeAll(async () => {
    product = await Product.start();
    // The locations are on record (rated Good now: no case opens by itself).
    await product.uploadRatings(demoRatingsCsv(DEMO_LOCATIONS.map((location) => ({ ...location, ratings: [G, G, G, G, G, G] }))));
  });
  afterAll(async () => product.close());

  it('previews, then resumes four cases at four steps with their dates, sending nothing', async () => {
    // Act: the preview.
    const preview = await post(false);

    // Assess: what it would do, every bad row, and nothing written.
    expect(preview.summary).toEqual({ resumed: 4, unchanged: 0, rejected: 2 });
    expect(preview.cases.map((item) => item.step)).toEqual(['Await Informal Outcome', 'Record QIM Outcome', 'Await Board Decision', 'Await Final Warning Outcome']);
    expect(preview.rejections).toEqual([
      { line: 6, field: 'Final Warning Deadline', reason: 'is needed for a case under a final warning', value: '' },
      { line: 7, field: 'CQC Location ID', reason: 'is not on record (load the CQC ratings first)', value: '1-9999999999' },
    ]);
    expect(preview.unusedColumns).toEqual(['RAG notes']);
    expect(await product.runtime.deps.store.listCases()).toEqual([]);

    // Act: apply.
    const mailBefore = product.allMail().length;
    const applied = await post(true);

    // Assess
    expect(applied.summary.resumed).toBe(4);
    expect(product.allMail().length).toBe(mailBefore);
    const informal = await product.caseFor('1-1000000001');
    expect(informal.case).toMatchObject({ stage: 'informal', leadOfficer: 'aisha-khan', stageEnteredAt: '2026-10-20T09:00:00.000Z', waitingOn: { step: 'Await Informal Outcome' }, trigger: 'Medication errors reported by a GP' });
    expect(informal.audit[0]).toMatchObject({ seq: 1, action: 'case imported from the tracker', detail: { file: 'tracker.csv', line: 2 } });
    const qim = await product.caseFor('1-1000000002');
    expect(qim.case).toMatchObject({ stage: 'qim', qimCount: 1, commissioningPosition: 'suspendNewPlacements', memo: { rag: 'RED', addedAt: '2026-11-03T09:00:00.000Z' }, waitingOn: { step: 'Record QIM Outcome' } });
    expect(qim.case.improvementPlan).toEqual([
      { action: 'Appoint a clinical lead', owner: 'Nominated Individual', due: '2027-01-15' },
      { action: 'Retrain night staff', owner: 'Registered Manager', due: '2027-02-01' },
    ]);
    expect((await product.caseFor('1-1000000003')).case).toMatchObject({ stage: 'board', waitingOn: { step: 'Await Board Decision', who: 'board' } });
    const warning = await product.caseFor('1-1000000005');
    expect(warning.case).toMatchObject({ stage: 'finalWarning', finalWarningIssuedAt: '2026-09-01T09:00:00.000Z', deadlines: { finalWarning: '2027-03-01T09:00:00.000Z' }, waitingOn: { step: 'Await Final Warning Outcome' } });
    for (const view of [informal, qim, warning]) {
      expect(view.audit.map((event) => event.action)).toEqual(['case imported from the tracker', 'decision requested']);
      expect(view.tasks.map((task) => task.status)).toEqual(['pending']);
      expect(view.emails).toEqual([]);
    }
    // The memo shows the imported positions.
    const memo = await (await fetch(`${product.url}/memo.csv`, { headers: { cookie: `session=${product.runtime.adminToken}` } })).text();
    expect(memo).toMatch(/"RED","[\d-]+","1-1000000002",.*"Kingsmoor"/);

    // Act: the same file again.
    const again = await post(true);
    expect(again.summary).toEqual({ resumed: 0, unchanged: 4, rejected: 2 });
    expect((await product.caseFor('1-1000000001')).case.executions).toHaveLength(1);
  });

  it('the first reminder carries the links; the final warning ends on its original date', async () => {
    // Act: a week on, the informal step's response time has passed.
    await product.advance('1 week');
    const reminder = product.mailTo('aisha.khan@westshire.example.gov.uk', /Reminder 1: Action needed: Await Informal Outcome — Meadowbank House/);
    expect(reminder.body.text).toMatch(/\/act\//);

    // Act: past the final warning's deadline from the tracker.
    await product.runtime.clock.advanceTo(new Date('2027-03-01T10:00:00.000Z'));
    await product.runtime.idle();

    // Assess: the deadline fired on 1 March 2027, referring the case to the Board.
    const warning = await product.caseFor('1-1000000005');
    expect(warning.case.stage).toBe('finalDecision');
    const referral = warning.audit.find((event) => event.action.startsWith('final warning deadline reached'));
    expect(referral?.at.slice(0, 10)).toBe('2027-03-01');
    expect(referral?.detail.deadline).toBe('2027-03-01T09:00:00.000Z');
  });
});
