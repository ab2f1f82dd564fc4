/**
 * What the pages' forms need from a request: the fields (repeated names kept, which `parseForm`
 * folds into one), an uploaded file from a multipart body, and protection against cross-site
 * request forgery.
 *
 * CSRF: a browser signs in with a session cookie marked SameSite=Strict, so another site cannot
 * make the browser send it. Each form also carries a token, an HMAC (under the deployment's
 * signing key) of the session and the form's purpose, that only a page we rendered for that
 * session can know. A POST needs both, and is refused when the browser says it came from elsewhere.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HttpRequest } from '../http-api/app';

/** The credential that made this request: the session cookie, else the Authorization header. */
export function sessionOf(request: HttpRequest): string {
  const cookie = /(?:^|;\s*)session=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
  return cookie ?? request.headers.authorization ?? '';
}

export function pageFormToken(key: Buffer, request: HttpRequest, user: string, purpose: string): string {
  return createHmac('sha256', key).update(`page-form\n${purpose}\n${user}\n${sessionOf(request)}`).digest('base64url');
}

export type CsrfRefusal = 'crossSite' | 'noSession' | 'badToken';

/** Checks a POSTed form: same origin, a session, and the token rendered for this session and form. */
export function checkPageForm(key: Buffer, request: HttpRequest, user: string, purpose: string, token: string | undefined): CsrfRefusal | undefined {
  const site = request.headers['sec-fetch-site'];
  if (site && site !== 'same-origin' && site !== 'none') return 'crossSite';
  // Under our `Referrer-Policy: no-referrer`, browsers send `Origin: null` even on same-origin
  // posts, so only a real origin is compared; Sec-Fetch-Site and the token cover the rest.
  const origin = request.headers.origin;
  if (origin && origin !== 'null') {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return 'crossSite';
    }
    if (request.headers.host && host !== request.headers.host) return 'crossSite';
  }
  if (!sessionOf(request)) return 'noSession';
  const expected = Buffer.from(pageFormToken(key, request, user, purpose));
  const given = Buffer.from(token ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'badToken';
}

/** The request body as bytes: the local server hands binary bodies over as base64 and says so. */
export function bodyBytes(request: HttpRequest): Buffer {
  return Buffer.from(request.body, request.headers['x-body-encoding'] === 'base64' ? 'base64' : 'utf8');
}

/** A urlencoded form with repeated names kept (checkboxes). */
export class FormFields {
  private readonly params: URLSearchParams;

  constructor(body: string) {
    this.params = new URLSearchParams(body);
  }

  static of(request: HttpRequest): FormFields {
    return new FormFields(bodyBytes(request).toString('utf8'));
  }

  get(name: string): string {
    return (this.params.get(name) ?? '').trim();
  }

  all(name: string): string[] {
    return this.params.getAll(name).map((value) => value.trim()).filter(Boolean);
  }
}

export interface UploadedFile {
  fileName: string;
  contentType: string;
  body: Buffer;
}

export interface MultipartForm {
  fields: Record<string, string>;
  files: Record<string, UploadedFile>;
}

export class BadMultipart extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadMultipart';
  }
}

/** Parses a multipart/form-data body (RFC 7578): text fields and uploaded files. */
export function parseMultipart(contentType: string, body: Buffer): MultipartForm {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const token = boundary?.[1] ?? boundary?.[2]?.trim();
  if (!token) throw new BadMultipart('The upload has no multipart boundary');
  const delimiter = Buffer.from(`--${token}`);
  const form: MultipartForm = { fields: {}, files: {} };
  let position = body.indexOf(delimiter);
  if (position < 0) throw new BadMultipart('The upload is not a multipart form');
  for (;;) {
    position += delimiter.length;
    // "--" after a delimiter ends the body.
    if (body[position] === 0x2d && body[position + 1] === 0x2d) break;
    const headerEnd = body.indexOf('\r\n\r\n', position);
    if (headerEnd < 0) throw new BadMultipart('A part of the upload has no headers');
    const headers = body.subarray(position, headerEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new BadMultipart('The upload was cut short');
    const content = body.subarray(headerEnd + 4, next);
    const disposition = /content-disposition:([^\r\n]*)/i.exec(headers)?.[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    const fileName = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    if (name !== undefined) {
      if (fileName !== undefined) {
        const type = /content-type:\s*([^\r\n]*)/i.exec(headers)?.[1]?.trim() ?? 'application/octet-stream';
        form.files[name] = { fileName, contentType: type, body: Buffer.from(content) };
      } else {
        form.fields[name] = content.toString('utf8');
      }
    }
    position = next + 2;
  }
  return form;
}
