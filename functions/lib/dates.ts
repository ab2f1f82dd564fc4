/**
 * Dates and times people type: the shape is not enough (2026-02-30 and 25:99 have the right
 * shape). These schemas accept only real calendar dates and clock times.
 */
import { z } from 'zod';

export function isRealDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

export const calendarDate = z.string().refine(isRealDate, 'a real date, as YYYY-MM-DD');

const LONG_DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** "25 November 2026", as letters and pages write dates; '' for a missing or invalid one. */
export function longDate(value: string | Date | undefined): string {
  if (value === undefined) return '';
  const date = typeof value === 'string' ? new Date(value) : value;
  return Number.isNaN(date.getTime()) ? '' : LONG_DATE.format(date);
}

export const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day, as HH:MM (24-hour)');

/**
 * A time of day as people type it: `10:30`, `10.30`, `14:00`, `10:30am`, `2pm`, `2 p.m.`, `noon`,
 * `midday`, `midnight`. Returns the 24-hour `HH:MM` the record keeps, or undefined for anything
 * that is not a clock time (`25:99`, `13pm`, `10`).
 */
export function parseClockTime(typed: string): string | undefined {
  const text = typed.trim().toLowerCase().replace(/\s+/g, ' ').replace(/\b([ap])\.? ?m\.?$/, '$1m');
  if (text === 'noon' || text === 'midday' || text === '12 noon' || text === '12 midday') return '12:00';
  if (text === 'midnight' || text === '12 midnight') return '00:00';
  const match = /^(\d{1,2})(?:[:.](\d{2}))? ?(am|pm)?$/.exec(text);
  if (!match) return undefined;
  const [, hourText, minuteText, half] = match;
  let hour = Number(hourText);
  const minute = minuteText === undefined ? 0 : Number(minuteText);
  if (minute > 59) return undefined;
  if (half) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (half === 'pm' ? 12 : 0);
  } else if (minuteText === undefined || hour > 23) {
    // A bare "10" could be morning or evening: ask for minutes or am/pm.
    return undefined;
  }
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

/** "14:00" → "2pm", "10:30" → "10:30am", "12:00" → "midday", "00:00" → "midnight" (GOV.UK style). */
export function clockTimeWords(time: string): string {
  const match = /^(\d{2}):(\d{2})$/.exec(time);
  if (!match) return time;
  const hour = Number(match[1]);
  const minute = match[2]!;
  if (minute === '00' && hour === 12) return 'midday';
  if (minute === '00' && hour === 0) return 'midnight';
  const twelve = hour % 12 === 0 ? 12 : hour % 12;
  return `${twelve}${minute === '00' ? '' : `:${minute}`}${hour < 12 ? 'am' : 'pm'}`;
}

const UK_PARTS = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/**
 * A moment in words, in UK time (GMT or BST, as the clock on the office wall):
 * "8 June 2027, 10:23pm" for 2027-06-08T21:23:34Z. '' for a missing or invalid one.
 */
export function dateTimeWords(value: string | Date | undefined): string {
  if (value === undefined) return '';
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return '';
  const parts = Object.fromEntries(UK_PARTS.formatToParts(date).map((part) => [part.type, part.value]));
  return `${parts.day} ${parts.month} ${parts.year}, ${clockTimeWords(`${parts.hour}:${parts.minute}`)}`;
}

const UK_NUMERIC = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** How far UK clocks are ahead of UTC at a moment, in milliseconds (0 in winter, an hour in summer). */
function ukOffset(at: number): number {
  const parts = Object.fromEntries(UK_NUMERIC.formatToParts(new Date(at)).map((part) => [part.type, Number(part.value)]));
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!) - Math.floor(at / 60_000) * 60_000;
}

/**
 * The moment UK clocks show `date` (YYYY-MM-DD) at `time` (HH:MM): a meeting at 10:30 on
 * 10 June 2027 is 09:30 UTC, on 10 December 2026 10:30 UTC. A time the spring change skips is
 * taken an hour later; one the autumn change repeats, the first time it comes.
 */
export function ukWallTime(date: string, time: string): Date {
  const asUtc = Date.parse(`${date}T${time}:00.000Z`);
  // UK clocks are UTC or UTC+1: of the two moments that could show this, the earlier that does.
  const shows = [asUtc - 3_600_000, asUtc].filter((moment) => asUtc - moment === ukOffset(moment));
  return new Date(shows[0] ?? asUtc - ukOffset(asUtc - 3_600_000));
}

const ISO_MOMENT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})/g;
const ISO_DAY = /\b\d{4}-\d{2}-\d{2}\b/g;

/** Text with every ISO date and timestamp in it written in words (records written before pages said dates in words). */
export function datesInWords(text: string): string {
  return text.replace(ISO_MOMENT, (moment) => dateTimeWords(moment) || moment).replace(ISO_DAY, (day) => (isRealDate(day) ? longDate(day) : day));
}
