/**
 * A letter to the provider with nobody to send it to (no contact on record) is held on the case,
 * never redirected: the quality team is not the provider. The case shows "no provider contact" and
 * its held letters; once an officer adds a contact from the case, the held letters go to the
 * provider's people, each at most once.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Email } from '../lib/mailer';
import { keys } from '../lib/table';
import { html } from '../lib/html';
import { loadCase, providerRecipients, send, type LadderDeps } from '../ladder/context';

export const heldLetterSchema = z.object({
  kind: z.string(),
  subject: z.string(),
  text: z.string(),
  html: z.string(),
  cc: z.array(z.string()).default([]),
  at: z.string(),
  status: z.enum(['held', 'sent']),
  sentAt: z.string().optional(),
  sentTo: z.array(z.string()).optional(),
});
export type HeldLetter = z.infer<typeof heldLetterSchema> & { sk: string };

const PREFIX = 'HELD#';

/** Keeps the letter on the case (once per send scope: a retried step does not hold it twice). */
export async function holdLetter(deps: LadderDeps, email: Email): Promise<string> {
  const key = createHash('sha256').update([deps.sendScope ?? deps.clock.now().toISOString(), email.kind, email.subject].join('\n')).digest('hex').slice(0, 24);
  const at = deps.clock.now().toISOString();
  const fresh = await deps.store.putRaw(
    { pk: keys.case(email.caseId).pk, sk: `${PREFIX}${key}` },
    undefined,
    { kind: email.kind, subject: email.subject, text: email.text, html: email.html, cc: email.cc ?? [], at, status: 'held' },
    'new',
  );
  if (fresh) {
    await deps.store.appendAudit({ caseId: email.caseId, at, actor: 'workflow', action: 'letter held: no provider contact', detail: { kind: email.kind, subject: email.subject } });
  }
  return `held:${key}`;
}

export async function listHeldLetters(deps: Pick<LadderDeps, 'store'>, caseId: string): Promise<HeldLetter[]> {
  const items = await deps.store.listUnder(keys.case(caseId).pk, PREFIX);
  return items.flatMap((item) => {
    const parsed = heldLetterSchema.safeParse(item);
    return parsed.success ? [{ ...parsed.data, sk: String(item.sk) }] : [];
  });
}

/** Sends the case's held letters to the provider's people now on record; returns how many went. */
export async function releaseHeldLetters(deps: LadderDeps, caseId: string, actor: string): Promise<number> {
  const held = (await listHeldLetters(deps, caseId)).filter((letter) => letter.status === 'held');
  if (held.length === 0) return 0;
  const context = await loadCase(deps, caseId);
  const people = providerRecipients(context);
  const to = [...new Set([...people.owner, ...people.nominatedIndividual, ...people.registeredManager])];
  if (to.length === 0) return 0;
  // Written when nobody was known, the letter greets a role: it now greets the person by name.
  const first = context.contacts.owner ?? context.contacts.nominatedIndividual ?? context.contacts.registeredManager;
  const greet = (letter: HeldLetter) => {
    const greeting = /^Dear [^\n]*,/m.exec(letter.text)?.[0];
    if (!greeting || !first) return letter;
    const named = `Dear ${first.name},`;
    // The letter's head named the role too: it now names the person.
    const to = `${first.name}, ${context.facts.providerName}`;
    return {
      ...letter,
      text: letter.text.replace(greeting, named).replace(/^To: [^\n]*$/m, `To: ${to}`),
      html: letter.html.replace(html`<p>${greeting}</p>`.value, html`<p>${named}</p>`.value).replace(/(>To<\/th><td>)[^<]*(<\/td>)/, (_match, open: string, close: string) => `${open}${html`${to}`.value}${close}`),
    };
  };
  let sent = 0;
  for (const original of held) {
    const letter = greet(original);
    // The letter's own key is the send scope: a second release after a crash does not send it again.
    const scoped: LadderDeps = { ...deps, sendScope: `held|${letter.sk}` };
    await send(scoped, { caseId, kind: letter.kind, to, cc: letter.cc, subject: letter.subject, text: letter.text, html: letter.html });
    const at = deps.clock.now().toISOString();
    const { sk, ...fields } = letter;
    await deps.store.putRaw({ pk: keys.case(caseId).pk, sk }, undefined, { ...fields, status: 'sent', sentAt: at, sentTo: to });
    await deps.store.appendAudit({ caseId, at, actor, action: 'held letter sent', detail: { kind: letter.kind, subject: letter.subject, to } });
    sent += 1;
  }
  return sent;
}
