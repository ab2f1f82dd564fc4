/**
 * A step that follows a dated event is due from that event, on the virtual clock: the QIM's outcome
 * is asked for after the meeting, not before it, and a Board decision after the meeting the case is
 * listed for. No reminder goes before the event; the due date each email shows comes after it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dateFields, daysFromToday, OAKFIELD, Product, QIM_ARRANGEMENT, qimOutcome } from '../support/product';
import { addDays, addWorkingDays } from '../../functions/lib/clock';
import { longDate } from '../../functions/lib/dates';
import { DECISION_STEPS } from '../../workflows/escalation';

const TOM = 'tom.reid@westshire.example.gov.uk';
const BOARD_MEMBER = 'joan.baker@westshire.example.gov.uk';

describe('due dates count from the event a step follows', () => {
  let product: Product;
  beforeEach(async () => {
    product = await Product.start();
  });
  afterEach(async () => product.close());

  const outcomeRequests = () => product.allMail().filter((email) => email.destination.to.includes(TOM) && /Record QIM Outcome — Oakfield/.test(email.subject));

  it('a QIM arranged three weeks ahead: its outcome is due five working days after the meeting, and no reminder comes before', async () => {
    // Prepare: Oakfield's formal stage; the QIM is arranged for a date 24 days on.
    await product.ingestDemoRatings([OAKFIELD]);
    await product.officerDecides(TOM, /Approve Quality Improvement Notice — Oakfield/, 'approve');
    const qimDay = daysFromToday(24);
    await product.officerDecides(TOM, /Arrange Quality Improvement Meeting — Oakfield/, 'arranged', { ...QIM_ARRANGEMENT, ...dateFields('date', qimDay), time: '10:30' });
    const meeting = new Date(`${qimDay}T10:30:00.000Z`);
    const due = addWorkingDays(meeting, 5);

    // Assess: the request shows a due date after the meeting, and the case records it.
    expect(outcomeRequests()).toHaveLength(1);
    expect(outcomeRequests()[0]!.body.text).toContain(`Please answer by ${longDate(due)}.`);
    let view = await product.caseFor(OAKFIELD);
    expect(view.case.deadlines.response).toBe(due.toISOString());
    expect(new Date(view.case.deadlines.response!).getTime()).toBeGreaterThan(meeting.getTime());

    // Act: time runs to the meeting and past it: no reminder before the due date.
    await product.runtime.clock.advanceTo(new Date(meeting.getTime() + 3 * 3_600_000));
    await product.runtime.idle();
    expect(outcomeRequests()).toHaveLength(1);
    await product.runtime.clock.advanceTo(new Date(due.getTime() - 60_000));
    await product.runtime.idle();
    expect(outcomeRequests()).toHaveLength(1);

    // Nobody answered by the due date: the first reminder, due five working days on from then.
    await product.runtime.clock.advanceTo(new Date(due.getTime() + 60_000));
    await product.runtime.idle();
    const requests = outcomeRequests();
    expect(requests.map((email) => email.subject)).toEqual([expect.stringMatching(/^Action needed/), expect.stringMatching(/^Reminder 1: Action needed/)]);
    expect(requests[1]!.body.text).toContain(`Please answer by ${longDate(addWorkingDays(due, 5))}.`);
    view = await product.caseFor(OAKFIELD);
    expect(view.case.waitingOn).toMatchObject({ step: 'Record QIM Outcome', reminders: 1 });
  });

  it('a case listed for a Board meeting six weeks away: the decision is due after that meeting, and the papers are not re-sent before it', async () => {
    await product.ingestDemoRatings([OAKFIELD]);
    await product.officerDecides(TOM, /Approve Quality Improvement Notice — Oakfield/, 'approve');
    await product.officerDecides(TOM, /Arrange Quality Improvement Meeting — Oakfield/, 'arranged', QIM_ARRANGEMENT);
    const meetingDay = daysFromToday(42);
    expect((await product.api('POST', '/board/meetings/schedule', { date: meetingDay })).status).toBe(201);
    await product.officerDecides(TOM, /Record QIM Outcome — Oakfield/, 'referToBoard', qimOutcome('suspendNewPlacements', false, []));
    const referred = product.runtime.clock.now();

    let view = await product.caseFor(OAKFIELD);
    expect(view.case.waitingOn?.step).toBe('Await Board Decision');
    expect(view.case.deadlines.boardMeeting).toBe(meetingDay);
    // Thirty days (the Board's response time) from the meeting, at the hour the papers went.
    const due = new Date(view.case.deadlines.response!);
    const expected = addDays(new Date(`${meetingDay}${referred.toISOString().slice(10)}`), 30);
    expect(Math.abs(due.getTime() - expected.getTime())).toBeLessThan(60_000);
    const papers = () => product.allMail().filter((email) => email.destination.to.includes(BOARD_MEMBER) && /Board papers: .* Oakfield/.test(email.subject));
    expect(papers()).toHaveLength(1);
    expect(papers()[0]!.body.text).toContain(`listed for the meeting on ${longDate(meetingDay)}`);

    // Thirty-five days on the meeting has not happened yet: no reminder has gone to the Board.
    await product.advance('35 days');
    expect(papers()).toHaveLength(1);
    await product.runtime.clock.advanceTo(new Date(due.getTime() - 60_000));
    await product.runtime.idle();
    expect(papers()).toHaveLength(1);
    await product.runtime.clock.advanceTo(new Date(due.getTime() + 60_000));
    await product.runtime.idle();
    expect(papers()).toHaveLength(2);
    view = await product.caseFor(OAKFIELD);
    expect(view.case.waitingOn).toMatchObject({ step: 'Await Board Decision', reminders: 1 });
  });

  it('every waiting step on the Board counts from its meeting, and the QIM outcome from the QIM', () => {
    for (const step of DECISION_STEPS) {
      if (step.assignee === 'board' && step.onTimeout.kind === 'remind') expect(step.onTimeout, step.name).toMatchObject({ after: 'boardMeeting' });
    }
    expect(DECISION_STEPS.find((step) => step.name === 'Record QIM Outcome')?.onTimeout).toMatchObject({ after: 'qim' });
  });
});
