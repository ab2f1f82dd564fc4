/**
 * The Managed Placements Memo, live: the list placement staff read before placing anyone. Three
 * parts (RED: not placing; AMBER: placing with restrictions; GREEN: restrictions lifted recently),
 * each by geographical area, with the columns of the policy's template: type of service, name and
 * address of the service, the council contact to speak to first, and the date added. Printable,
 * and downloadable as CSV for neighbouring authorities.
 *
 * Each location appears once, from its newest case with a memo entry. RED and AMBER stay until a
 * case changes them (a terminated contract stays RED); GREEN entries are shown for
 * GREEN_WINDOW_DAYS after restrictions were lifted, standing in for "since the last list".
 */
import { isoDate } from '../lib/clock';
import { html, type SafeHtml } from '../lib/html';
import { MEMO_RAG, type MemoRag } from '../lib/model';
import type { HttpDeps } from '../http-api/app';
import { ContractIndex, listCaseSummaries, loadLocations, loadProviders, type CaseSummary } from './data';
import { RAG_HEADINGS, SERVICE_TYPE_LABELS, addressText, longDate, pathSegment, plural, ragTag } from './format';
import { layout } from './layout';
import { neighbourStatusesByLocation, type NeighbourStatus } from '../council/neighbours';
import { listAge, neighbourStatusList } from '../council/neighbour-pages';

export const GREEN_WINDOW_DAYS = 90;
export const NO_AREA = 'No contract area';

export interface MemoEntry {
  rag: MemoRag;
  area: string;
  serviceType: string;
  providerId: string;
  providerName: string;
  locationId: string;
  locationName: string;
  address: string;
  postcode: string;
  contactName: string;
  contactPhone: string;
  contactEmail: string;
  addedAt: string;
  caseId: string;
}

/** The cases that put each location on the memo now. */
export function memoCases(cases: readonly CaseSummary[], now: Date): CaseSummary[] {
  const newest = new Map<string, CaseSummary>();
  for (const record of cases) {
    if (!record.memo) continue;
    const held = newest.get(record.locationId);
    if (!held || record.openedAt > held.openedAt) newest.set(record.locationId, record);
  }
  const greenSince = now.getTime() - GREEN_WINDOW_DAYS * 86_400_000;
  return [...newest.values()].filter((record) => record.memo!.rag !== 'GREEN' || new Date(record.memo!.addedAt).getTime() >= greenSince);
}

/** What the memo reads: the pages pass their deps, the scheduled publish its own. */
export type MemoDeps = Pick<HttpDeps, 'store' | 'clock' | 'config'>;

export async function loadMemo(deps: MemoDeps): Promise<{ entries: MemoEntry[]; areas: string[] }> {
  const [cases, contracts] = await Promise.all([listCaseSummaries(deps.store), ContractIndex.load(deps.store)]);
  const listed = memoCases(cases, deps.clock.now());
  const [locations, providers] = await Promise.all([
    loadLocations(deps.store, listed.map((record) => record.locationId)),
    loadProviders(deps.store, listed.map((record) => record.providerId)),
  ]);
  const officers = new Map(deps.config.officers.map((officer) => [officer.id, officer]));
  const entries = listed.map((record): MemoEntry => {
    const contract = contracts.forCase(record);
    const location = locations.get(record.locationId);
    const officer = officers.get(record.leadOfficer);
    return {
      rag: record.memo!.rag,
      area: contract?.area || NO_AREA,
      serviceType: contract?.serviceType ?? '',
      providerId: record.providerId,
      providerName: providers.get(record.providerId)?.name ?? record.providerId,
      locationId: record.locationId,
      locationName: location?.name ?? record.locationId,
      address: addressText(location?.address),
      postcode: location?.address.postcode ?? '',
      contactName: officer?.name ?? record.leadOfficer,
      contactPhone: officer?.phone ?? '',
      contactEmail: officer?.email ?? '',
      addedAt: record.memo!.addedAt,
      caseId: record.caseId,
    };
  });
  const rank = (rag: MemoRag) => MEMO_RAG.indexOf(rag);
  entries.sort((a, b) => rank(a.rag) - rank(b.rag) || a.area.localeCompare(b.area) || a.providerName.localeCompare(b.providerName) || a.locationName.localeCompare(b.locationName));
  const areas = [...new Set([...contracts.areas(), ...entries.map((entry) => entry.area)])].sort((a, b) => (a === NO_AREA ? 1 : b === NO_AREA ? -1 : a.localeCompare(b)));
  return { entries, areas };
}

const SECTION_TEXT: Record<MemoRag, string> = {
  RED: 'The council is not agreeing new placements with these services. Speak to the named contact before you contact the provider.',
  AMBER: 'Placements are possible only within the restrictions agreed. Speak to the named contact before you contact the provider.',
  GREEN: `Restrictions have been lifted in the last ${GREEN_WINDOW_DAYS} days and placements are being made again.`,
};

interface Neighbours {
  byLocation: Map<string, NeighbourStatus[]>;
  shown: boolean;
  now: Date;
}

function areaTable(rag: MemoRag, area: string, entries: MemoEntry[], neighbours: Neighbours): SafeHtml {
  if (entries.length === 0) {
    return html`<h3 class="govuk-heading-m app-memo-area">${area}</h3><p class="govuk-body app-muted">None in ${area}.</p>`;
  }
  return html`<h3 class="govuk-heading-m app-memo-area">${area}</h3>
<table class="govuk-table app-memo-table app-table--stack">
<caption class="govuk-table__caption govuk-visually-hidden">${rag}: ${plural(entries.length, 'service')} in ${area}</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header app-col-type">Type of service</th><th scope="col" class="govuk-table__header">Name and address of service provider</th><th scope="col" class="govuk-table__header">Council contact and telephone</th><th scope="col" class="govuk-table__header app-col-date">Date added</th>${neighbours.shown ? html`<th scope="col" class="govuk-table__header">Neighbouring authorities</th>` : ''}</tr></thead>
<tbody class="govuk-table__body">${entries.map(
    (entry) =>
      html`<tr class="govuk-table__row"><td class="govuk-table__cell" data-label="Type of service">${entry.serviceType ? html`<abbr title="${SERVICE_TYPE_LABELS[entry.serviceType] ?? entry.serviceType}">${entry.serviceType}</abbr>` : 'Unknown'}</td><td class="govuk-table__cell" data-label="Name and address of service provider"><a class="govuk-link app-print-plain" href="/cases/${pathSegment(entry.caseId)}">${entry.locationName}</a><br>${entry.providerName}<br><span class="govuk-body-s">${entry.address}</span></td><td class="govuk-table__cell" data-label="Council contact and telephone">${entry.contactName}${entry.contactPhone ? html`<br>${entry.contactPhone}` : ''}</td><td class="govuk-table__cell" data-label="Date added">${longDate(entry.addedAt)}</td>${neighbours.shown ? html`<td class="govuk-table__cell" data-label="Neighbouring authorities">${neighbours.byLocation.has(entry.locationId) ? neighbourStatusList(neighbours.byLocation.get(entry.locationId), neighbours.now) : html`<span class="app-muted">Not on their lists</span>`}</td>` : ''}</tr>`,
  )}</tbody></table>`;
}

export async function memoPage(deps: HttpDeps): Promise<string> {
  const today = deps.clock.now();
  const [{ entries, areas }, { lists, byLocation }] = await Promise.all([loadMemo(deps), neighbourStatusesByLocation(deps.store, today)]);
  const neighbours: Neighbours = { byLocation, shown: lists.length > 0, now: today };
  const sections = MEMO_RAG.map((rag) => {
    const inSection = entries.filter((entry) => entry.rag === rag);
    return html`<section class="app-memo-section app-memo-section--${rag.toLowerCase()}" aria-labelledby="section-${rag.toLowerCase()}">
<h2 class="govuk-heading-l" id="section-${rag.toLowerCase()}">${ragTag(rag)} ${RAG_HEADINGS[rag]}</h2>
<p class="govuk-body">${SECTION_TEXT[rag]} ${plural(inSection.length, 'service')}.</p>
${areas.map((area) => areaTable(rag, area, inSection.filter((entry) => entry.area === area), neighbours))}
</section>`;
  });
  const body = html`<span class="govuk-caption-l">Confidential: council and NHS staff who arrange care only</span>
<h1 class="govuk-heading-xl">Managed Placements Memo</h1>
<p class="govuk-body-l">Updated ${longDate(today)}.</p>
<div class="govuk-inset-text">Services are listed here where quality or safeguarding concerns have changed the council's commissioning position. This list is live: it changes as soon as a case does.</div>
<p class="govuk-body app-no-print"><a class="govuk-link" href="/memo.csv" download>Download the memo as a spreadsheet (CSV)</a> to share with neighbouring authorities. To print it, use your browser's print command: the printout leaves out the navigation and links.</p>
<p class="govuk-body-s">Types of service: ${Object.entries(SERVICE_TYPE_LABELS).map(([code, label], index) => html`${index ? ', ' : ''}${code} ${label.toLowerCase()}`)}.</p>
${sections}
${neighboursSection(entries, lists, byLocation, today)}`;
  return layout('Managed Placements Memo', body, { active: '/memo', fullWidth: true });
}

/** Services on neighbours' lists that are not on ours, and each list's date. */
function neighboursSection(entries: readonly MemoEntry[], lists: Awaited<ReturnType<typeof neighbourStatusesByLocation>>['lists'], byLocation: Map<string, NeighbourStatus[]>, now: Date): SafeHtml {
  const ours = new Set(entries.map((entry) => entry.locationId));
  const only = [...byLocation.entries()].filter(([locationId]) => !ours.has(locationId)).sort(([, a], [, b]) => a[0]!.entry.match!.name.localeCompare(b[0]!.entry.match!.name));
  const unmatched = lists.reduce((count, list) => count + list.entries.filter((entry) => !entry.match).length, 0);
  return html`<section class="app-memo-section" aria-labelledby="section-neighbours">
<h2 class="govuk-heading-l" id="section-neighbours">Neighbouring authorities' lists</h2>
${lists.length
  ? html`<p class="govuk-body">Their statuses are shown beside ours above. Lists loaded: ${lists.map((list, index) => html`${index ? '; ' : ''}${list.authority}, ${listAge(list.listDate, now)}`)}.${unmatched ? ` ${plural(unmatched, 'row')} of their lists ${unmatched === 1 ? 'matches' : 'match'} no service here.` : ''}</p>
${only.length
  ? html`<table class="govuk-table app-memo-table app-table--stack"><caption class="govuk-table__caption govuk-table__caption--m">Services on their lists and not on ours</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Service</th><th scope="col" class="govuk-table__header">Neighbouring authorities</th></tr></thead>
<tbody class="govuk-table__body">${only.map(([, statuses]) => {
      const match = statuses[0]!.entry.match!;
      return html`<tr class="govuk-table__row"><td class="govuk-table__cell" data-label="Service"><a class="govuk-link app-print-plain" href="/providers/${pathSegment(match.providerId)}">${match.name}</a><br><span class="govuk-body-s">${match.locationId}</span></td><td class="govuk-table__cell" data-label="Neighbouring authorities">${neighbourStatusList(statuses, now)}</td></tr>`;
    })}</tbody></table>`
  : ''}`
  : html`<p class="govuk-body">No neighbouring authority's list has been loaded.</p>`}
<p class="govuk-body app-no-print"><a class="govuk-link" href="/memo/neighbours">Neighbouring authorities' lists: load one, or see every row and how it was matched</a></p>
</section>`;
}

/**
 * One CSV cell: quoted, quotes doubled, and a leading = + - @ (or tab / CR, which some
 * spreadsheets skip before looking) neutralised with an apostrophe so no cell runs as a formula.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replaceAll('"', '""')}"`;
}

/**
 * The memo as CSV, a stable schema neighbouring authorities can automate (README: "Our memo CSV").
 * Columns are only ever added at the end; a change to what a column means bumps
 * MEMO_CSV_SCHEMA_VERSION. Every row carries the version, the authority and the list's date, so a
 * row read on its own still says whose list it is and how old.
 */
export const MEMO_CSV_SCHEMA_VERSION = '1';

export const MEMO_CSV_COLUMNS = [
  'schema_version',
  'authority',
  'list_date',
  'status',
  'since',
  'cqc_location_id',
  'location_name',
  'provider_name',
  'address',
  'postcode',
  'area',
  'service_type',
  'contact_name',
  'contact_phone',
  'contact_email',
] as const;

export function memoCsvFromEntries(entries: readonly MemoEntry[], authority: string, today: string): string {
  const lines = [MEMO_CSV_COLUMNS.map(csvCell).join(',')];
  for (const entry of entries) {
    lines.push(
      [
        MEMO_CSV_SCHEMA_VERSION,
        authority,
        today,
        entry.rag,
        entry.addedAt.slice(0, 10),
        entry.locationId,
        entry.locationName,
        entry.providerName,
        entry.address,
        entry.postcode,
        entry.area,
        entry.serviceType,
        entry.contactName,
        entry.contactPhone,
        entry.contactEmail,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  // A byte order mark so spreadsheet programs read the names as UTF-8; CRLF as RFC 4180 has it.
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** The memo CSV as `/memo.csv` serves it and the scheduled publish writes it, with the list's date. */
export async function renderMemoCsv(deps: MemoDeps): Promise<{ csv: string; listDate: string; rows: number }> {
  const { entries } = await loadMemo(deps);
  const listDate = isoDate(deps.clock.now());
  return { csv: memoCsvFromEntries(entries, deps.config.authority.name, listDate), listDate, rows: entries.length };
}

export async function memoCsv(deps: MemoDeps): Promise<string> {
  return (await renderMemoCsv(deps)).csv;
}
