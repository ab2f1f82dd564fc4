/**
 * One email as it was sent: who from, to whom, when, and the letter itself (the HTML we rendered,
 * every fact escaped when it was written; the plain-text version folded away). The local mail page
 * and the case page's record of each email show it the same way.
 */
import { html, raw, type SafeHtml } from '../lib/html';
import { dateTime } from './format';

export interface LetterAsSent {
  subject: string;
  from?: string;
  to: readonly string[];
  cc: readonly string[];
  /** ISO timestamp. */
  sentAt: string;
  html?: string;
  text?: string;
}

function row(key: string, value: SafeHtml | string, classes = ''): SafeHtml {
  return html`<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">${key}</dt><dd class="govuk-summary-list__value${classes ? ` ${classes}` : ''}">${value}</dd></div>`;
}

export function letterView(letter: LetterAsSent, back: { href: string; label: string }, extraRows: SafeHtml = html``): SafeHtml {
  const inner = letter.html ? (/<body>([\s\S]*)<\/body>/.exec(letter.html)?.[1] ?? letter.html) : undefined;
  return html`<a class="govuk-back-link app-no-print" href="${back.href}">${back.label}</a>
<h1 class="govuk-heading-l app-break">${letter.subject}</h1>
<dl class="govuk-summary-list">
${letter.from ? row('From', letter.from, 'app-break') : ''}
${row('To', letter.to.join(', '), 'app-break')}
${letter.cc.length ? row('Cc', letter.cc.join(', '), 'app-break') : ''}
${row('Sent', dateTime(letter.sentAt))}
${extraRows}
</dl>
${inner !== undefined
  ? html`<div class="govuk-body app-email">${raw(inner)}</div>`
  : letter.text !== undefined
    ? html`<pre class="app-pre govuk-body">${letter.text}</pre>`
    : html`<div class="govuk-inset-text">The text of this email was not kept: it was sent before the product kept a copy of each letter. Its subject, recipients and time are above.</div>`}
${letter.text !== undefined && inner !== undefined
  ? html`<details class="govuk-details"><summary class="govuk-details__summary"><span class="govuk-details__summary-text">The plain-text version</span></summary><div class="govuk-details__text"><pre class="app-pre govuk-body-s">${letter.text}</pre></div></details>`
  : ''}`;
}
