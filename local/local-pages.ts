/**
 * Pages only the local runtime has: the mail sink (every email the product sent, rendered, with
 * working links) and the login that turns the printed admin token into a session cookie.
 */
import { html } from '../functions/lib/html';
import { layout } from '../functions/web/layout';
import { dateTime } from '../functions/web/format';
import { letterView } from '../functions/web/letter-view';
import type { SentEmail } from './ses';

function sentAt(email: SentEmail): string {
  return new Date(email.at * 1000).toISOString();
}

/** Emails that ask someone to decide carry signed links to /act/...: worth pointing out. */
function hasActionLinks(email: SentEmail): boolean {
  return /\/act\//.test(email.body.html ?? email.body.text ?? '');
}

export function mailPage(emails: SentEmail[]): string {
  const newestFirst = [...emails].reverse();
  const asking = emails.filter(hasActionLinks).length;
  return layout(
    'Mail',
    html`<h1 class="govuk-heading-l">Mail sent by the product</h1>
<p class="govuk-body">The local runtime keeps every email instead of delivering it. Open one to read it and use its links, exactly as an officer would: a link only shows a confirmation page, and nothing happens until you confirm there.</p>
${newestFirst.length === 0
  ? html`<p class="govuk-body">No email yet. Upload a ratings file on the <a class="govuk-link" href="/ratings">Ratings</a> page to open some cases.</p>`
  : html`<p class="govuk-body">${emails.length} ${emails.length === 1 ? 'email' : 'emails'}; ${asking} ${asking === 1 ? 'asks' : 'ask'} someone for a decision.</p>
<table class="govuk-table app-table--stack"><caption class="govuk-table__caption govuk-visually-hidden">Every email sent, newest first</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Sent (virtual clock)</th><th scope="col" class="govuk-table__header">To</th><th scope="col" class="govuk-table__header">Subject</th></tr></thead>
<tbody class="govuk-table__body">${newestFirst.map(
      (email) =>
        html`<tr class="govuk-table__row"><td class="govuk-table__cell govuk-!-font-size-16" data-label="Sent">${dateTime(sentAt(email))}</td><td class="govuk-table__cell govuk-!-font-size-16 app-break" data-label="To">${email.destination.to.join(', ')}${email.destination.cc.length ? html`<br><span class="govuk-body-s">cc ${email.destination.cc.join(', ')}</span>` : ''}</td><td class="govuk-table__cell" data-label="Subject"><a class="govuk-link" href="/mail/${encodeURIComponent(email.messageId)}">${email.subject}</a>${hasActionLinks(email) ? html` <strong class="govuk-tag govuk-tag--blue">Decision links</strong>` : ''}</td></tr>`,
    )}</tbody></table>`}`,
    { active: '/mail', fullWidth: true },
  );
}

export function mailMessagePage(email: SentEmail): string {
  const letter = { subject: email.subject, from: email.from, to: email.destination.to, cc: email.destination.cc, sentAt: sentAt(email), html: email.body.html, text: email.body.text };
  return layout(email.subject, letterView(letter, { href: '/mail', label: 'All mail' }), { active: '/mail' });
}

export function loginPage(failed: boolean, next = '/cases'): string {
  return layout(
    'Sign in',
    html`${failed ? html`<div class="govuk-error-summary" data-module="govuk-error-summary"><div role="alert"><h2 class="govuk-error-summary__title">There is a problem</h2><div class="govuk-error-summary__body"><ul class="govuk-list govuk-error-summary__list"><li><a href="#token">That token is not right</a></li></ul></div></div></div>` : ''}
<h1 class="govuk-heading-l">Sign in</h1>
<p class="govuk-body">Paste the admin token that <code>npm start</code> printed. It is also in <code>secrets.json</code> in the data folder.</p>
<form method="post" action="/login" novalidate><input type="hidden" name="next" value="${next}"><div class="govuk-form-group${failed ? ' govuk-form-group--error' : ''}"><label class="govuk-label govuk-label--s" for="token">Admin token</label>${failed ? html`<p id="token-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> That token is not right</p>` : ''}<input class="govuk-input govuk-!-width-two-thirds${failed ? ' govuk-input--error' : ''}" id="token" name="token" type="password" autocomplete="off" spellcheck="false"${failed ? ' aria-describedby="token-error"' : ''}></div><button class="govuk-button" type="submit" data-module="govuk-button">Sign in</button></form>`,
    { nav: false },
  );
}
