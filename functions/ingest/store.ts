/**
 * Batched DynamoDB access for ingestion: BatchGetItem (100 keys a call) and BatchWriteItem (25 puts a
 * call), each retrying what DynamoDB leaves unprocessed with exponential backoff and jitter.
 */
import { BatchGetCommand, BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export type Item = Record<string, unknown> & { pk: string; sk: string };
export type Key = { pk: string; sk: string };

export interface RetryOptions {
  /** Attempts per batch before giving up (the SDK's own retries come on top). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export class UnprocessedAfterRetries extends Error {
  constructor(operation: string, left: number, attempts: number) {
    super(`${operation}: ${left} request(s) still unprocessed after ${attempts} attempts`);
    this.name = 'UnprocessedAfterRetries';
  }
}

export const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function backoff(attempt: number, options: RetryOptions): number {
  const base = options.baseDelayMs ?? 50;
  const cap = options.maxDelayMs ?? 5_000;
  const ceiling = Math.min(cap, base * 2 ** attempt);
  return Math.round(ceiling / 2 + (options.random ?? Math.random)() * (ceiling / 2));
}

export const keyString = (key: Key) => `${key.pk}\u0000${key.sk}`;

/** Reads the items for `keys` (missing ones are absent from the map), 100 keys a call. */
export async function batchGet(
  doc: DynamoDBDocumentClient,
  tableName: string,
  keys: Key[],
  options: RetryOptions = {},
  /** Only these attributes (pk and sk are always included). */
  attributes?: readonly string[],
): Promise<Map<string, Item>> {
  const names = attributes ? ['pk', 'sk', ...attributes.filter((name) => name !== 'pk' && name !== 'sk')] : undefined;
  const projection = names
    ? { ProjectionExpression: names.map((_, index) => `#a${index}`).join(', '), ExpressionAttributeNames: Object.fromEntries(names.map((name, index) => [`#a${index}`, name])) }
    : {};
  const found = new Map<string, Item>();
  const unique = [...new Map(keys.map((key) => [keyString(key), { pk: key.pk, sk: key.sk }])).values()];
  const maxAttempts = options.maxAttempts ?? 8;
  for (let start = 0; start < unique.length; start += 100) {
    let pending: Record<string, unknown>[] = unique.slice(start, start + 100);
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt >= maxAttempts) throw new UnprocessedAfterRetries('BatchGetItem', pending.length, attempt);
      if (attempt > 0) await (options.sleep ?? defaultSleep)(backoff(attempt, options));
      const out = await doc.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true, ...projection } } }));
      for (const item of out.Responses?.[tableName] ?? []) found.set(keyString(item as Item), item as Item);
      pending = (out.UnprocessedKeys?.[tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
  }
  return found;
}

/** Puts `items`, 25 a call; returns how many were written. Duplicate keys: the last one wins. */
export async function batchPut(
  doc: DynamoDBDocumentClient,
  tableName: string,
  items: Item[],
  options: RetryOptions = {},
): Promise<number> {
  const unique = [...new Map(items.map((item) => [keyString(item), item])).values()];
  const maxAttempts = options.maxAttempts ?? 8;
  for (let start = 0; start < unique.length; start += 25) {
    let pending: { PutRequest: { Item: Record<string, unknown> } }[] = unique
      .slice(start, start + 25)
      .map((item) => ({ PutRequest: { Item: item } }));
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt >= maxAttempts) throw new UnprocessedAfterRetries('BatchWriteItem', pending.length, attempt);
      if (attempt > 0) await (options.sleep ?? defaultSleep)(backoff(attempt, options));
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = (out.UnprocessedItems?.[tableName] as typeof pending | undefined) ?? [];
    }
  }
  return unique.length;
}

/** Every item of a gsi1 partition (all pages). */
export async function queryGsi1(
  doc: DynamoDBDocumentClient,
  tableName: string,
  partition: string,
  sortPrefix?: string,
): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: sortPrefix ? 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)' : 'gsi1pk = :pk',
        ExpressionAttributeValues: sortPrefix ? { ':pk': partition, ':prefix': sortPrefix } : { ':pk': partition },
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...((out.Items ?? []) as Item[]));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}
