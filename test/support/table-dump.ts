/** Every item in the product's table, sorted: compared before and after to prove nothing changed. */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Runtime } from '../../local/runtime';

/**
 * With `withoutAudit`, the audit trail is left out: a refused attempt must change nothing except
 * record itself there (tests assert that record separately).
 */
export async function dumpTable(runtime: Runtime, options: { withoutAudit?: boolean } = {}): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await runtime.deps.store.doc.send(new ScanCommand({ TableName: runtime.deps.store.tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  const isAudit = (item: Record<string, unknown>) => String(item.sk).startsWith('EVENT#') || item.sk === 'AUDITHEAD';
  return items.filter((item) => !(options.withoutAudit && isAudit(item))).sort((a, b) => `${String(a.pk)}|${String(a.sk)}`.localeCompare(`${String(b.pk)}|${String(b.sk)}`));
}
