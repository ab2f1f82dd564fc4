/**
 * The daily sweep, the same on AWS (EventBridge Scheduler invokes the workflow-step function with
 * `DAILY_SWEEP_INPUT`) and locally (`local/daily.ts`, on the virtual clock).
 */
import { z } from 'zod';
import type { LadderDeps } from './context';
import { sweepProviderRequests } from './provider-side';

export const DAILY_SWEEP_INPUT = { source: 'daily-sweep' } as const;
export const dailySweepEventSchema = z.object({ source: z.literal('daily-sweep') }).strict();

export async function runDailySweep(deps: LadderDeps): Promise<{ reminded: number; officersTold: number }> {
  return sweepProviderRequests(deps);
}
