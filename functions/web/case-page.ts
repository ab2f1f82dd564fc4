/**
 * A case: the provider and location, the CQC ratings with their dates, the rung of the ladder,
 * deadlines counted on the case's clock, what is waiting on whom, the commissioning position and
 * improvement plan, every email sent and the audit trail.
 */
import { providerSideSection } from './provider-pages';
import { html, type SafeHtml } from '../lib/html';
import { KEY_QUESTIONS, type AuditEvent, type Location } from '../lib/model';
import { NotFound } from '../lib/errors';
import { formatAddress } from '../ladder/context';
import type { HttpDeps } from '../http-api/app';
import {
  DEADLINE_LABELS,
  clockTimeWords,
  datesInWords,
  POSITION_LABELS,
  SERVICE_TYPE_LABELS,
  dateTime,
  daysLeftTag,
  daysUntil,
  decisionLabel,
  longDate,
  pathSegment,
  plural,
  ragTag,
  ratingTag,
  stageTag,
  whoLabel,
  words,
} from './format';
import { ladderPicture } from './ladder-picture';
import { currentDeadlines, currentFailure, rungVisits } from './case-history';
import { letterView } from './letter-view';
import { layout } from './layout';
import { mailProblemsBlock } from './mail-problems';
import { caseContactsBlock } from '../council/blocks';
import { neighbourStatusesByLocation } from '../council/neighbours';
import { neighbourStatusList } from '../council/neighbour-pages';

function row(key: string, value: SafeHtml | string): SafeHtml {
  return html`<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">${key}</dt><dd class="govuk-summary-list__value">${value}</dd></div>`;
}

function ratingsTable(location: Location | undefined): SafeHtml {
  if (!location || Object.keys(location.ratings).length === 0) return html`<p class="govuk-body">No CQC rating on record for this location.</p>`;
  const domains = ['Overall', ...KEY_QUESTIONS];
  return html`<table class="govuk-table app-table--stack">
<caption class="govuk-table__caption govuk-table__caption--m">Current CQC ratings</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Key question</th><th scope="col" class="govuk-table__header">Rating</th><th scope="col" class="govuk-table__header">Published</th></tr></thead>
<tbody class="govuk-table__body">${domains.map((domain) => {
    const entry = location.ratings[domain];
    return html`<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">${domain}</th><td class="govuk-table__cell" data-label="Rating">${ratingTag(entry?.rating)}</td><td class="govuk-table__cell" data-label="Published">${entry ? longDate(entry.publicationDate) : ''}</td></tr>`;
  })}</tbody></table>`;
}

function isRatings(value: unknown): value is Record<string, { rating: string; publicationDate?: string }> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).length > 0 &&
    Object.values(value).every((entry) => typeof entry === 'object' && entry !== null && typeof (entry as { rating?: unknown }).rating === 'string')
  );
}

function detailValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (isRatings(value)) {
    const order = ['Overall', ...KEY_QUESTIONS] as string[];
    return Object.entries(value)
      .sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99))
      .map(([domain, entry]) => `${domain}: ${entry.rating}${entry.publicationDate ? ` (${longDate(entry.publicationDate) || entry.publicationDate})` : ''}`)
      .join('; ');
  }
  if (typeof value === 'string') return PLAIN_WORDS[value] ?? datesInWords(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item !== 'object' || item === null)) return value.map((item) => PLAIN_WORDS[String(item)] ?? String(item)).join(', ');
    return value.map((item) => detailValue(item)).join('; ');
  }
  if (typeof value === 'object') {
    // Nested details (a QIM's arrangements, an improvement action): "date 2027-01-15, venue …".
    const parts = Object.entries(value as Record<string, unknown>)
      .filter(([, inner]) => inner !== undefined && inner !== '' && !(Array.isArray(inner) && inner.length === 0))
      .map(([key, inner]) => `${words(key)} ${key === 'time' && typeof inner === 'string' ? clockTimeWords(inner) : detailValue(inner)}`);
    const text = parts.join(', ');
    return text.length > 400 ? `${text.slice(0, 400)}…` : text;
  }
  return String(value);
}

/** The product's internal values, in the words on the pages. */
const PLAIN_WORDS: Record<string, string> = {
  suspendNewPlacements: 'suspend new placements',
  placeWithRestrictions: 'place with restrictions',
  noFurtherAction: 'no further action',
  leadOfficer: 'the lead officer',
  board: 'the Board',
  inspection: 'the next CQC inspection',
  safeguarding: 'safeguarding',
  administrator: 'the administrator',
};

const HIDDEN_DETAIL = new Set(['taskId', 'taskToken', 'executionArn', 'details', 'allowedDecisions']);

function timelineEntry(deps: HttpDeps, event: AuditEvent): SafeHtml {
  const details = Object.entries(event.detail).filter(([key, value]) => !HIDDEN_DETAIL.has(key) && value !== undefined && value !== '');
  const actor = deps.config.officers.find((officer) => officer.id === event.actor)?.name ?? event.actor;
  return html`<li class="app-timeline__item">
<h3 class="govuk-heading-s app-timeline__title">${event.action}</h3>
<p class="govuk-body-s app-timeline__byline">${dateTime(event.at)} · by ${actor}${event.source ? html` · from ${event.source}` : ''}</p>
${details.length
  ? html`<dl class="app-timeline__details">${details.map(([key, value]) => html`<div><dt>${words(key)}</dt><dd>${typeof value === 'string' && key === 'decision' ? decisionLabel(value) : typeof value === 'string' && key === 'time' ? clockTimeWords(value) : detailValue(value)}</dd></div>`)}</dl>`
  : ''}
</li>`;
}

async function neighboursRow(deps: HttpDeps, locationId: string, now: Date): Promise<SafeHtml> {
  const { lists, byLocation } = await neighbourStatusesByLocation(deps.store, now);
  if (lists.length === 0) return html``;
  const statuses = byLocation.get(locationId);
  return row('Neighbouring authorities', statuses ? neighbourStatusList(statuses, now) : html`Not on ${lists.map((list) => list.authority).join(', ')}'s ${lists.length === 1 ? 'list' : 'lists'} (<a class="govuk-link" href="/memo/neighbours">every list</a>)`);
}

export async function casePage(deps: HttpDeps, caseId: string): Promise<string> {
  const record = await deps.store.getCase(caseId);
  if (!record) throw new NotFound(`There is no case ${caseId}.`);
  const now = deps.clock.now();
  const [location, provider, contract, tasks, emails, audit] = await Promise.all([
    deps.store.getLocation(record.locationId),
    deps.store.getProvider(record.providerId),
    deps.store.contractForLocation(record.locationId),
    deps.store.listTasks(caseId),
    deps.store.listEmails(caseId),
    deps.store.listAudit(caseId),
  ]);
  const providerSection = await providerSideSection(deps, caseId, emails);
  const officer = deps.config.officers.find((item) => item.id === record.leadOfficer);
  const contactsBlock = await caseContactsBlock(deps, record);
  const neighbours = await neighboursRow(deps, record.locationId, now);
  // Only what is current: a closed case has no live steps or deadlines, a retried failure is history.
  const pending = record.status === 'open' ? tasks.filter((task) => task.status === 'pending') : [];
  // Decided but not yet delivered to the workflow (a crash in between, or it is happening now):
  // the decision is safe and is finished on its own; the page says so rather than showing nothing.
  const recording = tasks.filter((task) => task.status === 'decided' && task.recorded);
  const deadlines = currentDeadlines(record);
  const failure = currentFailure(record, audit);

  const title = location?.name ?? record.locationId;
  const body = html`<a class="govuk-back-link app-no-print" href="/cases">All cases</a>
<span class="govuk-caption-l"><a class="govuk-link govuk-link--no-visited-state" href="/providers/${pathSegment(record.providerId)}">${provider?.name ?? record.providerId}</a></span>
<h1 class="govuk-heading-l">${title}</h1>
<p class="govuk-body">${stageTag(record)} ${record.memo ? ragTag(record.memo.rag) : ''}</p>
<div class="govuk-grid-row">
<div class="govuk-grid-column-two-thirds">
<dl class="govuk-summary-list">
${row('Address', formatAddress(location))}
${row('CQC location', record.locationId)}
${row('Provider', html`<a class="govuk-link" href="/providers/${pathSegment(record.providerId)}">${provider?.name ?? record.providerId}</a>`)}
${row('Contract', contract ? html`<a class="govuk-link" href="/contracts/${pathSegment(contract.contractId)}">${contract.contractId}</a>: ${SERVICE_TYPE_LABELS[contract.serviceType] ?? contract.serviceType} (${contract.serviceType}) in ${contract.area}${contract.nhsFundedNursing ? ', NHS-funded nursing' : ''}. ${plural(contract.placements, 'placement')}; contract visits ${contract.contractVisits}${contract.status === 'terminated' ? '; terminated' : ''}.` : 'No contract on record')}
${row('Lead officer', officer ? html`${officer.name}${officer.phone ? html`, ${officer.phone}` : ''}<br><span class="govuk-body-s">${officer.email}</span>` : record.leadOfficer)}
${row('Opened', html`${longDate(record.openedAt)}: ${datesInWords(record.trigger)}`)}
${record.status === 'closed' ? row('Closed', html`${longDate(record.closedAt)}${record.outcome ? html`: ${record.outcome}` : ''}`) : ''}
${failure ? row('Stopped by a failure', html`<strong class="govuk-tag govuk-tag--red">Failed</strong> ${failure.step} on ${dateTime(failure.at)}: ${failure.error}. The administrator has been asked to retry it.`) : ''}
</dl>
${ratingsTable(location)}
${record.lastInspection ? html`<p class="govuk-body">Latest inspection answering the rectification notice: ${longDate(record.lastInspection.at)}, ${record.lastInspection.belowGood ? 'still below Good' : 'Good or better'}.</p>` : ''}
</div>
<div class="govuk-grid-column-one-third">${ladderPicture(record, rungVisits(audit))}</div>
</div>

${contactsBlock}

<h2 class="govuk-heading-m">Waiting for</h2>
${record.waitingOn
  ? html`<div class="govuk-inset-text"><p class="govuk-body"><strong>${record.waitingOn.step}</strong></p><p class="govuk-body govuk-!-margin-bottom-0">Who must act: ${whoLabel(deps.config, record.waitingOn.who, record.leadOfficer)}. Waiting since ${longDate(record.waitingOn.since)}${record.waitingOn.reminders ? html`; ${plural(record.waitingOn.reminders, 'reminder')} sent` : ''}.</p></div>`
  : html`<p class="govuk-body">${record.status === 'closed' ? 'Nothing: the case is closed.' : 'Nothing at the moment: the workflow is between steps.'}</p>`}
${pending.length
  ? html`<table class="govuk-table app-table--stack">
<caption class="govuk-table__caption govuk-table__caption--s">Pending steps</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Step</th><th scope="col" class="govuk-table__header">Who must act</th><th scope="col" class="govuk-table__header">Decisions offered</th><th scope="col" class="govuk-table__header">Links expire</th></tr></thead>
<tbody class="govuk-table__body">${pending.map(
      (task) =>
        html`<tr class="govuk-table__row"><td class="govuk-table__cell" data-label="Step">${task.step}</td><td class="govuk-table__cell" data-label="Who must act">${whoLabel(deps.config, task.assignee)}</td><td class="govuk-table__cell" data-label="Decisions offered"><ul class="govuk-list govuk-!-font-size-16">${task.allowedDecisions.map((decision) => html`<li>${decisionLabel(decision)}</li>`)}</ul></td><td class="govuk-table__cell" data-label="Links expire">${longDate(task.expiresAt)}</td></tr>`,
    )}</tbody></table>`
  : ''}

${recording.length
  ? html`<div class="govuk-inset-text" id="decisions-being-recorded"><p class="govuk-body"><strong>Being recorded</strong></p><ul class="govuk-list">${recording.map(
      (task) =>
        html`<li>${task.step}: ${decisionLabel(task.recorded!.decision)}, by ${task.recorded!.by} on ${dateTime(task.recorded!.at)}. The decision is kept and the case moves on by itself; nobody needs to press the button again.</li>`,
    )}</ul></div>`
  : ''}

${mailProblemsBlock(deps, record, emails, pending)}

<h2 class="govuk-heading-m">Deadlines</h2>
${deadlines.length
  ? html`<table class="govuk-table app-table--stack">
<caption class="govuk-table__caption govuk-visually-hidden">Deadlines, counted from ${longDate(now)}</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Deadline</th><th scope="col" class="govuk-table__header">Date</th><th scope="col" class="govuk-table__header">Days left</th></tr></thead>
<tbody class="govuk-table__body">${deadlines.map(
      ({ kind, at }) =>
        html`<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">${DEADLINE_LABELS[kind] ?? kind}</th><td class="govuk-table__cell" data-label="Date">${longDate(at)}</td><td class="govuk-table__cell" data-label="Days left">${daysLeftTag(daysUntil(at, now))}</td></tr>`,
    )}</tbody></table>
<p class="govuk-body-s">Counted from today, ${longDate(now)}.</p>`
  : html`<p class="govuk-body">${record.status === 'closed' ? html`None: the case closed on ${longDate(record.closedAt)}. Earlier deadlines are in the record below.` : 'No deadline runs at the moment.'}</p>`}

<h2 class="govuk-heading-m">Commissioning position</h2>
<dl class="govuk-summary-list">
${row('Position', record.commissioningPosition ? POSITION_LABELS[record.commissioningPosition] : 'Not decided yet (it is decided at the Quality Improvement Meeting)')}
${row('Managed Placements Memo', record.memo ? html`${ragTag(record.memo.rag)} since ${longDate(record.memo.addedAt)}` : 'Not on the memo')}
${neighbours}
${record.serviceUsersInformed !== undefined ? row('People using the service told', record.serviceUsersInformed ? 'Yes' : 'No') : ''}
${record.qim ? row('Quality Improvement Meeting', html`${longDate(record.qim.date)} at ${clockTimeWords(record.qim.time)}, ${record.qim.venue}${record.qim.attendees.length ? html`<br><span class="govuk-body-s">Also expected: ${record.qim.attendees.join('; ')}</span>` : ''}${record.qimCount > 1 ? html`<br><span class="govuk-body-s">${plural(record.qimCount, 'meeting')} held so far</span>` : ''}`) : ''}
</dl>

<h2 class="govuk-heading-m">Improvement plan</h2>
${record.improvementPlan.length
  ? html`<table class="govuk-table app-table--stack">
<caption class="govuk-table__caption govuk-visually-hidden">Improvement plan actions</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Action</th><th scope="col" class="govuk-table__header">Owner</th><th scope="col" class="govuk-table__header">Due</th><th scope="col" class="govuk-table__header">How success will be shown</th></tr></thead>
<tbody class="govuk-table__body">${record.improvementPlan.map(
      (action) => html`<tr class="govuk-table__row"><td class="govuk-table__cell" data-label="Action">${action.action}</td><td class="govuk-table__cell" data-label="Owner">${action.owner}</td><td class="govuk-table__cell" data-label="Due">${longDate(action.due)}</td><td class="govuk-table__cell" data-label="How success will be shown">${action.success ?? html`<span class="app-muted">Not recorded</span>`}</td></tr>`,
    )}</tbody></table>`
  : html`<p class="govuk-body">No improvement plan has been recorded.</p>`}

${providerSection}

<h2 class="govuk-heading-m">Emails sent</h2>
${emails.length
  ? html`<table class="govuk-table app-table--stack">
<caption class="govuk-table__caption govuk-visually-hidden">Every email sent about this case, oldest first</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Sent</th><th scope="col" class="govuk-table__header">Subject</th><th scope="col" class="govuk-table__header">To</th></tr></thead>
<tbody class="govuk-table__body">${emails.map(
      (email) =>
        html`<tr class="govuk-table__row"><td class="govuk-table__cell" data-label="Sent">${dateTime(email.at)}</td><td class="govuk-table__cell app-break" data-label="Subject"><a class="govuk-link" href="/cases/${pathSegment(record.caseId)}/emails/${pathSegment(email.messageId)}">${email.subject}</a><br><span class="govuk-body-s app-muted">${words(email.kind)}</span></td><td class="govuk-table__cell app-break" data-label="To">${email.to.join(', ')}${email.cc.length ? html`<br><span class="govuk-body-s">cc ${email.cc.join(', ')}</span>` : ''}</td></tr>`,
    )}</tbody></table>`
  : html`<p class="govuk-body">No email has been sent about this case.</p>`}

<h2 class="govuk-heading-m">What happened</h2>
<p class="govuk-body-s">The audit trail, oldest first. Each entry is chained to the one before it, so a change to history shows.</p>
<ol class="app-timeline">${audit.map((event) => timelineEntry(deps, event))}</ol>`;
  return layout(title, body, { active: '/cases' });
}

/** One email about the case, opened as it was sent (the same view as the local mail page). */
export async function caseEmailPage(deps: HttpDeps, caseId: string, messageId: string): Promise<string> {
  const [record, emails] = await Promise.all([deps.store.getCase(caseId), deps.store.listEmails(caseId)]);
  const email = record ? emails.find((item) => item.messageId === messageId) : undefined;
  if (!record || !email) throw new NotFound(`There is no such email about case ${caseId}.`);
  const letter = { subject: email.subject, from: email.from, to: email.to, cc: email.cc, sentAt: email.at, html: email.html, text: email.text };
  return layout(email.subject, letterView(letter, { href: `/cases/${pathSegment(caseId)}`, label: 'Back to the case' }), { active: '/cases' });
}
