/**
 * What a request must be before its body is read: which routes take a body at all, how large, and
 * who must be signed in (and how) for it to be read. The local server applies these while the body
 * streams in; on AWS, API Gateway has already capped the payload (10 MB, Lambda 6 MB) and the
 * handler applies the same authentication rule.
 */
import type { HttpRequest } from './app';
import { isPagePath } from '../web/pages';

/** How a caller must be signed in before the body is read. */
export type BodyAuth = 'none' | 'session' | 'header';

export interface BodyAllowance {
  /** The most bytes the route takes. */
  readonly bytes: number;
  readonly auth: BodyAuth;
}

/** A form posted from an email link or a page: a handful of short fields. */
export const FORM_BYTES = 64 * 1024;
/** A provider's response with its evidence files (three of at most 4 MB each, and the envelope). */
export const PROVIDER_BYTES = 13 * 1024 * 1024;
/** A JSON body for the Board and admin API. */
export const JSON_BYTES = 1024 * 1024;
/** A ratings file uploaded through the admin API or the Ratings page. @default 50 MB */
export const DEFAULT_UPLOAD_BYTES = 50 * 1024 * 1024;
/** Room for a multipart envelope around the file. */
const MULTIPART_OVERHEAD = 64 * 1024;

const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The body a request may carry, or undefined when its route takes none (an unknown path, a GET):
 * then the body is never read. Decided from the method and path alone, by prefix, so a new route
 * under an existing prefix is covered without touching this table.
 */
export function bodyAllowance(method: string, path: string, uploadBytes = DEFAULT_UPLOAD_BYTES): BodyAllowance | undefined {
  if (BODYLESS.has(method.toUpperCase())) return undefined;
  if (path.startsWith('/act/')) return { bytes: FORM_BYTES, auth: 'none' };
  // A provider's response: a written answer and up to three evidence files (multipart).
  if (path.startsWith('/provider/')) return { bytes: PROVIDER_BYTES, auth: 'none' };
  if (path === '/admin/ingest') return { bytes: uploadBytes, auth: 'header' };
  if (/^\/(board|admin|api)\//.test(path)) return { bytes: JSON_BYTES, auth: 'header' };
  if (path === '/ratings') return { bytes: uploadBytes + MULTIPART_OVERHEAD, auth: 'session' };
  if (isPagePath(path)) return { bytes: FORM_BYTES, auth: 'session' };
  return undefined;
}

/**
 * The caller as the Authorization header alone proves it (cookies ignored). A browser attaches
 * cookies to other sites' requests but never this header, so changes through the JSON API need it,
 * and it must be a valid credential itself: a session cookie beside any header value is not enough.
 */
export function headerUser(authenticate: (request: HttpRequest) => string | undefined, request: HttpRequest): string | undefined {
  if (!request.headers.authorization) return undefined;
  const { cookie: _cookie, ...headers } = request.headers;
  return authenticate({ ...request, headers });
}
