/** The policy's date arithmetic: calendar months (clamped at month end) and working days. */
import { describe, expect, it } from 'vitest';
import { addCalendarMonths, addWorkingDays, secondsUntil } from '../../functions/lib/clock';
import { isRealDate } from '../../functions/lib/dates';

const day = (text: string) => new Date(`${text}T09:30:00Z`);
const iso = (date: Date) => date.toISOString().slice(0, 10);

describe('six calendar months from the date of issue', () => {
  it.each([
    ['2026-11-25', '2027-05-25'],
    ['2026-08-31', '2027-02-28'],
    ['2027-08-31', '2028-02-29'],
    ['2026-03-31', '2026-09-30'],
    ['2026-12-31', '2027-06-30'],
    ['2028-02-29', '2028-08-29'],
  ])('%s + 6 months = %s', (from, to) => {
    expect(iso(addCalendarMonths(day(from), 6))).toBe(to);
  });

  it('keeps the time of day', () => {
    expect(addCalendarMonths(day('2026-11-25'), 6).toISOString()).toBe('2027-05-25T09:30:00.000Z');
  });
});

describe('working days', () => {
  it.each([
    ['2026-11-27', 5, '2026-12-04'], // Friday + 5 → next Friday
    ['2026-11-28', 1, '2026-11-30'], // Saturday + 1 → Monday
    ['2026-11-25', 5, '2026-12-02'], // Wednesday + 5 → next Wednesday
  ])('%s + %i working days = %s', (from, days, to) => {
    expect(iso(addWorkingDays(day(from), days))).toBe(to);
  });
});

describe('timeouts for Step Functions', () => {
  it('are whole seconds, never below one', () => {
    expect(secondsUntil(day('2026-11-25'), day('2026-11-25'))).toBe(1);
    expect(secondsUntil(new Date(0), new Date(1500))).toBe(2);
  });
});

describe('real dates', () => {
  it('accepts real dates and refuses impossible ones', () => {
    expect(isRealDate('2028-02-29')).toBe(true);
    expect(isRealDate('2027-02-29')).toBe(false);
    expect(isRealDate('2026-02-30')).toBe(false);
    expect(isRealDate('2026-13-01')).toBe(false);
    expect(isRealDate('26-01-01')).toBe(false);
  });
});
