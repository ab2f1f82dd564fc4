/**
 * Every notice leaves through here: SES SendEmail, a few quick retries on throttling, then a
 * named failure the state machine retries with longer backoff and finally records on the case.
 * Each email sent is kept on the case (to whom, what, when) so the case page can list it.
 */
import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import { EmailSendFailed } from './errors';
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
  /** Pause between quick retries; tests pass a no-op. */
  sleep?: (ms: number) => Promise<void>;
}

const RETRYABLE = new Set(['Throttling', 'ThrottlingException', 'ServiceUnavailable', 'TooManyRequestsException', 'InternalFailure']);

function isRetryable(error: unknown): boolean {
  const candidate = error as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  const status = candidate.$metadata?.httpStatusCode ?? 0;
  return RETRYABLE.has(candidate.name ?? '') || status >= 500 || status === 429 || candidate.name === 'TimeoutError';
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function sendEmail(deps: MailerDeps, email: Email): Promise<string> {
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
  });
  const sleep = deps.sleep ?? defaultSleep;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const { MessageId } = await deps.ses.send(command);
      const messageId = MessageId ?? 'unknown';
      await deps.store.recordEmail({
        caseId: email.caseId,
        messageId,
        kind: email.kind,
        at: deps.clock.now().toISOString(),
        to,
        cc,
        subject: email.subject,
      });
      return messageId;
    } catch (error) {
      lastError = error;
      if (!isRetryable(error)) break;
      await sleep(200 * 2 ** attempt);
    }
  }
  const reason = lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : String(lastError);
  throw new EmailSendFailed(`Email "${email.subject}" to ${to.join(', ')} was not sent (${reason})`);
}
