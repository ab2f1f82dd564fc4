/**
 * The letters an officer approves, built once for both the approval page and the step that sends
 * them: the officer reads exactly what will go (recipients, subject, body), the approval records a
 * hash of it on the task, and the sending step sends only what hashes the same. If anything in
 * the letters changed in between (a contact's name, the date), the step asks again.
 */
import { createHash } from 'node:crypto';
import type { Email } from '../lib/mailer';
import * as letters from './letters';
import { hostAuthorityLetter, partnershipLetter } from '../council/letters';
import { nextLetter, providerRecipients, type CaseContext, type LadderDeps } from './context';
import { BadInput } from '../lib/errors';

/** The letters approved at a step are no longer the letters the step would send. */
export class LetterChanged extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LetterChanged';
  }
}

/** The Formal Quality Improvement Notice and, for NHS-funded nursing, the ICB's Contract Performance Notice. */
export function qualityImprovementNoticeEmails(deps: LadderDeps, context: CaseContext): Email[] {
  const recipients = providerRecipients(context);
  const caseId = context.record.caseId;
  const emails: Email[] = [
    { caseId, kind: 'qualityImprovementNotice', to: [...recipients.nominatedIndividual, ...recipients.registeredManager], cc: [deps.config.mail.qualityTeam], ...letters.qualityImprovementNotice(context.facts) },
  ];
  if (context.contract?.nhsFundedNursing) {
    emails.push({
      caseId,
      kind: 'contractPerformanceNotice',
      to: recipients.nominatedIndividual,
      cc: [...recipients.registeredManager, deps.config.mail.qualityTeam],
      ...letters.contractPerformanceNotice(nextLetter(context.facts)),
    });
  }
  return emails;
}

export function hostAuthorityEmails(context: CaseContext): Email[] {
  const host = context.contract?.hostAuthority;
  if (!host) throw new BadInput(`Case ${context.record.caseId}: the contract names no host authority contact to write to`);
  return [{ caseId: context.record.caseId, kind: 'hostAuthorityLetter', to: [host.contact.email], cc: [context.officer.email], ...hostAuthorityLetter(context.facts, host) }];
}

export function partnershipEmails(context: CaseContext): Email[] {
  const people = providerRecipients(context);
  const to = people.owner.length ? people.owner : people.nominatedIndividual;
  const addressee = (people.owner.length ? context.contacts.owner : context.contacts.nominatedIndividual)?.name;
  return [{ caseId: context.record.caseId, kind: 'partnershipLetter', to, cc: [...people.registeredManager, context.officer.email], ...partnershipLetter(context.facts, addressee) }];
}

/** The letters a decision at a step sends, where the officer approves letters; else undefined. */
export function lettersToApprove(deps: LadderDeps, context: CaseContext, step: string, decision: string): Email[] | undefined {
  if (step === 'Approve Quality Improvement Notice' && decision === 'approve') return qualityImprovementNoticeEmails(deps, context);
  if (step === 'Approve Partnership Letter' && decision === 'approve') return partnershipEmails(context);
  if (step === 'Approve Letter To Host Authority' && decision === 'shareWithHostAuthority') return hostAuthorityEmails(context);
  return undefined;
}

/** What an approval covers: each letter's recipients, subject and both bodies. */
export function lettersHash(emails: readonly Email[]): string {
  const covered = emails.map((email) => ({ kind: email.kind, to: email.to, cc: email.cc ?? [], subject: email.subject, text: email.text, html: email.html }));
  return createHash('sha256').update(JSON.stringify(covered)).digest('hex');
}

/** The decision's detail fields: the hash of the letters approved, and the first one's number. */
export const APPROVED_LETTERS = 'approvedLetters';
export const APPROVED_NUMBER = 'approvedLetterNumber';

/**
 * The case as it was approved: the letters keep the numbers they had on the approval page, so a
 * step retried after sending one of two letters sends the other with its approved reference.
 */
export function asApproved(context: CaseContext, details: Record<string, unknown> | undefined): CaseContext {
  const number = details?.[APPROVED_NUMBER];
  return typeof number === 'number' && Number.isInteger(number) && number > 0 ? { ...context, facts: { ...context.facts, letterNumber: number } } : context;
}

/**
 * The letters to send after an approval: those approved, or `LetterChanged` when they differ now.
 * An approval recorded before approvals carried a hash (or with none) sends the letters as they are.
 */
export function approvedLetters(emails: Email[], details: Record<string, unknown> | undefined, caseId: string): Email[] {
  const approved = details?.[APPROVED_LETTERS];
  if (typeof approved === 'string' && approved !== lettersHash(emails)) {
    throw new LetterChanged(`Case ${caseId}: the letters changed after they were approved (${emails.map((email) => email.subject).join('; ')}); the officer is asked to approve them again`);
  }
  return emails;
}
