/**
 * What a provider sees from a signed link (no account, no sign-in): confirm receipt of a letter,
 * or respond to the evidence before the Board; the page after; and one clear page for each reason
 * a link cannot be used. No link to the council's own pages: the provider cannot open them.
 */
import { html, type SafeHtml } from '../lib/html';
import { dateTimeWords, longDate } from '../lib/dates';
import { htmlResponse, type HttpResponse } from '../http-api/app';
import { layout } from './layout';
import { errorSummary, fieldError, hasError, type Problem } from './components';
import { ratingWords } from '../ladder/letter-parts';
import { MAX_EVIDENCE_FILES, providerSide, RECEIPT_WORDS, type ReceiptState, type EvidenceStore, type ProviderLinkView, type ProviderRefusal, type ProviderRequest } from '../ladder/provider-side';
import type { CaseGrounds } from '../ladder/grounds';
import type { LadderDeps } from '../ladder/context';
import type { EmailRecord } from '../lib/model';

export interface ProviderFormState {
  values: Readonly<Record<string, string | undefined>>;
  errors: Problem[];
}

const EMPTY: ProviderFormState = { values: {}, errors: [] };

function groundsList(grounds: CaseGrounds): SafeHtml {
  const items = [
    ...grounds.ratings.map(ratingWords),
    ...grounds.concerns.map((concern) => `Concern raised with us on ${longDate(concern.raisedAt)}${concern.source ? ` by ${concern.source}` : ''}: ${concern.summary}`),
  ];
  return items.length ? html`<ul class="govuk-list govuk-list--bullet">${items.map((item) => html`<li>${item}</li>`)}</ul>` : html`<p class="govuk-body">No rating below Good and no concern is on record.</p>`;
}

function nameField(state: ProviderFormState): SafeHtml {
  const invalid = hasError(state.errors, 'name');
  return html`<div class="govuk-form-group${invalid ? ' govuk-form-group--error' : ''}"><label class="govuk-label govuk-label--s" for="name">Your name</label><div id="name-hint" class="govuk-hint">So the council knows who confirmed</div>${fieldError(state.errors, 'name')}<input class="govuk-input govuk-!-width-two-thirds${invalid ? ' govuk-input--error' : ''}" id="name" name="name" type="text" autocomplete="name" spellcheck="false" value="${state.values.name ?? ''}" aria-describedby="name-hint${invalid ? ' name-error' : ''}"></div>`;
}

function facts(view: ProviderLinkView): SafeHtml {
  const { context, request } = view;
  return html`<dl class="govuk-summary-list">
<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Service</dt><dd class="govuk-summary-list__value">${context.facts.locationName}, ${context.facts.locationAddress}</dd></div>
<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Provider</dt><dd class="govuk-summary-list__value">${context.facts.providerName}</dd></div>
<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">${request.kind === 'receipt' ? 'Letter' : 'About'}</dt><dd class="govuk-summary-list__value">${request.subject}</dd></div>
<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Sent to</dt><dd class="govuk-summary-list__value app-break">${request.addressee}, ${longDate(request.createdAt)}</dd></div>
${request.kind === 'response' ? html`<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Respond by</dt><dd class="govuk-summary-list__value">${longDate(request.dueAt)}</dd></div>` : ''}
<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Your contact</dt><dd class="govuk-summary-list__value app-break">${context.officer.name}, ${context.officer.email}</dd></div>
</dl>`;
}

function receiptPage(view: ProviderLinkView, action: string, state: ProviderFormState): string {
  return layout(
    `${state.errors.length ? 'Error: ' : ''}Confirm you have received the letter`,
    html`${errorSummary(state.errors)}
<span class="govuk-caption-l">${view.context.facts.providerName}</span>
<h1 class="govuk-heading-l">Confirm you have received the letter</h1>
${facts(view)}
<div class="govuk-inset-text">Nothing is recorded until you press the button. This link works once.</div>
<form method="post" action="${action}" novalidate>
<input type="hidden" name="formToken" value="${view.formToken}">
${nameField(state)}
<button type="submit" class="govuk-button" data-module="govuk-button">Confirm receipt</button>
</form>`,
    { nav: false },
  );
}

function responsePage(view: ProviderLinkView, action: string, state: ProviderFormState, maxBytes: number): string {
  const invalid = hasError(state.errors, 'response');
  const files = Array.from({ length: MAX_EVIDENCE_FILES }, (_, index) => `evidence${index + 1}`);
  return layout(
    `${state.errors.length ? 'Error: ' : ''}Respond to the evidence`,
    html`${errorSummary(state.errors)}
<span class="govuk-caption-l">${view.context.facts.providerName}</span>
<h1 class="govuk-heading-l">Respond to the evidence</h1>
<p class="govuk-body">The case about this service is going to the Commissioning &amp; Quality Board. Before the Board considers it, you can tell the Board your side: what is wrong in the facts below, what has changed since, and evidence of improvement.</p>
${facts(view)}
<h2 class="govuk-heading-m">What the Board will be given</h2>
${groundsList(view.context.facts.grounds)}
<form method="post" action="${action}" enctype="multipart/form-data" novalidate>
<input type="hidden" name="formToken" value="${view.formToken}">
${nameField(state)}
<div class="govuk-form-group${invalid ? ' govuk-form-group--error' : ''}"><label class="govuk-label govuk-label--s" for="response">Your response</label><div id="response-hint" class="govuk-hint">The Board members will read this with the papers</div>${fieldError(state.errors, 'response')}<textarea class="govuk-textarea${invalid ? ' govuk-textarea--error' : ''}" id="response" name="response" rows="10" aria-describedby="response-hint${invalid ? ' response-error' : ''}">${state.values.response ?? ''}</textarea></div>
<h2 class="govuk-heading-m">Documents (optional)</h2>
<p class="govuk-body" id="files-hint">Up to ${MAX_EVIDENCE_FILES} files: PDF, images (PNG, JPEG, GIF), Word, Excel or PowerPoint, each at most ${Math.floor(maxBytes / (1024 * 1024))} MB. Files with macros or programs are not accepted.</p>
${files.map((field, index) => {
      const bad = hasError(state.errors, field);
      return html`<div class="govuk-form-group${bad ? ' govuk-form-group--error' : ''}"><label class="govuk-label" for="${field}">Document ${index + 1}</label>${fieldError(state.errors, field)}<input class="govuk-file-upload${bad ? ' govuk-file-upload--error' : ''}" id="${field}" name="${field}" type="file" accept=".pdf,.png,.jpg,.jpeg,.gif,.doc,.docx,.xls,.xlsx,.ppt,.pptx" aria-describedby="files-hint${bad ? ` ${field}-error` : ''}"></div>`;
    })}
<div class="govuk-inset-text">Nothing is sent until you press the button. You can respond once with this link.</div>
<button type="submit" class="govuk-button" data-module="govuk-button">Send your response</button>
</form>`,
    { nav: false },
  );
}

export function providerLinkPage(view: ProviderLinkView, action: string, maxBytes: number, state: ProviderFormState = EMPTY): string {
  return view.request.kind === 'receipt' ? receiptPage(view, action, state) : responsePage(view, action, state, maxBytes);
}

export function providerDonePage(request: ProviderRequest, view: ProviderLinkView): string {
  const receipt = request.kind === 'receipt';
  const title = receipt ? 'Receipt confirmed' : 'Response sent';
  return layout(
    title,
    html`<div class="govuk-panel govuk-panel--confirmation"><h1 class="govuk-panel__title">${title}</h1><div class="govuk-panel__body app-break">${request.subject}</div></div>
<p class="govuk-body app-break">${receipt ? `Thank you. We have recorded that ${request.doneBy ?? request.addressee} received the letter, on ${dateTimeWords(request.doneAt)}.` : `Thank you. Your response${request.response?.files.length ? ` and ${request.response.files.length} document${request.response.files.length === 1 ? '' : 's'}` : ''} will be given to the Board members with the case.`}</p>
<p class="govuk-body app-break">If you have questions, contact ${view.context.officer.name} at <a class="govuk-link" href="mailto:${view.context.officer.email}">${view.context.officer.email}</a>.</p>`,
    { nav: false },
  );
}

const REFUSALS: Record<ProviderRefusal | 'badDetails', { status: number; title: string; body: string }> = {
  malformed: { status: 400, title: 'This link is not complete', body: 'The link is damaged or was cut short (some email programs break long links). Open it again from the original email.' },
  tampered: { status: 403, title: 'This link has been altered', body: 'The link does not match what we sent, so it cannot be used. Use the link exactly as it arrived in your email.' },
  expired: { status: 410, title: 'This link has expired', body: 'Links work for a limited time. Contact the officer named in the letter, who can confirm or take your response another way.' },
  unknown: { status: 404, title: 'We cannot find this request', body: 'What this link belongs to is not on record.' },
  wrongProvider: { status: 403, title: 'This link is for another provider', body: 'Each link works only for the provider and the case it was sent about.' },
  used: { status: 409, title: 'This link has already been used', body: 'It has been used once already, so nothing was changed. Contact the officer named in the letter if something is missing.' },
  badForm: { status: 400, title: 'Please use the page the link opens', body: 'The form was not sent from our page (or the page was too old). Open the link from your email again and press the button there.' },
  badDetails: { status: 400, title: 'Some details are missing or wrong', body: 'Go back, correct the details and send again. Nothing was changed.' },
};

export function providerRefusalPage(refusal: ProviderRefusal, request?: ProviderRequest): HttpResponse {
  const text = REFUSALS[refusal];
  const when = refusal === 'used' && request?.doneAt ? html`<p class="govuk-body">It was used on ${dateTimeWords(request.doneAt)}.</p>` : html``;
  return htmlResponse(text.status, layout(text.title, html`<h1 class="govuk-heading-l">${text.title}</h1><p class="govuk-body">${text.body}</p>${when}`, { nav: false }));
}

/** An evidence file for signed-in officers: always a download, never shown in the browser. */
export async function evidenceDownload(evidence: EvidenceStore | undefined, request: ProviderRequest | undefined, sha256: string): Promise<HttpResponse | undefined> {
  const file = request?.response?.files.find((item) => item.sha256 === sha256);
  if (!file || !evidence) return undefined;
  const body = await evidence.get(file.key);
  if (!body) return undefined;
  return {
    statusCode: 200,
    headers: {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="${file.name}"`,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cache-control': 'no-store',
    },
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}

/** The case page's section: each formal letter's receipt, and the provider's response with its files. */
export async function providerSideSection(deps: Pick<LadderDeps, 'store' | 'clock'>, caseId: string, emails: readonly EmailRecord[]): Promise<SafeHtml> {
  const side = await providerSide(deps, caseId, emails);
  const tag = (state: ReceiptState) => html`<strong class="govuk-tag ${state === 'confirmed' ? 'govuk-tag--green' : state === 'bounced' || state === 'overdue' ? 'govuk-tag--red' : 'govuk-tag--grey'}">${RECEIPT_WORDS[state]}</strong>`;
  const receipts = side.receipts.length
    ? html`<table class="govuk-table app-table--stack">
<caption class="govuk-table__caption govuk-table__caption--s">Letters: confirmation of receipt</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Letter</th><th scope="col" class="govuk-table__header">To</th><th scope="col" class="govuk-table__header">Receipt</th></tr></thead>
<tbody class="govuk-table__body">${side.receipts.map(
        (item) => html`<tr class="govuk-table__row"><td class="govuk-table__cell app-break" data-label="Letter">${item.subject}<br><span class="govuk-body-s app-muted">sent ${dateTimeWords(item.createdAt)}</span></td><td class="govuk-table__cell app-break" data-label="To">${item.addressee}</td><td class="govuk-table__cell" data-label="Receipt">${tag(item.state)}${item.state === 'confirmed' ? html`<br><span class="govuk-body-s">by ${item.doneBy ?? ''}, ${dateTimeWords(item.doneAt)}</span>` : item.state === 'bounced' ? '' : html`<br><span class="govuk-body-s">due by ${dateTimeWords(item.dueAt)}${item.remindedAt ? html`; reminded ${dateTimeWords(item.remindedAt)}` : ''}</span>`}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="govuk-body">No formal letter has been sent yet.</p>`;
  const responses = side.responses.map((item) =>
    item.status === 'done' && item.response
      ? html`<div class="govuk-inset-text"><p class="govuk-body"><strong>Responded ${dateTimeWords(item.doneAt)}</strong> by ${item.doneBy ?? item.addressee}${item.addendumSentAt ? ' (sent to the Board as an addendum)' : ''}</p><p class="govuk-body app-pre">${item.response.text}</p>${item.response.files.length ? html`<ul class="govuk-list">${item.response.files.map((file) => html`<li><a class="govuk-link" href="/cases/${caseId}/evidence/${item.requestId}/${file.sha256}" download>${file.name}</a> (${Math.ceil(file.bytes / 1024)} KB, downloads)</li>`)}</ul>` : ''}</div>`
      : html`<p class="govuk-body">Invited to respond to the evidence by ${longDate(item.dueAt)} (sent to ${item.addressee}): no response yet.</p>`,
  );
  return html`<h2 class="govuk-heading-m" id="provider-side">The provider's side</h2>
${receipts}
<h3 class="govuk-heading-s">Response to the evidence</h3>
${responses.length ? responses : html`<p class="govuk-body">The provider has not been invited to respond (it is invited when the case is referred to the Board).</p>`}`;
}
