/**
 * Verifying the audit trail against its newest checkpoint. The table's own evidence (each case's
 * hash chain and the head record beside it) shows edits and removals that leave a mark inside the
 * table; the checkpoint — the case count and every chain's head, signed by a key the table's
 * writers cannot read, kept where they cannot rewrite it — shows the rest up to the moment it was
 * written: a case, its record, its head or its newest events deleted, events inserted or the chain
 * re-computed before the checkpointed head.
 *
 * Plain functions over what was read: no I/O here. Each case is checked on its own, so one
 * malformed case is reported and never stops the others being checked.
 */
import { z } from 'zod';
import { verifyChain } from '../lib/audit-chain';
import { auditEventSchema, type AuditEvent } from '../lib/model';

/** What one case has in the table, as read (items not yet trusted to match any schema). */
export interface CaseAuditItems {
  caseId: string;
  hasCaseRecord: boolean;
  /** The AUDITHEAD item, if there is one. */
  head?: Record<string, unknown>;
  /** EVENT# items with the seq their sort key names. */
  events: Array<{ seq: number; item: Record<string, unknown> }>;
}

export const checkpointHeadSchema = z.object({ seq: z.number().int().positive(), hash: z.string().regex(/^[0-9a-f]{64}$/) });
export type CheckpointHead = z.infer<typeof checkpointHeadSchema>;

export const CHECKPOINT_REASONS = ['start', 'schedule', 'request', 'verify'] as const;
export type CheckpointReason = (typeof CHECKPOINT_REASONS)[number];

export const checkpointSchema = z.object({
  version: z.literal(1),
  /** 1, 2, 3… one more than the newest checkpoint seen when it was written. */
  number: z.number().int().positive(),
  writtenAt: z.string(),
  reason: z.enum(CHECKPOINT_REASONS),
  caseCount: z.number().int().nonnegative(),
  heads: z.record(z.string(), checkpointHeadSchema),
  /** SHA-256 of the previous checkpoint's signed text, or null for the first. */
  previous: z.string().nullable(),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

export const FINDING_REASONS = [
  // from a chain itself
  'hash-mismatch',
  'broken-link',
  'gap',
  'out-of-order',
  'malformed-event',
  // from the records beside it
  'missing-case-record',
  'missing-head',
  'head-mismatch',
  'events-beyond-head',
  'truncated',
  // from the checkpoint
  'rewritten',
  'case-missing',
  'case-count',
  'unverifiable',
] as const;
export type FindingReason = (typeof FINDING_REASONS)[number];

export const auditFindingSchema = z.object({
  caseId: z.string(),
  seq: z.number().int().optional(),
  reason: z.enum(FINDING_REASONS),
  message: z.string(),
});
export type AuditFinding = z.infer<typeof auditFindingSchema>;

export const auditReportSchema = z.object({
  ok: z.boolean(),
  checkedAt: z.string(),
  /**
   * Audit chains found in the table (a record, a head or events): one per case, and one per
   * contract and per provider whose register entries or contacts were written.
   */
  cases: z.number().int(),
  events: z.number().int(),
  /** The checkpoint compared against, or null when there is none yet (chains checked on their own). */
  checkpoint: z.object({ number: z.number().int(), writtenAt: z.string(), cases: z.number().int() }).nullable(),
  /** Cases opened since that checkpoint: checked by their own chain and head only. */
  casesSinceCheckpoint: z.number().int(),
  /** Checkpoint files that are not valid signed checkpoints (forged or damaged). */
  checkpointProblems: z.array(z.object({ name: z.string(), problem: z.string() })),
  breaks: z.array(auditFindingSchema),
  /** The checkpoint written after this verify. */
  written: z.object({ number: z.number().int(), cases: z.number().int() }).optional(),
});
export type AuditReport = z.infer<typeof auditReportSchema>;

export interface VerifyResult {
  report: AuditReport;
  /** The heads the next checkpoint records: a case with a finding keeps its checkpointed head. */
  nextHeads: Record<string, CheckpointHead>;
}

const KEY_FIELDS = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk']);
function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([key]) => !KEY_FIELDS.has(key)));
}

interface CaseResult {
  findings: AuditFinding[];
  events: number;
  /** The newest well-formed event, if any. */
  last?: AuditEvent;
}

function checkCase(items: CaseAuditItems, checkpointed: CheckpointHead | undefined, checkpoint: Checkpoint | undefined): CaseResult {
  const { caseId } = items;
  const findings: AuditFinding[] = [];
  const add = (reason: FindingReason, message: string, seq?: number) => findings.push({ caseId, ...(seq === undefined ? {} : { seq }), reason, message });
  const since = checkpoint ? `the checkpoint of ${checkpoint.writtenAt} (#${checkpoint.number})` : '';

  if (!items.hasCaseRecord && items.events.length === 0 && !items.head) {
    if (checkpointed) add('case-missing', `The case is gone from the table: its record, head and all ${checkpointed.seq} events that ${since} recorded`);
    return { findings, events: 0 };
  }
  if (!items.hasCaseRecord) add('missing-case-record', 'The case record is missing while its audit trail remains');

  // Each event as stored: it must be a whole audit event, of this case, under its own seq.
  const parsed: AuditEvent[] = [];
  const malformed = new Set<number>();
  for (const { seq, item } of [...items.events].sort((a, b) => a.seq - b.seq)) {
    const result = auditEventSchema.safeParse(withoutKeys(item));
    const problem = !result.success
      ? result.error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`).join('; ')
      : result.data.caseId !== caseId
        ? `it names case ${result.data.caseId}`
        : result.data.seq !== seq
          ? `it is stored as seq ${seq} but names seq ${result.data.seq}`
          : undefined;
    if (problem || !result.success) {
      malformed.add(seq);
      add('malformed-event', `The event stored as seq ${seq} is not a valid audit event (${problem})`, seq);
    } else parsed.push(result.data);
  }

  // The chain's own links. A gap made only by malformed events (already reported) is not repeated.
  const seqs = parsed.map((event) => event.seq);
  for (const found of verifyChain(parsed).breaks) {
    if (found.reason === 'gap') {
      const before = seqs.filter((seq) => seq < found.seq).at(-1) ?? 0;
      const missing = Array.from({ length: found.seq - before - 1 }, (_, index) => before + 1 + index);
      if (missing.length > 0 && missing.every((seq) => malformed.has(seq))) continue;
    }
    const messages: Record<string, string> = {
      'hash-mismatch': 'The event was changed after it was written (its hash does not match its fields)',
      'broken-link': "The event does not follow from the one before it (its prevHash is not that event's hash)",
      gap: 'Events before this one are missing',
      'out-of-order': 'The event is out of order or duplicated',
    };
    add(found.reason === 'truncated' ? 'truncated' : found.reason, messages[found.reason] ?? found.reason, found.seq);
  }

  const lastSeq = Math.max(0, ...items.events.map((event) => event.seq));
  const bySeq = new Map(parsed.map((event) => [event.seq, event]));
  const truncatedAt: Array<{ seq: number; by: string }> = [];

  // The head record beside the chain: it moves forward with every event written.
  const head = items.head ? checkpointHeadSchema.safeParse(withoutKeys(items.head)) : undefined;
  if (head && !head.success) add('missing-head', 'The head record is damaged (no valid seq and hash)');
  else if (!head) {
    // A crash between writing a case's first event and its head can leave one event without a head.
    if (lastSeq >= 2) add('missing-head', `The head record is missing while ${lastSeq} events remain`);
  } else {
    const { seq, hash } = head.data;
    if (seq > lastSeq) truncatedAt.push({ seq, by: 'its head record' });
    else if (bySeq.has(seq) && bySeq.get(seq)!.hash !== hash) add('head-mismatch', `The event at seq ${seq} is not the one its head record names`, seq);
    if (lastSeq - seq >= 2) add('events-beyond-head', `${lastSeq - seq} events follow the head record's seq ${seq}: written without moving the head`, seq + 1);
  }

  // The checkpoint: the chain must still hold, unchanged, the event it recorded as the head.
  if (checkpointed) {
    const event = bySeq.get(checkpointed.seq);
    if (checkpointed.seq > lastSeq) truncatedAt.push({ seq: checkpointed.seq, by: since });
    else if (!event && !malformed.has(checkpointed.seq)) add('rewritten', `The event ${since} recorded at seq ${checkpointed.seq} is gone`, checkpointed.seq);
    else if (event && event.hash !== checkpointed.hash) {
      add('rewritten', `The chain up to seq ${checkpointed.seq} is not the one ${since} recorded: events were inserted, removed, changed or re-chained before it`, checkpointed.seq);
    }
  }
  if (truncatedAt.length > 0) {
    const expected = Math.max(...truncatedAt.map((item) => item.seq));
    add('truncated', `The chain ends at seq ${lastSeq}, but ${truncatedAt.map((item) => `${item.by} records seq ${item.seq}`).join(' and ')}: the newest events were removed`, expected);
  }
  findings.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  return { findings, events: items.events.length, last: parsed.at(-1) };
}

/**
 * Checks every case in the table (and every case the checkpoint names) and works out the heads
 * the next checkpoint records. A case with any finding keeps the head its checkpoint had, so
 * tampering is reported at every later verify and can never be laundered into a new checkpoint.
 */
export function verifyAudit(table: readonly CaseAuditItems[], checkpoint: Checkpoint | undefined, checkedAt: string, checkpointProblems: AuditReport['checkpointProblems'] = []): VerifyResult {
  const byCase = new Map(table.map((items) => [items.caseId, items]));
  const checkpointed = checkpoint?.heads ?? {};
  for (const caseId of Object.keys(checkpointed)) {
    if (!byCase.has(caseId)) byCase.set(caseId, { caseId, hasCaseRecord: false, events: [] });
  }
  const breaks: AuditFinding[] = [];
  const nextHeads: Record<string, CheckpointHead> = {};
  let events = 0;
  let present = 0;
  let sinceCheckpoint = 0;
  for (const items of [...byCase.values()].sort((a, b) => a.caseId.localeCompare(b.caseId))) {
    const previous = checkpointed[items.caseId];
    if (items.hasCaseRecord || items.events.length > 0 || items.head) present += 1;
    if (checkpoint && !previous) sinceCheckpoint += 1;
    let result: CaseResult;
    try {
      result = checkCase(items, previous, checkpoint);
    } catch (error) {
      result = { findings: [{ caseId: items.caseId, reason: 'unverifiable', message: `This case could not be checked: ${(error as Error).message}` }], events: items.events.length };
    }
    events += result.events;
    breaks.push(...result.findings);
    if (previous && result.findings.length > 0) nextHeads[items.caseId] = previous;
    else if (result.last) nextHeads[items.caseId] = { seq: result.last.seq, hash: result.last.hash };
    else if (previous) nextHeads[items.caseId] = previous;
  }
  if (checkpoint && Object.keys(checkpointed).length !== checkpoint.caseCount) {
    breaks.push({ caseId: '-', reason: 'case-count', message: `The checkpoint counts ${checkpoint.caseCount} cases but names ${Object.keys(checkpointed).length}` });
  }
  return {
    report: {
      ok: breaks.length === 0 && checkpointProblems.length === 0,
      checkedAt,
      cases: present,
      events,
      checkpoint: checkpoint ? { number: checkpoint.number, writtenAt: checkpoint.writtenAt, cases: checkpoint.caseCount } : null,
      casesSinceCheckpoint: sinceCheckpoint,
      checkpointProblems,
      breaks,
    },
    nextHeads,
  };
}
