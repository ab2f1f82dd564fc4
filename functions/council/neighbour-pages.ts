/**
 * The neighbouring authorities' status lists: every source with its list's date and age, an upload
 * (a preview first, then apply), and one source's rows with how each was matched here, unmatched
 * rows listed. Forms carry CSRF tokens; a problem comes back on the page with what was typed.
 */
import { html, type SafeHtml } from '../lib/html';
import { htmlResponse, type HttpDeps, type HttpRequest, type HttpResponse } from '../http-api/app';
import { csrfField, dateInputParts, errorSummary, fieldError, hasError, readDate, successBanner, type Problem } from '../web/components';
import { BadMultipart, bodyBytes, checkPageForm, FormFields, pageFormToken, parseMultipart } from '../web/forms';
import { dateTime, longDate, pathSegment, plural, ragTag } from '../web/format';
import { layout } from '../web/layout';
import { cleanFileName, formRefused } from '../web/ratings-page';
import { loadUpload, saveUpload } from './uploads';
import {
  applyNeighbours,
  getNeighbourList,
  listAgeDays,
  listNeighbourLists,
  MATCH_WORDS,
  NEIGHBOUR_STALE_DAYS,
  NEIGHBOUR_STATUS_WORDS,
  previewNeighbours,
  SIMPLE_NEIGHBOUR_HEADER,
  type NeighbourEntry,
  type NeighbourOptions,
  type NeighbourPlan,
  type NeighbourStatus,
} from './neighbours';

const FORM = { upload: 'neighbours-import', apply: 'neighbours-apply' } as const;
const SOURCE = /^\/memo\/neighbours\/([a-z0-9-]{1,80})$/;
const ACTIVE = '/memo';

export function isNeighbourPagePath(path: string): boolean {
  return /^\/memo\/neighbours(\/|$)/.test(path);
}

/** "list of 20 November 2026 (5 days old)", marked when older than NEIGHBOUR_STALE_DAYS. */
export function listAge(listDate: string, now: Date): SafeHtml {
  const days = listAgeDays(listDate, now);
  const age = days === 0 ? 'today' : days === 1 ? '1 day old' : `${days} days old`;
  return html`list of ${longDate(listDate)} (${age})${days > NEIGHBOUR_STALE_DAYS ? html` <strong class="govuk-tag govuk-tag--grey">Out of date</strong>` : ''}`;
}

function serviceCell(entry: NeighbourEntry): SafeHtml {
  return html`${entry.locationName ?? entry.locationId ?? ''}${entry.provider ? html`<br>${entry.provider}` : ''}<br><span class="govuk-body-s">${[entry.postcode, entry.locationId].filter(Boolean).join(' · ')}</span>`;
}

function matchCell(entry: NeighbourEntry): SafeHtml {
  if (!entry.match) return html`<strong class="govuk-tag govuk-tag--yellow">Unmatched</strong><br><span class="govuk-body-s">${entry.unmatched ?? ''}</span>`;
  return html`${MATCH_WORDS[entry.match.by]}:<br><a class="govuk-link" href="/providers/${pathSegment(entry.match.providerId)}">${entry.match.name}</a> <span class="govuk-body-s">(${entry.match.locationId})</span>`;
}

function entriesTable(caption: string, entries: readonly NeighbourEntry[]): SafeHtml {
  if (entries.length === 0) return html`<p class="govuk-body">No row.</p>`;
  return html`<table class="govuk-table app-table--stack"><caption class="govuk-table__caption govuk-table__caption--m">${caption}</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Line</th><th scope="col" class="govuk-table__header">Service</th><th scope="col" class="govuk-table__header">Their status</th><th scope="col" class="govuk-table__header">Their contact</th><th scope="col" class="govuk-table__header">Here</th></tr></thead>
<tbody class="govuk-table__body">${entries.map(
    (entry) =>
      html`<tr class="govuk-table__row"><td class="govuk-table__cell" data-label="Line">${entry.line}</td><td class="govuk-table__cell" data-label="Service">${serviceCell(entry)}</td><td class="govuk-table__cell" data-label="Their status">${ragTag(entry.rag)} ${NEIGHBOUR_STATUS_WORDS[entry.rag]} since ${longDate(entry.since)}</td><td class="govuk-table__cell app-break" data-label="Their contact">${entry.contact ?? ''}</td><td class="govuk-table__cell" data-label="Here">${matchCell(entry)}</td></tr>`,
  )}</tbody></table>`;
}

function row(key: string, value: SafeHtml | string): SafeHtml {
  return html`<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">${key}</dt><dd class="govuk-summary-list__value">${value}</dd></div>`;
}

function planTables(plan: NeighbourPlan, now: Date): SafeHtml {
  const { summary } = plan;
  const dateFrom = plan.listDateFrom === 'file' ? 'the date in the file' : plan.listDateFrom === 'given' ? 'the date you gave' : 'no date in the file or given: the day it was imported';
  return html`<dl class="govuk-summary-list">
${row('File', `${plan.file} (${plan.fileFormat.toUpperCase()}, ${plan.format === 'memo' ? 'a Managed Placements Memo CSV' : 'the simple format'}, header on line ${plan.headerLine}, ${plural(plan.rowsRead, 'row')} below it)`)}
${row('Authority', plan.authority)}
${row('List', html`${listAge(plan.listDate, now)}<br><span class="govuk-body-s">${dateFrom}</span>`)}
${row('What changes', plan.kind === 'unchanged' ? 'Nothing: this is the list on record already' : plan.kind === 'replaced' ? `It replaces ${plan.authority}'s list of ${longDate(plan.before!.listDate)} (${plural(plan.before!.entryCount, 'row')})` : `A new source: ${plan.authority} has no list here yet`)}
${row('Rows', `${summary.entries} kept: ${summary.matchedById} matched by CQC location id, ${summary.matchedByNamePostcode} by name and postcode, ${summary.unmatched} unmatched; ${summary.rejected} rejected`)}
${plan.unusedColumns.length ? row('Columns not used', plan.unusedColumns.join(', ')) : ''}
</dl>
${entriesTable('Unmatched rows (kept and listed: no service here fits them)', plan.entries.filter((entry) => !entry.match))}
${entriesTable('Matched rows', plan.entries.filter((entry) => entry.match))}
${plan.rejections.length
  ? html`<table class="govuk-table app-table--stack"><caption class="govuk-table__caption govuk-table__caption--m">Rejected rows</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Line</th><th scope="col" class="govuk-table__header">Column</th><th scope="col" class="govuk-table__header">Why</th><th scope="col" class="govuk-table__header">Value</th></tr></thead>
<tbody class="govuk-table__body">${plan.rejections.map((rejection) => html`<tr class="govuk-table__row"><td class="govuk-table__cell" data-label="Line">${rejection.line}</td><td class="govuk-table__cell" data-label="Column">${rejection.field}</td><td class="govuk-table__cell" data-label="Why">${rejection.reason}</td><td class="govuk-table__cell app-break" data-label="Value">${rejection.value}</td></tr>`)}</tbody></table>`
  : html`<p class="govuk-body">No row was rejected.</p>`}`;
}

interface FormValues {
  authority?: string;
  day?: string;
  month?: string;
  year?: string;
}

async function sourcesPage(deps: HttpDeps, request: HttpRequest, user: string, problems: Problem[] = [], values: FormValues = {}): Promise<string> {
  const lists = await listNeighbourLists(deps.store);
  const now = deps.clock.now();
  const body = html`${errorSummary(problems)}
<a class="govuk-back-link app-no-print" href="/memo">Managed Placements Memo</a>
<h1 class="govuk-heading-l">Neighbouring authorities' lists</h1>
<p class="govuk-body">Neighbouring councils' Managed Placements Memos, shown beside ours on the memo, the provider pages and the case pages. Each authority has one list here: loading a new one replaces that authority's list and no other. A list older than ${NEIGHBOUR_STALE_DAYS} days is marked out of date.</p>
${lists.length
  ? html`<table class="govuk-table app-table--stack"><caption class="govuk-table__caption govuk-visually-hidden">Every neighbouring authority's list on record</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Authority</th><th scope="col" class="govuk-table__header">List</th><th scope="col" class="govuk-table__header">Rows</th><th scope="col" class="govuk-table__header">Loaded</th></tr></thead>
<tbody class="govuk-table__body">${lists.map((list) => {
      const matched = list.entries.filter((entry) => entry.match).length;
      return html`<tr class="govuk-table__row"><td class="govuk-table__cell" data-label="Authority"><a class="govuk-link" href="/memo/neighbours/${list.sourceId}">${list.authority}</a></td><td class="govuk-table__cell" data-label="List">${listAge(list.listDate, now)}</td><td class="govuk-table__cell" data-label="Rows">${plural(list.entryCount, 'row')}: ${matched} matched, ${list.entryCount - matched} unmatched</td><td class="govuk-table__cell" data-label="Loaded">${dateTime(list.importedAt)}<br><span class="govuk-body-s">${list.file}, by ${list.importedBy}</span></td></tr>`;
    })}</tbody></table>`
  : html`<p class="govuk-body">No neighbouring authority's list has been loaded yet.</p>`}
<h2 class="govuk-heading-m">Load a neighbour's list</h2>
<p class="govuk-body">Their Managed Placements Memo as CSV (another council running this product: its <code>/memo.csv</code>), or a simple list with the columns ${SIMPLE_NEIGHBOUR_HEADER.join(', ')} (the README shows an example). Rows are matched to our services by CQC location id, else by name and postcode. You see the result before anything is changed.</p>
<form method="post" action="/memo/neighbours/import" enctype="multipart/form-data" novalidate>
${csrfField(pageFormToken(deps.signingKey, request, user, FORM.upload))}
<div class="govuk-form-group${hasError(problems, 'authority') ? ' govuk-form-group--error' : ''}"><label class="govuk-label govuk-label--s" for="authority">Neighbouring authority</label><div id="authority-hint" class="govuk-hint">For example, Dorset Council. A memo CSV names its authority; leave this blank to take it from the file.</div>${fieldError(problems, 'authority')}<input class="govuk-input govuk-!-width-two-thirds" id="authority" name="authority" type="text" value="${values.authority ?? ''}" aria-describedby="authority-hint"></div>
${dateInputParts('listDate', "The list's date (optional)", "Leave it blank when the file gives it (a memo CSV does); otherwise today's date is used.", { day: values.day ?? '', month: values.month ?? '', year: values.year ?? '' }, problems)}
<div class="govuk-form-group${hasError(problems, 'neighbourFile') ? ' govuk-form-group--error' : ''}"><label class="govuk-label govuk-label--s" for="neighbourFile">Their list</label><div id="neighbourFile-hint" class="govuk-hint">CSV or .xlsx</div>${fieldError(problems, 'neighbourFile')}<input class="govuk-file-upload" id="neighbourFile" name="neighbourFile" type="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" aria-describedby="neighbourFile-hint"></div>
<button type="submit" class="govuk-button" data-module="govuk-button">Check the list</button>
</form>`;
  return layout("Neighbouring authorities' lists", body, { active: ACTIVE, fullWidth: true });
}

async function postUpload(deps: HttpDeps, request: HttpRequest, user: string): Promise<HttpResponse> {
  let form;
  try {
    form = parseMultipart(request.headers['content-type'] ?? '', bodyBytes(request));
  } catch (error) {
    if (!(error instanceof BadMultipart)) throw error;
    return htmlResponse(400, await sourcesPage(deps, request, user, [{ field: 'neighbourFile', message: 'The upload arrived incomplete: choose the file and upload it again' }]));
  }
  if (checkPageForm(deps.signingKey, request, user, FORM.upload, form.fields.csrfToken)) return formRefused();
  const fields = { get: (name: string) => (form.fields[name] ?? '').trim() };
  const values: FormValues = { authority: fields.get('authority'), day: fields.get('listDate-day'), month: fields.get('listDate-month'), year: fields.get('listDate-year') };
  const problems: Problem[] = [];
  const typedDate = Boolean(values.day || values.month || values.year);
  const listDate = typedDate ? readDate(fields, 'listDate') : undefined;
  if (typedDate && !listDate) problems.push({ field: 'listDate', message: `The list's date must be a real date, like ${longDate(deps.clock.now())} as 20 11 2026 (you typed ${[values.day, values.month, values.year].join(' ')})` });
  if ((values.authority ?? '').length > 200) problems.push({ field: 'authority', message: "The authority's name is too long (200 characters at most)" });
  const file = form.files.neighbourFile;
  if (!file || file.body.length === 0) problems.push({ field: 'neighbourFile', message: "Choose the neighbour's list to upload" });
  if (problems.length || !file) return htmlResponse(400, await sourcesPage(deps, request, user, problems, values));
  const fileName = cleanFileName(file.fileName);
  const options: NeighbourOptions = { ...(values.authority ? { authority: values.authority } : {}), ...(listDate ? { listDate } : {}) };
  let plan: NeighbourPlan;
  try {
    plan = await previewNeighbours(deps, file.body, fileName, options);
  } catch (error) {
    if (['MissingColumns', 'WorkbookError', 'FileTooLarge', 'BadInput'].includes((error as Error).name)) {
      const field = /authority|whose list|this council/.test((error as Error).message) ? 'authority' : 'neighbourFile';
      return htmlResponse(400, await sourcesPage(deps, request, user, [{ field, message: (error as Error).message }], values));
    }
    throw error;
  }
  const upload = await saveUpload(deps.store, { kind: 'neighbours', fileName, body: file.body, by: user, at: deps.clock.now().toISOString(), options: options as Record<string, string> });
  return htmlResponse(200, previewPage(deps, request, user, upload.uploadId, plan));
}

function previewPage(deps: HttpDeps, request: HttpRequest, user: string, uploadId: string, plan: NeighbourPlan): string {
  const body = html`<a class="govuk-back-link" href="/memo/neighbours">Neighbouring authorities' lists</a>
<span class="govuk-caption-l">Check before applying</span>
<h1 class="govuk-heading-l">${plan.authority}'s list</h1>
<div class="govuk-inset-text">Nothing has been changed yet.</div>
${planTables(plan, deps.clock.now())}
<form method="post" action="/memo/neighbours/apply" novalidate>
${csrfField(pageFormToken(deps.signingKey, request, user, FORM.apply))}
<input type="hidden" name="uploadId" value="${uploadId}">
<button type="submit" class="govuk-button" data-module="govuk-button">${plan.kind === 'replaced' ? `Replace ${plan.authority}'s list` : 'Apply this list'}</button>
<a class="govuk-link govuk-!-margin-left-3" href="/memo/neighbours">Cancel</a>
</form>`;
  return layout(`Check ${plan.authority}'s list`, body, { active: ACTIVE, fullWidth: true });
}

async function postApply(deps: HttpDeps, request: HttpRequest, user: string): Promise<HttpResponse> {
  const fields = FormFields.of(request);
  if (checkPageForm(deps.signingKey, request, user, FORM.apply, fields.get('csrfToken'))) return formRefused();
  const { meta, body: file } = await loadUpload(deps.store, fields.get('uploadId'), 'neighbours');
  const plan = await applyNeighbours(deps, file, meta.fileName, user, meta.options);
  const body = html`${successBanner(plan.kind === 'unchanged' ? `${plan.authority}'s list was on record already` : `${plan.authority}'s list ${plan.kind === 'replaced' ? 'replaced' : 'added'}`)}
<h1 class="govuk-heading-l">${plan.authority}'s list applied</h1>
${planTables(plan, deps.clock.now())}
<p class="govuk-body"><a class="govuk-link" href="/memo">See it on the memo</a> · <a class="govuk-link" href="/memo/neighbours">All neighbours' lists</a></p>`;
  return htmlResponse(200, layout(`${plan.authority}'s list applied`, body, { active: ACTIVE, fullWidth: true }));
}

async function sourcePage(deps: HttpDeps, sourceId: string): Promise<HttpResponse | undefined> {
  const list = await getNeighbourList(deps.store, sourceId);
  if (!list) return undefined;
  const now = deps.clock.now();
  const body = html`<a class="govuk-back-link app-no-print" href="/memo/neighbours">Neighbouring authorities' lists</a>
<span class="govuk-caption-l">Neighbouring authority</span>
<h1 class="govuk-heading-l">${list.authority}</h1>
<dl class="govuk-summary-list">
${row('List', listAge(list.listDate, now))}
${row('Loaded', `${dateTime(list.importedAt)}, from ${list.file} (${list.format === 'memo' ? 'a Managed Placements Memo CSV' : 'the simple format'}), by ${list.importedBy}`)}
${list.replaced ? row('Replaced', `the list of ${longDate(list.replaced.listDate)}`) : ''}
</dl>
${entriesTable('Unmatched rows', list.entries.filter((entry) => !entry.match))}
${entriesTable('Matched rows', list.entries.filter((entry) => entry.match))}`;
  return htmlResponse(200, layout(`${list.authority}'s list`, body, { active: ACTIVE, fullWidth: true }));
}

/** The neighbours' pages, or undefined when the path is not one of them. */
export async function neighbourPage(deps: HttpDeps, request: HttpRequest, user: string): Promise<HttpResponse | undefined> {
  const { path } = request;
  if (!isNeighbourPagePath(path)) return undefined;
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  if (method === 'POST') {
    if (path === '/memo/neighbours/import') return postUpload(deps, request, user);
    if (path === '/memo/neighbours/apply') return postApply(deps, request, user);
    return undefined;
  }
  if (method !== 'GET') return undefined;
  if (path === '/memo/neighbours') return htmlResponse(200, await sourcesPage(deps, request, user));
  const source = SOURCE.exec(path);
  if (source) return sourcePage(deps, source[1]!);
  return undefined;
}

/**
 * A location's statuses on neighbours' lists, beside ours: "Dorset Council: not placing since
 * 3 October 2026", with how the row was matched and the list's age.
 */
export function neighbourStatusList(statuses: readonly NeighbourStatus[] | undefined, now: Date): SafeHtml {
  if (!statuses?.length) return html``;
  return html`<ul class="govuk-list govuk-!-font-size-16 govuk-!-margin-bottom-0 app-neighbours">${statuses.map(
    (status) =>
      html`<li>${ragTag(status.entry.rag)} <strong>${status.authority}: ${NEIGHBOUR_STATUS_WORDS[status.entry.rag]} since ${longDate(status.entry.since)}</strong><br><span class="govuk-body-s">${status.entry.match ? MATCH_WORDS[status.entry.match.by] : ''}; ${listAge(status.listDate, now)}</span></li>`,
  )}</ul>`;
}
