/**
 * The single DynamoDB table: key layout and the table's shape, shared by the CDK stack and the
 * local runtime so both create exactly the same table.
 *
 * | item            | pk                    | sk                 | gsi1pk                 | gsi1sk                 |
 * |-----------------|-----------------------|--------------------|------------------------|------------------------|
 * | provider        | PROVIDER#<providerId> | PROVIDER           | PROVIDERS              | <name>                 |
 * | location        | LOCATION#<locationId> | LOCATION           | PROVIDER#<providerId>  | LOCATION#<locationId>  |
 * | open-case lock  | LOCATION#<locationId> | OPENCASE           | -                      | -                      |
 * | contract        | CONTRACT#<contractId> | CONTRACT           | CONTRACTS              | <locationId>           |
 * | contract link   | LOCATION#<locationId> | CONTRACT#<id>      | -                      | -                      |
 * | concern         | LOCATION#<locationId> | CONCERN#<raisedOn>#<concernId> | -          | -                      |
 * | provider contact| PROVIDER#<providerId> | CONTACT#<role>#<locationId or ->| -         | -                      |
 * | case            | CASE#<caseId>         | CASE               | CASES                  | <openedAt>#<caseId>    |
 * | audit event     | CASE#<caseId>         | EVENT#<seq:000000> | -                      | -                      |
 * | email sent      | CASE#<caseId>         | EMAIL#<at>#<id>    | EMAILS                 | <at>#<id>              |
 * | outbox marker   | CASE#<caseId>         | OUTBOX#<hash>      | -                      | -                      |
 * | audit head      | CASE#<caseId>         | AUDITHEAD          | -                      | -                      |
 * | parked audit    | CASE#<caseId>         | AUDITINBOX#<id>    | AUDITINBOX             | <at>#<caseId>#<id>     |
 * | pending task    | TASK#<taskId>         | TASK               | CASE#<caseId>          | TASK#<createdAt>       |
 * | undelivered     | TASK#<taskId>         | UNDELIVERED        | UNDELIVERED            | <at>#<taskId>          |
 * | board meeting   | MEETING#<meetingId>   | MEETING            | MEETINGS               | <date>#<meetingId>     |
 * | ingest run      | INGEST#<runId>        | RUN                | INGESTS                | <startedAt>            |
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  gsi1: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
} as const;

export const keys = {
  provider: (providerId: string) => ({ pk: `PROVIDER#${providerId}`, sk: 'PROVIDER' }),
  location: (locationId: string) => ({ pk: `LOCATION#${locationId}`, sk: 'LOCATION' }),
  openCaseLock: (locationId: string) => ({ pk: `LOCATION#${locationId}`, sk: 'OPENCASE' }),
  contract: (contractId: string) => ({ pk: `CONTRACT#${contractId}`, sk: 'CONTRACT' }),
  /** One per location a contract covers, so a location finds its contracts (a contract may cover several). */
  contractLink: (locationId: string, contractId: string) => ({ pk: `LOCATION#${locationId}`, sk: `CONTRACT#${contractId}` }),
  /** One contact per role, for the whole provider or one of its locations. */
  /** A concern about a location, kept whether or not a case took it up (functions/ladder/concerns.ts). */
  concern: (locationId: string, raisedOn: string, concernId: string) => ({ pk: `LOCATION#${locationId}`, sk: `CONCERN#${raisedOn}#${concernId}` }),
  providerContact: (providerId: string, role: string, locationId?: string) => ({ pk: `PROVIDER#${providerId}`, sk: `CONTACT#${role}#${locationId ?? '-'}` }),
  case: (caseId: string) => ({ pk: `CASE#${caseId}`, sk: 'CASE' }),
  auditEvent: (caseId: string, seq: number) => ({ pk: `CASE#${caseId}`, sk: `EVENT#${String(seq).padStart(6, '0')}` }),
  email: (caseId: string, at: string, messageId: string) => ({ pk: `CASE#${caseId}`, sk: `EMAIL#${at}#${messageId}` }),
  /** One per email a state machine action sent, so its retries do not send it again. */
  outbox: (caseId: string, key: string) => ({ pk: `CASE#${caseId}`, sk: `OUTBOX#${key}` }),
  /** The newest audit event's seq and hash, so removing the newest events is noticed too. */
  auditHead: (caseId: string) => ({ pk: `CASE#${caseId}`, sk: 'AUDITHEAD' }),
  task: (taskId: string) => ({ pk: `TASK#${taskId}`, sk: 'TASK' }),
  /** Written before a decision is recorded, removed once it reached Step Functions: what recovery settles. */
  undelivered: (taskId: string) => ({ pk: `TASK#${taskId}`, sk: 'UNDELIVERED' }),
  /** An audit event that could not join its chain at once (a busy chain): chained later, never dropped. */
  auditInbox: (caseId: string, id: string) => ({ pk: `CASE#${caseId}`, sk: `AUDITINBOX#${id}` }),
  meeting: (meetingId: string) => ({ pk: `MEETING#${meetingId}`, sk: 'MEETING' }),
  ingestRun: (runId: string) => ({ pk: `INGEST#${runId}`, sk: 'RUN' }),
} as const;

export function documentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}
