import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PAPERS_DAYS_BEFORE,
  InvalidScheduleDate,
  meetingForReferral,
  papersDueBy,
} from '../../functions/lib/board-schedule';

const meetings = ['2025-03-10', '2025-04-14', '2025-05-12', '2025-06-09'];

describe('meetingForReferral', () => {
  it('defaults to papers a week before', () => {
    expect(DEFAULT_PAPERS_DAYS_BEFORE).toBe(7);
    expect(meetingForReferral(meetings, '2025-03-01')).toBe('2025-03-10');
  });

  it('takes a meeting exactly seven days after the referral', () => {
    expect(meetingForReferral(meetings, '2025-03-03')).toBe('2025-03-10');
  });

  it('skips a meeting six days away, to the next one', () => {
    expect(meetingForReferral(meetings, '2025-03-04')).toBe('2025-04-14');
  });

  it('skips meetings already past', () => {
    expect(meetingForReferral(meetings, '2025-04-20')).toBe('2025-05-12');
  });

  it('is undefined when no scheduled meeting is far enough away', () => {
    expect(meetingForReferral(meetings, '2025-06-03')).toBeUndefined();
    expect(meetingForReferral(meetings, '2026-01-01')).toBeUndefined();
    expect(meetingForReferral([], '2025-01-01')).toBeUndefined();
  });

  it('does not need the schedule sorted, and returns the date as given', () => {
    expect(meetingForReferral(['2025-06-09', '2025-04-14', '2025-03-10', '2025-05-12'], '2025-03-04')).toBe(
      '2025-04-14',
    );
    expect(meetingForReferral(['2025-04-14T10:00:00+01:00', '2025-03-10T14:00'], '2025-03-01')).toBe('2025-03-10T14:00');
  });

  it('uses the number of days it is given', () => {
    expect(meetingForReferral(meetings, '2025-03-04', 6)).toBe('2025-03-10');
    expect(meetingForReferral(meetings, '2025-03-10', 0)).toBe('2025-03-10');
    expect(meetingForReferral(meetings, '2025-03-01', 14)).toBe('2025-04-14');
  });

  it('counts whole days: any time on the referral day counts as that day (UTC)', () => {
    expect(meetingForReferral(meetings, new Date('2025-03-03T23:59:59Z'))).toBe('2025-03-10');
    expect(meetingForReferral(meetings, new Date('2025-03-04T00:00:00Z'))).toBe('2025-04-14');
    expect(meetingForReferral(meetings, '2025-03-03T16:30:00.000Z')).toBe('2025-03-10');
    expect(meetingForReferral(meetings, '2025-03-04T00:30:00+01:00')).toBe('2025-03-10');
  });

  it('counts across month, year and leap-day boundaries', () => {
    expect(meetingForReferral(['2025-01-05'], '2024-12-29')).toBe('2025-01-05');
    expect(meetingForReferral(['2025-01-05'], '2024-12-30')).toBeUndefined();
    expect(meetingForReferral(['2024-03-07'], '2024-02-29')).toBe('2024-03-07');
    expect(meetingForReferral(['2024-03-06'], '2024-02-29')).toBeUndefined();
  });

  it('survives the clocks changing (BST starts 30 March 2025)', () => {
    expect(meetingForReferral(['2025-04-02'], '2025-03-26')).toBe('2025-04-02');
  });

  it.each(['2025-02-30', '2025-13-01', '10/03/2025', '', 'next Tuesday', '2025-3-10'])(
    'refuses a meeting date %j',
    (bad) => {
      expect(() => meetingForReferral([...meetings, bad], '2025-03-01')).toThrow(InvalidScheduleDate);
    },
  );

  it.each(['2025-02-30', 'yesterday', '2025-03-01Tnonsense'])('refuses a referral date %j', (bad) => {
    expect(() => meetingForReferral(meetings, bad)).toThrow(InvalidScheduleDate);
  });

  it('refuses an invalid Date', () => {
    expect(() => meetingForReferral(meetings, new Date('nope'))).toThrow(InvalidScheduleDate);
  });

  it.each([-1, 1.5, Number.NaN])('refuses %s days', (days) => {
    expect(() => meetingForReferral(meetings, '2025-03-01', days)).toThrow(RangeError);
  });

  it('names its error', () => {
    expect(() => meetingForReferral(['x'], '2025-03-01')).toThrow(
      expect.objectContaining({ name: 'InvalidScheduleDate', message: expect.stringContaining('"x"') }),
    );
  });
});

describe('papersDueBy', () => {
  it('is a week before the meeting by default', () => {
    expect(papersDueBy('2025-03-10')).toBe('2025-03-03');
  });

  it('uses the days it is given', () => {
    expect(papersDueBy('2025-03-10', 10)).toBe('2025-02-28');
    expect(papersDueBy('2025-03-10', 0)).toBe('2025-03-10');
  });

  it('crosses months, years and leap days', () => {
    expect(papersDueBy('2025-01-03')).toBe('2024-12-27');
    expect(papersDueBy('2024-03-06')).toBe('2024-02-28');
    expect(papersDueBy('2024-03-07')).toBe('2024-02-29');
    expect(papersDueBy('2025-03-07')).toBe('2025-02-28');
  });

  it('takes the date part of a meeting with a time', () => {
    expect(papersDueBy('2025-03-10T14:00:00+00:00')).toBe('2025-03-03');
  });

  it('agrees with meetingForReferral: a referral on the due date makes the meeting', () => {
    for (const meeting of meetings) {
      expect(meetingForReferral([meeting], papersDueBy(meeting))).toBe(meeting);
    }
  });

  it('refuses bad input', () => {
    expect(() => papersDueBy('2025-02-30')).toThrow(InvalidScheduleDate);
    expect(() => papersDueBy('2025-03-10', -7)).toThrow(RangeError);
  });
});
