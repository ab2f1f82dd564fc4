/**
 * What an officer types on a confirmation page: a time as people write it, a GOV.UK date input,
 * the improvement plan as rows (with "add another" and "remove" redrawing the form), and dates
 * and moments written in words wherever the pages show them.
 */
import { describe, expect, it } from 'vitest';
import { clockTimeWords, datesInWords, dateTimeWords, parseClockTime } from '../../functions/lib/dates';
import { changePlanRows, planChangeOf, planRows, readDateInput, readQimArrangement, readQimOutcome, rowsFromPlan } from '../../functions/ladder/decision-form';

describe('a time of day as people type it', () => {
  it.each([
    ['10:30', '10:30'],
    ['10.30', '10:30'],
    ['9:05', '09:05'],
    ['14:00', '14:00'],
    ['00:15', '00:15'],
    ['10:30am', '10:30'],
    ['10:30 AM', '10:30'],
    ['2pm', '14:00'],
    ['2 pm', '14:00'],
    ['2 p.m.', '14:00'],
    ['2.15pm', '14:15'],
    ['12pm', '12:00'],
    ['12am', '00:00'],
    ['12:30am', '00:30'],
    ['noon', '12:00'],
    ['Midday', '12:00'],
    ['midnight', '00:00'],
  ])('reads %s as %s', (typed, expected) => {
    expect(parseClockTime(typed)).toBe(expected);
  });

  it.each(['', '25:99', '24:00', '10:60', '13pm', '0am', '10', '1030', 'half ten', '10:3', '2pmm', '-1:00'])('refuses %j', (typed) => {
    expect(parseClockTime(typed)).toBeUndefined();
  });

  it('writes a clock time the way GOV.UK does', () => {
    expect(['14:00', '10:30', '09:05', '12:00', '00:00', '00:30', '23:59'].map(clockTimeWords)).toEqual(['2pm', '10:30am', '9:05am', 'midday', 'midnight', '12:30am', '11:59pm']);
  });
});

describe('moments and dates in words', () => {
  it('says a moment in UK time: BST in summer, GMT in winter', () => {
    expect(dateTimeWords('2027-06-08T21:23:34.064Z')).toBe('8 June 2027, 10:23pm');
    expect(dateTimeWords('2026-11-16T09:00:00.000Z')).toBe('16 November 2026, 9am');
    expect(dateTimeWords('2027-06-08T23:30:00Z')).toBe('9 June 2027, 12:30am');
    expect(dateTimeWords('not a date')).toBe('');
  });

  it('rewrites every ISO date and timestamp inside a sentence, and leaves other numbers alone', () => {
    expect(datesInWords('Overall: Inadequate (2026-10-16); deadline 2027-05-16T09:00:00.000Z; ref 2026-13-45; 1-1000000002')).toBe(
      'Overall: Inadequate (16 October 2026); deadline 16 May 2027, 10am; ref 2026-13-45; 1-1000000002',
    );
  });
});

describe('a GOV.UK date input', () => {
  const read = (day: string, month: string, year: string) => readDateInput({ 'd-day': day, 'd-month': month, 'd-year': year }, 'd', 'the date of the meeting');

  it('reads a real date, with or without leading zeros, or typed whole into the day box', () => {
    expect(read('5', '1', '2027')).toEqual({ ok: true, date: '2027-01-05' });
    expect(read('05', '01', '2027')).toEqual({ ok: true, date: '2027-01-05' });
    expect(read('15/12/2026', '', '')).toEqual({ ok: true, date: '2026-12-15' });
  });

  it('says what is wrong in plain English, with what was typed', () => {
    expect(read('', '', '')).toMatchObject({ ok: false, empty: true, message: 'Enter the date of the meeting' });
    expect(read('15', '', '')).toMatchObject({ message: 'The date of the meeting must include a month and a year (you typed 15)' });
    expect(read('30', '2', '2027')).toMatchObject({ message: 'The date of the meeting must be a real date (you typed 30/2/2027)' });
    expect(read('15', '13', '2026')).toMatchObject({ message: 'The date of the meeting must be a real date (you typed 15/13/2026)' });
    expect(read('15', '12', '26')).toMatchObject({ message: 'The year of the date of the meeting must have 4 numbers, for example 2027 (you typed 26)' });
    expect(read('15th', 'Dec', '2026')).toMatchObject({ message: 'The date of the meeting must be numbers only, for example 15 12 2026 (you typed 15th/Dec/2026)' });
  });
});

describe('the QIM arrangement', () => {
  const today = '2026-11-16';
  const form = { 'date-day': '1', 'date-month': '12', 'date-year': '2026', time: '2pm', venue: 'The Lounge', attendees: 'ICB lead\nDistrict nurse' };

  it('keeps the date, the 24-hour time, the venue and who else is expected', () => {
    expect(readQimArrangement(form, today)).toEqual({ ok: true, details: { qim: { date: '2026-12-01', time: '14:00', venue: 'The Lounge', attendees: ['ICB lead', 'District nurse'] } } });
  });

  it('names every problem at once: a past date, a time that is not one, no venue', () => {
    const result = readQimArrangement({ ...form, 'date-day': '15', 'date-month': '11', time: '25:99', venue: ' ' }, today);
    expect(result).toEqual({
      ok: false,
      errors: [
        { field: 'date', message: 'The date of the meeting must be today or in the future: 15 November 2026 has passed (today is 16 November 2026)' },
        { field: 'time', message: 'Enter the time of the meeting like 10:30, 10:30am or 2pm (you typed 25:99)' },
        { field: 'venue', message: 'Enter where the meeting will be held' },
      ],
    });
  });

  it('still reads the single YYYY-MM-DD date a page from an earlier version posts', () => {
    expect(readQimArrangement({ date: '2026-12-01', time: '10:30', venue: 'The Lounge' }, today)).toMatchObject({ ok: true, details: { qim: { date: '2026-12-01', time: '10:30' } } });
  });
});

describe('the improvement plan as rows', () => {
  const row = (n: number, action: string, owner: string, due: [string, string, string], success = '') => ({
    [`plan-${n}-action`]: action,
    [`plan-${n}-owner`]: owner,
    [`plan-${n}-due-day`]: due[0],
    [`plan-${n}-due-month`]: due[1],
    [`plan-${n}-due-year`]: due[2],
    [`plan-${n}-success`]: success,
  });

  it('reads each filled row as an action, skips empty rows, keeps how success will be shown', () => {
    const form = {
      position: 'suspendNewPlacements',
      ...row(1, 'Appoint a clinical lead', 'Nominated Individual', ['15', '1', '2027'], 'Lead in post, named on the rota'),
      ...row(2, '', '', ['', '', '']),
      ...row(3, 'Retrain staff on medicines', 'Registered Manager', ['31', '1', '2027']),
    };
    expect(readQimOutcome(form)).toEqual({
      ok: true,
      details: {
        position: 'suspendNewPlacements',
        informServiceUsers: false,
        actions: [
          { action: 'Appoint a clinical lead', owner: 'Nominated Individual', due: '2027-01-15', success: 'Lead in post, named on the rota' },
          { action: 'Retrain staff on medicines', owner: 'Registered Manager', due: '2027-01-31' },
        ],
      },
    });
  });

  it('names the action and the field of every problem', () => {
    const result = readQimOutcome({ ...row(1, 'Audit medicines', '', ['31', '2', '2027']), ...row(2, '', 'Manager', ['', '', '']) });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toEqual([
      { field: 'position', message: 'Choose the commissioning position' },
      { field: 'plan-1-owner', message: 'Action 1: enter who owns it' },
      { field: 'plan-1-due', message: 'Action 1: the due date must be a real date (you typed 31/2/2027)' },
      { field: 'plan-2-action', message: 'Action 2: enter what will be done' },
      { field: 'plan-2-due', message: 'Action 2: enter the due date' },
    ]);
  });

  it('"Add another action" adds an empty row and keeps everything typed; "Remove" drops a row and renumbers the rest', () => {
    const form = { formToken: 't', note: 'kept', position: 'placeWithRestrictions', ...row(1, 'A', 'O1', ['1', '2', '2027']), ...row(2, 'B', 'O2', ['2', '3', '2027'], 'seen') };
    const added = changePlanRows(form, planChangeOf('add')!);
    expect(planRows(added)).toHaveLength(3);
    expect(planRows(added)[2]).toEqual({ action: '', owner: '', dueDay: '', dueMonth: '', dueYear: '', success: '' });
    expect(added).toMatchObject({ formToken: 't', note: 'kept', position: 'placeWithRestrictions', 'plan-2-success': 'seen' });
    const removed = changePlanRows(added, planChangeOf('remove-1')!);
    expect(planRows(removed).map((item) => item.action)).toEqual(['B', '']);
    expect(removed['plan-1-success']).toBe('seen');
    expect(planChangeOf('')).toBeUndefined();
    expect(planChangeOf('remove-x')).toBeUndefined();
  });

  it('shows a stored plan back as rows, including plans kept before success was asked for', () => {
    expect(rowsFromPlan([{ action: 'A', owner: 'O', due: '2027-01-05' }])).toEqual([{ action: 'A', owner: 'O', dueDay: '5', dueMonth: '1', dueYear: '2027', success: '' }]);
  });

  it('still reads the "action | owner | YYYY-MM-DD" lines of a page from an earlier version', () => {
    expect(readQimOutcome({ position: 'noFurtherAction', actions: 'A | O | 2027-01-05\nB | O | 2027-02-31' })).toMatchObject({
      ok: false,
      errors: [{ field: 'actions', message: 'Improvement plan, line 2: write it as action | owner | YYYY-MM-DD, with a real date (you typed B | O | 2027-02-31)' }],
    });
  });
});
