/** Shared fixtures for the ingestion tests: local DynamoDB, config, a recording escalation port, rows. */
import { readFileSync } from 'node:fs';
import { BatchWriteCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTable, localDynamoClient, startDynamo, type LocalDynamo } from '../../local/dynamo';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/endpoints';
import { documentClient, keys } from '../../functions/lib/table';
import { parseConfig, type AppConfig } from '../../functions/lib/config';
import type { EscalationPort, InspectionResult, OpenCaseRequest } from '../../functions/lib/escalation-port';
import type { Clock } from '../../functions/lib/clock';
import { LOCATIONS_HEADER, type SheetRow } from '../../functions/ingest/columns';
import { PINNED_NOW } from '../support/pinned-clock';

export interface TestDb {
  dynamo: LocalDynamo;
  doc: DynamoDBDocumentClient;
  /** A fresh table for one test. */
  table(): Promise<string>;
}

let tables = 0;

export async function startTestDb(): Promise<TestDb> {
  const dynamo = await startDynamo();
  const client = localDynamoClient(dynamo.endpoint);
  const doc = documentClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  return {
    dynamo,
    doc,
    async table() {
      tables += 1;
      const name = `Ingest${process.pid}x${tables}`;
      await ensureTable(client, name);
      return name;
    },
  };
}

export function testConfig(overrides: { localAuthorities?: string[]; formalStageOn?: ('Inadequate' | 'Requires improvement')[]; threshold?: number } = {}): AppConfig {
  const raw = JSON.parse(readFileSync(new URL('../../config/local.json', import.meta.url), 'utf8')) as Record<string, any>;
  raw.authority.localAuthorities = overrides.localAuthorities ?? ['Westshire'];
  if (overrides.formalStageOn) raw.policy.formalStageOn = overrides.formalStageOn;
  if (overrides.threshold) raw.policy.corporateConcernThreshold = overrides.threshold;
  return parseConfig(raw, 'test config');
}

/** The product's clock, pinned (test/support/pinned-clock.ts): publication dates after it are refused. */
export const fixedClock = (iso = PINNED_NOW.toISOString()): Clock => ({ now: () => new Date(iso) });

export type Call =
  | { method: 'openCase'; request: OpenCaseRequest }
  | { method: 'deliverInspection'; result: InspectionResult }
  | { method: 'raiseCorporateConcern'; providerId: string; locationIds: string[] };

/** An idempotent, recording stand-in for the ladder. */
export class RecordingEscalation implements EscalationPort {
  readonly calls: Call[] = [];
  /** locationId -> open case */
  readonly openCases = new Map<string, { caseId: string; stage: string; trigger: string }>();
  /** Locations whose open case waits on the next inspection. */
  readonly waitingOnInspection = new Set<string>();
  readonly resumed: { locationId: string; caseId: string; belowGood: boolean }[] = [];
  readonly concerns = new Map<string, string[]>();
  /** Throws (as a crash would) for a call this returns true for. */
  failWhen?: (call: Call) => boolean;
  private caseSeq = 0;

  private record(call: Call): void {
    this.calls.push(call);
    if (this.failWhen?.(call)) throw new Error(`injected failure in ${call.method}`);
  }

  async openCase(request: OpenCaseRequest) {
    this.record({ method: 'openCase', request });
    const open = this.openCases.get(request.locationId);
    if (open) return { caseId: open.caseId, opened: false };
    this.caseSeq += 1;
    const caseId = `case-${this.caseSeq}`;
    this.openCases.set(request.locationId, { caseId, stage: request.stage, trigger: request.trigger });
    return { caseId, opened: true };
  }

  async deliverInspection(result: InspectionResult) {
    this.record({ method: 'deliverInspection', result });
    const open = this.openCases.get(result.locationId);
    if (!open || !this.waitingOnInspection.has(result.locationId)) return { resumed: false };
    this.waitingOnInspection.delete(result.locationId);
    this.resumed.push({ locationId: result.locationId, caseId: open.caseId, belowGood: result.belowGood });
    return { caseId: open.caseId, resumed: true };
  }

  async raiseCorporateConcern(providerId: string, locationIds: string[]) {
    this.record({ method: 'raiseCorporateConcern', providerId, locationIds });
    this.concerns.set(providerId, locationIds);
    return { raised: true };
  }

  /** Read-only answers for a preview: what openCase / deliverInspection would do. */
  readonly preview = {
    openCase: async (request: OpenCaseRequest) => {
      const open = this.openCases.get(request.locationId);
      return open ? { caseId: open.caseId, opened: false } : { opened: true };
    },
    deliverInspection: async (result: InspectionResult) => {
      const open = this.openCases.get(result.locationId);
      return { caseId: open?.caseId, resumed: Boolean(open && this.waitingOnInspection.has(result.locationId)) };
    },
  };

  count(method: Call['method']): number {
    return this.calls.filter((call) => call.method === method).length;
  }
}

export interface LocationRowInput {
  locationId: string;
  providerId?: string;
  providerName?: string;
  name?: string;
  localAuthority?: string;
  group?: string;
  domain: string;
  rating: string;
  /** DD/MM/YYYY */
  date: string;
  reportType?: string;
  careHome?: 'Y' | 'N';
}

const column = (name: (typeof LOCATIONS_HEADER)[number]) => LOCATIONS_HEADER.indexOf(name);

/** A row on the real 28-column Locations header. */
export function locationRow(input: LocationRowInput): string[] {
  const cells = new Array<string>(LOCATIONS_HEADER.length).fill('');
  cells[column('Location ID')] = input.locationId;
  cells[column('Location Name')] = input.name ?? `Home ${input.locationId}`;
  cells[column('Care Home?')] = input.careHome ?? 'Y';
  cells[column('Location Type')] = 'Social Care Org';
  cells[column('Location Primary Inspection Category')] = 'Residential social care';
  cells[column('Location Street Address')] = '1 High Street';
  cells[column('Location City')] = 'Westtown';
  cells[column('Location Post Code')] = 'WS1 1AA';
  cells[column('Location Local Authority')] = input.localAuthority ?? 'Westshire';
  cells[column('Location Region')] = 'South West';
  cells[column('Service / Population Group')] = input.group ?? 'Overall';
  cells[column('Domain')] = input.domain;
  cells[column('Latest Rating')] = input.rating;
  cells[column('Publication Date')] = input.date;
  cells[column('Report Type')] = input.reportType ?? 'Location';
  cells[column('Inherited Rating (Y/N)')] = 'N';
  cells[column('URL')] = `https://www.cqc.org.uk/location/${input.locationId}`;
  cells[column('Provider ID')] = input.providerId ?? '1-100000001';
  cells[column('Provider Name')] = input.providerName ?? 'Westshire Care Ltd';
  cells[column('Brand ID')] = '-';
  cells[column('Brand Name')] = '-';
  return cells;
}

const QUESTIONS = ['Safe', 'Effective', 'Caring', 'Responsive', 'Well-led'] as const;

/** Six rows (Overall + five key questions) for one location. */
export function locationRows(
  base: Omit<LocationRowInput, 'domain' | 'rating'>,
  overall: string,
  questions: Partial<Record<(typeof QUESTIONS)[number], string>> = {},
): string[][] {
  return [
    locationRow({ ...base, domain: 'Overall', rating: overall }),
    ...QUESTIONS.map((question) => locationRow({ ...base, domain: question, rating: questions[question] ?? (overall === 'Outstanding' ? 'Outstanding' : 'Good') })),
  ];
}

/** Sheet rows (header first) as `ingestRatings` takes them, numbered like file lines. */
export async function* sheetRows(rows: string[][], header: readonly string[] = LOCATIONS_HEADER): AsyncGenerator<SheetRow> {
  yield { line: 1, cells: [...header] };
  let line = 1;
  for (const cells of rows) {
    line += 1;
    yield { line, cells };
  }
}

export async function scanAll(doc: DynamoDBDocumentClient, tableName: string): Promise<Record<string, any>[]> {
  const items: Record<string, any>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

export async function putContract(doc: DynamoDBDocumentClient, tableName: string, contract: { contractId: string; locationId: string; providerId: string }) {
  await doc.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...keys.contract(contract.contractId),
        gsi1pk: 'CONTRACTS',
        gsi1sk: contract.locationId,
        ...contract,
        serviceType: 'RC',
        area: 'West',
        nhsFundedNursing: false,
        status: 'active',
        contractVisits: 'scheduled',
        relationshipHolder: 'aisha-khan',
        registeredManager: { name: 'R M', email: 'rm@example.com' },
        nominatedIndividual: { name: 'N I', email: 'ni@example.com' },
        placements: 3,
        placementsStopped: false,
      },
    }),
  );
}

/** Counts the write requests a document client sends, and can fail the Nth BatchWrite. */
export function countingDoc(doc: DynamoDBDocumentClient, options: { failBatchWriteAt?: number } = {}) {
  const counts = { batchWrites: 0, itemsPut: 0 };
  const wrapped = Object.create(doc) as DynamoDBDocumentClient;
  (wrapped as { send: unknown }).send = async (command: unknown) => {
    if (command instanceof BatchWriteCommand) {
      counts.batchWrites += 1;
      if (options.failBatchWriteAt !== undefined && counts.batchWrites === options.failBatchWriteAt) {
        throw new Error('injected crash in BatchWriteItem');
      }
      const requests = Object.values(command.input.RequestItems ?? {})[0] ?? [];
      counts.itemsPut += requests.length;
    }
    return (doc.send as (c: unknown) => Promise<unknown>)(command);
  };
  return { doc: wrapped, counts };
}
