/**
 * A fake CQC Syndication API on 127.0.0.1 (node:http) answering with the real response shapes
 * (CQC-DATA.md): `/locations/{id}`, `/providers/{id}`, `/locations`, `/providers` and
 * `/changes/{location|provider}` paged with `nextPageUri`. It requires the subscription key header
 * (401 without or with a wrong one) and a User-Agent (403 without), and can be told to answer the
 * next matching requests with 429 (with Retry-After), 500, or a 200 whose body is `{"statusCode":429}`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Fault {
  status: number;
  /** Body to send (default: CQC's error shape for the status). */
  body?: unknown;
  retryAfter?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
}

export interface FakeCqcOptions {
  key?: string;
  /** Path prefix of the API (the real one is /public/v1). */
  basePath?: string;
  requireUserAgent?: boolean;
}

export interface LocationInput {
  locationId: string;
  providerId: string;
  name?: string;
  localAuthority?: string;
  region?: string;
  careHome?: 'Y' | 'N';
  postalCode?: string;
  /** Overall rating and its report date (YYYY-MM-DD). */
  overall?: { rating: string; reportDate: string };
  /** Key question ratings by name; listed in the order given (tests shuffle them). */
  keyQuestions?: { name: string; rating: string; reportDate?: string }[];
  registrationStatus?: 'Registered' | 'Deregistered';
}

/** A location detail in the shape `/locations/{id}` returns. */
export function cqcLocation(input: LocationInput): Record<string, unknown> {
  const linkId = `${input.locationId}-report`;
  const detail: Record<string, unknown> = {
    locationId: input.locationId,
    providerId: input.providerId,
    organisationType: 'Location',
    type: 'Social Care Org',
    name: input.name ?? `Home ${input.locationId}`,
    registrationStatus: input.registrationStatus ?? 'Registered',
    registrationDate: '2015-06-01',
    careHome: input.careHome ?? 'Y',
    postalAddressLine1: '1 High Street',
    postalAddressTownCity: 'Westtown',
    postalCode: input.postalCode ?? 'WS1 1AA',
    region: input.region ?? 'South West',
    localAuthority: input.localAuthority ?? 'Westshire',
    gacServiceTypes: [{ name: 'Residential homes', description: 'Care home service without nursing' }],
    inspectionCategories: [{ code: 'S1', primary: 'true', name: 'Residential social care' }],
    reports: [{ linkId, reportDate: input.overall?.reportDate, reportUri: `/reports/${linkId}`, firstVisitDate: '2025-12-01', reportType: 'Location' }],
  };
  if (input.overall) {
    detail.currentRatings = {
      overall: {
        rating: input.overall.rating,
        reportDate: input.overall.reportDate,
        reportLinkId: linkId,
        keyQuestionRatings: (input.keyQuestions ?? []).map((question) => ({
          name: question.name,
          rating: question.rating,
          ...(question.reportDate ? { reportDate: question.reportDate, reportLinkId: linkId } : {}),
        })),
      },
    };
  }
  return detail;
}

export class FakeCqc {
  readonly locations = new Map<string, Record<string, unknown>>();
  readonly providers = new Map<string, Record<string, unknown>>();
  readonly changes: { location: { id: string; at: string }[]; provider: { id: string; at: string }[] } = { location: [], provider: [] };
  readonly requests: RecordedRequest[] = [];
  private readonly faults: { match: string | RegExp; fault: Fault }[] = [];
  url = '';
  private server: Server | undefined;

  constructor(
    readonly key: string,
    readonly basePath: string,
    private readonly requireUserAgent: boolean,
  ) {}

  /** Answers the next requests whose path matches with these faults, in order. */
  inject(match: string | RegExp, ...faults: Fault[]): void {
    for (const fault of faults) this.faults.push({ match, fault });
  }

  addLocation(input: LocationInput, changedAt?: string): void {
    this.locations.set(input.locationId, cqcLocation(input));
    if (!this.providers.has(input.providerId)) {
      this.providers.set(input.providerId, { providerId: input.providerId, name: `Provider ${input.providerId}`, type: 'Social Care Org', registrationStatus: 'Registered' });
    }
    if (changedAt) this.changes.location.push({ id: input.locationId, at: changedAt });
  }

  /** A change listed for an id the API does not know (CQC's feed has these; they give 404). */
  addChangeOnly(id: string, at: string): void {
    this.changes.location.push({ id, at });
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}${this.basePath}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams.entries());
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query, headers: req.headers });
    if (!url.pathname.startsWith(this.basePath)) return this.send(res, 404, { statusCode: 404, message: 'Resource not found' });
    const path = url.pathname.slice(this.basePath.length) || '/';

    const key = req.headers['ocp-apim-subscription-key'] ?? url.searchParams.get('subscription-key');
    if (!key) {
      return this.send(res, 401, { statusCode: 401, message: 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.' });
    }
    if (key !== this.key) {
      return this.send(res, 401, { statusCode: 401, message: 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.' });
    }
    if (this.requireUserAgent && !req.headers['user-agent']) return this.send(res, 403, { statusCode: 403, message: 'Forbidden' });

    const faultIndex = this.faults.findIndex(({ match }) => (typeof match === 'string' ? path.startsWith(match) : match.test(path)));
    if (faultIndex >= 0) {
      const { fault } = this.faults.splice(faultIndex, 1)[0] as { fault: Fault };
      const headers: Record<string, string> = fault.retryAfter ? { 'retry-after': fault.retryAfter } : {};
      const body =
        fault.body ??
        (fault.status === 429
          ? { statusCode: 429, message: `Rate limit is exceeded. Try again in ${fault.retryAfter ?? '1'} seconds.` }
          : { statusCode: fault.status, message: 'Internal server error' });
      return this.send(res, fault.status, body, headers);
    }

    let match = /^\/locations\/([^/]+)$/.exec(path);
    if (match) {
      const location = this.locations.get(decodeURIComponent(match[1] as string));
      return location ? this.send(res, 200, location) : this.send(res, 404, { statusCode: 404, message: 'Resource not found' });
    }
    match = /^\/providers\/([^/]+)$/.exec(path);
    if (match) {
      const provider = this.providers.get(decodeURIComponent(match[1] as string));
      return provider ? this.send(res, 200, provider) : this.send(res, 404, { statusCode: 404, message: 'Resource not found' });
    }
    if (path === '/locations') {
      const items = [...this.locations.values()].map((l) => ({ locationId: l.locationId, locationName: l.name, postalCode: l.postalCode }));
      return this.send(res, 200, this.page(url, '/locations', 'locations', items));
    }
    if (path === '/providers') {
      const items = [...this.providers.values()].map((p) => ({ providerId: p.providerId, providerName: p.name }));
      return this.send(res, 200, this.page(url, '/providers', 'providers', items));
    }
    match = /^\/changes\/(location|provider)$/.exec(path);
    if (match) {
      const kind = match[1] as 'location' | 'provider';
      const start = url.searchParams.get('startTimestamp');
      const end = url.searchParams.get('endTimestamp');
      if (!start || !end || Number.isNaN(Date.parse(start)) || Number.isNaN(Date.parse(end))) {
        return this.send(res, 400, { statusCode: 400, message: 'startTimestamp and endTimestamp are required (ISO 8601)' });
      }
      const from = Date.parse(start);
      const to = Date.parse(end);
      const ids = this.changes[kind].filter((change) => Date.parse(change.at) >= from && Date.parse(change.at) < to).map((change) => change.id);
      return this.send(res, 200, this.page(url, `/changes/${kind}`, 'changes', ids, { startTimestamp: start, endTimestamp: end }));
    }
    return this.send(res, 404, { statusCode: 404, message: 'Resource not found' });
  }

  private page(url: URL, uri: string, field: string, items: unknown[], extra: Record<string, string> = {}): Record<string, unknown> {
    const perPage = Math.max(1, Number(url.searchParams.get('perPage') ?? '1000'));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? '1'));
    const totalPages = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number) => `${uri}?${new URLSearchParams({ ...extra, page: String(p), perPage: String(perPage) })}`;
    return {
      total: items.length,
      page,
      perPage,
      totalPages,
      firstPageUri: link(1),
      previousPageUri: page > 1 ? link(page - 1) : null,
      nextPageUri: page < totalPages ? link(page + 1) : null,
      lastPageUri: link(totalPages),
      uri,
      [field]: items.slice((page - 1) * perPage, page * perPage),
    };
  }
}

export async function startFakeCqc(options: FakeCqcOptions = {}): Promise<FakeCqc> {
  return new FakeCqc(options.key ?? 'test-subscription-key', options.basePath ?? '/public/v1', options.requireUserAgent ?? true).start();
}
