/**
 * Officers' links. A GET only looks (and never changes anything: mail scanners fetch every link);
 * the POST from the confirmation page acts, once. Every outcome is named so the page can say
 * exactly what happened: used, expired, tampered, for someone else, superseded, timed out.
 */
import { z } from 'zod';
import { isoDate } from '../lib/clock';
import { formToken, verifyFormToken, verifyLink, parseLinkPath } from '../lib/links';
import type { PendingTask } from '../lib/model';
import { loadCase, nowIso, type CaseContext, type LadderDeps } from './context';
import { completeTask, TaskNotCompleted } from './complete-task';
import { DECISION_LABELS, qimArrangementSchema, qimOutcomeSchema } from './workflow';

export type LinkRefusal =
  | 'malformed'
  | 'tampered'
  | 'expired'
  | 'unknownTask'
  | 'wrongOfficer'
  | 'notOffered'
  | 'used'
  | 'superseded'
  | 'timedOut'
  | 'failed'
  | 'badForm'
  | 'badDetails';

export interface LinkView {
  ok: true;
  task: PendingTask;
  context: CaseContext;
  decision: string;
  decisionLabel: string;
  officer: string;
  expires: number;
  signature: string;
  formToken: string;
  /** Which extra fields the confirmation page asks for. */
  form: 'note' | 'qimArrangement' | 'qimOutcome';
}

export type LinkCheck = LinkView | { ok: false; refusal: Exclude<LinkRefusal, 'badDetails'>; task?: PendingTask; detail?: string };

function formFor(decision: string, step: string): LinkView['form'] {
  if (decision === 'arranged') return 'qimArrangement';
  if (step === 'Record QIM Outcome' && decision !== 'safeguarding') return 'qimOutcome';
  return 'note';
}

const TASK_STATE_REFUSAL: Record<Exclude<PendingTask['status'], 'pending'>, Exclude<LinkRefusal, 'badDetails'>> = {
  used: 'used',
  superseded: 'superseded',
  timedOut: 'superseded',
  expired: 'expired',
  failed: 'failed',
};

/** What a link offers, if it is still good. Reads only. */
export async function inspectLink(deps: LadderDeps, pathAndQuery: string): Promise<LinkCheck> {
  const parsed = parseLinkPath(pathAndQuery);
  if (!parsed.ok) return { ok: false, refusal: 'malformed' };
  const verified = verifyLink(deps.signingKey, parsed, deps.clock.now());
  if (!verified.ok) return { ok: false, refusal: verified.reason };
  const task = await deps.store.getTask(parsed.taskId);
  if (!task) return { ok: false, refusal: 'unknownTask' };
  if (!task.allowedDecisions.includes(parsed.decision)) return { ok: false, refusal: 'notOffered', task };
  const context = await loadCase(deps, task.caseId);
  // Whoever a step waits on, the case's lead officer may always pass it to safeguarding.
  const mayAct = task.assignee === parsed.officer || (parsed.decision === 'safeguarding' && parsed.officer === context.record.leadOfficer);
  if (!mayAct) return { ok: false, refusal: 'wrongOfficer', task };
  if (task.status !== 'pending') return { ok: false, refusal: TASK_STATE_REFUSAL[task.status], task };
  if (new Date(task.expiresAt).getTime() <= deps.clock.now().getTime()) return { ok: false, refusal: 'expired', task };
  return {
    ok: true,
    task,
    context,
    decision: parsed.decision,
    decisionLabel: DECISION_LABELS[parsed.decision] ?? parsed.decision,
    officer: parsed.officer,
    expires: parsed.expires,
    signature: parsed.signature,
    formToken: formToken(deps.signingKey, { taskId: parsed.taskId, decision: parsed.decision, officer: parsed.officer, expires: parsed.expires }),
    form: formFor(parsed.decision, task.step),
  };
}

/** The confirmation page's form, as posted (all strings). */
export const linkFormSchema = z.object({
  formToken: z.string().max(200).default(''),
  note: z.string().max(5000).default(''),
  date: z.string().max(20).optional(),
  time: z.string().max(10).optional(),
  venue: z.string().max(300).optional(),
  attendees: z.string().max(3000).optional(),
  position: z.string().max(50).optional(),
  informServiceUsers: z.string().max(10).optional(),
  /** One action per line: "action | owner | YYYY-MM-DD". */
  actions: z.string().max(20_000).optional(),
});
export type LinkForm = z.infer<typeof linkFormSchema>;

export interface FieldError {
  field: string;
  message: string;
}

/** Zod's words are for developers: each field gets a sentence an officer understands. */
const FIELD_MESSAGES: Record<string, string> = {
  date: 'Enter the date of the meeting as a real date, for example 2027-01-15',
  time: 'Enter the time of the meeting as hours and minutes, for example 10:30',
  venue: 'Enter where the meeting will be held',
  attendees: 'List at most 30 other attendees, one per line',
  position: 'Choose the commissioning position',
};

function fieldErrors(issues: Array<{ path: PropertyKey[] }>): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    const [field, index] = issue.path;
    if (field === 'actions') {
      const line = typeof index === 'number' ? index + 1 : undefined;
      const message = line
        ? `Improvement plan, line ${line}: write it as action | owner | YYYY-MM-DD, with a real date`
        : 'The improvement plan has too many lines (at most 50)';
      if (!errors.some((error) => error.message === message)) errors.push({ field: 'actions', message });
      continue;
    }
    const name = String(field);
    if (!errors.some((error) => error.field === name)) errors.push({ field: name, message: FIELD_MESSAGES[name] ?? `Check ${name}` });
  }
  return errors;
}

function detailsFrom(form: LinkForm, kind: LinkView['form'], today: string): { ok: true; details: Record<string, unknown> } | { ok: false; errors: FieldError[] } {
  if (kind === 'note') return { ok: true, details: {} };
  if (kind === 'qimArrangement') {
    const result = qimArrangementSchema.safeParse({
      date: form.date?.trim(),
      time: form.time?.trim(),
      venue: form.venue?.trim(),
      attendees: (form.attendees ?? '').split(/[\n,]/).map((item) => item.trim()).filter(Boolean),
    });
    if (!result.success) return { ok: false, errors: fieldErrors(result.error.issues) };
    if (result.data.date < today) return { ok: false, errors: [{ field: 'date', message: `The meeting date is in the past: choose ${today} or later` }] };
    return { ok: true, details: { qim: result.data } };
  }
  const actions = (form.actions ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [action, owner, due] = line.split('|').map((part) => part.trim());
      return { action, owner, due };
    });
  const result = qimOutcomeSchema.safeParse({ position: form.position, informServiceUsers: form.informServiceUsers === 'yes', actions });
  if (!result.success) return { ok: false, errors: fieldErrors(result.error.issues) };
  return { ok: true, details: result.data };
}

export type ActResult =
  | { ok: true; view: LinkView }
  | { ok: false; refusal: 'badDetails'; view: LinkView; errors: FieldError[] }
  | { ok: false; refusal: Exclude<LinkRefusal, 'badDetails'>; detail?: string; task?: PendingTask };

async function refusedOnTask(deps: LadderDeps, view: LinkView, refusal: LinkRefusal, source: string | undefined): Promise<void> {
  await deps.store.appendAudit({
    caseId: view.task.caseId,
    at: nowIso(deps),
    actor: view.officer,
    action: 'link refused',
    detail: { reason: refusal, step: view.task.step, decision: view.decision },
    source,
  });
}

/** Acts on a link: re-checks everything, checks the form token, then completes the task once. */
export async function actOnLink(deps: LadderDeps, pathAndQuery: string, form: LinkForm, source: string | undefined): Promise<ActResult> {
  const check = await inspectLink(deps, pathAndQuery);
  if (!check.ok) {
    // A refused attempt on a real step is evidence: it goes on that case's audit trail. (Only on
    // POST: a GET, which scanners send, never writes.) Attempts naming no real step touch nothing.
    const parsed = parseLinkPath(pathAndQuery);
    const task = check.task ?? (parsed.ok ? await deps.store.getTask(parsed.taskId) : undefined);
    if (task) {
      await deps.store.appendAudit({
        caseId: task.caseId,
        at: nowIso(deps),
        actor: parsed.ok ? parsed.officer : 'unknown',
        action: 'link refused',
        detail: { reason: check.refusal, step: task.step, decision: parsed.ok ? parsed.decision : undefined },
        source,
      });
    }
    return check;
  }
  const token = verifyFormToken(deps.signingKey, { taskId: check.task.taskId, decision: check.decision, officer: check.officer, expires: check.expires, token: form.formToken }, deps.clock.now());
  if (!token.ok) {
    await refusedOnTask(deps, check, 'badForm', source);
    return { ok: false, refusal: 'badForm', task: check.task };
  }
  const details = detailsFrom(form, check.form, isoDate(deps.clock.now()));
  if (!details.ok) return { ok: false, refusal: 'badDetails', view: check, errors: details.errors };
  try {
    await completeTask(deps, check.task, { decision: check.decision, by: check.officer, note: form.note.trim(), details: details.details }, source);
  } catch (error) {
    if (error instanceof TaskNotCompleted) {
      return { ok: false, refusal: error.reason === 'notPending' ? 'used' : error.reason === 'taskTimedOut' ? 'timedOut' : 'failed', task: check.task, detail: error.message };
    }
    throw error;
  }
  return { ok: true, view: check };
}
