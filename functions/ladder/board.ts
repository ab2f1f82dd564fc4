/**
 * The Commissioning & Quality Board: meetings (scheduled, then held with attendees), quorum as the
 * terms of reference define it, and decisions that resume a case's workflow through its task token.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { keys } from '../lib/table';
import { calendarDate } from '../lib/dates';
import { addDays, isoDate } from '../lib/clock';
import { assessQuorum, NotQuorate } from '../lib/quorum';
import { BadInput, Conflict, NotFound } from '../lib/errors';
import { nowIso, type LadderDeps } from './context';
import { completeTask } from './complete-task';

export const meetingSchema = z.object({
  meetingId: z.string(),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  status: z.enum(['scheduled', 'held']),
  /** Urgent decisions by email or call are still Board decisions, recorded as virtual meetings. */
  virtual: z.boolean().default(false),
  attendees: z.array(z.string()).default([]),
  quorate: z.boolean().default(false),
  missingRoles: z.array(z.string()).default([]),
  /** Minutes from a quorate meeting; notes (no decisions) from a non-quorate one. */
  record: z.enum(['minutes', 'notes']).optional(),
  notes: z.string().default(''),
  decisions: z
    .array(z.object({ caseId: z.string(), decision: z.string(), rationale: z.string(), at: z.string(), by: z.string() }))
    .default([]),
  recordedBy: z.string().optional(),
});
export type Meeting = z.infer<typeof meetingSchema>;

export const scheduleMeetingSchema = z.object({ date: calendarDate });

export const recordMeetingSchema = z.object({
  meetingId: z.string().optional(),
  date: calendarDate,
  attendees: z.array(z.string().min(1).max(100)).max(50),
  virtual: z.boolean().default(false),
  notes: z.string().max(20_000).default(''),
});

export const boardDecisionSchema = z.object({
  meetingId: z.string().min(1).max(100),
  caseId: z.string().min(1).max(200),
  decision: z.string().min(1).max(100),
  rationale: z.string().min(1, 'a rationale is required').max(20_000),
});

async function saveMeeting(deps: LadderDeps, meeting: Meeting): Promise<void> {
  await deps.store.putRaw(keys.meeting(meeting.meetingId), { gsi1pk: 'MEETINGS', gsi1sk: `${meeting.date}#${meeting.meetingId}` }, meeting);
}

/** Two decisions at one meeting at the same moment: both are kept (re-read and retry on a clash). */
async function appendMeetingDecision(deps: LadderDeps, meetingId: string, decision: Meeting['decisions'][number]): Promise<void> {
  for (let attempt = 0; attempt < 8; attempt += 1) {
    const raw = await deps.store.getRaw(keys.meeting(meetingId));
    if (!raw) throw new NotFound(`Board meeting ${meetingId} does not exist`);
    const meeting = meetingSchema.parse(raw);
    const version = typeof raw.version === 'number' ? raw.version : undefined;
    const written = await deps.store.putVersioned(
      keys.meeting(meetingId),
      { gsi1pk: 'MEETINGS', gsi1sk: `${meeting.date}#${meetingId}` },
      { ...meeting, decisions: [...meeting.decisions, decision] },
      version,
    );
    if (written) return;
  }
  throw new Conflict(`Board meeting ${meetingId} kept changing; the decision is recorded on the case but not yet on the meeting`);
}

export async function listMeetings(deps: LadderDeps): Promise<Meeting[]> {
  const items = await deps.store.listRaw('MEETINGS');
  return items.map((item) => meetingSchema.parse(item)).sort((a, b) => a.date.localeCompare(b.date));
}

export async function getMeeting(deps: LadderDeps, meetingId: string): Promise<Meeting> {
  const item = await deps.store.getRaw(keys.meeting(meetingId));
  if (!item) throw new NotFound(`Board meeting ${meetingId} does not exist`);
  return meetingSchema.parse(item);
}

export async function scheduleMeeting(deps: LadderDeps, input: z.infer<typeof scheduleMeetingSchema>): Promise<Meeting> {
  if (input.date < isoDate(deps.clock.now())) throw new BadInput(`A meeting cannot be scheduled in the past (${input.date})`);
  const meeting: Meeting = meetingSchema.parse({ meetingId: `M-${input.date}-${randomBytes(3).toString('hex')}`, date: input.date, status: 'scheduled' });
  await saveMeeting(deps, meeting);
  return meeting;
}

/** Records who attended; quorum decides whether the record is minutes or only notes. */
export async function recordMeeting(deps: LadderDeps, input: z.infer<typeof recordMeetingSchema>, by: string): Promise<Meeting> {
  if (input.date > isoDate(deps.clock.now())) throw new BadInput(`A meeting on ${input.date} has not happened yet: record it on the day or after`);
  const assessment = assessQuorum(deps.config.board.members, input.attendees);
  if (assessment.unknownAttendees.length) {
    throw new BadInput(`Not Board members: ${assessment.unknownAttendees.join(', ')}`);
  }
  const existing = input.meetingId ? await getMeeting(deps, input.meetingId) : undefined;
  if (existing?.status === 'held') throw new Conflict(`Board meeting ${existing.meetingId} has already been recorded`);
  const meeting: Meeting = {
    ...(existing ?? meetingSchema.parse({ meetingId: `M-${input.date}-${randomBytes(3).toString('hex')}`, date: input.date, status: 'held' })),
    date: input.date,
    status: 'held',
    virtual: input.virtual,
    attendees: input.attendees,
    quorate: assessment.quorate,
    missingRoles: assessment.missingRoles,
    record: assessment.quorate ? 'minutes' : 'notes',
    notes: input.notes,
    recordedBy: by,
  };
  await saveMeeting(deps, meeting);
  return meeting;
}

/** A Board decision for a case waiting on the Board; refused unless the meeting was quorate. */
export async function recordBoardDecision(
  deps: LadderDeps,
  input: z.infer<typeof boardDecisionSchema>,
  by: string,
  source: string | undefined,
): Promise<{ caseId: string; decision: string }> {
  const meeting = await getMeeting(deps, input.meetingId);
  const record = await deps.store.getCase(input.caseId);
  if (!record) throw new NotFound(`Case ${input.caseId} does not exist`);
  const refuse = async (error: Error) => {
    await deps.store.appendAudit({
      caseId: input.caseId,
      at: nowIso(deps),
      actor: by,
      action: 'Board decision refused',
      detail: { meetingId: input.meetingId, decision: input.decision, reason: error.message },
      source,
    });
    return error;
  };
  if (meeting.status !== 'held' || !meeting.quorate) {
    const assessment = assessQuorum(deps.config.board.members, meeting.attendees);
    throw await refuse(new NotQuorate(assessment.missingRoles, assessment.present.length));
  }
  const task = record.pendingTaskId ? await deps.store.getTask(record.pendingTaskId) : undefined;
  const waitingOnBoard = task && task.status === 'pending' && (task.assignee === 'board' || task.assignee === 'inspection');
  if (!waitingOnBoard) {
    throw await refuse(new Conflict(`Case ${record.caseId} is not waiting for a Board decision (it is at: ${record.waitingOn?.step ?? record.stage})`));
  }
  // Safeguarding is the officers' call, and an inspection's result comes from CQC, not the Board.
  const boardDecisions = task.allowedDecisions.filter((decision) => decision !== 'safeguarding' && !decision.startsWith('rated'));
  if (!boardDecisions.includes(input.decision)) {
    throw await refuse(new BadInput(`"${input.decision}" is not a decision the Board can take at "${task.step}". Allowed: ${boardDecisions.join(', ')}`));
  }
  // The meeting must come after the papers: on or after the day they went out, and (unless the
  // decision is an urgent virtual one) at least the papers' notice later.
  // Since the case began waiting at this step (reminders re-send the papers but do not move it).
  const papersSent = (record.waitingOn?.step === task.step ? record.waitingOn.since : task.createdAt).slice(0, 10);
  if (meeting.date < papersSent) {
    throw await refuse(new Conflict(`The meeting of ${meeting.date} was before this case came to the Board (${papersSent}); record the decision at a later meeting`));
  }
  const earliest = isoDate(addDays(new Date(`${papersSent}T00:00:00Z`), deps.config.board.papersDaysBefore));
  if (!meeting.virtual && meeting.date < earliest) {
    throw await refuse(
      new Conflict(
        `Members had the papers only on ${papersSent}: a meeting must be at least ${deps.config.board.papersDaysBefore} days later (${earliest} or after). An urgent decision can be taken as a virtual meeting.`,
      ),
    );
  }
  await completeTask(deps, task, { decision: input.decision, by, note: input.rationale, details: { meetingId: meeting.meetingId, meetingDate: meeting.date, virtual: meeting.virtual } }, source);
  await appendMeetingDecision(deps, meeting.meetingId, { caseId: record.caseId, decision: input.decision, rationale: input.rationale, at: nowIso(deps), by });
  return { caseId: record.caseId, decision: input.decision };
}
