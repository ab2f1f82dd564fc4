/**
 * The contract register as councils hold it: their contract management system's export (the Local
 * Government Transparency Code columns, or Atamis-style `CONTRACT_REF`, `START_DATE`, …) with the
 * care columns a council adds (CQC location ids, service type, area, placements, NHS funding,
 * relationship holder, out of county, market risk) and the provider's people. Columns are matched
 * by name; every row that cannot be taken is reported with its line and reason, and the rest go in.
 *
 * A contract may cover several locations: list them in one cell (`1-101; 1-102`), or repeat the
 * contract reference on several rows, one per location (the contract's own fields must agree).
 */
import type { AppConfig } from '../lib/config';
import { SERVICE_TYPES, type ContactRole, type ServiceType } from '../lib/model';
import { cell, isCqcId, isEmail, mapTable, parseDate, parseMoney, parseYesNo, splitList, type ColumnSpec, type TableFile, RowProblem } from './table-file';
import type { SheetRow } from '../ingest/columns';

export const REGISTER_COLUMNS = {
  contractRef: { header: 'Contract Reference', aliases: ['Contract Reference Number', 'CONTRACT_REF', 'Contract Ref', 'Reference Number', 'Contract ID', 'Contract Number'], required: true },
  title: { header: 'Contract Title', aliases: ['Title', 'CONTRACT_NAME', 'Contract Name', 'Description'] },
  supplierName: { header: 'Supplier Name', aliases: ['SUPPLIER_NAME', 'Supplier', 'Provider Name'] },
  providerId: { header: 'CQC Provider ID', aliases: ['Provider ID'] },
  locationIds: { header: 'CQC Location ID', aliases: ['CQC Location IDs', 'Location ID', 'Location IDs'], required: true },
  serviceType: { header: 'Service Type', aliases: ['Type of Service'], required: true },
  area: { header: 'Area', aliases: ['Contract Area', 'Locality'], required: true },
  startDate: { header: 'Contract Start Date', aliases: ['Start Date', 'START_DATE'] },
  endDate: { header: 'Contract End Date', aliases: ['End Date', 'CURRENT_END_DATE'] },
  endWithExtensions: { header: 'End Date Including Extensions', aliases: ['Contract End Date Including Extensions'] },
  value: { header: 'Value', aliases: ['Contract Value', 'CURRENT_VALUE', 'Total Value'] },
  annualSpend: { header: 'Annual Spend', aliases: ['ESTIMATED_ANNUAL_VALUE', 'Estimated Annual Value', 'Annual Value'] },
  placements: { header: 'Placements', aliases: ['Number of Placements', 'Placements Commissioned'] },
  noticeDays: { header: 'Notice Period (days)', aliases: ['Notice Period', 'Termination Notice (days)', 'Notice Days'] },
  nhsFundedNursing: { header: 'NHS-funded Nursing', aliases: ['NHS Funded Nursing Care', 'Funded Nursing Care', 'FNC'] },
  continuingHealthcare: { header: 'Continuing Healthcare', aliases: ['NHS Continuing Healthcare', 'CHC'] },
  relationshipHolder: { header: 'Relationship Holder', aliases: ['Lead Officer', 'Contract Manager'], required: true },
  outOfCounty: { header: 'Out of County', aliases: ['Out of Area', 'Out of County Placement'] },
  hostAuthority: { header: 'Host Authority', aliases: ['Host Local Authority'] },
  hostContactName: { header: 'Host Authority Contact' },
  hostContactEmail: { header: 'Host Authority Email' },
  hostContactPhone: { header: 'Host Authority Phone' },
  marketRisk: { header: 'Market Risk' },
  status: { header: 'Contract Status', aliases: ['Status'] },
  ownerName: { header: 'Owner', aliases: ['Owner / Chief Officer', 'Chief Officer'] },
  ownerEmail: { header: 'Owner Email', aliases: ['Chief Officer Email'] },
  ownerPhone: { header: 'Owner Phone', aliases: ['Chief Officer Phone'] },
  nominatedName: { header: 'Nominated Individual' },
  nominatedEmail: { header: 'Nominated Individual Email' },
  nominatedPhone: { header: 'Nominated Individual Phone' },
  managerName: { header: 'Registered Manager' },
  managerEmail: { header: 'Registered Manager Email' },
  managerPhone: { header: 'Registered Manager Phone' },
  familiesName: { header: 'Families Contact', aliases: ['Residents and Families Contact'] },
  familiesEmail: { header: 'Families Contact Email', aliases: ['Residents and Families Contact Email'] },
  familiesPhone: { header: 'Families Contact Phone', aliases: ['Residents and Families Contact Phone'] },
} satisfies Record<string, ColumnSpec>;
export type RegisterField = keyof typeof REGISTER_COLUMNS;

/** The columns in the order the README documents them and the demo writes them. */
export const REGISTER_HEADER: string[] = Object.values(REGISTER_COLUMNS).map((spec) => spec.header);

const SERVICE_TYPE_WORDS: Record<string, ServiceType> = {
  residentialcare: 'RC',
  residential: 'RC',
  carehome: 'RC',
  nursingcare: 'NC',
  nursing: 'NC',
  nursinghome: 'NC',
  specialistresidentialcare: 'SRC',
  specialistresidential: 'SRC',
  domiciliarycare: 'DCA',
  domiciliarycareagency: 'DCA',
  homecare: 'DCA',
  supportedliving: 'SL',
};

export function parseServiceType(text: string): ServiceType | undefined {
  const upper = text.trim().toUpperCase();
  if ((SERVICE_TYPES as readonly string[]).includes(upper)) return upper as ServiceType;
  return SERVICE_TYPE_WORDS[text.toLowerCase().replace(/[^a-z]/g, '')];
}

/** An officer named by id, email or name. */
export function findOfficer(config: Pick<AppConfig, 'officers'>, text: string): string | undefined {
  const value = text.trim().toLowerCase();
  return config.officers.find((officer) => officer.id.toLowerCase() === value || officer.email.toLowerCase() === value || officer.name.toLowerCase() === value)?.id;
}

export interface Rejection {
  line: number;
  field: string;
  reason: string;
  value: string;
}

/** The contract as the register states it (what the product keeps beside it is not here). */
export interface RegisterContract {
  contractId: string;
  locationIds: string[];
  /** From the register, else found from the locations on record when the plan is made. */
  providerId?: string;
  title?: string;
  supplierName?: string;
  serviceType: ServiceType;
  area: string;
  startDate?: string;
  endDate?: string;
  value?: number;
  annualSpend?: number;
  placements: number;
  /** Days' notice of termination the contract gives. */
  noticeDays?: number;
  nhsFundedNursing: boolean;
  continuingHealthcare: boolean;
  outOfCounty: boolean;
  hostAuthority?: { name: string; contact: { name: string; email: string; phone: string } };
  marketRisk: boolean;
  relationshipHolder: string;
  /** Stated in the register; otherwise worked out from the end date. */
  status?: 'active' | 'ended' | 'terminated';
  lines: number[];
}

export interface RegisterContact {
  contractId: string;
  /** A Registered Manager and the families' contact are per location; the others are the provider's. */
  locationIds: string[];
  role: ContactRole;
  name: string;
  email: string;
  phone: string;
  line: number;
}

export interface ParsedRegister {
  file: string;
  format: TableFile['format'];
  headerLine: number;
  unusedColumns: string[];
  rowsRead: number;
  contracts: RegisterContract[];
  contacts: RegisterContact[];
  rejections: Rejection[];
}

const CONTACT_FIELDS: Array<{ role: ContactRole; name: RegisterField; email: RegisterField; phone: RegisterField; perLocation: boolean }> = [
  { role: 'owner', name: 'ownerName', email: 'ownerEmail', phone: 'ownerPhone', perLocation: false },
  { role: 'nominatedIndividual', name: 'nominatedName', email: 'nominatedEmail', phone: 'nominatedPhone', perLocation: false },
  { role: 'registeredManager', name: 'managerName', email: 'managerEmail', phone: 'managerPhone', perLocation: true },
  { role: 'familiesContact', name: 'familiesName', email: 'familiesEmail', phone: 'familiesPhone', perLocation: true },
];

function domain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

function parseRow(columns: Record<RegisterField, number>, row: SheetRow, config: Pick<AppConfig, 'officers'>): { contract: RegisterContract; contacts: RegisterContact[] } {
  const get = (field: RegisterField) => cell(columns, row, field);
  const header = (field: RegisterField) => REGISTER_COLUMNS[field].header;
  const required = (field: RegisterField) => {
    const value = get(field);
    if (!value) throw new RowProblem(header(field), 'is empty', '');
    return value;
  };
  const yesNo = (field: RegisterField) => {
    const value = parseYesNo(get(field));
    if (value === undefined) throw new RowProblem(header(field), 'is not Y or N', get(field));
    return value;
  };
  const date = (field: RegisterField) => {
    const text = get(field);
    if (!text) return undefined;
    // A workbook's date cell without a date style arrives as Excel's serial day number.
    const serial = /^\d{5}(\.\d+)?$/.test(text) ? new Date(Date.UTC(1899, 11, 30) + Math.floor(Number(text)) * 86_400_000).toISOString().slice(0, 10) : undefined;
    const value = serial ?? parseDate(text);
    if (!value) throw new RowProblem(header(field), 'is not a date (YYYY-MM-DD or DD/MM/YYYY)', text);
    return value;
  };
  const money = (field: RegisterField) => {
    const text = get(field);
    if (!text) return undefined;
    const value = parseMoney(text);
    if (value === undefined) throw new RowProblem(header(field), 'is not an amount of money', text);
    return value;
  };

  const contractId = required('contractRef');
  if (!/^[\w./-]{1,80}$/.test(contractId)) throw new RowProblem(header('contractRef'), 'may hold letters, digits and . / - _ only (at most 80)', contractId);
  const locationIds = splitList(required('locationIds'));
  const badLocation = locationIds.find((id) => !isCqcId(id));
  if (badLocation) throw new RowProblem(header('locationIds'), 'is not a CQC location id (like 1-123456789)', badLocation);
  const providerId = get('providerId') || undefined;
  if (providerId && !isCqcId(providerId)) throw new RowProblem(header('providerId'), 'is not a CQC provider id (like 1-101234567)', providerId);
  const serviceType = parseServiceType(required('serviceType'));
  if (!serviceType) throw new RowProblem(header('serviceType'), `is not one of ${SERVICE_TYPES.join(', ')}`, get('serviceType'));
  const area = required('area');
  const startDate = date('startDate');
  const end = date('endDate');
  const extended = date('endWithExtensions');
  const endDate = [end, extended].filter((value): value is string => Boolean(value)).sort().at(-1);
  if (startDate && endDate && endDate < startDate) throw new RowProblem(header('endDate'), `is before the start date ${startDate}`, endDate);
  const placementsText = get('placements');
  if (placementsText && !/^\d{1,6}$/.test(placementsText)) throw new RowProblem(header('placements'), 'is not a whole number', placementsText);
  const noticeText = get('noticeDays').replace(/\s*days?$/i, '');
  if (noticeText && !/^\d{1,3}$/.test(noticeText)) throw new RowProblem(header('noticeDays'), 'is not a whole number of days', get('noticeDays'));
  const relationshipText = required('relationshipHolder');
  const relationshipHolder = findOfficer(config, relationshipText);
  if (!relationshipHolder) throw new RowProblem(header('relationshipHolder'), 'is not a configured officer (id, email or name)', relationshipText);
  const outOfCounty = yesNo('outOfCounty');
  let hostAuthority: RegisterContract['hostAuthority'];
  if (outOfCounty) {
    const name = get('hostAuthority');
    const email = get('hostContactEmail');
    if (!name) throw new RowProblem(header('hostAuthority'), 'is needed for an out-of-county contract (concerns are shared with it)', '');
    if (!isEmail(email)) throw new RowProblem(header('hostContactEmail'), 'is needed for an out-of-county contract, as an email address', email);
    hostAuthority = { name, contact: { name: get('hostContactName') || name, email, phone: get('hostContactPhone') } };
  }
  const statusText = get('status').toLowerCase();
  const status = !statusText ? undefined : /^(active|live|current|open)$/.test(statusText) ? 'active' : /^(ended|expired|closed|inactive)$/.test(statusText) ? 'ended' : /^terminated$/.test(statusText) ? 'terminated' : null;
  if (status === null) throw new RowProblem(header('status'), 'is not Active, Ended or Terminated', get('status'));

  const contract: RegisterContract = {
    contractId,
    locationIds,
    providerId,
    title: get('title') || undefined,
    supplierName: get('supplierName') || undefined,
    serviceType,
    area,
    startDate,
    endDate,
    value: money('value'),
    annualSpend: money('annualSpend'),
    placements: placementsText ? Number(placementsText) : 0,
    noticeDays: noticeText ? Number(noticeText) : undefined,
    nhsFundedNursing: yesNo('nhsFundedNursing'),
    continuingHealthcare: yesNo('continuingHealthcare'),
    outOfCounty,
    hostAuthority,
    marketRisk: yesNo('marketRisk'),
    relationshipHolder,
    status,
    lines: [row.line],
  };

  const contacts: RegisterContact[] = [];
  for (const spec of CONTACT_FIELDS) {
    const name = get(spec.name);
    const email = get(spec.email);
    if (!name && !email) continue;
    if (!name) throw new RowProblem(header(spec.name), 'is empty but its email is given', email);
    if (!isEmail(email)) throw new RowProblem(header(spec.email), 'is not an email address', email);
    contacts.push({ contractId, locationIds, role: spec.role, name, email, phone: get(spec.phone), line: row.line });
  }
  const families = contacts.find((contact) => contact.role === 'familiesContact');
  const providerDomains = new Set(contacts.filter((contact) => contact.role !== 'familiesContact').map((contact) => domain(contact.email)));
  if (families && providerDomains.has(domain(families.email))) {
    throw new RowProblem(
      header('familiesEmail'),
      "is a mailbox at the provider; letters to residents and families go through the council's own contact",
      families.email,
    );
  }
  return { contract, contacts };
}

/** The fields two rows of one contract must agree on. */
function contractFacts(contract: RegisterContract): string {
  const { locationIds: _locations, lines: _lines, ...facts } = contract;
  return JSON.stringify(facts);
}

export function parseRegister(table: TableFile, file: string, config: Pick<AppConfig, 'officers'>): ParsedRegister {
  const mapped = mapTable(table, REGISTER_COLUMNS, file);
  const rejections: Rejection[] = [];
  const contracts = new Map<string, RegisterContract>();
  const contacts: RegisterContact[] = [];
  for (const row of mapped.rows) {
    try {
      const parsed = parseRow(mapped.columns, row, config);
      const held = contracts.get(parsed.contract.contractId);
      if (held) {
        if (contractFacts(held) !== contractFacts(parsed.contract)) {
          throw new RowProblem(REGISTER_COLUMNS.contractRef.header, `repeats contract ${held.contractId} from line ${held.lines[0]} with different details`, held.contractId);
        }
        held.locationIds = [...new Set([...held.locationIds, ...parsed.contract.locationIds])];
        held.lines.push(row.line);
      } else {
        contracts.set(parsed.contract.contractId, parsed.contract);
      }
      contacts.push(...parsed.contacts);
    } catch (error) {
      if (!(error instanceof RowProblem)) throw error;
      rejections.push({ line: row.line, field: error.field, reason: error.reason, value: error.value });
    }
  }
  return {
    file,
    format: table.format,
    headerLine: mapped.headerLine,
    unusedColumns: mapped.unused,
    rowsRead: mapped.rows.length,
    contracts: [...contracts.values()],
    contacts,
    rejections,
  };
}
