/**
 * The council-data pages: the contract register (upload, preview, apply), one contract (view and
 * edit), and a provider's contacts (view, add or replace; reached from a case that has none). Every
 * change is audited on the contract's or the provider's own chain. Forms carry CSRF tokens and
 * answer with the page again and its problems, or a 303.
 */
import { z } from 'zod';
import { html, type SafeHtml } from '../lib/html';
import { CONTACT_ROLE_LABELS, CONTACT_ROLES, SERVICE_TYPES, CONTRACT_STATUSES, contractLocations, type AuditEvent, type Contract, type ProviderContact } from '../lib/model';
import { NotFound } from '../lib/errors';
import { htmlResponse, type HttpDeps, type HttpRequest, type HttpResponse } from '../http-api/app';
import { csrfField, errorSummary, fieldError, hasError, successBanner, type Problem } from '../web/components';
import { BadMultipart, bodyBytes, checkPageForm, FormFields, pageFormToken, parseMultipart } from '../web/forms';
import { SERVICE_TYPE_LABELS, dateTime, longDate, officerName, pathSegment, plural } from '../web/format';
import { layout } from '../web/layout';
import { formRefused, cleanFileName } from '../web/ratings-page';
import { applyRegister, contractAuditId, previewRegister, providerAuditId, type RegisterPlan } from './contracts-import';
import { loadUpload, saveUpload, uploadMetaSchema, type UploadMeta } from './uploads';
import { isEmail } from './table-file';
import { releaseHeldLetters } from './held-letters';
import { isNeighbourPagePath, neighbourPage } from './neighbour-pages';

const FORM = { upload: 'contracts-import', apply: 'contracts-apply', edit: 'contract-edit', contact: 'provider-contact' } as const;
const ID = '([A-Za-z0-9_./-]{1,120})';
const CONTRACT = new RegExp(`^/contracts/${ID}$`);
const CONTACTS = /^\/providers\/([A-Za-z0-9_-]{1,120})\/contacts$/;

export function isCouncilPagePath(path: string): boolean {
  return /^\/contracts(\/|$)/.test(path) || CONTACTS.test(path) || isNeighbourPagePath(path);
}

function row(key: string, value: SafeHtml | string): SafeHtml {
  return html`<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">${key}</dt><dd class="govuk-summary-list__value">${value}</dd></div>`;
}

function money(value: number | undefined): string {
  return value === undefined ? '' : `£${value.toLocaleString('en-GB', { maximumFractionDigits: 2 })}`;
}

function statusTag(contract: Pick<Contract, 'status'>): SafeHtml {
  const colour = contract.status === 'active' ? 'green' : contract.status === 'ended' ? 'grey' : 'red';
  return html`<strong class="govuk-tag govuk-tag--${colour}">${contract.status === 'active' ? 'Active' : contract.status === 'ended' ? 'Ended' : 'Terminated'}</strong>`;
}

// ---- the register ------------------------------------------------------------------------------

/** Register files uploaded or dropped in the bucket and not applied yet, newest first. */
async function pendingUploads(deps: HttpDeps): Promise<UploadMeta[]> {
  const uploads = (await deps.store.listRaw('COUNCILFILES')).flatMap((item) => {
    const parsed = uploadMetaSchema.safeParse(item);
    return parsed.success && parsed.data.kind === 'contracts' ? [parsed.data] : [];
  });
  const applied = await Promise.all(uploads.map((upload) => deps.store.getRaw({ pk: `COUNCILIMPORT#${upload.uploadId}`, sk: 'CONTRACTS' })));
  return uploads.filter((_, index) => !applied[index]).sort((a, b) => b.at.localeCompare(a.at));
}

async function registerPage(deps: HttpDeps, request: HttpRequest, user: string, problems: Problem[] = []): Promise<string> {
  const contracts = (await deps.store.listContracts()).sort((a, b) => a.contractId.localeCompare(b.contractId));
  const pending = await pendingUploads(deps);
  const providers = new Map((await deps.store.listProviders()).map((provider) => [provider.providerId, provider.name]));
  const body = html`${errorSummary(problems)}
<h1 class="govuk-heading-l">Contracts</h1>
<p class="govuk-body">The council's contract register: which locations it contracts with, who holds each relationship (the lead officer of any case), and whom to write to. Upload the register as your contract management system exports it, CSV or Excel (.xlsx). You see what it would change before anything is changed; loading the same file again changes nothing.</p>
<form method="post" action="/contracts/import" enctype="multipart/form-data" novalidate>
${csrfField(pageFormToken(deps.signingKey, request, user, FORM.upload))}
<div class="govuk-form-group${hasError(problems, 'registerFile') ? ' govuk-form-group--error' : ''}"><label class="govuk-label govuk-label--s" for="registerFile">Contract register</label><div id="registerFile-hint" class="govuk-hint">CSV or .xlsx, the first sheet; columns are found by name (see the README for the list)</div>${fieldError(problems, 'registerFile')}<input class="govuk-file-upload" id="registerFile" name="registerFile" type="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" aria-describedby="registerFile-hint"></div>
<button type="submit" class="govuk-button" data-module="govuk-button">Check the file</button>
</form>
${pending.length
  ? html`<h2 class="govuk-heading-m">Waiting to be applied</h2><ul class="govuk-list">${pending.map((upload) => html`<li><a class="govuk-link" href="/contracts/import/${upload.uploadId}">${upload.fileName}</a> <span class="govuk-body-s">(${upload.by}, ${dateTime(upload.at)})</span></li>`)}</ul>`
  : ''}
<h2 class="govuk-heading-m">${plural(contracts.length, 'contract')} on record</h2>
${contracts.length
  ? html`<table class="govuk-table"><caption class="govuk-table__caption govuk-visually-hidden">Every contract on record</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Contract</th><th scope="col" class="govuk-table__header">Provider</th><th scope="col" class="govuk-table__header">Locations</th><th scope="col" class="govuk-table__header">Type and area</th><th scope="col" class="govuk-table__header">Relationship holder</th><th scope="col" class="govuk-table__header">Status</th></tr></thead>
<tbody class="govuk-table__body">${contracts.map(
      (contract) =>
        html`<tr class="govuk-table__row"><td class="govuk-table__cell"><a class="govuk-link" href="/contracts/${pathSegment(contract.contractId)}">${contract.contractId}</a>${contract.title ? html`<br><span class="govuk-body-s">${contract.title}</span>` : ''}</td><td class="govuk-table__cell"><a class="govuk-link" href="/providers/${pathSegment(contract.providerId)}">${providers.get(contract.providerId) ?? contract.supplierName ?? contract.providerId}</a></td><td class="govuk-table__cell">${contractLocations(contract).join(', ')}</td><td class="govuk-table__cell">${contract.serviceType}, ${contract.area}${contract.outOfCounty ? html`<br><strong class="govuk-tag govuk-tag--purple">Out of county</strong>` : ''}</td><td class="govuk-table__cell">${officerName(deps.config, contract.relationshipHolder)}</td><td class="govuk-table__cell">${statusTag(contract)}</td></tr>`,
    )}</tbody></table>`
  : html`<p class="govuk-body">No contract is on record yet.</p>`}`;
  return layout('Contracts', body, { active: '/contracts', fullWidth: true });
}

function planTables(plan: RegisterPlan): SafeHtml {
  const changes = plan.contracts.filter((change) => change.kind !== 'unchanged');
  return html`<dl class="govuk-summary-list">
${row('File', `${plan.file} (${plan.format.toUpperCase()}, header on line ${plan.headerLine}, ${plural(plan.rowsRead, 'row')} below it)`)}
${row('Contracts', `${plan.summary.added} added, ${plan.summary.changed} changed, ${plan.summary.ended} ended, ${plan.summary.unchanged} unchanged`)}
${row('Contacts', `${plan.summary.contactsAdded} added, ${plan.summary.contactsChanged} changed`)}
${row('Rows rejected', String(plan.summary.rejected))}
${plan.unusedColumns.length ? row('Columns not used', plan.unusedColumns.join(', ')) : ''}
${plan.notInFile.length ? row('Live contracts not in this file (left as they are)', plan.notInFile.join(', ')) : ''}
</dl>
${changes.length
  ? html`<table class="govuk-table"><caption class="govuk-table__caption govuk-table__caption--m">Changes</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Contract</th><th scope="col" class="govuk-table__header">Change</th><th scope="col" class="govuk-table__header">Locations</th><th scope="col" class="govuk-table__header">Fields</th><th scope="col" class="govuk-table__header">Lines</th></tr></thead>
<tbody class="govuk-table__body">${changes.map((change) => html`<tr class="govuk-table__row"><td class="govuk-table__cell">${change.contractId}</td><td class="govuk-table__cell">${change.kind}</td><td class="govuk-table__cell">${change.locationIds.join(', ')}</td><td class="govuk-table__cell">${change.fields.join(', ')}</td><td class="govuk-table__cell">${change.lines.join(', ')}</td></tr>`)}</tbody></table>`
  : html`<p class="govuk-body">No contract would change.</p>`}
${plan.rejections.length
  ? html`<table class="govuk-table"><caption class="govuk-table__caption govuk-table__caption--m">Rejected rows</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Line</th><th scope="col" class="govuk-table__header">Column</th><th scope="col" class="govuk-table__header">Why</th><th scope="col" class="govuk-table__header">Value</th></tr></thead>
<tbody class="govuk-table__body">${plan.rejections.map((rejection) => html`<tr class="govuk-table__row"><td class="govuk-table__cell">${rejection.line}</td><td class="govuk-table__cell">${rejection.field}</td><td class="govuk-table__cell">${rejection.reason}</td><td class="govuk-table__cell app-break">${rejection.value}</td></tr>`)}</tbody></table>`
  : html`<p class="govuk-body">No row was rejected.</p>`}`;
}

async function postUpload(deps: HttpDeps, request: HttpRequest, user: string): Promise<HttpResponse> {
  const contentType = request.headers['content-type'] ?? '';
  let form;
  try {
    form = parseMultipart(contentType, bodyBytes(request));
  } catch (error) {
    if (!(error instanceof BadMultipart)) throw error;
    return htmlResponse(400, await registerPage(deps, request, user, [{ field: 'registerFile', message: 'The upload arrived incomplete: choose the file and upload it again' }]));
  }
  if (checkPageForm(deps.signingKey, request, user, FORM.upload, form.fields.csrfToken)) return formRefused();
  const file = form.files.registerFile;
  if (!file || file.body.length === 0) return htmlResponse(400, await registerPage(deps, request, user, [{ field: 'registerFile', message: 'Choose the contract register to upload' }]));
  const fileName = cleanFileName(file.fileName);
  let plan: RegisterPlan;
  try {
    plan = await previewRegister(deps, file.body, fileName);
  } catch (error) {
    if ((error as Error).name === 'MissingColumns' || (error as Error).name === 'WorkbookError' || (error as Error).name === 'FileTooLarge') {
      return htmlResponse(400, await registerPage(deps, request, user, [{ field: 'registerFile', message: (error as Error).message }]));
    }
    throw error;
  }
  const upload = await saveUpload(deps.store, { kind: 'contracts', fileName, body: file.body, by: user, at: deps.clock.now().toISOString() });
  return htmlResponse(200, previewPage(deps, request, user, upload.uploadId, plan));
}

/** A stored upload (from the page or the bucket's drop zone), checked against the records now. */
async function storedPreview(deps: HttpDeps, request: HttpRequest, user: string, uploadId: string): Promise<HttpResponse> {
  const { meta, body } = await loadUpload(deps.store, uploadId, 'contracts');
  return htmlResponse(200, previewPage(deps, request, user, uploadId, await previewRegister(deps, body, meta.fileName)));
}

function previewPage(deps: HttpDeps, request: HttpRequest, user: string, uploadId: string, plan: RegisterPlan): string {
  const body = html`<a class="govuk-back-link" href="/contracts">Contracts</a>
<span class="govuk-caption-l">Check before applying</span>
<h1 class="govuk-heading-l">What this register would change</h1>
<div class="govuk-inset-text">Nothing has been changed yet.</div>
${planTables(plan)}
<form method="post" action="/contracts/import/apply" novalidate>
${csrfField(pageFormToken(deps.signingKey, request, user, FORM.apply))}
<input type="hidden" name="uploadId" value="${uploadId}">
<button type="submit" class="govuk-button" data-module="govuk-button">Apply these changes</button>
<a class="govuk-link govuk-!-margin-left-3" href="/contracts">Cancel</a>
</form>`;
  return layout('Check the register', body, { active: '/contracts', fullWidth: true });
}

async function postApply(deps: HttpDeps, request: HttpRequest, user: string): Promise<HttpResponse> {
  const fields = FormFields.of(request);
  if (checkPageForm(deps.signingKey, request, user, FORM.apply, fields.get('csrfToken'))) return formRefused();
  const { meta, body: file } = await loadUpload(deps.store, fields.get('uploadId'), 'contracts');
  const plan = await applyRegister(deps, file, meta.fileName, user);
  const body = html`${successBanner(`Register applied: ${plan.summary.added} added, ${plan.summary.changed} changed, ${plan.summary.ended} ended`)}
<h1 class="govuk-heading-l">Register applied</h1>
${planTables(plan)}
<p class="govuk-body"><a class="govuk-link" href="/contracts">Back to the contracts</a></p>`;
  return htmlResponse(200, layout('Register applied', body, { active: '/contracts', fullWidth: true }));
}

// ---- one contract ------------------------------------------------------------------------------

function timeline(deps: HttpDeps, events: AuditEvent[]): SafeHtml {
  if (events.length === 0) return html`<p class="govuk-body">No change has been recorded.</p>`;
  return html`<ol class="app-timeline">${events.map((event) => {
    const details = Object.entries(event.detail).filter(([key, value]) => key !== 'importId' && value !== undefined && !(Array.isArray(value) && value.length === 0));
    return html`<li class="app-timeline__item"><h3 class="govuk-heading-s app-timeline__title">${event.action}</h3><p class="govuk-body-s app-timeline__byline">${dateTime(event.at)} · by ${officerName(deps.config, event.actor)}</p>${details.length ? html`<dl class="app-timeline__details">${details.map(([key, value]) => html`<div><dt>${key}</dt><dd>${Array.isArray(value) ? value.join(', ') : typeof value === 'object' ? JSON.stringify(value) : String(value)}</dd></div>`)}</dl>` : ''}</li>`;
  })}</ol>`;
}

function contactRows(contacts: ProviderContact[], names: Map<string, string>): SafeHtml {
  if (contacts.length === 0) return html`<p class="govuk-body">No contact is on record for this provider.</p>`;
  return html`<table class="govuk-table"><caption class="govuk-table__caption govuk-visually-hidden">The provider's contacts</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Role</th><th scope="col" class="govuk-table__header">For</th><th scope="col" class="govuk-table__header">Name</th><th scope="col" class="govuk-table__header">Email and phone</th><th scope="col" class="govuk-table__header">Source</th></tr></thead>
<tbody class="govuk-table__body">${contacts.map((contact) => html`<tr class="govuk-table__row"><td class="govuk-table__cell">${CONTACT_ROLE_LABELS[contact.role]}</td><td class="govuk-table__cell">${contact.locationId ? (names.get(contact.locationId) ?? contact.locationId) : 'The whole provider'}</td><td class="govuk-table__cell">${contact.name}</td><td class="govuk-table__cell app-break">${contact.email}${contact.phone ? html`<br>${contact.phone}` : ''}</td><td class="govuk-table__cell">${contact.source}<br><span class="govuk-body-s">${longDate(contact.updatedAt)}</span></td></tr>`)}</tbody></table>`;
}

const editSchema = z.object({
  relationshipHolder: z.string().min(1, 'Choose the relationship holder'),
  area: z.string().min(1, 'Enter the area').max(100),
  serviceType: z.enum(SERVICE_TYPES, 'Choose the type of service'),
  placements: z.coerce.number({ message: 'Enter the number of placements' }).int('Enter a whole number of placements').min(0).max(100_000),
  status: z.enum(CONTRACT_STATUSES, 'Choose the status'),
  nhsFundedNursing: z.boolean(),
  marketRisk: z.boolean(),
  outOfCounty: z.boolean(),
  hostName: z.string().max(200),
  hostContactName: z.string().max(200),
  hostEmail: z.string().max(200),
  hostPhone: z.string().max(50),
});

async function contractPage(deps: HttpDeps, request: HttpRequest, user: string, contractId: string, options: { problems?: Problem[]; saved?: boolean; values?: Record<string, string> } = {}): Promise<string> {
  const contract = await deps.store.getContract(contractId);
  if (!contract) throw new NotFound(`There is no contract ${contractId}.`);
  const problems = options.problems ?? [];
  const locations = await Promise.all(contractLocations(contract).map(async (id) => [id, await deps.store.getLocation(id)] as const));
  const names = new Map(locations.map(([id, location]) => [id, location?.name ?? id]));
  const [provider, contacts, history, providerHistory] = await Promise.all([
    deps.store.getProvider(contract.providerId),
    deps.store.listContacts(contract.providerId),
    deps.store.listAudit(contractAuditId(contractId)),
    deps.store.listAudit(providerAuditId(contract.providerId)),
  ]);
  const covered = contacts.filter((contact) => !contact.locationId || names.has(contact.locationId));
  const value = (field: string, current: string) => options.values?.[field] ?? current;
  const checked = (field: string, current: boolean) => (options.values ? options.values[field] === 'yes' : current);
  const input = (field: string, label: string, current: string, width = 20) =>
    html`<div class="govuk-form-group${hasError(problems, field) ? ' govuk-form-group--error' : ''}"><label class="govuk-label" for="${field}">${label}</label>${fieldError(problems, field)}<input class="govuk-input govuk-input--width-${width}" id="${field}" name="${field}" type="text" value="${value(field, current)}"></div>`;
  const select = (field: string, label: string, current: string, choices: Array<[string, string]>) =>
    html`<div class="govuk-form-group"><label class="govuk-label" for="${field}">${label}</label><select class="govuk-select" id="${field}" name="${field}">${choices.map(([id, text]) => html`<option value="${id}"${value(field, current) === id ? html` selected` : ''}>${text}</option>`)}</select></div>`;
  const checkbox = (field: string, label: string, current: boolean) =>
    html`<div class="govuk-checkboxes__item"><input class="govuk-checkboxes__input" id="${field}" name="${field}" type="checkbox" value="yes"${checked(field, current) ? html` checked` : ''}><label class="govuk-label govuk-checkboxes__label" for="${field}">${label}</label></div>`;

  const body = html`${errorSummary(problems)}${options.saved ? successBanner('Contract saved') : ''}
<a class="govuk-back-link app-no-print" href="/contracts">Contracts</a>
<span class="govuk-caption-l"><a class="govuk-link" href="/providers/${pathSegment(contract.providerId)}">${provider?.name ?? contract.supplierName ?? contract.providerId}</a></span>
<h1 class="govuk-heading-l">Contract ${contract.contractId}</h1>
<p class="govuk-body">${statusTag(contract)}${contract.outOfCounty ? html` <strong class="govuk-tag govuk-tag--purple">Out of county</strong>` : ''}</p>
<dl class="govuk-summary-list">
${contract.title ? row('Title', contract.title) : ''}
${row('Locations', html`${locations.map(([id, location], index) => html`${index ? html`<br>` : ''}${location?.name ?? 'Not in the CQC data yet'} (${id})`)}`)}
${row('Type of service', `${SERVICE_TYPE_LABELS[contract.serviceType] ?? contract.serviceType} (${contract.serviceType})`)}
${row('Area', contract.area)}
${row('Relationship holder', officerName(deps.config, contract.relationshipHolder))}
${row('Dates', contract.startDate || contract.endDate ? `${contract.startDate ? longDate(contract.startDate) : '?'} to ${contract.endDate ? longDate(contract.endDate) : '?'}` : 'Not given')}
${row('Value', [contract.value !== undefined ? `${money(contract.value)} in total` : '', contract.annualSpend !== undefined ? `${money(contract.annualSpend)} a year` : ''].filter(Boolean).join('; ') || 'Not given')}
${row('Placements', String(contract.placements))}
${row('NHS funding', [contract.nhsFundedNursing ? 'NHS-funded nursing care' : '', contract.continuingHealthcare ? 'continuing healthcare' : ''].filter(Boolean).join(', ') || 'None')}
${row('Market risk', contract.marketRisk ? 'Yes: visited every 12 months' : 'No')}
${row('Contract visits', contract.outOfCounty ? 'None: the council does not visit out-of-county services' : contract.contractVisits)}
${contract.hostAuthority ? row('Host authority', html`${contract.hostAuthority.name}: ${contract.hostAuthority.contact.name}<br><span class="app-break">${contract.hostAuthority.contact.email}</span>${contract.hostAuthority.contact.phone ? html`<br>${contract.hostAuthority.contact.phone}` : ''}`) : ''}
${row('Source', `${contract.source ?? 'not recorded'}${contract.updatedAt ? `, ${longDate(contract.updatedAt)}` : ''}`)}
</dl>
<h2 class="govuk-heading-m">Contacts</h2>
${contactRows(covered, names)}
<p class="govuk-body"><a class="govuk-link" href="/providers/${pathSegment(contract.providerId)}/contacts">Add or change a contact</a></p>
<h2 class="govuk-heading-m">Change this contract</h2>
<form method="post" action="/contracts/${pathSegment(contract.contractId)}" novalidate>
${csrfField(pageFormToken(deps.signingKey, request, user, FORM.edit))}
${select('relationshipHolder', 'Relationship holder (lead officer for any case)', contract.relationshipHolder, deps.config.officers.map((officer) => [officer.id, officer.name]))}
${input('area', 'Area (the memo groups services by it)', contract.area)}
${select('serviceType', 'Type of service', contract.serviceType, SERVICE_TYPES.map((type) => [type, `${type}: ${SERVICE_TYPE_LABELS[type]}`]))}
${input('placements', 'Placements', String(contract.placements), 5)}
${select('status', 'Status', contract.status, [['active', 'Active'], ['ended', 'Ended'], ['terminated', 'Terminated']])}
<div class="govuk-form-group"><fieldset class="govuk-fieldset"><legend class="govuk-fieldset__legend govuk-fieldset__legend--s">About the contract</legend><div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">
${checkbox('nhsFundedNursing', 'NHS-funded nursing care', contract.nhsFundedNursing)}
${checkbox('marketRisk', 'The provider is a market risk', contract.marketRisk)}
${checkbox('outOfCounty', 'Out of county: concerns are shared with the host authority', contract.outOfCounty)}
</div></fieldset></div>
${input('hostName', 'Host authority (out of county)', contract.hostAuthority?.name ?? '')}
${input('hostContactName', 'Host authority contact', contract.hostAuthority?.contact.name ?? '')}
${input('hostEmail', 'Host authority contact email', contract.hostAuthority?.contact.email ?? '')}
${input('hostPhone', 'Host authority contact phone', contract.hostAuthority?.contact.phone ?? '', 10)}
<button type="submit" class="govuk-button" data-module="govuk-button">Save the contract</button>
</form>
<h2 class="govuk-heading-m">History</h2>
${timeline(deps, [...history, ...providerHistory].sort((a, b) => a.at.localeCompare(b.at)))}`;
  return layout(`Contract ${contract.contractId}`, body, { active: '/contracts' });
}

async function postContract(deps: HttpDeps, request: HttpRequest, user: string, contractId: string): Promise<HttpResponse> {
  const fields = FormFields.of(request);
  if (checkPageForm(deps.signingKey, request, user, FORM.edit, fields.get('csrfToken'))) return formRefused();
  const raw = Object.fromEntries(['relationshipHolder', 'area', 'serviceType', 'placements', 'status', 'hostName', 'hostContactName', 'hostEmail', 'hostPhone'].map((name) => [name, fields.get(name)]));
  const flags = { nhsFundedNursing: fields.get('nhsFundedNursing') === 'yes', marketRisk: fields.get('marketRisk') === 'yes', outOfCounty: fields.get('outOfCounty') === 'yes' };
  const parsed = editSchema.safeParse({ ...raw, ...flags });
  const problems: Problem[] = parsed.success ? [] : parsed.error.issues.map((issue) => ({ field: String(issue.path[0]), message: issue.message }));
  if (parsed.success && !deps.config.officers.some((officer) => officer.id === parsed.data.relationshipHolder)) problems.push({ field: 'relationshipHolder', message: 'Choose one of the officers' });
  if (flags.outOfCounty && (!raw.hostName || !isEmail(raw.hostEmail ?? ''))) {
    problems.push({ field: 'hostEmail', message: "An out-of-county contract needs the host authority's name and contact email" });
  }
  if (!parsed.success || problems.length) {
    const values = { ...raw, ...Object.fromEntries(Object.entries(flags).map(([key, on]) => [key, on ? 'yes' : ''])) };
    return htmlResponse(400, await contractPage(deps, request, user, contractId, { problems, values }));
  }
  const input = parsed.data;
  const before = await deps.store.getContract(contractId);
  if (!before) throw new NotFound(`There is no contract ${contractId}.`);
  const next: Contract = {
    ...before,
    relationshipHolder: input.relationshipHolder,
    area: input.area,
    serviceType: input.serviceType,
    placements: input.placements,
    status: input.status,
    nhsFundedNursing: input.nhsFundedNursing,
    marketRisk: input.marketRisk,
    outOfCounty: input.outOfCounty,
    hostAuthority: input.hostName && isEmail(input.hostEmail) ? { name: input.hostName, contact: { name: input.hostContactName || input.hostName, email: input.hostEmail, phone: input.hostPhone } } : undefined,
    source: `edited by ${user}`,
    updatedAt: deps.clock.now().toISOString(),
  };
  const changed = (['relationshipHolder', 'area', 'serviceType', 'placements', 'status', 'nhsFundedNursing', 'marketRisk', 'outOfCounty', 'hostAuthority'] as const).filter(
    (field) => JSON.stringify(before[field] ?? null) !== JSON.stringify(next[field] ?? null),
  );
  if (changed.length) {
    await deps.store.putContract(next);
    await deps.store.appendAudit({ caseId: contractAuditId(contractId), at: next.updatedAt!, actor: user, action: 'contract edited', detail: { fields: changed }, source: request.sourceIp });
  }
  return { statusCode: 303, headers: { location: `/contracts/${encodeURIComponent(contractId)}?saved=1`, 'cache-control': 'no-store' }, body: '' };
}

// ---- a provider's contacts ------------------------------------------------------------------------

const contactFormSchema = z.object({
  role: z.enum(CONTACT_ROLES, 'Choose the role'),
  locationId: z.string().max(40),
  name: z.string().min(1, 'Enter the name').max(200),
  email: z.string().refine(isEmail, 'Enter an email address, like name@example.org'),
  phone: z.string().max(40),
});

async function contactsPage(deps: HttpDeps, request: HttpRequest, user: string, providerId: string, options: { problems?: Problem[]; values?: Record<string, string> } = {}): Promise<string> {
  const [provider, locations, contacts] = await Promise.all([deps.store.getProvider(providerId), deps.store.listProviderLocations(providerId), deps.store.listContacts(providerId)]);
  if (!provider && locations.length === 0 && contacts.length === 0) throw new NotFound(`There is no provider ${providerId} on record.`);
  const problems = options.problems ?? [];
  const caseId = options.values?.caseId ?? request.query.case ?? '';
  const location = options.values?.locationId ?? request.query.location ?? '';
  const names = new Map(locations.map((item) => [item.locationId, item.name]));
  const value = (field: string) => options.values?.[field] ?? '';
  const input = (field: string, label: string, hint: string, type = 'text') =>
    html`<div class="govuk-form-group${hasError(problems, field) ? ' govuk-form-group--error' : ''}"><label class="govuk-label" for="${field}">${label}</label>${hint ? html`<div class="govuk-hint" id="${field}-hint">${hint}</div>` : ''}${fieldError(problems, field)}<input class="govuk-input" id="${field}" name="${field}" type="${type}" value="${value(field)}" spellcheck="false"></div>`;
  const body = html`${errorSummary(problems)}
<a class="govuk-back-link app-no-print" href="${caseId ? `/cases/${pathSegment(caseId)}` : `/providers/${pathSegment(providerId)}`}">Back</a>
<span class="govuk-caption-l">${provider?.name ?? providerId}</span>
<h1 class="govuk-heading-l">Contacts</h1>
<p class="govuk-body">Letters about a case go to these people by name. The residents' and families' contact is the council's own (never a mailbox at the provider), so a letter to families never depends on the provider passing it on.</p>
${contactRows(contacts, names)}
<h2 class="govuk-heading-m">Add or replace a contact</h2>
<p class="govuk-body">One person per role, for the whole provider or for one location: a new one replaces the one before.</p>
<form method="post" action="/providers/${pathSegment(providerId)}/contacts" novalidate>
${csrfField(pageFormToken(deps.signingKey, request, user, FORM.contact))}
<input type="hidden" name="caseId" value="${caseId}">
<div class="govuk-form-group${hasError(problems, 'role') ? ' govuk-form-group--error' : ''}"><label class="govuk-label" for="role">Role</label>${fieldError(problems, 'role')}<select class="govuk-select" id="role" name="role">${CONTACT_ROLES.map((role) => html`<option value="${role}"${value('role') === role ? html` selected` : ''}>${CONTACT_ROLE_LABELS[role]}</option>`)}</select></div>
<div class="govuk-form-group"><label class="govuk-label" for="locationId">For</label><select class="govuk-select" id="locationId" name="locationId"><option value="">The whole provider</option>${locations.map((item) => html`<option value="${item.locationId}"${location === item.locationId ? html` selected` : ''}>${item.name}</option>`)}</select></div>
${input('name', 'Name', '')}
${input('email', 'Email address', '', 'email')}
${input('phone', 'Phone (optional)', '', 'tel')}
<button type="submit" class="govuk-button" data-module="govuk-button">Save the contact</button>
</form>`;
  return layout('Contacts', body, { active: '/contracts' });
}

async function postContact(deps: HttpDeps, request: HttpRequest, user: string, providerId: string): Promise<HttpResponse> {
  const fields = FormFields.of(request);
  if (checkPageForm(deps.signingKey, request, user, FORM.contact, fields.get('csrfToken'))) return formRefused();
  const values = Object.fromEntries(['role', 'locationId', 'name', 'email', 'phone', 'caseId'].map((name) => [name, fields.get(name)]));
  const parsed = contactFormSchema.safeParse(values);
  const problems: Problem[] = parsed.success ? [] : parsed.error.issues.map((issue) => ({ field: String(issue.path[0]), message: issue.message }));
  const locations = await deps.store.listProviderLocations(providerId);
  if (parsed.success && parsed.data.locationId && !locations.some((item) => item.locationId === parsed.data.locationId)) problems.push({ field: 'locationId', message: 'Choose one of the provider’s locations' });
  if (parsed.success && parsed.data.role === 'familiesContact') {
    const others = await deps.store.listContacts(providerId);
    const domain = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase();
    if (others.some((other) => other.role !== 'familiesContact' && domain(other.email) === domain(parsed.data.email))) {
      problems.push({ field: 'email', message: "This is a mailbox at the provider: the residents' and families' contact must be the council's own" });
    }
  }
  if (!parsed.success || problems.length) return htmlResponse(400, await contactsPage(deps, request, user, providerId, { problems, values }));
  const input = parsed.data;
  const caseId = /^[A-Za-z0-9_-]{1,120}$/.test(values.caseId ?? '') ? values.caseId! : undefined;
  const contact: ProviderContact = {
    providerId,
    ...(input.locationId ? { locationId: input.locationId } : {}),
    role: input.role,
    name: input.name,
    email: input.email,
    phone: input.phone,
    source: caseId ? `added from case ${caseId} by ${user}` : `edited by ${user}`,
    updatedAt: deps.clock.now().toISOString(),
  };
  await deps.store.putContact(contact);
  await deps.store.appendAudit({
    caseId: providerAuditId(providerId),
    at: contact.updatedAt,
    actor: user,
    action: 'contact saved',
    detail: { contacts: [`${contact.role}${contact.locationId ? ` (${contact.locationId})` : ''}: ${contact.name} <${contact.email}>`], ...(caseId ? { case: caseId } : {}) },
    source: request.sourceIp,
  });
  if (caseId) {
    await releaseHeldLetters(deps, caseId, user);
    return { statusCode: 303, headers: { location: `/cases/${encodeURIComponent(caseId)}`, 'cache-control': 'no-store' }, body: '' };
  }
  return { statusCode: 303, headers: { location: `/providers/${encodeURIComponent(providerId)}/contacts`, 'cache-control': 'no-store' }, body: '' };
}

/** The council-data pages, or undefined when the path is not one of them. */
export async function councilPage(deps: HttpDeps, request: HttpRequest, user: string): Promise<HttpResponse | undefined> {
  const { path } = request;
  if (!isCouncilPagePath(path)) return undefined;
  if (isNeighbourPagePath(path)) return neighbourPage(deps, request, user);
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  const contacts = CONTACTS.exec(path);
  if (method === 'POST') {
    if (path === '/contracts/import') return postUpload(deps, request, user);
    if (path === '/contracts/import/apply') return postApply(deps, request, user);
    if (contacts) return postContact(deps, request, user, contacts[1]!);
    const contract = CONTRACT.exec(path);
    if (contract) return postContract(deps, request, user, decodeURIComponent(contract[1]!));
    return undefined;
  }
  if (method !== 'GET') return undefined;
  if (path === '/contracts') return htmlResponse(200, await registerPage(deps, request, user));
  const stored = /^\/contracts\/import\/([0-9a-f]{20})$/.exec(path);
  if (stored) return storedPreview(deps, request, user, stored[1]!);
  if (contacts) return htmlResponse(200, await contactsPage(deps, request, user, contacts[1]!));
  const contract = CONTRACT.exec(path);
  if (contract) return htmlResponse(200, await contractPage(deps, request, user, decodeURIComponent(contract[1]!), { saved: request.query.saved === '1' }));
  return undefined;
}
