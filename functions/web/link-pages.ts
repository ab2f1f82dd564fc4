/**
 * The pages an officer sees from an email link: a confirmation page (GET never acts), the result,
 * and one clear page for each reason a link cannot be used.
 */
import { html, raw, type SafeHtml } from '../lib/html';
import type { PendingTask } from '../lib/model';
import { COMMISSIONING_POSITIONS } from '../lib/model';
import type { LinkRefusal, LinkView } from '../ladder/decide';
import { htmlResponse, type HttpResponse } from '../http-api/app';
import { layout } from './layout';
import { STAGE_LABELS } from './format';
import { dateInputParts, fieldError, hasError } from './components';
import { EMPTY_ROW, MAX_PLAN_ROWS, planFields, planRowCount, planRows, rowsFromPlan } from '../ladder/decision-form';

const POSITION_LABELS: Record<(typeof COMMISSIONING_POSITIONS)[number], string> = {
  suspendNewPlacements: 'Suspend new placements (memo RED)',
  placeWithRestrictions: 'Place with restrictions (memo AMBER)',
  noFurtherAction: 'No further action',
};

/** What was typed, and what was wrong with it, when the form comes back. */
export interface FormState {
  values: Readonly<Record<string, string | undefined>>;
  errors: Array<{ field: string; message: string }>;
  /** The plan row just added with "Add another action" (its first field takes the focus). */
  addedRow?: number;
}

const NO_STATE: FormState = { values: {}, errors: [] };

function errorFor(state: FormState, field: string) {
  return fieldError(state.errors, field);
}

function group(state: FormState, field: string) {
  return state.errors.some((item) => item.field === field) ? 'govuk-form-group govuk-form-group--error' : 'govuk-form-group';
}

function describedBy(state: FormState, field: string, hint: boolean): SafeHtml {
  const ids = [hint ? `${field}-hint` : '', hasError(state.errors, field) ? `${field}-error` : ''].filter(Boolean).join(' ');
  return ids ? html` aria-describedby="${ids}"` : html``;
}

function input(state: FormState, field: string, label: string, width: string, hint: string, options: { labelClass?: string; autofocus?: boolean } = {}) {
  const invalid = hasError(state.errors, field);
  return html`<div class="${group(state, field)}"><label class="govuk-label${options.labelClass ? ` ${options.labelClass}` : ''}" for="${field}">${label}</label>${hint ? html`<div id="${field}-hint" class="govuk-hint">${hint}</div>` : ''}${errorFor(state, field)}<input class="govuk-input ${width}${invalid ? ' govuk-input--error' : ''}" id="${field}" name="${field}" type="text" value="${state.values[field] ?? ''}"${describedBy(state, field, Boolean(hint))}${options.autofocus ? html` autofocus` : ''}></div>`;
}

function textarea(state: FormState, field: string, label: string, rows: number, hint = '', labelClass = '') {
  const invalid = hasError(state.errors, field);
  return html`<div class="${group(state, field)}"><label class="govuk-label${labelClass ? ` ${labelClass}` : ''}" for="${field}">${label}</label>${hint ? html`<div id="${field}-hint" class="govuk-hint">${hint}</div>` : ''}${errorFor(state, field)}<textarea class="govuk-textarea${invalid ? ' govuk-textarea--error' : ''}" id="${field}" name="${field}" rows="${rows}"${describedBy(state, field, Boolean(hint))}>${state.values[field] ?? ''}</textarea></div>`;
}

/** A date two weeks after the request was made, as the date input's example. */
function exampleDate(view: LinkView): string {
  const date = new Date(new Date(view.task.createdAt).getTime() + 14 * 86_400_000);
  return Number.isNaN(date.getTime()) ? '27 3 2027' : `${date.getUTCDate()} ${date.getUTCMonth() + 1} ${date.getUTCFullYear()}`;
}

/** The improvement plan as GOV.UK "add another" rows: each a fieldset, with remove, and one button to add a row. */
function planFieldset(view: LinkView, state: FormState): SafeHtml {
  const rows = planRowCount(state.values) > 0 ? planRows(state.values) : [EMPTY_ROW];
  const amending = view.context.record.improvementPlan.length > 0;
  return html`<div class="govuk-form-group app-add-another">
<h2 class="govuk-heading-m" id="plan-heading">Improvement plan</h2>
<p class="govuk-body" id="plan-hint">${amending
    ? 'The actions agreed so far are filled in below: change them, remove those that are done with, and add new ones. What you confirm replaces the plan.'
    : 'One row for each action: what will be done, who owns it, when it is due and how success will be shown. Leave a row empty if it is not needed.'}</p>
${errorFor(state, 'actions')}
${rows.map((row, index) => {
    const n = index + 1;
    const prefix = `plan-${n}`;
    return html`<fieldset class="govuk-fieldset app-add-another__item" aria-describedby="plan-hint">
<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Action ${n}</legend>
${input({ ...state, values: { ...state.values, [`${prefix}-action`]: row.action } }, `${prefix}-action`, 'What will be done', 'govuk-!-width-full', '', { autofocus: state.addedRow === n })}
${input({ ...state, values: { ...state.values, [`${prefix}-owner`]: row.owner } }, `${prefix}-owner`, 'Who owns it', 'govuk-!-width-two-thirds', '')}
${dateInputParts(`${prefix}-due`, 'Due date', `For example, ${exampleDate(view)}`, { day: row.dueDay, month: row.dueMonth, year: row.dueYear }, state.errors, 'govuk-fieldset__legend--s app-legend--regular')}
${textarea({ ...state, values: { ...state.values, [`${prefix}-success`]: row.success } }, `${prefix}-success`, 'How success will be shown', 2, 'The evidence that will show the action worked')}
${rows.length > 1 ? html`<button type="submit" name="planChange" value="remove-${n}" class="govuk-button govuk-button--secondary app-add-another__remove" data-module="govuk-button">Remove action ${n}</button>` : ''}
</fieldset>`;
  })}
${rows.length < MAX_PLAN_ROWS ? html`<button type="submit" name="planChange" value="add" class="govuk-button govuk-button--secondary" data-module="govuk-button">Add another action</button>` : html`<p class="govuk-body">A plan can hold at most ${MAX_PLAN_ROWS} actions.</p>`}
</div>`;
}

function extraFields(view: LinkView, state: FormState) {
  if (view.form === 'qimArrangement') {
    return html`
${dateInputParts('date', 'Date of the meeting', `For example, ${exampleDate(view)}`, { day: state.values['date-day'] ?? '', month: state.values['date-month'] ?? '', year: state.values['date-year'] ?? '' }, state.errors)}
${input(state, 'time', 'Time', 'govuk-input--width-10', 'For example, 10:30am, 2pm or 14:00')}
${input(state, 'venue', 'Venue', '', 'At the service wherever possible')}
${textarea(state, 'attendees', 'Who else is expected (one per line)', 4)}`;
  }
  if (view.form === 'qimOutcome') {
    return html`
<div class="${group(state, 'position')}"><fieldset class="govuk-fieldset"><legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Commissioning position</legend>${errorFor(state, 'position')}
<div class="govuk-radios">${COMMISSIONING_POSITIONS.map(
      (position) =>
        html`<div class="govuk-radios__item"><input class="govuk-radios__input" id="position-${position}" name="position" type="radio" value="${position}"${state.values.position === position ? ' checked' : ''}><label class="govuk-label govuk-radios__label" for="position-${position}">${POSITION_LABELS[position]}</label></div>`,
    )}</div></fieldset></div>
<div class="govuk-form-group"><div class="govuk-checkboxes"><div class="govuk-checkboxes__item"><input class="govuk-checkboxes__input" id="informServiceUsers" name="informServiceUsers" type="checkbox" value="yes"${state.values.informServiceUsers === 'yes' ? ' checked' : ''}><label class="govuk-label govuk-checkboxes__label" for="informServiceUsers">Tell the people using the service and their families</label></div></div></div>
${planFieldset(view, state)}`;
  }
  return html``;
}

/** What the form starts with: at a follow-up QIM, the position and the plan agreed so far. */
function initialState(view: LinkView): FormState {
  if (view.form !== 'qimOutcome') return NO_STATE;
  const { record } = view.context;
  return { values: { ...(record.commissioningPosition ? { position: record.commissioningPosition } : {}), ...planFields(rowsFromPlan(record.improvementPlan)) }, errors: [] };
}

/** The letters the decision sends, exactly as they will go: recipients, subject, body. */
function lettersPreview(view: LinkView, state: FormState): SafeHtml {
  const preview = view.preview;
  if (!preview) return html``;
  const many = preview.emails.length > 1;
  return html`<h2 class="govuk-heading-m" id="letters" tabindex="-1">${many ? `The ${preview.emails.length} letters as they will go` : 'The letter as it will go'}</h2>
${errorFor(state, 'letters')}
<p class="govuk-body">${many ? 'Confirming approves these letters as they are here' : 'Confirming approves this letter as it is here'}. If anything in ${many ? 'them' : 'it'} changes before ${many ? 'they go' : 'it goes'} (a contact's details, say), you will be asked again.</p>
${preview.emails.map((email, index) => {
    const inner = /<body>([\s\S]*)<\/body>/.exec(email.html)?.[1] ?? email.html;
    return html`<div class="app-letter-preview" aria-labelledby="letter-${index + 1}-subject">
<dl class="govuk-summary-list">
<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">To</dt><dd class="govuk-summary-list__value app-break">${email.to.length ? email.to.join(', ') : 'Nobody on record: the letter will be held on the case until a contact is added'}</dd></div>
${email.cc?.length ? html`<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Cc</dt><dd class="govuk-summary-list__value app-break">${email.cc.join(', ')}</dd></div>` : ''}
<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Subject</dt><dd class="govuk-summary-list__value app-break" id="letter-${index + 1}-subject">${email.subject}</dd></div>
</dl>
<div class="govuk-body app-email">${raw(inner)}</div>
</div>`;
  })}`;
}

function summaryHref(field: string): string {
  if (field === 'position') return 'position-suspendNewPlacements';
  if (field === 'actions') return 'plan-heading';
  return field;
}

export function confirmationPage(view: LinkView, pathAndQuery: string, given?: FormState): string {
  const { context } = view;
  const state = given ?? initialState(view);
  return layout(
    state.errors.length ? 'Error: confirm your decision' : 'Confirm your decision',
    html`
${state.errors.length
  ? html`<div class="govuk-error-summary" data-module="govuk-error-summary"><div role="alert"><h2 class="govuk-error-summary__title">There is a problem</h2><div class="govuk-error-summary__body"><ul class="govuk-list govuk-error-summary__list">${state.errors.map((error) => html`<li><a href="#${summaryHref(error.field)}">${error.message}</a></li>`)}</ul></div></div></div>`
  : ''}
<span class="govuk-caption-l">${context.facts.providerName}</span>
<h1 class="govuk-heading-l">Confirm: ${view.decisionLabel}</h1>
<dl class="govuk-summary-list">
  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Location</dt><dd class="govuk-summary-list__value">${context.facts.locationName}, ${context.facts.locationAddress}</dd></div>
  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Stage</dt><dd class="govuk-summary-list__value">${STAGE_LABELS[context.record.stage]}</dd></div>
  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Step</dt><dd class="govuk-summary-list__value">${view.task.step}</dd></div>
  <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Ratings</dt><dd class="govuk-summary-list__value">${context.facts.ratingSummary}</dd></div>
</dl>
${lettersPreview(view, state)}
<div class="govuk-inset-text">Nothing has happened yet. The decision is recorded only when you press the button below, and this link then stops working.</div>
<form method="post" action="${pathAndQuery}" novalidate>
<input type="hidden" name="formToken" value="${view.formToken}">
${view.preview ? html`<input type="hidden" name="letterHash" value="${view.preview.hash}">` : ''}
${view.form === 'qimOutcome' ? html`<button type="submit" class="app-default-submit" tabindex="-1" aria-hidden="true">Confirm</button>` : ''}
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
