/**
 * SES on loopback: aws-ses-v2-local accepts the real SES API (v1 SendEmail, v2 outbound-emails)
 * and keeps what was sent. In front of it sits a small pass-through that (1) keeps every email in
 * a file in the data folder so a restart loses no mail, and (2) can answer the next sends with the
 * errors SES really gives (Throttling, ...) so tests can prove no email is silently lost.
 */
import { createRequire } from 'node:module';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { randomBytes } from 'node:crypto';
import { listenOnLoopback } from './net';
import type { Clock } from '../functions/lib/clock';

const require = createRequire(import.meta.url);

export interface SentEmail {
  messageId: string;
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  /** When it was sent, on the runtime's (virtual) clock, in epoch seconds. */
  at: number;
  /** The message tags it was sent with (SES publishes them with every event). */
  tags?: Record<string, string>;
  configurationSet?: string;
}

/**
 * SES's mailbox simulator: mail to these is accepted, then reported back through the configuration
 * set's event destination as a bounce or a complaint, as SES does.
 */
export const SIMULATOR = { bounce: 'bounce@simulator.amazonses.com', complaint: 'complaint@simulator.amazonses.com' } as const;

export interface MailSimulator {
  /** Addresses that bounce (besides SES's bounce@simulator.amazonses.com). */
  bounce?: string[];
  /** Addresses whose recipient complains (besides complaint@simulator.amazonses.com). */
  complaint?: string[];
}

/** An SES event record (event publishing), as the configuration set's SNS destination carries it. */
export type SesEventRecord = Record<string, unknown> & { eventType: 'Bounce' | 'Complaint' };

export interface LocalSes {
  /** The endpoint the SES client uses (the pass-through). */
  readonly endpoint: string;
  /** aws-ses-v2-local's own inbox page and /store. */
  readonly inboxEndpoint: string;
  emails(): SentEmail[];
  /** After `afterSends` more sends go through, the next `count` fail with SES's `code` (Throttling, MessageRejected...). */
  failNext(count: number, code?: string, afterSends?: number): void;
  /** Cancels the failures still queued. */
  clearFaults(): void;
  close(): Promise<void>;
}

/** Every `prefix.member.N` value of a form-encoded SES v1 request, in order. */
function members(form: URLSearchParams, prefix: string): string[] {
  const found: Array<[number, string]> = [];
  for (const [key, value] of form) {
    const match = new RegExp(`^${prefix.replaceAll('.', '\\.')}\\.member\\.(\\d+)$`).exec(key);
    if (match) found.push([Number(match[1]), value]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
}

/** What an SES v1 SendEmail request asked for, read from its form body. */
export function parseSendEmail(body: string): Omit<SentEmail, 'messageId' | 'at'> | undefined {
  const form = new URLSearchParams(body);
  if (form.get('Action') !== 'SendEmail') return undefined;
  const tags: Record<string, string> = {};
  for (const [key, name] of form) {
    const match = /^Tags\.member\.(\d+)\.Name$/.exec(key);
    if (match) tags[name] = form.get(`Tags.member.${match[1]}.Value`) ?? '';
  }
  const configurationSet = form.get('ConfigurationSetName') ?? undefined;
  return {
    ...(Object.keys(tags).length ? { tags } : {}),
    ...(configurationSet ? { configurationSet } : {}),
    from: form.get('Source') ?? '',
    destination: {
      to: members(form, 'Destination.ToAddresses'),
      cc: members(form, 'Destination.CcAddresses'),
      bcc: members(form, 'Destination.BccAddresses'),
    },
    subject: form.get('Message.Subject.Data') ?? '',
    body: { text: form.get('Message.Body.Text.Data') ?? undefined, html: form.get('Message.Body.Html.Data') ?? undefined },
  };
}

/** The event SES publishes for `email` and `recipients`: a permanent bounce, or a complaint. */
export function simulatedEvent(email: SentEmail, type: 'Bounce' | 'Complaint', recipients: string[], at: Date): SesEventRecord {
  const timestamp = at.toISOString();
  const feedbackId = `local-${randomBytes(12).toString('hex')}-000000`;
  const tags: Record<string, string[]> = {
    'ses:operation': ['SendEmail'],
    'ses:source-ip': ['127.0.0.1'],
    'ses:from-domain': [email.from.split('@')[1] ?? ''],
    'ses:caller-identity': ['local'],
    ...(email.configurationSet ? { 'ses:configuration-set': [email.configurationSet] } : {}),
    ...Object.fromEntries(Object.entries(email.tags ?? {}).map(([name, value]) => [name, [value]])),
  };
  const destination = [...email.destination.to, ...email.destination.cc, ...email.destination.bcc];
  const mail = {
    timestamp: new Date(email.at * 1000).toISOString(),
    source: email.from,
    sourceArn: `arn:aws:ses:eu-west-2:000000000000:identity/${email.from}`,
    sendingAccountId: '000000000000',
    messageId: email.messageId,
    destination,
    headersTruncated: false,
    commonHeaders: { from: [email.from], to: email.destination.to, messageId: email.messageId, subject: email.subject },
    tags,
  };
  return type === 'Bounce'
    ? {
        eventType: 'Bounce',
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: 'General',
          bouncedRecipients: recipients.map((emailAddress) => ({ emailAddress, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' })),
          timestamp,
          feedbackId,
          reportingMTA: 'dsn; local.simulator',
        },
        mail,
      }
    : {
        eventType: 'Complaint',
        complaint: { complainedRecipients: recipients.map((emailAddress) => ({ emailAddress })), timestamp, feedbackId, complaintFeedbackType: 'abuse', userAgent: 'local simulator' },
        mail,
      };
}

export async function startSes(
  options: { mailFile?: string; port?: number; clock?: Clock; simulator?: MailSimulator; onEvent?: (event: SesEventRecord) => void } = {},
): Promise<LocalSes> {
  const bounces = new Set([SIMULATOR.bounce, ...(options.simulator?.bounce ?? [])].map((address) => address.toLowerCase()));
  const complaints = new Set([SIMULATOR.complaint, ...(options.simulator?.complaint ?? [])].map((address) => address.toLowerCase()));
  const publish = (email: SentEmail) => {
    if (!options.onEvent) return;
    const recipients = [...email.destination.to, ...email.destination.cc, ...email.destination.bcc];
    const bounced = recipients.filter((address) => bounces.has(address.toLowerCase()));
    const complained = recipients.filter((address) => complaints.has(address.toLowerCase()));
    const now = clock.now();
    if (bounced.length) options.onEvent(simulatedEvent(email, 'Bounce', bounced, now));
    if (complained.length) options.onEvent(simulatedEvent(email, 'Complaint', complained, now));
  };
  const clock = options.clock ?? { now: () => new Date() };
  const start = (require('aws-ses-v2-local') as { default: (config: { host: string; port: number }) => Promise<Server> }).default;
  // aws-ses-v2-local keeps mail in memory and its v1 handler drops every To/Cc after the first
  // (its schema names only `member.1`), so the sink keeps its own complete, persisted record.
  const sent: SentEmail[] = [];
  if (options.mailFile && existsSync(options.mailFile)) {
    for (const line of readFileSync(options.mailFile, 'utf8').split('\n')) if (line.trim()) sent.push(JSON.parse(line) as SentEmail);
  }
  const record = (email: SentEmail) => {
    sent.push(email);
    if (options.mailFile) appendFileSync(options.mailFile, `${JSON.stringify(email)}\n`);
  };
  const inbox = await start({ host: '127.0.0.1', port: 0 });
  const inboxPort = (inbox.address() as AddressInfo).port;

  const faults: string[] = [];
  const front = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const code = faults.shift();
      if (code) {
        res.writeHead(400, { 'content-type': 'text/xml' });
        res.end(
          `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>${code}</Code><Message>Injected by the local runtime: ${code}</Message></Error><RequestId>local-fault</RequestId></ErrorResponse>`,
        );
        return;
      }
      const upstream = httpRequest({ host: '127.0.0.1', port: inboxPort, method: req.method, path: req.url, headers: req.headers }, (reply) => {
        const replyChunks: Buffer[] = [];
        reply.on('data', (chunk: Buffer) => replyChunks.push(chunk));
        reply.on('end', () => {
          const replyBody = Buffer.concat(replyChunks);
          const messageId = /<MessageId>([^<]+)<\/MessageId>/.exec(replyBody.toString('utf8'))?.[1];
          const request = parseSendEmail(body.toString('utf8'));
          if (reply.statusCode === 200 && messageId && request) {
            const email = { ...request, messageId, at: Math.floor(clock.now().getTime() / 1000) };
            record(email);
            // Accepted first, reported after (SES's events arrive once the receiving server answers).
            setImmediate(() => publish(email));
          }
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          res.end(replyBody);
        });
      });
      upstream.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      upstream.end(body);
    });
  });
  const port = await listenOnLoopback(front, options.port);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    inboxEndpoint: `http://127.0.0.1:${inboxPort}`,
    emails: () => [...sent],
    failNext(count, code = 'Throttling', afterSends = 0) {
      for (let i = 0; i < afterSends; i += 1) faults.push('');
      for (let i = 0; i < count; i += 1) faults.push(code);
    },
    clearFaults() {
      faults.length = 0;
    },
    async close() {
      front.closeAllConnections();
      inbox.closeAllConnections?.();
      await Promise.all([
        new Promise<void>((resolve) => front.close(() => resolve())),
        new Promise<void>((resolve) => inbox.close(() => resolve())),
      ]);
    },
  };
}
