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
import { listenOnLoopback } from './net';

export interface LocalHttp {
  readonly endpoint: string;
  close(): Promise<void>;
}

export interface LocalHttpOptions {
  port?: number;
  handler: (event: APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<APIGatewayProxyStructuredResultV2>;
  local: { clock: VirtualClock; engine: LocalStepFunctions; ses: LocalSes; adminToken: string; deps: HttpDeps };
}

const MAX_BODY_BYTES = 50 * 1024 * 1024;

/** Where to go after signing in: a path on this server only (never `//host` or a full URL). */
/** Where to go after signing in: a path on this server only, in printable ASCII (a header value). */
function safeNext(next: string | null | undefined): string {
  return next && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/cases';
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
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
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let body: Buffer;
      try {
        body = await readBody(req);
      } catch (error) {
        if (error instanceof BodyTooLarge) return json(res, 413, { error: 'PayloadTooLarge', message: `Bodies are limited to ${MAX_BODY_BYTES} bytes` });
        throw error;
      }
      const user = local.deps.authenticate({ method: req.method ?? 'GET', path: url.pathname, rawQuery: '', query: {}, headers: req.headers as Record<string, string>, body: '', sourceIp: '' });
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
        if (!user || !req.headers.authorization) return json(res, 401, { error: 'Unauthorised', message: 'Moving the clock needs the admin token (Authorization: Bearer)' });
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
    })().catch((error: unknown) => {
      console.error('Local HTTP server error', error);
      if (!res.headersSent) json(res, 500, { error: 'InternalError' });
      else res.end();
    });
  });
  const port = await listenOnLoopback(server, options.port);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
