/**
 * Importing the contract register: a plan first (what would be added, changed, ended, and every
 * rejected row with its line and reason), then the same plan applied. Idempotent: a file whose
 * contents are already on record changes nothing and writes nothing.
 *
 * Applying writes each contact and contract, then one audit event per contract (its own chain,
 * `contract-<id>`) and per provider whose contacts changed (`provider-<id>`). Every record written
 * carries the import's id, so an apply that was interrupted and is run again finds the records it
 * wrote and adds the audit events it had not yet written, once.
 */
import { isoDate, type Clock } from '../lib/clock';
import type { AppConfig } from '../lib/config';
import type { Store } from '../lib/store';
import type { Contract, ContactRole, ProviderContact } from '../lib/model';
import { parseRegister, REGISTER_COLUMNS, type ParsedRegister, type RegisterContract, type Rejection } from './register';
import { readTableFile } from './table-file';
import { digestOf } from './uploads';

export interface CouncilDeps {
  store: Store;
  config: AppConfig;
  clock: Clock;
}

export type ContractChangeKind = 'added' | 'changed' | 'ended' | 'unchanged';

export interface ContractChange {
  contractId: string;
  providerId: string;
  locationIds: string[];
  kind: ContractChangeKind;
  /** The fields that differ from the record (empty when added or unchanged). */
  fields: string[];
  lines: number[];
}

export interface ContactChange {
  providerId: string;
  locationId?: string;
  role: ContactRole;
  name: string;
  kind: 'added' | 'changed' | 'unchanged';
  line: number;
}

export interface RegisterPlan {
  importId: string;
  file: string;
  format: ParsedRegister['format'];
  headerLine: number;
  unusedColumns: string[];
  rowsRead: number;
  contracts: ContractChange[];
  contacts: ContactChange[];
  rejections: Rejection[];
  /** Live contracts on record that this file does not mention (left as they are). */
  notInFile: string[];
  summary: { added: number; changed: number; ended: number; unchanged: number; contactsAdded: number; contactsChanged: number; rejected: number };
  applied: boolean;
}

interface Planned {
  plan: RegisterPlan;
  contracts: Array<{ change: ContractChange; next: Contract; before?: Contract }>;
  contacts: Array<{ change: ContactChange; next: ProviderContact; before?: ProviderContact }>;
}

/** The register's own facts of a contract, compared field by field with the record. */
const COMPARED: Array<keyof Contract> = [
  'providerId',
  'locationIds',
  'title',
  'supplierName',
  'serviceType',
  'area',
  'startDate',
  'endDate',
  'value',
  'annualSpend',
  'placements',
  'noticeDays',
  'nhsFundedNursing',
  'continuingHealthcare',
  'outOfCounty',
  'hostAuthority',
  'marketRisk',
  'relationshipHolder',
  'status',
];

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function contactKey(contact: Pick<ProviderContact, 'providerId' | 'role' | 'locationId'>): string {
  return `${contact.providerId}|${contact.role}|${contact.locationId ?? '-'}`;
}

export const contractAuditId = (contractId: string) => `contract-${contractId}`;
export const providerAuditId = (providerId: string) => `provider-${providerId}`;

async function plan(deps: CouncilDeps, body: Buffer, fileName: string): Promise<Planned> {
  const table = await readTableFile(body, fileName);
  const parsed = parseRegister(table, fileName, deps.config);
  const importId = digestOf(body, { kind: 'contracts' });
  const today = isoDate(deps.clock.now());
  const now = deps.clock.now().toISOString();
  const source = `register ${fileName}`;
  const rejections = [...parsed.rejections];
  const onRecord = new Map((await deps.store.listContracts()).map((contract) => [contract.contractId, contract]));
  const locationProvider = new Map<string, string | undefined>();
  const providerOf = async (locationId: string) => {
    if (!locationProvider.has(locationId)) locationProvider.set(locationId, (await deps.store.getLocation(locationId))?.providerId);
    return locationProvider.get(locationId);
  };

  const contracts: Planned['contracts'] = [];
  const accepted = new Map<string, { contract: RegisterContract; providerId: string }>();
  for (const contract of parsed.contracts) {
    const reject = (field: string, reason: string, value: string) => {
      for (const line of contract.lines) rejections.push({ line, field, reason, value });
    };
    const known = await Promise.all(contract.locationIds.map(async (id) => [id, await providerOf(id)] as const));
    const providerId = contract.providerId ?? known.find(([, provider]) => provider)?.[1];
    if (!providerId) {
      reject(REGISTER_COLUMNS.providerId.header, 'is empty and no location of the contract is on record yet (load the CQC ratings first, or give the provider id)', '');
      continue;
    }
    const elsewhere = known.find(([, provider]) => provider && provider !== providerId);
    if (elsewhere) {
      reject(REGISTER_COLUMNS.locationIds.header, `belongs to provider ${elsewhere[1]} in CQC's data, not ${providerId}`, elsewhere[0]);
      continue;
    }
    accepted.set(contract.contractId, { contract, providerId });
    const before = onRecord.get(contract.contractId);
    const status = before?.status === 'terminated' ? 'terminated' : (contract.status ?? (contract.endDate && contract.endDate < today ? 'ended' : 'active'));
    const facts: Partial<Contract> = {
      providerId,
      locationIds: contract.locationIds,
      title: contract.title,
      supplierName: contract.supplierName,
      serviceType: contract.serviceType,
      area: contract.area,
      startDate: contract.startDate,
      endDate: contract.endDate,
      value: contract.value,
      annualSpend: contract.annualSpend,
      placements: contract.placements,
      noticeDays: contract.noticeDays,
      nhsFundedNursing: contract.nhsFundedNursing,
      continuingHealthcare: contract.continuingHealthcare,
      outOfCounty: contract.outOfCounty,
      hostAuthority: contract.hostAuthority,
      marketRisk: contract.marketRisk,
      relationshipHolder: contract.relationshipHolder,
      status,
    };
    const fields = before ? COMPARED.filter((field) => !same(before[field], facts[field])) : [];
    const kind: ContractChangeKind = before && fields.length === 0 ? 'unchanged' : status === 'ended' && before?.status !== 'ended' ? 'ended' : before ? 'changed' : 'added';
    const next: Contract = {
      contractVisits: 'scheduled',
      placementsStopped: false,
      ...before,
      ...facts,
      contractId: contract.contractId,
      locationId: contract.locationIds[0]!,
      serviceType: contract.serviceType,
      area: contract.area,
      relationshipHolder: contract.relationshipHolder,
      nhsFundedNursing: contract.nhsFundedNursing,
      continuingHealthcare: contract.continuingHealthcare,
      outOfCounty: contract.outOfCounty,
      marketRisk: contract.marketRisk,
      placements: contract.placements,
      status,
      providerId,
      source: kind === 'unchanged' ? before?.source : source,
      importId: kind === 'unchanged' ? before?.importId : importId,
      updatedAt: kind === 'unchanged' ? before?.updatedAt : now,
    };
    contracts.push({ change: { contractId: contract.contractId, providerId, locationIds: contract.locationIds, kind, fields, lines: contract.lines }, next, before });
  }

  // Contacts: one per role for the provider (owner, Nominated Individual) or per location.
  const contacts: Planned['contacts'] = [];
  const seen = new Map<string, { line: number; name: string; email: string }>();
  const stored = new Map<string, ProviderContact[]>();
  for (const contact of parsed.contacts) {
    const owner = accepted.get(contact.contractId);
    if (!owner) continue; // its row was rejected, and reported
    const perLocation = contact.role === 'registeredManager' || contact.role === 'familiesContact';
    for (const locationId of perLocation ? contact.locationIds : [undefined]) {
      const key = contactKey({ providerId: owner.providerId, role: contact.role, locationId });
      const earlier = seen.get(key);
      if (earlier) {
        if (earlier.email.toLowerCase() !== contact.email.toLowerCase() || earlier.name !== contact.name) {
          rejections.push({ line: contact.line, field: REGISTER_COLUMNS.contractRef.header, reason: `names a different ${contact.role === 'owner' ? 'owner' : contact.role === 'nominatedIndividual' ? 'Nominated Individual' : 'contact'} for ${locationId ?? `provider ${owner.providerId}`} than line ${earlier.line} (${earlier.name}); the first is kept`, value: contact.name });
        }
        continue;
      }
      seen.set(key, { line: contact.line, name: contact.name, email: contact.email });
      if (!stored.has(owner.providerId)) stored.set(owner.providerId, await deps.store.listContacts(owner.providerId));
      const before = stored.get(owner.providerId)!.find((item) => contactKey(item) === key);
      const unchanged = before && before.name === contact.name && before.email === contact.email && before.phone === contact.phone;
      const kind = unchanged ? 'unchanged' : before ? 'changed' : 'added';
      const next: ProviderContact = {
        providerId: owner.providerId,
        ...(locationId ? { locationId } : {}),
        role: contact.role,
        name: contact.name,
        email: contact.email,
        phone: contact.phone,
        source: unchanged ? before.source : source,
        importId: unchanged ? before.importId : importId,
        updatedAt: unchanged ? before.updatedAt : now,
      };
      contacts.push({ change: { providerId: owner.providerId, locationId, role: contact.role, name: contact.name, kind, line: contact.line }, next, before });
    }
  }

  const mentioned = new Set(parsed.contracts.map((contract) => contract.contractId));
  const notInFile = [...onRecord.values()].filter((contract) => contract.status === 'active' && !mentioned.has(contract.contractId)).map((contract) => contract.contractId).sort();
  const count = (kind: ContractChangeKind) => contracts.filter((item) => item.change.kind === kind).length;
  rejections.sort((a, b) => a.line - b.line);
  return {
    plan: {
      importId,
      file: fileName,
      format: parsed.format,
      headerLine: parsed.headerLine,
      unusedColumns: parsed.unusedColumns,
      rowsRead: parsed.rowsRead,
      contracts: contracts.map((item) => item.change),
      contacts: contacts.map((item) => item.change),
      rejections,
      notInFile,
      summary: {
        added: count('added'),
        changed: count('changed'),
        ended: count('ended'),
        unchanged: count('unchanged'),
        contactsAdded: contacts.filter((item) => item.change.kind === 'added').length,
        contactsChanged: contacts.filter((item) => item.change.kind === 'changed').length,
        rejected: new Set(rejections.map((rejection) => rejection.line)).size,
      },
      applied: false,
    },
    contracts,
    contacts,
  };
}

/** What the file would change: nothing is written. */
export async function previewRegister(deps: CouncilDeps, body: Buffer, fileName: string): Promise<RegisterPlan> {
  return (await plan(deps, body, fileName)).plan;
}

/** Test hook: the process kills itself after this many record writes (kill tests). */
function crashPoint(): number | undefined {
  const value = process.env.COUNCIL_IMPORT_CRASH_AFTER_WRITES;
  return value ? Number(value) : undefined;
}

export async function applyRegister(deps: CouncilDeps, body: Buffer, fileName: string, actor: string): Promise<RegisterPlan> {
  const planned = await plan(deps, body, fileName);
  const { importId } = planned.plan;
  const at = deps.clock.now().toISOString();
  const stopAfter = crashPoint();
  let writes = 0;
  const wrote = () => {
    writes += 1;
    if (stopAfter !== undefined && writes >= stopAfter) process.kill(process.pid, 'SIGKILL');
  };

  for (const { change, next } of planned.contacts) {
    if (change.kind === 'unchanged') continue;
    await deps.store.putContact(next);
    wrote();
  }
  for (const { change, next } of planned.contracts) {
    if (change.kind === 'unchanged') continue;
    await deps.store.putContract(next);
    wrote();
  }
  // Audit: every record this import wrote (now, or in an interrupted run of the same file).
  for (const { change, next } of planned.contracts) {
    if (next.importId !== importId) continue;
    const chain = contractAuditId(change.contractId);
    const events = await deps.store.listAudit(chain);
    if (events.some((event) => event.detail.importId === importId)) continue;
    // Unchanged now but written by this import: an interrupted run wrote it and stopped before
    // its audit event. A chain with no event yet means the record was new then.
    const kind = change.kind !== 'unchanged' ? change.kind : events.length > 0 ? 'changed' : next.status === 'ended' ? 'ended' : 'added';
    await deps.store.appendAudit({
      caseId: chain,
      at,
      actor,
      action: `contract ${kind} from the register`,
      detail: { importId, file: fileName, lines: change.lines, fields: change.fields, locations: change.locationIds, status: next.status },
    });
    wrote();
  }
  const byProvider = new Map<string, Planned['contacts']>();
  for (const item of planned.contacts) {
    if (item.next.importId !== importId) continue;
    byProvider.set(item.change.providerId, [...(byProvider.get(item.change.providerId) ?? []), item]);
  }
  for (const [providerId, items] of byProvider) {
    const chain = providerAuditId(providerId);
    if ((await deps.store.listAudit(chain)).some((event) => event.detail.importId === importId)) continue;
    await deps.store.appendAudit({
      caseId: chain,
      at,
      actor,
      action: 'contacts written from the register',
      detail: { importId, file: fileName, contacts: items.map(({ next }) => `${next.role}${next.locationId ? ` (${next.locationId})` : ''}: ${next.name} <${next.email}>`) },
    });
    wrote();
  }
  const result: RegisterPlan = { ...planned.plan, applied: true };
  await deps.store.putRaw({ pk: `COUNCILIMPORT#${importId}`, sk: 'CONTRACTS' }, { gsi1pk: 'COUNCILIMPORTS', gsi1sk: `${at}#${importId}` }, { kind: 'contracts', at, by: actor, file: fileName, summary: result.summary, rejected: result.rejections.length });
  return result;
}

