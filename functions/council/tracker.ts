/**
 * Cases already under way, from the council's tracker spreadsheet: each row becomes a case at the
 * step it has reached, its execution started there (the router's `resumeAt`), with the dates it
 * already has: the stage entered, a final warning's deadline, a review date. Nothing of the earlier
 * steps is sent again, and the first wait sends nothing either (the people involved already know
 * where the case is); its reminders carry the links as usual. The import is the case's first audit
 * event. Preview first; the same file twice changes nothing.
 */
import { z } from 'zod';
import { DECISION_STEPS } from '../../workflows/escalation';
import { COMMISSIONING_POSITIONS, STAGES, type Case, type CommissioningPosition, type ImprovementAction, type Stage } from '../lib/model';
import { nowIso, type LadderDeps } from '../ladder/context';
import { newCaseId, startCaseExecution } from '../ladder/cases';
import { cell, mapTable, parseDate, readTableFile, type ColumnSpec, RowProblem } from './table-file';
import { findOfficer, type Rejection } from './register';
import { digestOf } from './uploads';

export const TRACKER_COLUMNS = {
  locationId: { header: 'CQC Location ID', aliases: ['Location ID'], required: true },
  step: { header: 'Step', aliases: ['Stage', 'Current Step', 'Current Stage', 'Waiting Step'], required: true },
  stageEntered: { header: 'Stage Entered', aliases: ['Date Entered', 'Stage Date'], required: true },
  opened: { header: 'Case Opened', aliases: ['Opened'] },
  concern: { header: 'Concern', aliases: ['Reason', 'Trigger'] },
  leadOfficer: { header: 'Lead Officer' },
  finalWarningIssued: { header: 'Final Warning Issued' },
  finalWarningDeadline: { header: 'Final Warning Deadline' },
  reviewDate: { header: 'Review Date', aliases: ['Sustainability Review'] },
  position: { header: 'Commissioning Position' },
  memoSince: { header: 'Memo Since', aliases: ['Placements Suspended Since'] },
  actions: { header: 'Improvement Plan', aliases: ['Improvement Plan Actions', 'Actions'] },
  qims: { header: 'QIMs Held', aliases: ['Quality Improvement Meetings Held'] },
  boardMeetings: { header: 'Board Meetings Held' },
} satisfies Record<string, ColumnSpec>;
type TrackerField = keyof typeof TRACKER_COLUMNS;

/** A stage's name in the tracker → the waiting step a case at that stage resumes at. */
const STAGE_STEPS: Record<string, string> = {
  informal: 'Await Informal Outcome',
  formal: 'Approve Quality Improvement Notice',
  qim: 'Arrange Quality Improvement Meeting',
  board: 'Await Board Decision',
  rectification: 'Await Next Inspection',
  finalwarning: 'Await Final Warning Outcome',
  finaldecision: 'Await Final Decision',
  review: 'Await Sustainability Review',
};

const norm = (text: string) => text.toLowerCase().replace(/[^a-z]/g, '');

export function trackerStep(text: string): (typeof DECISION_STEPS)[number] | undefined {
  const wanted = norm(text);
  const name = STAGE_STEPS[wanted] ?? DECISION_STEPS.find((step) => norm(step.name) === wanted)?.name;
  return DECISION_STEPS.find((step) => step.name === name && step.assignee !== 'safeguarding');
}

const POSITION_WORDS: Record<string, CommissioningPosition> = {
  suspendnewplacements: 'suspendNewPlacements',
  suspend: 'suspendNewPlacements',
  red: 'suspendNewPlacements',
  placewithrestrictions: 'placeWithRestrictions',
  restrictions: 'placeWithRestrictions',
  amber: 'placeWithRestrictions',
  nofurtheraction: 'noFurtherAction',
  none: 'noFurtherAction',
};

export interface TrackerChange {
  line: number;
  locationId: string;
  caseId: string;
  step: string;
  kind: 'resumed' | 'unchanged';
  deadlines: Case['deadlines'];
}

export interface TrackerPlan {
  importId: string;
  file: string;
  rowsRead: number;
  unusedColumns: string[];
  cases: TrackerChange[];
  rejections: Rejection[];
  summary: { resumed: number; unchanged: number; rejected: number };
  applied: boolean;
}

const actionSchema = z.object({ action: z.string().min(1), owner: z.string().min(1), due: z.string() });

/** `Appoint a clinical lead | Nominated Individual | 2027-01-15`, one per line or `;`-separated. */
function parseActions(text: string): ImprovementAction[] {
  return text
    .split(/[;\n]+/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [action = '', owner = '', due = ''] = part.split('|').map((piece) => piece.trim());
      const date = parseDate(due);
      const parsed = actionSchema.safeParse({ action, owner, due: date ?? '' });
      if (!parsed.success || !date) throw new RowProblem(TRACKER_COLUMNS.actions.header, 'has an action that is not "action | owner | date"', part);
      return parsed.data;
    });
}

interface Planned {
  plan: TrackerPlan;
  records: Array<{ change: TrackerChange; record: Case; boardMeetings: number }>;
}

async function plan(deps: LadderDeps, body: Buffer, fileName: string): Promise<Planned> {
  const mapped = mapTable(await readTableFile(body, fileName), TRACKER_COLUMNS, fileName);
  const importId = digestOf(body, { kind: 'tracker' });
  const now = nowIso(deps);
  const rejections: Rejection[] = [];
  const records: Planned['records'] = [];
  const seen = new Set<string>();
  for (const row of mapped.rows) {
    const get = (field: TrackerField) => cell(mapped.columns, row, field);
    const date = (field: TrackerField, required = false) => {
      const text = get(field);
      if (!text) {
        if (required) throw new RowProblem(TRACKER_COLUMNS[field].header, 'is empty', '');
        return undefined;
      }
      const value = parseDate(text);
      if (!value) throw new RowProblem(TRACKER_COLUMNS[field].header, 'is not a date (YYYY-MM-DD or DD/MM/YYYY)', text);
      return value;
    };
    try {
      const locationId = get('locationId');
      if (!locationId) throw new RowProblem(TRACKER_COLUMNS.locationId.header, 'is empty', '');
      if (seen.has(locationId)) throw new RowProblem(TRACKER_COLUMNS.locationId.header, 'appears on an earlier row: one case per location', locationId);
      seen.add(locationId);
      const location = await deps.store.getLocation(locationId);
      if (!location) throw new RowProblem(TRACKER_COLUMNS.locationId.header, 'is not on record (load the CQC ratings first)', locationId);
      const step = trackerStep(get('step'));
      if (!step) throw new RowProblem(TRACKER_COLUMNS.step.header, 'is not a stage or waiting step of the ladder', get('step'));
      const stageEntered = date('stageEntered', true)!;
      const opened = date('opened') ?? stageEntered;
      const finalWarning = date('finalWarningDeadline');
      const review = date('reviewDate');
      if (step.onTimeout.kind === 'deadline' && step.onTimeout.deadline === 'finalWarning' && !finalWarning) {
        throw new RowProblem(TRACKER_COLUMNS.finalWarningDeadline.header, 'is needed for a case under a final warning', '');
      }
      if (step.onTimeout.kind === 'deadline' && step.onTimeout.deadline === 'review' && !review) {
        throw new RowProblem(TRACKER_COLUMNS.reviewDate.header, 'is needed for a case awaiting its sustainability review', '');
      }
      const contract = await deps.store.contractForLocation(locationId);
      const live = contract?.status === 'active' ? contract : undefined;
      const officerText = get('leadOfficer');
      const leadOfficer = officerText ? findOfficer(deps.config, officerText) : (live?.relationshipHolder ?? deps.config.officers[0]!.id);
      if (!leadOfficer) throw new RowProblem(TRACKER_COLUMNS.leadOfficer.header, 'is not a configured officer (id, email or name)', officerText);
      const positionText = get('position');
      const position = positionText ? POSITION_WORDS[norm(positionText)] : undefined;
      if (positionText && !position) throw new RowProblem(TRACKER_COLUMNS.position.header, `is not one of ${COMMISSIONING_POSITIONS.join(', ')}`, positionText);
      const count = (field: TrackerField) => {
        const text = get(field);
        if (text && !/^\d{1,3}$/.test(text)) throw new RowProblem(TRACKER_COLUMNS[field].header, 'is not a whole number', text);
        return text ? Number(text) : 0;
      };
      const qims = count('qims');
      const boardMeetings = count('boardMeetings');
      const improvementPlan = parseActions(get('actions'));
      const issued = date('finalWarningIssued');
      const memoSince = date('memoSince') ?? stageEntered;
      const stage = step.stage as Stage;
      if (!(STAGES as readonly string[]).includes(stage)) throw new RowProblem(TRACKER_COLUMNS.step.header, 'is not a stage the product knows', step.stage);
      const caseId = `${newCaseId(locationId, new Date(`${opened}T00:00:00Z`))}-t`;
      const existing = await deps.store.getCase(caseId);
      const held = await deps.store.openCaseFor(locationId);
      if (held && held !== caseId && (await deps.store.getCase(held))?.status === 'open') {
        throw new RowProblem(TRACKER_COLUMNS.locationId.header, `already has an open case (${held})`, locationId);
      }
      const at = (day: string) => `${day}T09:00:00.000Z`;
      const record: Case = {
        caseId,
        locationId,
        providerId: location.providerId,
        contractId: live?.contractId,
        status: 'open',
        stage,
        stageEnteredAt: at(stageEntered),
        leadOfficer,
        trigger: get('concern') || `Case brought over from the council's tracker (${fileName})`,
        openedAt: at(opened),
        deadlines: { ...(finalWarning ? { finalWarning: at(finalWarning) } : {}), ...(review ? { review: at(review) } : {}) },
        ...(issued ? { finalWarningIssuedAt: at(issued) } : {}),
        ...(position ? { commissioningPosition: position } : {}),
        ...(position === 'suspendNewPlacements' ? { memo: { rag: 'RED' as const, addedAt: at(memoSince) } } : position === 'placeWithRestrictions' ? { memo: { rag: 'AMBER' as const, addedAt: at(memoSince) } } : {}),
        qimCount: qims,
        improvementPlan,
        imported: { at: now, file: fileName, importId, quietStep: step.name },
        executions: [],
        generation: 1,
        version: 1,
        updatedAt: now,
      };
      const kind = existing ? 'unchanged' : 'resumed';
      records.push({ change: { line: row.line, locationId, caseId, step: step.name, kind, deadlines: record.deadlines }, record: existing ?? record, boardMeetings });
    } catch (error) {
      if (!(error instanceof RowProblem)) throw error;
      rejections.push({ line: row.line, field: error.field, reason: error.reason, value: error.value });
    }
  }
  const cases = records.map((item) => item.change);
  return {
    plan: {
      importId,
      file: fileName,
      rowsRead: mapped.rows.length,
      unusedColumns: mapped.unused,
      cases,
      rejections,
      summary: { resumed: cases.filter((item) => item.kind === 'resumed').length, unchanged: cases.filter((item) => item.kind === 'unchanged').length, rejected: rejections.length },
      applied: false,
    },
    records,
  };
}

export async function previewTracker(deps: LadderDeps, body: Buffer, fileName: string): Promise<TrackerPlan> {
  return (await plan(deps, body, fileName)).plan;
}

/**
 * Creates each case (its first audit event the import), locks its location, and starts its
 * execution at its step. A case already created by an interrupted run is started if it has no
 * execution yet (the execution's name makes a second start the same execution).
 */
export async function applyTracker(deps: LadderDeps, body: Buffer, fileName: string, actor: string): Promise<TrackerPlan> {
  const planned = await plan(deps, body, fileName);
  for (const { change, record, boardMeetings } of planned.records) {
    if (change.kind === 'resumed') {
      await deps.store.lockLocation(record.locationId, record.caseId);
      if (await deps.store.createCase(record)) {
        await deps.store.appendAudit({
          caseId: record.caseId,
          at: nowIso(deps),
          actor,
          action: 'case imported from the tracker',
          detail: { file: fileName, line: change.line, step: change.step, stageEntered: record.stageEnteredAt, deadlines: record.deadlines, qimsHeld: record.qimCount, boardMeetingsHeld: boardMeetings, position: record.commissioningPosition },
        });
      }
    }
    const current = await deps.store.getCase(record.caseId);
    if (!current || current.status !== 'open' || current.executions.length > 0) continue;
    const executionArn = await startCaseExecution(deps, current, { stage: current.stage, resumeAt: change.step });
    await deps.store.updateCase(
      current.caseId,
      (value) => ({ ...value, executions: value.executions.some((item) => item.executionArn === executionArn) ? value.executions : [...value.executions, { executionArn, startedAt: nowIso(deps) }] }),
      nowIso(deps),
    );
  }
  return { ...planned.plan, applied: true };
}

export function formatTrackerPlan(plan: TrackerPlan, applied: boolean): string {
  const lines = [
    `${plan.file}: ${plan.rowsRead} rows`,
    `${applied ? 'Applied' : 'Would apply'}: ${plan.summary.resumed} cases resumed at their step, ${plan.summary.unchanged} already on record, ${plan.summary.rejected} rows rejected.`,
    ...plan.cases.map((item) => `  ${item.kind.padEnd(9)} ${item.caseId} at "${item.step}"${Object.keys(item.deadlines).length ? ` (${Object.entries(item.deadlines).map(([kind, at]) => `${kind} ${String(at).slice(0, 10)}`).join(', ')})` : ''}`),
    ...plan.rejections.map((rejection) => `  line ${rejection.line}: ${rejection.field} ${rejection.reason}${rejection.value ? ` (${JSON.stringify(rejection.value)})` : ''}`),
  ];
  if (!applied) lines.push('Nothing has been changed. Run again with --apply to apply it.');
  return `${lines.join('\n')}\n`;
}
