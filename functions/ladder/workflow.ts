/**
 * The ladder's steps as the state machine calls them. Each action reads the case from DynamoDB,
 * does its work (letters, contract, memo), writes the case and an audit event, and returns the
 * execution's next state. The state machine only carries `{ caseId, stage, decision }`: the case
 * record is the truth, so a case can be resumed from it.
 */
import { randomBytes } from 'node:crypto';
import { StartExecutionCommand, ExecutionAlreadyExists } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { addCalendarMonths, addDays, isoDate, secondsUntil } from '../lib/clock';
import { improvementActionSchema, qimSchema, COMMISSIONING_POSITIONS, POSITION_LABELS, STAGES, type Case, type MemoRag, type Stage } from '../lib/model';
import { signLink } from '../lib/links';
import { calendarDate, clockTime } from '../lib/dates';
import { BadInput, EmailRejected, EmailSendFailed } from '../lib/errors';
import { meetingForReferral } from '../lib/board-schedule';
import * as letters from './letters';
import {
  boardChair,
  boardEmails,
  boardLetterRecipients,
  nextLetter,
  caseUrl,
  loadCase,
  longDate,
  nowIso,
  providerRecipients,
  send,
  type CaseContext,
  type LadderDeps,
} from './context';
import { listMeetings } from './board';
import { eventTime, FOLLOWED_EVENTS, responseDue } from './due';
import { adoptRecordedDecision } from './complete-task';
import { sendLetterToHostAuthority, sendPartnershipLetter } from '../council/routes';
import { inviteEvidenceResponse, providerSide, providerSideLines } from './provider-side';
import { approvedLetters, asApproved, LetterChanged, qualityImprovementNoticeEmails } from './outgoing';

// ---- what crosses the boundary from the state machine ----------------------------------------

export const decisionOutputSchema = z.object({
  decision: z.string(),
  step: z.string(),
  by: z.string(),
  at: z.string(),
  note: z.string().default(''),
  details: z.record(z.string(), z.unknown()).default({}),
  /** The pending task the decision was recorded on (so its delivery can be recognised in history). */
  taskId: z.string().optional(),
});
export type DecisionOutput = z.infer<typeof decisionOutputSchema>;

export const workflowStateSchema = z
  .object({
    caseId: z.string().min(1),
    stage: z.string().optional(),
    resumeAt: z.string().optional(),
    decision: decisionOutputSchema.optional(),
    /** What the prepare step worked out for the wait that follows it. */
    wait: z.object({ timeoutSeconds: z.number().int().positive(), continueAsNew: z.boolean() }).optional(),
    failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
  })
  .passthrough();
export type WorkflowState = z.infer<typeof workflowStateSchema>;

const executionSchema = z.object({ id: z.string(), startTime: z.string(), stateMachineId: z.string(), stateEnteredTime: z.string().optional() });

const onTimeoutSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('remind'), every: z.enum(['response', 'board', 'inspection']), after: z.enum(FOLLOWED_EVENTS).optional() }),
  z.object({ kind: z.literal('deadline'), deadline: z.enum(['finalWarning', 'review']), next: z.string() }),
]);

const waitFields = {
  step: z.string(),
  stage: z.string(),
  assignee: z.enum(['leadOfficer', 'board', 'safeguarding', 'inspection', 'administrator']),
  asks: z.string(),
  allowedDecisions: z.array(z.string()).min(1),
};

export const workflowEventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('prepareWait'), ...waitFields, onTimeout: onTimeoutSchema, state: workflowStateSchema, execution: executionSchema }),
  z.object({
    action: z.literal('requestDecision'),
    ...waitFields,
    onTimeout: onTimeoutSchema.optional(),
    taskToken: z.string().min(1),
    state: workflowStateSchema,
    execution: executionSchema,
  }),
  z.object({ action: z.literal('noteReminderDue'), step: z.string(), state: workflowStateSchema, execution: executionSchema }),
  z.object({ action: z.literal('recordFailure'), step: z.string(), state: workflowStateSchema, execution: executionSchema }),
  z.object({
    action: z.enum([
      'sendLetterToHostAuthority',
      'sendPartnershipLetter',
      'confirmInformalOutcome',
      'sendQualityImprovementNotice',
      'sendQimInvitation',
      'applyQimOutcome',
      'reinstateContractVisits',
      'referToBoard',
      'sendRectificationNotice',
      'reportInspectionToBoard',
      'sendFinalWarningNotice',
      'referFinalWarningDeadline',
      'startSustainabilityReview',
      'sendLetterOfTermination',
      'transferToSafeguarding',
      'returnFromSafeguarding',
      'closeCase',
      'continueAsNew',
    ]),
    state: workflowStateSchema,
    execution: executionSchema,
  }),
]);
export type WorkflowEvent = z.infer<typeof workflowEventSchema>;

// ---- details an officer gives with a decision -------------------------------------------------

export const qimArrangementSchema = qimSchema.extend({
  date: calendarDate,
  time: clockTime,
  venue: z.string().min(1).max(300),
  attendees: z.array(z.string().min(1).max(200)).max(30),
});

export const qimOutcomeSchema = z.object({
  position: z.enum(COMMISSIONING_POSITIONS),
  informServiceUsers: z.boolean(),
  actions: z.array(improvementActionSchema).max(50),
});

// ---- helpers -----------------------------------------------------------------------------------

function next(record: Case, decision?: DecisionOutput, extra: Partial<WorkflowState> = {}): WorkflowState {
  return { caseId: record.caseId, stage: record.stage, ...(decision ? { decision } : {}), ...extra };
}

function requireDecision(state: WorkflowState): DecisionOutput {
  if (!state.decision) throw new BadInput(`Case ${state.caseId}: this step needs a recorded decision and none was given`);
  return state.decision;
}

function asStage(value: string): Stage {
  return (STAGES as readonly string[]).includes(value) ? (value as Stage) : 'informal';
}

async function audit(deps: LadderDeps, caseId: string, action: string, detail: Record<string, unknown> = {}, actor = 'workflow'): Promise<void> {
  await deps.store.appendAudit({ caseId, at: nowIso(deps), actor, action, detail });
}

function memoAfter(position: Case['commissioningPosition'], previous: Case['memo'], at: string): Case['memo'] {
  const rag: MemoRag | undefined =
    position === 'suspendNewPlacements'
      ? 'RED'
      : position === 'placeWithRestrictions'
        ? 'AMBER'
        : previous && previous.rag !== 'GREEN'
          ? 'GREEN'
          : previous?.rag;
  if (!rag) return undefined;
  return rag === previous?.rag ? previous : { rag, addedAt: at };
}

/** The Board meeting a decision was taken at (an urgent virtual one included), in words. */
function boardMeetingDate(state: WorkflowState, now: Date): string {
  const meetingDay = typeof state.decision?.details.meetingDate === 'string' ? state.decision.details.meetingDate : state.decision?.at;
  return longDate(meetingDay ?? now);
}

/** The notice the contract gives (the register's, else the policy's) and the day it ends. */
export function terminationTerms(deps: LadderDeps, context: CaseContext, state: WorkflowState): letters.TerminationTerms {
  const now = deps.clock.now();
  const noticeDays = context.contract?.noticeDays ?? deps.config.policy.terminationNoticeDays;
  return {
    boardMeetingDate: boardMeetingDate(state, now),
    noticeDays,
    endDate: longDate(addDays(now, noticeDays)),
    placements: context.contract?.placements ?? 0,
  };
}

/**
 * Letters that changed after their approval are not sent: the approval's task is closed (it was
 * delivered: this step runs because of it), the change is on the audit trail, and `LetterChanged`
 * takes the state machine back to the approval step, which asks the officer again.
 */
async function letterChangedAsksAgain<T>(deps: LadderDeps, state: WorkflowState, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof LetterChanged)) throw error;
    const taskId = state.decision?.taskId;
    if (taskId) await deps.store.transitionTask(taskId, 'decided', { status: 'used', deliveredAt: nowIso(deps) });
    await audit(deps, state.caseId, 'letters changed after approval: not sent, approval asked again', { step: state.decision?.step, reason: error.message });
    throw error;
  }
}

// ---- the steps ---------------------------------------------------------------------------------

/** Sets the case on its waiting step and works out how long to wait before a reminder or deadline. */
async function prepareWait(deps: LadderDeps, event: Extract<WorkflowEvent, { action: 'prepareWait' }>) {
  const now = deps.clock.now();
  const { policy } = deps.config;
  const current = await deps.store.getCase(event.state.caseId);
  if (!current) throw new BadInput(`Case ${event.state.caseId} does not exist`);
  // A step waiting on the Board is listed for a meeting: the first whose papers are in time.
  const boardMeeting = event.assignee === 'board' ? await meetingFor(deps, now) : undefined;
  let until: Date;
  if (event.onTimeout.kind === 'remind') {
    // Due from the dated event the step follows (the QIM, the Board meeting), never before it.
    until = responseDue(event.onTimeout.every, now, policy, eventTime(event.onTimeout.after, current, boardMeeting, now));
  } else {
    const deadline = current.deadlines[event.onTimeout.deadline];
    if (!deadline) throw new BadInput(`Case ${current.caseId} has no ${event.onTimeout.deadline} deadline on record`);
    until = new Date(deadline);
  }
  const timeoutSeconds = secondsUntil(now, until);
  const startedAt = new Date(event.execution.startTime).getTime();
  const age = now.getTime() - startedAt;
  const limit = policy.continueAsNewAfterDays * 86_400_000;
  const continueAsNew = age > 86_400_000 && age + timeoutSeconds * 1000 > limit;
  const sameStep = current.waitingOn?.step === event.step;
  await deps.store.updateCase(
    current.caseId,
    (record) => ({
      ...record,
      stage: event.stage === 'failure' ? record.stage : asStage(event.stage),
      stageEnteredAt: record.stage === event.stage ? record.stageEnteredAt : now.toISOString(),
      waitingOn: {
        step: event.step,
        who: event.assignee,
        since: sameStep && record.waitingOn ? record.waitingOn.since : now.toISOString(),
        reminders: sameStep && record.waitingOn ? record.waitingOn.reminders : 0,
      },
      deadlines: {
        ...record.deadlines,
        ...(event.onTimeout.kind === 'remind' ? { response: until.toISOString() } : {}),
        ...(event.assignee === 'board' ? { boardMeeting } : {}),
      },
    }),
    now.toISOString(),
  );
  return { timeoutSeconds, continueAsNew };
}

/** The first scheduled Board meeting at least the papers' notice away, as YYYY-MM-DD. */
async function meetingFor(deps: LadderDeps, now: Date): Promise<string | undefined> {
  const meetings = await listMeetings(deps);
  const upcoming = meetings.filter((meeting) => meeting.status === 'scheduled').map((meeting) => meeting.date);
  return meetingForReferral(upcoming, isoDate(now), deps.config.board.papersDaysBefore);
}

function assigneeId(context: CaseContext, assignee: z.infer<typeof waitFields.assignee>): string {
  return assignee === 'leadOfficer' ? context.record.leadOfficer : assignee;
}

/** Stores the pending task with its token, supersedes older ones, and asks the right people. */
async function requestDecision(deps: LadderDeps, event: Extract<WorkflowEvent, { action: 'requestDecision' }>) {
  const now = deps.clock.now();
  const context = await loadCase(deps, event.state.caseId);
  const taskId = randomBytes(12).toString('base64url');
  const assignee = assigneeId(context, event.assignee);
  // Links last the configured days, or as long as the step itself waits if that is longer (a
  // final warning's six months): a safeguarding link must not die while the step still waits.
  const waitSeconds = event.state.wait?.timeoutSeconds ?? 0;
  const expiresAt = new Date(Math.max(addDays(now, deps.config.policy.linkExpiryDays).getTime(), now.getTime() + waitSeconds * 1000));
  for (const task of await deps.store.listTasks(context.record.caseId)) {
    if (task.status === 'pending') {
      await deps.store.transitionTask(task.taskId, 'pending', { status: 'superseded', closedAt: now.toISOString() });
    }
  }
  // A decision recorded at this step that never reached the workflow (its token died: a reminder
  // fired, or the execution was lost and resumed from the record) answers this wait: no new request.
  const adopted = await adoptRecordedDecision(deps, context.record.caseId, event.step, event.taskToken);
  if (adopted) return { taskId: adopted.taskId, recordedDecision: true };
  // Refusals parked beside a busy chain (a crowd pressing the last step's link) join it now.
  await deps.store.drainAuditInbox(context.record.caseId).catch((error: unknown) => console.error(`Parked audit events of ${context.record.caseId} not chained yet`, error));
  await deps.store.putTask({
    taskId,
    caseId: context.record.caseId,
    step: event.step,
    assignee,
    allowedDecisions: event.allowedDecisions,
    taskToken: event.taskToken,
    status: 'pending',
    createdAt: now.toISOString(),
    expiresAt: expiresAt.toISOString(),
    executionArn: event.execution.id,
  });
  const record = await deps.store.updateCase(
    context.record.caseId,
    (current) => ({
      ...current,
      pendingTaskId: taskId,
      // Waits without a prepare step (an administrator's retry) still say what the case waits on.
      waitingOn:
        current.waitingOn?.step === event.step
          ? current.waitingOn
          : { step: event.step, who: event.assignee, since: now.toISOString(), reminders: 0 },
    }),
    now.toISOString(),
  );
  const reminder = record.waitingOn?.step === event.step ? record.waitingOn.reminders : 0;
  // A case brought over from the tracker: everyone already knows where it is, so its first wait
  // sends nothing (its reminders carry the links as usual).
  if (record.imported?.quietStep === event.step && reminder === 0) {
    await deps.store.updateCase(record.caseId, (current) => ({ ...current, imported: current.imported ? { ...current.imported, quietStep: undefined } : undefined }), now.toISOString());
    await audit(deps, record.caseId, 'decision requested', { step: event.step, assignee, allowedDecisions: event.allowedDecisions, taskId, sent: 'nothing (case imported from the tracker)' });
    return { taskId };
  }
  await audit(deps, record.caseId, 'decision requested', { step: event.step, assignee, allowedDecisions: event.allowedDecisions, taskId });

  // A deadline step (the review) is due at its deadline; the others within their response time.
  const due = event.onTimeout?.kind === 'deadline' ? record.deadlines[event.onTimeout.deadline] : record.deadlines.response;
  const dueBy = longDate(due ?? expiresAt);
  const links = (officer: string, decisions: string[]) =>
    decisions.map((decision) => ({
      label: DECISION_LABELS[decision] ?? decision,
      url: deps.config.authority.baseUrl + signLink(deps.signingKey, { taskId, officer, decision, expiresAt }),
    }));
  const url = caseUrl(deps, record.caseId);

  switch (event.assignee) {
    case 'leadOfficer':
    case 'administrator': {
      const to = event.assignee === 'leadOfficer' ? context.officer.email : deps.config.mail.administrator;
      // From the third reminder on, the quality team is copied: a step must not wait unnoticed.
      const cc = reminder >= ESCALATE_AFTER_REMINDERS ? [deps.config.mail.qualityTeam] : [];
      const letter = letters.decisionRequest(
        context.facts,
        { step: event.step, asks: event.asks, links: links(assignee, event.allowedDecisions), dueBy, reminder, caseUrl: url },
        event.assignee === 'leadOfficer' ? context.officer.name : 'administrator',
      );
      try {
        await send(deps, { caseId: record.caseId, kind: reminder ? 'reminder' : 'decisionRequest', to: [to], cc, ...letter });
      } catch (error) {
        // The administrator's request to retry a failed step is the last resort: if SES will not
        // take it (an unverified recipient in the sandbox, say), the case must still wait — with
        // the reason on its page, where the retry is offered too. A passing fault (throttling)
        // is recorded and retried by the state machine.
        if (event.assignee !== 'administrator' || !isMailFailure(error)) throw error;
        await noteMailProblem(deps, record.caseId, { step: event.step, to: [to, ...cc], reason: error.message });
        if (error instanceof EmailSendFailed) throw error;
        return { taskId };
      }
      break;
    }
    case 'safeguarding': {
      const left = context.record.returnStep ?? context.record.returnStage;
      const note = left ? `The case left "${left}" and will go back to it.` : '';
      const letter = letters.safeguardingReferral(context.facts, note, links('safeguarding', event.allowedDecisions), url);
      await send(deps, { caseId: record.caseId, kind: reminder ? 'reminder' : 'safeguardingReferral', to: [deps.config.mail.safeguardingTeam], cc: [context.officer.email], ...letter });
      break;
    }
    case 'board': {
      // Listed by the prepare step, which counted the Board's due date from it.
      const meeting = record.deadlines.boardMeeting;
      const letter = letters.boardPapers(context.facts, {
        reason: `${event.asks}${reminder ? ` (reminder ${reminder}: still awaiting a decision)` : ''}`,
        history: boardHistory(record),
        meeting: meeting ? longDate(meeting) : undefined,
        plan: record.improvementPlan,
        caseUrl: url,
        providerSide: providerSideLines(await providerSide(deps, record.caseId)),
      });
      await send(deps, { caseId: record.caseId, kind: reminder ? 'reminder' : 'boardPapers', to: boardEmails(deps), ...letter });
      if (!reminder) await offerSafeguarding(deps, context, event, links(record.leadOfficer, ['safeguarding']), url);
      break;
    }
    case 'inspection': {
      // Ingestion answers this step; the lead officer can still pass the case to safeguarding,
      // and hears again when a check-in falls due.
      if (!reminder) await offerSafeguarding(deps, context, event, links(record.leadOfficer, ['safeguarding']), url);
      if (reminder > 0) {
        const letter = letters.decisionRequest(
          context.facts,
          { step: event.step, asks: `${event.asks} No new inspection has been published yet.`, links: links(record.leadOfficer, ['safeguarding']), dueBy, reminder, caseUrl: url },
          context.officer.name,
        );
        await send(deps, { caseId: record.caseId, kind: 'reminder', to: [context.officer.email], ...letter });
      }
      break;
    }
  }
  // The mail went: a problem noted before is over.
  if (record.mailProblem) await deps.store.updateCase(record.caseId, (current) => ({ ...current, mailProblem: undefined }), nowIso(deps));
  return { taskId };
}

function isMailFailure(error: unknown): error is EmailSendFailed | EmailRejected {
  return error instanceof EmailSendFailed || error instanceof EmailRejected;
}

/** Mail the case needed did not go: on the record (the case page shows it) and in the audit trail. */
async function noteMailProblem(deps: LadderDeps, caseId: string, problem: { step: string; to: string[]; reason: string }): Promise<void> {
  const now = nowIso(deps);
  await deps.store.updateCase(caseId, (current) => ({ ...current, mailProblem: { at: now, ...problem } }), now);
  await audit(deps, caseId, 'email not sent', { step: problem.step, to: problem.to.join(', '), reason: problem.reason });
}

/** While a step waits on the Board or on CQC, the lead officer keeps a way to safeguarding. */
async function offerSafeguarding(
  deps: LadderDeps,
  context: CaseContext,
  event: Extract<WorkflowEvent, { action: 'requestDecision' }>,
  links: letters.DecisionLink[],
  url: string,
): Promise<void> {
  const letter = letters.safeguardingOption(context.facts, event.step, event.asks, links, url);
  await send(deps, { caseId: context.record.caseId, kind: 'safeguardingOption', to: [context.officer.email], ...letter });
}

function boardHistory(record: Case): string[] {
  return [
    `Case opened ${longDate(record.openedAt)}: ${record.trigger}`,
    `Quality Improvement Meetings held: ${record.qimCount}`,
    ...(record.commissioningPosition ? [`Commissioning position: ${POSITION_LABELS[record.commissioningPosition].toLowerCase()}`] : []),
    ...(record.finalWarningIssuedAt ? [`Final warning issued ${longDate(record.finalWarningIssuedAt)}`] : []),
    ...(record.deadlines.finalWarning ? [`Final warning deadline ${longDate(record.deadlines.finalWarning)}`] : []),
    ...(record.lastInspection ? [`Latest inspection: ${record.lastInspection.belowGood ? 'below Good' : 'Good or better'} (${longDate(record.lastInspection.at)})`] : []),
  ];
}

/** Reminders after which the quality team is copied on every further one. */
export const ESCALATE_AFTER_REMINDERS = 3;

export const DECISION_LABELS: Record<string, string> = {
  noFurtherAction: 'No further action: close the case',
  formalStage: 'Move to the formal stage',
  approve: 'Approve and send the notice',
  arranged: 'Record the meeting arrangements and send the invitation',
  resolved: 'Resolved: reinstate contract visits and close',
  followUp: 'Hold a follow-up QIM',
  referToBoard: 'Refer to the Commissioning & Quality Board',
  safeguarding: 'Pass to safeguarding (whole-service concern)',
  returnToQualityProcess: 'Return the case to the quality process',
  notSustained: 'Improvement has not lasted: back to the Board',
  sustained: 'Improvement sustained: close the case',
  retry: 'Retry the failed step',
  rectificationNotice: 'Issue a rectification notice',
  finalWarning: 'Issue a final warning',
  backToQualityProcess: 'Back to the quality process',
  close: 'Close the case',
  terminate: 'Terminate the contract',
  improvementAccepted: 'Accept the improvement',
  ratedGood: 'Next inspection rated Good',
  ratedBelowGood: 'Next inspection rated below Good',
  shareWithHostAuthority: 'Approve and send the letter to the host authority',
  informalStage: 'Take it through our own informal stage instead',
};

async function noteReminderDue(deps: LadderDeps, event: Extract<WorkflowEvent, { action: 'noteReminderDue' }>): Promise<WorkflowState> {
  const now = nowIso(deps);
  const current = await deps.store.getCase(event.state.caseId);
  // A decision recorded just as the step timed out is not a reminder: the next wait takes it.
  const answered = current?.pendingTaskId ? !(await deps.store.transitionTask(current.pendingTaskId, 'pending', { status: 'timedOut', closedAt: now })) && (await deps.store.getTask(current.pendingTaskId))?.status === 'decided' : false;
  const record = await deps.store.updateCase(
    event.state.caseId,
    (value) => ({
      ...value,
      waitingOn: value.waitingOn && !answered ? { ...value.waitingOn, reminders: value.waitingOn.reminders + 1 } : value.waitingOn,
    }),
    now,
  );
  if (answered) {
    await audit(deps, record.caseId, 'reminder not needed: a decision was recorded as the step timed out', { step: event.step });
    return next(record);
  }
  await audit(deps, record.caseId, 'reminder due', { step: event.step, reminders: record.waitingOn?.reminders ?? 1 });
  return next(record);
}

async function recordFailure(deps: LadderDeps, event: Extract<WorkflowEvent, { action: 'recordFailure' }>): Promise<WorkflowState> {
  const now = nowIso(deps);
  const error = [event.state.failure?.Error, event.state.failure?.Cause].filter(Boolean).join(': ') || 'unknown error';
  const record = await deps.store.updateCase(event.state.caseId, (value) => ({ ...value, lastFailure: { at: now, step: event.step, error } }), now);
  await audit(deps, record.caseId, 'step failed', { step: event.step, error });
  const context = await loadCase(deps, record.caseId);
  try {
    const letter = letters.stepFailureAlert(context.facts, event.step, error, caseUrl(deps, record.caseId));
    await send(deps, { caseId: record.caseId, kind: 'failureAlert', to: [deps.config.mail.administrator], cc: [context.officer.email], ...letter });
  } catch (alertError) {
    // The alert can fail for the same reason as the step (SES down): the case page still shows it.
    await audit(deps, record.caseId, 'failure alert not sent', { error: (alertError as Error).message });
    if (isMailFailure(alertError)) {
      const now = nowIso(deps);
      const mailProblem = { at: now, step: event.step, to: [deps.config.mail.administrator, context.officer.email], reason: alertError.message };
      await deps.store.updateCase(record.caseId, (value) => ({ ...value, mailProblem }), now);
    }
  }
  return next(record);
}

type ActionEvent = Exclude<WorkflowEvent, { action: 'prepareWait' | 'requestDecision' | 'noteReminderDue' | 'recordFailure' }>;
type Action = (deps: LadderDeps, context: CaseContext, state: WorkflowState, event: ActionEvent) => Promise<WorkflowState>;

const ACTIONS: Record<ActionEvent['action'], Action> = {
  async sendLetterToHostAuthority(deps, context, state) {
    return next(await letterChangedAsksAgain(deps, state, () => sendLetterToHostAuthority(deps, context, state.decision?.details)), state.decision);
  },

  async sendPartnershipLetter(deps, context, state) {
    return next(await letterChangedAsksAgain(deps, state, () => sendPartnershipLetter(deps, context, state.decision?.details)));
  },

  async confirmInformalOutcome(deps, context, state) {
    const decision = requireDecision(state);
    const outcome = decision.decision === 'formalStage' ? 'formalStage' : 'noFurtherAction';
    const recipients = providerRecipients(context);
    const letter = letters.informalOutcomeConfirmation(context.facts, outcome, decision.note);
    await send(deps, { caseId: context.record.caseId, kind: 'informalOutcome', to: recipients.registeredManager, cc: [...recipients.nominatedIndividual, context.officer.email], ...letter });
    const record = await deps.store.updateCase(context.record.caseId, (value) => ({ ...value, outcome: outcome === 'noFurtherAction' ? 'No further action after informal contact' : value.outcome }), nowIso(deps));
    await audit(deps, record.caseId, 'informal outcome confirmed to provider', { outcome });
    return next(record, decision);
  },

  async sendQualityImprovementNotice(deps, context, state) {
    const emails = await letterChangedAsksAgain(deps, state, async () => approvedLetters(qualityImprovementNoticeEmails(deps, asApproved(context, state.decision?.details)), state.decision?.details, context.record.caseId));
    for (const email of emails) await send(deps, email);
    // Out of county: the council makes no contract visits there, so there are none to suspend.
    if (context.contract && !context.contract.outOfCounty) {
      await deps.store.updateContract(context.contract.contractId, (contract) => ({ ...contract, contractVisits: 'suspended' }));
    }
    const record = await deps.store.updateCase(context.record.caseId, (value) => ({ ...value, stage: 'formal' }), nowIso(deps));
    await audit(deps, record.caseId, 'formal quality improvement notice sent; contract visits suspended', { contractPerformanceNotice: Boolean(context.contract?.nhsFundedNursing) });
    return next(record);
  },

  async sendQimInvitation(deps, context, state) {
    const decision = requireDecision(state);
    const qim = qimArrangementSchema.parse(decision.details.qim ?? decision.details);
    const recipients = providerRecipients(context);
    const letter = letters.qimInvitation(context.facts, qim);
    await send(deps, { caseId: context.record.caseId, kind: 'qimInvitation', to: recipients.registeredManager, cc: [...recipients.nominatedIndividual, context.officer.email], ...letter });
    const record = await deps.store.updateCase(context.record.caseId, (value) => ({ ...value, stage: 'qim', qim, qimCount: value.qimCount + 1 }), nowIso(deps));
    await audit(deps, record.caseId, 'QIM invitation sent', { ...qim });
    return next(record);
  },

  async applyQimOutcome(deps, context, state) {
    const decision = requireDecision(state);
    const outcome = qimOutcomeSchema.parse(decision.details);
    const now = nowIso(deps);
    const record = await deps.store.updateCase(
      context.record.caseId,
      (value) => ({
        ...value,
        commissioningPosition: outcome.position,
        memo: memoAfter(outcome.position, value.memo, now),
        serviceUsersInformed: value.serviceUsersInformed || outcome.informServiceUsers,
        improvementPlan: outcome.actions,
      }),
      now,
    );
    const recipients = providerRecipients(context);
    const notes = letters.qimNotesAndActions(context.facts, {
      decision: decision.decision as 'resolved' | 'followUp' | 'referToBoard',
      position: outcome.position,
      informServiceUsers: outcome.informServiceUsers,
      actions: outcome.actions,
      note: decision.note,
    });
    await send(deps, { caseId: record.caseId, kind: 'qimNotes', to: recipients.registeredManager, cc: [...recipients.nominatedIndividual, context.officer.email], ...notes });
    if (outcome.informServiceUsers && context.contacts.familiesContact) {
      const letter = letters.letterToServiceUsers(context.facts, 'concerns');
      await send(deps, { caseId: record.caseId, kind: 'letterToServiceUsers', to: [context.contacts.familiesContact.email], ...letter });
    }
    await audit(deps, record.caseId, 'QIM outcome applied', { decision: decision.decision, position: outcome.position, memo: record.memo?.rag, actions: outcome.actions.length });
    return next(record, decision);
  },

  async reinstateContractVisits(deps, context, state) {
    if (context.contract && !context.contract.outOfCounty) {
      await deps.store.updateContract(context.contract.contractId, (contract) => ({ ...contract, contractVisits: 'scheduled' }));
    }
    const now = nowIso(deps);
    const record = await deps.store.updateCase(
      context.record.caseId,
      (value) => ({ ...value, commissioningPosition: 'noFurtherAction', memo: memoAfter('noFurtherAction', value.memo, now), outcome: 'Resolved at the Quality Improvement Meeting' }),
      now,
    );
    if (record.serviceUsersInformed && context.contacts.familiesContact) {
      const letter = letters.letterToServiceUsers(context.facts, 'resolved');
      await send(deps, { caseId: record.caseId, kind: 'letterToServiceUsers', to: [context.contacts.familiesContact.email], ...letter });
    }
    await audit(deps, record.caseId, 'contract visits reinstated', {});
    return next(record, state.decision);
  },

  async referToBoard(deps, context) {
    const recipients = providerRecipients(context);
    const letter = letters.serviceProviderDefault(context.facts, context.record.improvementPlan);
    await send(deps, { caseId: context.record.caseId, kind: 'serviceProviderDefault', to: recipients.nominatedIndividual, cc: [...recipients.registeredManager, context.officer.email], ...letter });
    // Before the Board considers it: the provider gets the grounds and a link to respond.
    await inviteEvidenceResponse(deps, context);
    const record = await deps.store.updateCase(context.record.caseId, (value) => ({ ...value, stage: 'board' }), nowIso(deps));
    await audit(deps, record.caseId, 'referred to the Board; provider notified of default', {});
    return next(record);
  },

  async sendRectificationNotice(deps, context, state) {
    const recipients = boardLetterRecipients(context);
    const letter = letters.rectificationNotice(context.facts, boardChair(deps));
    await send(deps, { caseId: context.record.caseId, kind: 'rectificationNotice', to: recipients.to, cc: [...recipients.cc, ...boardEmails(deps)], ...letter });
    const record = await deps.store.updateCase(context.record.caseId, (value) => ({ ...value, stage: 'rectification' }), nowIso(deps));
    await audit(deps, record.caseId, 'rectification notice sent on behalf of the chair', { decidedBy: state.decision?.by });
    return next(record);
  },

  async reportInspectionToBoard(deps, context, state) {
    const decision = requireDecision(state);
    const record = await deps.store.updateCase(context.record.caseId, (value) => ({ ...value, stage: 'board' }), nowIso(deps));
    await audit(deps, record.caseId, 'next inspection reported to the Board', { result: decision.decision });
    return next(record);
  },

  async sendFinalWarningNotice(deps, context, state) {
    const now = deps.clock.now();
    const deadline = addCalendarMonths(now, deps.config.policy.finalWarningMonths);
    const recipients = boardLetterRecipients(context);
    const meetingDate = boardMeetingDate(state, now);
    const letter = letters.finalWarningNotice(context.facts, boardChair(deps), meetingDate, longDate(deadline));
    await send(deps, {
      caseId: context.record.caseId,
      kind: 'finalWarningNotice',
      to: recipients.to,
      cc: [deps.config.mail.procurementTeam, ...boardEmails(deps), ...recipients.cc],
      ...letter,
    });
    const record = await deps.store.updateCase(
      context.record.caseId,
      (value) => ({ ...value, stage: 'finalWarning', finalWarningIssuedAt: now.toISOString(), deadlines: { ...value.deadlines, finalWarning: deadline.toISOString() } }),
      now.toISOString(),
    );
    await audit(deps, record.caseId, 'final warning notice sent', { deadline: deadline.toISOString() });
    return next(record);
  },

  async referFinalWarningDeadline(deps, context) {
    const record = await deps.store.updateCase(context.record.caseId, (value) => ({ ...value, stage: 'finalDecision' }), nowIso(deps));
    await audit(deps, record.caseId, 'final warning deadline reached: referred to the Board for its final decision', { deadline: record.deadlines.finalWarning });
    return next(record);
  },

  async startSustainabilityReview(deps, context) {
    const now = deps.clock.now();
    const review = addCalendarMonths(now, deps.config.policy.reviewMonths);
    const recipients = boardLetterRecipients(context);
    const letter = letters.sustainabilityReviewNotice(context.facts, longDate(review));
    await send(deps, { caseId: context.record.caseId, kind: 'sustainabilityReview', to: recipients.to, cc: recipients.cc, ...letter });
    const record = await deps.store.updateCase(
      context.record.caseId,
      (value) => ({ ...value, stage: 'review', deadlines: { ...value.deadlines, review: review.toISOString() } }),
      now.toISOString(),
    );
    await audit(deps, record.caseId, 'improvement accepted; sustainability review scheduled', { review: review.toISOString() });
    return next(record);
  },

  async sendLetterOfTermination(deps, context, state) {
    const now = nowIso(deps);
    const recipients = boardLetterRecipients(context);
    const terms = terminationTerms(deps, context, state);
    const letter = letters.letterOfTermination(context.facts, boardChair(deps), terms);
    await send(deps, {
      caseId: context.record.caseId,
      kind: 'letterOfTermination',
      to: recipients.to,
      cc: [...recipients.cc, deps.config.mail.procurementTeam, ...boardEmails(deps)],
      ...letter,
    });
    if (context.contacts.familiesContact) {
      const families = letters.letterToServiceUsers(nextLetter(context.facts), 'termination');
      await send(deps, { caseId: context.record.caseId, kind: 'letterToServiceUsers', to: [context.contacts.familiesContact.email], ...families });
    }
    if (context.contract) {
      await deps.store.updateContract(context.contract.contractId, (contract) => ({ ...contract, status: 'terminated', placementsStopped: true }));
    }
    const record = await deps.store.updateCase(
      context.record.caseId,
      (value) => ({
        ...value,
        stage: 'termination',
        commissioningPosition: 'suspendNewPlacements',
        memo: memoAfter('suspendNewPlacements', value.memo, now),
        outcome: 'Contract terminated',
      }),
      now,
    );
    await audit(deps, record.caseId, 'letter of termination sent; placements stopped; contract terminated', { noticeDays: terms.noticeDays, endsOn: terms.endDate, boardMeeting: terms.boardMeetingDate });
    return next(record);
  },

  async transferToSafeguarding(deps, context, state) {
    const decision = requireDecision(state);
    const record = await deps.store.updateCase(
      context.record.caseId,
      (value) => ({ ...value, returnStage: value.stage, returnStep: decision.step, stage: 'safeguarding' }),
      nowIso(deps),
    );
    await audit(deps, record.caseId, 'passed to safeguarding', { from: record.returnStage, step: decision.step, note: decision.note });
    return next(record);
  },

  async returnFromSafeguarding(deps, context) {
    const back = context.record.returnStage ?? 'informal';
    const step = context.record.returnStep;
    const record = await deps.store.updateCase(
      context.record.caseId,
      (value) => ({ ...value, stage: back, returnStage: undefined, returnStep: undefined }),
      nowIso(deps),
    );
    await audit(deps, record.caseId, 'returned from safeguarding', { stage: back, step });
    return { caseId: record.caseId, stage: back, ...(step ? { resumeAt: step } : {}) };
  },

  async closeCase(deps, context, state) {
    const now = nowIso(deps);
    const terminated = context.record.stage === 'termination';
    // Shared with the host authority: the provider was never written to, so it is not now.
    const shared = context.record.stage === 'hostAuthority';
    if (!terminated && context.contract?.contractVisits === 'suspended') {
      await deps.store.updateContract(context.contract.contractId, (contract) => ({ ...contract, contractVisits: 'scheduled' }));
    }
    const record = await deps.store.updateCase(
      context.record.caseId,
      (value) => ({
        ...value,
        status: 'closed',
        stage: 'closed',
        closedAt: now,
        outcome: value.outcome ?? (state.decision ? `Closed: ${DECISION_LABELS[state.decision.decision] ?? state.decision.decision}` : 'Closed'),
        memo: terminated ? value.memo : memoAfter('noFurtherAction', value.memo, now),
        waitingOn: undefined,
        pendingTaskId: undefined,
      }),
      now,
    );
    await deps.store.unlockLocation(record.locationId, record.caseId);
    if (!terminated && !shared) {
      const recipients = providerRecipients(context);
      const letter = letters.caseClosedNotice(context.facts, record.outcome ?? 'the concerns have been addressed.');
      await send(deps, { caseId: record.caseId, kind: 'caseClosed', to: recipients.registeredManager, cc: [...recipients.nominatedIndividual, context.officer.email], ...letter });
    }
    await audit(deps, record.caseId, 'case closed', { outcome: record.outcome });
    return next(record);
  },

  async continueAsNew(deps, context, _state, event) {
    const step = context.record.waitingOn?.step;
    // The next generation follows from this execution's own name, so a retried step (after the
    // record was already updated) asks for the same execution again instead of another one.
    const current = /-g(\d+)$/.exec(event.execution.id)?.[1];
    const generation = (current ? Number(current) : context.record.generation) + 1;
    const name = `${context.record.caseId}-g${generation}`;
    const input = JSON.stringify({ caseId: context.record.caseId, stage: context.record.stage, ...(step ? { resumeAt: step } : {}) });
    let executionArn: string | undefined;
    try {
      const started = await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: event.execution.stateMachineId, name, input }));
      executionArn = started.executionArn;
    } catch (error) {
      // A retry after a crash finds the execution already started: that one carries on.
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
      executionArn = event.execution.stateMachineId.replace(':stateMachine:', ':execution:') + `:${name}`;
    }
    const now = nowIso(deps);
    const record = await deps.store.updateCase(
      context.record.caseId,
      (value) => ({
        ...value,
        generation: Math.max(value.generation, generation),
        executions: value.executions.some((item) => item.executionArn === executionArn)
          ? value.executions
          : [...value.executions, { executionArn: executionArn!, startedAt: now }],
      }),
      now,
    );
    await audit(deps, record.caseId, 'continued as a new execution', { from: event.execution.id, to: executionArn, step });
    return next(record);
  },
};

export async function runWorkflowStep(deps: LadderDeps, event: WorkflowEvent): Promise<unknown> {
  switch (event.action) {
    case 'prepareWait':
      return prepareWait(deps, event);
    case 'requestDecision':
      return requestDecision(deps, event);
    case 'noteReminderDue':
      return noteReminderDue(deps, event);
    case 'recordFailure':
      return recordFailure(deps, event);
    default: {
      // A retried action (the second of its letters failed, say) must not send the first again.
      // The scope is this action for the decision that led to it: a retry (Step Functions' own, or
      // the administrator's after a failure) sends only what is still missing.
      const trigger = event.state.decision?.at ?? event.execution.stateEnteredTime ?? '';
      const scoped: LadderDeps = { ...deps, sendScope: `${event.execution.id}|${event.action}|${trigger}` };
      const context = await loadCase(scoped, event.state.caseId);
      return ACTIONS[event.action](scoped, context, event.state, event as ActionEvent);
    }
  }
}
