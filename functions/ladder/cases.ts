/**
 * Opening, feeding and resuming cases: what ingestion and officers call. Every call is idempotent.
 * One case per location at a time (a lock item), one execution name per case and generation, so
 * a repeated call finds what the first one made instead of making another.
 */
import { DescribeExecutionCommand, ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { isoDate } from '../lib/clock';
import type { EscalationPort, InspectionResult, OpenCaseRequest } from '../lib/escalation-port';
import type { Case, Concern } from '../lib/model';
import { NotFound } from '../lib/errors';
import { nowIso, type LadderDeps } from './context';
import { completeTask, settleRecordedDecisions } from './complete-task';
import { crashPoint } from '../lib/crash-points';
import { startingStage } from '../council/routes';

/** Execution names allow letters, digits, `-` and `_`, up to 80 characters. */
function executionName(caseId: string, generation: number): string {
  return `${caseId}-g${generation}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
}

export function newCaseId(locationId: string, at: Date): string {
  return `${locationId}-${isoDate(at).replaceAll('-', '')}`;
}

export async function startCaseExecution(deps: LadderDeps, record: Case, input: { stage: string; resumeAt?: string }): Promise<string> {
  const name = executionName(record.caseId, record.generation);
  const body = JSON.stringify({ caseId: record.caseId, stage: input.stage, ...(input.resumeAt ? { resumeAt: input.resumeAt } : {}) });
  try {
    const started = await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: deps.stateMachineArn, name, input: body }));
    return started.executionArn!;
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
    // Started by an earlier attempt: the same name means the same case generation.
    return `${deps.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }
}

export async function openCase(deps: LadderDeps, request: OpenCaseRequest & { leadOfficer?: string; actor?: string; source?: string }): Promise<{ caseId: string; opened: boolean }> {
  const now = deps.clock.now();
  // A new id, unused even by a case that opened and closed earlier the same day.
  let candidate = newCaseId(request.locationId, now);
  for (let n = 2; (await deps.store.getCase(candidate))?.status === 'closed'; n += 1) candidate = `${newCaseId(request.locationId, now)}-${n}`;
  let caseId = await deps.store.lockLocation(request.locationId, candidate);
  let existing = await deps.store.getCase(caseId);
  if (existing?.status === 'closed') {
    // A lock left behind by a closed case (closing released it, or should have): take it over.
    await deps.store.unlockLocation(request.locationId, caseId);
    caseId = await deps.store.lockLocation(request.locationId, candidate);
    existing = await deps.store.getCase(caseId);
  }
  const concern: Concern | undefined = request.concern && {
    raisedAt: request.concern.raisedAt ?? now.toISOString(),
    source: request.concern.source,
    summary: request.concern.summary,
    recordedBy: request.actor ?? 'ratings ingestion',
    ...(request.concern.concernId ? { concernId: request.concern.concernId } : {}),
    ...(request.concern.kind ? { kind: request.concern.kind } : {}),
    ...(request.concern.severity ? { severity: request.concern.severity } : {}),
  };
  // A concern about a location whose case is open joins that case's grounds.
  if (existing && concern) existing = await addConcern(deps, existing, concern, request.source);
  if (existing && existing.executions.length > 0) return { caseId, opened: false };

  const contract = await deps.store.contractForLocation(request.locationId);
  const live = contract?.status === 'active' ? contract : undefined;
  const record: Case = existing ?? {
    caseId,
    locationId: request.locationId,
    providerId: request.providerId,
    contractId: live?.contractId,
    status: 'open',
    // Out of county, or no contract at all: the policy's other routes (council/routes.ts).
    stage: startingStage(live, request.stage),
    stageEnteredAt: now.toISOString(),
    leadOfficer: request.leadOfficer ?? live?.relationshipHolder ?? deps.config.officers[0]!.id,
    trigger: request.trigger,
    openingRatings: request.ratings,
    concerns: concern ? [concern] : [],
    openedAt: now.toISOString(),
    deadlines: {},
    qimCount: 0,
    improvementPlan: [],
    executions: [],
    generation: 1,
    version: 1,
    updatedAt: now.toISOString(),
  };
  if (!existing) await deps.store.createCase(record);
  // Once, even when a crash after creating the record brings us back here.
  await deps.store.appendAudit(
    {
      caseId,
      at: record.openedAt,
      actor: request.actor ?? 'ratings ingestion',
      action: 'case opened',
      detail: { trigger: record.trigger, stage: record.stage, ratings: request.ratings, ...(concern ? { concern } : {}) },
      source: request.source,
    },
    { eventId: `opened:${caseId}` },
  );
  const executionArn = await startCaseExecution(deps, record, { stage: record.stage });
  crashPoint('openCase:afterStart');
  await deps.store.updateCase(
    caseId,
    (value) => ({ ...value, executions: value.executions.some((item) => item.executionArn === executionArn) ? value.executions : [...value.executions, { executionArn, startedAt: nowIso(deps) }] }),
    nowIso(deps),
  );
  return { caseId, opened: true };
}

/**
 * Adds a concern to a case's grounds, once: the same concern sent again (a retried request) is not
 * added twice. The record is written first, then the audit event; a retry after an interruption
 * between the two writes the missing event (and only that).
 */
export async function addConcern(deps: LadderDeps, record: Case, concern: Concern, source: string | undefined): Promise<Case> {
  const same = (item: unknown) => {
    const other = item as Partial<Concern> | undefined;
    return other?.summary === concern.summary && other.source === concern.source && String(other.raisedAt).slice(0, 10) === concern.raisedAt.slice(0, 10);
  };
  const updated = (record.concerns ?? []).some(same)
    ? record
    : await deps.store.updateCase(record.caseId, (value) => ((value.concerns ?? []).some(same) ? value : { ...value, concerns: [...(value.concerns ?? []), concern] }), nowIso(deps));
  const audit = await deps.store.listAudit(record.caseId);
  const audited = audit.some((event) => (event.action === 'concern added' && same(event.detail)) || (event.action === 'case opened' && same(event.detail.concern)));
  if (!audited) await deps.store.appendAudit({ caseId: record.caseId, at: nowIso(deps), actor: concern.recordedBy, action: 'concern added', detail: { ...concern }, source });
  return updated;
}

/** A new rating for a location whose case waits on its next inspection resumes that case. */
export async function deliverInspection(deps: LadderDeps, result: InspectionResult): Promise<{ caseId?: string; resumed: boolean }> {
  const caseId = await deps.store.openCaseFor(result.locationId);
  if (!caseId) return { resumed: false };
  const record = await deps.store.getCase(caseId);
  const task = record?.pendingTaskId ? await deps.store.getTask(record.pendingTaskId) : undefined;
  if (!record || !task || task.status !== 'pending' || task.assignee !== 'inspection') return { caseId, resumed: false };
  const overall = result.ratings.Overall;
  await deps.store.updateCase(
    caseId,
    (value) => ({ ...value, lastInspection: { at: overall?.publicationDate ?? nowIso(deps), ratings: result.ratings, belowGood: result.belowGood } }),
    nowIso(deps),
  );
  await completeTask(
    deps,
    task,
    { decision: result.belowGood ? 'ratedBelowGood' : 'ratedGood', by: 'CQC ratings ingestion', note: `New CQC rating: ${overall?.rating ?? 'see ratings'}`, details: { ratings: result.ratings } },
    undefined,
  );
  return { caseId, resumed: true };
}

export async function raiseCorporateConcern(deps: LadderDeps, providerId: string, locationIds: string[]): Promise<{ raised: boolean }> {
  const provider = await deps.store.getProvider(providerId);
  if (!provider) return { raised: false };
  const sorted = [...locationIds].sort();
  const same = provider.corporateConcern && provider.corporateConcern.locationsBelowGood.join() === sorted.join();
  if (same) return { raised: false };
  await deps.store.putProvider({ ...provider, corporateConcern: { raisedAt: nowIso(deps), locationsBelowGood: sorted }, updatedAt: nowIso(deps) });
  return { raised: !provider.corporateConcern };
}

export function escalationPort(deps: LadderDeps): EscalationPort {
  return {
    openCase: (request) => openCase(deps, request),
    deliverInspection: (result) => deliverInspection(deps, result),
    raiseCorporateConcern: (providerId, locationIds) => raiseCorporateConcern(deps, providerId, locationIds),
    preview: {
      async openCase(request) {
        const caseId = await deps.store.openCaseFor(request.locationId);
        const record = caseId ? await deps.store.getCase(caseId) : undefined;
        return record && record.status !== 'closed' ? { caseId, opened: false } : { opened: true };
      },
      async deliverInspection(result) {
        const caseId = await deps.store.openCaseFor(result.locationId);
        const record = caseId ? await deps.store.getCase(caseId) : undefined;
        const task = record?.pendingTaskId ? await deps.store.getTask(record.pendingTaskId) : undefined;
        return { caseId, resumed: Boolean(record && record.status !== 'closed' && task?.status === 'pending' && task.assignee === 'inspection') };
      },
    },
  };
}

function executionArnFor(deps: LadderDeps, caseId: string, generation: number): string {
  return `${deps.stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName(caseId, generation)}`;
}

/**
 * The case's running execution, if it has one. Not only the last one its record lists: a crash
 * between starting an execution and writing it on the record (opening the case, a resume, a
 * continue-as-new) leaves one the record does not know yet. Execution names are derived from the
 * case and its generation, so that one can only be the record's generation or the next.
 */
async function liveExecution(deps: LadderDeps, record: Case): Promise<{ executionArn: string; generation: number } | undefined> {
  const candidates = new Map<string, number>();
  const latest = record.executions.at(-1)?.executionArn;
  if (latest) candidates.set(latest, record.generation);
  for (const generation of [record.generation, record.generation + 1]) candidates.set(executionArnFor(deps, record.caseId, generation), generation);
  for (const [executionArn, generation] of candidates) {
    try {
      const { status } = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (status === 'RUNNING') return { executionArn, generation };
    } catch (error) {
      if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
    }
  }
  return undefined;
}

/**
 * Recovery, run on start and by the administrator's resume: first every recorded decision that
 * has not reached Step Functions is sent (once); then open cases whose execution is not running
 * any more (the local engine lost it, or it failed) are started again from their record, at the
 * step they were waiting on — where the wait takes any decision recorded there. A case whose
 * execution is running but missing from its record gets it written on instead: one case, one
 * live execution.
 */
export async function resumeStalledCases(deps: LadderDeps): Promise<string[]> {
  await settleRecordedDecisions(deps);
  const resumed: string[] = [];
  for (const record of await deps.store.listCases()) {
    if (record.status !== 'open') continue;
    const live = await liveExecution(deps, record);
    if (live) {
      if (!record.executions.some((item) => item.executionArn === live.executionArn)) {
        await deps.store.updateCase(
          record.caseId,
          (value) => ({
            ...value,
            generation: Math.max(value.generation, live.generation),
            executions: value.executions.some((item) => item.executionArn === live.executionArn) ? value.executions : [...value.executions, { executionArn: live.executionArn, startedAt: nowIso(deps) }],
          }),
          nowIso(deps),
        );
      }
      continue;
    }
    // The next generation follows from what was read: two resumes at once ask for the same
    // execution (Step Functions starts it once) instead of starting two.
    const generation = record.generation + 1;
    const step = record.waitingOn?.step;
    const executionArn = await startCaseExecution(deps, { ...record, generation }, { stage: record.stage, ...(step && !step.endsWith(': Await Retry') ? { resumeAt: step } : {}) });
    await deps.store.updateCase(
      record.caseId,
      (value) => ({
        ...value,
        generation: Math.max(value.generation, generation),
        executions: value.executions.some((item) => item.executionArn === executionArn) ? value.executions : [...value.executions, { executionArn, startedAt: nowIso(deps) }],
      }),
      nowIso(deps),
    );
    await deps.store.appendAudit({ caseId: record.caseId, at: nowIso(deps), actor: 'runtime', action: 'resumed from its record', detail: { executionArn, step } });
    resumed.push(record.caseId);
  }
  return resumed;
}

export async function requireCase(deps: LadderDeps, caseId: string): Promise<Case> {
  const record = await deps.store.getCase(caseId);
  if (!record) throw new NotFound(`Case ${caseId} does not exist`);
  return record;
}
