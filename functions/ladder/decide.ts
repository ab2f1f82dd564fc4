/**
 * Officers' links. A GET only looks (and never changes anything: mail scanners fetch every link);
 * the POST from the confirmation page acts, once. Every outcome is named so the page can say
 * exactly what happened: used, expired, tampered, for someone else, superseded, timed out.
 */
import { z } from 'zod';
import { isoDate } from '../lib/clock';
import { formToken, verifyFormToken, verifyLink, parseLinkPath, type ParsedLink } from '../lib/links';
import type { PendingTask } from '../lib/model';
import { loadCase, nowIso, type CaseContext, type LadderDeps } from './context';
import { completeTask, deliveryInFlight, settleDecision, TaskNotCompleted, type Completion } from './complete-task';
import { DECISION_LABELS } from './workflow';
import { readQimArrangement, readQimOutcome, type Details, type FieldError } from './decision-form';
import { APPROVED_LETTERS, APPROVED_NUMBER, lettersHash, lettersToApprove } from './outgoing';
import type { Email } from '../lib/mailer';

/** The letters a decision at this step would send now, with their hash; none where it sends none. */
function previewFor(deps: LadderDeps, context: CaseContext, step: string, decision: string): LinkView['preview'] {
  const emails = lettersToApprove(deps, context, step, decision);
  return emails ? { emails, hash: lettersHash(emails) } : undefined;
}

export type LinkRefusal =
  | 'malformed'
  | 'tampered'
  | 'expired'
  | 'unknownTask'
  | 'wrongOfficer'
  | 'notOffered'
  | 'used'
  | 'recording'
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
  /** Where the decision sends letters: exactly what will go, and the hash the approval records. */
  preview?: { emails: Email[]; hash: string };
}

export type LinkCheck = LinkView | { ok: false; refusal: Exclude<LinkRefusal, 'badDetails'>; task?: PendingTask; detail?: string };

function formFor(decision: string, step: string): LinkView['form'] {
  if (decision === 'arranged') return 'qimArrangement';
  if (step === 'Record QIM Outcome' && decision !== 'safeguarding') return 'qimOutcome';
  return 'note';
}

const TASK_STATE_REFUSAL: Record<Exclude<PendingTask['status'], 'pending'>, Exclude<LinkRefusal, 'badDetails'>> = {
  // Recorded but not yet known to have reached the workflow: "used" while the request that
  // recorded it is still delivering it (a double submit), "being recorded" once it is not.
  decided: 'recording',
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
  if (task.status === 'decided' && deliveryInFlight(task, deps.clock.now())) return { ok: false, refusal: 'used', task };
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
    preview: previewFor(deps, context, task.step, parsed.decision),
  };
}

/**
 * The confirmation page's form, as posted (all strings). Besides the token and the note, the
 * fields depend on the step (date input parts, plan rows: see decision-form.ts), so any field is
 * kept as a string, within limits, for that module to read.
 */
export const linkFormSchema = z
  .object({
    formToken: z.string().max(200).default(''),
    note: z.string().max(5000).default(''),
    /** The hash of the letters the confirmation page showed (where the decision sends letters). */
    letterHash: z.string().max(100).default(''),
  })
  .catchall(z.string().max(20_000))
  .refine((form) => Object.keys(form).length <= 500, 'too many fields');
export type LinkForm = z.infer<typeof linkFormSchema>;

export type { FieldError };

function detailsFrom(form: LinkForm, kind: LinkView['form'], today: string): Details {
  if (kind === 'note') return { ok: true, details: {} };
  if (kind === 'qimArrangement') return readQimArrangement(form, today);
  return readQimOutcome(form);
}

export type ActResult =
  | { ok: true; view: LinkView }
  | { ok: false; refusal: 'badDetails'; view: LinkView; errors: FieldError[] }
  | { ok: false; refusal: Exclude<LinkRefusal, 'badDetails'>; detail?: string; task?: PendingTask };

/**
 * A refused attempt on a real step is evidence: it goes on that case's audit trail. Many refusals
 * can arrive at once (fifty presses of one link), all wanting the chain's tip: each retries with
 * jitter, and one that still cannot get in is parked beside the chain (its own item, contending
 * with nothing) and chained later. Recording a refusal never fails the request.
 */
async function recordRefusal(deps: LadderDeps, task: PendingTask, actor: string, detail: Record<string, unknown>, source: string | undefined): Promise<void> {
  const draft = { caseId: task.caseId, at: nowIso(deps), actor, action: 'link refused', detail: { step: task.step, ...detail }, source };
  try {
    await deps.store.appendAudit(draft);
  } catch (error) {
    if ((error as Error).name !== 'ConcurrentUpdate') throw error;
    await deps.store.parkAudit(draft);
  }
}

/** Acts on a link: re-checks everything, checks the form token, then completes the task once. */
export async function actOnLink(deps: LadderDeps, pathAndQuery: string, form: LinkForm, source: string | undefined): Promise<ActResult> {
  const check = await inspectLink(deps, pathAndQuery);
  if (!check.ok) {
    // Only on POST: a GET, which scanners send, never writes. Attempts naming no real step touch nothing.
    const parsed = parseLinkPath(pathAndQuery);
    const task = check.task ?? (parsed.ok ? await deps.store.getTask(parsed.taskId) : undefined);
    if (task) {
      await recordRefusal(deps, task, parsed.ok ? parsed.officer : 'unknown', { reason: check.refusal, decision: parsed.ok ? parsed.decision : undefined }, source);
      // A decision recorded but stranded (its request died, or the workflow was out of reach):
      // pressing again finishes it. Safe to repeat: every step of settling is idempotent.
      if (check.refusal === 'recording') return await finishRecorded(deps, task, parsed.ok ? parsed : undefined);
    }
    return check;
  }
  const token = verifyFormToken(deps.signingKey, { taskId: check.task.taskId, decision: check.decision, officer: check.officer, expires: check.expires, token: form.formToken }, deps.clock.now());
  if (!token.ok) {
    await recordRefusal(deps, check.task, check.officer, { reason: 'badForm', decision: check.decision }, source);
    return { ok: false, refusal: 'badForm', task: check.task };
  }
  const details = detailsFrom(form, check.form, isoDate(deps.clock.now()));
  if (!details.ok) return { ok: false, refusal: 'badDetails', view: check, errors: details.errors };
  // Approve what you saw: the letters the page showed must be the letters that would go now.
  if (check.preview) {
    if (form.letterHash !== check.preview.hash) {
      return { ok: false, refusal: 'badDetails', view: check, errors: [{ field: 'letters', message: 'The letter has changed since the page was opened. Read it again below, then confirm' }] };
    }
    details.details = { ...details.details, [APPROVED_LETTERS]: check.preview.hash, [APPROVED_NUMBER]: check.context.facts.letterNumber };
  }
  let completion: Completion;
  try {
    completion = await completeTask(deps, check.task, { decision: check.decision, by: check.officer, note: form.note.trim(), details: details.details }, source);
  } catch (error) {
    if (error instanceof TaskNotCompleted) {
      const refusal = error.reason === 'notPending' ? 'used' : error.reason === 'taskTimedOut' ? 'timedOut' : 'failed';
      // Lost the race for the step (someone pressed first): also evidence, also recorded.
      if (refusal === 'used') await recordRefusal(deps, check.task, check.officer, { reason: 'used', decision: check.decision }, source);
      return { ok: false, refusal, task: check.task, detail: refusal === 'used' ? undefined : error.message };
    }
    throw error;
  }
  if (completion === 'recording') return { ok: false, refusal: 'recording', task: check.task };
  return { ok: true, view: check };
}

async function finishRecorded(deps: LadderDeps, task: PendingTask, link: ParsedLink | undefined): Promise<ActResult> {
  try {
    const settled = await settleDecision(deps, task);
    if (settled === 'delivered') {
      // The officer's own decision, finished by pressing again: it is recorded, say so.
      if (link && task.recorded?.decision === link.decision && task.recorded.by === link.officer) return { ok: true, view: await recordedView(deps, task, link) };
      return { ok: false, refusal: 'used', task };
    }
    if (settled === 'refused') return { ok: false, refusal: 'timedOut', task };
  } catch (error) {
    console.error(`Could not settle the recorded decision on task ${task.taskId}`, error);
  }
  return { ok: false, refusal: 'recording', task };
}

async function recordedView(deps: LadderDeps, task: PendingTask, link: ParsedLink): Promise<LinkView> {
  const claim = { taskId: link.taskId, decision: link.decision, officer: link.officer, expires: link.expires };
  return {
    ok: true,
    task,
    context: await loadCase(deps, task.caseId),
    decision: link.decision,
    decisionLabel: DECISION_LABELS[link.decision] ?? link.decision,
    officer: link.officer,
    expires: link.expires,
    signature: link.signature,
    formToken: formToken(deps.signingKey, claim),
    form: formFor(link.decision, task.step),
  };
}
