/**
 * When a waiting step is due, and so when its first reminder goes. Most steps are due their
 * response time from now. A step that follows a dated event is due from that event: the QIM's
 * outcome is due after the meeting, a Board decision after the Board meeting the case is listed
 * for; asking for either before the event has happened would be asking for the impossible. Pure.
 */
import { addDays, addWorkingDays } from '../lib/clock';
import type { Case } from '../lib/model';
import { ukWallTime } from '../lib/dates';

/** The dated event a waiting step follows (named in the step's `onTimeout.after`). */
export const FOLLOWED_EVENTS = ['qim', 'boardMeeting'] as const;
export type FollowedEvent = (typeof FOLLOWED_EVENTS)[number];

export interface ResponseTimes {
  responseWorkingDays: number;
  boardReminderDays: number;
  inspectionCheckDays: number;
}

/**
 * When the event happens. A QIM's time is the time on UK clocks, as the officer typed it and as
 * every page and letter shows it (10:30 in June is 09:30 UTC); a Board meeting, which has a day but no time, is taken at the time of day
 * it is now, so reminders keep to the hours they were first sent in.
 */
export function eventTime(event: FollowedEvent | undefined, record: Pick<Case, 'qim'>, boardMeeting: string | undefined, now: Date): Date | undefined {
  if (event === 'qim' && record.qim) return ukWallTime(record.qim.date, record.qim.time);
  if (event === 'boardMeeting' && boardMeeting) return new Date(`${boardMeeting}${now.toISOString().slice(10)}`);
  return undefined;
}

/** The step's response time, counted from now or from the event it follows, whichever is later. */
export function responseDue(every: 'response' | 'board' | 'inspection', now: Date, times: ResponseTimes, event?: Date): Date {
  const from = event && !Number.isNaN(event.getTime()) && event > now ? event : now;
  if (every === 'response') return addWorkingDays(from, times.responseWorkingDays);
  return addDays(from, every === 'board' ? times.boardReminderDays : times.inspectionCheckDays);
}
