/**
 * The audit checkpoint: the count of cases and each case chain's head (seq + hash), signed with
 * HMAC-SHA256 under a key the table's writers cannot read, and kept where they cannot rewrite it
 * (on AWS an S3 bucket with Object Lock; locally one read-only file per checkpoint in the data
 * folder). Every run reads the table, verifies it against the newest valid checkpoint and writes
 * the next one — on a schedule, on request, after each verify.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { canonicalJson } from '../lib/audit-chain';
import type { Clock } from '../lib/clock';
import { checkpointSchema, verifyAudit, type AuditReport, type CaseAuditItems, type Checkpoint, type CheckpointReason } from './verify';

/** Where checkpoints are kept: names only ever added, never replaced. */
export interface CheckpointStore {
  /** Every checkpoint's number that has a file, in any order. */
  numbers(): Promise<number[]>;
  read(number: number): Promise<string | undefined>;
  /** Writes a new checkpoint; false when that number exists already (another writer was first). */
  create(number: number, text: string): Promise<boolean>;
  /** How a checkpoint is named in reports. */
  name(number: number): string;
}

export interface CheckpointDeps {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** The HMAC key (at least 32 bytes). */
  key: Buffer;
  store: CheckpointStore;
  clock: Clock;
}

export class CheckpointKeyTooShort extends Error {
  constructor() {
    super('The audit checkpoint key must be at least 32 bytes');
    this.name = 'CheckpointKeyTooShort';
  }
}

const envelopeSchema = z.object({ checkpoint: z.unknown(), signature: z.string() });

function signature(key: Buffer, checkpoint: Checkpoint): string {
  return createHmac('sha256', key).update(canonicalJson(checkpoint), 'utf8').digest('hex');
}

export function signCheckpoint(key: Buffer, checkpoint: Checkpoint): string {
  if (key.length < 32) throw new CheckpointKeyTooShort();
  return `${JSON.stringify({ checkpoint, signature: signature(key, checkpoint) }, null, 1)}\n`;
}

/** The checkpoint in a file, or why it is not a valid one. */
export function openCheckpoint(key: Buffer, text: string, expectedNumber?: number): { checkpoint: Checkpoint } | { problem: string } {
  let envelope: z.infer<typeof envelopeSchema>;
  try {
    envelope = envelopeSchema.parse(JSON.parse(text));
  } catch {
    return { problem: 'not a signed checkpoint (unreadable JSON or no signature)' };
  }
  const parsed = checkpointSchema.safeParse(envelope.checkpoint);
  if (!parsed.success) return { problem: `not a checkpoint: ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}` };
  const expected = Buffer.from(signature(key, parsed.data), 'hex');
  const given = Buffer.from(envelope.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { problem: 'the signature does not match (forged, altered, or signed with another key)' };
  if (expectedNumber !== undefined && parsed.data.number !== expectedNumber) return { problem: `it is stored as #${expectedNumber} but says #${parsed.data.number}` };
  return { checkpoint: parsed.data };
}

/**
 * Every case's records that bear on its audit trail: the case record (existence only), the head
 * and the events, read with one consistent scan. A scan, not the case index, so a chain whose case
 * record was deleted is still found. Contracts and providers keep audit chains of their own
 * (`contract-<id>`, `provider-<id>`, beside the cases' chains): for those the record that must
 * exist is the contract (contracts are never deleted, only ended). A provider's chain records its
 * contacts being written and removed, so it outlives them and stands on no record: a provider named
 * only in the council's register has contacts and a chain before CQC's data gives it a record.
 */
export async function readTableAudit(doc: DynamoDBDocumentClient, tableName: string): Promise<CaseAuditItems[]> {
  const cases = new Map<string, CaseAuditItems>();
  const entry = (caseId: string) => {
    let found = cases.get(caseId);
    if (!found) cases.set(caseId, (found = { caseId, hasCaseRecord: false, events: [] }));
    return found;
  };
  const subjects = new Set<string>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        FilterExpression:
          '(begins_with(pk, :case) AND (sk = :record OR sk = :head OR begins_with(sk, :event))) OR (begins_with(pk, :contract) AND sk = :contractRecord)',
        ExpressionAttributeValues: {
          ':case': 'CASE#', ':record': 'CASE', ':head': 'AUDITHEAD', ':event': 'EVENT#',
          ':contract': 'CONTRACT#', ':contractRecord': 'CONTRACT',
        },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const pk = String(item.pk);
      if (pk.startsWith('CONTRACT#')) {
        subjects.add(`contract-${pk.slice('CONTRACT#'.length)}`);
        continue;
      }
      const caseId = pk.slice('CASE#'.length);
      const sk = String(item.sk);
      if (sk === 'CASE') entry(caseId).hasCaseRecord = true;
      else if (sk === 'AUDITHEAD') entry(caseId).head = item;
      else {
        const seq = Number(sk.slice('EVENT#'.length));
        entry(caseId).events.push({ seq: Number.isInteger(seq) ? seq : 0, item });
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  // A contract's chain stands on the contract record; a provider's on none (see above).
  for (const [chainId, items] of cases) if (subjects.has(chainId) || chainId.startsWith('provider-')) items.hasCaseRecord = true;
  return [...cases.values()];
}

/** The newest checkpoint whose signature holds, and every newer file that is not one. */
export async function newestValidCheckpoint(key: Buffer, store: CheckpointStore): Promise<{ checkpoint?: Checkpoint; text?: string; problems: AuditReport['checkpointProblems']; highest: number }> {
  const numbers = (await store.numbers()).sort((a, b) => b - a);
  const problems: AuditReport['checkpointProblems'] = [];
  for (const number of numbers) {
    const text = await store.read(number);
    const opened = text === undefined ? { problem: 'unreadable' } : openCheckpoint(key, text, number);
    if ('checkpoint' in opened) return { checkpoint: opened.checkpoint, text, problems, highest: numbers[0] ?? 0 };
    problems.push({ name: store.name(number), problem: opened.problem });
  }
  return { problems, highest: numbers[0] ?? 0 };
}

/**
 * Verifies the table against the newest valid checkpoint, then writes the next checkpoint. Two
 * runs at once: the second to write finds its number taken and starts again from the newer one.
 */
export async function runAuditCheckpoint(deps: CheckpointDeps, reason: CheckpointReason): Promise<AuditReport> {
  if (deps.key.length < 32) throw new CheckpointKeyTooShort();
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const newest = await newestValidCheckpoint(deps.key, deps.store);
    const table = await readTableAudit(deps.doc, deps.tableName);
    const now = deps.clock.now().toISOString();
    const { report, nextHeads } = verifyAudit(table, newest.checkpoint, now, newest.problems);
    const next: Checkpoint = {
      version: 1,
      number: newest.highest + 1,
      writtenAt: now,
      reason,
      caseCount: Object.keys(nextHeads).length,
      heads: nextHeads,
      previous: newest.text ? createHash('sha256').update(newest.text, 'utf8').digest('hex') : null,
    };
    if (await deps.store.create(next.number, signCheckpoint(deps.key, next))) {
      return { ...report, written: { number: next.number, cases: next.caseCount } };
    }
  }
  throw new Error('Another audit checkpoint kept being written at the same time; try again');
}

const FILE = /^(\d{12})\.json$/;
const fileName = (number: number) => `${String(number).padStart(12, '0')}.json`;

/** Locally: one file per checkpoint in a folder, created exclusively and then made read-only. */
export function folderCheckpointStore(folder: string): CheckpointStore {
  return {
    async numbers() {
      if (!existsSync(folder)) return [];
      return readdirSync(folder).flatMap((name) => {
        const match = FILE.exec(name);
        return match ? [Number(match[1])] : [];
      });
    },
    async read(number) {
      const path = join(folder, fileName(number));
      return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    },
    async create(number, text) {
      mkdirSync(folder, { recursive: true });
      const path = join(folder, fileName(number));
      try {
        writeFileSync(path, text, { flag: 'wx', mode: 0o444 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      }
      chmodSync(path, 0o444);
      return true;
    },
    name: (number) => join(folder, fileName(number)),
  };
}

/** In memory, for a runtime without a data folder (tests). */
export function memoryCheckpointStore(): CheckpointStore & { files: Map<number, string> } {
  const files = new Map<number, string>();
  return {
    files,
    async numbers() {
      return [...files.keys()];
    },
    async read(number) {
      return files.get(number);
    },
    async create(number, text) {
      if (files.has(number)) return false;
      files.set(number, text);
      return true;
    },
    name: (number) => `checkpoint #${number}`,
  };
}

/**
 * The local checkpoint key: its own file in the data folder (owner read/write only), apart from
 * the link-signing secret, created on first use.
 */
export function localCheckpointKey(dataDir: string | undefined): Buffer {
  if (!dataDir) return randomBytes(32);
  const path = join(dataDir, 'audit-checkpoint.key');
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url');
  if (key.length < 32) throw new CheckpointKeyTooShort();
  return key;
}

/** The local checkpoints' folder in a data folder. */
export const localCheckpointFolder = (dataDir: string) => join(dataDir, 'audit-checkpoints');
