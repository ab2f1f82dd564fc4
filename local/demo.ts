/**
 * The demo a newcomer meets on first start: a few providers, locations and contracts in the
 * fictional Westshire, and a small ratings file on CQC's real Locations header. Ingesting it opens
 * cases on its own (one Inadequate home goes straight to the formal stage), so there is mail to
 * read and links to click within seconds.
 */
import type { Contract } from '../functions/lib/model';
import { LOCATIONS_HEADER } from '../functions/ingest/columns';
import { csvLine } from '../functions/ingest/csv';
import { REGISTER_HEADER } from '../functions/council/register';
import { SIMPLE_NEIGHBOUR_HEADER } from '../functions/council/neighbours';
import { memoCsvFromEntries, type MemoEntry } from '../functions/web/memo';

/** CQC's real Locations header, as ingestion knows it. */
export { LOCATIONS_HEADER };

interface DemoLocation {
  locationId: string;
  name: string;
  careHome: boolean;
  category: string;
  street: string;
  city: string;
  postcode: string;
  providerId: string;
  providerName: string;
  /** Overall, Safe, Effective, Caring, Responsive, Well-led. */
  ratings: [string, string, string, string, string, string];
  published: string;
  contract: Pick<Contract, 'serviceType' | 'area' | 'nhsFundedNursing' | 'relationshipHolder' | 'placements'> & { manager: string; nominated: string };
}

const G = 'Good';
const RI = 'Requires improvement';
const I = 'Inadequate';

export const DEMO_LOCATIONS: DemoLocation[] = [
  {
    locationId: '1-1000000001', name: 'Meadowbank House', careHome: true, category: 'Residential social care',
    street: '12 Mill Lane', city: 'Westbury', postcode: 'WS1 4AB', providerId: '1-900000001', providerName: 'Hawthorn Care Group Ltd',
    ratings: [RI, RI, G, G, G, RI], published: '02/10/2026',
    contract: { serviceType: 'RC', area: 'Westbury', nhsFundedNursing: false, relationshipHolder: 'aisha-khan', placements: 24, manager: 'Ruth Dale', nominated: 'Peter Hale' },
  },
  {
    locationId: '1-1000000002', name: 'Oakfield Nursing Home', careHome: true, category: 'Nursing homes',
    street: '3 Church Road', city: 'Kingsmoor', postcode: 'WS4 2CD', providerId: '1-900000001', providerName: 'Hawthorn Care Group Ltd',
    ratings: [I, I, RI, G, RI, I], published: '16/10/2026',
    contract: { serviceType: 'NC', area: 'Kingsmoor', nhsFundedNursing: true, relationshipHolder: 'tom-reid', placements: 31, manager: 'Dev Patel', nominated: 'Peter Hale' },
  },
  {
    locationId: '1-1000000003', name: 'Riverside Lodge', careHome: true, category: 'Residential social care',
    street: '40 Quay Street', city: 'Westbury', postcode: 'WS1 9EF', providerId: '1-900000002', providerName: 'Bluebell Homes Ltd',
    ratings: [G, G, G, G, G, G], published: '11/06/2026',
    contract: { serviceType: 'SRC', area: 'Westbury', nhsFundedNursing: false, relationshipHolder: 'aisha-khan', placements: 12, manager: 'Maria Santos', nominated: 'Lewis Grant' },
  },
  {
    locationId: '1-1000000004', name: 'Westshire Homecare', careHome: false, category: 'Community based adult social care services',
    street: 'Unit 5, Enterprise Park', city: 'Ashcombe', postcode: 'WS7 1GH', providerId: '1-900000003', providerName: 'Westshire Homecare Services Ltd',
    ratings: [G, G, RI, G, G, G], published: '21/09/2026',
    contract: { serviceType: 'DCA', area: 'Ashcombe', nhsFundedNursing: false, relationshipHolder: 'grace-owen', placements: 85, manager: 'Sam Okafor', nominated: 'Helen Price' },
  },
  {
    locationId: '1-1000000005', name: 'Willow Court', careHome: true, category: 'Residential social care',
    street: '8 Station Road', city: 'Ashcombe', postcode: 'WS7 3JK', providerId: '1-900000002', providerName: 'Bluebell Homes Ltd',
    ratings: [G, G, G, 'Outstanding', G, G], published: '30/04/2026',
    contract: { serviceType: 'RC', area: 'Ashcombe', nhsFundedNursing: false, relationshipHolder: 'tom-reid', placements: 18, manager: 'Joy Adams', nominated: 'Lewis Grant' },
  },
];

const DOMAINS = ['Overall', 'Safe', 'Effective', 'Caring', 'Responsive', 'Well-led'];

/** The demo's ratings as CQC publishes them: one row per location and domain, real header. */
export function demoRatingsCsv(locations: DemoLocation[] = DEMO_LOCATIONS): string {
  const rows = [csvLine(LOCATIONS_HEADER)];
  for (const location of locations) {
    location.ratings.forEach((rating, index) => {
      rows.push(
        csvLine([
          location.locationId, '', location.name, location.careHome ? 'Y' : 'N', 'Social Care Org', location.category,
          location.street, '', location.city, location.postcode, 'Westshire', 'South West', 'South West',
          'E38000001', 'NHS Westshire', 'E38000001', 'NHS Westshire', 'Overall', DOMAINS[index]!, rating,
          location.published, 'Location', 'N', `https://www.cqc.org.uk/location/${location.locationId}`,
          location.providerId, location.providerName, '-', '-',
        ]),
      );
    });
  }
  return rows.join('\r\n');
}

function email(name: string, domain: string): string {
  return `${name.toLowerCase().replace(/[^a-z]+/g, '.')}@${domain}`;
}

function providerDomain(location: DemoLocation): string {
  return `${location.providerName.toLowerCase().replace(/ (ltd|limited)$/, '').replace(/[^a-z]+/g, '-')}.example.co.uk`;
}

/** The council's own mailbox for a home's residents and families (never one at the provider). */
export function demoFamiliesEmail(locationId: string): string {
  return `families.${locationId}@westshire.example.gov.uk`;
}

function demoContractId(index: number): string {
  return `WS-C-${String(index + 1).padStart(4, '0')}`;
}

/**
 * The demo's contract register, as a council would export it (the README's columns): one contract
 * per location, with the provider's people and the council's own families' contact. The demo and
 * the tests load it through the register import, as a council loads its own.
 */
export function demoRegisterCsv(locations: DemoLocation[] = DEMO_LOCATIONS): string {
  const rows = [csvLine(REGISTER_HEADER)];
  locations.forEach((location, index) => {
    const domain = providerDomain(location);
    const values: Record<string, string> = {
      'Contract Reference': demoContractId(index),
      'Contract Title': `Care at ${location.name}`,
      'Supplier Name': location.providerName,
      'CQC Provider ID': location.providerId,
      'CQC Location ID': location.locationId,
      'Service Type': location.contract.serviceType,
      Area: location.contract.area,
      'Contract Start Date': '2024-04-01',
      'Contract End Date': '2029-03-31',
      'Annual Spend': String(location.contract.placements * 41_600),
      Placements: String(location.contract.placements),
      'NHS-funded Nursing': location.contract.nhsFundedNursing ? 'Y' : 'N',
      'Continuing Healthcare': 'N',
      'Relationship Holder': location.contract.relationshipHolder,
      'Out of County': 'N',
      'Market Risk': 'N',
      'Contract Status': 'Active',
      'Nominated Individual': location.contract.nominated,
      'Nominated Individual Email': email(location.contract.nominated, domain),
      'Registered Manager': location.contract.manager,
      'Registered Manager Email': email(location.contract.manager, domain),
      'Families Contact': `Residents and families of ${location.name}`,
      'Families Contact Email': demoFamiliesEmail(location.locationId),
      'Families Contact Phone': '01632 960 100',
    };
    rows.push(csvLine(REGISTER_HEADER.map((header) => values[header] ?? '')));
  });
  return rows.join('\r\n');
}

/** The same contracts as records, with contacts kept on the contract the older way (page fixtures). */
export function demoContracts(locations: DemoLocation[] = DEMO_LOCATIONS): Contract[] {
  return locations.map((location, index) => {
    const domain = providerDomain(location);
    return {
      contractId: demoContractId(index),
      locationId: location.locationId,
      providerId: location.providerId,
      serviceType: location.contract.serviceType,
      area: location.contract.area,
      nhsFundedNursing: location.contract.nhsFundedNursing,
      continuingHealthcare: false,
      outOfCounty: false,
      marketRisk: false,
      status: 'active',
      contractVisits: 'scheduled',
      relationshipHolder: location.contract.relationshipHolder,
      registeredManager: { name: location.contract.manager, email: email(location.contract.manager, domain) },
      nominatedIndividual: { name: location.contract.nominated, email: email(location.contract.nominated, domain) },
      serviceUsersContact: { name: `Residents and families of ${location.name}`, email: demoFamiliesEmail(location.locationId) },
      placements: location.contract.placements,
      placementsStopped: false,
    };
  });
}

/** A day `days` before `today`, as YYYY-MM-DD. */
function daysBefore(today: Date, days: number): string {
  return new Date(today.getTime() - days * 86_400_000).toISOString().slice(0, 10);
}

export interface DemoNeighbourList {
  authority: string;
  fileName: string;
  body: string;
  /** Given with the import when the file does not state it (the simple format). */
  listDate?: string;
}

/**
 * Two neighbouring authorities' lists, loaded through the neighbours' import at demo start:
 * Dorset Council runs this product, so its list is a Managed Placements Memo CSV (written by our own
 * writer) and names Oakfield by its CQC id; Eastshire County Council sends the simple format, no ids,
 * so its rows are matched by name and postcode, and its list is six weeks old (out of date). Each
 * has a service we do not know, listed as unmatched.
 */
export function demoNeighbourLists(today: Date): DemoNeighbourList[] {
  const dorset: MemoEntry[] = [
    {
      rag: 'RED', area: 'Out of county', serviceType: 'NC', providerId: '1-900000001', providerName: 'Hawthorn Care Group Ltd', locationId: '1-1000000002',
      locationName: 'Oakfield Nursing Home', address: '3 Church Road, Kingsmoor, WS4 2CD', postcode: 'WS4 2CD', contactName: 'Adult Social Care Quality Team',
      contactPhone: '01305 000 000', contactEmail: 'care.quality@dorset.example.gov.uk', addedAt: daysBefore(today, 20), caseId: '',
    },
    {
      rag: 'AMBER', area: 'Weymouth', serviceType: 'RC', providerId: '1-700000001', providerName: 'Seaview Care Ltd', locationId: '1-3000000009',
      locationName: 'Seaview House', address: '1 Esplanade, Weymouth, DT4 7AA', postcode: 'DT4 7AA', contactName: 'Adult Social Care Quality Team',
      contactPhone: '01305 000 000', contactEmail: 'care.quality@dorset.example.gov.uk', addedAt: daysBefore(today, 35), caseId: '',
    },
  ];
  const eastshire = [
    SIMPLE_NEIGHBOUR_HEADER,
    ['Hawthorn Care Group Ltd', '', 'Meadowbank House', 'WS1 4AB', 'Placing with restrictions', daysBefore(today, 50), 'Jo Marsh, 01632 961 000'],
    ['Bluebell Homes Ltd', '', 'Willow Court', 'ws7 3jk', 'Placing again', daysBefore(today, 45), 'Jo Marsh, 01632 961 000'],
    ['Harbour Homes Ltd', '', 'Harbour View', 'ES3 1XY', 'Not placing', daysBefore(today, 60), 'Jo Marsh, 01632 961 000'],
  ];
  return [
    { authority: 'Dorset Council', fileName: 'dorset-memo.csv', body: memoCsvFromEntries(dorset, 'Dorset Council', daysBefore(today, 2)) },
    { authority: 'Eastshire County Council', fileName: 'eastshire-status-list.csv', body: eastshire.map((cells) => csvLine(cells)).join('\r\n'), listDate: daysBefore(today, 42) },
  ];
}
