/**
 * The provider's side of a case, without provider accounts: each formal letter carries a
 * "confirm receipt" link per addressee, and before the Board considers a referral the provider is
 * sent the grounds with a link to answer them (a written response and evidence files). Each link
 * is a request record on the case (`PROVIDERREQ#<id>`), scoped to one provider and one case,
 * signed (`../lib/provider-links.ts`), expiring, and usable once; a daily sweep reminds the
 * provider and tells the officer about letters not confirmed in time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Email } from '../lib/mailer';
import type { AppConfig } from '../lib/config';
import { html } from '../lib/html';
import { longDate, dateTimeWords } from '../lib/dates';
import { addDays } from '../lib/clock';
import { addUkWorkingDays } from '../lib/working-days';
import { providerFormToken, signProviderLink, verifyProviderFormToken, verifyProviderLinkPath, type ProviderClaim } from '../lib/provider-links';
import type { EmailRecord } from '../lib/model';
import * as letters from './letters';
import { boardEmails, boardLetterRecipients, caseUrl, loadCase, send, type CaseContext, type LadderDeps } from './context';

/** The formal letters whose receipt the provider is asked to confirm (seed 003 Tables 4 and 5). */
export const RECEIPT_LETTER_KINDS: ReadonlySet<string> = new Set([
  'qualityImprovementNotice',
  'contractPerformanceNotice',
  'qimInvitation',
  'serviceProviderDefault',
  'rectificationNotice',
  'finalWarningNotice',
  'letterOfTermination',
]);

const evidenceFileSchema = z.object({
  /** The name as shown and downloaded: sanitised. */
  name: z.string(),
  /** What the content is, from its first bytes. */
  type: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string(),
  /** Where it is kept (a key in the evidence store). */
  key: z.string(),
});
export type EvidenceFile = z.infer<typeof evidenceFileSchema>;

export const providerRequestSchema = z.object({
  requestId: z.string(),
  caseId: z.string(),
  providerId: z.string(),
  kind: z.enum(['receipt', 'response']),
  /** receipt: the letter's kind and subject; response: the invitation's. */
  letterKind: z.string(),
  subject: z.string(),
  /** Whom the link was sent to. */
  addressee: z.string(),
  createdAt: z.string(),
  /** The letter's SES message id, once sent (a bounce is matched by it). */
  messageId: z.string().optional(),
  /** Receipt: when it is overdue; response: the date the provider was given. */
  dueAt: z.string(),
  linkExpiresAt: z.string(),
  status: z.enum(['open', 'done']),
  doneAt: z.string().optional(),
  /** The name the person gave, with the address the link went to. */
  doneBy: z.string().optional(),
  source: z.string().optional(),
  remindedAt: z.string().optional(),
  officerToldAt: z.string().optional(),
  response: z.object({ text: z.string(), files: z.array(evidenceFileSchema) }).optional(),
  addendumSentAt: z.string().optional(),
  version: z.number().int(),
});
export type ProviderRequest = z.infer<typeof providerRequestSchema>;

const PREFIX = 'PROVIDERREQ#';
const INDEX = 'PROVIDERREQS';

function requestKey(caseId: string, requestId: string) {
  return { pk: `CASE#${caseId}`, sk: `${PREFIX}${requestId}` };
}

async function saveRequest(deps: Pick<LadderDeps, 'store'>, request: Omit<ProviderRequest, 'version'>, expected: number | undefined): Promise<boolean> {
  return deps.store.putVersioned(requestKey(request.caseId, request.requestId), { gsi1pk: INDEX, gsi1sk: `${request.createdAt}#${request.caseId}#${request.requestId}` }, { ...request }, expected);
}

export async function getProviderRequest(deps: Pick<LadderDeps, 'store'>, caseId: string, requestId: string): Promise<ProviderRequest | undefined> {
  const item = await deps.store.getRaw(requestKey(caseId, requestId));
  const parsed = item ? providerRequestSchema.safeParse(item) : undefined;
  return parsed?.success ? parsed.data : undefined;
}

export async function listProviderRequests(deps: Pick<LadderDeps, 'store'>, caseId: string): Promise<ProviderRequest[]> {
  const items = await deps.store.listUnder(`CASE#${caseId}`, PREFIX);
  return items.flatMap((item) => {
    const parsed = providerRequestSchema.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  }).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** The council's own addresses: a letter's copies to them need no confirm-receipt link. */
export function councilAddresses(config: AppConfig): Set<string> {
  const { mail } = config;
  return new Set(
    [mail.sender, mail.qualityTeam, mail.safeguardingTeam, mail.procurementTeam, mail.administrator, ...config.officers.map((officer) => officer.email), ...config.board.members.map((member) => member.email)].map((address) => address.toLowerCase()),
  );
}

export function providerLinkUrl(deps: Pick<LadderDeps, 'config' | 'signingKey'>, request: Pick<ProviderRequest, 'caseId' | 'requestId' | 'providerId' | 'linkExpiresAt'>): string {
  return `${deps.config.authority.baseUrl}${signProviderLink(deps.signingKey, { caseId: request.caseId, requestId: request.requestId, providerId: request.providerId, expiresAt: new Date(request.linkExpiresAt) })}`;
}

function requestId(deps: LadderDeps, parts: string[]): string {
  // The same step retried writes the same letter with the same links (so it is sent once).
  const seed = deps.sendScope ?? randomBytes(16).toString('hex');
  return createHash('sha256').update([seed, ...parts].join('\n')).digest('hex').slice(0, 32);
}

/**
 * A formal letter with a confirm-receipt link for each of the provider's people it goes to, and
 * the requests those links answer. Other emails come back as they are.
 */
export async function withReceiptLinks(deps: LadderDeps, email: Email): Promise<{ email: Email; requests: string[] }> {
  if (!RECEIPT_LETTER_KINDS.has(email.kind)) return { email, requests: [] };
  const record = await deps.store.getCase(email.caseId);
  if (!record) return { email, requests: [] };
  const council = councilAddresses(deps.config);
  const addressees = [...new Set([...email.to, ...(email.cc ?? [])].filter((address) => address && !council.has(address.toLowerCase())))];
  if (addressees.length === 0) return { email, requests: [] };
  const now = deps.clock.now();
  const side = deps.config.providerSide;
  const links: Array<{ addressee: string; url: string }> = [];
  const requests: string[] = [];
  for (const addressee of addressees) {
    const request: Omit<ProviderRequest, 'version'> = {
      requestId: requestId(deps, [email.caseId, email.kind, email.subject, addressee]),
      caseId: email.caseId,
      providerId: record.providerId,
      kind: 'receipt',
      letterKind: email.kind,
      subject: email.subject,
      addressee,
      createdAt: now.toISOString(),
      dueAt: addUkWorkingDays(now, side.receiptWorkingDays, { extra: side.extraBankHolidays, removed: side.notBankHolidays }).toISOString(),
      linkExpiresAt: addDays(now, side.linkDays).toISOString(),
      status: 'open',
    };
    // A retry finds the request already written: its link is the same.
    await saveRequest(deps, request, undefined);
    const saved = (await getProviderRequest(deps, email.caseId, request.requestId)) ?? { ...request, version: 1 };
    links.push({ addressee, url: providerLinkUrl(deps, saved) });
    requests.push(request.requestId);
  }
  const text = `${email.text}\n\nCONFIRM RECEIPT\n\nPlease confirm that this letter has reached you. Each person it is addressed to has their own link; it opens a page where you confirm.\n\n${links.map((link) => `Confirm receipt (${link.addressee}): ${link.url}`).join('\n')}\n`;
  const section = html`<h2>Confirm receipt</h2><p>Please confirm that this letter has reached you. Each person it is addressed to has their own link; it opens a page where you confirm.</p>${links.map((link) => html`<p><a href="${link.url}">Confirm receipt (${link.addressee})</a></p>`)}`;
  const at = email.html.lastIndexOf('</body>');
  const body = at === -1 ? `${email.html}${section.value}` : `${email.html.slice(0, at)}${section.value}\n${email.html.slice(at)}`;
  return { email: { ...email, text, html: body }, requests };
}

/** After the letter went: its message id on each request, so a bounce is matched to it. */
export async function noteLetterSent(deps: LadderDeps, caseId: string, requests: readonly string[], messageId: string): Promise<void> {
  for (const id of requests) {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const current = await getProviderRequest(deps, caseId, id);
      if (!current || current.messageId === messageId) break;
      const { version, ...rest } = current;
      if (await saveRequest(deps, { ...rest, messageId }, version)) break;
    }
  }
}

export type ReceiptState = 'confirmed' | 'bounced' | 'overdue' | 'awaiting';

/** A receipt's state: a bounced letter counts as not received. */
export function receiptState(request: ProviderRequest, emails: readonly EmailRecord[], now: Date): ReceiptState {
  if (request.status === 'done') return 'confirmed';
  const email = request.messageId ? emails.find((item) => item.messageId === request.messageId) : undefined;
  const bounced = email?.feedback.some((feedback) => feedback.type === 'bounce' && feedback.recipients.some((recipient) => recipient.toLowerCase() === request.addressee.toLowerCase()));
  if (bounced) return 'bounced';
  return now.getTime() >= new Date(request.dueAt).getTime() ? 'overdue' : 'awaiting';
}

export const RECEIPT_WORDS: Record<ReceiptState, string> = {
  confirmed: 'Confirmed',
  bounced: 'Bounced: not received',
  overdue: 'Not confirmed (overdue)',
  awaiting: 'Awaiting confirmation',
};

export interface ProviderSide {
  receipts: Array<ProviderRequest & { state: ReceiptState }>;
  responses: ProviderRequest[];
}

export async function providerSide(deps: Pick<LadderDeps, 'store' | 'clock'>, caseId: string, emails?: readonly EmailRecord[]): Promise<ProviderSide> {
  const [requests, sent] = await Promise.all([listProviderRequests(deps, caseId), emails ? Promise.resolve(emails) : deps.store.listEmails(caseId)]);
  const now = deps.clock.now();
  return {
    receipts: requests.filter((request) => request.kind === 'receipt').map((request) => ({ ...request, state: receiptState(request, sent, now) })),
    responses: requests.filter((request) => request.kind === 'response'),
  };
}

/** The lines the Board papers carry: which letters were confirmed, and the provider's response. */
export function providerSideLines(side: ProviderSide): { receipts: string[]; response: string[] } {
  const receipts = side.receipts.map((item) => `"${item.subject}" to ${item.addressee}: ${item.state === 'confirmed' ? `receipt confirmed by ${item.doneBy ?? item.addressee} on ${dateTimeWords(item.doneAt)}` : RECEIPT_WORDS[item.state].toLowerCase()}`);
  const latest = side.responses.at(-1);
  const response = !latest
    ? []
    : latest.status === 'done' && latest.response
      ? [`Responded on ${dateTimeWords(latest.doneAt)} (${latest.doneBy ?? latest.addressee}):`, latest.response.text, ...(latest.response.files.length ? [`Documents: ${latest.response.files.map((file) => file.name).join(', ')} (on the case page)`] : [])]
      : [`Invited to respond by ${longDate(latest.dueAt)}; no response yet. A response arriving later is sent to members as an addendum.`];
  return { receipts, response };
}

/**
 * Before the Board considers a referral: the provider is sent the grounds and a link to respond
 * (once per referral step: a retry sends it once).
 */
export async function inviteEvidenceResponse(deps: LadderDeps, context: CaseContext): Promise<void> {
  const recipients = boardLetterRecipients(context);
  const addressee = recipients.to[0] ?? context.contacts.registeredManager?.email;
  if (!addressee) return;
  const now = deps.clock.now();
  const side = deps.config.providerSide;
  const request: Omit<ProviderRequest, 'version'> = {
    requestId: requestId(deps, [context.record.caseId, 'response', addressee]),
    caseId: context.record.caseId,
    providerId: context.record.providerId,
    kind: 'response',
    letterKind: 'evidenceResponseInvitation',
    subject: `Your chance to respond before the Board: ${context.facts.locationName}`,
    addressee,
    createdAt: now.toISOString(),
    dueAt: addDays(now, side.responseDays).toISOString(),
    linkExpiresAt: addDays(now, Math.max(side.linkDays, side.responseDays + 7)).toISOString(),
    status: 'open',
  };
  await saveRequest(deps, request, undefined);
  const saved = (await getProviderRequest(deps, request.caseId, request.requestId)) ?? { ...request, version: 1 };
  const letter = letters.evidenceResponseInvitation(context.facts, { dueBy: longDate(saved.dueAt), link: providerLinkUrl(deps, saved), maxFileMegabytes: Math.floor(side.maxEvidenceBytes / (1024 * 1024)) });
  await send(deps, { caseId: request.caseId, kind: 'evidenceResponseInvitation', to: [addressee], cc: [...recipients.cc.filter((address) => address !== addressee), context.officer.email], ...letter });
  await deps.store.appendAudit({ caseId: request.caseId, at: now.toISOString(), actor: 'workflow', action: 'provider invited to respond to the evidence', detail: { to: addressee, dueBy: saved.dueAt } });
}

/**
 * The daily sweep: each formal letter not confirmed within the working days allowed gets one
 * reminder to its addressee (not when it bounced: that address does not work), and the lead
 * officer is told once per case. Safe to run twice: what was done is recorded on the request.
 */
export async function sweepProviderRequests(deps: LadderDeps): Promise<{ reminded: number; officersTold: number }> {
  const now = deps.clock.now();
  const all = (await deps.store.listRaw(INDEX)).flatMap((item) => {
    const parsed = providerRequestSchema.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
  const due = all.filter((request) => request.kind === 'receipt' && request.status === 'open' && !request.officerToldAt && now.getTime() >= new Date(request.dueAt).getTime());
  const byCase = new Map<string, ProviderRequest[]>();
  for (const request of due) byCase.set(request.caseId, [...(byCase.get(request.caseId) ?? []), request]);
  let reminded = 0;
  let officersTold = 0;
  for (const [caseId, requests] of byCase) {
    const context = await loadCase(deps, caseId);
    if (context.record.status === 'closed') continue;
    const emails = await deps.store.listEmails(caseId);
    const unconfirmed: letters.UnconfirmedLetter[] = [];
    for (const request of requests) {
      const state = receiptState(request, emails, now);
      const sentOn = longDate(request.createdAt);
      unconfirmed.push({ subject: request.subject, sentOn, addressee: state === 'bounced' ? `${request.addressee} (it bounced)` : request.addressee });
      if (state !== 'bounced' && !request.remindedAt) {
        const letter = letters.receiptReminder(context.facts, { subject: request.subject, sentOn, addressee: request.addressee, link: providerLinkUrl(deps, request) });
        await send({ ...deps, sendScope: `receipt-reminder-${request.requestId}` }, { caseId, kind: 'receiptReminder', to: [request.addressee], ...letter });
        reminded += 1;
      }
    }
    const letter = letters.receiptNotConfirmed(context.facts, unconfirmed, deps.config.providerSide.receiptWorkingDays, caseUrl(deps, caseId));
    await send({ ...deps, sendScope: `receipt-officer-${requests.map((request) => request.requestId).join('-')}` }, { caseId, kind: 'receiptNotConfirmed', to: [context.officer.email], ...letter });
    officersTold += 1;
    for (const request of requests) {
      const { version, ...rest } = request;
      await saveRequest(deps, { ...rest, remindedAt: now.toISOString(), officerToldAt: now.toISOString() }, version);
    }
    await deps.store.appendAudit({ caseId, at: now.toISOString(), actor: 'daily sweep', action: 'receipt not confirmed: provider reminded, officer told', detail: { letters: requests.map((request) => request.subject), addressees: requests.map((request) => request.addressee) } });
  }
  return { reminded, officersTold };
}

// ---- the pages' side: checking a link, acting on it ---------------------------------------

export type ProviderRefusal = 'malformed' | 'tampered' | 'expired' | 'unknown' | 'wrongProvider' | 'used' | 'badForm';

export interface ProviderLinkView {
  ok: true;
  request: ProviderRequest;
  context: CaseContext;
  claim: ProviderClaim;
  formToken: string;
}

export type ProviderLinkCheck = ProviderLinkView | { ok: false; refusal: ProviderRefusal; request?: ProviderRequest };

export async function inspectProviderLink(deps: LadderDeps, pathAndQuery: string): Promise<ProviderLinkCheck> {
  const check = verifyProviderLinkPath(deps.signingKey, pathAndQuery, deps.clock.now());
  if (!check.ok) return { ok: false, refusal: check.reason };
  const request = await getProviderRequest(deps, check.caseId, check.requestId);
  if (!request) return { ok: false, refusal: 'unknown' };
  const record = await deps.store.getCase(check.caseId);
  // Signed for one provider: a link naming another provider than the case's opens nothing.
  if (request.providerId !== check.providerId || record?.providerId !== check.providerId) return { ok: false, refusal: 'wrongProvider', request };
  if (request.status === 'done') return { ok: false, refusal: 'used', request };
  const claim: ProviderClaim = { caseId: check.caseId, requestId: check.requestId, providerId: check.providerId, expires: check.expires };
  return { ok: true, request, context: await loadCase(deps, check.caseId), claim, formToken: providerFormToken(deps.signingKey, claim) };
}

async function auditRefusal(deps: LadderDeps, check: ProviderLinkCheck, source: string): Promise<void> {
  if (check.ok || !check.request) return;
  await deps.store.appendAudit({ caseId: check.request.caseId, at: deps.clock.now().toISOString(), actor: `provider link (${check.request.addressee})`, action: `provider link refused: ${check.refusal}`, detail: { requestId: check.request.requestId, kind: check.request.kind }, source });
}

export const confirmFormSchema = z.object({
  formToken: z.string().max(100).default(''),
  name: z.string().trim().max(200).default(''),
});

export type ProviderActResult =
  | { ok: true; view: ProviderLinkView; request: ProviderRequest }
  | { ok: false; refusal: ProviderRefusal; request?: ProviderRequest }
  | { ok: false; refusal: 'badDetails'; view: ProviderLinkView; errors: Array<{ field: string; message: string }> };

/** Checks the link and the page's form token: what every POST does before it acts. */
async function checkPost(deps: LadderDeps, pathAndQuery: string, token: string, source: string): Promise<ProviderLinkCheck> {
  const check = await inspectProviderLink(deps, pathAndQuery);
  if (!check.ok) {
    await auditRefusal(deps, check, source);
    return check;
  }
  const form = verifyProviderFormToken(deps.signingKey, check.claim, token, deps.clock.now());
  if (!form.ok) {
    await auditRefusal(deps, { ok: false, refusal: 'badForm', request: check.request }, source);
    return { ok: false, refusal: 'badForm', request: check.request };
  }
  return check;
}

/** Marks the request done, once: a second POST (a replay, a double click) finds it done. */
async function complete(deps: LadderDeps, view: ProviderLinkView, change: Partial<ProviderRequest>): Promise<ProviderRequest | undefined> {
  const { version, ...rest } = view.request;
  const done = { ...rest, ...change, status: 'done' as const };
  return (await saveRequest(deps, done, version)) ? { ...done, version: version + 1 } : undefined;
}

export async function confirmReceipt(deps: LadderDeps, pathAndQuery: string, fields: Record<string, string>, source: string): Promise<ProviderActResult> {
  const form = confirmFormSchema.safeParse(fields);
  if (!form.success) return { ok: false, refusal: 'badForm' };
  const check = await checkPost(deps, pathAndQuery, form.data.formToken, source);
  if (!check.ok) return check;
  if (check.request.kind !== 'receipt') return { ok: false, refusal: 'badForm', request: check.request };
  if (!form.data.name) return { ok: false, refusal: 'badDetails', view: check, errors: [{ field: 'name', message: 'Enter your name' }] };
  const at = deps.clock.now().toISOString();
  const doneBy = `${form.data.name} (${check.request.addressee})`;
  const done = await complete(deps, check, { doneAt: at, doneBy, source });
  if (!done) return { ok: false, refusal: 'used', request: check.request };
  await deps.store.appendAudit({ caseId: done.caseId, at, actor: doneBy, action: 'provider confirmed receipt', detail: { letter: done.subject, kind: done.letterKind, requestId: done.requestId }, source });
  return { ok: true, view: check, request: done };
}

// ---- evidence files -------------------------------------------------------------------------

/** Where evidence files are kept: the data folder locally, S3 on AWS. */
export interface EvidenceStore {
  put(key: string, body: Buffer): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
}

export const MAX_EVIDENCE_FILES = 3;
export const MAX_RESPONSE_CHARS = 20_000;

/** The kinds taken, recognised by their first bytes (never by the name or the browser's word). */
const SIGNATURES: Array<{ type: string; label: string; magic: number[]; extensions: string[] }> = [
  { type: 'application/pdf', label: 'PDF', magic: [0x25, 0x50, 0x44, 0x46, 0x2d], extensions: ['pdf'] },
  { type: 'image/png', label: 'PNG image', magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], extensions: ['png'] },
  { type: 'image/jpeg', label: 'JPEG image', magic: [0xff, 0xd8, 0xff], extensions: ['jpg', 'jpeg'] },
  { type: 'image/gif', label: 'GIF image', magic: [0x47, 0x49, 0x46, 0x38], extensions: ['gif'] },
  // Word, Excel and PowerPoint: the current formats are ZIP packages, the older ones OLE compound files.
  { type: 'application/vnd.openxmlformats-officedocument', label: 'Office document', magic: [0x50, 0x4b, 0x03, 0x04], extensions: ['docx', 'xlsx', 'pptx'] },
  { type: 'application/x-ole-storage', label: 'Office document (older format)', magic: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], extensions: ['doc', 'xls', 'ppt'] },
];

/** Extensions never taken anywhere in a name (`report.pdf.exe`, `notes.exe.pdf`). */
const DANGEROUS = /\.(exe|com|bat|cmd|scr|pif|msi|msp|js|jse|vbs|vbe|wsf|wsh|ps1|psm1|hta|jar|lnk|dll|sh|app|docm|xlsm|pptm|dotm|xltm|html?|svg|xml|php|py|iso|img)(\.|$)/i;

/** A file's name made safe to store and to offer for download: letters, digits, `._-`, at most 100. */
export function sanitiseFileName(name: string): string {
  const base = name.split(/[\\/]/).at(-1) ?? '';
  const clean = base.normalize('NFKD').replace(/[^\w.-]+/g, '_').replace(/_+/g, '_').replace(/^[._]+/, '').slice(-100);
  return clean || 'evidence';
}

export type EvidenceCheck = { ok: true; name: string; type: string } | { ok: false; message: string };

/** Type by content, then the name's rules, then size. */
export function checkEvidenceFile(fileName: string, body: Buffer, maxBytes: number): EvidenceCheck {
  const shown = sanitiseFileName(fileName);
  if (body.length === 0) return { ok: false, message: `${shown} is empty` };
  if (body.length > maxBytes) return { ok: false, message: `${shown} is larger than ${Math.floor(maxBytes / (1024 * 1024))} MB` };
  if (DANGEROUS.test(fileName) || [...fileName].some((character) => character.charCodeAt(0) < 0x20)) return { ok: false, message: `${shown}: files of this kind are not accepted (the name has a program or web page extension)` };
  const extension = /\.([A-Za-z0-9]{1,5})$/.exec(shown)?.[1]?.toLowerCase() ?? '';
  const kind = SIGNATURES.find((signature) => signature.magic.every((byte, index) => body[index] === byte));
  if (!kind) return { ok: false, message: `${shown} is not a PDF, an image or an Office document (its content was checked, not its name)` };
  if (!kind.extensions.includes(extension)) return { ok: false, message: `${shown} is a ${kind.label}, but its name says otherwise: name it .${kind.extensions[0]}` };
  return { ok: true, name: shown, type: kind.type };
}

export interface ResponseInput {
  formToken: string;
  name: string;
  response: string;
  files: Array<{ fileName: string; body: Buffer }>;
}

export async function submitEvidenceResponse(deps: LadderDeps, evidence: EvidenceStore, pathAndQuery: string, input: ResponseInput, source: string): Promise<ProviderActResult> {
  const check = await checkPost(deps, pathAndQuery, input.formToken, source);
  if (!check.ok) return check;
  if (check.request.kind !== 'response') return { ok: false, refusal: 'badForm', request: check.request };
  const errors: Array<{ field: string; message: string }> = [];
  const name = input.name.trim();
  const text = input.response.trim();
  if (!name) errors.push({ field: 'name', message: 'Enter your name' });
  if (!text) errors.push({ field: 'response', message: 'Enter your response' });
  if (text.length > MAX_RESPONSE_CHARS) errors.push({ field: 'response', message: `Your response must be ${MAX_RESPONSE_CHARS} characters or fewer` });
  const files = input.files.filter((file) => file.body.length > 0 || file.fileName);
  if (files.length > MAX_EVIDENCE_FILES) errors.push({ field: 'evidence1', message: `Attach at most ${MAX_EVIDENCE_FILES} files` });
  const checked: Array<{ name: string; type: string; body: Buffer }> = [];
  files.slice(0, MAX_EVIDENCE_FILES).forEach((file, index) => {
    const result = checkEvidenceFile(file.fileName, file.body, deps.config.providerSide.maxEvidenceBytes);
    if (result.ok) checked.push({ name: result.name, type: result.type, body: file.body });
    else errors.push({ field: `evidence${index + 1}`, message: result.message });
  });
  if (errors.length) return { ok: false, refusal: 'badDetails', view: check, errors };
  // The files first, under their content's digest: a response recorded always has its files.
  const stored: EvidenceFile[] = [];
  for (const file of checked) {
    const sha256 = createHash('sha256').update(file.body).digest('hex');
    const key = `evidence/${check.request.caseId}/${check.request.requestId}/${sha256}`;
    await evidence.put(key, file.body);
    stored.push({ name: file.name, type: file.type, bytes: file.body.length, sha256, key });
  }
  const at = deps.clock.now().toISOString();
  const doneBy = `${name} (${check.request.addressee})`;
  const done = await complete(deps, check, { doneAt: at, doneBy, source, response: { text, files: stored } });
  if (!done) return { ok: false, refusal: 'used', request: check.request };
  await deps.store.appendAudit({ caseId: done.caseId, at, actor: doneBy, action: 'provider responded to the evidence', detail: { requestId: done.requestId, files: stored.map((file) => ({ name: file.name, bytes: file.bytes, sha256: file.sha256 })) }, source });
  await sendAddendumIfPapersWent(deps, done);
  return { ok: true, view: check, request: done };
}

/** The papers went out before the response came: the members get it as an addendum. */
async function sendAddendumIfPapersWent(deps: LadderDeps, request: ProviderRequest): Promise<void> {
  const emails = await deps.store.listEmails(request.caseId);
  const papersWent = emails.some((email) => email.kind === 'boardPapers' && email.at >= request.createdAt);
  if (!papersWent || !request.response) return;
  const context = await loadCase(deps, request.caseId);
  const letter = letters.providerResponseAddendum(context.facts, {
    receivedOn: dateTimeWords(request.doneAt),
    by: request.doneBy ?? request.addressee,
    text: request.response.text,
    files: request.response.files.map((file) => file.name),
    caseUrl: caseUrl(deps, request.caseId),
  });
  await send({ ...deps, sendScope: `addendum-${request.requestId}` }, { caseId: request.caseId, kind: 'boardAddendum', to: boardEmails(deps), cc: [context.officer.email], ...letter });
  const current = await getProviderRequest(deps, request.caseId, request.requestId);
  if (current) {
    const { version, ...rest } = current;
    await saveRequest(deps, { ...rest, addendumSentAt: deps.clock.now().toISOString() }, version);
  }
  await deps.store.appendAudit({ caseId: request.caseId, at: deps.clock.now().toISOString(), actor: 'workflow', action: "provider's response sent to the Board as an addendum", detail: { requestId: request.requestId } });
}

/** The summary line the Board's decision page shows for a case. */
export function responseSummary(side: ProviderSide): string {
  const latest = side.responses.at(-1);
  if (!latest) return 'Not invited to respond';
  if (latest.status === 'done') return `Responded on ${dateTimeWords(latest.doneAt)}${latest.response?.files.length ? ` with ${latest.response.files.length} document${latest.response.files.length === 1 ? '' : 's'}` : ''}`;
  return `Invited to respond by ${longDate(latest.dueAt)}: no response yet`;
}

