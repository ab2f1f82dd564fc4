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

const require = createRequire(import.meta.url);

export interface SentEmail {
  messageId: string;
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

interface SesStoreModule {
  saveEmail: (email: SentEmail) => void;
  getStoreReadonly: () => { emails: SentEmail[] };
  clearStore: () => void;
}

export interface LocalSes {
  /** The endpoint the SES client uses (the pass-through). */
  readonly endpoint: string;
  /** aws-ses-v2-local's own inbox page and /store. */
  readonly inboxEndpoint: string;
  emails(): SentEmail[];
  /** The next `count` sends fail with SES's `code` (e.g. Throttling, MessageRejected). */
  failNext(count: number, code?: string): void;
  close(): Promise<void>;
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

export async function startSes(options: { mailFile?: string; port?: number } = {}): Promise<LocalSes> {
  const store = require('aws-ses-v2-local/dist/store') as SesStoreModule;
  const start = (require('aws-ses-v2-local') as { default: (config: { host: string; port: number }) => Promise<Server> }).default;
  store.clearStore();
  if (options.mailFile && existsSync(options.mailFile)) {
    const emails = store.getStoreReadonly().emails;
    for (const line of readFileSync(options.mailFile, 'utf8').split('\n')) if (line.trim()) emails.push(JSON.parse(line) as SentEmail);
  }
  const original = store.saveEmail;
  if (options.mailFile) {
    const file = options.mailFile;
    // The handlers call `store_1.saveEmail(...)` through the module object, so this wraps every send.
    store.saveEmail = (email: SentEmail) => {
      appendFileSync(file, `${JSON.stringify(email)}\n`);
      original(email);
    };
  }
  const inbox = await start({ host: '127.0.0.1', port: 0 });
  const inboxPort = (inbox.address() as AddressInfo).port;

  const faults: string[] = [];
  const front = createServer((req, res) => {
    const code = faults.shift();
    if (code) {
      req.resume();
      res.writeHead(code === 'Throttling' ? 400 : 400, { 'content-type': 'text/xml' });
      res.end(
        `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>${code}</Code><Message>Injected by the local runtime: ${code}</Message></Error><RequestId>local-fault</RequestId></ErrorResponse>`,
      );
      return;
    }
    const upstream = httpRequest({ host: '127.0.0.1', port: inboxPort, method: req.method, path: req.url, headers: req.headers }, (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    });
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  const port = await listen(front, options.port ?? 0);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    inboxEndpoint: `http://127.0.0.1:${inboxPort}`,
    emails: () => [...store.getStoreReadonly().emails],
    failNext(count, code = 'Throttling') {
      for (let i = 0; i < count; i += 1) faults.push(code);
    },
    async close() {
      store.saveEmail = original;
      front.closeAllConnections();
      inbox.closeAllConnections?.();
      await Promise.all([
        new Promise<void>((resolve) => front.close(() => resolve())),
        new Promise<void>((resolve) => inbox.close(() => resolve())),
      ]);
    },
  };
}
