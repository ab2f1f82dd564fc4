/**
 * Every notice leaves through here: SES SendEmail (the SDK retries throttling itself), then a
 * named failure: `EmailSendFailed` the state machine retries with longer backoff, `EmailRejected`
 * (a bad address, say) straight to the recorded-failure path.
 * Each email sent is kept on the case (to whom, what, when, and the letter itself) so the case
 * page can list it and open it as sent.
 */
import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import { EmailRejected, EmailSendFailed } from './errors';
import { escapeHeaderText } from './html';
import type { Store } from './store';
import type { Clock } from './clock';

export interface Email {
  caseId: string;
  /** What the email is, for the record: `qualityImprovementNotice`, `reminder`, ... */
  kind: string;
  to: string[];
  cc?: string[];
  subject: string;
  text: string;
  html: string;
}

export interface MailerDeps {
  ses: SESClient;
  store: Store;
  clock: Clock;
  sender: string;
  configurationSet?: string;
}

/** Errors worth another try later (throttling, SES hiccups); anything else will not fix itself. */
const TRANSIENT = new Set(['Throttling', 'ThrottlingException', 'ServiceUnavailable', 'TooManyRequestsException', 'InternalFailure', 'TimeoutError']);

function isTransient(error: unknown): boolean {
  const candidate = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = candidate.$metadata?.httpStatusCode ?? 0;
  return TRANSIENT.has(candidate.name ?? '') || status >= 500 || status === 429 || candidate.name === 'TypeError';
}

export const tagValue = (value: string): string => value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256);

/** `afterSend` runs as soon as SES has accepted the message (e.g. to note it as sent). */
export async function sendEmail(deps: MailerDeps, email: Email, afterSend?: (messageId: string) => Promise<void>): Promise<string> {
  const to = [...new Set(email.to)];
  const cc = [...new Set(email.cc ?? [])].filter((address) => !to.includes(address));
  const command = new SendEmailCommand({
    Source: deps.sender,
    Destination: { ToAddresses: to, CcAddresses: cc.length ? cc : undefined },
    Message: {
      Subject: { Data: escapeHeaderText(email.subject), Charset: 'UTF-8' },
      Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
    },
    ConfigurationSetName: deps.configurationSet,
    // Published with every bounce and complaint (the configuration set's event destination), so
    // the report finds its case. Tag values allow letters, digits, _ and - only.
    Tags: [
      { Name: 'caseId', Value: tagValue(email.caseId) },
      { Name: 'kind', Value: tagValue(email.kind) },
    ],
  });
  // The SDK already retries throttling with backoff (three attempts); the state machine's Retry
  // then tries the whole step again over minutes. So one send here, and a named error if it fails.
  let messageId: string;
  try {
    const { MessageId } = await deps.ses.send(command);
    messageId = MessageId ?? 'unknown';
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const message = `Email "${email.subject}" to ${to.join(', ')} was not sent (${reason})`;
    throw isTransient(error) ? new EmailSendFailed(message) : new EmailRejected(message);
  }
  // Sent: from here a failure is the store's, never "not sent" (which would send it again).
  await afterSend?.(messageId);
  await deps.store.recordEmail({
    caseId: email.caseId,
    messageId,
    kind: email.kind,
    at: deps.clock.now().toISOString(),
    to,
    cc,
    subject: email.subject,
    from: deps.sender,
    text: email.text,
    html: email.html,
    feedback: [],
  });
  return messageId;
}
