/**
 * The API path of ingestion: the changes feed lists locations changed in a window; each one's
 * detail is fetched, its `currentRatings` become the same records a Locations-sheet row gives,
 * and `ingestRecords` applies them with the same rules (scope, diff, history, escalation).
 */
import { KEY_QUESTIONS } from '../lib/model';
import { ingestRecords, inScopeLocation, loadScope, type IngestDeps, type IngestSummary } from '../ingest/ingest';
import { isoDate } from '../lib/clock';
import { canonicalDomain, validateLocationRecord, type LocationRatingRecord, type RowResult } from '../ingest/rows';
import type { CqcClient, CqcLocation } from './client';

type CqcRating = NonNullable<NonNullable<CqcLocation['currentRatings']>['overall']>;

const questionByName = new Map<string, string>(KEY_QUESTIONS.map((question) => [question.toLowerCase().replace(/[^a-z]/g, ''), question]));

/**
 * A location detail's current ratings as Locations-sheet records: Overall and each key question
 * (matched by `name`, not position) for service group `Overall`, and `serviceRatings` by their name.
 */
export function locationRecords(
  detail: CqcLocation,
  options: { providerName?: string; line?: number; today?: string } = {},
): RowResult<LocationRatingRecord>[] {
  const source = `GET /locations/${detail.locationId}`;
  const line = options.line ?? 0;
  const reportTypes = new Map<string, string>();
  for (const report of detail.reports ?? []) if (report.linkId && report.reportType) reportTypes.set(report.linkId, report.reportType);
  const primary = detail.inspectionCategories?.find((category) => category.primary === true || category.primary === 'true');
  const base: Omit<LocationRatingRecord, 'kind' | 'rating' | 'publicationDate' | 'serviceGroup' | 'domain'> = {
    line,
    locationId: detail.locationId,
    providerId: detail.providerId ?? '',
  };
  if (detail.name !== undefined) base.locationName = detail.name;
  if (options.providerName) base.providerName = options.providerName;
  if (detail.localAuthority !== undefined) base.localAuthority = detail.localAuthority;
  if (detail.region !== undefined) base.region = detail.region;
  if (detail.careHome === 'Y' || detail.careHome === 'N') base.careHome = detail.careHome === 'Y';
  if (detail.type !== undefined) base.locationType = detail.type;
  if (primary?.name) base.primaryInspectionCategory = primary.name;
  if (detail.postalAddressLine1 !== undefined || detail.postalCode !== undefined) {
    base.address = {
      street: detail.postalAddressLine1 ?? '',
      line2: detail.postalAddressLine2 ?? '',
      city: detail.postalAddressTownCity ?? '',
      postcode: detail.postalCode ?? '',
    };
  }

  const results: RowResult<LocationRatingRecord>[] = [];
  const add = (serviceGroup: string, domain: string, rating: CqcRating | undefined, fallbackDate: string | undefined) => {
    if (!rating) return;
    const raw = {
      ...base,
      serviceGroup,
      domain,
      rating: rating.rating ?? '',
      publicationDate: rating.reportDate ?? fallbackDate ?? '',
    } as Parameters<typeof validateLocationRecord>[0];
    const reportType = rating.reportLinkId ? reportTypes.get(rating.reportLinkId) : undefined;
    if (reportType) raw.reportType = reportType;
    if (rating.organisationId) raw.inherited = true;
    results.push(validateLocationRecord(raw, source, options.today));
  };
  const group = (serviceGroup: string, overall: CqcRating | undefined) => {
    if (!overall) return;
    if (overall.rating) add(serviceGroup, 'Overall', overall, undefined);
    for (const question of overall.keyQuestionRatings ?? []) {
      const name = question.name ?? '';
      const domain = questionByName.get(name.toLowerCase().replace(/[^a-z]/g, '')) ?? canonicalDomain(name);
      add(serviceGroup, domain, question, overall.reportDate);
    }
  };
  group('Overall', detail.currentRatings?.overall);
  for (const service of detail.currentRatings?.serviceRatings ?? []) {
    if (service.name) group(service.name, service);
  }
  return results;
}

export interface IngestChangesOptions extends IngestDeps {
  client: CqcClient;
  /** Window start (inclusive) and end (exclusive), ISO 8601. */
  since: Date | string;
  until: Date | string;
  /** Location details fetched at once (default 4). */
  fetchConcurrency?: number;
}

export interface ChangesSummary extends IngestSummary {
  api: {
    /** Distinct location ids in the changes feed for the window. */
    changed: number;
    fetched: number;
    /** Ids that gave 404 (skipped). */
    notFound: number;
    /** Locations outside the area and not under contract (not applied). */
    outOfScope: number;
    requests: number;
    retries: number;
    throttled: number;
  };
}

/** Pulls the changes feed for [since, until) and applies the changed locations' current ratings. */
export async function ingestChanges(options: IngestChangesOptions): Promise<ChangesSummary> {
  const { client } = options;
  const scope = await loadScope(options.doc, options.tableName, options.config);
  const ids = new Set<string>();
  for await (const id of client.changes('location', { since: options.since, until: options.until })) ids.add(id);
  const api = { changed: ids.size, fetched: 0, notFound: 0, outOfScope: 0, requests: 0, retries: 0, throttled: 0 };
  const providerNames = new Map<string, Promise<string | undefined>>();
  const providerName = (providerId: string) => {
    let name = providerNames.get(providerId);
    if (!name) {
      name = client.getProvider(providerId).then((provider) => provider?.name);
      providerNames.set(providerId, name);
    }
    return name;
  };
  const concurrency = Math.max(1, options.fetchConcurrency ?? 4);
  let line = 0;

  async function fetchOne(locationId: string): Promise<RowResult<LocationRatingRecord>[]> {
    const detail = await client.getLocation(locationId);
    if (!detail) {
      api.notFound += 1;
      return [];
    }
    api.fetched += 1;
    if (!inScopeLocation(scope, detail.locationId, detail.localAuthority)) {
      api.outOfScope += 1;
      return [];
    }
    const name = detail.providerId ? await providerName(detail.providerId) : undefined;
    return locationRecords(detail, { providerName: name, line: 0, today: isoDate(options.clock.now()) });
  }

  async function* records(): AsyncGenerator<RowResult<LocationRatingRecord>> {
    const queue = [...ids];
    for (let start = 0; start < queue.length; start += concurrency * 4) {
      const batch = queue.slice(start, start + concurrency * 4);
      const results: RowResult<LocationRatingRecord>[][] = new Array(batch.length);
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(concurrency, batch.length) }, async () => {
          while (next < batch.length) {
            const index = next++;
            results[index] = await fetchOne(batch[index] as string);
          }
        }),
      );
      for (const list of results) {
        for (const result of list) {
          line += 1;
          if (result.ok) result.record.line = line;
          else result.rejection.line = line;
          yield result;
        }
      }
    }
  }

  const summary = await ingestRecords({
    ...options,
    records: records(),
    sheet: 'Locations',
    source: `CQC changes ${String(options.since)} to ${String(options.until)}`,
    snapshot: false,
    scope,
  });
  api.requests = client.stats.requests;
  api.retries = client.stats.retries;
  api.throttled = client.stats.throttled;
  return { ...summary, api };
}
