/**
 * The HTTP API behind API Gateway (and the local server): email links, the Board, admin, the JSON
 * API and the web pages. Plain request → response so tests can call it directly; `handler.ts`
 * adapts API Gateway's event to it.
 */
import { z } from 'zod';
import { DomainError, NotFound, Unauthorised } from '../lib/errors';
import { readTableAudit } from '../audit/checkpoint';
import { verifyAudit as verifyTableAudit, type AuditReport } from '../audit/verify';
import { headerUser } from './request-checks';
import { escalationPort, requireCase, resumeStalledCases } from '../ladder/cases';
import { actOnLink, inspectLink, linkFormSchema } from '../ladder/decide';
import { changePlanRows, planChangeOf, planRowCount } from '../ladder/decision-form';
import { boardDecisionSchema, listMeetings, recordBoardDecision, recordMeeting, recordMeetingSchema, scheduleMeeting, scheduleMeetingSchema } from '../ladder/board';
import type { LadderDeps } from '../ladder/context';
import { readAsset } from '../web/assets';
import { getRun, startRun } from '../web/ratings-page';
import { MissingColumn } from '../ingest/columns';
import { confirmationPage, refusalPage, donePage, notFoundPage } from '../web/link-pages';
import type { EscalationPort } from '../lib/escalation-port';
import type { IngestPlan, IngestProgress } from '../ingest/ingest';
import { calendarDate } from '../lib/dates';
import { routeCouncilApi } from '../council/api';
import { listConcerns, raiseConcern, raiseConcernSchema } from '../ladder/concerns';
import { CONCERN_KINDS, CONCERN_SEVERITIES } from '../lib/model';
import type { EvidenceStore } from '../ladder/provider-side';
import { routeProviderLinks } from './provider-routes';

export interface HttpRequest {
  method: string;
  /** Path without the API stage, e.g. `/act/abc/approve`. */
  path: string;
  /** The raw query string, without `?`. */
  rawQuery: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  sourceIp: string;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  /** The body is base64 (fonts, images). */
  isBase64Encoded?: boolean;
}

export interface IngestUpload {
  (deps: LadderDeps, port: EscalationPort, upload: { fileName: string; body: Buffer; runId?: string; onProgress?: (progress: IngestProgress) => void; plan?: IngestPlan }): Promise<unknown>;
}

export interface PageRenderer {
  (deps: HttpDeps, request: HttpRequest, user: string | undefined): Promise<HttpResponse | undefined>;
}

export interface HttpDeps extends LadderDeps {
  /** Who is calling, if authenticated: a verified JWT subject on AWS, the admin token locally. */
  authenticate(request: HttpRequest): string | undefined;
  pages?: PageRenderer;
  ingestUpload?: IngestUpload;
  /** Verifies the audit trail against its newest checkpoint and writes the next one. */
  auditCheckpoint?: (reason: 'verify' | 'request') => Promise<AuditReport>;
  /** The largest file the upload takes here, and where bigger ones go. @default 50 MB, no hint */
  uploadLimit?: { bytes: number; hint: string };
  /** Where the provider's evidence files are kept (the data folder locally, S3 on AWS). */
  evidence?: EvidenceStore;
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

export function htmlResponse(statusCode: number, body: string, extra: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS, ...extra }, body };
}

export function jsonResponse(statusCode: number, value: unknown): HttpResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...SECURITY_HEADERS }, body: JSON.stringify(value) };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body || '{}');
  } catch {
    throw new BadJson();
  }
}

class BadJson extends DomainError {
  constructor() {
    super('The request body is not valid JSON');
  }
}

export function parseForm(body: string): Record<string, string> {
  const form: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(body)) form[key] = value;
  return form;
}

function requireUser(deps: HttpDeps, request: HttpRequest): string {
  const user = deps.authenticate(request);
  if (!user) throw new Unauthorised('Sign in first: this endpoint needs an authenticated user');
  // Browsers send cookies with cross-site requests, never an Authorization header: so the JSON API
  // changes nothing on a cookie alone, and the header must itself be a valid credential (the pages'
  // own forms carry CSRF tokens instead).
  if (request.method !== 'GET' && request.method !== 'HEAD' && !headerUser(deps.authenticate, request)) {
    throw new Unauthorised('Changes through the API need a valid Authorization: Bearer token');
  }
  return user;
}

const concernSchema = z.object({
  locationId: z.string().min(1).max(100),
  stage: z.enum(['informal', 'formal']).default('informal'),
  concern: z.string().min(1).max(5000),
  /** Where the concern came from, as letters to the provider may name it ("a relative", "Healthwatch Westshire"). */
  source: z.string().trim().min(1).max(200).optional(),
  /** The day it was raised with the council, when not today. */
  raisedOn: calendarDate.optional(),
  leadOfficer: z.string().max(100).optional(),
  /** Where it came from and how serious (functions/ladder/concerns.ts). */
  kind: z.enum(CONCERN_KINDS).default('serviceQualityFeedback'),
  severity: z.enum(CONCERN_SEVERITIES).default('medium'),
});

async function routeApi(deps: HttpDeps, request: HttpRequest): Promise<HttpResponse | undefined> {
  const { method, path } = request;
  if (method === 'GET' && path === '/health') return jsonResponse(200, { ok: true });

  if (path.startsWith('/board/') || path.startsWith('/admin/') || path.startsWith('/api/')) {
    const user = requireUser(deps, request);
    if (method === 'POST' && path === '/board/meetings') {
      const input = recordMeetingSchema.parse(parseJson(request.body));
      return jsonResponse(201, await recordMeeting(deps, input, user));
    }
    if (method === 'POST' && path === '/board/meetings/schedule') {
      return jsonResponse(201, await scheduleMeeting(deps, scheduleMeetingSchema.parse(parseJson(request.body))));
    }
    if (method === 'GET' && path === '/board/meetings') return jsonResponse(200, await listMeetings(deps));
    if (method === 'POST' && path === '/board/decisions') {
      const input = boardDecisionSchema.parse(parseJson(request.body));
      return jsonResponse(200, await recordBoardDecision(deps, input, user, request.sourceIp));
    }
    if (method === 'POST' && path === '/admin/cases') {
      const input = concernSchema.parse(parseJson(request.body));
      if (input.leadOfficer && !deps.config.officers.some((officer) => officer.id === input.leadOfficer)) {
        throw new UnknownOfficer(`leadOfficer "${input.leadOfficer}" is not a configured officer; use one of: ${deps.config.officers.map((officer) => officer.id).join(', ')}`);
      }
      // A concern record of its own (functions/ladder/concerns.ts), on the open case or opening one.
      const raised = await raiseConcern(
        deps,
        { locationId: input.locationId, kind: input.kind, raisedOn: input.raisedOn, raisedBy: input.source ?? '', summary: input.concern, severity: input.severity, openCase: true },
        user,
        { sourceIp: request.sourceIp, stage: input.stage, leadOfficer: input.leadOfficer },
      );
      const opened = { caseId: raised.caseId, opened: raised.opened, concernId: raised.concern.concernId };
      return jsonResponse(opened.opened ? 201 : 200, opened);
    }
    if (method === 'POST' && path === '/admin/concerns') {
      const raised = await raiseConcern(deps, raiseConcernSchema.parse(parseJson(request.body)), user, { sourceIp: request.sourceIp });
      return jsonResponse(raised.opened ? 201 : 200, raised);
    }
    if (method === 'GET' && path.startsWith('/api/locations/') && path.endsWith('/concerns')) {
      const locationId = decodeURIComponent(path.slice('/api/locations/'.length, -'/concerns'.length));
      return jsonResponse(200, await listConcerns(deps.store, locationId));
    }
    if (method === 'GET' && path === '/admin/audit/verify') return jsonResponse(200, await verifyAudit(deps, 'verify'));
    if (method === 'POST' && path === '/admin/audit/checkpoint') return jsonResponse(201, await verifyAudit(deps, 'request'));
    if (method === 'POST' && path === '/admin/resume') return jsonResponse(200, { resumed: await resumeStalledCases(deps) });
    if (method === 'POST' && path === '/admin/ingest') {
      if (!deps.ingestUpload) throw new NotFound('Ratings upload is not available here');
      const fileName = request.query.fileName ?? 'upload.csv';
      if (!/^[\w.-]{1,200}$/.test(fileName)) throw new BadFileName();
      const body = Buffer.from(request.body, request.headers['x-body-encoding'] === 'base64' ? 'base64' : 'utf8');
      // ?dryRun=true: a preview (nothing stored, no email); ?cases=, ?resume=, ?concerns= (all, none
      // or ids, comma-separated): apply only those parts.
      const plan = ingestPlan(request.query);
      if (request.query.wait === 'false') {
        // A long file: answer at once with the run; GET /admin/ingest/<runId> reports counts as it goes.
        const { run } = await startRun(deps, user, { fileName, body, plan });
        return jsonResponse(202, { ...run, progressUrl: `/admin/ingest/${run.runId}` });
      }
      try {
        const summary = await deps.ingestUpload(deps, escalationPort(deps), { fileName, body, plan });
        // A run that kept nothing usable (every row rejected, our area spelt another way) failed.
        if (typeof summary === 'object' && summary !== null && (summary as { outcome?: string }).outcome === 'failed') {
          return jsonResponse(422, { error: 'IngestFailed', message: (summary as { failureReason?: string }).failureReason, summary });
        }
        return jsonResponse(200, summary);
      } catch (error) {
        // A file that is not a ratings sheet is the sender's mistake: say which column or part.
        if (error instanceof MissingColumn || ['SheetNotFound', 'DamagedSpreadsheet'].includes((error as Error).name)) throw new BadRatingsFile((error as Error).message);
        throw error;
      }
    }
    const runMatch = /^\/admin\/ingest\/([\w-]{1,60})$/.exec(path);
    if (method === 'GET' && runMatch) return jsonResponse(200, await getRun(deps, runMatch[1]!));
    if (method === 'GET' && path === '/api/cases') return jsonResponse(200, await deps.store.listCases());
    const caseMatch = /^\/api\/cases\/([A-Za-z0-9_-]{1,120})$/.exec(path);
    if (method === 'GET' && caseMatch) {
      const caseId = caseMatch[1]!;
      const record = await requireCase(deps, caseId);
      const [audit, emails, tasks] = await Promise.all([deps.store.listAudit(caseId), deps.store.listEmails(caseId), deps.store.listTasks(caseId)]);
      return jsonResponse(200, { case: record, audit, emails, tasks: tasks.map(({ taskToken: _token, ...task }) => task) });
    }
    const council = await routeCouncilApi(deps, request, user, jsonResponse);
    if (council) return council;
    throw new NotFound(`No such endpoint: ${method} ${path}`);
  }
  return undefined;
}

class BadRatingsFile extends DomainError {}

const ids = (value: string | undefined, name: string): ReadonlySet<string> | undefined => {
  if (value === undefined || value === 'all') return undefined;
  if (value === 'none') return new Set();
  if (!/^[\w-]{1,60}(,[\w-]{1,60})*$/.test(value)) throw new DomainError(`${name} takes all, none or a comma-separated list of ids`);
  return new Set(value.split(','));
};

function ingestPlan(query: Record<string, string | undefined>): IngestPlan {
  if (query.dryRun === 'true' || query.preview === 'true') return { dryRun: true };
  return { openCases: ids(query.cases, 'cases'), resumeCases: ids(query.resume, 'resume'), raiseConcerns: ids(query.concerns, 'concerns') };
}

class UnknownOfficer extends DomainError {}

class BadFileName extends DomainError {
  constructor() {
    super('fileName may hold only letters, digits, dot, dash and underscore');
  }
}

/**
 * GET /admin/audit/verify: the table against the newest checkpoint, then a new checkpoint (by the
 * checkpoint function on AWS, which alone holds the key). Without one configured, the chains are
 * checked on their own and the report says there was no checkpoint.
 */
async function verifyAudit(deps: HttpDeps, reason: 'verify' | 'request'): Promise<AuditReport> {
  if (deps.auditCheckpoint) return deps.auditCheckpoint(reason);
  if (reason === 'request') throw new NotFound('Audit checkpoints are not configured here');
  const table = await readTableAudit(deps.store.doc, deps.store.tableName);
  return verifyTableAudit(table, undefined, deps.clock.now().toISOString()).report;
}

async function routeLinks(deps: HttpDeps, request: HttpRequest): Promise<HttpResponse | undefined> {
  if (!request.path.startsWith('/act/')) return undefined;
  const pathAndQuery = `${request.path}?${request.rawQuery}`;
  if (request.method === 'GET' || request.method === 'HEAD') {
    const check = await inspectLink(deps, pathAndQuery);
    return check.ok ? htmlResponse(200, confirmationPage(check, pathAndQuery)) : refusalPage(check.refusal, check.task);
  }
  if (request.method === 'POST') {
    const form = linkFormSchema.safeParse(parseForm(request.body));
    if (!form.success) return refusalPage('badForm', undefined);
    // "Add another action" / "Remove action n" only redraw the form with what was typed: nothing acts.
    const change = planChangeOf(form.data.planChange);
    if (change) {
      const check = await inspectLink(deps, pathAndQuery);
      if (!check.ok) return refusalPage(check.refusal, check.task);
      const values = changePlanRows(form.data, change);
      return htmlResponse(200, confirmationPage(check, pathAndQuery, { values, errors: [], addedRow: 'add' in change ? planRowCount(values) : undefined }));
    }
    const result = await actOnLink(deps, pathAndQuery, form.data, request.sourceIp);
    if (result.ok) return htmlResponse(200, donePage(result.view));
    // Details that need correcting: the same page again, with what was typed and what is wrong.
    if (result.refusal === 'badDetails') return htmlResponse(400, confirmationPage(result.view, pathAndQuery, { values: form.data, errors: result.errors }));
    return refusalPage(result.refusal, result.task, result.detail);
  }
  return htmlResponse(405, notFoundPage('That method is not allowed here.'), { allow: 'GET, POST' });
}

/** Maps every failure to a clear 4xx; only a fault of ours is a 500, and it says nothing inside. */
export async function handleRequest(deps: HttpDeps, request: HttpRequest): Promise<HttpResponse> {
  const wantsJson = /^\/(board|admin|api|health)(\/|$)/.test(request.path) && !(request.headers.accept ?? '').includes('text/html');
  try {
    if ((request.method === 'GET' || request.method === 'HEAD') && request.path.startsWith('/assets/')) {
      const asset = await readAsset(request.path);
      if (!asset) return jsonResponse(404, { error: 'NotFound', message: 'No such file' });
      const text = /^(text|image\/svg)/.test(asset.type);
      return {
        statusCode: 200,
        headers: { 'content-type': asset.type, 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' },
        body: asset.body.toString(text ? 'utf8' : 'base64'),
        isBase64Encoded: !text,
      };
    }
    const response = (await routeLinks(deps, request)) ?? (await routeProviderLinks(deps, request)) ?? (await routeApi(deps, request)) ?? (await deps.pages?.(deps, request, deps.authenticate(request)));
    if (response) return response;
    return htmlResponse(404, notFoundPage('There is no page at this address.'));
  } catch (error) {
    if (error instanceof z.ZodError) {
      const issues = error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message }));
      return wantsJson ? jsonResponse(400, { error: 'BadInput', issues }) : htmlResponse(400, notFoundPage(issues.map((i) => `${i.field}: ${i.message}`).join('; ')));
    }
    if (error instanceof DomainError) {
      return wantsJson
        ? jsonResponse(error.status, { error: error.name, message: error.message })
        : htmlResponse(error.status, notFoundPage(error.message));
    }
    console.error('Unhandled error in HTTP API', error);
    return wantsJson ? jsonResponse(500, { error: 'InternalError', message: 'Something went wrong on our side; it has been logged.' }) : htmlResponse(500, notFoundPage('Something went wrong on our side; it has been logged.'));
  }
}
