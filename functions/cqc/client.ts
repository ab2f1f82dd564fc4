/**
 * CQC Syndication API client (https://api.service.cqc.org.uk/public/v1).
 * - The subscription key goes in the `Ocp-Apim-Subscription-Key` header, with a `User-Agent`.
 * - 429 and 5xx (and a 200 whose body says `{"statusCode":429,...}`), timeouts and network errors
 *   are retried with exponential backoff and full jitter, honouring `Retry-After`, a bounded number
 *   of times. 401/403 fail at once.
 * - Lists are paged through `nextPageUri` (relative to the base URL) up to `totalPages`.
 * - A location or provider that gives 404 (the changes feed lists some) is `undefined`, and counted.
 */
import { z } from 'zod';
import type { AppConfig } from '../lib/config';

export const DEFAULT_USER_AGENT = 'care-quality-escalation/0.1 (+ratings ingestion)';

export interface CqcClientOptions {
  baseUrl: string;
  subscriptionKey: string;
  userAgent?: string;
  /** Page size for lists and the changes feed (≤ 1000). */
  perPage?: number;
  /** Attempts per request, the first included (default 6). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-attempt timeout (default 30 s). */
  timeoutMs?: number;
  /** Injected so tests do not wait. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  fetch?: typeof fetch;
  onRetry?: (info: { url: string; attempt: number; reason: string; delayMs: number }) => void;
}

export class CqcApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly url: string,
  ) {
    super(message);
    this.name = 'CqcApiError';
  }
}

const ratingSchema = z.looseObject({
  name: z.string().optional(),
  rating: z.string().optional(),
  reportDate: z.string().optional(),
  reportLinkId: z.string().optional(),
  organisationId: z.string().optional(),
});
const overallSchema = ratingSchema.extend({ keyQuestionRatings: z.array(ratingSchema).optional() });

export const cqcLocationSchema = z.looseObject({
  locationId: z.string(),
  providerId: z.string().optional(),
  name: z.string().optional(),
  type: z.string().optional(),
  registrationStatus: z.string().optional(),
  careHome: z.string().optional(),
  postalAddressLine1: z.string().optional(),
  postalAddressLine2: z.string().optional(),
  postalAddressTownCity: z.string().optional(),
  postalCode: z.string().optional(),
  region: z.string().optional(),
  localAuthority: z.string().optional(),
  inspectionCategories: z
    .array(z.looseObject({ code: z.string().optional(), primary: z.union([z.string(), z.boolean()]).optional(), name: z.string().optional() }))
    .optional(),
  currentRatings: z
    .looseObject({
      overall: overallSchema.optional(),
      serviceRatings: z.array(overallSchema).optional(),
    })
    .optional(),
  reports: z.array(z.looseObject({ linkId: z.string().optional(), reportType: z.string().optional() })).optional(),
});
export type CqcLocation = z.infer<typeof cqcLocationSchema>;

export const cqcProviderSchema = z.looseObject({
  providerId: z.string(),
  name: z.string().optional(),
  type: z.string().optional(),
  localAuthority: z.string().optional(),
  region: z.string().optional(),
});
export type CqcProvider = z.infer<typeof cqcProviderSchema>;

const pageSchema = z.looseObject({
  total: z.number().optional(),
  page: z.number().optional(),
  perPage: z.number().optional(),
  totalPages: z.number().optional(),
  nextPageUri: z.string().nullable().optional(),
});

export interface CqcStats {
  requests: number;
  retries: number;
  throttled: number;
  notFound: number;
  pages: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** ISO 8601 without milliseconds, as the changes feed takes it. */
export function cqcTimestamp(value: Date | string): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) throw new Error(`not a timestamp: ${String(value)}`);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export class CqcClient {
  readonly stats: CqcStats = { requests: 0, retries: 0, throttled: 0, notFound: 0, pages: 0 };
  private readonly base: URL;
  private readonly options: Required<Omit<CqcClientOptions, 'onRetry'>> & Pick<CqcClientOptions, 'onRetry'>;

  constructor(options: CqcClientOptions) {
    if (!options.subscriptionKey) throw new Error('CQC API: no subscription key configured (cqcApi.subscriptionKey)');
    this.options = {
      userAgent: DEFAULT_USER_AGENT,
      perPage: 500,
      maxAttempts: 6,
      baseDelayMs: 500,
      maxDelayMs: 60_000,
      timeoutMs: 30_000,
      sleep: defaultSleep,
      random: Math.random,
      fetch: globalThis.fetch.bind(globalThis),
      ...options,
    };
    this.base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
  }

  /** `/locations?page=2` (relative to the API base, as `nextPageUri` gives it) or an absolute URL. */
  url(pathOrUrl: string): string {
    if (/^https?:\/\//i.test(pathOrUrl)) return pathOrUrl;
    return new URL(pathOrUrl.replace(/^\//, ''), this.base).toString();
  }

  private delay(attempt: number, retryAfter: number | undefined): number {
    const { baseDelayMs, maxDelayMs, random } = this.options;
    if (retryAfter !== undefined) return Math.min(maxDelayMs * 2, retryAfter) + Math.round(random() * baseDelayMs * 0.2);
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    return Math.round(random() * ceiling);
  }

  /** GET with retries; resolves `undefined` on 404, the parsed JSON otherwise. */
  async get(pathOrUrl: string): Promise<unknown> {
    const url = this.url(pathOrUrl);
    const { maxAttempts, subscriptionKey, userAgent, timeoutMs, sleep, onRetry } = this.options;
    let lastReason = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      let retryAfter: number | undefined;
      try {
        this.stats.requests += 1;
        const response = await this.options.fetch(url, {
          headers: { 'Ocp-Apim-Subscription-Key': subscriptionKey, 'User-Agent': userAgent, Accept: 'application/json' },
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await response.text();
        if (response.status === 404) {
          this.stats.notFound += 1;
          return undefined;
        }
        if (response.status === 401 || response.status === 403) {
          throw new CqcApiError(`CQC API refused the request (${response.status}): check the subscription key and User-Agent`, response.status, url);
        }
        if (response.status === 429 || response.status >= 500) {
          if (response.status === 429) this.stats.throttled += 1;
          lastReason = `HTTP ${response.status}`;
          retryAfter = retryAfterMs(response.headers.get('retry-after'), Date.now());
        } else if (response.status >= 400) {
          throw new CqcApiError(`CQC API ${response.status} for ${url}: ${text.slice(0, 200)}`, response.status, url);
        } else {
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            throw new CqcApiError(`CQC API returned invalid JSON for ${url}`, response.status, url);
          }
          const statusCode = (body as { statusCode?: unknown } | undefined)?.statusCode;
          if (typeof statusCode === 'number' && (statusCode === 429 || statusCode >= 500)) {
            // Throttled (or failed) behind a 200.
            if (statusCode === 429) this.stats.throttled += 1;
            lastReason = `200 with statusCode ${statusCode}`;
            retryAfter = retryAfterMs(response.headers.get('retry-after'), Date.now());
          } else {
            return body;
          }
        }
      } catch (error) {
        if (error instanceof CqcApiError) throw error;
        lastReason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      if (attempt === maxAttempts) break;
      const delayMs = this.delay(attempt, retryAfter);
      this.stats.retries += 1;
      onRetry?.({ url, attempt, reason: lastReason, delayMs });
      await sleep(delayMs);
    }
    throw new CqcApiError(`CQC API: gave up on ${url} after ${maxAttempts} attempts (${lastReason})`, 0, url);
  }

  async getLocation(locationId: string): Promise<CqcLocation | undefined> {
    const body = await this.get(`/locations/${encodeURIComponent(locationId)}`);
    return body === undefined ? undefined : cqcLocationSchema.parse(body);
  }

  async getProvider(providerId: string): Promise<CqcProvider | undefined> {
    const body = await this.get(`/providers/${encodeURIComponent(providerId)}`);
    return body === undefined ? undefined : cqcProviderSchema.parse(body);
  }

  /** Every item of a paged list, following `nextPageUri` (bounded by `totalPages`). */
  async *paged<T>(firstPath: string, field: string): AsyncGenerator<T> {
    let next: string | null | undefined = firstPath;
    let pages = 0;
    let totalPages = Infinity;
    while (next && pages < totalPages) {
      const body = await this.get(next);
      // A missing page is not "no more changes": stopping here would let the caller move its
      // window past changes it never saw. Only single-item lookups treat 404 as "gone".
      if (body === undefined) throw new CqcApiError(`CQC API: page ${next} was not found (404)`, 404, this.url(next));
      const page = pageSchema.parse(body);
      pages += 1;
      this.stats.pages += 1;
      if (page.totalPages !== undefined) totalPages = page.totalPages;
      const items = (body as Record<string, unknown>)[field];
      if (!Array.isArray(items)) throw new CqcApiError(`CQC API: no "${field}" list in ${next}`, 200, this.url(next));
      for (const item of items) yield item as T;
      next = page.nextPageUri;
    }
  }

  /** Ids of locations (providers) changed in [since, until): start inclusive, end exclusive. */
  changes(kind: 'location' | 'provider', window: { since: Date | string; until: Date | string }): AsyncGenerator<string> {
    const query = new URLSearchParams({
      startTimestamp: cqcTimestamp(window.since),
      endTimestamp: cqcTimestamp(window.until),
      page: '1',
      perPage: String(this.options.perPage),
    });
    return this.paged<string>(`/changes/${kind}?${query}`, 'changes');
  }

  /** `/locations` with filters (repeated parameter = OR, different parameters = AND). */
  locations(filters: Record<string, string | string[]> = {}): AsyncGenerator<{ locationId: string; locationName?: string; postalCode?: string }> {
    const query = new URLSearchParams({ page: '1', perPage: String(this.options.perPage) });
    for (const [name, value] of Object.entries(filters)) for (const one of [value].flat()) query.append(name, one);
    return this.paged(`/locations?${query}`, 'locations');
  }
}

export function cqcClientFromConfig(config: AppConfig, overrides: Partial<CqcClientOptions> = {}): CqcClient {
  const api = config.cqcApi;
  const subscriptionKey = overrides.subscriptionKey ?? api?.subscriptionKey;
  if (!subscriptionKey) throw new Error('CQC API: cqcApi.subscriptionKey is not configured');
  return new CqcClient({
    baseUrl: api?.baseUrl ?? 'https://api.service.cqc.org.uk/public/v1',
    perPage: api?.perPage ?? 500,
    ...overrides,
    subscriptionKey,
  });
}
