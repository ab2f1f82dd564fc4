import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  InvalidLinkFields,
  InvalidLinkKey,
  MIN_KEY_BYTES,
  formToken,
  generateKey,
  keyFromBase64,
  parseLinkPath,
  signLink,
  verifyFormToken,
  verifyLink,
  verifyLinkPath,
  type ParsedLink,
} from '../../functions/lib/links';

const key = Buffer.alloc(32, 7);
const otherKey = Buffer.alloc(32, 8);
const expiresAt = new Date('2025-06-15T12:00:00.000Z');
const expires = Math.floor(expiresAt.getTime() / 1000);
const before = new Date('2025-06-01T09:00:00Z');
const link = { taskId: 'task_01HXYZ-abc', officer: 'jane-smith', decision: 'approve', expiresAt };

function parsed(path: string): ParsedLink {
  const result = parseLinkPath(path);
  if (!result.ok) throw new Error(`expected ${path} to parse`);
  return result;
}

/** Replaces one query parameter's value, leaving the rest of the path as signed. */
function withParam(path: string, name: string, value: string): string {
  return path.replace(new RegExp(`([?&]${name}=)[^&]*`), `$1${value}`);
}

/** Flips one character of a base64url string to another valid one. */
function flip(text: string, index: number): string {
  const char = text[index] === 'A' ? 'B' : 'A';
  return text.slice(0, index) + char + text.slice(index + 1);
}

describe('signLink', () => {
  it('gives the documented path shape with a 43-character base64url signature', () => {
    const path = signLink(key, link);
    expect(path).toMatch(
      new RegExp(`^/act/task_01HXYZ-abc/approve\\?o=jane-smith&e=${expires}&s=[A-Za-z0-9_-]{43}$`),
    );
  });

  it('signs the versioned canonical string "link-v1\\n<taskId>\\n<officer>\\n<decision>\\n<exp>"', () => {
    const expected = createHmac('sha256', key)
      .update(`link-v1\ntask_01HXYZ-abc\njane-smith\napprove\n${expires}`)
      .digest('base64url');
    expect(parsed(signLink(key, link)).signature).toBe(expected);
  });

  it('is deterministic and depends on the key', () => {
    expect(signLink(key, link)).toBe(signLink(key, link));
    expect(signLink(otherKey, link)).not.toBe(signLink(key, link));
  });

  it('carries only the task id, decision, officer, expiry and signature (no task token)', () => {
    const path = signLink(key, link);
    const url = new URL(path, 'https://example.invalid');
    expect([...url.searchParams.keys()].sort()).toEqual(['e', 'o', 's']);
    expect(url.pathname.split('/')).toEqual(['', 'act', link.taskId, link.decision]);
  });

  it('rounds a fractional-second expiry down, never extending the link', () => {
    const path = signLink(key, { ...link, expiresAt: new Date('2025-06-15T12:00:00.999Z') });
    expect(parsed(path).expires).toBe(expires);
  });

  it.each([
    ['taskId', ''],
    ['taskId', 'a'.repeat(101)],
    ['taskId', 'has space'],
    ['officer', 'jane\nsmith'],
    ['officer', 'jane&x=1'],
    ['decision', 'approve/1'],
    ['decision', 'apprové'],
  ])('refuses to sign %s = %j', (field, value) => {
    expect(() => signLink(key, { ...link, [field]: value })).toThrow(InvalidLinkFields);
  });

  it('accepts fields of exactly 100 characters', () => {
    const long = 'a'.repeat(100);
    const path = signLink(key, { ...link, taskId: long, officer: long, decision: long });
    expect(verifyLinkPath(key, path, before).ok).toBe(true);
  });

  it('refuses an invalid or pre-1970 expiry', () => {
    expect(() => signLink(key, { ...link, expiresAt: new Date('nope') })).toThrow(InvalidLinkFields);
    expect(() => signLink(key, { ...link, expiresAt: new Date(-5000) })).toThrow(InvalidLinkFields);
  });

  it('refuses a short or missing key', () => {
    expect(() => signLink(Buffer.alloc(16), link)).toThrow(InvalidLinkKey);
    expect(() => signLink(Buffer.alloc(0), link)).toThrow(InvalidLinkKey);
    expect(() => signLink('secret' as unknown as Buffer, link)).toThrow(InvalidLinkKey);
  });
});

describe('verifyLink', () => {
  const path = signLink(key, link);

  it('accepts a genuine link before its expiry and returns what it offers', () => {
    const result = verifyLink(key, parsed(path), before);
    expect(result).toEqual({
      ok: true,
      taskId: link.taskId,
      decision: 'approve',
      officer: 'jane-smith',
      expiresAt,
    });
  });

  it('accepts expiry as text, as a query string gives it', () => {
    const fields = parsed(path);
    expect(verifyLink(key, { ...fields, expires: String(fields.expires) }, before).ok).toBe(true);
  });

  it('is valid up to the second before expiry and expired from the expiry on', () => {
    const fields = parsed(path);
    expect(verifyLink(key, fields, new Date(expiresAt.getTime() - 1)).ok).toBe(true);
    expect(verifyLink(key, fields, expiresAt)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyLink(key, fields, new Date('2030-01-01T00:00:00Z'))).toEqual({ ok: false, reason: 'expired' });
  });

  it.each([
    ['taskId', 'task_01HXYZ-abd'],
    ['decision', 'reject'],
    ['officer', 'john-smith'],
  ] as const)('says tampered when %s is changed', (field, value) => {
    expect(verifyLink(key, { ...parsed(path), [field]: value }, before)).toEqual({ ok: false, reason: 'tampered' });
  });

  it('says tampered when the expiry is extended', () => {
    expect(verifyLink(key, { ...parsed(path), expires: expires + 86_400 }, before)).toEqual({
      ok: false,
      reason: 'tampered',
    });
  });

  it('says tampered for any single changed character of the signature', () => {
    const fields = parsed(path);
    for (let index = 0; index < fields.signature.length; index += 1) {
      const result = verifyLink(key, { ...fields, signature: flip(fields.signature, index) }, before);
      expect(result).toEqual({ ok: false, reason: 'tampered' });
    }
  });

  it('says tampered under a different key', () => {
    expect(verifyLink(otherKey, parsed(path), before)).toEqual({ ok: false, reason: 'tampered' });
  });

  it('checks the signature before the expiry: a forged, expired link is "tampered", not "expired"', () => {
    const forged = { ...parsed(path), decision: 'reject' };
    expect(verifyLink(key, forged, new Date('2030-01-01T00:00:00Z'))).toEqual({ ok: false, reason: 'tampered' });
  });

  it('does not reveal whether a forged link would be in date', () => {
    const forgedPast = { ...parsed(path), expires: 1 };
    const forgedFuture = { ...parsed(path), expires: expires + 1 };
    expect(verifyLink(key, forgedPast, before)).toEqual(verifyLink(key, forgedFuture, before));
  });

  it.each([
    ['a task id with a space', { taskId: 'task 1' }],
    ['an empty officer', { officer: '' }],
    ['an officer of 101 characters', { officer: 'o'.repeat(101) }],
    ['a newline in the decision', { decision: 'approve\nreject' }],
    ['a fractional expiry', { expires: 1.5 }],
    ['a negative expiry', { expires: -1 }],
    ['a non-numeric expiry', { expires: '12abc' }],
    ['a leading-zero expiry', { expires: '0123' }],
    ['an expiry beyond any Date', { expires: 9e15 }],
    ['a short signature', { signature: 'abc' }],
    ['a padded signature', { signature: `${'A'.repeat(43)}=` }],
    ['a signature in standard base64', { signature: `${'A'.repeat(42)}+` }],
    ['a missing signature', { signature: undefined }],
  ])('says malformed for %s', (_label, change) => {
    const fields = { ...parsed(path), ...change } as unknown as ParsedLink;
    expect(verifyLink(key, fields, before)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('says malformed for a link that is not an object at all', () => {
    expect(verifyLink(key, null as unknown as ParsedLink, before)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('throws on a short key or an invalid clock rather than answering', () => {
    expect(() => verifyLink(Buffer.alloc(31), parsed(path), before)).toThrow(InvalidLinkKey);
    expect(() => verifyLink(key, parsed(path), new Date('x'))).toThrow(TypeError);
  });
});

describe('parseLinkPath', () => {
  const path = signLink(key, link);
  const signature = parsed(path).signature;

  it('reads every field back', () => {
    expect(parseLinkPath(path)).toEqual({
      ok: true,
      taskId: link.taskId,
      decision: 'approve',
      officer: 'jane-smith',
      expires,
      signature,
    });
  });

  it('accepts the parameters in any order', () => {
    expect(parseLinkPath(`/act/${link.taskId}/approve?s=${signature}&e=${expires}&o=jane-smith`).ok).toBe(true);
  });

  it('accepts a stage prefix, a fragment and unrelated parameters', () => {
    expect(verifyLinkPath(key, `/prod${path}`, before).ok).toBe(true);
    expect(verifyLinkPath(key, `${path}#top`, before).ok).toBe(true);
    expect(verifyLinkPath(key, `${path}&utm_source=email`, before).ok).toBe(true);
    expect(verifyLinkPath(key, path.replace('?', '?utm_source=email&'), before).ok).toBe(true);
  });

  it.each([
    ['an empty string', ''],
    ['a bare slash', '/'],
    ['no query', `/act/${link.taskId}/approve`],
    ['a relative path', `act/${link.taskId}/approve?o=jane-smith&e=${expires}&s=${signature}`],
    ['another route', `/acts/${link.taskId}/approve?o=jane-smith&e=${expires}&s=${signature}`],
    ['a trailing slash', `/act/${link.taskId}/approve/?o=jane-smith&e=${expires}&s=${signature}`],
    ['an extra segment', `/act/${link.taskId}/approve/x?o=jane-smith&e=${expires}&s=${signature}`],
    ['a missing decision', `/act/${link.taskId}?o=jane-smith&e=${expires}&s=${signature}`],
    ['an empty prefix segment', `//act/${link.taskId}/approve?o=jane-smith&e=${expires}&s=${signature}`],
    ['a missing officer', `/act/${link.taskId}/approve?e=${expires}&s=${signature}`],
    ['a missing expiry', `/act/${link.taskId}/approve?o=jane-smith&s=${signature}`],
    ['a missing signature', `/act/${link.taskId}/approve?o=jane-smith&e=${expires}`],
    ['a duplicated officer', `${path}&o=john-smith`],
    ['a duplicated signature', `${path}&s=${signature}`],
    ['a percent-encoded field', path.replace('jane-smith', 'jane%2Dsmith')],
    ['a plus in a field', path.replace('jane-smith', 'jane+smith')],
    ['an absolute URL', `https://example.org${path}`],
    ['a protocol-relative URL', `//evil.example${path}`],
    ['an overlong input', `${path}&x=${'a'.repeat(3000)}`],
    ['a decimal expiry', withParam(path, 'e', `${expires}.0`)],
    ['a hex expiry', withParam(path, 'e', '0x10')],
    ['an empty signature', withParam(path, 's', '')],
  ])('says malformed for %s', (_label, input) => {
    expect(parseLinkPath(input)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('says malformed for non-strings instead of throwing', () => {
    for (const input of [undefined, null, 42, {}, []]) {
      expect(parseLinkPath(input as unknown as string)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('never throws on 1,000 random strings, and answers malformed or well-formed fields', () => {
    const alphabet = '/?&=#%act0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.~+ \n\u0000\u2028é😀';
    const chars = [...alphabet];
    let seed = 20250601;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let n = 0; n < 1000; n += 1) {
      const length = Math.floor(random() * 200);
      let input = n % 2 === 0 ? '/act/' : '';
      for (let i = 0; i < length; i += 1) input += chars[Math.floor(random() * chars.length)] ?? '';
      const result = parseLinkPath(input);
      if (result.ok) {
        expect(result.taskId).toMatch(/^[A-Za-z0-9_-]{1,100}$/);
        expect(result.signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
      } else {
        expect(result).toEqual({ ok: false, reason: 'malformed' });
      }
      expect(verifyLinkPath(key, input, before).ok).toBe(false);
    }
  });

  it('never throws on random bytes from node:crypto either', () => {
    for (let n = 0; n < 1000; n += 1) {
      const input = randomBytes(1 + (n % 120)).toString('latin1');
      expect(() => parseLinkPath(input)).not.toThrow();
      expect(() => verifyLinkPath(key, `/act/${input}`, before)).not.toThrow();
    }
  });

  it('lets no single-character change to a genuine link through with different fields', () => {
    const chars = [...'abcxyzABC019-_/?&=#%.'];
    for (let index = 0; index < path.length; index += 1) {
      for (const char of chars) {
        const mutated = path.slice(0, index) + char + path.slice(index + 1);
        if (mutated === path) continue;
        const result = verifyLinkPath(key, mutated, before);
        if (result.ok) {
          // Only harmless changes (e.g. into an ignored parameter or a fragment) may still verify.
          expect(result).toEqual(verifyLinkPath(key, path, before));
        }
      }
    }
  });
});

describe('form tokens', () => {
  const fields = parsed(signLink(key, link));
  const claim = { taskId: fields.taskId, decision: fields.decision, officer: fields.officer, expires: fields.expires };

  it('verify for the link they were made for', () => {
    const token = formToken(key, claim);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(verifyFormToken(key, { ...claim, token }, before)).toEqual({
      ok: true,
      taskId: link.taskId,
      decision: 'approve',
      officer: 'jane-smith',
      expiresAt,
    });
  });

  it('use their own purpose, so a link signature is not a form token and vice versa', () => {
    const token = formToken(key, claim);
    expect(token).not.toBe(fields.signature);
    expect(token).toBe(
      createHmac('sha256', key).update(`form-v1\ntask_01HXYZ-abc\njane-smith\napprove\n${expires}`).digest('base64url'),
    );
    expect(verifyFormToken(key, { ...claim, token: fields.signature }, before)).toEqual({
      ok: false,
      reason: 'tampered',
    });
    expect(verifyLink(key, { ...claim, signature: token }, before)).toEqual({ ok: false, reason: 'tampered' });
  });

  it.each([
    ['taskId', 'other-task'],
    ['decision', 'reject'],
    ['officer', 'john-smith'],
    ['expires', expires + 1],
  ] as const)('are bound to the link: a changed %s is tampered', (field, value) => {
    const token = formToken(key, claim);
    expect(verifyFormToken(key, { ...claim, [field]: value, token }, before)).toEqual({
      ok: false,
      reason: 'tampered',
    });
  });

  it('expire with the link, after the signature check', () => {
    const token = formToken(key, claim);
    expect(verifyFormToken(key, { ...claim, token }, expiresAt)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyFormToken(key, { ...claim, token: flip(token, 0) }, expiresAt)).toEqual({
      ok: false,
      reason: 'tampered',
    });
  });

  it('are refused under another key', () => {
    expect(verifyFormToken(otherKey, { ...claim, token: formToken(key, claim) }, before)).toEqual({
      ok: false,
      reason: 'tampered',
    });
  });

  it('say malformed for a malformed token or claim', () => {
    const token = formToken(key, claim);
    expect(verifyFormToken(key, { ...claim, token: 'short' }, before)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyFormToken(key, { ...claim, officer: 'a b', token }, before)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('cannot be made for fields that are not a link', () => {
    expect(() => formToken(key, { ...claim, taskId: 'bad id' })).toThrow(InvalidLinkFields);
    expect(() => formToken(key, { ...claim, expires: -1 })).toThrow(InvalidLinkFields);
    expect(() => formToken(Buffer.alloc(8), claim)).toThrow(InvalidLinkKey);
  });
});

describe('keys', () => {
  it('generateKey gives 32 fresh random bytes', () => {
    const a = generateKey();
    const b = generateKey();
    expect(a).toBeInstanceOf(Buffer);
    expect(a.length).toBe(MIN_KEY_BYTES);
    expect(a.equals(b)).toBe(false);
  });

  it('generateKey takes its randomness as an argument', () => {
    expect(generateKey((size) => Buffer.alloc(size, 1)).equals(Buffer.alloc(32, 1))).toBe(true);
  });

  it('keyFromBase64 reads standard and URL-safe base64, padded or not, with surrounding whitespace', () => {
    const original = generateKey();
    expect(keyFromBase64(original.toString('base64')).equals(original)).toBe(true);
    expect(keyFromBase64(original.toString('base64url')).equals(original)).toBe(true);
    expect(keyFromBase64(`  ${original.toString('base64')}\n`).equals(original)).toBe(true);
    const long = randomBytes(48);
    expect(keyFromBase64(long.toString('base64')).equals(long)).toBe(true);
  });

  it('a key read back signs the same links', () => {
    const original = generateKey();
    const copy = keyFromBase64(original.toString('base64'));
    expect(signLink(copy, link)).toBe(signLink(original, link));
  });

  it.each([
    ['empty', ''],
    ['too short', Buffer.alloc(16).toString('base64')],
    ['not base64', `${'A'.repeat(40)}!!!`],
    ['with a space inside', `${'A'.repeat(22)} ${'A'.repeat(22)}`],
    ['too much padding', `${'A'.repeat(43)}===`],
    ['an impossible length', 'A'.repeat(45)],
  ])('keyFromBase64 refuses %s text', (_label, text) => {
    expect(() => keyFromBase64(text)).toThrow(InvalidLinkKey);
  });

  it('names its errors', () => {
    expect(() => keyFromBase64('')).toThrow(expect.objectContaining({ name: 'InvalidLinkKey' }));
    expect(() => signLink(key, { ...link, taskId: '' })).toThrow(expect.objectContaining({ name: 'InvalidLinkFields' }));
  });
});
