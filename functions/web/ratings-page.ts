/**
 * Ratings: upload a CQC ratings file (CSV or ODS, the Locations or Providers sheet) and watch it
 * go in. Each upload is a run record (table key INGEST#<runId>) that ingestion's progress
 * reports update, so a large file shows its counts while it runs; the finished record keeps what
 * the administrator needs: rows read and kept, locations changed, cases opened, and every
 * rejected row with its line and reason.
 *
 * The run continues after the upload's response on the local runtime. /assets/ratings.js polls
 * the run (`/ratings/<runId>/progress`, JSON) and updates the counts in place, then shows the
 * result without a reload; without JavaScript the page offers a link to check again.
 *
 * A preview (the council's first file, or any file by choice) stores nothing and sends nothing:
 * the page lists what applying would store, the cases it would open (at which stage) or resume and
 * the corporate concerns it would raise, each with a tick box; "Apply" ingests the same file
 * (kept in a temporary folder meanwhile) with only the ticked parts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { html, type SafeHtml } from '../lib/html';
import { keys } from '../lib/table';
import { DomainError, NotFound } from '../lib/errors';
import { escalationPort } from '../ladder/cases';
import { htmlResponse, type HttpDeps, type HttpRequest, type HttpResponse } from '../http-api/app';
import { hasAppliedIngest, type IngestPlan, type IngestProgress } from '../ingest/ingest';
import { csrfField, errorSummary, fieldError, hasError, successBanner, type Problem } from './components';
import { BadMultipart, FormFields, bodyBytes, checkPageForm, pageFormToken, parseMultipart } from './forms';
import { dateTime, pathSegment, plural } from './format';
import { layout } from './layout';

export const RATINGS_FORM = 'ratings-upload';
export const APPLY_FORM = 'ratings-apply';
/** Entries of each preview list kept on the run record (the record must stay well under 400 KB). */
const PREVIEW_ENTRIES = 200;
/** How long the upload's response waits for a small file to finish before showing progress. */
const WAIT_FOR_SMALL_FILES_MS = 1_500;
const DEFAULT_UPLOAD_LIMIT = 50_000_000;

const countsSchema = z.object({
  rowsRead: z.number().default(0),
  rowsKept: z.number().default(0),
  rowsRejected: z.number().default(0),
  rowsOutOfScope: z.number().default(0),
  locationsChanged: z.number().default(0),
  providersChanged: z.number().default(0),
});

const previewSchema = z.object({
  itemsToWrite: z.number(),
  casesToOpen: z.array(z.object({ locationId: z.string(), name: z.string(), providerId: z.string(), stage: z.enum(['informal', 'formal']), trigger: z.string() })),
  casesToOpenCount: z.number(),
  casesAlreadyOpen: z.number(),
  casesToResume: z.array(z.object({ locationId: z.string(), name: z.string(), caseId: z.string().optional(), belowGood: z.boolean() })),
  casesToResumeCount: z.number(),
  concernsToRaise: z.array(z.object({ providerId: z.string(), name: z.string(), locationIds: z.array(z.string()) })),
  concernsToRaiseCount: z.number(),
});

const summarySchema = countsSchema.extend({
  sheet: z.string().default(''),
  outcome: z.enum(['done', 'failed']).default('done'),
  failureReason: z.string().optional(),
  format: z.string().optional(),
  encoding: z.string().optional(),
  notes: z.array(z.string()).default([]),
  dryRun: z.boolean().default(false),
  preview: previewSchema.optional(),
  leftOut: z.object({ cases: z.number(), resumes: z.number(), concerns: z.number() }).optional(),
  rejections: z.array(z.object({ line: z.number(), field: z.string(), reason: z.string(), value: z.string().default('') })).default([]),
  rejectionsTruncated: z.boolean().default(false),
  locationsSeen: z.number().default(0),
  casesOpened: z.number().default(0),
  casesResumed: z.number().default(0),
  inspectionsDelivered: z.number().default(0),
  corporateConcerns: z.number().default(0),
  escalationFailures: z.array(z.object({ locationId: z.string().optional(), providerId: z.string().optional(), call: z.string(), error: z.string() })).default([]),
  durationMs: z.number().default(0),
});
export type RunSummary = z.infer<typeof summarySchema>;

export const runSchema = z.object({
  runId: z.string(),
  fileName: z.string(),
  bytes: z.number(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  by: z.string(),
  /** `accepted`: handed on to be ingested elsewhere (on AWS, the ratings bucket and its import function). */
  /** `interrupted`: the process running it died midway; recovery marked it (ladder/ingest-recovery.ts). */
  status: z.enum(['running', 'done', 'failed', 'accepted', 'interrupted', 'preview']),
  /** When the run last reported progress: a run unheard of for longer than any run lives is dead. */
  heartbeatAt: z.string().optional(),
  /** What recovery did for an interrupted run: the ladder calls its locations were owed. */
  recovery: z.object({ escalated: z.number(), casesOpened: z.number(), failures: z.number(), at: z.string() }).optional(),
  /** The preview this run applied, if it applied one. */
  previewOf: z.string().optional(),
  message: z.string().optional(),
  progress: countsSchema.optional(),
  summary: summarySchema.optional(),
  error: z.string().optional(),
});
export type IngestRun = z.infer<typeof runSchema>;

async function saveRun(deps: HttpDeps, run: IngestRun): Promise<void> {
  await deps.store.putRaw(keys.ingestRun(run.runId), { gsi1pk: 'INGESTS', gsi1sk: `${run.startedAt}#${run.runId}` }, run);
}

export async function getRun(deps: HttpDeps, runId: string): Promise<IngestRun> {
  const item = await deps.store.getRaw(keys.ingestRun(runId));
  const parsed = item ? runSchema.safeParse(item) : undefined;
  if (!parsed?.success) throw new NotFound(`There is no upload ${runId}.`);
  return parsed.data;
}

async function listRuns(deps: HttpDeps): Promise<IngestRun[]> {
  const items = await deps.store.listRaw('INGESTS');
  return items
    .flatMap((item) => {
      const parsed = runSchema.safeParse(item);
      return parsed.success ? [parsed.data] : [];
    })
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

/** Errors whose message is written for the person who uploaded the file. */
const EXPLAINED = new Set(['MissingColumn', 'SheetNotFound', 'CsvError', 'DamagedSpreadsheet', 'IngestStopped', 'UnreadableFile']);

function failureText(error: unknown): string {
  if (error instanceof DomainError || (error instanceof Error && EXPLAINED.has(error.name))) return error.message;
  console.error('Ratings upload failed', error);
  return 'The file could not be read to the end. Nothing after the point of failure was applied; the details are in the log.';
}

/** A name safe to record and to show: the last path part, odd characters replaced. */
export function cleanFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[^\w.-]+/g, '_').slice(0, 200);
  return cleaned || 'upload.csv';
}

/** Where a previewed file waits to be applied (a temporary folder: a restart of the machine loses it). */
function previewFile(runId: string): string {
  return join(tmpdir(), 'care-quality-ratings-previews', `${runId.replace(/[^\w-]/g, '_')}.upload`);
}

/** A preview's lists cut to what the run record keeps. */
function trimmed(summary: RunSummary): RunSummary {
  if (!summary.preview) return summary;
  const { preview } = summary;
  return {
    ...summary,
    preview: { ...preview, casesToOpen: preview.casesToOpen.slice(0, PREVIEW_ENTRIES), casesToResume: preview.casesToResume.slice(0, PREVIEW_ENTRIES), concernsToRaise: preview.concernsToRaise.slice(0, PREVIEW_ENTRIES) },
  };
}

export async function startRun(
  deps: HttpDeps,
  user: string,
  upload: { fileName: string; body: Buffer; plan?: IngestPlan; previewOf?: string },
): Promise<{ run: IngestRun; finished: Promise<IngestRun> }> {
  const ingest = deps.ingestUpload;
  if (!ingest) throw new NotFound('Ratings upload is not available on this deployment; the ratings intake bucket takes files instead.');
  const startedAt = deps.clock.now().toISOString();
  let run: IngestRun = {
    runId: `${startedAt.replace(/[-:.TZ]/g, '').slice(0, 14)}-${randomBytes(4).toString('hex')}`,
    fileName: upload.fileName,
    bytes: upload.body.length,
    startedAt,
    by: user,
    status: 'running',
    ...(upload.previewOf ? { previewOf: upload.previewOf } : {}),
  };
  await saveRun(deps, run);
  // Progress reports are written one after another, never out of order.
  let writes = Promise.resolve();
  const onProgress = (progress: IngestProgress) => {
    const counts = countsSchema.parse(progress);
    run = { ...run, progress: counts, heartbeatAt: deps.clock.now().toISOString() };
    const snapshot = run;
    writes = writes.then(() => saveRun(deps, snapshot)).catch(() => undefined);
  };
  const finished = (async () => {
    try {
      const result = await ingest(deps, escalationPort(deps), { fileName: upload.fileName, body: upload.body, runId: run.runId, onProgress, plan: upload.plan });
      if (typeof result === 'object' && result !== null && 'rowsRead' in result) {
        const summary = trimmed(summarySchema.parse(result));
        const finishedAt = deps.clock.now().toISOString();
        if (summary.outcome === 'failed') {
          run = { ...run, status: 'failed', error: summary.failureReason, summary, progress: countsSchema.parse(summary), finishedAt };
        } else if (summary.dryRun) {
          // Kept until applied, so "Apply" reads the very bytes that were previewed.
          await mkdir(join(tmpdir(), 'care-quality-ratings-previews'), { recursive: true });
          await writeFile(previewFile(run.runId), upload.body);
          run = { ...run, status: 'preview', summary, progress: countsSchema.parse(summary), finishedAt };
        } else {
          run = { ...run, status: 'done', summary, progress: countsSchema.parse(summary), finishedAt };
        }
      } else {
        const message = typeof result === 'object' && result !== null && 'message' in result && typeof result.message === 'string' ? result.message : undefined;
        run = { ...run, status: 'accepted', message: message ?? 'The file was accepted and is read in the background.', finishedAt: deps.clock.now().toISOString() };
      }
    } catch (error) {
      run = { ...run, status: 'failed', error: failureText(error), finishedAt: deps.clock.now().toISOString() };
    }
    await writes;
    await saveRun(deps, run);
    return run;
  })();
  return { run, finished };
}

/** GET /ratings/<runId>/progress: the run's status and counts, for the page's script. */
export async function runProgress(deps: HttpDeps, runId: string): Promise<HttpResponse> {
  const run = await getRun(deps, runId);
  const counts = run.summary ?? run.progress;
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
    body: JSON.stringify({ runId: run.runId, status: run.status, counts: counts ? countsSchema.parse(counts) : undefined }),
  };
}

const COUNT_ROWS: Array<[keyof z.infer<typeof countsSchema>, string]> = [
  ['rowsRead', 'Rows read'],
  ['rowsKept', 'Rows kept'],
  ['rowsRejected', 'Rows rejected'],
  ['rowsOutOfScope', 'Rows outside our area'],
  ['locationsChanged', 'Locations changed'],
  ['providersChanged', 'Providers changed'],
];

function counts(run: IngestRun): SafeHtml {
  const progress = run.summary ?? run.progress;
  const row = (label: string, value: number | string | undefined, key?: string) =>
    html`<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">${label}</dt><dd class="govuk-summary-list__value"${key ? html` data-count="${key}"` : ''}>${typeof value === 'number' ? value.toLocaleString('en-GB') : (value ?? '')}</dd></div>`;
  const summary = run.summary;
  const preview = summary?.preview;
  const shown = preview ? COUNT_ROWS.slice(0, 4) : COUNT_ROWS;
  return html`<dl class="govuk-summary-list">
${row('File', `${run.fileName} (${plural(run.bytes, 'byte')})`)}
${summary?.sheet ? row('Read as', [`${summary.sheet} sheet`, summary.format, summary.encoding].filter(Boolean).join(', ')) : ''}
${shown.map(([key, label]) => row(label, progress?.[key] ?? 0, key))}
${preview ? html`${row('Records it would store', preview.itemsToWrite)}${row('Cases it would open', preview.casesToOpenCount)}${row('Cases already open', preview.casesAlreadyOpen)}${row('Cases a new inspection would resume', preview.casesToResumeCount)}${row('Corporate concerns it would raise', preview.concernsToRaiseCount)}` : ''}
${summary && !preview ? html`${row('Cases opened', summary.casesOpened)}${row('Cases resumed by a new inspection', summary.casesResumed)}${row('Corporate concerns raised', summary.corporateConcerns)}${summary.leftOut ? row('Left out by choice', `${plural(summary.leftOut.cases, 'case')} not opened, ${plural(summary.leftOut.resumes, 'case')} not resumed, ${plural(summary.leftOut.concerns, 'concern')} not raised`) : ''}${row('Took', `${(summary.durationMs / 1000).toFixed(1)} seconds`)}` : ''}
</dl>`;
}

function notesList(summary: RunSummary): SafeHtml {
  if (summary.notes.length === 0) return html``;
  return html`<ul class="govuk-list govuk-list--bullet">${summary.notes.map((note) => html`<li>${note}</li>`)}</ul>`;
}

function rejectionsTable(summary: RunSummary): SafeHtml {
  if (summary.rejections.length === 0) return html`<p class="govuk-body">No row was rejected.</p>`;
  return html`<table class="govuk-table app-table--stack" id="rejected-rows">
<caption class="govuk-table__caption govuk-table__caption--m">Rejected rows${summary.rejectionsTruncated ? html`: the first ${summary.rejections.length} of ${summary.rowsRejected.toLocaleString('en-GB')}` : ''}</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Line</th><th scope="col" class="govuk-table__header">Column</th><th scope="col" class="govuk-table__header">Value</th><th scope="col" class="govuk-table__header">Why it was rejected</th></tr></thead>
<tbody class="govuk-table__body">${summary.rejections.map(
    (rejection) =>
      html`<tr class="govuk-table__row"><td class="govuk-table__cell" data-label="Line">${rejection.line}</td><td class="govuk-table__cell" data-label="Column">${rejection.field}</td><td class="govuk-table__cell app-break" data-label="Value">${rejection.value}</td><td class="govuk-table__cell" data-label="Why it was rejected">${rejection.reason}</td></tr>`,
  )}</tbody></table>`;
}

const tick = (name: string, value: string, label: string) =>
  html`<div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes"><div class="govuk-checkboxes__item"><input class="govuk-checkboxes__input" id="${name}-${value}" name="${name}" type="checkbox" value="${value}" checked><label class="govuk-label govuk-checkboxes__label" for="${name}-${value}"><span class="govuk-visually-hidden">${label}</span></label></div></div>`;

/** A preview's lists as tables, each part with a tick box, and the button that applies the ticked parts. */
function previewForm(run: IngestRun, token: string | undefined): SafeHtml {
  const preview = run.summary?.preview;
  if (!preview) return html``;
  const more = (shown: number, count: number) => (count > shown ? html`<p class="govuk-body">And ${(count - shown).toLocaleString('en-GB')} more, not listed: applying opens only the ones listed and ticked.</p>` : '');
  const head = (...names: string[]) => html`<thead class="govuk-table__head"><tr class="govuk-table__row">${names.map((name) => html`<th scope="col" class="govuk-table__header">${name}</th>`)}</tr></thead>`;
  const cases = preview.casesToOpen.length
    ? html`<table class="govuk-table app-table--stack" id="preview-cases"><caption class="govuk-table__caption govuk-table__caption--m">Cases it would open</caption>${head('Open', 'Location', 'Stage', 'Why')}
<tbody class="govuk-table__body">${preview.casesToOpen.map(
        (c) =>
          html`<tr class="govuk-table__row"><td class="govuk-table__cell" data-label="Open">${tick('openCase', c.locationId, `Open a case for ${c.name}`)}</td><td class="govuk-table__cell" data-label="Location">${c.name} <span class="govuk-hint">${c.locationId}</span></td><td class="govuk-table__cell" data-label="Stage">${c.stage === 'formal' ? 'Formal (notice and QIM)' : 'Informal'}</td><td class="govuk-table__cell" data-label="Why">${c.trigger}</td></tr>`,
      )}</tbody></table>${more(preview.casesToOpen.length, preview.casesToOpenCount)}`
    : html`<p class="govuk-body">It would open no case.</p>`;
  const resumes = preview.casesToResume.length
    ? html`<table class="govuk-table app-table--stack" id="preview-resumes"><caption class="govuk-table__caption govuk-table__caption--m">Cases a new inspection would resume</caption>${head('Resume', 'Location', 'Case', 'New rating')}
<tbody class="govuk-table__body">${preview.casesToResume.map(
        (c) =>
          html`<tr class="govuk-table__row"><td class="govuk-table__cell" data-label="Resume">${tick('resumeCase', c.locationId, `Resume the case of ${c.name}`)}</td><td class="govuk-table__cell" data-label="Location">${c.name} <span class="govuk-hint">${c.locationId}</span></td><td class="govuk-table__cell app-break" data-label="Case">${c.caseId ? html`<a class="govuk-link" href="/cases/${pathSegment(c.caseId)}">${c.caseId}</a>` : ''}</td><td class="govuk-table__cell" data-label="New rating">${c.belowGood ? 'Below Good' : 'Good or better'}</td></tr>`,
      )}</tbody></table>`
    : '';
  const concerns = preview.concernsToRaise.length
    ? html`<table class="govuk-table app-table--stack" id="preview-concerns"><caption class="govuk-table__caption govuk-table__caption--m">Corporate concerns it would raise</caption>${head('Raise', 'Provider', 'Locations below Good')}
<tbody class="govuk-table__body">${preview.concernsToRaise.map(
        (c) =>
          html`<tr class="govuk-table__row"><td class="govuk-table__cell" data-label="Raise">${tick('raiseConcern', c.providerId, `Raise a corporate concern about ${c.name}`)}</td><td class="govuk-table__cell" data-label="Provider">${c.name} <span class="govuk-hint">${c.providerId}</span></td><td class="govuk-table__cell" data-label="Locations below Good">${c.locationIds.join(', ')}</td></tr>`,
      )}</tbody></table>`
    : '';
  const parts = html`${cases}${resumes}${concerns}`;
  if (!token) return parts;
  return html`<form method="post" action="/ratings/${pathSegment(run.runId)}/apply" novalidate>${csrfField(token)}
${parts}
${preview.casesToOpen.length || preview.casesToResume.length || preview.concernsToRaise.length ? html`<p class="govuk-body">Untick any case that is already on your own records, or that you do not want the product to take on: its ratings are stored all the same, and no case is opened or email sent for it.</p>` : ''}
<button type="submit" class="govuk-button" data-module="govuk-button">Apply the file${preview.casesToOpen.length ? ' with the ticked parts' : ''}</button></form>`;
}

const HEADINGS: Record<IngestRun['status'], string> = {
  running: 'Reading the ratings file',
  done: 'Ratings file read',
  accepted: 'Ratings file accepted',
  failed: 'The ratings file could not be used',
  preview: 'Preview of the ratings file',
  interrupted: 'Reading the ratings file was interrupted',
};

export async function runPage(deps: HttpDeps, runId: string, form?: { request: HttpRequest; user: string }): Promise<string> {
  const run = await getRun(deps, runId);
  const running = run.status === 'running';
  const token = form && run.status === 'preview' ? pageFormToken(deps.signingKey, form.request, form.user, APPLY_FORM) : undefined;
  const self = `/ratings/${pathSegment(run.runId)}`;
  const body = html`<a class="govuk-back-link" href="/ratings">Ratings</a>
<span class="govuk-caption-l">Ratings upload</span>
<div id="run-status" data-run-status="${run.status}" data-progress-url="${self}/progress">
<h1 class="govuk-heading-l">${HEADINGS[run.status]}</h1>
${running ? html`<p class="govuk-body">Started ${dateTime(run.startedAt)}. The counts below grow as rows are read<span class="app-js-only" hidden> and update by themselves</span>. <a class="govuk-link" href="${self}" id="check-again">Check progress again</a>.</p><p class="govuk-body" role="status" aria-live="polite" id="run-live"></p>` : ''}
${run.status === 'accepted' ? html`<div class="govuk-inset-text">${run.message ?? ''}</div>` : ''}
${run.status === 'done' ? successBanner(`${plural(run.summary?.rowsRead ?? 0, 'row')} read, ${plural(run.summary?.casesOpened ?? 0, 'case')} opened`) : ''}
${run.status === 'preview' ? html`<div class="govuk-inset-text">Nothing was stored and no email was sent. This is what applying the file would do; check it against your own records, untick what you do not want, and apply it.</div>` : ''}
${run.status === 'interrupted' ? html`<div class="govuk-warning-text"><span class="govuk-warning-text__icon" aria-hidden="true">!</span><strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">Warning</span>Interrupted ${dateTime(run.finishedAt ?? run.startedAt)}. ${run.error ?? ''}${run.recovery ? ` On restart, ${plural(run.recovery.casesOpened, 'case')} owed by what it had written ${run.recovery.casesOpened === 1 ? 'was' : 'were'} opened.` : ''}</strong></div>` : ''}
${run.previewOf ? html`<p class="govuk-body">Applied from <a class="govuk-link" href="/ratings/${pathSegment(run.previewOf)}">the preview</a>.</p>` : ''}
${run.status === 'failed' ? html`<div class="govuk-error-summary" data-module="govuk-error-summary"><div role="alert"><h2 class="govuk-error-summary__title">${run.summary ? 'Nothing usable was kept' : 'The upload stopped'}</h2><div class="govuk-error-summary__body"><p class="govuk-body">${run.error ?? ''}</p></div></div></div>` : ''}
${run.status === 'accepted' ? '' : counts(run)}
${run.summary ? notesList(run.summary) : ''}
${run.status === 'preview' ? previewForm(run, token) : ''}
${run.summary ? rejectionsTable(run.summary) : ''}
${run.summary?.escalationFailures.length
  ? html`<div class="govuk-warning-text"><span class="govuk-warning-text__icon" aria-hidden="true">!</span><strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">Warning</span>${plural(run.summary.escalationFailures.length, 'case')} could not be opened or updated; uploading the file again retries them.</strong></div>`
  : ''}
${running || run.status === 'preview' ? '' : html`<p class="govuk-body"><a class="govuk-link" href="/cases">See the cases</a> or <a class="govuk-link" href="/ratings">upload another file</a>.</p>`}
</div>`;
  return layout('Ratings upload', body, { active: '/ratings', scripts: running ? ['/assets/ratings.js'] : [] });
}

/** POST /ratings/<runId>/apply: ingests a previewed file with the ticked parts. */
export async function postApply(deps: HttpDeps, request: HttpRequest, user: string, runId: string): Promise<HttpResponse> {
  const fields = FormFields.of(request);
  if (checkPageForm(deps.signingKey, request, user, APPLY_FORM, fields.get('csrfToken'))) return formRefused();
  const preview = await getRun(deps, runId);
  if (preview.status !== 'preview' || !preview.summary?.preview) throw new DomainError('That upload is not a preview waiting to be applied.');
  let body: Buffer;
  try {
    body = await readFile(previewFile(runId));
  } catch {
    return htmlResponse(
      410,
      layout('Upload the file again', html`<h1 class="govuk-heading-l">Upload the file again</h1><p class="govuk-body">The previewed file is no longer kept here (it was applied already, or the machine restarted), so nothing was applied. <a class="govuk-link" href="/ratings">Upload it again</a>.</p>`, { active: '/ratings' }),
    );
  }
  const listed = preview.summary.preview;
  // Only what was listed can be chosen: a location or provider not listed is not opened or raised.
  const pick = (name: string, listedIds: string[]) => {
    const allowed = new Set(listedIds);
    return new Set(fields.all(name).filter((id) => allowed.has(id)));
  };
  const plan: IngestPlan = {
    openCases: pick('openCase', listed.casesToOpen.map((c) => c.locationId)),
    resumeCases: pick('resumeCase', listed.casesToResume.map((c) => c.locationId)),
    raiseConcerns: pick('raiseConcern', listed.concernsToRaise.map((c) => c.providerId)),
  };
  await rm(previewFile(runId), { force: true });
  const { run, finished } = await startRun(deps, user, { fileName: preview.fileName, body, plan, previewOf: runId });
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, WAIT_FOR_SMALL_FILES_MS).unref())]);
  return { statusCode: 303, headers: { location: `/ratings/${encodeURIComponent(run.runId)}`, 'cache-control': 'no-store' }, body: '' };
}

export async function ratingsPage(deps: HttpDeps, request: HttpRequest, user: string, problems: Problem[] = []): Promise<string> {
  const runs = await listRuns(deps);
  const available = Boolean(deps.ingestUpload);
  const first = !(await hasAppliedIngest(deps.store.doc, deps.store.tableName));
  const radio = (value: 'preview' | 'apply', label: string, hint: string) =>
    html`<div class="govuk-radios__item"><input class="govuk-radios__input" id="mode-${value}" name="mode" type="radio" value="${value}"${(value === 'preview') === first ? ' checked' : ''} aria-describedby="mode-${value}-hint"><label class="govuk-label govuk-radios__label" for="mode-${value}">${label}</label><div id="mode-${value}-hint" class="govuk-hint govuk-radios__hint">${hint}</div></div>`;
  const body = html`${errorSummary(problems)}
<h1 class="govuk-heading-l">Ratings</h1>
<p class="govuk-body">Upload CQC's monthly ratings file, as the ODS spreadsheet CQC publishes or a sheet saved as CSV (any encoding Excel saves in, commas or semicolons). The Locations or Providers sheet is told by its columns. Loading the same file twice changes nothing.</p>
${available
  ? html`<form method="post" action="/ratings" enctype="multipart/form-data" novalidate>
${csrfField(pageFormToken(deps.signingKey, request, user, RATINGS_FORM))}
<div class="govuk-form-group${hasError(problems, 'ratingsFile') ? ' govuk-form-group--error' : ''}"><label class="govuk-label govuk-label--s" for="ratingsFile">Ratings file</label><div id="ratingsFile-hint" class="govuk-hint">CSV or ODS, up to ${Math.round((deps.uploadLimit?.bytes ?? DEFAULT_UPLOAD_LIMIT) / 1_000_000)} MB${deps.uploadLimit?.hint ? html`. ${deps.uploadLimit.hint}` : ''}</div>${fieldError(problems, 'ratingsFile')}<input class="govuk-file-upload${hasError(problems, 'ratingsFile') ? ' govuk-file-upload--error' : ''}" id="ratingsFile" name="ratingsFile" type="file" accept=".csv,.ods,text/csv,application/vnd.oasis.opendocument.spreadsheet" aria-describedby="ratingsFile-hint"></div>
<div class="govuk-form-group"><fieldset class="govuk-fieldset" aria-describedby="mode-hint"><legend class="govuk-fieldset__legend govuk-fieldset__legend--s">What to do with it</legend>
<div id="mode-hint" class="govuk-hint">${first ? 'This is the first ratings file for this council: preview it, so the cases already on your own records are not opened again.' : 'A preview shows what the file would do before anything is stored.'}</div>
<div class="govuk-radios" data-module="govuk-radios">
${radio('preview', 'Preview it first', 'What it would store, which cases it would open (and at which stage) or resume, which corporate concerns it would raise. Nothing is stored and no email is sent.')}
${radio('apply', 'Apply it straight away', 'Store the ratings and open, resume and raise what the policy calls for.')}
</div></fieldset></div>
<button type="submit" class="govuk-button" data-module="govuk-button">Upload and read the file</button>
</form>`
  : html`<div class="govuk-inset-text">Uploading through this page is not available on this deployment: put the file in the ratings intake bucket instead.</div>`}
<h2 class="govuk-heading-m">Recent uploads</h2>
${runs.length
  ? html`<table class="govuk-table app-table--stack"><caption class="govuk-table__caption govuk-visually-hidden">Ratings files uploaded, newest first</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Uploaded</th><th scope="col" class="govuk-table__header">File</th><th scope="col" class="govuk-table__header">Result</th><th scope="col" class="govuk-table__header govuk-table__header--numeric">Rows read</th><th scope="col" class="govuk-table__header govuk-table__header--numeric">Cases opened</th><th scope="col" class="govuk-table__header govuk-table__header--numeric">Rejected</th></tr></thead>
<tbody class="govuk-table__body">${runs.slice(0, 20).map(
      (run) =>
        html`<tr class="govuk-table__row"><td class="govuk-table__cell" data-label="Uploaded">${dateTime(run.startedAt)}</td><td class="govuk-table__cell app-break" data-label="File"><a class="govuk-link" href="/ratings/${pathSegment(run.runId)}">${run.fileName}</a></td><td class="govuk-table__cell" data-label="Result">${run.status === 'done' ? html`<strong class="govuk-tag govuk-tag--green">Done</strong>` : run.status === 'failed' ? html`<strong class="govuk-tag govuk-tag--red">Failed</strong>` : run.status === 'accepted' ? html`<strong class="govuk-tag govuk-tag--grey">Accepted</strong>` : run.status === 'preview' ? html`<strong class="govuk-tag govuk-tag--yellow">Preview</strong>` : run.status === 'interrupted' ? html`<strong class="govuk-tag govuk-tag--orange">Interrupted</strong>` : html`<strong class="govuk-tag govuk-tag--blue">Running</strong>`}</td><td class="govuk-table__cell govuk-table__cell--numeric" data-label="Rows read">${(run.summary ?? run.progress)?.rowsRead ?? 0}</td><td class="govuk-table__cell govuk-table__cell--numeric" data-label="Cases opened">${run.summary?.casesOpened ?? ''}</td><td class="govuk-table__cell govuk-table__cell--numeric" data-label="Rejected">${(run.summary ?? run.progress)?.rowsRejected ?? 0}</td></tr>`,
    )}</tbody></table>`
  : html`<p class="govuk-body">No file has been uploaded through this page yet.</p>`}`;
  return layout('Ratings', body, { active: '/ratings' });
}

/** POST /ratings: a multipart form from the page, or the file itself as the body (?fileName=...). */
export async function postRatings(deps: HttpDeps, request: HttpRequest, user: string): Promise<HttpResponse> {
  const contentType = request.headers['content-type'] ?? '';
  const bytes = bodyBytes(request);
  let token: string | undefined;
  let mode: string | undefined;
  let upload: { fileName: string; body: Buffer } | undefined;
  if (/^multipart\/form-data/i.test(contentType)) {
    try {
      const form = parseMultipart(contentType, bytes);
      token = form.fields.csrfToken;
      mode = form.fields.mode;
      const file = form.files.ratingsFile;
      if (file && file.body.length > 0) upload = { fileName: cleanFileName(file.fileName), body: file.body };
    } catch (error) {
      if (!(error instanceof BadMultipart)) throw error;
      // Cut short on the way: nothing was read, so nothing changes; say so plainly.
      return htmlResponse(400, await ratingsPage(deps, request, user, [{ field: 'ratingsFile', message: 'The upload arrived incomplete: choose the file and upload it again' }]));
    }
  } else {
    token = request.headers['x-csrf-token'];
    if (bytes.length > 0) upload = { fileName: cleanFileName(request.query.fileName ?? 'upload.csv'), body: bytes };
  }
  const refusal = checkPageForm(deps.signingKey, request, user, RATINGS_FORM, token);
  if (refusal) return formRefused();
  const limit = deps.uploadLimit?.bytes ?? DEFAULT_UPLOAD_LIMIT;
  if (upload && upload.body.length > limit) {
    return htmlResponse(400, await ratingsPage(deps, request, user, [{ field: 'ratingsFile', message: `The file is larger than ${Math.round(limit / 1_000_000)} MB${deps.uploadLimit?.hint ? `. ${deps.uploadLimit.hint}` : ''}` }]));
  }
  if (!upload) {
    return htmlResponse(400, await ratingsPage(deps, request, user, [{ field: 'ratingsFile', message: 'Choose a ratings file to upload' }]));
  }
  // The council's first file is previewed unless the form says to apply it straight away.
  const preview = mode === 'preview' || (mode !== 'apply' && !(await hasAppliedIngest(deps.store.doc, deps.store.tableName)));
  const { run, finished } = await startRun(deps, user, { ...upload, plan: preview ? { dryRun: true } : undefined });
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, WAIT_FOR_SMALL_FILES_MS).unref())]);
  return { statusCode: 303, headers: { location: `/ratings/${encodeURIComponent(run.runId)}`, 'cache-control': 'no-store' }, body: '' };
}

export function formRefused(): HttpResponse {
  return htmlResponse(
    403,
    layout(
      'Form not accepted',
      html`<h1 class="govuk-heading-l">That form was not accepted</h1><p class="govuk-body">It did not come from a page we showed you in this session (or the page was too old), so nothing was changed. Go back, reload the page and try again.</p>`,
    ),
  );
}
