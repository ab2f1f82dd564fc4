/** Local authentication: the admin token printed at start, as a Bearer token or a session cookie. */
import { timingSafeEqual } from 'node:crypto';
import type { HttpRequest } from '../functions/http-api/app';

export function tokenMatches(candidate: string | undefined, token: string): boolean {
  if (!candidate) return false;
  const a = Buffer.from(candidate);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function localAuthenticator(adminToken: string): (request: HttpRequest) => string | undefined {
  return (request) => {
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const cookie = /(?:^|;\s*)session=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
    return tokenMatches(bearer, adminToken) || tokenMatches(cookie, adminToken) ? 'local-admin' : undefined;
  };
}
