/**
 * Bounces and complaints. SES publishes them for every email sent through the configuration set
 * (its event destination: an SNS topic, then the mail-events function). The email's record on the
 * case is marked (the case page lists it), the audit trail says so, and the lead officer is told
 * by email: the provider, or the family, may not know what the letter said.
 */
import { z } from 'zod';
import type { EmailFeedback } from '../lib/model';
import { caseUrl, loadCase, longDate, nowIso, send, type LadderDeps } from './context';
import * as letters from './letters';

/** SES's event record (event publishing, `eventType`), the fields used here; anything else passes. */
export const sesEventSchema = z.object({
  eventType: z.string(),
  mail: z.object({
    messageId: z.string().min(1),
    timestamp: z.string(),
    destination: z.array(z.string()).default([]),
    tags: z.record(z.string(), z.array(z.string())).default({}),
  }),
  bounce: z
    .object({
      bounceType: z.string(),
      bounceSubType: z.string().default(''),
      bouncedRecipients: z.array(z.object({ emailAddress: z.string(), status: z.string().optional(), diagnosticCode: z.string().optional() })).min(1),
      timestamp: z.string(),
      feedbackId: z.string().min(1),
    })
    .optional(),
  complaint: z
    .object({
      complainedRecipients: z.array(z.object({ emailAddress: z.string() })).min(1),
      timestamp: z.string(),
      feedbackId: z.string().min(1),
      complaintFeedbackType: z.string().optional(),
    })
    .optional(),
});
export type SesEvent = z.infer<typeof sesEventSchema>;

export class EmailNotOnRecordYet extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmailNotOnRecordYet';
  }
}

export type FeedbackOutcome = 'recorded' | 'duplicate' | 'ignored' | 'unknownEmail';

/** The bounce or complaint in SES's words, as the email's record keeps it. */
function feedbackFrom(event: SesEvent): EmailFeedback | undefined {
  if (event.eventType === 'Bounce' && event.bounce) {
    const { bounce } = event;
    const words = bounce.bouncedRecipients.map((recipient) => recipient.diagnosticCode ?? recipient.status).filter(Boolean);
    return {
      type: 'bounce',
      feedbackId: bounce.feedbackId,
      at: bounce.timestamp,
      recipients: bounce.bouncedRecipients.map((recipient) => recipient.emailAddress),
      detail: [`${bounce.bounceType}${bounce.bounceSubType ? ` (${bounce.bounceSubType})` : ''} bounce`, ...words].join('; '),
    };
  }
  if (event.eventType === 'Complaint' && event.complaint) {
    const { complaint } = event;
    return {
      type: 'complaint',
      feedbackId: complaint.feedbackId,
      at: complaint.timestamp,
      recipients: complaint.complainedRecipients.map((recipient) => recipient.emailAddress),
      detail: complaint.complaintFeedbackType ? `reported as ${complaint.complaintFeedbackType}` : 'reported as unwanted',
    };
  }
  return undefined;
}

export async function recordMailFeedback(deps: LadderDeps, event: SesEvent): Promise<FeedbackOutcome> {
  const feedback = feedbackFrom(event);
  if (!feedback) return 'ignored';
  const caseId = event.mail.tags.caseId?.[0];
  const email = caseId ? (await deps.store.listEmails(caseId)).find((item) => item.messageId === event.mail.messageId) : undefined;
  if (caseId && !email && (await deps.store.getCase(caseId))) {
    // SES can answer before the sender has noted the send: fail, and the delivery is retried.
    throw new EmailNotOnRecordYet(`Case ${caseId} has no record of email ${event.mail.messageId} yet`);
  }
  if (!caseId || !email) {
    console.warn(JSON.stringify({ message: 'SES feedback for an email not on record', messageId: event.mail.messageId, type: feedback.type }));
    return 'unknownEmail';
  }
  if (!(await deps.store.addEmailFeedback(email, feedback))) return 'duplicate';
  await deps.store.appendAudit({
    caseId,
    at: nowIso(deps),
    actor: 'ses',
    action: feedback.type === 'bounce' ? 'email bounced' : 'complaint about an email',
    detail: { subject: email.subject, recipients: feedback.recipients.join(', '), detail: feedback.detail },
  });
  // A notice about a returned letter that itself comes back is not reported again (no loop).
  if (email.kind === 'mailNotDelivered') return 'recorded';
  const context = await loadCase(deps, caseId);
  const officerBounced = feedback.recipients.some((address) => address.toLowerCase() === context.officer.email.toLowerCase());
  const letter = letters.mailNotDelivered(
    context.facts,
    { type: feedback.type, subject: email.subject, sentOn: longDate(email.at), recipients: feedback.recipients, detail: feedback.detail },
    caseUrl(deps, caseId),
  );
  // Scoped by SES's feedback id: a redelivered report sends no second notice.
  await send({ ...deps, sendScope: `mail-feedback|${feedback.feedbackId}` }, {
    caseId,
    kind: 'mailNotDelivered',
    to: [officerBounced ? deps.config.mail.qualityTeam : context.officer.email],
    ...letter,
  });
  return 'recorded';
}
