/**
 * Pages only the local runtime has: the mail sink (every email the product sent, rendered, with
 * working links) and the login that turns the printed admin token into a session cookie.
 */
import { html, raw } from '../functions/lib/html';
import { layout } from '../functions/web/layout';
import type { SentEmail } from './ses';

export function mailPage(emails: SentEmail[]): string {
  const newestFirst = [...emails].reverse();
  return layout(
    'Mail',
    html`<h1 class="govuk-heading-l">Mail sent by the product</h1>
<p class="govuk-body">The local runtime keeps every email instead of delivering it. Open one to read it and use its links, exactly as an officer would.</p>
${newestFirst.length === 0
  ? html`<p class="govuk-body">No email yet.</p>`
  : html`<table class="govuk-table"><caption class="govuk-table__caption govuk-table__caption--m">${emails.length} emails, newest first</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Sent (real time)</th><th scope="col" class="govuk-table__header">To</th><th scope="col" class="govuk-table__header">Subject</th></tr></thead>
<tbody class="govuk-table__body">${newestFirst.map(
      (email) =>
        html`<tr class="govuk-table__row"><td class="govuk-table__cell">${new Date(email.at * 1000).toISOString().replace('T', ' ').slice(0, 19)}</td><td class="govuk-table__cell">${email.destination.to.join(', ')}${email.destination.cc.length ? html`<br><span class="govuk-body-s">cc ${email.destination.cc.join(', ')}</span>` : ''}</td><td class="govuk-table__cell"><a class="govuk-link" href="/mail/${email.messageId}">${email.subject}</a></td></tr>`,
    )}</tbody></table>`}`,
    { active: '/mail' },
  );
}

export function mailMessagePage(email: SentEmail): string {
  const body = email.body.html ?? html`<pre>${email.body.text ?? ''}</pre>`.value;
  // The body is our own rendered email (every fact escaped when it was written); show it as sent.
  const inner = /<body>([\s\S]*)<\/body>/.exec(body)?.[1] ?? body;
  return layout(
    email.subject,
    html`<p class="govuk-body"><a class="govuk-back-link" href="/mail">All mail</a></p>
<h1 class="govuk-heading-m">${email.subject}</h1>
<dl class="govuk-summary-list govuk-summary-list--no-border">
<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">From</dt><dd class="govuk-summary-list__value">${email.from}</dd></div>
<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">To</dt><dd class="govuk-summary-list__value">${email.destination.to.join(', ')}</dd></div>
${email.destination.cc.length ? html`<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Cc</dt><dd class="govuk-summary-list__value">${email.destination.cc.join(', ')}</dd></div>` : ''}
</dl>
<div class="govuk-body app-email">${raw(inner)}</div>`,
    { active: '/mail' },
  );
}

export function loginPage(failed: boolean): string {
  return layout(
    'Sign in',
    html`<h1 class="govuk-heading-l">Sign in</h1>
${failed ? html`<div class="govuk-error-summary" role="alert"><h2 class="govuk-error-summary__title">That token is not right</h2></div>` : ''}
<p class="govuk-body">Paste the admin token that <code>npm start</code> printed.</p>
<form method="post" action="/login"><div class="govuk-form-group"><label class="govuk-label" for="token">Admin token</label><input class="govuk-input" id="token" name="token" type="password" autocomplete="off"></div><button class="govuk-button" type="submit">Sign in</button></form>`,
    { nav: false },
  );
}
