/**
 * Server-rendered pages (cases, a case, providers, the memo, the Board, mail, ratings).
 * Routed by path; each page is a plain function of the store.
 */
import type { HttpDeps, HttpRequest, HttpResponse } from '../http-api/app';

export async function renderPage(_deps: HttpDeps, _request: HttpRequest, _user: string | undefined): Promise<HttpResponse | undefined> {
  return undefined;
}
