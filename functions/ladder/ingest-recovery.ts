/**
 * After an ingest run dies midway (the process killed, a Lambda timed out), two things are left:
 * its run record still says "running", and locations whose new rating was written carry an
 * `escalationDue` mark for ladder calls never made (ingestion writes the mark with the rating
 * and clears it after the call). This puts both right: run on the local runtime's start and by
 * the daily schedule on AWS.
 *
 * A run counts as dead when nothing has been heard from it for longer than any run can live:
 * its heartbeat (the last progress report, else its start) is older than RUN_LEASE_MS, which is
 * longer than the ratings-import function's 15-minute limit. On the local runtime every run
 * belongs to the process that was running before, so on start all of them are dead (lease 0).
 */
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { keys } from '../lib/table';
import { caseFor, locationBelowGood } from '../ingest/policy';
import { ratingEntrySchema } from '../lib/model';
import type { EscalationPort } from '../lib/escalation-port';
import { nowIso, type LadderDeps } from './context';

/** Longer than the ratings-import Lambda's timeout (15 minutes), so a live run is never taken for dead. */
export const RUN_LEASE_MS = 20 * 60_000;

const runningSchema = z.object({
  runId: z.string(),
  status: z.literal('running'),
  startedAt: z.string(),
  heartbeatAt: z.string().optional(),
  progress: z.record(z.string(), z.unknown()).optional(),
});

const owedSchema = z.object({
  locationId: z.string(),
  providerId: z.string(),
  updatedAt: z.string(),
  ratings: z.record(z.string(), ratingEntrySchema).default({}),
  escalationDue: z.object({ publicationDate: z.string(), inspection: z.boolean().default(false) }).passthrough(),
});

export interface IngestRecovery {
  /** Runs found dead and marked interrupted. */
  interrupted: string[];
  /** Locations whose owed ladder calls were made (their marks cleared). */
  escalated: string[];
  casesOpened: number;
  failures: Array<{ locationId: string; error: string }>;
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';
}

/** Marks dead runs interrupted (keeping the counts they had reached), then makes every owed ladder call. */
export async function recoverInterruptedIngests(deps: LadderDeps, port: EscalationPort, options: { leaseMs?: number } = {}): Promise<IngestRecovery> {
  const leaseMs = options.leaseMs ?? RUN_LEASE_MS;
  const now = deps.clock.now().getTime();
  const recovery: IngestRecovery = { interrupted: [], escalated: [], casesOpened: 0, failures: [] };
  for (const item of await deps.store.listRaw('INGESTS')) {
    const run = runningSchema.safeParse(item);
    if (!run.success) continue;
    const heard = new Date(run.data.heartbeatAt ?? run.data.startedAt).getTime();
    if (now - heard < leaseMs) continue;
    if (await markInterrupted(deps, run.data.runId, run.data.heartbeatAt ?? run.data.startedAt)) recovery.interrupted.push(run.data.runId);
  }
  await makeOwedCalls(deps, port, recovery);
  if (recovery.interrupted.length > 0) {
    const outcome = { escalated: recovery.escalated.length, casesOpened: recovery.casesOpened, failures: recovery.failures.length, at: nowIso(deps) };
    for (const runId of recovery.interrupted) {
      await deps.store.doc.send(
        new UpdateCommand({ TableName: deps.store.tableName, Key: keys.ingestRun(runId), UpdateExpression: 'SET recovery = :r', ExpressionAttributeValues: { ':r': outcome } }),
      );
    }
  }
  return recovery;
}

/** Only if still running and unheard since we looked: a run that reported in the meantime is alive. */
async function markInterrupted(deps: LadderDeps, runId: string, heard: string): Promise<boolean> {
  const at = nowIso(deps);
  try {
    await deps.store.doc.send(
      new UpdateCommand({
        TableName: deps.store.tableName,
        Key: keys.ingestRun(runId),
        UpdateExpression: 'SET #s = :interrupted, finishedAt = :at, #e = :why',
        ConditionExpression: '#s = :running AND (heartbeatAt = :heard OR (attribute_not_exists(heartbeatAt) AND startedAt = :heard))',
        ExpressionAttributeNames: { '#s': 'status', '#e': 'error' },
        ExpressionAttributeValues: {
          ':interrupted': 'interrupted',
          ':running': 'running',
          ':at': at,
          ':heard': heard,
          ':why': 'The run stopped before the end of the file (the service was restarted or timed out). The counts below are what it had done; every location it had written is kept, and the cases those locations owed are opened now. Upload the file again to read the rest: rows already applied change nothing.',
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Every location still marked `escalationDue`: make its calls, then clear the mark (if unchanged since). */
async function makeOwedCalls(deps: LadderDeps, port: EscalationPort, recovery: IngestRecovery): Promise<void> {
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.store.doc.send(
      new ScanCommand({
        TableName: deps.store.tableName,
        FilterExpression: 'sk = :location AND attribute_exists(escalationDue)',
        ExpressionAttributeValues: { ':location': 'LOCATION' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const owed = owedSchema.safeParse(item);
      if (!owed.success) continue;
      const { locationId, providerId, ratings, escalationDue, updatedAt } = owed.data;
      try {
        if (escalationDue.inspection) await port.deliverInspection({ locationId, ratings, belowGood: locationBelowGood(ratings) });
        const request = caseFor({ locationId, providerId, ratings }, deps.config.policy);
        if (request && (await port.openCase(request)).opened) recovery.casesOpened += 1;
        await clearMark(deps, locationId, updatedAt);
        recovery.escalated.push(locationId);
      } catch (error) {
        recovery.failures.push({ locationId, error: (error as Error).message });
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
}

async function clearMark(deps: LadderDeps, locationId: string, updatedAt: string): Promise<void> {
  try {
    await deps.store.doc.send(
      new UpdateCommand({
        TableName: deps.store.tableName,
        Key: keys.location(locationId),
        UpdateExpression: 'REMOVE escalationDue',
        ConditionExpression: 'updatedAt = :u',
        ExpressionAttributeValues: { ':u': updatedAt },
      }),
    );
  } catch (error) {
    // A newer rating arrived meanwhile and re-marked it: that run (or the next recovery) calls for it.
    if (!isConditionFailure(error)) throw error;
  }
}
