/**
 * Ratings: upload a CQC ratings file (CSV or ODS, the Locations or Providers sheet) and watch it
 * go in. Each upload is a run record (table key INGEST#<runId>) that ingestion's progress
 * reports update, so a large file shows its counts while it runs; the finished record keeps what
 * the administrator needs: rows read and kept, locations changed, cases opened, and every
 * rejected row with its line and reason.
 *
 * The run continues after the upload's response on the local runtime. Without JavaScript the
 * page offers a link to check again; /assets/ratings.js refreshes the counts in place.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { html, type SafeHtml } from '../lib/html';
import { keys } from '../lib/table';
import { DomainError, NotFound } from '../lib/errors';
import { escalationPort } from '../ladder/cases';
import { htmlResponse, type HttpDeps, type HttpRequest, type HttpResponse } from '../http-api/app';
import type { IngestProgress } from '../ingest/ingest';
import { csrfField, errorSummary, fieldError, hasError, successBanner, type Problem } from './components';
import { BadMultipart, bodyBytes, checkPageForm, pageFormToken, parseMultipart } from './forms';
import { dateTime, pathSegment, plural } from './format';
import { layout } from './layout';

export const RATINGS_FORM = 'ratings-upload';
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

const summarySchema = countsSchema.extend({
  sheet: z.string().default(''),
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
  status: z.enum(['running', 'done', 'failed', 'accepted', 'interrupted']),
  /** When the run last reported progress: a run unheard of for longer than any run lives is dead. */
  heartbeatAt: z.string().optional(),
  /** What recovery did for an interrupted run: the ladder calls its locations were owed. */
  recovery: z.object({ escalated: z.number(), casesOpened: z.number(), failures: z.number(), at: z.string() }).optional(),
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
const EXPLAINED = new Set(['MissingColumn', 'SheetNotFound', 'CsvError']);

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

export async function startRun(deps: HttpDeps, user: string, upload: { fileName: string; body: Buffer }): Promise<{ run: IngestRun; finished: Promise<IngestRun> }> {
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
      const result = await ingest(deps, escalationPort(deps), { ...upload, runId: run.runId, onProgress });
      if (typeof result === 'object' && result !== null && 'rowsRead' in result) {
        const summary = summarySchema.parse(result);
        run = { ...run, status: 'done', summary, progress: countsSchema.parse(summary), finishedAt: deps.clock.now().toISOString() };
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

function counts(run: IngestRun): SafeHtml {
  const progress = run.summary ?? run.progress;
  const row = (label: string, value: number | string | undefined) =>
    html`<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">${label}</dt><dd class="govuk-summary-list__value">${typeof value === 'number' ? value.toLocaleString('en-GB') : (value ?? '')}</dd></div>`;
  return html`<dl class="govuk-summary-list">
${row('File', `${run.fileName} (${plural(run.bytes, 'byte')})`)}
${row('Rows read', progress?.rowsRead ?? 0)}
${row('Rows kept', progress?.rowsKept ?? 0)}
${row('Rows rejected', progress?.rowsRejected ?? 0)}
${row('Rows outside our area', progress?.rowsOutOfScope ?? 0)}
${row('Locations changed', progress?.locationsChanged ?? 0)}
${row('Providers changed', progress?.providersChanged ?? 0)}
${run.summary ? html`${row('Cases opened', run.summary.casesOpened)}${row('Cases resumed by a new inspection', run.summary.casesResumed)}${row('Corporate concerns raised', run.summary.corporateConcerns)}${row('Took', `${(run.summary.durationMs / 1000).toFixed(1)} seconds`)}` : ''}
</dl>`;
}

function rejectionsTable(summary: RunSummary): SafeHtml {
  if (summary.rejections.length === 0) return html`<p class="govuk-body">No row was rejected.</p>`;
  return html`<table class="govuk-table">
<caption class="govuk-table__caption govuk-table__caption--m">Rejected rows${summary.rejectionsTruncated ? html`: the first ${summary.rejections.length} of ${summary.rowsRejected.toLocaleString('en-GB')}` : ''}</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Line</th><th scope="col" class="govuk-table__header">Column</th><th scope="col" class="govuk-table__header">Why</th><th scope="col" class="govuk-table__header">Value</th></tr></thead>
<tbody class="govuk-table__body">${summary.rejections.map(
    (rejection) =>
      html`<tr class="govuk-table__row"><td class="govuk-table__cell">${rejection.line}</td><td class="govuk-table__cell">${rejection.field}</td><td class="govuk-table__cell">${rejection.reason}</td><td class="govuk-table__cell app-break">${rejection.value}</td></tr>`,
  )}</tbody></table>`;
}

export async function runPage(deps: HttpDeps, runId: string): Promise<string> {
  const run = await getRun(deps, runId);
  const running = run.status === 'running';
  const body = html`<a class="govuk-back-link" href="/ratings">Ratings</a>
<span class="govuk-caption-l">Ratings upload</span>
<h1 class="govuk-heading-l">${running ? 'Reading the ratings file' : run.status === 'done' ? 'Ratings file read' : run.status === 'accepted' ? 'Ratings file accepted' : run.status === 'interrupted' ? 'Reading the ratings file was interrupted' : 'The ratings file could not be read'}</h1>
<div id="run-status" data-run-status="${run.status}" aria-live="polite">
${running ? html`<p class="govuk-body">Started ${dateTime(run.startedAt)}. The counts below grow as rows are read. <a class="govuk-link" href="/ratings/${pathSegment(run.runId)}">Check progress again</a>.</p>` : ''}
${run.status === 'accepted' ? html`<div class="govuk-inset-text">${run.message ?? ''}</div>` : ''}
${run.status === 'done' ? successBanner(`${plural(run.summary?.rowsRead ?? 0, 'row')} read, ${plural(run.summary?.casesOpened ?? 0, 'case')} opened`) : ''}
${run.status === 'interrupted' ? html`<div class="govuk-warning-text"><span class="govuk-warning-text__icon" aria-hidden="true">!</span><strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">Warning</span>Interrupted ${dateTime(run.finishedAt ?? run.startedAt)}. ${run.error ?? ''}${run.recovery ? ` On restart, ${plural(run.recovery.casesOpened, 'case')} owed by what it had written ${run.recovery.casesOpened === 1 ? 'was' : 'were'} opened.` : ''}</strong></div>` : ''}
${run.status === 'failed' ? html`<div class="govuk-error-summary" data-module="govuk-error-summary"><div role="alert"><h2 class="govuk-error-summary__title">The upload stopped</h2><div class="govuk-error-summary__body"><p class="govuk-body">${run.error ?? ''}</p></div></div></div>` : ''}
${run.status === 'accepted' ? '' : counts(run)}
${run.summary ? rejectionsTable(run.summary) : ''}
${run.summary?.escalationFailures.length
  ? html`<div class="govuk-warning-text"><span class="govuk-warning-text__icon" aria-hidden="true">!</span><strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">Warning</span>${plural(run.summary.escalationFailures.length, 'case')} could not be opened or updated; uploading the file again retries them.</strong></div>`
  : ''}
</div>
${running ? '' : html`<p class="govuk-body"><a class="govuk-link" href="/cases">See the cases</a> or <a class="govuk-link" href="/ratings">upload another file</a>.</p>`}`;
  return layout('Ratings upload', body, { active: '/ratings', scripts: running ? ['/assets/ratings.js'] : [] });
}

export async function ratingsPage(deps: HttpDeps, request: HttpRequest, user: string, problems: Problem[] = []): Promise<string> {
  const runs = await listRuns(deps);
  const available = Boolean(deps.ingestUpload);
  const body = html`${errorSummary(problems)}
<h1 class="govuk-heading-l">Ratings</h1>
<p class="govuk-body">Upload CQC's monthly ratings file: the Locations sheet or the Providers sheet (a file whose name contains "prov" is read as the Providers sheet), as CSV or as the ODS spreadsheet CQC publishes. Loading the same file twice changes nothing.</p>
${available
  ? html`<form method="post" action="/ratings" enctype="multipart/form-data" novalidate>
${csrfField(pageFormToken(deps.signingKey, request, user, RATINGS_FORM))}
<div class="govuk-form-group${hasError(problems, 'ratingsFile') ? ' govuk-form-group--error' : ''}"><label class="govuk-label govuk-label--s" for="ratingsFile">Ratings file</label><div id="ratingsFile-hint" class="govuk-hint">CSV or ODS, up to ${Math.round((deps.uploadLimit?.bytes ?? DEFAULT_UPLOAD_LIMIT) / 1_000_000)} MB${deps.uploadLimit?.hint ? html`. ${deps.uploadLimit.hint}` : ''}</div>${fieldError(problems, 'ratingsFile')}<input class="govuk-file-upload${hasError(problems, 'ratingsFile') ? ' govuk-file-upload--error' : ''}" id="ratingsFile" name="ratingsFile" type="file" accept=".csv,.ods,text/csv,application/vnd.oasis.opendocument.spreadsheet" aria-describedby="ratingsFile-hint"></div>
<button type="submit" class="govuk-button" data-module="govuk-button">Upload and read the file</button>
</form>`
  : html`<div class="govuk-inset-text">Uploading through this page is not available on this deployment: put the file in the ratings intake bucket instead.</div>`}
<h2 class="govuk-heading-m">Recent uploads</h2>
${runs.length
  ? html`<table class="govuk-table"><caption class="govuk-table__caption govuk-visually-hidden">Ratings files uploaded, newest first</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Uploaded</th><th scope="col" class="govuk-table__header">File</th><th scope="col" class="govuk-table__header">Result</th><th scope="col" class="govuk-table__header govuk-table__header--numeric">Rows read</th><th scope="col" class="govuk-table__header govuk-table__header--numeric">Cases opened</th><th scope="col" class="govuk-table__header govuk-table__header--numeric">Rejected</th></tr></thead>
<tbody class="govuk-table__body">${runs.slice(0, 20).map(
      (run) =>
        html`<tr class="govuk-table__row"><td class="govuk-table__cell">${dateTime(run.startedAt)}</td><td class="govuk-table__cell app-break"><a class="govuk-link" href="/ratings/${pathSegment(run.runId)}">${run.fileName}</a></td><td class="govuk-table__cell">${run.status === 'done' ? html`<strong class="govuk-tag govuk-tag--green">Done</strong>` : run.status === 'failed' ? html`<strong class="govuk-tag govuk-tag--red">Failed</strong>` : run.status === 'accepted' ? html`<strong class="govuk-tag govuk-tag--grey">Accepted</strong>` : run.status === 'interrupted' ? html`<strong class="govuk-tag govuk-tag--orange">Interrupted</strong>` : html`<strong class="govuk-tag govuk-tag--blue">Running</strong>`}</td><td class="govuk-table__cell govuk-table__cell--numeric">${(run.summary ?? run.progress)?.rowsRead ?? 0}</td><td class="govuk-table__cell govuk-table__cell--numeric">${run.summary?.casesOpened ?? ''}</td><td class="govuk-table__cell govuk-table__cell--numeric">${(run.summary ?? run.progress)?.rowsRejected ?? 0}</td></tr>`,
    )}</tbody></table>`
  : html`<p class="govuk-body">No file has been uploaded through this page yet.</p>`}`;
  return layout('Ratings', body, { active: '/ratings' });
}

/** POST /ratings: a multipart form from the page, or the file itself as the body (?fileName=...). */
export async function postRatings(deps: HttpDeps, request: HttpRequest, user: string): Promise<HttpResponse> {
  const contentType = request.headers['content-type'] ?? '';
  const bytes = bodyBytes(request);
  let token: string | undefined;
  let upload: { fileName: string; body: Buffer } | undefined;
  if (/^multipart\/form-data/i.test(contentType)) {
    try {
      const form = parseMultipart(contentType, bytes);
      token = form.fields.csrfToken;
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
  const { run, finished } = await startRun(deps, user, upload);
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
