/**
 * Signed links for the provider's side (confirm receipt of a letter, answer the evidence).
 * Providers have no accounts: a link is scoped to one provider, one case and one request, and
 * expires. It is built like the officers' links (`links.ts`) but signed under purposes of its own,
 * so an officer's link can never be passed off as a provider's, nor the other way round:
 *
 *   /provider/<caseId>/<requestId>?p=<providerId>&e=<epochSeconds>&s=<base64url signature>
 *
 * GET shows a page and never acts; the page's form carries a form token (the same fields under a
 * third purpose). "Works once" is the request record's status, checked by the handler.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { assertKey, assertNow, InvalidLinkFields, LINK_FIELD_PATTERN, sameDigest, type LinkFailure } from './links';

const PURPOSE = { link: 'provider-link-v1', form: 'provider-form-v1' } as const;
type Purpose = keyof typeof PURPOSE;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;
const EXPIRES = /^(0|[1-9][0-9]{0,12})$/;
const MAX_LINK_LENGTH = 2048;
/** Case ids carry dashes and digits (`1-1000000001-20261116`); request ids are hex. */
const CASE_ID = /^[A-Za-z0-9_-]{1,120}$/;

export interface ProviderClaim {
  caseId: string;
  requestId: string;
  providerId: string;
  /** Epoch seconds. */
  expires: number;
}

export type ProviderLinkCheck = ({ ok: true; expiresAt: Date } & ProviderClaim) | { ok: false; reason: LinkFailure };

const claimSchema = z.object({
  caseId: z.string().regex(CASE_ID),
  requestId: z.string().regex(LINK_FIELD_PATTERN),
  providerId: z.string().regex(LINK_FIELD_PATTERN),
  expires: z.union([z.number().int().min(0), z.string().regex(EXPIRES).transform(Number)]),
});

function canonical(purpose: Purpose, claim: ProviderClaim): string {
  return [PURPOSE[purpose], claim.caseId, claim.requestId, claim.providerId, String(claim.expires)].join('\n');
}

function mac(key: Buffer, purpose: Purpose, claim: ProviderClaim): string {
  return createHmac('sha256', key).update(canonical(purpose, claim), 'utf8').digest('base64url');
}

export function providerClaim(fields: { caseId: string; requestId: string; providerId: string; expiresAt: Date }): ProviderClaim {
  const parsed = claimSchema.safeParse({ ...fields, expires: Math.floor(fields.expiresAt.getTime() / 1000) });
  if (!parsed.success || Number.isNaN(fields.expiresAt.getTime())) throw new InvalidLinkFields(`Cannot sign a provider link for ${JSON.stringify(fields)}`);
  return parsed.data;
}

/** The link's path and query; the caller puts the base URL in front. */
export function signProviderLink(key: Buffer, fields: { caseId: string; requestId: string; providerId: string; expiresAt: Date }): string {
  assertKey(key);
  const claim = providerClaim(fields);
  return `/provider/${claim.caseId}/${claim.requestId}?p=${claim.providerId}&e=${claim.expires}&s=${mac(key, 'link', claim)}`;
}

function verify(key: Buffer, purpose: Purpose, claim: ProviderClaim, given: string, now: Date): ProviderLinkCheck {
  if (!SIGNATURE.test(given) || !sameDigest(mac(key, purpose, claim), given)) return { ok: false, reason: 'tampered' };
  const expiresAt = new Date(claim.expires * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, ...claim, expiresAt };
}

/** Parses and verifies a provider link as it arrived (path and raw query). Never throws on bad input. */
export function verifyProviderLinkPath(key: Buffer, pathAndQuery: string, now: Date): ProviderLinkCheck & { signature?: string } {
  assertKey(key);
  assertNow(now);
  const malformed = { ok: false, reason: 'malformed' } as const;
  if (typeof pathAndQuery !== 'string' || pathAndQuery.length > MAX_LINK_LENGTH) return malformed;
  const withoutFragment = pathAndQuery.split('#')[0]!;
  const question = withoutFragment.indexOf('?');
  const path = question === -1 ? withoutFragment : withoutFragment.slice(0, question);
  const query = question === -1 ? '' : withoutFragment.slice(question + 1);
  const segments = path.split('/');
  if (segments.length !== 4 || segments[0] !== '' || segments[1] !== 'provider') return malformed;
  const values = new Map<string, string>();
  for (const pair of query.split('&').filter(Boolean)) {
    const [name = '', value = ''] = pair.split('=', 2);
    if (!['p', 'e', 's'].includes(name)) continue;
    if (values.has(name)) return malformed;
    values.set(name, value);
  }
  const parsed = claimSchema.safeParse({ caseId: segments[2], requestId: segments[3], providerId: values.get('p'), expires: values.get('e') });
  const signature = values.get('s');
  if (!parsed.success || !signature || !SIGNATURE.test(signature)) return malformed;
  return verify(key, 'link', parsed.data, signature, now);
}

/** The hidden form token on a provider page: the link's fields under the form purpose. */
export function providerFormToken(key: Buffer, claim: ProviderClaim): string {
  assertKey(key);
  return mac(key, 'form', claim);
}

export function verifyProviderFormToken(key: Buffer, claim: ProviderClaim, token: string, now: Date): ProviderLinkCheck {
  assertKey(key);
  assertNow(now);
  return verify(key, 'form', claim, token, now);
}
