/**
 * The details an officer types on a confirmation page, read from the posted form: the QIM's date
 * (a GOV.UK date input: day, month, year), its time as people write it (`10:30`, `10:30am`,
 * `2pm`), and the improvement plan as rows (action, owner, due date, how success will be shown).
 * Every problem is a sentence an officer understands, naming what was typed.
 *
 * Field names: `date-day|month|year`, `time`, `venue`, `attendees`, `position`,
 * `informServiceUsers`, and for plan row n (from 1) `plan-n-action`, `plan-n-owner`,
 * `plan-n-due-day|month|year`, `plan-n-success`. A page rendered by an earlier version posts the
 * date as one `date` (YYYY-MM-DD) and the plan as `actions` lines (`action | owner | YYYY-MM-DD`);
 * both are still read, so a confirmation page left open over an upgrade still works.
 */
import { isRealDate, longDate, parseClockTime } from '../lib/dates';
import type { ImprovementAction } from '../lib/model';
import { qimArrangementSchema, qimOutcomeSchema } from './workflow';

/** The posted form: every field a string. */
export type RawForm = Readonly<Record<string, string | undefined>>;

export interface FieldError {
  /** The id of the field to link to from the error summary. */
  field: string;
  message: string;
}

export type Details = { ok: true; details: Record<string, unknown> } | { ok: false; errors: FieldError[] };

export const MAX_PLAN_ROWS = 50;

function text(form: RawForm, name: string): string {
  return (form[name] ?? '').trim();
}

// ---- dates typed into a GOV.UK date input --------------------------------------------------------

export type DateReading = { ok: true; date: string } | { ok: false; empty: boolean; message: string };

/**
 * Reads the day, month and year fields named `<name>-day` etc. `what` is how the messages name
 * the date ("the date of the meeting"). A whole date typed into the day box (15/12/2026) is read too.
 */
export function readDateInput(form: RawForm, name: string, what: string): DateReading {
  let day = text(form, `${name}-day`);
  let month = text(form, `${name}-month`);
  let year = text(form, `${name}-year`);
  const whole = /^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})$/.exec(day);
  if (whole && !month && !year) [, day = '', month = '', year = ''] = whole;
  const typed = [day, month, year].filter(Boolean).join('/');
  const Capital = what.charAt(0).toUpperCase() + what.slice(1);
  if (!day && !month && !year) return { ok: false, empty: true, message: `Enter ${what}` };
  const missing = [!day && 'a day', !month && 'a month', !year && 'a year'].filter(Boolean) as string[];
  if (missing.length) return { ok: false, empty: false, message: `${Capital} must include ${missing.join(' and ')} (you typed ${typed})` };
  if (![day, month, year].every((part) => /^\d+$/.test(part))) return { ok: false, empty: false, message: `${Capital} must be numbers only, for example 15 12 2026 (you typed ${typed})` };
  if (year.length !== 4) return { ok: false, empty: false, message: `The year of ${what} must have 4 numbers, for example 2027 (you typed ${year})` };
  const iso = `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
  if (day.length > 2 || month.length > 2 || !isRealDate(iso)) return { ok: false, empty: false, message: `${Capital} must be a real date (you typed ${typed})` };
  return { ok: true, date: iso };
}

// ---- the QIM's arrangements --------------------------------------------------------------------

export function readQimArrangement(form: RawForm, today: string): Details {
  const errors: FieldError[] = [];
  let date: string | undefined;
  const legacy = text(form, 'date');
  if (legacy && !text(form, 'date-day') && !text(form, 'date-month') && !text(form, 'date-year')) {
    if (isRealDate(legacy)) date = legacy;
    else errors.push({ field: 'date', message: `The date of the meeting must be a real date (you typed ${legacy})` });
  } else {
    const reading = readDateInput(form, 'date', 'the date of the meeting');
    if (reading.ok) date = reading.date;
    else errors.push({ field: 'date', message: reading.message });
  }
  if (date && date < today) {
    errors.push({ field: 'date', message: `The date of the meeting must be today or in the future: ${longDate(date)} has passed (today is ${longDate(today)})` });
  }
  const typedTime = text(form, 'time');
  const time = parseClockTime(typedTime);
  if (!typedTime) errors.push({ field: 'time', message: 'Enter the time of the meeting, for example 10:30am or 2pm' });
  else if (!time) errors.push({ field: 'time', message: `Enter the time of the meeting like 10:30, 10:30am or 2pm (you typed ${typedTime})` });
  const venue = text(form, 'venue');
  if (!venue) errors.push({ field: 'venue', message: 'Enter where the meeting will be held' });
  else if (venue.length > 300) errors.push({ field: 'venue', message: 'The venue must be 300 characters or fewer' });
  const attendees = (form.attendees ?? '').split(/[\n,]/).map((item) => item.trim()).filter(Boolean);
  if (attendees.length > 30 || attendees.some((item) => item.length > 200)) errors.push({ field: 'attendees', message: 'List at most 30 other attendees, one per line' });
  if (errors.length) return { ok: false, errors };
  const parsed = qimArrangementSchema.safeParse({ date, time, venue, attendees });
  if (!parsed.success) return { ok: false, errors: [{ field: 'date', message: 'Check the date, time and venue of the meeting' }] };
  return { ok: true, details: { qim: parsed.data } };
}

// ---- the improvement plan as rows --------------------------------------------------------------

/** One row of the plan as typed (strings, possibly empty). */
export interface PlanRow {
  action: string;
  owner: string;
  dueDay: string;
  dueMonth: string;
  dueYear: string;
  success: string;
}

const ROW_FIELD = /^plan-(\d{1,3})-(action|owner|due-day|due-month|due-year|success)$/;

/** How many plan rows the form holds: the highest row number any plan field names. */
export function planRowCount(form: RawForm): number {
  let count = 0;
  for (const key of Object.keys(form)) {
    const match = ROW_FIELD.exec(key);
    if (match) count = Math.max(count, Number(match[1]));
  }
  return Math.min(count, MAX_PLAN_ROWS);
}

export function planRows(form: RawForm): PlanRow[] {
  return Array.from({ length: planRowCount(form) }, (_, index) => {
    const n = index + 1;
    return {
      action: form[`plan-${n}-action`] ?? '',
      owner: form[`plan-${n}-owner`] ?? '',
      dueDay: form[`plan-${n}-due-day`] ?? '',
      dueMonth: form[`plan-${n}-due-month`] ?? '',
      dueYear: form[`plan-${n}-due-year`] ?? '',
      success: form[`plan-${n}-success`] ?? '',
    };
  });
}

/** The plan rows written back as form fields, numbered from 1 (after a row is removed, say). */
export function planFields(rows: readonly PlanRow[]): Record<string, string> {
  const fields: Record<string, string> = {};
  rows.forEach((row, index) => {
    const n = index + 1;
    fields[`plan-${n}-action`] = row.action;
    fields[`plan-${n}-owner`] = row.owner;
    fields[`plan-${n}-due-day`] = row.dueDay;
    fields[`plan-${n}-due-month`] = row.dueMonth;
    fields[`plan-${n}-due-year`] = row.dueYear;
    fields[`plan-${n}-success`] = row.success;
  });
  return fields;
}

/** The stored plan as rows to amend (a follow-up QIM shows the actions already agreed). */
export function rowsFromPlan(plan: readonly ImprovementAction[]): PlanRow[] {
  return plan.map((item) => {
    const [year = '', month = '', day = ''] = item.due.split('-');
    return { action: item.action, owner: item.owner, dueDay: String(Number(day)), dueMonth: String(Number(month)), dueYear: year, success: item.success ?? '' };
  });
}

export const EMPTY_ROW: PlanRow = { action: '', owner: '', dueDay: '', dueMonth: '', dueYear: '', success: '' };

function isEmpty(row: PlanRow): boolean {
  return Object.values(row).every((value) => !value.trim());
}

/**
 * The form after "Add another action" or "Remove action n": the same fields, with one more empty
 * row or without row n (the rows after it renumbered). Nothing is decided by either.
 */
export function changePlanRows(form: RawForm, change: { add: true } | { remove: number }): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(form)) if (value !== undefined && !ROW_FIELD.test(key)) kept[key] = value;
  let rows = planRows(form);
  if ('add' in change) {
    if (rows.length < MAX_PLAN_ROWS) rows = [...rows, EMPTY_ROW];
  } else {
    rows = rows.filter((_, index) => index + 1 !== change.remove);
    if (rows.length === 0) rows = [EMPTY_ROW];
  }
  return { ...kept, ...planFields(rows) };
}

function legacyLines(form: RawForm): { actions: Array<Partial<ImprovementAction>>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const lines = (form.actions ?? '').split('\n').map((line) => line.trim()).filter(Boolean);
  if (lines.length > MAX_PLAN_ROWS) errors.push({ field: 'actions', message: `The improvement plan has too many lines (at most ${MAX_PLAN_ROWS})` });
  const actions = lines.slice(0, MAX_PLAN_ROWS).map((line, index) => {
    const [action = '', owner = '', due = ''] = line.split('|').map((part) => part.trim());
    if (!action || !owner || !isRealDate(due)) {
      errors.push({ field: 'actions', message: `Improvement plan, line ${index + 1}: write it as action | owner | YYYY-MM-DD, with a real date (you typed ${line})` });
    }
    return { action, owner, due };
  });
  return { actions, errors };
}

function readPlan(form: RawForm): { actions: Array<Partial<ImprovementAction>>; errors: FieldError[] } {
  if (planRowCount(form) === 0 && text(form, 'actions')) return legacyLines(form);
  const errors: FieldError[] = [];
  const actions: Array<Partial<ImprovementAction>> = [];
  planRows(form).forEach((row, index) => {
    if (isEmpty(row)) return; // an empty row (say, the one "Add another" made) is no action
    const n = index + 1;
    const prefix = `plan-${n}`;
    const action = row.action.trim();
    const owner = row.owner.trim();
    const success = row.success.trim();
    if (!action) errors.push({ field: `${prefix}-action`, message: `Action ${n}: enter what will be done` });
    else if (action.length > 500) errors.push({ field: `${prefix}-action`, message: `Action ${n}: describe it in 500 characters or fewer` });
    if (!owner) errors.push({ field: `${prefix}-owner`, message: `Action ${n}: enter who owns it` });
    else if (owner.length > 200) errors.push({ field: `${prefix}-owner`, message: `Action ${n}: the owner must be 200 characters or fewer` });
    const due = readDateInput(form, `${prefix}-due`, 'the due date');
    if (!due.ok) errors.push({ field: `${prefix}-due`, message: `Action ${n}: ${due.message.charAt(0).toLowerCase()}${due.message.slice(1)}` });
    if (success.length > 1000) errors.push({ field: `${prefix}-success`, message: `Action ${n}: say how success will be shown in 1,000 characters or fewer` });
    actions.push({ action, owner, due: due.ok ? due.date : '', ...(success ? { success } : {}) });
  });
  return { actions, errors };
}

export function readQimOutcome(form: RawForm): Details {
  const errors: FieldError[] = [];
  const position = text(form, 'position');
  if (!['suspendNewPlacements', 'placeWithRestrictions', 'noFurtherAction'].includes(position)) errors.push({ field: 'position', message: 'Choose the commissioning position' });
  const plan = readPlan(form);
  errors.push(...plan.errors);
  if (errors.length) return { ok: false, errors };
  const parsed = qimOutcomeSchema.safeParse({ position, informServiceUsers: text(form, 'informServiceUsers') === 'yes', actions: plan.actions });
  if (!parsed.success) return { ok: false, errors: [{ field: 'position', message: 'Check the commissioning position and the improvement plan' }] };
  return { ok: true, details: parsed.data };
}

/** The plan buttons' value (`add`, `remove-3`), or undefined when the form was sent to act. */
export function planChangeOf(value: string | undefined): { add: true } | { remove: number } | undefined {
  if (value === 'add') return { add: true };
  const remove = /^remove-(\d{1,3})$/.exec(value ?? '');
  return remove ? { remove: Number(remove[1]) } : undefined;
}
