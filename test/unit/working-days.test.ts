/** Working days in England and Wales: weekends and bank holidays (substitutes included) skipped. */
import { describe, expect, it } from 'vitest';
import { addUkWorkingDays, bankHolidays, easterSunday, isWorkingDay } from '../../functions/lib/working-days';

describe('England and Wales bank holidays', () => {
  it('2026 and 2027 as GOV.UK publishes them', () => {
    expect(bankHolidays(2026)).toEqual(['2026-01-01', '2026-04-03', '2026-04-06', '2026-05-04', '2026-05-25', '2026-08-31', '2026-12-25', '2026-12-28']);
    expect(bankHolidays(2027)).toEqual(['2027-01-01', '2027-03-26', '2027-03-29', '2027-05-03', '2027-05-31', '2027-08-30', '2027-12-27', '2027-12-28']);
  });

  it('substitute days: New Year on a Saturday (2028 is a Saturday: Monday 3rd), Christmas on a Sunday (2022: Tuesday 27th)', () => {
    expect(bankHolidays(2028)[0]).toBe('2028-01-03');
    expect(bankHolidays(2022)).toEqual(expect.arrayContaining(['2022-12-26', '2022-12-27']));
    expect(easterSunday(2025).toISOString().slice(0, 10)).toBe('2025-04-20');
  });

  it('five working days from Monday 21 December 2026 skip Christmas and the Boxing Day substitute', () => {
    expect(addUkWorkingDays(new Date('2026-12-21T09:00:00Z'), 5).toISOString()).toBe('2026-12-30T09:00:00.000Z');
    expect(addUkWorkingDays(new Date('2026-11-16T09:00:00Z'), 5).toISOString()).toBe('2026-11-23T09:00:00.000Z');
  });

  it('configured one-off and moved holidays', () => {
    expect(isWorkingDay(new Date('2026-11-18T00:00:00Z'), { extra: ['2026-11-18'] })).toBe(false);
    expect(isWorkingDay(new Date('2026-05-04T00:00:00Z'), { removed: ['2026-05-04'] })).toBe(true);
  });
});
