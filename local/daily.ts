/**
 * The local runtime's daily jobs, on the virtual clock (on AWS, EventBridge Scheduler invokes the
 * workflow-step function with `{ "source": "daily-sweep" }` at the same time): each day at 07:00
 * UK time the provider-side sweep runs (receipts not confirmed in time: the provider reminded, the
 * officer told). Moving the clock past 07:00 runs it, once per day passed.
 */
import { ukWallTime } from '../functions/lib/dates';
import type { LadderDeps } from '../functions/ladder/context';
import { runDailySweep } from '../functions/ladder/daily-sweep';
import type { VirtualClock } from './clock';

export const DAILY_AT = '07:00';

/** The next `time` of day (UK; 07:00 unless told) strictly after `now`. */
export function nextDailyRun(now: Date, time: string = DAILY_AT): Date {
  for (let days = 0; days < 3; days += 1) {
    const day = new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10);
    const at = ukWallTime(day, time);
    if (at.getTime() > now.getTime()) return at;
  }
  return new Date(now.getTime() + 86_400_000);
}

export function startDailySweep(clock: VirtualClock, deps: LadderDeps): { idle(): Promise<void>; stop(): void } {
  const running = new Set<Promise<void>>();
  let stopped = false;
  let timer: { cancel(): void } | undefined;
  const arm = () => {
    if (stopped) return;
    timer = clock.setTimer(nextDailyRun(clock.now()), () => {
      const run = (async () => {
        try {
          await runDailySweep(deps);
        } catch (error) {
          console.error('The daily sweep failed', error);
        }
      })();
      running.add(run);
      void run.finally(() => running.delete(run));
      arm();
    });
  };
  const unsubscribe = clock.addSettler(async () => {
    while (running.size) await Promise.all([...running]);
  });
  arm();
  return {
    async idle() {
      while (running.size) await Promise.all([...running]);
    },
    stop() {
      stopped = true;
      timer?.cancel();
      unsubscribe();
    },
  };
}
