/**
 * The product's records in DynamoDB: cases, pending tasks, the audit trail, emails, locations,
 * providers, contracts, Board meetings. Single-item conditional writes only (no transactions:
 * the local stand-in has none, and none are needed): a case carries a version, a pending task
 * moves out of `pending` exactly once, an audit event is written only where none exists.
 */
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { randomBytes } from 'node:crypto';
import {
  auditEventSchema,
  caseSchema,
  contractLocations,
  contractSchema,
  emailRecordSchema,
  providerContactSchema,
  locationSchema,
  pendingTaskSchema,
  providerSchema,
  type AuditEvent,
  type Case,
  type Contract,
  type EmailFeedback,
  type EmailRecord,
  type Location,
  type PendingTask,
  type Provider,
  type ProviderContact,
} from './model';
import { keys, TABLE_KEYS } from './table';
import { sealEvent } from './audit-chain';

export class ConcurrentUpdate extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConcurrentUpdate';
  }
}

/** Something stored does not match its schema: say which item, never guess. */
export class CorruptItem extends Error {
  constructor(key: { pk: string; sk: string }, issues: string) {
    super(`Stored item ${key.pk} / ${key.sk} is not valid: ${issues}`);
    this.name = 'CorruptItem';
  }
}

export interface AuditDraft {
  caseId: string;
  at: string;
  actor: string;
  action: string;
  detail?: Record<string, unknown>;
  source?: string;
}

const parkedAuditSchema = z.object({
  id: z.string(),
  after: z.number().int().nonnegative().default(0),
  draft: z.object({
    caseId: z.string(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    detail: z.record(z.string(), z.unknown()).default({}),
    source: z.string().optional(),
  }),
});

/** How a writer that lost the race for the chain's tip backs off: full jitter, bounded. */
export interface AuditRetry {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}
export const AUDIT_RETRY: AuditRetry = { attempts: 25, baseDelayMs: 4, maxDelayMs: 250 };

export interface AppendOptions {
  /** Makes the append idempotent: an event with this id is written at most once. */
  eventId?: string;
  /** A seq known to come before any event with `eventId` (so only newer events are searched). */
  after?: number;
  retry?: Partial<AuditRetry>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const KEY_FIELDS = ['pk', 'sk', 'gsi1pk', 'gsi1sk'];

function strip<T extends Record<string, unknown>>(item: T): Omit<T, 'pk' | 'sk' | 'gsi1pk' | 'gsi1sk'> {
  const copy: Record<string, unknown> = { ...item };
  for (const field of KEY_FIELDS) delete copy[field];
  return copy as Omit<T, 'pk' | 'sk' | 'gsi1pk' | 'gsi1sk'>;
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';
}

export class Store {
  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  private parse<S extends z.ZodTypeAny>(schema: S, item: Record<string, unknown>): z.infer<S> {
    const result = schema.safeParse(strip(item));
    if (!result.success) {
      throw new CorruptItem(
        { pk: String(item.pk), sk: String(item.sk) },
        result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
      );
    }
    return result.data;
  }

  private async get(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return Item;
  }

  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(new QueryCommand({ TableName: this.tableName, ...input, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  private queryIndex(partition: string, beginsWith?: string): Promise<Record<string, unknown>[]> {
    const { gsi1 } = TABLE_KEYS;
    return this.queryAll({
      IndexName: gsi1.name,
      KeyConditionExpression: beginsWith ? '#p = :p AND begins_with(#s, :s)' : '#p = :p',
      ExpressionAttributeNames: beginsWith ? { '#p': gsi1.partitionKey, '#s': gsi1.sortKey } : { '#p': gsi1.partitionKey },
      ExpressionAttributeValues: beginsWith ? { ':p': partition, ':s': beginsWith } : { ':p': partition },
    });
  }

  // ---- cases -------------------------------------------------------------------------------

  async getCase(caseId: string): Promise<Case | undefined> {
    const item = await this.get(keys.case(caseId));
    return item ? this.parse(caseSchema, item) : undefined;
  }

  async listCases(): Promise<Case[]> {
    const items = await this.queryIndex('CASES');
    return items.map((item) => this.parse(caseSchema, item));
  }

  /** Writes a new case; refuses if one with that id exists. */
  async createCase(record: Case): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.case(record.caseId), gsi1pk: 'CASES', gsi1sk: `${record.openedAt}#${record.caseId}`, ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Optimistic update: re-reads and re-applies `change` when someone else wrote in between. */
  async updateCase(caseId: string, change: (current: Case) => Case, now: string): Promise<Case> {
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const current = await this.getCase(caseId);
      if (!current) throw new Error(`Case ${caseId} does not exist`);
      const next: Case = { ...change(structuredClone(current)), version: current.version + 1, updatedAt: now };
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...keys.case(caseId), gsi1pk: 'CASES', gsi1sk: `${next.openedAt}#${caseId}`, ...next },
            ConditionExpression: '#v = :v',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':v': current.version },
          }),
        );
        return next;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    throw new ConcurrentUpdate(`Case ${caseId} kept changing while being updated`);
  }

  /** One open case per location: the lock names it. Returns the case id holding the lock. */
  async lockLocation(locationId: string, caseId: string): Promise<string> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.openCaseLock(locationId), locationId, caseId },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return caseId;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const held = await this.get(keys.openCaseLock(locationId));
      return String(held?.caseId ?? caseId);
    }
  }

  async openCaseFor(locationId: string): Promise<string | undefined> {
    const held = await this.get(keys.openCaseLock(locationId));
    return held ? String(held.caseId) : undefined;
  }

  async unlockLocation(locationId: string, caseId: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.openCaseLock(locationId),
          ConditionExpression: 'caseId = :c',
          ExpressionAttributeValues: { ':c': caseId },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  // ---- pending tasks -----------------------------------------------------------------------

  async putTask(task: PendingTask): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.task(task.taskId), gsi1pk: `CASE#${task.caseId}`, gsi1sk: `TASK#${task.createdAt}#${task.taskId}`, ...task },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getTask(taskId: string): Promise<PendingTask | undefined> {
    const item = await this.get(keys.task(taskId));
    return item ? this.parse(pendingTaskSchema, item) : undefined;
  }

  async listTasks(caseId: string): Promise<PendingTask[]> {
    const items = await this.queryIndex(`CASE#${caseId}`, 'TASK#');
    return items.map((item) => this.parse(pendingTaskSchema, item));
  }

  /**
   * Moves a task out of `from` exactly once: of two simultaneous attempts, one wins (true) and
   * the other is told it lost (false).
   */
  async transitionTask(
    taskId: string,
    from: PendingTask['status'],
    to: Partial<PendingTask> & { status: PendingTask['status'] },
  ): Promise<boolean> {
    const current = await this.getTask(taskId);
    if (!current || current.status !== from) return false;
    const next: PendingTask = { ...current, ...to };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.task(taskId), gsi1pk: `CASE#${next.caseId}`, gsi1sk: `TASK#${next.createdAt}#${taskId}`, ...next },
          ConditionExpression: '#s = :from',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':from': from },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Notes that a decision on this task is about to be recorded; cleared once it is delivered. */
  async markUndelivered(task: PendingTask, at: string): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.undelivered(task.taskId), gsi1pk: 'UNDELIVERED', gsi1sk: `${at}#${task.taskId}`, taskId: task.taskId, caseId: task.caseId, at },
      }),
    );
  }

  async clearUndelivered(taskId: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keys.undelivered(taskId) }));
  }

  /** Tasks whose decision may not have reached Step Functions yet (oldest first). */
  async listUndelivered(): Promise<Array<{ taskId: string; at: string }>> {
    const items = await this.queryIndex('UNDELIVERED');
    return items.map((item) => ({ taskId: String(item.taskId), at: String(item.at) }));
  }

  // ---- audit trail -------------------------------------------------------------------------

  async lastAuditEvent(caseId: string): Promise<AuditEvent | undefined> {
    const { Items } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :p AND begins_with(sk, :e)',
        ExpressionAttributeValues: { ':p': `CASE#${caseId}`, ':e': 'EVENT#' },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = Items?.[0];
    return item ? this.parse(auditEventSchema, item) : undefined;
  }

  /**
   * Appends to the case's hash chain; never overwrites (a racing writer retries on the next seq).
   * The chain's tip is a contention point, so a writer that lost backs off with full jitter
   * (AUDIT_RETRY) before trying again; after its budget it gives up with ConcurrentUpdate.
   *
   * With `eventId` the append is idempotent: the id goes into the event's detail, and before each
   * attempt the events after `after` (a seq known to precede any event with that id) are checked
   * for it, so a replay (recovery after a crash, two settlers at once) returns the event already
   * written instead of writing it twice. This holds under concurrency because the chain grows in
   * seq order: a writer that saw the tip at seq n has seen every event up to n.
   */
  async appendAudit(draft: AuditDraft, options: AppendOptions = {}): Promise<AuditEvent> {
    // Writers in this process queue per case instead of racing each other for the tip; the
    // conditional write and the jittered retries still settle races with other processes.
    const queued = this.auditQueues.get(draft.caseId) ?? Promise.resolve();
    const turn = queued.then(() => this.appendAuditNow(draft, options));
    const tail = turn.then(
      () => undefined,
      () => undefined,
    );
    this.auditQueues.set(draft.caseId, tail);
    void tail.then(() => {
      if (this.auditQueues.get(draft.caseId) === tail) this.auditQueues.delete(draft.caseId);
    });
    return turn;
  }

  private readonly auditQueues = new Map<string, Promise<void>>();

  private async appendAuditNow(draft: AuditDraft, options: AppendOptions): Promise<AuditEvent> {
    const retry = { ...AUDIT_RETRY, ...options.retry };
    const detail = { ...(draft.detail ?? {}), ...(options.eventId ? { eventId: options.eventId } : {}) };
    let checked = options.after ?? 0;
    let known: AuditEvent | undefined;
    for (let attempt = 0; attempt < retry.attempts; attempt += 1) {
      if (attempt > 0) await sleep(Math.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt));
      let previous: AuditEvent | undefined;
      if (options.eventId) {
        const newer = await this.auditEventsAfter(draft.caseId, checked);
        const found = newer.find((event) => event.detail.eventId === options.eventId);
        if (found) return found;
        previous = newer.at(-1) ?? (checked > 0 ? (known?.seq === checked ? known : await this.auditEventAt(draft.caseId, checked)) : undefined);
        if (previous) {
          checked = previous.seq;
          known = previous;
        }
      } else {
        previous = await this.lastAuditEvent(draft.caseId);
      }
      const event = sealEvent(previous, { ...draft, detail });
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...keys.auditEvent(draft.caseId, event.seq), ...event },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        await this.advanceAuditHead(event);
        return event;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    throw new ConcurrentUpdate(`Audit trail of case ${draft.caseId} is too busy`);
  }

  private async auditEventsAfter(caseId: string, seq: number): Promise<AuditEvent[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':p': `CASE#${caseId}`, ':from': keys.auditEvent(caseId, seq + 1).sk, ':to': 'EVENT#~' },
      ConsistentRead: true,
    });
    return items.map((item) => this.parse(auditEventSchema, item));
  }

  private async auditEventAt(caseId: string, seq: number): Promise<AuditEvent | undefined> {
    const item = await this.get(keys.auditEvent(caseId, seq));
    return item ? this.parse(auditEventSchema, item) : undefined;
  }

  /**
   * Keeps an audit event that could not join its chain just now (the chain was too busy): a
   * separate item with its own key, so it never contends with anything. `drainAuditInbox` chains
   * it later, once (the parked item's id becomes the event's id).
   */
  async parkAudit(draft: AuditDraft): Promise<void> {
    const id = `${draft.at}-${randomBytes(6).toString('hex')}`;
    const head = await this.auditHead(draft.caseId);
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.auditInbox(draft.caseId, id), gsi1pk: 'AUDITINBOX', gsi1sk: `${draft.at}#${draft.caseId}#${id}`, id, draft, after: head?.seq ?? 0 },
      }),
    );
  }

  /** Chains every parked audit event (of one case, or all), oldest first; returns how many. */
  async drainAuditInbox(caseId?: string): Promise<number> {
    const items = caseId
      ? await this.queryAll({ KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)', ExpressionAttributeValues: { ':p': `CASE#${caseId}`, ':s': 'AUDITINBOX#' }, ConsistentRead: true })
      : await this.queryIndex('AUDITINBOX');
    let drained = 0;
    for (const item of items.sort((a, b) => String(a.sk).localeCompare(String(b.sk)))) {
      const parked = parkedAuditSchema.safeParse(item);
      if (!parked.success) continue;
      const { id, draft, after } = parked.data;
      await this.appendAudit({ ...draft, detail: { ...draft.detail, parked: true } }, { eventId: `parked:${id}`, after });
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keys.auditInbox(draft.caseId, id) }));
      drained += 1;
    }
    return drained;
  }

  /** Moves the head forward only (a slower writer of an older event never moves it back). */
  private async advanceAuditHead(event: AuditEvent): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.auditHead(event.caseId), seq: event.seq, hash: event.hash },
          ConditionExpression: 'attribute_not_exists(pk) OR seq < :seq',
          ExpressionAttributeValues: { ':seq': event.seq },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async auditHead(caseId: string): Promise<{ seq: number; hash: string } | undefined> {
    const item = await this.get(keys.auditHead(caseId));
    return item && typeof item.seq === 'number' && typeof item.hash === 'string' ? { seq: item.seq, hash: item.hash } : undefined;
  }

  async listAudit(caseId: string): Promise<AuditEvent[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :e)',
      ExpressionAttributeValues: { ':p': `CASE#${caseId}`, ':e': 'EVENT#' },
      ConsistentRead: true,
    });
    return items.map((item) => this.parse(auditEventSchema, item));
  }

  // ---- emails ------------------------------------------------------------------------------

  async recordEmail(record: EmailRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.email(record.caseId, record.at, record.messageId), gsi1pk: 'EMAILS', gsi1sk: `${record.at}#${record.messageId}`, ...record },
      }),
    );
  }

  /**
   * Adds a bounce or complaint to an email's record, once per SES feedback id (a report delivered
   * twice is kept once). False when it was already there.
   */
  async addEmailFeedback(email: EmailRecord, feedback: EmailFeedback): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.email(email.caseId, email.at, email.messageId),
          UpdateExpression: 'SET feedback = list_append(if_not_exists(feedback, :none), :one) ADD feedbackIds :id',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(feedbackIds) OR NOT contains(feedbackIds, :idText))',
          ExpressionAttributeValues: { ':none': [], ':one': [feedback], ':id': new Set([feedback.feedbackId]), ':idText': feedback.feedbackId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async listEmails(caseId: string): Promise<EmailRecord[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :e)',
      ExpressionAttributeValues: { ':p': `CASE#${caseId}`, ':e': 'EMAIL#' },
    });
    return items.map((item) => this.parse(emailRecordSchema, item));
  }

  // ---- locations, providers, contracts -------------------------------------------------------

  async getLocation(locationId: string): Promise<Location | undefined> {
    const item = await this.get(keys.location(locationId));
    return item ? this.parse(locationSchema, item) : undefined;
  }

  async putLocation(location: Location): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.location(location.locationId), gsi1pk: `PROVIDER#${location.providerId}`, gsi1sk: `LOCATION#${location.locationId}`, ...location },
      }),
    );
  }

  async listProviderLocations(providerId: string): Promise<Location[]> {
    const items = await this.queryIndex(`PROVIDER#${providerId}`, 'LOCATION#');
    return items.map((item) => this.parse(locationSchema, item));
  }

  async getProvider(providerId: string): Promise<Provider | undefined> {
    const item = await this.get(keys.provider(providerId));
    return item ? this.parse(providerSchema, item) : undefined;
  }

  async putProvider(provider: Provider): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.provider(provider.providerId), gsi1pk: 'PROVIDERS', gsi1sk: provider.name, ...provider },
      }),
    );
  }

  async listProviders(): Promise<Provider[]> {
    const items = await this.queryIndex('PROVIDERS');
    return items.map((item) => this.parse(providerSchema, item));
  }

  /** Writes the contract and one link per location it covers (links to locations it no longer covers go). */
  async putContract(input: z.input<typeof contractSchema>): Promise<void> {
    const contract = contractSchema.parse(input);
    const before = await this.getContract(contract.contractId);
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.contract(contract.contractId), gsi1pk: 'CONTRACTS', gsi1sk: contract.locationId, ...contract },
      }),
    );
    const now = contractLocations(contract);
    for (const locationId of now) {
      await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.contractLink(locationId, contract.contractId), contractId: contract.contractId, locationId } }));
    }
    for (const locationId of before ? contractLocations(before) : []) {
      if (!now.includes(locationId)) await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keys.contractLink(locationId, contract.contractId) }));
    }
  }

  async getContract(contractId: string): Promise<Contract | undefined> {
    const item = await this.get(keys.contract(contractId));
    return item ? this.parse(contractSchema, item) : undefined;
  }

  async listContracts(): Promise<Contract[]> {
    const items = await this.queryIndex('CONTRACTS');
    return items.map((item) => this.parse(contractSchema, item));
  }

  /** Every contract covering the location: through its links, or (records from before links) the index. */
  async contractsForLocation(locationId: string): Promise<Contract[]> {
    const links = await this.queryAll({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :c)',
      ExpressionAttributeValues: { ':p': keys.location(locationId).pk, ':c': 'CONTRACT#' },
      ConsistentRead: true,
    });
    const linked = await Promise.all(links.map((link) => this.getContract(String(link.contractId))));
    const contracts = linked.filter((contract): contract is Contract => contract !== undefined);
    if (contracts.length) return contracts;
    const items = await this.queryAll({
      IndexName: TABLE_KEYS.gsi1.name,
      KeyConditionExpression: '#p = :p AND #s = :s',
      ExpressionAttributeNames: { '#p': TABLE_KEYS.gsi1.partitionKey, '#s': TABLE_KEYS.gsi1.sortKey },
      ExpressionAttributeValues: { ':p': 'CONTRACTS', ':s': locationId },
    });
    return items.map((item) => this.parse(contractSchema, item));
  }

  /** The location's live contract if it has one, else its most recent other one. */
  async contractForLocation(locationId: string): Promise<Contract | undefined> {
    const contracts = await this.contractsForLocation(locationId);
    contracts.sort((a, b) => (b.startDate ?? '').localeCompare(a.startDate ?? ''));
    return contracts.find((contract) => contract.status === 'active') ?? contracts[0];
  }

  async updateContract(contractId: string, change: (current: Contract) => Contract): Promise<Contract> {
    const current = await this.getContract(contractId);
    if (!current) throw new Error(`Contract ${contractId} does not exist`);
    const next = change(current);
    await this.putContract(next);
    return next;
  }

  // ---- provider contacts ---------------------------------------------------------------------

  async putContact(contact: ProviderContact): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.providerContact(contact.providerId, contact.role, contact.locationId), ...contact } }),
    );
  }

  async deleteContact(contact: Pick<ProviderContact, 'providerId' | 'role' | 'locationId'>): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keys.providerContact(contact.providerId, contact.role, contact.locationId) }));
  }

  async listContacts(providerId: string): Promise<ProviderContact[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :c)',
      ExpressionAttributeValues: { ':p': keys.provider(providerId).pk, ':c': 'CONTACT#' },
      ConsistentRead: true,
    });
    return items.map((item) => this.parse(providerContactSchema, item));
  }

  /** Raw items for a generic record type (Board meetings, ingest runs): parsed by their owners. */
  async getRaw(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    const item = await this.get(key);
    return item ? strip(item) : undefined;
  }

  async putRaw(key: { pk: string; sk: string }, index: { gsi1pk: string; gsi1sk: string } | undefined, body: Record<string, unknown>, condition?: 'new'): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, ...(index ?? {}), ...body },
          ...(condition === 'new' ? { ConditionExpression: 'attribute_not_exists(pk)' } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Writes a record whose `version` must still be `expected` (undefined: not written yet). */
  async putVersioned(key: { pk: string; sk: string }, index: { gsi1pk: string; gsi1sk: string } | undefined, body: Record<string, unknown>, expected: number | undefined): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, ...(index ?? {}), ...body, version: (expected ?? 0) + 1 },
          ConditionExpression: expected === undefined ? 'attribute_not_exists(version)' : 'version = :v',
          ...(expected === undefined ? {} : { ExpressionAttributeValues: { ':v': expected } }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Raw items of one partition whose sort key begins with `prefix` (a case's held letters). */
  async listUnder(pk: string, prefix: string): Promise<Record<string, unknown>[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': pk, ':s': prefix },
      ConsistentRead: true,
    });
    return items.map((item) => ({ ...strip(item), sk: item.sk }));
  }

  async listRaw(partition: string): Promise<Record<string, unknown>[]> {
    return (await this.queryIndex(partition)).map((item) => strip(item));
  }
}
