/**
 * When a referred case is heard. The Board meets on scheduled dates, and papers must reach members
 * at least a week before a meeting (seed 003, Board referral). So a case referred today goes to the
 * first meeting whose papers deadline has not passed; if no scheduled meeting is far enough away,
 * there is none to give, and the caller must arrange an urgent virtual decision or a new meeting.
 *
 * Whole calendar days, in UTC like `isoDate` in clock.ts: a referral on the 3rd can have its papers
 * out that same day, so a meeting on the 10th is exactly seven days later and in time.
 */
import { isoDate } from './clock';

export const DEFAULT_PAPERS_DAYS_BEFORE = 7;
const DAY_MS = 86_400_000;

/** A meeting or referral date that is not a real ISO date. Configuration or caller fault. */
export class InvalidScheduleDate extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidScheduleDate';
  }
}

/**
 * Days since 1970-01-01 of an ISO date (YYYY-MM-DD, optionally followed by a time, whose date part
 * is taken as written). Rejects dates that do not exist, such as 2025-02-30.
 */
function dayNumber(text: string, what: string): number {
  const match = typeof text === 'string' ? /^(\d{4})-(\d{2})-(\d{2})(?:T.*)?$/.exec(text) : null;
  if (match) {
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const ms = Date.UTC(year, month - 1, day);
    const date = new Date(ms);
    if (date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day) {
      return ms / DAY_MS;
    }
  }
  throw new InvalidScheduleDate(`${what} is not an ISO date (YYYY-MM-DD): ${JSON.stringify(text)}`);
}

function assertDays(days: number): void {
  if (!Number.isInteger(days) || days < 0) {
    throw new RangeError(`Days before a meeting must be a whole number of days, 0 or more; got ${days}`);
  }
}

function referralDay(referredAt: Date | string): number {
  if (referredAt instanceof Date) {
    if (Number.isNaN(referredAt.getTime())) throw new InvalidScheduleDate('The referral date is not a valid Date');
    return dayNumber(isoDate(referredAt), 'The referral date');
  }
  // A full timestamp (with zone) is turned into its UTC day; a bare date is taken as it is.
  if (typeof referredAt === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(referredAt)) {
    const date = new Date(referredAt);
    if (Number.isNaN(date.getTime())) throw new InvalidScheduleDate(`The referral date is not valid: ${referredAt}`);
    return dayNumber(isoDate(date), 'The referral date');
  }
  return dayNumber(referredAt, 'The referral date');
}

/** The last day papers can go out for a meeting: `days` calendar days before it, as YYYY-MM-DD. */
export function papersDueBy(meetingDate: string, days: number = DEFAULT_PAPERS_DAYS_BEFORE): string {
  assertDays(days);
  return isoDate(new Date((dayNumber(meetingDate, 'The meeting date') - days) * DAY_MS));
}

/**
 * The first scheduled meeting at least `papersDaysBefore` days after the referral, as it was given
 * (the list need not be sorted). `undefined` when none is far enough away: then the case needs an
 * urgent virtual decision or a new meeting, which is the caller's to arrange and record.
 * Every meeting date is checked, not only the ones before the answer, so a bad entry in the
 * schedule fails on the first referral rather than lying in wait.
 */
export function meetingForReferral(
  meetings: readonly string[],
  referredAt: Date | string,
  papersDaysBefore: number = DEFAULT_PAPERS_DAYS_BEFORE,
): string | undefined {
  assertDays(papersDaysBefore);
  const earliest = referralDay(referredAt) + papersDaysBefore;
  let chosen: { day: number; meeting: string } | undefined;
  for (const meeting of meetings) {
    const day = dayNumber(meeting, 'A meeting date');
    if (day >= earliest && (!chosen || day < chosen.day)) chosen = { day, meeting };
  }
  return chosen?.meeting;
}
