/**
 * The local HTTP server. Every product route goes through the very Lambda handler API Gateway
 * invokes (the request becomes an API Gateway v2 event). A few routes exist only here: static
 * assets, the virtual clock, the mail sink's pages and a login that sets the session cookie.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { htmlResponse, type HttpDeps, type HttpResponse } from '../functions/http-api/app';
import type { VirtualClock } from './clock';
import { parseDuration } from './clock';
import type { LocalStepFunctions } from './sfn/engine';
import type { LocalSes } from './ses';
import { mailPage, mailMessagePage, loginPage } from './local-pages';
import { isPagePath } from '../functions/web/pages';
import { tokenMatches } from './auth';
import { bodyAllowance, headerUser } from '../functions/http-api/request-checks';
import { serveOnLoopback } from './net';

export interface LocalHttp {
  readonly endpoint: string;
  /** Bytes of request bodies held now, and at most so far. */
  bodyBytes(): { held: number; peak: number };
  close(): Promise<void>;
}

export interface LocalHttpOptions {
  port?: number;
  handler: (event: APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<APIGatewayProxyStructuredResultV2>;
  local: { clock: VirtualClock; engine: LocalStepFunctions; ses: LocalSes; adminToken: string; deps: HttpDeps };
  /** @default MAX_BUFFERED_BYTES */
  maxBufferedBytes?: number;
}

/** The sign-in form and the clock take a few short fields. */
const LOGIN_BYTES = 8 * 1024;
const CLOCK_BYTES = 1024;
/** All bodies being read or handled at once hold at most this much memory; beyond it: 503. */
export const MAX_BUFFERED_BYTES = 128 * 1024 * 1024;

/** Where to go after signing in: a path on this server only, in printable ASCII (a header value). */
function safeNext(next: string | null | undefined): string {
  return next && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/cases';
}

/**
 * The request target as a URL on this server, or undefined when it is not a path (`*`, a
 * non-HTTP absolute URL). The target is appended to the origin, never resolved against it: `//]x`
 * is the path `//]x`, not a URL whose host is `]x` (which threw, and answered 500).
 */
export function requestUrl(target: string | undefined): URL | undefined {
  try {
    if (!target || target.startsWith('/')) return new URL(`http://127.0.0.1${target ?? '/'}`);
    const absolute = new URL(target); // absolute-form, as sent to a proxy
    return /^https?:$/.test(absolute.protocol) ? new URL(`http://127.0.0.1${absolute.pathname}${absolute.search}`) : undefined;
  } catch {
    return undefined;
  }
}

class ClientGone extends Error {}

class BodyRefused extends Error {
  constructor(
    readonly status: 413 | 503,
    message: string,
  ) {
    super(message);
  }
}

/** Bytes held by request bodies, all requests together; the peak is kept for the tests' memory bound. */
export class BodyBudget {
  private held = 0;
  private highest = 0;
  constructor(readonly limit: number = MAX_BUFFERED_BYTES) {}
  take(bytes: number): boolean {
    if (this.held + bytes > this.limit) return false;
    this.held += bytes;
    this.highest = Math.max(this.highest, this.held);
    return true;
  }
  give(bytes: number): void {
    this.held -= bytes;
  }
  stats(): { held: number; peak: number } {
    return { held: this.held, peak: this.highest };
  }
}

/**
 * Reads a body of at most `limit` bytes, counting it against the shared budget as it streams in
 * (a declared Content-Length is checked, and reserved, before a byte is read). On refusal the
 * request is paused, never destroyed, so the 413/503 still reaches the client. Returns the body
 * and how many budget bytes it holds (give them back once the response is sent).
 */
function readBody(req: IncomingMessage, limit: number, budget: BodyBudget): Promise<{ body: Buffer; held: number }> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const tooLarge = () => new BodyRefused(413, `The body of this request is limited to ${limit} bytes`);
    const busy = () => new BodyRefused(503, 'The server is reading too many large requests at once; try again shortly');
    if (Number.isFinite(declared) && declared > limit) return reject(tooLarge());
    let held = Number.isFinite(declared) && declared > 0 ? declared : 0;
    if (!budget.take(held)) return reject(busy());
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (error: Error) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      req.pause();
      budget.give(held);
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return stop(tooLarge());
      if (size > held) {
        if (!budget.take(size - held)) return stop(busy());
        held = size;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      req.off('close', onClose);
      resolve({ body: Buffer.concat(chunks, size), held });
    };
    const onError = () => stop(new ClientGone());
    // The client went away mid-body: nothing to answer, and its bytes go back to the budget.
    const onClose = () => stop(new ClientGone());
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

/**
 * The request as API Gateway (HTTP API, payload format 2.0) hands it to Lambda: header names in
 * lower case, repeated headers joined with commas, cookies in `cookies` and never in a `cookie`
 * header, no `queryStringParameters` without a query, a binary body base64 with
 * `isBase64Encoded`, and — where the JWT authorizer let the caller in — its claims. (Locally the
 * admin token, as a Bearer token or the session cookie, stands for a verified token.)
 */
export function toEvent(req: IncomingMessage, url: URL, body: Buffer, subject?: string): APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithJWTAuthorizer {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name === 'cookie' || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const cookies = (req.headers.cookie ?? '')
    .split(';')
    .map((cookie) => cookie.trim())
    .filter(Boolean);
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const binary = !/^(text\/|application\/(json|x-www-form-urlencoded))/.test(headers['content-type'] ?? 'text/plain');
  const now = new Date();
  const requestContext = {
    accountId: '000000000000',
    apiId: 'local',
    domainName: url.host,
    domainPrefix: 'local',
    http: { method: req.method ?? 'GET', path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
    requestId: randomBytes(8).toString('hex'),
    routeKey: '$default',
    stage: '$default',
    time: now.toUTCString(),
    timeEpoch: now.getTime(),
  };
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(url.search.length > 1 ? { queryStringParameters: query } : {}),
    ...(body.length ? { body: body.toString(binary ? 'base64' : 'utf8') } : {}),
    isBase64Encoded: body.length > 0 && binary,
    requestContext,
  };
  if (!subject) return event;
  return { ...event, requestContext: { ...requestContext, authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: { sub: subject }, scopes: [] } } } };
}

const advanceSchema = z.union([z.object({ by: z.string().min(1).max(40) }), z.object({ to: z.string().datetime() })]);

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string>): void {
  res.writeHead(status, headers);
  res.end(body);
}

/** Local-only pages get the same security headers (CSP included) as the product's pages. */
function page(res: ServerResponse, response: HttpResponse): void {
  send(res, response.statusCode, response.body, response.headers);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), { 'content-type': 'application/json', 'cache-control': 'no-store' });
}

export async function startHttpServer(options: LocalHttpOptions): Promise<LocalHttp> {
  const { local } = options;
  const budget = new BodyBudget(options.maxBufferedBytes);
  const server = createServer((req, res) => {
    let held = 0;
    void (async () => {
      const url = requestUrl(req.url);
      if (!url) {
        res.setHeader('connection', 'close');
        return json(res, 400, { error: 'BadRequest', message: 'The request target must be a path on this server' });
      }
      const method = req.method ?? 'GET';
      // Who is calling and whether the route takes a body are known from the headers: a body is
      // read only for a route that takes one, from a caller allowed to send it, up to its limit.
      const probe = { method, path: url.pathname, rawQuery: '', query: {}, headers: req.headers as Record<string, string>, body: '', sourceIp: '' };
      const user = local.deps.authenticate(probe);
      const allowance =
        url.pathname === '/login'
          ? { bytes: LOGIN_BYTES, auth: 'none' as const }
          : url.pathname === '/local/clock'
            ? { bytes: CLOCK_BYTES, auth: 'header' as const }
            : bodyAllowance(method, url.pathname, local.deps.uploadLimit?.bytes);
      const mayRead = allowance && (allowance.auth === 'none' || (allowance.auth === 'session' ? user : headerUser(local.deps.authenticate, probe)));
      let body: Buffer = Buffer.alloc(0);
      if (allowance && mayRead) {
        try {
          ({ body, held } = await readBody(req, allowance.bytes, budget));
        } catch (error) {
          if (error instanceof ClientGone) return res.destroy();
          if (!(error instanceof BodyRefused)) throw error;
          res.setHeader('connection', 'close');
          if (error.status === 503) res.setHeader('retry-after', '5');
          return json(res, error.status, { error: error.status === 413 ? 'PayloadTooLarge' : 'Busy', message: error.message });
        }
      } else if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) {
        // An unknown route or a caller who may not post here: answered without reading the body,
        // and the connection is closed rather than kept for the unread bytes.
        res.setHeader('connection', 'close');
      }
      if (url.pathname === '/login') {
        const form = req.method === 'POST' ? new URLSearchParams(body.toString('utf8')) : url.searchParams;
        const token = form.get('token') ?? '';
        const next = safeNext(form.get('next'));
        if (tokenMatches(token, local.adminToken)) {
          return send(res, 303, '', { location: next, 'set-cookie': `session=${token}; HttpOnly; SameSite=Strict; Path=/` });
        }
        return page(res, htmlResponse(token ? 401 : 200, loginPage(Boolean(token), next)));
      }
      // A browser without a session is sent to sign in, and brought back afterwards.
      if (!user && req.method === 'GET' && (isPagePath(url.pathname) || /^\/mail(\/|$)/.test(url.pathname))) {
        return send(res, 303, '', { location: `/login?next=${encodeURIComponent(url.pathname + url.search)}`, 'cache-control': 'no-store' });
      }
      if (url.pathname === '/local/clock') {
        if (req.method === 'GET') return json(res, 200, { now: local.clock.now().toISOString(), offsetMs: local.clock.offsetMs() });
        if (!headerUser(local.deps.authenticate, probe)) return json(res, 401, { error: 'Unauthorised', message: 'Moving the clock needs the admin token (Authorization: Bearer)' });
        let parsed: z.infer<typeof advanceSchema>;
        try {
          parsed = advanceSchema.parse(JSON.parse(body.toString('utf8') || '{}'));
        } catch {
          return json(res, 400, { error: 'BadInput', message: 'Send {"by": "6 months"} or {"to": "<ISO timestamp>"}' });
        }
        try {
          const target = 'by' in parsed ? parseDuration(parsed.by)(local.clock.now()) : new Date(parsed.to);
          if (target.getTime() < local.clock.now().getTime()) return json(res, 400, { error: 'BadInput', message: 'The clock only moves forward' });
          await local.clock.advanceTo(target);
        } catch (error) {
          return json(res, 400, { error: 'BadInput', message: (error as Error).message });
        }
        await local.engine.whenIdle();
        return json(res, 200, { now: local.clock.now().toISOString(), offsetMs: local.clock.offsetMs() });
      }
      if (url.pathname === '/local/mail.json' && req.method === 'GET') {
        // Mail holds working links: only for the signed-in.
        return user ? json(res, 200, local.ses.emails()) : json(res, 401, { error: 'Unauthorised', message: 'Send the admin token' });
      }
      if (url.pathname === '/mail' && req.method === 'GET') {
        return page(res, htmlResponse(200, mailPage(local.ses.emails())));
      }
      const message = /^\/mail\/([\w.-]{1,200})$/.exec(url.pathname);
      if (message && req.method === 'GET') {
        const email = local.ses.emails().find((item) => item.messageId === message[1]);
        if (!email) return send(res, 404, 'No such email', { 'content-type': 'text/plain' });
        return page(res, htmlResponse(200, mailMessagePage(email)));
      }
      const result = await options.handler(toEvent(req, url, body, user));
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
      send(res, result.statusCode ?? 200, Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8'), headers);
    })()
      .catch((error: unknown) => {
        console.error('Local HTTP server error', error);
        if (!res.headersSent) json(res, 500, { error: 'InternalError' });
        else res.end();
      })
      .finally(() => budget.give(held));
  });
  return { ...(await serveOnLoopback(server, options.port)), bodyBytes: () => budget.stats() };
}
