/**
 * Working days in England and Wales: Monday to Friday, less the bank holidays. The regular ones
 * are worked out from their rules (New Year's Day, Good Friday, Easter Monday, the early May,
 * spring and summer bank holidays, Christmas Day and Boxing Day, with the substitute days when one
 * falls at a weekend). A one-off bank holiday proclaimed for a year (a coronation, a jubilee) or a
 * moved one (VE Day 2020) is given in configuration (`providerSide.extraBankHolidays`,
 * `providerSide.notBankHolidays`).
 */

const DAY_MS = 86_400_000;

function utcDay(year: number, month: number, day: number): Date {
  return new Date(Date.UTC(year, month - 1, day));
}

function iso(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Easter Sunday (Western, Gregorian): the anonymous Gregorian algorithm. */
export function easterSunday(year: number): Date {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return utcDay(year, month, day);
}

function firstMonday(year: number, month: number): Date {
  const first = utcDay(year, month, 1);
  return new Date(first.getTime() + ((8 - first.getUTCDay()) % 7) * DAY_MS);
}

function lastMonday(year: number, month: number): Date {
  const last = new Date(Date.UTC(year, month, 0));
  return new Date(last.getTime() - ((last.getUTCDay() + 6) % 7) * DAY_MS);
}

/** The regular bank holidays of England and Wales in a year, as YYYY-MM-DD. */
export function bankHolidays(year: number): string[] {
  const days: Date[] = [];
  const newYear = utcDay(year, 1, 1);
  // Falls on a Saturday or Sunday: the Monday after is the holiday.
  days.push(newYear.getUTCDay() === 6 ? utcDay(year, 1, 3) : newYear.getUTCDay() === 0 ? utcDay(year, 1, 2) : newYear);
  const easter = easterSunday(year);
  days.push(new Date(easter.getTime() - 2 * DAY_MS), new Date(easter.getTime() + DAY_MS));
  days.push(firstMonday(year, 5), lastMonday(year, 5), lastMonday(year, 8));
  const christmas = utcDay(year, 12, 25).getUTCDay();
  // Christmas on Saturday: Mon 27 and Tue 28; on Sunday: Tue 27 (Boxing Day Mon 26); Boxing Day on Saturday: Mon 28.
  if (christmas === 6) days.push(utcDay(year, 12, 27), utcDay(year, 12, 28));
  else if (christmas === 0) days.push(utcDay(year, 12, 26), utcDay(year, 12, 27));
  else if (christmas === 5) days.push(utcDay(year, 12, 25), utcDay(year, 12, 28));
  else days.push(utcDay(year, 12, 25), utcDay(year, 12, 26));
  return days.map(iso).sort();
}

export interface BankHolidayChanges {
  /** One-off bank holidays (YYYY-MM-DD). */
  extra?: readonly string[];
  /** Regular ones moved away that year (YYYY-MM-DD). */
  removed?: readonly string[];
}

export function isWorkingDay(date: Date, changes: BankHolidayChanges = {}): boolean {
  const weekday = date.getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  const day = iso(date);
  if (changes.extra?.includes(day)) return false;
  if (changes.removed?.includes(day)) return true;
  return !bankHolidays(date.getUTCFullYear()).includes(day);
}

/** `days` working days after `from` (bank holidays skipped), keeping the time of day. */
export function addUkWorkingDays(from: Date, days: number, changes: BankHolidayChanges = {}): Date {
  const result = new Date(from.getTime());
  let left = days;
  while (left > 0) {
    result.setUTCDate(result.getUTCDate() + 1);
    if (isWorkingDay(result, changes)) left -= 1;
  }
  return result;
}
