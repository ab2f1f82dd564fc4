/**
 * A QIM's time is what UK clocks show: the reminder and response times that follow it are counted
 * from that moment, in GMT and in BST, across both clock changes.
 */
import { describe, expect, it } from 'vitest';
import { dateTimeWords, ukWallTime } from '../../functions/lib/dates';

describe('ukWallTime', () => {
  it.each([
    ['2026-12-10', '10:30', '2026-12-10T10:30:00.000Z', 'in winter UK clocks show UTC'],
    ['2027-06-10', '10:30', '2027-06-10T09:30:00.000Z', 'in summer they are an hour ahead'],
    ['2027-03-28', '02:00', '2027-03-28T01:00:00.000Z', 'the first minute of BST'],
    ['2027-03-28', '01:30', '2027-03-28T01:30:00.000Z', 'a time the spring change skips is taken an hour later'],
    ['2027-10-31', '01:30', '2027-10-31T00:30:00.000Z', 'a time the autumn change repeats is the first of the two'],
    ['2027-10-31', '00:30', '2027-10-30T23:30:00.000Z', 'just after midnight in BST is the evening before in UTC'],
  ])('%s %s is %s (%s)', (date, time, expected) => {
    expect(ukWallTime(date, time).toISOString()).toBe(expected);
  });

  it('reads back as the time typed, on every day of a year', () => {
    for (let day = 0; day < 366; day += 1) {
      const date = new Date(Date.UTC(2027, 0, 1 + day)).toISOString().slice(0, 10);
      const words = dateTimeWords(ukWallTime(date, '10:30'));
      expect(words, date).toMatch(/, 10:30am$/);
    }
  });
});
