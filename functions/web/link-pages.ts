/**
 * The pages an officer sees from an email link: a confirmation page (GET never acts), the result,
 * and one clear page for each reason a link cannot be used.
 */
import { html } from '../lib/html';
import type { PendingTask } from '../lib/model';
import { COMMISSIONING_POSITIONS } from '../lib/model';
import type { LinkRefusal, LinkView } from '../ladder/decide';
import { htmlResponse, type HttpResponse } from '../http-api/app';
import { layout } from './layout';
import { STAGE_LABELS } from './format';

const POSITION_LABELS: Record<(typeof COMMISSIONING_POSITIONS)[number], string> = {
  suspendNewPlacements: 'Suspend new placements (memo RED)',
  placeWithRestrictions: 'Place with restrictions (memo AMBER)',
  noFurtherAction: 'No further action',
};

/** What was typed, and what was wrong with it, when the form comes back. */
export interface FormState {
  values: Partial<Record<'date' | 'time' | 'venue' | 'attendees' | 'position' | 'informServiceUsers' | 'actions' | 'note', string>>;
  errors: Array<{ field: string; message: string }>;
}

const NO_STATE: FormState = { values: {}, errors: [] };

function errorFor(state: FormState, field: string) {
  const error = state.errors.find((item) => item.field === field);
  return error ? html`<p id="${field}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> ${error.message}</p>` : '';
}

function group(state: FormState, field: string) {
  return state.errors.some((item) => item.field === field) ? 'govuk-form-group govuk-form-group--error' : 'govuk-form-group';
}

function input(state: FormState, field: 'date' | 'time' | 'venue', label: string, width: string, hint: string) {
  const invalid = state.errors.some((item) => item.field === field);
  return html`<div class="${group(state, field)}"><label class="govuk-label" for="${field}">${label}</label><div id="${field}-hint" class="govuk-hint">${hint}</div>${errorFor(state, field)}<input class="govuk-input ${width}${invalid ? ' govuk-input--error' : ''}" id="${field}" name="${field}" type="text" value="${state.values[field] ?? ''}" aria-describedby="${field}-hint${invalid ? ` ${field}-error` : ''}"></div>`;
}

function extraFields(view: LinkView, state: FormState) {
  if (view.form === 'qimArrangement') {
    return html`
${input(state, 'date', 'Date of the meeting', 'govuk-input--width-10', 'For example, 2027-01-15')}
${input(state, 'time', 'Time', 'govuk-input--width-5', 'For example, 10:30')}
${input(state, 'venue', 'Venue', '', 'At the service wherever possible')}
<div class="govuk-form-group"><label class="govuk-label" for="attendees">Who else is expected (one per line)</label><textarea class="govuk-textarea" id="attendees" name="attendees" rows="4">${state.values.attendees ?? ''}</textarea></div>`;
  }
  if (view.form === 'qimOutcome') {
    return html`
<div class="${group(state, 'position')}"><fieldset class="govuk-fieldset"><legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Commissioning position</legend>${errorFor(state, 'position')}
<div class="govuk-radios">${COMMISSIONING_POSITIONS.map(
      (position) =>
        html`<div class="govuk-radios__item"><input class="govuk-radios__input" id="position-${position}" name="position" type="radio" value="${position}"${state.values.position === position ? ' checked' : ''}><label class="govuk-label govuk-radios__label" for="position-${position}">${POSITION_LABELS[position]}</label></div>`,
    )}</div></fieldset></div>
<div class="govuk-form-group"><div class="govuk-checkboxes"><div class="govuk-checkboxes__item"><input class="govuk-checkboxes__input" id="informServiceUsers" name="informServiceUsers" type="checkbox" value="yes"${state.values.informServiceUsers === 'yes' ? ' checked' : ''}><label class="govuk-label govuk-checkboxes__label" for="informServiceUsers">Tell the people using the service and their families</label></div></div></div>
<div class="${group(state, 'actions')}"><label class="govuk-label" for="actions">Improvement plan: one action per line</label><div id="actions-hint" class="govuk-hint">Write each as <code>action | owner | YYYY-MM-DD</code>, for example <code>Retrain staff on medicines | Registered Manager | 2027-01-31</code></div>${errorFor(state, 'actions')}<textarea class="govuk-textarea" id="actions" name="actions" rows="5" aria-describedby="actions-hint">${state.values.actions ?? ''}</textarea></div>`;
  }
  return html``;
}

export function confirmationPage(view: LinkView, pathAndQuery: string, state: FormState = NO_STATE): string {
  const { context } = view;
  return layout(
    state.errors.length ? 'Error: confirm your decision' : 'Confirm your decision',
    html`
${state.errors.length
  ? html`<div class="govuk-error-summary" data-module="govuk-error-summary"><div role="alert"><h2 class="govuk-error-summary__title">There is a problem</h2><div class="govuk-error-summary__body"><ul class="govuk-list govuk-error-summary__list">${state.errors.map((error) => html`<li><a href="#${error.field === 'position' ? 'position-suspendNewPlacements' : error.field}">${error.message}</a></li>`)}</ul></div></div></div>`
  : ''}
<span class="govuk-caption-l">${context.facts.providerName}</span>
<h1 class="govuk-heading-l">Confirm: ${view.decisionLabel}</h1>
<dl class="govuk-summary-list">
  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Location</dt><dd class="govuk-summary-list__value">${context.facts.locationName}, ${context.facts.locationAddress}</dd></div>
  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Stage</dt><dd class="govuk-summary-list__value">${STAGE_LABELS[context.record.stage]}</dd></div>
  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Step</dt><dd class="govuk-summary-list__value">${view.task.step}</dd></div>
  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Ratings</dt><dd class="govuk-summary-list__value">${context.facts.ratingSummary}</dd></div>
</dl>
<div class="govuk-inset-text">Nothing has happened yet. The decision is recorded only when you press the button below, and this link then stops working.</div>
<form method="post" action="${pathAndQuery}" novalidate>
<input type="hidden" name="formToken" value="${view.formToken}">
${extraFields(view, state)}
<div class="govuk-form-group"><label class="govuk-label" for="note">Note for the record${view.decision === 'safeguarding' ? ' (why safeguarding)' : ''}</label><textarea class="govuk-textarea" id="note" name="note" rows="3">${state.values.note ?? ''}</textarea></div>
<button type="submit" class="govuk-button" data-module="govuk-button">Confirm: ${view.decisionLabel}</button>
</form>`,
    { nav: false },
  );
}

export function donePage(view: LinkView): string {
  return layout(
    'Decision recorded',
    html`<div class="govuk-panel govuk-panel--confirmation"><h1 class="govuk-panel__title">Decision recorded</h1><div class="govuk-panel__body">${view.decisionLabel}<br>${view.context.facts.locationName}</div></div>
<p class="govuk-body">The case moves on now. You will get an email when it needs you again.</p>
<p class="govuk-body"><a class="govuk-link" href="/cases/${view.task.caseId}">Open the case</a></p>`,
    { nav: false },
  );
}

const REFUSALS: Record<LinkRefusal, { status: number; title: string; body: string }> = {
  malformed: { status: 400, title: 'This link is not complete', body: 'The link is damaged or was cut short (some email programs break long links). Open it again from the original email, or find the case on the Cases page.' },
  tampered: { status: 403, title: 'This link has been altered', body: 'The link does not match what we sent, so it cannot be used. Use the link exactly as it arrived in your email.' },
  expired: { status: 410, title: 'This link has expired', body: 'Links work for a limited time. The case page shows what is waiting; a reminder with fresh links will follow if the step is still open.' },
  unknownTask: { status: 404, title: 'We cannot find this step', body: 'The step this link belongs to is not on record.' },
  wrongOfficer: { status: 403, title: 'This link was sent to someone else', body: 'Only the officer the step is assigned to can use its links. If the case should be yours, ask the quality team to reassign it.' },
  notOffered: { status: 403, title: 'That decision is not offered at this step', body: 'Use one of the links in the email for this step.' },
  used: { status: 409, title: 'This link has already been used', body: 'A decision has already been recorded for this step, so nothing was changed. The case page shows what was decided and by whom.' },
  recording: { status: 202, title: 'Your decision is being recorded', body: 'The decision on this step is recorded and is being passed on to the case’s workflow; it will not be lost and nothing more is needed from you. The case page shows when it has moved on. Pressing the button again only finishes passing it on, it never decides twice.' },
  superseded: { status: 409, title: 'This step has moved on', body: 'The case is no longer waiting on this request (a newer email was sent, or the case moved to another step), so nothing was changed.' },
  timedOut: { status: 409, title: 'The workflow stopped waiting for this step', body: 'The step had timed out before your decision arrived, so nothing was changed. A reminder with fresh links has been, or will be, sent.' },
  failed: { status: 409, title: 'This step could not be completed', body: 'The workflow no longer knows this step, so your decision was not applied. The refusal is on the case’s audit trail, and the case page shows where it stands.' },
  badForm: { status: 400, title: 'Please confirm from the confirmation page', body: 'The form was not sent from our confirmation page (or the page was too old). Open the link from your email again and press the button there.' },
  badDetails: { status: 400, title: 'Some details are missing or wrong', body: 'Go back, correct the details and confirm again. Nothing was changed.' },
};

export function refusalPage(refusal: LinkRefusal, task: PendingTask | undefined, detail?: string): HttpResponse {
  const text = REFUSALS[refusal];
  return htmlResponse(
    text.status,
    layout(
      text.title,
      html`<h1 class="govuk-heading-l">${text.title}</h1><p class="govuk-body">${text.body}</p>${detail ? html`<p class="govuk-body">${detail}</p>` : ''}${task ? html`<p class="govuk-body"><a class="govuk-link" href="/cases/${task.caseId}">Open the case</a></p>` : ''}`,
      { nav: false },
    ),
  );
}

export function notFoundPage(message: string): string {
  return layout('Not available', html`<h1 class="govuk-heading-l">Sorry, that did not work</h1><p class="govuk-body">${message}</p>`, { nav: false });
}
