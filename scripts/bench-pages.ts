/**
 * Page benchmark (`npm run bench:pages`): national-scale data on the local runtime, then the time
 * the server takes to answer the busiest pages over HTTP.
 *
 * Seeds, straight into the table with BatchWriteItem: 500 providers, 2,000 locations with CQC
 * ratings and contracts across eight areas, and 2,000 cases spread over every stage (a fifth
 * closed) with memo entries (RED, AMBER, GREEN) on about a third. Then requests each page
 * `--requests` times (after two warm-up requests) with the admin token and reports the first
 * request's time, the median and the 95th percentile. The target is under 300 ms for /cases and
 * /memo. Locations' and providers' names are cached for a minute (functions/web/data.ts), so the
 * first request shows the cost with a cold cache.
 *
 *   npx tsx scripts/bench-pages.ts [--cases 2000] [--providers 500] [--requests 20]
 */
import { startRuntime } from '../local/runtime';
import { batchPut, type Item } from '../functions/ingest/store';
import { keys } from '../functions/lib/table';
import { MEMO_RAG, SERVICE_TYPES, STAGES, caseSchema, contractSchema, locationSchema, providerSchema } from '../functions/lib/model';

const TARGET_MS = 300;

function arg(name: string, fallback: number): number {
  const argv = process.argv.slice(2);
  const index = argv.indexOf(name);
  const value = index >= 0 ? Number(argv[index + 1]) : Number.NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** A small deterministic generator, so every run seeds the same data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const AREAS = ['Westbury', 'Kingsmoor', 'Ashcombe', 'Northfold', 'Saltmarsh', 'Greyhaven', 'Oakhurst', 'Millbrook'];
const RATINGS = ['Outstanding', 'Good', 'Good', 'Good', 'Requires improvement', 'Inadequate'];
const DOMAINS = ['Overall', 'Safe', 'Effective', 'Caring', 'Responsive', 'Well-led'];

export function seedItems(caseCount: number, providerCount: number, officers: string[], now: Date): Item[] {
  const next = random(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const day = (offset: number) => new Date(now.getTime() + offset * 86_400_000).toISOString();
  const items: Item[] = [];
  const iso = now.toISOString();

  for (let p = 0; p < providerCount; p += 1) {
    const providerId = `1-8${String(p).padStart(8, '0')}`;
    const provider = providerSchema.parse({
      providerId,
      name: `Bench Care Provider ${p} Ltd`,
      providerType: 'Social Care Org',
      address: { street: `${p} High Street`, line2: '', city: pick(AREAS), postcode: `BE${p % 90} 1AA` },
      localAuthority: 'Westshire',
      region: 'South West',
      ratings: {},
      updatedAt: iso,
    });
    items.push({ ...keys.provider(providerId), gsi1pk: 'PROVIDERS', gsi1sk: provider.name, ...provider });
  }

  for (let c = 0; c < caseCount; c += 1) {
    const providerId = `1-8${String(c % providerCount).padStart(8, '0')}`;
    const locationId = `1-7${String(c).padStart(9, '0')}`;
    const area = AREAS[c % AREAS.length]!;
    const ratings = Object.fromEntries(DOMAINS.map((domain) => [domain, { rating: pick(RATINGS), publicationDate: day(-Math.floor(next() * 400)).slice(0, 10), reportType: 'Location' }]));
    const location = locationSchema.parse({
      locationId,
      providerId,
      name: `Bench House ${c}`,
      address: { street: `${c} Station Road`, line2: '', city: area, postcode: `BH${c % 99} 2BB` },
      localAuthority: 'Westshire',
      region: 'South West',
      careHome: true,
      locationType: 'Social Care Org',
      primaryInspectionCategory: 'Residential social care',
      ratings,
      serviceRatings: {},
      ratingHistory: [],
      updatedAt: iso,
    });
    items.push({ ...keys.location(locationId), gsi1pk: `PROVIDER#${providerId}`, gsi1sk: `LOCATION#${locationId}`, ...location });

    const contract = contractSchema.parse({
      contractId: `BENCH-${c}`,
      locationId,
      providerId,
      serviceType: SERVICE_TYPES[c % SERVICE_TYPES.length]!,
      area,
      nhsFundedNursing: c % 5 === 0,
      status: 'active',
      contractVisits: 'scheduled',
      relationshipHolder: officers[c % officers.length]!,
      registeredManager: { name: 'Registered Manager', email: `manager${c}@bench.example.co.uk` },
      nominatedIndividual: { name: 'Nominated Individual', email: `ni${c}@bench.example.co.uk` },
      placements: 10 + (c % 30),
      placementsStopped: false,
    });
    items.push({ ...keys.contract(contract.contractId), gsi1pk: 'CONTRACTS', gsi1sk: locationId, ...contract });

    const closed = c % 5 === 4;
    const stage = closed ? 'closed' : pick(STAGES.filter((value) => value !== 'closed'));
    const openedAt = day(-30 - Math.floor(next() * 300));
    const rag = c % 3 === 0 ? pick(MEMO_RAG) : undefined;
    const record = caseSchema.parse({
      caseId: `${locationId}-bench`,
      locationId,
      providerId,
      contractId: contract.contractId,
      status: closed ? 'closed' : 'open',
      stage,
      stageEnteredAt: openedAt,
      leadOfficer: contract.relationshipHolder,
      trigger: 'Benchmark case',
      openedAt,
      ...(closed ? { closedAt: day(-Math.floor(next() * 25)), outcome: 'Resolved at the Quality Improvement Meeting' } : {}),
      deadlines: closed ? {} : { response: day(Math.floor(next() * 20) - 5), ...(stage === 'finalWarning' ? { finalWarning: day(90) } : {}) },
      ...(rag ? { memo: { rag, addedAt: day(-Math.floor(next() * 60)) } } : {}),
      qimCount: 0,
      improvementPlan: [],
      ...(closed ? {} : { waitingOn: { step: 'Await Board Decision', who: stage === 'board' ? 'board' : 'leadOfficer', since: openedAt, reminders: c % 3 } }),
      executions: [],
      generation: 1,
      version: 1,
      updatedAt: openedAt,
    });
    items.push({ ...keys.case(record.caseId), gsi1pk: 'CASES', gsi1sk: `${record.openedAt}#${record.caseId}`, ...record });
  }
  return items;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

async function measure(url: string, token: string, requests: number): Promise<{ first: number; median: number; p95: number; max: number; bytes: number; status: number }> {
  const times: number[] = [];
  let first = 0;
  let bytes = 0;
  let status = 0;
  for (let i = 0; i < requests + 2; i += 1) {
    const started = performance.now();
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/html' } });
    const body = await response.arrayBuffer();
    const elapsed = performance.now() - started;
    status = response.status;
    bytes = body.byteLength;
    if (i === 0) first = elapsed;
    if (i >= 2) times.push(elapsed); // two warm-up requests
  }
  times.sort((a, b) => a - b);
  return { first, median: percentile(times, 50), p95: percentile(times, 95), max: times.at(-1) ?? 0, bytes, status };
}

async function main(): Promise<void> {
  const caseCount = arg('--cases', 2000);
  const providerCount = arg('--providers', 500);
  const requests = arg('--requests', 20);
  const runtime = await startRuntime();
  try {
    const { store } = runtime.deps;
    const seeding = performance.now();
    const items = seedItems(caseCount, providerCount, runtime.config.officers.map((officer) => officer.id), runtime.clock.now());
    await batchPut(store.doc, store.tableName, items);
    console.log(`Seeded ${items.length.toLocaleString('en-GB')} items (${caseCount} cases, ${caseCount} locations and contracts, ${providerCount} providers) in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

    const base = runtime.endpoints.http;
    const pages: Array<{ path: string; target: boolean }> = [
      { path: '/cases', target: true },
      { path: '/cases?rag=RED&status=open', target: false },
      { path: '/memo', target: true },
      { path: '/memo.csv', target: false },
      { path: '/board', target: false },
      { path: `/cases/1-7000000000-bench`, target: false },
      { path: `/providers/1-800000000`, target: false },
    ];
    const rows: string[] = [];
    let failed = false;
    for (const page of pages) {
      const result = await measure(base + page.path, runtime.adminToken, requests);
      const verdict = result.status !== 200 ? `HTTP ${result.status}` : page.target ? (result.p95 < TARGET_MS ? 'ok' : 'SLOW') : '-';
      if (page.target && verdict !== 'ok') failed = true;
      rows.push(
        `| ${page.path.padEnd(28)} | ${result.first.toFixed(1).padStart(7)} | ${String(requests).padStart(8)} | ${result.median.toFixed(1).padStart(8)} | ${result.p95.toFixed(1).padStart(8)} | ${result.max.toFixed(1).padStart(8)} | ${(result.bytes / 1024).toFixed(0).padStart(7)} | ${verdict.padEnd(7)} |`,
      );
    }
    console.log(`\nServer time per page over HTTP on the local runtime, in ms. "first" is the first request (cold code, empty`);
    console.log(`name cache); median and p95 are over ${requests} requests after two warm-ups. Target: p95 < ${TARGET_MS} ms for /cases and /memo.\n`);
    console.log('| page                         |   first | requests |   median |      p95 |      max | size KB | target  |');
    console.log('|------------------------------|---------|----------|----------|----------|----------|---------|---------|');
    for (const row of rows) console.log(row);
    if (failed) process.exitCode = 1;
  } finally {
    await runtime.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
