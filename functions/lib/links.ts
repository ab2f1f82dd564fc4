/**
 * Signed action links for emails (DESIGN.md, "Links in emails").
 *
 * Email is hostile ground: scanners fetch every link, mail is forwarded, old messages resurface.
 * So a link names only what it offers — the pending task, the officer, the decision and an expiry —
 * and an HMAC-SHA256 over those fields proves we wrote it. It never carries the Step Functions task
 * token: that stays in the pending task record, looked up by task id once the link checks out.
 * "Works once" is not decided here: the pending task's status (used, superseded) is the one-use
 * guard, checked by the handler after the signature.
 *
 *   /act/<taskId>/<decision>?o=<officer>&e=<epochSeconds>&s=<base64url signature>
 *
 * GET on such a link only shows a confirmation page. That page's form carries a form token — an
 * HMAC over the same fields under a different purpose — so a POST that acts must have come through
 * the page, and a link signature can never be replayed as a form token or the other way round.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** Keys shorter than the hash's output would weaken HMAC-SHA256; refuse them outright. */
export const MIN_KEY_BYTES = 32;
/** Task ids, decisions and officer ids: URL-safe as they are, and never contain the separator. */
export const LINK_FIELD_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;
/** An HMAC-SHA256 digest (32 bytes) in unpadded base64url is always 43 characters. */
const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** Epoch seconds as the query writes them: digits, no sign, no leading zeros (one spelling per link). */
const EXPIRES_TEXT_PATTERN = /^(0|[1-9][0-9]{0,12})$/;
/** The latest instant a JavaScript Date can hold, in seconds; anything beyond is not an expiry. */
const MAX_EXPIRES = 8_640_000_000_000;
/** Anything longer than this is not one of our links; refuse before doing any work on it. */
const MAX_LINK_LENGTH = 2048;

const PURPOSE = { link: 'link-v1', form: 'form-v1' } as const;
type Purpose = keyof typeof PURPOSE;

/** The key material is wrong: missing, too short, not base64. A deployment fault, not a bad link. */
export class InvalidLinkKey extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidLinkKey';
  }
}

/** We were asked to sign something that could never verify. A programming fault, so it throws. */
export class InvalidLinkFields extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidLinkFields';
  }
}

export type LinkFailure = 'tampered' | 'expired' | 'malformed';

/** What a link (or form token) offers, once its signature and expiry have been checked. */
export interface VerifiedLink {
  ok: true;
  taskId: string;
  decision: string;
  officer: string;
  expiresAt: Date;
}
export type LinkVerification = VerifiedLink | { ok: false; reason: LinkFailure };

/** The signed fields as they travel: `expires` is epoch seconds (a query string gives it as text). */
export interface LinkClaim {
  taskId: string;
  decision: string;
  officer: string;
  expires: number | string;
}

export interface LinkToSign {
  taskId: string;
  officer: string;
  decision: string;
  expiresAt: Date;
}

export interface ParsedLink {
  ok: true;
  taskId: string;
  decision: string;
  officer: string;
  expires: number;
  signature: string;
}
export type LinkParse = ParsedLink | { ok: false; reason: 'malformed' };

const fieldSchema = z.string().regex(LINK_FIELD_PATTERN);
const expiresSchema = z.union([
  z.number().int().min(0).max(MAX_EXPIRES),
  z
    .string()
    .regex(EXPIRES_TEXT_PATTERN)
    .transform(Number)
    .pipe(z.number().int().min(0).max(MAX_EXPIRES)),
]);
const claimSchema = z.object({
  taskId: fieldSchema,
  decision: fieldSchema,
  officer: fieldSchema,
  expires: expiresSchema,
});
const signedSchema = claimSchema.extend({ signature: z.string().regex(SIGNATURE_PATTERN) });
const formSchema = claimSchema.extend({ token: z.string().regex(SIGNATURE_PATTERN) });

interface Claim {
  taskId: string;
  decision: string;
  officer: string;
  expires: number;
}

/**
 * The exact bytes signed. Versioned, with the purpose first so a link signature and a form token
 * over the same fields differ; fields joined by a newline, which the field pattern cannot contain,
 * so no two different claims share a canonical string.
 */
function canonical(purpose: Purpose, claim: Claim): string {
  return [PURPOSE[purpose], claim.taskId, claim.officer, claim.decision, String(claim.expires)].join('\n');
}

export function assertKey(key: Buffer): void {
  if (!Buffer.isBuffer(key)) throw new InvalidLinkKey('The link key must be a Buffer');
  if (key.length < MIN_KEY_BYTES) {
    throw new InvalidLinkKey(`The link key must be at least ${MIN_KEY_BYTES} bytes; it is ${key.length}`);
  }
}

function mac(key: Buffer, purpose: Purpose, claim: Claim): string {
  return createHmac('sha256', key).update(canonical(purpose, claim), 'utf8').digest('base64url');
}

/**
 * Constant-time comparison of two base64url digests. Both are 43 ASCII characters by the time we
 * get here (the schema saw to that). We compare the text, not decoded bytes, because base64
 * decoding is lenient about the last character's spare bits: comparing bytes would accept
 * several spellings of one signature.
 */
export function sameDigest(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'ascii');
  const b = Buffer.from(given, 'ascii');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function assertNow(now: Date): void {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new TypeError('now must be a valid Date');
}

/**
 * Shared by links and form tokens. The signature is checked before the expiry: an expired-but-
 * forged link says "tampered", so a forger learns nothing about which expiries would have worked.
 */
function verify(key: Buffer, purpose: Purpose, claim: Claim, given: string, now: Date): LinkVerification {
  if (!sameDigest(mac(key, purpose, claim), given)) return { ok: false, reason: 'tampered' };
  const expiresAt = new Date(claim.expires * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, taskId: claim.taskId, decision: claim.decision, officer: claim.officer, expiresAt };
}

function claimToSign(link: LinkToSign): Claim {
  for (const field of ['taskId', 'officer', 'decision'] as const) {
    const value: unknown = link[field];
    if (typeof value !== 'string' || !LINK_FIELD_PATTERN.test(value)) {
      throw new InvalidLinkFields(`${field} must be 1 to 100 of A-Z a-z 0-9 _ -; got ${JSON.stringify(value)}`);
    }
  }
  if (!(link.expiresAt instanceof Date) || Number.isNaN(link.expiresAt.getTime())) {
    throw new InvalidLinkFields('expiresAt must be a valid Date');
  }
  // Rounded down: a link never outlives the moment it was asked to expire at.
  const expires = Math.floor(link.expiresAt.getTime() / 1000);
  if (expires < 0) throw new InvalidLinkFields('expiresAt must be after 1970');
  return { taskId: link.taskId, officer: link.officer, decision: link.decision, expires };
}

/** Signs a link and returns its path and query; the caller puts the configured base URL in front. */
export function signLink(key: Buffer, link: LinkToSign): string {
  assertKey(key);
  const claim = claimToSign(link);
  const signature = mac(key, 'link', claim);
  // Every field is already URL-safe (the pattern is base64url's alphabet), so nothing is encoded.
  return `/act/${claim.taskId}/${claim.decision}?o=${claim.officer}&e=${claim.expires}&s=${signature}`;
}

/** Checks a link's fields (usually from `parseLinkPath`): shape, then signature, then expiry. */
export function verifyLink(
  key: Buffer,
  fields: LinkClaim & { signature: string },
  now: Date,
): LinkVerification {
  assertKey(key);
  assertNow(now);
  const parsed = signedSchema.safeParse(fields);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const { signature, ...claim } = parsed.data;
  return verify(key, 'link', claim, signature, now);
}

function queryValues(query: string): Map<string, string> | undefined {
  const values = new Map<string, string>();
  if (query === '') return values;
  for (const pair of query.split('&')) {
    const equals = pair.indexOf('=');
    const name = equals === -1 ? pair : pair.slice(0, equals);
    const value = equals === -1 ? '' : pair.slice(equals + 1);
    if (name !== 'o' && name !== 'e' && name !== 's') continue; // e.g. tracking parameters a mail system adds
    // Two of one parameter could be read differently by different layers: refuse the ambiguity.
    if (values.has(name)) return undefined;
    values.set(name, value);
  }
  return values;
}

/**
 * Reads a link's fields from the path and query it arrived on. Never throws: anything that is not
 * exactly one of our links is `malformed`. Values are not percent-decoded, because our fields never
 * need encoding; an encoded one was not written by us. A prefix before `/act` is allowed (an API
 * stage name such as `/prod`), and so are a fragment and unrelated query parameters.
 */
export function parseLinkPath(pathAndQuery: string): LinkParse {
  const malformed = { ok: false, reason: 'malformed' } as const;
  if (typeof pathAndQuery !== 'string' || pathAndQuery.length > MAX_LINK_LENGTH) return malformed;
  const hash = pathAndQuery.indexOf('#');
  const withoutFragment = hash === -1 ? pathAndQuery : pathAndQuery.slice(0, hash);
  const question = withoutFragment.indexOf('?');
  const path = question === -1 ? withoutFragment : withoutFragment.slice(0, question);
  const query = question === -1 ? '' : withoutFragment.slice(question + 1);

  const segments = path.split('/');
  if (segments.length < 4 || segments[0] !== '') return malformed;
  const [act, taskId, decision] = segments.slice(-3);
  if (act !== 'act') return malformed;
  const prefix = segments.slice(1, -3);
  if (!prefix.every((segment) => /^[A-Za-z0-9._~-]+$/.test(segment))) return malformed;

  const values = queryValues(query);
  if (!values) return malformed;
  const parsed = signedSchema.safeParse({
    taskId,
    decision,
    officer: values.get('o'),
    expires: values.get('e'),
    signature: values.get('s'),
  });
  if (!parsed.success) return malformed;
  return { ok: true, ...parsed.data };
}

/** Parse and verify in one step, for handlers that hold the raw path and query. */
export function verifyLinkPath(key: Buffer, pathAndQuery: string, now: Date): LinkVerification {
  const parsed = parseLinkPath(pathAndQuery);
  if (!parsed.ok) {
    // Still insist on a usable key and clock, so a misconfiguration is not hidden behind bad input.
    assertKey(key);
    assertNow(now);
    return parsed;
  }
  return verifyLink(key, parsed, now);
}

/** The confirmation page's hidden form token: bound to the link's fields, under its own purpose. */
export function formToken(key: Buffer, claim: LinkClaim): string {
  assertKey(key);
  const parsed = claimSchema.safeParse(claim);
  if (!parsed.success) throw new InvalidLinkFields('Cannot make a form token for fields that are not a link');
  return mac(key, 'form', parsed.data);
}

/** Checks a POSTed form token against the link fields it came with, and the link's expiry. */
export function verifyFormToken(key: Buffer, fields: LinkClaim & { token: string }, now: Date): LinkVerification {
  assertKey(key);
  assertNow(now);
  const parsed = formSchema.safeParse(fields);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const { token, ...claim } = parsed.data;
  return verify(key, 'form', claim, token, now);
}

/** A fresh key: 32 random bytes, as long as the HMAC-SHA256 output. */
export function generateKey(random: (size: number) => Buffer = randomBytes): Buffer {
  return random(MIN_KEY_BYTES);
}

/**
 * A key from configuration (a secret holding base64 or base64url text). Strict, because Node's
 * decoder silently skips characters it does not know and a mangled secret would otherwise become
 * a different, shorter key.
 */
export function keyFromBase64(text: string): Buffer {
  if (typeof text !== 'string') throw new InvalidLinkKey('The link key must be base64 text');
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(trimmed)) throw new InvalidLinkKey('The link key is not base64');
  const body = trimmed.replace(/=+$/, '');
  if (body.length % 4 === 1) throw new InvalidLinkKey('The link key is not base64 (bad length)');
  const key = Buffer.from(body, 'base64');
  if (key.length < MIN_KEY_BYTES) {
    throw new InvalidLinkKey(`The link key must be at least ${MIN_KEY_BYTES} bytes; it is ${key.length}`);
  }
  return key;
}
