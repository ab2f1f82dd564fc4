/**
 * Every product test runs on this virtual date, whatever the machine's date: a test never reads the
 * wall clock for a calendar fact (a month's name, "next year", a weekday, a month's end). Expected
 * dates are computed from the runtime's clock (`runtime.clock.now()`), or from this constant.
 *
 * Monday 16 November 2026, 09:00 UTC: after every demo inspection is published, a working day, and
 * far enough from a month's end that "a week later" and "15 days later" stay in the same year.
 */
export const PINNED_NOW = new Date('2026-11-16T09:00:00.000Z');

/** The ISO day (YYYY-MM-DD) some days after the pinned date. */
export function pinnedDaysFrom(days: number, from: Date = PINNED_NOW): string {
  return new Date(from.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}
