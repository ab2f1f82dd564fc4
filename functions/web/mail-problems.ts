/**
 * The case page's "Mail problems" block, on its own so the page's other sections can change
 * without touching it: mail the case needed that SES would not take (the case then waits, and the
 * administrator's retry is offered here, since the email offering it could not go), and letters
 * SES accepted that bounced or drew a complaint.
 */
import { html, type SafeHtml } from '../lib/html';
import { signLink } from '../lib/links';
import type { Case, EmailRecord, PendingTask } from '../lib/model';
import type { HttpDeps } from '../http-api/app';
import { dateTime, words } from './format';

const FEEDBACK_LABELS = { bounce: 'Bounced', complaint: 'Complaint' } as const;

export function mailProblemsBlock(deps: HttpDeps, record: Case, emails: EmailRecord[], pending: PendingTask[]): SafeHtml | string {
  const returned = emails.filter((email) => email.feedback.length > 0);
  if (!record.mailProblem && returned.length === 0) return '';
  const retry = record.mailProblem ? pending.find((task) => task.assignee === 'administrator' && task.allowedDecisions.includes('retry')) : undefined;
  const retryUrl = retry ? signLink(deps.signingKey, { taskId: retry.taskId, officer: retry.assignee, decision: 'retry', expiresAt: new Date(retry.expiresAt) }) : undefined;
  return html`<section class="app-mail-problems" aria-labelledby="mail-problems">
<h2 class="govuk-heading-m" id="mail-problems">Mail problems</h2>
${record.mailProblem
  ? html`<div class="govuk-warning-text"><span class="govuk-warning-text__icon" aria-hidden="true">!</span><strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">Warning</span>An email for "${record.mailProblem.step}" to ${record.mailProblem.to.join(', ')} could not be sent on ${dateTime(record.mailProblem.at)}: ${record.mailProblem.reason}</strong></div>
<p class="govuk-body">The case waits at this step until the email goes or the step is retried.${retryUrl ? html` Once the cause is fixed, the administrator can <a class="govuk-link" href="${retryUrl}">retry the failed step</a>.` : ' It asks again by itself.'}</p>`
  : ''}
${returned.length
  ? html`<table class="govuk-table">
<caption class="govuk-table__caption govuk-table__caption--s">Letters that did not arrive, or drew a complaint</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Letter</th><th scope="col" class="govuk-table__header">What SES reported</th></tr></thead>
<tbody class="govuk-table__body">${returned.map(
      (email) =>
        html`<tr class="govuk-table__row"><td class="govuk-table__cell">${email.subject}<br><span class="govuk-body-s app-muted">${words(email.kind)}, sent ${dateTime(email.at)}</span></td><td class="govuk-table__cell app-break">${email.feedback.map(
          (item) => html`<strong class="govuk-tag govuk-tag--red">${FEEDBACK_LABELS[item.type]}</strong> ${item.recipients.join(', ')} on ${dateTime(item.at)}: ${item.detail}<br>`,
        )}</td></tr>`,
    )}</tbody></table>`
  : ''}
</section>`;
}
