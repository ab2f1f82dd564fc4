/**
 * Small self-contained pieces the provider and case pages include: a provider's contracts, and a
 * case's provider contacts with its held letters ("no provider contact" until an officer adds one).
 */
import { html, type SafeHtml } from '../lib/html';
import { CONTACT_ROLE_LABELS, contractLocations, type Case } from '../lib/model';
import type { Store } from '../lib/store';
import type { AppConfig } from '../lib/config';
import { caseContacts } from '../ladder/context';
import { dateTime, officerName, pathSegment } from '../web/format';
import { listHeldLetters } from './held-letters';

export async function providerContractsBlock(deps: { store: Store; config: AppConfig }, providerId: string): Promise<SafeHtml> {
  const contracts = (await deps.store.listContracts()).filter((contract) => contract.providerId === providerId).sort((a, b) => a.contractId.localeCompare(b.contractId));
  return html`<h2 class="govuk-heading-m">Contracts</h2>
${contracts.length
  ? html`<table class="govuk-table"><caption class="govuk-table__caption govuk-visually-hidden">The council's contracts with this provider</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Contract</th><th scope="col" class="govuk-table__header">Locations</th><th scope="col" class="govuk-table__header">Type and area</th><th scope="col" class="govuk-table__header">Relationship holder</th><th scope="col" class="govuk-table__header">Status</th></tr></thead>
<tbody class="govuk-table__body">${contracts.map(
      (contract) =>
        html`<tr class="govuk-table__row"><td class="govuk-table__cell"><a class="govuk-link" href="/contracts/${pathSegment(contract.contractId)}">${contract.contractId}</a></td><td class="govuk-table__cell">${contractLocations(contract).join(', ')}</td><td class="govuk-table__cell">${contract.serviceType}, ${contract.area}${contract.outOfCounty ? ' (out of county)' : ''}</td><td class="govuk-table__cell">${officerName(deps.config, contract.relationshipHolder)}</td><td class="govuk-table__cell">${contract.status}</td></tr>`,
    )}</tbody></table>`
  : html`<p class="govuk-body">The council holds no contract with this provider: any case follows the partnership route.</p>`}
<p class="govuk-body"><a class="govuk-link" href="/providers/${pathSegment(providerId)}/contacts">The provider's contacts</a></p>`;
}

export async function caseContactsBlock(deps: { store: Store }, record: Pick<Case, 'caseId' | 'providerId' | 'locationId'>): Promise<SafeHtml> {
  const [records, contract, held] = await Promise.all([deps.store.listContacts(record.providerId), deps.store.contractForLocation(record.locationId), listHeldLetters(deps, record.caseId)]);
  const contacts = caseContacts(records, record.locationId, contract);
  const people = (['owner', 'nominatedIndividual', 'registeredManager', 'familiesContact'] as const).flatMap((role) => (contacts[role] ? [[role, contacts[role]!] as const] : []));
  const none = !contacts.owner && !contacts.nominatedIndividual && !contacts.registeredManager;
  const waiting = held.filter((letter) => letter.status === 'held');
  const add = `/providers/${pathSegment(record.providerId)}/contacts?case=${encodeURIComponent(record.caseId)}&location=${encodeURIComponent(record.locationId)}`;
  return html`<h2 class="govuk-heading-m">Provider contacts</h2>
${none
  ? html`<div class="govuk-warning-text"><span class="govuk-warning-text__icon" aria-hidden="true">!</span><strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">Warning</span>No provider contact. Letters to the provider are held on the case until you add one; nothing goes to anyone else in the provider's place.</strong></div>`
  : html`<dl class="govuk-summary-list">${people.map(([role, person]) => html`<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">${CONTACT_ROLE_LABELS[role]}</dt><dd class="govuk-summary-list__value">${person.name}<br><span class="govuk-body-s app-break">${person.email}${person.phone ? ` · ${person.phone}` : ''}</span></dd></div>`)}</dl>`}
${waiting.length
  ? html`<p class="govuk-body">Held letters (they go as soon as a contact is added):</p><ul class="govuk-list govuk-list--bullet">${waiting.map((letter) => html`<li>${letter.subject} <span class="govuk-body-s">(${dateTime(letter.at)})</span></li>`)}</ul>`
  : ''}
${contract?.outOfCounty && contract.hostAuthority ? html`<p class="govuk-body">Out of county: concerns are shared with ${contract.hostAuthority.name} (${contract.hostAuthority.contact.name}, ${contract.hostAuthority.contact.email}).</p>` : ''}
<p class="govuk-body"><a class="govuk-link" href="${add}">${none ? 'Add the provider’s contact' : 'Add or change a contact'}</a></p>`;
}
