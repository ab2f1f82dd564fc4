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
