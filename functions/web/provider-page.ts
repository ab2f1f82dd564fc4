/**
 * A provider, watched as a whole: every location with its ratings and cases, the provider's own
 * CQC ratings, and a flag when several locations are below Good (a corporate concern in its own
 * right), whether ingestion raised it already or the locations on record show it now.
 */
import { html, type SafeHtml } from '../lib/html';
import { KEY_QUESTIONS } from '../lib/model';
import { NotFound } from '../lib/errors';
import { locationBelowGood } from '../ingest/policy';
import { formatAddress } from '../ladder/context';
import type { HttpDeps } from '../http-api/app';
import { ContractIndex, listCaseSummaries, type CaseSummary } from './data';
import { longDate, pathSegment, plural, ragTag, ratingTag, shortDate, stageTag } from './format';
import { layout } from './layout';
import { providerContractsBlock } from '../council/blocks';
import { neighbourStatusesByLocation } from '../council/neighbours';
import { neighbourStatusList } from '../council/neighbour-pages';

const DOMAINS = ['Overall', ...KEY_QUESTIONS];

function caseLink(record: CaseSummary): SafeHtml {
  return html`<a class="govuk-link" href="/cases/${pathSegment(record.caseId)}">${stageTag(record)}<span class="govuk-visually-hidden"> case ${record.caseId}</span></a>`;
}

export async function providerPage(deps: HttpDeps, providerId: string): Promise<string> {
  const [provider, locations, cases, contracts] = await Promise.all([
    deps.store.getProvider(providerId),
    deps.store.listProviderLocations(providerId),
    listCaseSummaries(deps.store),
    ContractIndex.load(deps.store),
  ]);
  if (!provider && locations.length === 0) throw new NotFound(`There is no provider ${providerId} on record.`);
  const own = cases.filter((record) => record.providerId === providerId).sort((a, b) => b.openedAt.localeCompare(a.openedAt));
  const belowGood = locations.filter((location) => locationBelowGood(location.ratings));
  const threshold = deps.config.policy.corporateConcernThreshold;
  const concern = provider?.corporateConcern;
  const flagged = Boolean(concern) || belowGood.length >= threshold;
  const name = provider?.name ?? providerId;
  const contractsBlock = await providerContractsBlock(deps, providerId);
  const now = deps.clock.now();
  const neighbours = await neighbourStatusesByLocation(deps.store, now);
  const named = locations.filter((location) => neighbours.byLocation.has(location.locationId));
  locations.sort((a, b) => a.name.localeCompare(b.name));

  const body = html`<a class="govuk-back-link app-no-print" href="/cases">All cases</a>
<span class="govuk-caption-l">Provider ${providerId}</span>
<h1 class="govuk-heading-l">${name}</h1>
${flagged
  ? html`<div class="govuk-warning-text app-flag"><span class="govuk-warning-text__icon" aria-hidden="true">!</span><strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">Warning</span>Corporate concern: ${plural(belowGood.length, 'location')} of ${locations.length} ${belowGood.length === 1 ? 'is' : 'are'} below Good${concern ? html` (raised ${longDate(concern.raisedAt)}, naming ${plural(concern.locationsBelowGood.length, 'location')})` : html` (the threshold is ${threshold})`}.</strong></div>`
  : html`<p class="govuk-body">${belowGood.length === 0 ? 'No location is below Good.' : `${plural(belowGood.length, 'location')} below Good, under the threshold of ${threshold} for a corporate concern.`}</p>`}
<dl class="govuk-summary-list">
${provider?.address ? html`<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Address</dt><dd class="govuk-summary-list__value">${[provider.address.street, provider.address.line2, provider.address.city, provider.address.postcode].filter(Boolean).join(', ')}</dd></div>` : ''}
<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Locations on record</dt><dd class="govuk-summary-list__value">${locations.length}</dd></div>
<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Cases</dt><dd class="govuk-summary-list__value">${plural(own.filter((record) => record.status === 'open').length, 'open case')}, ${own.filter((record) => record.status === 'closed').length} closed</dd></div>
</dl>

<h2 class="govuk-heading-m">Provider ratings</h2>
${provider && Object.keys(provider.ratings).length
  ? html`<table class="govuk-table app-table--stack"><caption class="govuk-table__caption govuk-visually-hidden">The provider's own CQC ratings</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Key question</th><th scope="col" class="govuk-table__header">Rating</th><th scope="col" class="govuk-table__header">Published</th></tr></thead>
<tbody class="govuk-table__body">${DOMAINS.filter((domain) => provider.ratings[domain]).map((domain) => {
      const entry = provider.ratings[domain]!;
      return html`<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">${domain}</th><td class="govuk-table__cell" data-label="Rating">${ratingTag(entry.rating)}</td><td class="govuk-table__cell" data-label="Published">${longDate(entry.publicationDate)}</td></tr>`;
    })}</tbody></table>`
  : html`<p class="govuk-body">CQC has published no provider-level rating for this provider, or none has been loaded.</p>`}

<h2 class="govuk-heading-m">Locations</h2>
${locations.length
  ? html`<table class="govuk-table app-table--ratings app-table--stack">
<caption class="govuk-table__caption govuk-visually-hidden">Each location's ratings and its current case</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Location</th>${DOMAINS.map((domain) => html`<th scope="col" class="govuk-table__header">${domain}</th>`)}<th scope="col" class="govuk-table__header">Case</th></tr></thead>
<tbody class="govuk-table__body">${locations.map((location) => {
      const contract = contracts.forLocation(location.locationId);
      const latest = own.find((record) => record.locationId === location.locationId);
      const below = locationBelowGood(location.ratings);
      return html`<tr class="govuk-table__row${below ? ' app-row--below' : ''}"><th scope="row" class="govuk-table__header"><span class="app-cell-name">${location.name}</span><br><span class="govuk-body-s">${formatAddress(location)}${contract ? html` · ${contract.area} · ${contract.serviceType}` : ''}</span>${below ? html`<br><strong class="govuk-tag govuk-tag--red">Below Good</strong>` : ''}</th>
${DOMAINS.map((domain) => html`<td class="govuk-table__cell" data-label="${domain}">${ratingTag(location.ratings[domain]?.rating)}${location.ratings[domain] ? html`<br><span class="govuk-body-s">${shortDate(location.ratings[domain]!.publicationDate)}</span>` : ''}</td>`)}
<td class="govuk-table__cell" data-label="Case">${latest ? html`${caseLink(latest)}${latest.memo ? html`<br>${ragTag(latest.memo.rag)}` : ''}` : html`<span class="app-muted">No case</span>`}</td></tr>`;
    })}</tbody></table>`
  : html`<p class="govuk-body">No locations are on record for this provider.</p>`}

${neighbours.lists.length
  ? html`<h2 class="govuk-heading-m">Neighbouring authorities' lists</h2>
${named.length
  ? html`<table class="govuk-table app-table--stack"><caption class="govuk-table__caption govuk-visually-hidden">This provider's locations on neighbouring authorities' lists, beside ours</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Location</th><th scope="col" class="govuk-table__header">Our memo</th><th scope="col" class="govuk-table__header">Neighbouring authorities</th></tr></thead>
<tbody class="govuk-table__body">${named.map((location) => {
      const ours = own.find((record) => record.locationId === location.locationId && record.memo)?.memo;
      return html`<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">${location.name}</th><td class="govuk-table__cell" data-label="Our memo">${ours ? html`${ragTag(ours.rag)} since ${longDate(ours.addedAt)}` : html`<span class="app-muted">Not on our memo</span>`}</td><td class="govuk-table__cell" data-label="Neighbouring authorities">${neighbourStatusList(neighbours.byLocation.get(location.locationId), now)}</td></tr>`;
    })}</tbody></table>`
  : html`<p class="govuk-body">No location of this provider is on ${neighbours.lists.map((list) => list.authority).join(', ')}'s ${neighbours.lists.length === 1 ? 'list' : 'lists'}.</p>`}
<p class="govuk-body"><a class="govuk-link" href="/memo/neighbours">Every neighbour's list</a></p>`
  : ''}

${contractsBlock}

${own.length
  ? html`<h2 class="govuk-heading-m">Every case</h2>
<table class="govuk-table app-table--stack"><caption class="govuk-table__caption govuk-visually-hidden">Every case about this provider's locations, newest first</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Case</th><th scope="col" class="govuk-table__header">Location</th><th scope="col" class="govuk-table__header">Stage</th><th scope="col" class="govuk-table__header">Opened</th></tr></thead>
<tbody class="govuk-table__body">${own.map(
      (record) =>
        html`<tr class="govuk-table__row"><td class="govuk-table__cell" data-label="Case"><a class="govuk-link" href="/cases/${pathSegment(record.caseId)}">${record.caseId}</a></td><td class="govuk-table__cell" data-label="Location">${locations.find((location) => location.locationId === record.locationId)?.name ?? record.locationId}</td><td class="govuk-table__cell" data-label="Stage">${stageTag(record)}</td><td class="govuk-table__cell" data-label="Opened">${longDate(record.openedAt)}</td></tr>`,
    )}</tbody></table>`
  : ''}`;
  return layout(name, body, { active: '/cases', fullWidth: true });
}
