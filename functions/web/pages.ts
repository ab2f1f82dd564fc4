/**
 * Server-rendered pages (cases, a case, providers, the memo, the Board, ratings), routed by path.
 * Each page is a plain function of the store and the clock. Every page needs a signed-in user;
 * every form POST also needs its CSRF token (see forms.ts) and answers with a 303 redirect, or
 * with the page again and its problems.
 *
 * `/board/*` and `/admin/*` are the JSON API, so the Board's forms post to `/board-meetings/...`.
 */
import { isoDate } from '../lib/clock';
import { html } from '../lib/html';
import { htmlResponse, type HttpDeps, type HttpRequest, type HttpResponse } from '../http-api/app';
import { boardPage, FORM_PURPOSE, meetingPage, postDecision, postRecordMeeting, postSchedule } from './board-page';
import { caseEmailPage, casePage } from './case-page';
import { casesPage } from './cases-page';
import { checkPageForm, FormFields } from './forms';
import { layout } from './layout';
import { memoCsv, memoPage } from './memo';
import { providerPage } from './provider-page';
import { evidenceDownload } from './provider-pages';
import { getProviderRequest } from '../ladder/provider-side';
import { formRefused, postApply, postRatings, ratingsPage, runPage, runProgress } from './ratings-page';
import { councilPage, isCouncilPagePath } from '../council/pages';

const ID = '([A-Za-z0-9_-]{1,120})';
const CASE = new RegExp(`^/cases/${ID}$`);
const CASE_EMAIL = new RegExp(`^/cases/${ID}/emails/([A-Za-z0-9._@%+=-]{1,300})$`);
const PROVIDER = new RegExp(`^/providers/${ID}$`);
const CASE_EVIDENCE = new RegExp(`^/cases/${ID}/evidence/([a-f0-9]{32})/([a-f0-9]{64})$`);
const MEETING = new RegExp(`^/board-meetings/${ID}$`);
const MEETING_DECISIONS = new RegExp(`^/board-meetings/${ID}/decisions$`);
const RUN = new RegExp(`^/ratings/${ID}$`);
const RUN_PROGRESS = new RegExp(`^/ratings/${ID}/progress$`);
const RUN_APPLY = new RegExp(`^/ratings/${ID}/apply$`);

/** Paths the pages answer; the local server sends a browser without a session to /login for these. */
export function isPagePath(path: string): boolean {
  return (
    path === '/' ||
    /^\/(cases|providers|board-meetings|ratings)(\/|$)/.test(path) ||
    path === '/memo' ||
    path === '/memo.csv' ||
    path === '/board' ||
    isCouncilPagePath(path)
  );
}

/** A path segment decoded, or kept as it is when it is not valid percent-encoding. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function redirect(location: string): HttpResponse {
  return { statusCode: 303, headers: { location, 'cache-control': 'no-store' }, body: '' };
}

function signInRequired(): HttpResponse {
  return htmlResponse(
    401,
    layout('Sign in', html`<h1 class="govuk-heading-l">Sign in to see this page</h1><p class="govuk-body">These pages are for the council's quality, commissioning and placement staff. Sign in with your council account, then open the page again.</p>`, { nav: false }),
  );
}

function methodNotAllowed(allow: string): HttpResponse {
  return htmlResponse(405, layout('Not allowed', html`<h1 class="govuk-heading-l">That cannot be done here</h1><p class="govuk-body">This address does not accept that kind of request.</p>`), { allow });
}

const DONE = new Set(['scheduled', 'recorded', 'decision']);

function done(request: HttpRequest): string | undefined {
  const value = request.query.done;
  return value && DONE.has(value) ? value : undefined;
}

export async function renderPage(deps: HttpDeps, request: HttpRequest, user: string | undefined): Promise<HttpResponse | undefined> {
  const { path } = request;
  if (!isPagePath(path)) return undefined;
  if (!user) return signInRequired();
  const council = await councilPage(deps, request, user);
  if (council) return council;
  const method = request.method === 'HEAD' ? 'GET' : request.method;

  if (method === 'POST') {
    const decisions = MEETING_DECISIONS.exec(path);
    if (path === '/ratings') return postRatings(deps, request, user);
    const apply = RUN_APPLY.exec(path);
    if (apply) return postApply(deps, request, user, apply[1]!);
    const purpose = path === '/board-meetings/schedule' ? FORM_PURPOSE.schedule : path === '/board-meetings/record' ? FORM_PURPOSE.record : decisions ? FORM_PURPOSE.decision : undefined;
    if (!purpose) return methodNotAllowed('GET');
    const fields = FormFields.of(request);
    if (checkPageForm(deps.signingKey, request, user, purpose, fields.get('csrfToken'))) return formRefused();
    if (purpose === FORM_PURPOSE.schedule) return postSchedule(deps, request, user, fields);
    if (purpose === FORM_PURPOSE.record) return postRecordMeeting(deps, request, user, fields);
    return postDecision(deps, request, user, decisions![1]!, fields);
  }
  if (method !== 'GET') return methodNotAllowed(path === '/ratings' || RUN_APPLY.test(path) || MEETING_DECISIONS.test(path) ? 'POST' : 'GET');

  if (path === '/') return redirect('/cases');
  if (path === '/cases') return htmlResponse(200, await casesPage(deps, request));
  const caseMatch = CASE.exec(path);
  if (caseMatch) return htmlResponse(200, await casePage(deps, caseMatch[1]!));
  const evidenceMatch = CASE_EVIDENCE.exec(path);
  if (evidenceMatch) {
    const file = await evidenceDownload(deps.evidence, await getProviderRequest(deps, evidenceMatch[1]!, evidenceMatch[2]!), evidenceMatch[3]!);
    return file ?? htmlResponse(404, layout('Not found', html`<h1 class="govuk-heading-l">No such file</h1><p class="govuk-body">This evidence file is not on record.</p>`));
  }
  const emailMatch = CASE_EMAIL.exec(path);
  if (emailMatch) return htmlResponse(200, await caseEmailPage(deps, emailMatch[1]!, safeDecode(emailMatch[2]!)));
  const providerMatch = PROVIDER.exec(path);
  if (providerMatch) return htmlResponse(200, await providerPage(deps, providerMatch[1]!));
  if (path === '/memo') return htmlResponse(200, await memoPage(deps));
  if (path === '/memo.csv') {
    const day = isoDate(deps.clock.now());
    return {
      statusCode: 200,
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="managed-placements-memo-${day}.csv"`,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      },
      body: await memoCsv(deps),
    };
  }
  if (path === '/board') return htmlResponse(200, await boardPage(deps, request, user, { done: done(request) }));
  const meetingMatch = MEETING.exec(path);
  if (meetingMatch) return htmlResponse(200, await meetingPage(deps, request, user, meetingMatch[1]!, { done: done(request) }));
  if (path === '/ratings') return htmlResponse(200, await ratingsPage(deps, request, user));
  const runMatch = RUN.exec(path);
  if (runMatch) return htmlResponse(200, await runPage(deps, runMatch[1]!, { request, user }));
  const progressMatch = RUN_PROGRESS.exec(path);
  if (progressMatch) return runProgress(deps, progressMatch[1]!);
  return undefined;
}

