/**
 * The Commissioning & Quality Board: the cases referred to it and waiting, the meetings to come
 * with their papers, scheduling a meeting, recording who attended (quorum shown as members are
 * ticked, by /assets/board.js, and checked again by the server), and a held meeting's decisions.
 *
 * A meeting that is not quorate is kept as notes and can take no decision: its page says which
 * roles were missing, and a decision posted for it is refused by `recordBoardDecision`.
 */
import { providerSide, responseSummary } from '../ladder/provider-side';
import { html, type SafeHtml } from '../lib/html';
import { BOARD_ROLES, QUORUM_ROLES, type BoardMember, type BoardRole } from '../lib/config';
import { assessQuorum, BOARD_QUORUM, ROLE_LABELS, roleInSentence } from '../lib/quorum';
import { DomainError, NotFound } from '../lib/errors';
import type { PendingTask } from '../lib/model';
import { getMeeting, listMeetings, recordBoardDecision, recordMeeting, scheduleMeeting, type Meeting } from '../ladder/board';
import { htmlResponse, type HttpDeps, type HttpRequest, type HttpResponse } from '../http-api/app';
import { addDays, isoDate } from '../lib/clock';
import { listCaseSummaries, loadLocations, loadProviders, type CaseSummary, loadTasks } from './data';
import { csrfField, dateInput, errorSummary, fieldError, hasError, readDate, successBanner, type Problem } from './components';
import { FormFields, pageFormToken } from './forms';
import { STAGE_LABELS, decisionLabel, longDate, pathSegment, plural, shortDate, stageTag } from './format';
import { layout } from './layout';

/** Decisions that belong to others (ingestion reports inspections; safeguarding is an officer's call). */
const NOT_FOR_THE_BOARD = new Set(['safeguarding', 'ratedGood', 'ratedBelowGood']);

export const FORM_PURPOSE = { schedule: 'board-schedule', record: 'board-record', decision: 'board-decision' } as const;

interface WaitingCase {
  record: CaseSummary;
  task: Omit<PendingTask, 'taskToken'> | undefined;
  locationName: string;
  providerName: string;
  decisions: string[];
}

async function waitingCases(deps: HttpDeps): Promise<WaitingCase[]> {
  const cases = (await listCaseSummaries(deps.store)).filter((record) => record.status === 'open' && (record.waitingOn?.who === 'board' || record.waitingOn?.who === 'inspection'));
  const [locations, providers, tasks] = await Promise.all([
    loadLocations(deps.store, cases.map((record) => record.locationId)),
    loadProviders(deps.store, cases.map((record) => record.providerId)),
    loadTasks(deps.store, cases.flatMap((record) => (record.pendingTaskId ? [record.pendingTaskId] : []))),
  ]);
  return cases
    .map((record) => {
      const task = record.pendingTaskId ? tasks.get(record.pendingTaskId) : undefined;
      const open = task && task.status === 'pending' && (task.assignee === 'board' || task.assignee === 'inspection') ? task : undefined;
      return {
        record,
        task: open,
        locationName: locations.get(record.locationId)?.name ?? record.locationId,
        providerName: providers.get(record.providerId)?.name ?? record.providerId,
        decisions: open ? open.allowedDecisions.filter((decision) => !NOT_FOR_THE_BOARD.has(decision)) : [],
      };
    })
    .sort((a, b) => (a.record.waitingOn?.since ?? '').localeCompare(b.record.waitingOn?.since ?? ''));
}

/** Field ids of a case's decision form: derived from the case id, so they are stable and unique. */
export function fieldPrefix(caseId: string): string {
  return `case-${caseId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function memberLabel(member: BoardMember): string {
  return ROLE_LABELS[member.role];
}

/** The quorum as it stands for `attendees`: the same words the server and /assets/board.js use. */
export function quorumIndicator(members: readonly BoardMember[], attendees: readonly string[], id = 'quorum-status'): SafeHtml {
  const assessment = assessQuorum(members, attendees);
  const present = new Set(assessment.present.map((member) => member.role));
  const minimum = BOARD_QUORUM.minimumMembers;
  const quorateText = 'Quorate: this meeting can take decisions.';
  const notQuorateText = 'Not quorate: a meeting without a quorum is kept as notes and takes no decisions.';
  return html`<div class="app-quorum${assessment.quorate ? ' app-quorum--met' : ''}" id="${id}" data-minimum="${minimum}" aria-live="polite">
<p class="govuk-body govuk-!-font-weight-bold app-quorum__headline" data-quorum-headline data-quorate-text="${quorateText}" data-not-quorate-text="${notQuorateText}">${assessment.quorate ? quorateText : notQuorateText}</p>
<ul class="govuk-list app-quorum__list">
<li data-quorum-count data-text="{count} of at least ${minimum} members ticked" class="${assessment.present.length >= minimum ? 'app-quorum__met' : 'app-quorum__missing'}">${assessment.present.length} of at least ${minimum} members ticked</li>
${QUORUM_ROLES.map((role) => {
  const text = present.has(role) ? `Present: ${roleInSentence(role)}` : `Missing: ${roleInSentence(role)}`;
  return html`<li data-quorum-role="${role}" data-present-text="Present: ${roleInSentence(role)}" data-missing-text="Missing: ${roleInSentence(role)}" class="${present.has(role) ? 'app-quorum__met' : 'app-quorum__missing'}">${text}</li>`;
})}
</ul>
</div>`;
}

function attendeeCheckboxes(members: readonly BoardMember[], ticked: readonly string[], problems: readonly Problem[]): SafeHtml {
  const chosen = new Set(ticked);
  return html`<div class="govuk-form-group${hasError(problems, 'attendees') ? ' govuk-form-group--error' : ''}"><fieldset class="govuk-fieldset" aria-describedby="attendees-hint"><legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Who attended</legend>
<div id="attendees-hint" class="govuk-hint">Tick every Board member who took part. A quorum is at least ${BOARD_QUORUM.minimumMembers} members, including ${QUORUM_ROLES.map((role) => roleInSentence(role)).join(', ').replace(/, ([^,]*)$/, ' and $1')}.</div>
${fieldError(problems, 'attendees')}
<div class="govuk-checkboxes" data-module="govuk-checkboxes">${members.map(
    (member, index) =>
      html`<div class="govuk-checkboxes__item"><input class="govuk-checkboxes__input" id="${index === 0 ? 'attendees' : `attendees-${index + 1}`}" name="attendees" type="checkbox" value="${member.id}" data-role="${member.role}"${chosen.has(member.id) ? ' checked' : ''} aria-describedby="attendee-${index}-hint"><label class="govuk-label govuk-checkboxes__label" for="${index === 0 ? 'attendees' : `attendees-${index + 1}`}">${member.name}</label><div id="attendee-${index}-hint" class="govuk-hint govuk-checkboxes__hint">${memberLabel(member)}</div></div>`,
  )}</div></fieldset></div>`;
}

export interface BoardPageState {
  problems?: Problem[];
  form?: 'schedule' | 'record';
  values?: { meetingId?: string; date?: string; attendees?: string[]; virtual?: boolean; notes?: string; scheduleDate?: string };
  done?: string;
}

export async function boardPage(deps: HttpDeps, request: HttpRequest, user: string, state: BoardPageState = {}): Promise<string> {
  const now = deps.clock.now();
  const today = isoDate(now);
  const [meetings, waiting] = await Promise.all([listMeetings(deps), waitingCases(deps)]);
  const members = deps.config.board.members;
  const scheduled = meetings.filter((meeting) => meeting.status === 'scheduled');
  const held = meetings.filter((meeting) => meeting.status === 'held').reverse();
  const referred = waiting.filter((item) => item.record.waitingOn?.who === 'board');
  const rectification = waiting.filter((item) => item.record.waitingOn?.who === 'inspection');
  const problems = state.problems ?? [];
  const values = state.values ?? {};
  const recordProblems = state.form === 'record' ? problems : [];
  const scheduleProblems = state.form === 'schedule' ? problems : [];
  const chosenMeeting = values.meetingId ?? (scheduled.find((meeting) => meeting.date <= today) ?? scheduled[0])?.meetingId ?? '';

  const waitingTable = (items: WaitingCase[], caption: string) => html`<table class="govuk-table app-table--stack">
<caption class="govuk-table__caption govuk-visually-hidden">${caption}</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Location and provider</th><th scope="col" class="govuk-table__header">Stage and step</th><th scope="col" class="govuk-table__header">Waiting since</th><th scope="col" class="govuk-table__header">Papers for</th><th scope="col" class="govuk-table__header">Decisions open to the Board</th></tr></thead>
<tbody class="govuk-table__body">${items.map(
    (item) => html`<tr class="govuk-table__row"><td class="govuk-table__cell" data-label="Location and provider"><a class="govuk-link" href="/cases/${pathSegment(item.record.caseId)}">${item.locationName}</a><br><span class="govuk-body-s">${item.providerName}</span></td>
<td class="govuk-table__cell" data-label="Stage and step">${stageTag(item.record)}<br><span class="govuk-body-s">${item.record.waitingOn?.step ?? ''}</span></td>
<td class="govuk-table__cell" data-label="Waiting since">${shortDate(item.record.waitingOn?.since)}${item.record.waitingOn?.reminders ? html`<br><span class="govuk-body-s">${plural(item.record.waitingOn.reminders, 'reminder')}</span>` : ''}</td>
<td class="govuk-table__cell" data-label="Papers for">${item.record.deadlines.boardMeeting ? shortDate(item.record.deadlines.boardMeeting) : html`<span class="app-muted">No meeting scheduled</span>`}</td>
<td class="govuk-table__cell" data-label="Decisions open to the Board"><ul class="govuk-list govuk-!-font-size-16">${item.decisions.map((decision) => html`<li>${decisionLabel(decision)}</li>`)}</ul></td></tr>`,
  )}</tbody></table>`;

  const upcoming = scheduled.map((meeting) => {
    const papers = waiting.filter((item) => item.record.deadlines.boardMeeting === meeting.date);
    const papersBy = addDays(new Date(`${meeting.date}T00:00:00Z`), -deps.config.board.papersDaysBefore);
    return html`<div class="govuk-summary-card"><div class="govuk-summary-card__title-wrapper"><h3 class="govuk-summary-card__title">${longDate(meeting.date)}${meeting.date < today ? ' (not recorded yet)' : ''}</h3></div>
<div class="govuk-summary-card__content"><p class="govuk-body">Papers go to members by ${longDate(papersBy)}.</p>
${papers.length
  ? html`<p class="govuk-body">Papers: ${plural(papers.length, 'case')}</p><ul class="govuk-list govuk-list--bullet">${papers.map((item) => html`<li><a class="govuk-link" href="/cases/${pathSegment(item.record.caseId)}">${item.locationName}</a> (${item.providerName}): ${STAGE_LABELS[item.record.stage]}</li>`)}</ul>`
  : html`<p class="govuk-body app-muted">No case is listed for this meeting yet.</p>`}
</div></div>`;
  });

  const banner =
    state.done === 'scheduled' ? successBanner('Meeting scheduled', 'Cases referred from now on will be listed for it when their papers can reach members in time.') : html``;

  const body = html`${banner}${errorSummary(problems)}
<h1 class="govuk-heading-l">Commissioning &amp; Quality Board</h1>

<h2 class="govuk-heading-m">Cases waiting for a decision</h2>
${referred.length ? waitingTable(referred, 'Cases referred to the Board and waiting for its decision') : html`<p class="govuk-body">No case is waiting for the Board.</p>`}
${rectification.length
  ? html`<h3 class="govuk-heading-s">Rectification: waiting for the next CQC inspection</h3><p class="govuk-body">The Board hears these when the inspection is published, and may act sooner.</p>${waitingTable(rectification, 'Cases under a rectification notice')}`
  : ''}

<h2 class="govuk-heading-m">Meetings to come</h2>
${upcoming.length ? upcoming : html`<p class="govuk-body">No meeting is scheduled.</p>`}

<div class="govuk-grid-row">
<div class="govuk-grid-column-one-half">
<h2 class="govuk-heading-m" id="schedule-heading">Schedule a meeting</h2>
<form method="post" action="/board-meetings/schedule" novalidate aria-labelledby="schedule-heading">
${csrfField(pageFormToken(deps.signingKey, request, user, FORM_PURPOSE.schedule))}
${dateInput('schedule-date', 'Date of the meeting', `For example, ${shortDate(addDays(now, 28))}`, values.scheduleDate, scheduleProblems)}
<button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">Schedule meeting</button>
</form>
</div>
</div>

<h2 class="govuk-heading-m" id="record-heading">Record a meeting</h2>
<form method="post" action="/board-meetings/record" novalidate aria-labelledby="record-heading" data-quorum-form="quorum-status">
${csrfField(pageFormToken(deps.signingKey, request, user, FORM_PURPOSE.record))}
<div class="govuk-form-group${hasError(recordProblems, 'meetingId') ? ' govuk-form-group--error' : ''}"><fieldset class="govuk-fieldset"><legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Which meeting</legend>
${fieldError(recordProblems, 'meetingId')}
<div class="govuk-radios govuk-radios--small" data-module="govuk-radios">
${scheduled.map(
  (meeting, index) =>
    html`<div class="govuk-radios__item"><input class="govuk-radios__input" id="${index === 0 ? 'meetingId' : `meetingId-${index + 1}`}" name="meetingId" type="radio" value="${meeting.meetingId}"${chosenMeeting === meeting.meetingId ? ' checked' : ''}><label class="govuk-label govuk-radios__label" for="${index === 0 ? 'meetingId' : `meetingId-${index + 1}`}">Scheduled for ${longDate(meeting.date)}</label></div>`,
)}
<div class="govuk-radios__item"><input class="govuk-radios__input" id="${scheduled.length ? 'meetingId-other' : 'meetingId'}" name="meetingId" type="radio" value=""${chosenMeeting === '' ? ' checked' : ''}><label class="govuk-label govuk-radios__label" for="${scheduled.length ? 'meetingId-other' : 'meetingId'}">A meeting that was not scheduled (an urgent or virtual one): give its date below</label></div>
</div></fieldset></div>
${dateInput('meeting-date', 'Date, if the meeting was not scheduled', `For example, ${shortDate(now)}`, values.date ?? today, recordProblems)}
${attendeeCheckboxes(members, values.attendees ?? [], recordProblems)}
${quorumIndicator(members, values.attendees ?? [])}
<p class="govuk-body-s">The quorum is checked again when you record the meeting.</p>
<div class="govuk-form-group"><div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes"><div class="govuk-checkboxes__item"><input class="govuk-checkboxes__input" id="virtual" name="virtual" type="checkbox" value="yes"${values.virtual ? ' checked' : ''}><label class="govuk-label govuk-checkboxes__label" for="virtual">An urgent decision taken virtually (by email or call)</label></div></div></div>
<div class="govuk-form-group"><label class="govuk-label govuk-label--s" for="notes">Notes or minutes</label><textarea class="govuk-textarea" id="notes" name="notes" rows="4">${values.notes ?? ''}</textarea></div>
<button type="submit" class="govuk-button" data-module="govuk-button">Record meeting</button>
</form>

<h2 class="govuk-heading-m">Meetings held</h2>
${held.length
  ? html`<table class="govuk-table app-table--stack"><caption class="govuk-table__caption govuk-visually-hidden">Meetings held, newest first</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Date</th><th scope="col" class="govuk-table__header">Attended</th><th scope="col" class="govuk-table__header">Quorum</th><th scope="col" class="govuk-table__header">Decisions</th></tr></thead>
<tbody class="govuk-table__body">${held.map(
      (meeting) =>
        html`<tr class="govuk-table__row"><td class="govuk-table__cell" data-label="Date"><a class="govuk-link" href="/board-meetings/${pathSegment(meeting.meetingId)}">${longDate(meeting.date)}</a>${meeting.virtual ? html`<br><span class="govuk-body-s">Virtual</span>` : ''}</td><td class="govuk-table__cell" data-label="Attended">${plural(meeting.attendees.length, 'member')}</td><td class="govuk-table__cell" data-label="Quorum">${meeting.quorate ? html`<strong class="govuk-tag govuk-tag--green">Quorate</strong>` : html`<strong class="govuk-tag govuk-tag--red">Not quorate</strong><br><span class="govuk-body-s">Notes only</span>`}</td><td class="govuk-table__cell" data-label="Decisions">${meeting.decisions.length}</td></tr>`,
    )}</tbody></table>`
  : html`<p class="govuk-body">No meeting has been recorded yet.</p>`}`;
  return layout('Board', body, { active: '/board', scripts: ['/assets/board.js'] });
}

export interface MeetingPageState {
  problems?: Problem[];
  /** The case whose form the problems belong to. */
  caseId?: string;
  values?: { decision?: string; rationale?: string };
  done?: string;
}

function missingRolesSentence(roles: readonly string[]): string {
  const known = roles.filter((role): role is BoardRole => (BOARD_ROLES as readonly string[]).includes(role));
  return known.map((role) => roleInSentence(role)).join('; ');
}

export async function meetingPage(deps: HttpDeps, request: HttpRequest, user: string, meetingId: string, state: MeetingPageState = {}): Promise<string> {
  const meeting = await getMeeting(deps, meetingId);
  const waiting = meeting.status === 'held' ? await waitingCases(deps) : [];
  const members = deps.config.board.members;
  const attendees = members.filter((member) => meeting.attendees.includes(member.id));
  const token = pageFormToken(deps.signingKey, request, user, FORM_PURPOSE.decision);
  const problems = state.problems ?? [];
  const decided = new Map<string, string>();
  for (const decision of meeting.decisions) decided.set(decision.caseId, decision.decision);
  // Whether the provider answered the evidence, on each case before the Board.
  const responded = new Map(await Promise.all(waiting.map(async (item) => [item.record.caseId, responseSummary(await providerSide(deps, item.record.caseId))] as const)));

  const status =
    meeting.status === 'scheduled'
      ? html`<div class="govuk-inset-text">This meeting is scheduled and has not been recorded yet. <a class="govuk-link" href="/board#record-heading">Record who attended</a>.</div>`
      : meeting.quorate
        ? html`<div class="govuk-panel govuk-panel--confirmation app-panel--compact"><h2 class="govuk-panel__title">Quorate</h2><div class="govuk-panel__body">Minutes: this meeting can record decisions</div></div>`
        : html`<div class="govuk-warning-text"><span class="govuk-warning-text__icon" aria-hidden="true">!</span><strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">Warning</span>Not quorate. This meeting is kept as notes and cannot take decisions. Missing: ${missingRolesSentence(meeting.missingRoles) || `at least ${BOARD_QUORUM.minimumMembers} members`}.</strong></div>`;

  const decisionForm = (item: WaitingCase) => {
    const mine = state.caseId === item.record.caseId ? problems : [];
    const prefix = fieldPrefix(item.record.caseId);
    return html`<div class="govuk-summary-card"><div class="govuk-summary-card__title-wrapper"><h3 class="govuk-summary-card__title"><a class="govuk-link" href="/cases/${pathSegment(item.record.caseId)}">${item.locationName}</a>, ${item.providerName}</h3></div>
<div class="govuk-summary-card__content">
<p class="govuk-body">${stageTag(item.record)} ${item.record.waitingOn?.step ?? ''}, since ${longDate(item.record.waitingOn?.since)}.</p>
<p class="govuk-body app-provider-response">Provider's response to the evidence: ${responded.get(item.record.caseId) ?? 'Not invited to respond'}</p>
${item.decisions.length === 0
  ? html`<p class="govuk-body">No decision is open to the Board on this case right now.</p>`
  : html`<form method="post" action="/board-meetings/${pathSegment(meeting.meetingId)}/decisions" novalidate>
${csrfField(token)}
<input type="hidden" name="caseId" value="${item.record.caseId}">
<div class="govuk-form-group${hasError(mine, `${prefix}-decision`) ? ' govuk-form-group--error' : ''}"><fieldset class="govuk-fieldset"><legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Decision</legend>
${fieldError(mine, `${prefix}-decision`)}
<div class="govuk-radios govuk-radios--small" data-module="govuk-radios">${item.decisions.map(
      (decision, option) =>
        html`<div class="govuk-radios__item"><input class="govuk-radios__input" id="${option === 0 ? `${prefix}-decision` : `${prefix}-decision-${option + 1}`}" name="decision" type="radio" value="${decision}"${state.caseId === item.record.caseId && state.values?.decision === decision ? ' checked' : ''}><label class="govuk-label govuk-radios__label" for="${option === 0 ? `${prefix}-decision` : `${prefix}-decision-${option + 1}`}">${decisionLabel(decision)}</label></div>`,
    )}</div></fieldset></div>
<div class="govuk-form-group${hasError(mine, `${prefix}-rationale`) ? ' govuk-form-group--error' : ''}"><label class="govuk-label govuk-label--s" for="${prefix}-rationale">Why the Board decided this</label>
${fieldError(mine, `${prefix}-rationale`)}
<textarea class="govuk-textarea${hasError(mine, `${prefix}-rationale`) ? ' govuk-textarea--error' : ''}" id="${prefix}-rationale" name="rationale" rows="3">${state.caseId === item.record.caseId ? (state.values?.rationale ?? '') : ''}</textarea></div>
<button type="submit" class="govuk-button" data-module="govuk-button">Record the decision<span class="govuk-visually-hidden"> for ${item.locationName}</span></button>
</form>`}
</div></div>`;
  };

  const decidedCases = await Promise.all(meeting.decisions.map((decision) => deps.store.getCase(decision.caseId)));
  const decidedLocations = await loadLocations(deps.store, decidedCases.flatMap((record) => (record ? [record.locationId] : [])));
  const recorded = meeting.decisions.map((decision, index) => {
    const locationId = decidedCases[index]?.locationId;
    const name = (locationId ? decidedLocations.get(locationId)?.name : undefined) ?? decision.caseId;
    return html`<tr class="govuk-table__row"><td class="govuk-table__cell" data-label="Case"><a class="govuk-link" href="/cases/${pathSegment(decision.caseId)}">${name}</a></td><td class="govuk-table__cell" data-label="Decision">${decisionLabel(decision.decision)}</td><td class="govuk-table__cell" data-label="Why">${decision.rationale}</td><td class="govuk-table__cell" data-label="Recorded by">${decision.by}</td></tr>`;
  });
  const open = waiting.filter((item) => !decided.has(item.record.caseId));

  const body = html`${state.done === 'recorded' ? successBanner(meeting.quorate ? 'Meeting recorded: quorate' : 'Meeting recorded as notes: not quorate') : ''}${state.done === 'decision' ? successBanner('Decision recorded', 'The case moves on now; its page shows the next step.') : ''}${errorSummary(problems)}
<a class="govuk-back-link" href="/board">Board</a>
<span class="govuk-caption-l">Commissioning &amp; Quality Board</span>
<h1 class="govuk-heading-l">Meeting of ${longDate(meeting.date)}${meeting.virtual ? ' (virtual)' : ''}</h1>
${status}
${meeting.status === 'held'
  ? html`<h2 class="govuk-heading-m">Who attended</h2>
${attendees.length ? html`<ul class="govuk-list govuk-list--bullet">${attendees.map((member) => html`<li>${member.name}, ${memberLabel(member)}</li>`)}</ul>` : html`<p class="govuk-body">Nobody from the Board.</p>`}
${meeting.notes ? html`<h2 class="govuk-heading-m">${meeting.record === 'minutes' ? 'Minutes' : 'Notes'}</h2><p class="govuk-body app-pre">${meeting.notes}</p>` : ''}
${recorded.length
  ? html`<h2 class="govuk-heading-m">Decisions taken</h2><table class="govuk-table app-table--stack"><caption class="govuk-table__caption govuk-visually-hidden">Decisions taken at this meeting</caption><thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Case</th><th scope="col" class="govuk-table__header">Decision</th><th scope="col" class="govuk-table__header">Why</th><th scope="col" class="govuk-table__header">Recorded by</th></tr></thead><tbody class="govuk-table__body">${recorded}</tbody></table>`
  : ''}
${meeting.quorate
  ? html`<h2 class="govuk-heading-m">Record decisions</h2>${open.length ? open.map(decisionForm) : html`<p class="govuk-body">No case is waiting for a decision.</p>`}`
  : open.length
    ? html`<h2 class="govuk-heading-m">Cases waiting</h2><p class="govuk-body">${plural(open.length, 'case')} ${open.length === 1 ? 'is' : 'are'} waiting for a decision, which needs a quorate meeting.</p>`
    : ''}`
  : ''}`;
  return layout(`Board meeting ${meeting.date}`, body, { active: '/board' });
}

// ---- form posts ------------------------------------------------------------------------------

function asProblem(error: unknown, field?: string): Problem {
  if (error instanceof DomainError) return { message: error.message, ...(field ? { field } : {}) };
  throw error;
}

export async function postSchedule(deps: HttpDeps, request: HttpRequest, user: string, fields: FormFields): Promise<HttpResponse> {
  const date = readDate(fields, 'schedule-date');
  if (!date) {
    const problems = [{ field: 'schedule-date', message: 'Enter the date of the meeting as a real date, for example 27 3 2027' }];
    return htmlResponse(400, await boardPage(deps, request, user, { problems, form: 'schedule' }));
  }
  await scheduleMeeting(deps, { date });
  return { statusCode: 303, headers: { location: '/board?done=scheduled', 'cache-control': 'no-store' }, body: '' };
}

export async function postRecordMeeting(deps: HttpDeps, request: HttpRequest, user: string, fields: FormFields): Promise<HttpResponse> {
  const meetingId = fields.get('meetingId');
  const attendees = fields.all('attendees');
  const virtual = fields.get('virtual') === 'yes';
  const notes = fields.get('notes').slice(0, 20_000);
  const rawDate = readDate(fields, 'meeting-date');
  const values = { meetingId, attendees, virtual, notes, date: rawDate };
  const problems: Problem[] = [];
  let date = rawDate;
  if (meetingId) {
    try {
      date = (await getMeeting(deps, meetingId)).date;
    } catch (error) {
      if (!(error instanceof NotFound)) throw error;
      problems.push({ field: 'meetingId', message: 'That meeting is not on record; choose another' });
    }
  } else if (!date) {
    problems.push({ field: 'meeting-date', message: 'Enter the date of the meeting as a real date, for example 27 3 2027' });
  }
  if (attendees.length === 0) problems.push({ field: 'attendees', message: 'Tick the Board members who attended' });
  if (problems.length === 0 && date) {
    try {
      const meeting: Meeting = await recordMeeting(deps, { ...(meetingId ? { meetingId } : {}), date, attendees, virtual, notes }, user);
      return { statusCode: 303, headers: { location: `/board-meetings/${encodeURIComponent(meeting.meetingId)}?done=recorded`, 'cache-control': 'no-store' }, body: '' };
    } catch (error) {
      problems.push(asProblem(error, 'attendees'));
    }
  }
  return htmlResponse(400, await boardPage(deps, request, user, { problems, form: 'record', values }));
}

export async function postDecision(deps: HttpDeps, request: HttpRequest, user: string, meetingId: string, fields: FormFields): Promise<HttpResponse> {
  const caseId = fields.get('caseId');
  const decision = fields.get('decision');
  const rationale = fields.get('rationale');
  const prefix = fieldPrefix(caseId);
  const problems: Problem[] = [];
  if (!decision) problems.push({ field: `${prefix}-decision`, message: 'Choose the Board’s decision' });
  if (!rationale) problems.push({ field: `${prefix}-rationale`, message: 'Say why the Board decided this: a rationale is required' });
  let status = 400;
  if (problems.length === 0) {
    try {
      await recordBoardDecision(deps, { meetingId, caseId, decision, rationale: rationale.slice(0, 20_000) }, user, request.sourceIp);
      return { statusCode: 303, headers: { location: `/board-meetings/${encodeURIComponent(meetingId)}?done=decision`, 'cache-control': 'no-store' }, body: '' };
    } catch (error) {
      problems.push(asProblem(error));
      status = error instanceof DomainError ? error.status : 400;
    }
  }
  return htmlResponse(status, await meetingPage(deps, request, user, meetingId, { problems, caseId, values: { decision, rationale } }));
}
