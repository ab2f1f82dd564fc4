/**
 * The council-data endpoints of the JSON API (under /admin, so signed in with a bearer token):
 *
 * - `POST /admin/contracts/import?fileName=&apply=false|true` (body: the register, CSV or XLSX):
 *   the plan (added, changed, ended, rejected rows with line and reason); with `apply=true` applied.
 * - `POST /admin/tracker/import?fileName=&apply=false|true` (body: the tracker of cases under way):
 *   which cases would resume at which step, rejected rows; with `apply=true` the cases are started.
 * - `POST /admin/neighbours/import?fileName=&authority=&listDate=&apply=false|true` (body: a
 *   neighbouring authority's status list): its rows with their matches, unmatched and rejected
 *   rows; with `apply=true` it replaces that authority's list.
 */
import { BadInput } from '../lib/errors';
import type { HttpDeps, HttpRequest, HttpResponse } from '../http-api/app';
import { applyRegister, previewRegister } from './contracts-import';
import { applyTracker, previewTracker } from './tracker';
import { applyNeighbours, previewNeighbours, type NeighbourOptions } from './neighbours';

function fileName(request: HttpRequest): string {
  const name = request.query.fileName ?? 'register.csv';
  if (!/^[\w .()-]{1,200}$/.test(name)) throw new BadInput('fileName may hold only letters, digits, spaces, dot, dash, brackets and underscore');
  return name;
}

function body(request: HttpRequest): Buffer {
  return Buffer.from(request.body, request.headers['x-body-encoding'] === 'base64' ? 'base64' : 'utf8');
}

export async function routeCouncilApi(
  deps: HttpDeps,
  request: HttpRequest,
  user: string,
  json: (status: number, value: unknown) => HttpResponse,
): Promise<HttpResponse | undefined> {
  if (request.method === 'POST' && request.path === '/admin/contracts/import') {
    const apply = request.query.apply === 'true';
    const plan = apply ? await applyRegister(deps, body(request), fileName(request), user) : await previewRegister(deps, body(request), fileName(request));
    return json(200, plan);
  }
  if (request.method === 'POST' && request.path === '/admin/tracker/import') {
    const apply = request.query.apply === 'true';
    const plan = apply ? await applyTracker(deps, body(request), fileName(request), user) : await previewTracker(deps, body(request), fileName(request));
    return json(200, plan);
  }
  if (request.method === 'POST' && request.path === '/admin/neighbours/import') {
    const apply = request.query.apply === 'true';
    const options: NeighbourOptions = { authority: request.query.authority?.slice(0, 200), listDate: request.query.listDate };
    const plan = apply ? await applyNeighbours(deps, body(request), fileName(request), user, options) : await previewNeighbours(deps, body(request), fileName(request), options);
    return json(200, plan);
  }
  return undefined;
}
