/**
 * Opening, feeding and resuming cases: what ingestion and officers call. Every call is idempotent.
 * One case per location at a time (a lock item), one execution name per case and generation, so
 * a repeated call finds what the first one made instead of making another.
 */
import { DescribeExecutionCommand, ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { isoDate } from '../lib/clock';
import type { EscalationPort, InspectionResult, OpenCaseRequest } from '../lib/escalation-port';
import type { Case } from '../lib/model';
import { NotFound } from '../lib/errors';
import { nowIso, type LadderDeps } from './context';
import { completeTask } from './complete-task';
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
    openedAt: now.toISOString(),
    deadlines: {},
    qimCount: 0,
    improvementPlan: [],
    executions: [],
    generation: 1,
    version: 1,
    updatedAt: now.toISOString(),
  };
  if (!existing) {
    await deps.store.createCase(record);
    await deps.store.appendAudit({
      caseId,
      at: now.toISOString(),
      actor: request.actor ?? 'ratings ingestion',
      action: 'case opened',
      detail: { trigger: request.trigger, stage: record.stage, ratings: request.ratings },
      source: request.source,
    });
  }
  const executionArn = await startCaseExecution(deps, record, { stage: record.stage });
  await deps.store.updateCase(
    caseId,
    (value) => ({ ...value, executions: value.executions.some((item) => item.executionArn === executionArn) ? value.executions : [...value.executions, { executionArn, startedAt: nowIso(deps) }] }),
    nowIso(deps),
  );
  return { caseId, opened: true };
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
  };
}

/**
 * Open cases whose execution is not running any more (the local engine lost it, or it failed) are
 * started again from their record, at the step they were waiting on.
 */
export async function resumeStalledCases(deps: LadderDeps): Promise<string[]> {
  const resumed: string[] = [];
  for (const record of await deps.store.listCases()) {
    if (record.status !== 'open') continue;
    const latest = record.executions.at(-1);
    let running = false;
    if (latest) {
      try {
        const { status } = await deps.sfn.send(new DescribeExecutionCommand({ executionArn: latest.executionArn }));
        running = status === 'RUNNING';
      } catch (error) {
        if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
      }
    }
    if (running) continue;
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
