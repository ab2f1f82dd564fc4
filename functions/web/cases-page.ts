/**
 * Cases: every open and closed case, filtered by the query string (stage, area, memo RAG, type of
 * service, open or closed), soonest deadline first, a hundred to a page. The cases and contracts
 * are read once; only the page's own locations and providers are fetched, in batches.
 */
import { html, type SafeHtml } from '../lib/html';
import { MEMO_RAG, SERVICE_TYPES, STAGES } from '../lib/model';
import type { HttpDeps, HttpRequest } from '../http-api/app';
import { ContractIndex, listCaseSummaries, loadLocations, loadProviders, type CaseSummary } from './data';
import {
  DEADLINE_LABELS,
  SERVICE_TYPE_LABELS,
  STAGE_LABELS,
  daysLeftTag,
  daysUntil,
  nextDeadline,
  officerName,
  pathSegment,
  plural,
  ragTag,
  shortDate,
  stageTag,
  whoLabel,
} from './format';
import { layout } from './layout';

export const PAGE_SIZE = 100;

export interface CaseFilters {
  stage?: string;
  area?: string;
  rag?: string;
  serviceType?: string;
  status?: string;
}

const ANY = '';

export function readFilters(query: Record<string, string>): CaseFilters {
  const pick = (value: string | undefined, allowed: readonly string[]) => (value && allowed.includes(value) ? value : undefined);
  return {
    stage: pick(query.stage, STAGES),
    area: query.area ? query.area.slice(0, 200) : undefined,
    rag: pick(query.rag, [...MEMO_RAG, 'none']),
    serviceType: pick(query.serviceType, SERVICE_TYPES),
    status: pick(query.status, ['open', 'closed']),
  };
}

function byUrgency() {
  const soonest = (record: CaseSummary) => {
    const next = nextDeadline(record);
    return next ? new Date(next.at).getTime() : Number.POSITIVE_INFINITY;
  };
  return (a: CaseSummary, b: CaseSummary): number => {
    if (a.status !== b.status) return a.status === 'open' ? -1 : 1;
    if (a.status === 'open') return soonest(a) - soonest(b) || a.openedAt.localeCompare(b.openedAt);
    return (b.closedAt ?? b.updatedAt).localeCompare(a.closedAt ?? a.updatedAt);
  };
}

function selectField(id: string, label: string, value: string | undefined, options: Array<[string, string]>): SafeHtml {
  return html`<div class="govuk-form-group app-filter__field"><label class="govuk-label govuk-label--s" for="${id}">${label}</label>
<select class="govuk-select" id="${id}" name="${id}"><option value="${ANY}">Any</option>${options.map(
    ([optionValue, optionLabel]) => html`<option value="${optionValue}"${optionValue === value ? ' selected' : ''}>${optionLabel}</option>`,
  )}</select></div>`;
}

function queryString(filters: CaseFilters, page?: number): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value);
  if (page && page > 1) params.set('page', String(page));
  const text = params.toString();
  return text ? `?${text}` : '';
}

function pagination(filters: CaseFilters, page: number, pages: number): SafeHtml {
  if (pages <= 1) return html``;
  const shown = [...new Set([1, page - 1, page, page + 1, pages])].filter((n) => n >= 1 && n <= pages).sort((a, b) => a - b);
  const items: SafeHtml[] = [];
  let previous = 0;
  for (const n of shown) {
    if (n - previous > 1) items.push(html`<li class="govuk-pagination__item govuk-pagination__item--ellipses">&ctdot;</li>`);
    items.push(
      n === page
        ? html`<li class="govuk-pagination__item govuk-pagination__item--current"><a class="govuk-link govuk-pagination__link" href="/cases${queryString(filters, n)}" aria-label="Page ${n}" aria-current="page">${n}</a></li>`
        : html`<li class="govuk-pagination__item"><a class="govuk-link govuk-pagination__link" href="/cases${queryString(filters, n)}" aria-label="Page ${n}">${n}</a></li>`,
    );
    previous = n;
  }
  return html`<nav class="govuk-pagination app-no-print" aria-label="Pages of cases">
${page > 1 ? html`<div class="govuk-pagination__prev"><a class="govuk-link govuk-pagination__link" href="/cases${queryString(filters, page - 1)}" rel="prev"><span class="govuk-pagination__link-title">Previous<span class="govuk-visually-hidden"> page</span></span></a></div>` : ''}
<ul class="govuk-pagination__list">${items}</ul>
${page < pages ? html`<div class="govuk-pagination__next"><a class="govuk-link govuk-pagination__link" href="/cases${queryString(filters, page + 1)}" rel="next"><span class="govuk-pagination__link-title">Next<span class="govuk-visually-hidden"> page</span></span></a></div>` : ''}
</nav>`;
}

export async function casesPage(deps: HttpDeps, request: HttpRequest): Promise<string> {
  const now = deps.clock.now();
  const filters = readFilters(request.query);
  const [cases, contracts] = await Promise.all([listCaseSummaries(deps.store), ContractIndex.load(deps.store)]);

  const matching = cases.filter((record) => {
    if (filters.stage && record.stage !== filters.stage) return false;
    if (filters.status && record.status !== filters.status) return false;
    if (filters.rag && (record.memo?.rag ?? 'none') !== filters.rag) return false;
    if (filters.area || filters.serviceType) {
      const contract = contracts.forCase(record);
      if (filters.area && contract?.area !== filters.area) return false;
      if (filters.serviceType && contract?.serviceType !== filters.serviceType) return false;
    }
    return true;
  });
  matching.sort(byUrgency());

  const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
  const requested = Number.parseInt(request.query.page ?? '1', 10);
  const page = Number.isFinite(requested) ? Math.min(Math.max(1, requested), pages) : 1;
  const shown = matching.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const [locations, providers] = await Promise.all([
    loadLocations(deps.store, shown.map((record) => record.locationId)),
    loadProviders(deps.store, shown.map((record) => record.providerId)),
  ]);

  const openCount = cases.filter((record) => record.status === 'open').length;
  const filtered = Object.values(filters).some(Boolean);
  const rows = shown.map((record) => {
    const location = locations.get(record.locationId);
    const provider = providers.get(record.providerId);
    const contract = contracts.forCase(record);
    const deadline = nextDeadline(record);
    return html`<tr class="govuk-table__row">
<td class="govuk-table__cell" data-label="Location and provider"><a class="govuk-link" href="/cases/${pathSegment(record.caseId)}">${location?.name ?? record.locationId}</a><br><span class="govuk-body-s app-muted"><a class="govuk-link govuk-link--muted" href="/providers/${pathSegment(record.providerId)}">${provider?.name ?? record.providerId}</a>${contract ? html` · ${contract.area} · ${contract.serviceType}` : ''}</span></td>
<td class="govuk-table__cell" data-label="Stage">${stageTag(record)}${record.memo ? html`<br>${ragTag(record.memo.rag)}` : ''}</td>
<td class="govuk-table__cell" data-label="Lead officer">${officerName(deps.config, record.leadOfficer)}</td>
<td class="govuk-table__cell" data-label="Next deadline">${deadline ? html`${shortDate(deadline.at)}<br><span class="govuk-body-s">${DEADLINE_LABELS[deadline.kind] ?? deadline.kind}</span><br>${daysLeftTag(daysUntil(deadline.at, now))}` : html`<span class="app-muted">None</span>`}</td>
<td class="govuk-table__cell" data-label="Waiting for">${record.waitingOn ? html`${record.waitingOn.step}<br><span class="govuk-body-s">${whoLabel(deps.config, record.waitingOn.who, record.leadOfficer)}${record.waitingOn.reminders ? html` · ${plural(record.waitingOn.reminders, 'reminder')} sent` : ''}</span>` : record.status === 'closed' ? html`Closed${record.outcome ? html`: ${record.outcome}` : ''}` : html`<span class="app-muted">Nothing</span>`}</td>
<td class="govuk-table__cell" data-label="Since">${record.waitingOn ? shortDate(record.waitingOn.since) : record.closedAt ? shortDate(record.closedAt) : ''}</td>
</tr>`;
  });

  const stageOptions: Array<[string, string]> = STAGES.map((stage) => [stage, STAGE_LABELS[stage]]);
  const body = html`<h1 class="govuk-heading-l">Cases</h1>
<p class="govuk-body">${plural(openCount, 'open case')} and ${plural(cases.length - openCount, 'closed case')} on record. Each row says what the case is waiting for and from whom.</p>
<form method="get" action="/cases" class="app-filter app-no-print" aria-label="Filter cases">
${selectField('stage', 'Stage', filters.stage, stageOptions)}
${selectField('area', 'Area', filters.area, contracts.areas().map((area) => [area, area]))}
${selectField('rag', 'Memo', filters.rag, [...MEMO_RAG.map((rag): [string, string] => [rag, rag]), ['none', 'Not on the memo']])}
${selectField('serviceType', 'Type of service', filters.serviceType, SERVICE_TYPES.map((type): [string, string] => [type, `${type}: ${SERVICE_TYPE_LABELS[type]}`]))}
${selectField('status', 'Open or closed', filters.status, [['open', 'Open'], ['closed', 'Closed']])}
<div class="app-filter__actions"><button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">Filter</button>${filtered ? html` <a class="govuk-link" href="/cases">Clear filters</a>` : ''}</div>
</form>
${matching.length === 0
  ? html`<p class="govuk-body" id="case-count">No cases match these filters.</p>`
  : html`<p class="govuk-body" id="case-count">${filtered ? html`${plural(matching.length, 'case')} ${matching.length === 1 ? 'matches' : 'match'}.` : html`${plural(matching.length, 'case')}.`} Showing ${(page - 1) * PAGE_SIZE + 1} to ${(page - 1) * PAGE_SIZE + shown.length}.</p>
<table class="govuk-table app-table--cases app-table--stack">
<caption class="govuk-table__caption govuk-visually-hidden">Cases, open first, soonest deadline first</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row">
<th scope="col" class="govuk-table__header">Location and provider</th>
<th scope="col" class="govuk-table__header">Stage</th>
<th scope="col" class="govuk-table__header">Lead officer</th>
<th scope="col" class="govuk-table__header">Next deadline</th>
<th scope="col" class="govuk-table__header">Waiting for</th>
<th scope="col" class="govuk-table__header">Since</th>
</tr></thead>
<tbody class="govuk-table__body">${rows}</tbody>
</table>
${pagination(filters, page, pages)}`}`;
  return layout('Cases', body, { active: '/cases', fullWidth: true });
}
