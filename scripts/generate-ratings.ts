/**
 * Generates a CQC Locations sheet on the real 28-column header (CQC-DATA.md), as CSV (BOM, CRLF,
 * no final newline, like the published copies) or as an ODS workbook, streamed.
 *
 *   tsx scripts/generate-ratings.ts --locations 60000 --out .bench/national.csv --format csv
 *   tsx scripts/generate-ratings.ts --locations 60000 --out .bench/national.ods --format ods
 *
 * The mix is realistic: about 4% Outstanding, 75% Good, 17% Requires improvement and 2% Inadequate
 * overall, key questions correlated with the overall rating, care homes, domiciliary care, GPs,
 * dentists (Not applicable), hospitals with core-service rows; about 150 local authorities, one of
 * them `Westshire` (the sample configuration's area). Deterministic for a given seed.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LOCATIONS_HEADER } from '../functions/ingest/columns';
import { writeOds, type OdsCell } from './ods-writer';
import { csvLine } from '../functions/ingest/csv';

export const REGIONS = [
  'North East',
  'North West',
  'Yorkshire and The Humber',
  'East Midlands',
  'West Midlands',
  'East',
  'London',
  'South East',
  'South West',
] as const;

/** About 150 local authorities; `Westshire` matches config/local.json. */
export const LOCAL_AUTHORITIES: readonly string[] = [
  'Westshire', 'Eastshire', 'Northshire', 'Southshire', 'Barnsley', 'Bath and North East Somerset', 'Bedford',
  'Bexley', 'Birmingham', 'Blackburn with Darwen', 'Blackpool', 'Bolton', 'Bournemouth, Christchurch and Poole',
  'Bracknell Forest', 'Bradford', 'Brent', 'Brighton and Hove', 'Bristol', 'Bromley', 'Buckinghamshire', 'Bury',
  'Calderdale', 'Cambridgeshire', 'Camden', 'Central Bedfordshire', 'Cheshire East', 'Cheshire West and Chester',
  'Cornwall', 'County Durham', 'Coventry', 'Croydon', 'Cumberland', 'Darlington', 'Derby', 'Derbyshire', 'Devon',
  'Doncaster', 'Dorset', 'Dudley', 'Ealing', 'East Riding of Yorkshire', 'East Sussex', 'Enfield', 'Essex',
  'Gateshead', 'Gloucestershire', 'Greenwich', 'Hackney', 'Halton', 'Hammersmith and Fulham', 'Hampshire',
  'Haringey', 'Harrow', 'Hartlepool', 'Havering', 'Herefordshire', 'Hertfordshire', 'Hillingdon', 'Hounslow',
  'Isle of Wight', 'Islington', 'Kensington and Chelsea', 'Kent', 'Kingston upon Hull', 'Kingston upon Thames',
  'Kirklees', 'Knowsley', 'Lambeth', 'Lancashire', 'Leeds', 'Leicester', 'Leicestershire', 'Lewisham',
  'Lincolnshire', 'Liverpool', 'Luton', 'Manchester', 'Medway', 'Merton', 'Middlesbrough', 'Milton Keynes',
  'Newcastle upon Tyne', 'Newham', 'Norfolk', 'North East Lincolnshire', 'North Lincolnshire', 'North Northamptonshire',
  'North Somerset', 'North Tyneside', 'North Yorkshire', 'Northumberland', 'Nottingham', 'Nottinghamshire',
  'Oldham', 'Oxfordshire', 'Peterborough', 'Plymouth', 'Portsmouth', 'Reading', 'Redbridge', 'Redcar and Cleveland',
  'Richmond upon Thames', 'Rochdale', 'Rotherham', 'Rutland', 'Salford', 'Sandwell', 'Sefton', 'Sheffield',
  'Shropshire', 'Slough', 'Solihull', 'Somerset', 'South Gloucestershire', 'South Tyneside', 'Southampton',
  'Southend-on-Sea', 'Southwark', 'St Helens', 'Staffordshire', 'Stockport', 'Stockton-on-Tees', 'Stoke-on-Trent',
  'Suffolk', 'Sunderland', 'Surrey', 'Sutton', 'Swindon', 'Tameside', 'Telford and Wrekin', 'Thurrock', 'Torbay',
  'Tower Hamlets', 'Trafford', 'Wakefield', 'Walsall', 'Waltham Forest', 'Wandsworth', 'Warrington', 'Warwickshire',
  'West Berkshire', 'West Northamptonshire', 'West Sussex', 'Westminster', 'Westmorland and Furness', 'Wigan',
  'Wiltshire', 'Windsor and Maidenhead', 'Wirral', 'Wokingham', 'Wolverhampton', 'Worcestershire', 'York',
];

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, weighted: readonly (readonly [T, number])[]): T {
  const total = weighted.reduce((sum, [, weight]) => sum + weight, 0);
  let r = random() * total;
  for (const [value, weight] of weighted) {
    r -= weight;
    if (r < 0) return value;
  }
  return (weighted[weighted.length - 1] as readonly [T, number])[0];
}

interface ServiceKind {
  type: string;
  category: string;
  careHome: 'Y' | 'N';
  weight: number;
  names: readonly string[];
  /** Core services rated separately (NHS hospitals). */
  coreServices?: readonly string[];
  notApplicable?: boolean;
}

const KINDS: readonly ServiceKind[] = [
  { type: 'Social Care Org', category: 'Residential social care', careHome: 'Y', weight: 36, names: ['House', 'Lodge', 'Care Home', 'Manor', 'Court', 'Nursing Home'] },
  { type: 'Social Care Org', category: 'Community based adult social care services', careHome: 'N', weight: 27, names: ['Home Care', 'Care Services', 'Domiciliary Care', 'Homecare Ltd - Branch', 'Supported Living'] },
  { type: 'Primary Medical Services', category: 'GP Practices', careHome: 'N', weight: 17, names: ['Surgery', 'Medical Centre', 'Health Centre', 'Medical Practice'] },
  { type: 'Primary Dental Care', category: 'Dentists', careHome: 'N', weight: 2, names: ['Dental Practice', 'Dental Care'], notApplicable: true },
  { type: 'Independent Healthcare Org', category: 'Independent hospitals - Mental Health/Capacity', careHome: 'N', weight: 8, names: ['Hospital', 'Clinic', 'Centre'] },
  { type: 'Social Care Org', category: 'Hospice services', careHome: 'N', weight: 3, names: ['Hospice'] },
  { type: 'Independent Ambulance', category: 'Independent Ambulance', careHome: 'N', weight: 2, names: ['Ambulance Service', 'Medical Transport'] },
  {
    type: 'NHS Healthcare Organisation',
    category: 'Acute hospital - NHS non-specialist',
    careHome: 'N',
    weight: 5,
    names: ['General Hospital', 'Royal Infirmary', 'Community Hospital'],
    coreServices: ['Urgent and emergency services', 'Medical care (including older people\'s care)', 'Surgery', 'Maternity', 'End of life care'],
  },
];

const OVERALL_MIX = [
  ['Outstanding', 4],
  ['Good', 75],
  ['Requires improvement', 17],
  ['Inadequate', 2],
  ['Not Rated', 1],
  ['Insufficient evidence to rate', 1],
] as const;

const KEY_QUESTION_MIX: Record<string, readonly (readonly [string, number])[]> = {
  Outstanding: [['Outstanding', 45], ['Good', 55]],
  // About one Good location in ten has a key question Requires improvement.
  Good: [['Good', 95.5], ['Outstanding', 2.5], ['Requires improvement', 2]],
  'Requires improvement': [['Requires improvement', 52], ['Good', 43], ['Inadequate', 5]],
  Inadequate: [['Inadequate', 45], ['Requires improvement', 40], ['Good', 15]],
};

const DOMAINS = ['Overall', 'Safe', 'Effective', 'Caring', 'Responsive', 'Well-led'] as const;
const WORDS = ['Oak', 'Willow', 'Beech', 'Meadow', 'River', 'Abbey', 'Park', 'Castle', 'Church', 'Rose', 'Elm', 'Cedar', 'Orchard', 'Hill', 'Brook', 'Valley', 'Heath', 'Grange', 'Priory', 'Mill'];
const STREETS = ['Road', 'Street', 'Lane', 'Avenue', 'Close', 'Way', 'Drive', 'Gardens'];

function dmy(date: Date): string {
  const d = String(date.getUTCDate()).padStart(2, '0');
  const m = String(date.getUTCMonth() + 1).padStart(2, '0');
  return `${d}/${m}/${date.getUTCFullYear()}`;
}

export interface GenerateOptions {
  locations: number;
  seed?: number;
  /** Restrict to these local authorities (default: all ~150). */
  localAuthorities?: readonly string[];
}

export interface GeneratedRow {
  cells: string[];
}

/** Column positions on the real header. */
const COLUMN = Object.fromEntries(LOCATIONS_HEADER.map((name, index) => [name, index])) as Record<(typeof LOCATIONS_HEADER)[number], number>;
export const PUBLICATION_DATE_COLUMN = COLUMN['Publication Date'];

/** Data rows (not the header) for `locations` locations: six per location, more for hospitals. */
export function* generateLocationRows(options: GenerateOptions): Generator<string[]> {
  const random = prng(options.seed ?? 20210201);
  const authorities = options.localAuthorities ?? LOCAL_AUTHORITIES;
  // Authorities differ in size; Westshire is a mid-sized one (about 0.7% of locations).
  const authorityWeights = authorities.map((name, index) => [index, name === 'Westshire' ? 1.0 : 0.35 + random() * 1.3] as const);
  const kindWeights = KINDS.map((kind, index) => [index, kind.weight] as const);
  const start = Date.UTC(2015, 0, 1);
  const span = Date.UTC(2025, 11, 31) - start;
  let providerLeft = 0;
  let providerId = '';
  let providerName = '';
  let providerAuthority = 0;
  let providerBrand: [string, string] = ['-', '-'];
  let providerSeq = 0;
  for (let n = 0; n < options.locations; n += 1) {
    if (providerLeft === 0) {
      providerSeq += 1;
      providerLeft = pick(random, [[1, 70], [2 + Math.floor(random() * 4), 20], [6 + Math.floor(random() * 25), 9], [40 + Math.floor(random() * 60), 1]]);
      providerId = `1-${String(100000000 + providerSeq * 7919).padStart(9, '0')}`;
      providerName = `${WORDS[Math.floor(random() * WORDS.length)]} ${WORDS[Math.floor(random() * WORDS.length)]} ${pick(random, [['Care Ltd', 3], ['Healthcare Limited', 2], ['Group plc', 1], ['Trust', 1], ['Partners', 1]])}`;
      providerAuthority = pick(random, authorityWeights);
      providerBrand = random() < 0.05 ? [`BD${100 + (providerSeq % 800)}`, `BRAND ${providerName.split(' ')[0]} Care`] : ['-', '-'];
    }
    providerLeft -= 1;
    // Most of a provider's locations are in its home authority; chains spread further.
    const authorityIndex = random() < 0.8 ? providerAuthority : pick(random, authorityWeights);
    const authority = authorities[authorityIndex] as string;
    const region = REGIONS[authorityIndex % REGIONS.length] as string;
    const kind = KINDS[pick(random, kindWeights)] as ServiceKind;
    const locationId = `1-${String(1000000000 + n * 104729).padStart(10, '0')}`;
    const name = `${WORDS[Math.floor(random() * WORDS.length)]} ${kind.names[Math.floor(random() * kind.names.length)]}`;
    const street = `${1 + Math.floor(random() * 200)} ${WORDS[Math.floor(random() * WORDS.length)]} ${STREETS[Math.floor(random() * STREETS.length)]}`;
    const postcode = `${String.fromCharCode(65 + Math.floor(random() * 26))}${String.fromCharCode(65 + Math.floor(random() * 26))}${1 + Math.floor(random() * 20)} ${Math.floor(random() * 10)}${String.fromCharCode(65 + Math.floor(random() * 26))}${String.fromCharCode(65 + Math.floor(random() * 26))}`;
    const ccg = `E38000${String(100 + (authorityIndex % 900)).padStart(3, '0')}`;
    const base = new Array<string>(LOCATIONS_HEADER.length).fill('');
    base[COLUMN['Location ID']] = locationId;
    base[COLUMN['Location ODS Code']] = kind.category === 'GP Practices' ? `Y0${String(1000 + n % 9000)}` : '';
    base[COLUMN['Location Name']] = name;
    base[COLUMN['Care Home?']] = kind.careHome;
    base[COLUMN['Location Type']] = kind.type;
    base[COLUMN['Location Primary Inspection Category']] = kind.category;
    base[COLUMN['Location Street Address']] = street;
    base[COLUMN['Location Address Line 2']] = random() < 0.4 ? `${WORDS[Math.floor(random() * WORDS.length)]}field` : '';
    base[COLUMN['Location City']] = authority.split(/[ ,]/)[0] as string;
    base[COLUMN['Location Post Code']] = postcode;
    base[COLUMN['Location Local Authority']] = authority;
    base[COLUMN['Location Region']] = region;
    base[COLUMN['Location NHS Region']] = `${region}`;
    base[COLUMN['Location ONSPD CCG Code']] = ccg;
    base[COLUMN['Location ONSPD CCG']] = `NHS ${authority} ICB`;
    base[COLUMN['Location Commissioning CCG Code']] = ccg;
    base[COLUMN['Location Commissioning CCG Name']] = `NHS ${authority} ICB`;
    base[COLUMN['URL']] = `https://www.cqc.org.uk/location/${locationId}`;
    base[COLUMN['Provider ID']] = providerId;
    base[COLUMN['Provider Name']] = providerName;
    base[COLUMN['Brand ID']] = providerBrand[0];
    base[COLUMN['Brand Name']] = providerBrand[1];

    const groups: [string, string][] = [['Overall', kind.coreServices ? 'Location' : 'Location']];
    for (const core of kind.coreServices ?? []) if (random() < 0.6) groups.push([core, 'CoreService']);
    const inherited = random() < 0.02 ? 'Y' : 'N';
    for (const [group, reportType] of groups) {
      const overall = kind.notApplicable ? 'Not applicable' : pick(random, OVERALL_MIX);
      const published = new Date(start + Math.floor(random() * span));
      // Now and then a focused inspection re-rated Safe or Well-led later.
      const focused = random() < 0.08 ? new Date(Math.min(start + span, published.getTime() + Math.floor(random() * 400) * 86_400_000)) : undefined;
      for (const domain of DOMAINS) {
        const mix = KEY_QUESTION_MIX[overall];
        const rating = domain === 'Overall' || !mix ? overall : pick(random, mix);
        const date = focused && (domain === 'Safe' || domain === 'Well-led') ? focused : published;
        const row = base.slice();
        row[COLUMN['Service / Population Group']] = group;
        row[COLUMN['Domain']] = domain;
        row[COLUMN['Latest Rating']] = rating;
        row[COLUMN['Publication Date']] = dmy(date);
        row[COLUMN['Report Type']] = reportType;
        row[COLUMN['Inherited Rating (Y/N)']] = inherited;
        yield row;
      }
    }
  }
}

export { csvLine };

async function writeText(path: string, lines: Iterable<string>, options: { bom?: boolean; eol?: string } = {}): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(path);
  const eol = options.eol ?? '\r\n';
  let buffer = options.bom === false ? '' : '\ufeff';
  let first = true;
  let count = 0;
  for (const line of lines) {
    buffer += (first ? '' : eol) + line;
    first = false;
    count += 1;
    if (buffer.length > 256 * 1024) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer); // no final newline, as CQC's copies
  await once(out, 'finish');
  return count;
}

/** Writes header + rows as CSV (BOM, CRLF, no final newline); returns the number of data rows. */
export async function writeCsv(path: string, header: readonly string[], rows: Iterable<string[]>, options: { bom?: boolean; eol?: string } = {}): Promise<number> {
  function* lines() {
    yield csvLine(header);
    for (const row of rows) yield csvLine(row);
  }
  return (await writeText(path, lines(), options)) - 1;
}

/** Writes the Locations sheet as ODS, Publication Date as typed date cells. */
export async function writeLocationsOds(path: string, rows: Iterable<string[]>, options: { level?: number } = {}): Promise<{ rows: number; xmlBytes: number }> {
  await mkdir(dirname(path), { recursive: true });
  let count = 0;
  function* odsRows(): Generator<OdsCell[]> {
    yield [...LOCATIONS_HEADER];
    for (const row of rows) {
      count += 1;
      const cells: OdsCell[] = row.slice();
      const text = row[PUBLICATION_DATE_COLUMN] as string;
      const match = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
      if (match) cells[PUBLICATION_DATE_COLUMN] = { date: `${match[3]}-${match[2]}-${match[1]}`, text };
      yield cells;
    }
  }
  const { xmlBytes } = await writeOds(path, [{ name: 'Locations', rows: odsRows() }], { level: options.level ?? 1 });
  return { rows: count, xmlBytes };
}

export async function generateRatingsFile(options: GenerateOptions & { out: string; format: 'csv' | 'ods' }): Promise<{ rows: number; bytes?: number }> {
  const rows = generateLocationRows(options);
  if (options.format === 'csv') return { rows: await writeCsv(options.out, LOCATIONS_HEADER, rows) };
  const result = await writeLocationsOds(options.out, rows);
  return { rows: result.rows, bytes: result.xmlBytes };
}

function argValue(argv: string[], name: string): string | undefined {
  const index = argv.findIndex((arg) => arg === name || arg.startsWith(`${name}=`));
  if (index < 0) return undefined;
  const arg = argv[index] as string;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[index + 1];
}

async function main(argv: string[]): Promise<void> {
  const locations = Number(argValue(argv, '--locations') ?? '60000');
  const out = argValue(argv, '--out');
  const format = (argValue(argv, '--format') ?? (out?.endsWith('.ods') ? 'ods' : 'csv')) as 'csv' | 'ods';
  const seed = Number(argValue(argv, '--seed') ?? '20210201');
  if (!out || !Number.isInteger(locations) || locations < 1 || (format !== 'csv' && format !== 'ods')) {
    process.stderr.write('usage: generate-ratings --locations N --out path [--format csv|ods] [--seed S]\n');
    process.exitCode = 2;
    return;
  }
  const started = performance.now();
  const result = await generateRatingsFile({ locations, seed, out, format });
  process.stdout.write(
    `wrote ${out}: ${result.rows.toLocaleString('en-GB')} rows for ${locations.toLocaleString('en-GB')} locations` +
      `${result.bytes ? ` (${(result.bytes / 1e6).toFixed(0)} MB of XML)` : ''} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}
