import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ensureTable, localDynamoClient, startDynamo, type LocalDynamo } from '../local/dynamo';

describe('local DynamoDB', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startDynamo();
  });
  afterAll(async () => dynamo.close());

  it('creates the product table with its index, once', async () => {
    const client = localDynamoClient(dynamo.endpoint);
    await ensureTable(client, 'Escalation');
    await ensureTable(client, 'Escalation');
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'Escalation' }));
    expect(Table?.GlobalSecondaryIndexes?.[0]?.IndexName).toBe('gsi1');
  });
});
