/**
 * Drives the product the way people and systems do: over HTTP (email links, the Board endpoint,
 * the ratings upload, the virtual clock) against a local runtime in memory. Scenario tests read
 * like the policy through these helpers.
 */
import { expect } from 'vitest';
import { startRuntime, type Runtime, type RuntimeOptions } from '../../local/runtime';
import { PINNED_NOW, pinnedDaysFrom } from './pinned-clock';
import { DEMO_LOCATIONS, demoRatingsCsv, demoRegisterCsv, LOCATIONS_HEADER } from '../../local/demo';
import { applyRegister } from '../../functions/council/contracts-import';
import type { SentEmail } from '../../local/ses';
import type { AuditEvent, Case, EmailRecord, PendingTask } from '../../functions/lib/model';

export { DEMO_LOCATIONS };

export const MEADOWBANK = '1-1000000001'; // Requires improvement: informal stage
export const OAKFIELD = '1-1000000002'; // Inadequate, NHS-funded nursing: formal stage
export const HOMECARE = '1-1000000004'; // Good overall, Effective RI: informal contact

export const BOARD_QUORATE = ['priya-shah', 'mark-ellis', 'joan-baker'];

export interface CaseView {
  case: Case;
  audit: AuditEvent[];
  emails: EmailRecord[];
  tasks: Omit<PendingTask, 'taskToken'>[];
}

export class Product {
  private mailSeen = 0;

  constructor(readonly runtime: Runtime) {}

  /** `options.bundles`: run the Lambda bundles of a cloud assembly instead of the source; `mailSimulator`: addresses SES bounces or complains about. */
  static async start(options: Pick<RuntimeOptions, 'bundles' | 'mailSimulator' | 'memoPublish'> = {}): Promise<Product> {
    const runtime = await startRuntime({ clockStart: PINNED_NOW, ...options });
    const product = new Product(runtime);
    // The demo's contract register, through the register import a council uses.
    const register = await applyRegister(runtime.deps, Buffer.from(demoRegisterCsv(), 'utf8'), 'demo-register.csv', 'test setup');
    expect(register.rejections).toEqual([]);
    return product;
  }

  get url(): string {
    return this.runtime.endpoints.http;
  }

  async close(): Promise<void> {
    await this.runtime.close();
  }

  async api(method: string, path: string, body?: unknown, token: string | null = this.runtime.adminToken): Promise<Response> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await this.runtime.idle();
    return response;
  }

  /** Uploads a ratings CSV through the admin endpoint, as an administrator would. */
  async uploadRatings(csv: string, fileName = 'ratings.csv'): Promise<Record<string, unknown>> {
    const response = await fetch(`${this.url}/admin/ingest?fileName=${fileName}`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${this.runtime.adminToken}` },
      body: csv,
    });
    const summary = (await response.json()) as Record<string, unknown>;
    expect(response.status, JSON.stringify(summary)).toBe(200);
    await this.runtime.idle();
    return summary;
  }

  async ingestDemoRatings(locationIds?: string[]): Promise<void> {
    const locations = locationIds ? DEMO_LOCATIONS.filter((location) => locationIds.includes(location.locationId)) : DEMO_LOCATIONS;
    await this.uploadRatings(demoRatingsCsv(locations));
  }

  /** A newer inspection of one location with the given ratings (Overall first). */
  async publishInspection(locationId: string, ratings: [string, string, string, string, string, string], publishedDdMmYyyy: string): Promise<void> {
    const base = DEMO_LOCATIONS.find((location) => location.locationId === locationId);
    if (!base) throw new Error(`No demo location ${locationId}`);
    await this.uploadRatings(demoRatingsCsv([{ ...base, ratings, published: publishedDdMmYyyy }]));
  }

  async advance(by: string): Promise<void> {
    const response = await this.api('POST', '/local/clock', { by });
    expect(response.status).toBe(200);
  }

  async caseFor(locationId: string): Promise<CaseView> {
    const cases = (await (await this.api('GET', '/api/cases')).json()) as Case[];
    const record = cases.filter((item) => item.locationId === locationId).sort((a, b) => b.openedAt.localeCompare(a.openedAt))[0];
    if (!record) throw new Error(`No case for location ${locationId}`);
    return (await (await this.api('GET', `/api/cases/${record.caseId}`)).json()) as CaseView;
  }

  allMail(): SentEmail[] {
    return this.runtime.ses.emails();
  }

  /** Emails sent since the last call. */
  newMail(): SentEmail[] {
    const all = this.allMail();
    const fresh = all.slice(this.mailSeen);
    this.mailSeen = all.length;
    return fresh;
  }

  /** The newest email to `address` whose subject matches. */
  mailTo(address: string, subject: RegExp): SentEmail {
    const found = this.allMail()
      .filter((email) => [...email.destination.to, ...email.destination.cc].includes(address) && subject.test(email.subject))
      .at(-1);
    if (!found) {
      const seen = this.allMail().map((email) => `${email.destination.to.join(',')}: ${email.subject}`).join('\n  ');
      throw new Error(`No email to ${address} matching ${subject}. Sent so far:\n  ${seen}`);
    }
    return found;
  }

  linkIn(email: SentEmail, decision: string): string {
    const html = email.body.html ?? '';
    const match = new RegExp(`href="([^"]*/act/[^"/]+/${decision}\\?[^"]*)"`).exec(html);
    if (!match) throw new Error(`No "${decision}" link in "${email.subject}"`);
    return match[1]!.replaceAll('&amp;', '&');
  }

  /** Opens the link (GET: the confirmation page) and confirms it (POST with the page's form token). */
  async clickAndConfirm(email: SentEmail, decision: string, fields: Record<string, string> = {}): Promise<{ status: number; page: string }> {
    const link = this.linkIn(email, decision);
    const confirm = await fetch(link);
    const page = await confirm.text();
    expect(confirm.status, page).toBe(200);
    const formToken = /name="formToken" value="([^"]+)"/.exec(page)?.[1] ?? '';
    // Where the decision sends letters, the page carries the hash of the letters it showed.
    const letterHash = /name="letterHash" value="([^"]+)"/.exec(page)?.[1];
    const response = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ formToken, ...(letterHash ? { letterHash } : {}), ...fields }).toString(),
    });
    const result = await response.text();
    await this.runtime.idle();
    return { status: response.status, page: result };
  }

  async officerDecides(address: string, subject: RegExp, decision: string, fields: Record<string, string> = {}): Promise<void> {
    const { status, page } = await this.clickAndConfirm(this.mailTo(address, subject), decision, fields);
    expect(status, page.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')).toBe(200);
  }

  /**
   * Records a quorate Board meeting and its decision on the case. The Board meets at least a week
   * after the papers went out, so the clock moves on to then if need be (or the meeting is an
   * urgent virtual one).
   */
  async boardDecides(
    locationId: string,
    decision: string,
    rationale = 'Decided on the evidence in the papers.',
    options: { attendees?: string[]; virtual?: boolean } = {},
  ): Promise<Response> {
    let view = await this.caseFor(locationId);
    const papers = view.case.waitingOn?.since;
    if (!options.virtual && papers) {
      const meetingDay = new Date(`${papers.slice(0, 10)}T10:00:00Z`).getTime() + 7 * 86_400_000;
      if (this.runtime.clock.now().getTime() < meetingDay) {
        await this.runtime.clock.advanceTo(new Date(meetingDay));
        await this.runtime.idle();
        view = await this.caseFor(locationId);
      }
    }
    const today = this.runtime.clock.now().toISOString().slice(0, 10);
    const attendees = options.attendees ?? BOARD_QUORATE;
    const meeting = (await (await this.api('POST', '/board/meetings', { date: today, attendees, virtual: options.virtual ?? false })).json()) as { meetingId: string };
    return this.api('POST', '/board/decisions', { meetingId: meeting.meetingId, caseId: view.case.caseId, decision, rationale });
  }

  actions(view: CaseView): string[] {
    return view.audit.map((event) => event.action);
  }
}

/** A date some days after the tests' first day (the pinned virtual date every product test starts on). */
export function daysFromToday(days: number): string {
  return pinnedDaysFrom(days);
}

/** A GOV.UK date input's three fields (`<name>-day`, `-month`, `-year`) for a YYYY-MM-DD date. */
export function dateFields(name: string, isoDay: string): Record<string, string> {
  const [year = '', month = '', day = ''] = isoDay.split('-');
  return { [`${name}-day`]: String(Number(day)), [`${name}-month`]: String(Number(month)), [`${name}-year`]: year };
}

/** The QIM's date in the arrangement below: 15 days after the tests' first day. */
export const QIM_DATE = daysFromToday(15);

export const QIM_ARRANGEMENT = { ...dateFields('date', QIM_DATE), time: '10:30am', venue: 'At the service, 3 Church Road, Kingsmoor', attendees: 'District nurse team lead\nICB quality lead' };

/** The QIM outcome form: each action written `action | owner | YYYY-MM-DD[ | how success is shown]`, posted as plan rows. */
export function qimOutcome(position: string, informServiceUsers: boolean, actions: string[]): Record<string, string> {
  const rows: Record<string, string> = {};
  actions.forEach((line, index) => {
    const [action = '', owner = '', due = '', success = ''] = line.split('|').map((part) => part.trim());
    const prefix = `plan-${index + 1}`;
    Object.assign(rows, { [`${prefix}-action`]: action, [`${prefix}-owner`]: owner, ...dateFields(`${prefix}-due`, due), [`${prefix}-success`]: success });
  });
  return { position, ...(informServiceUsers ? { informServiceUsers: 'yes' } : {}), ...rows, note: 'Agreed at the meeting.' };
}

export { LOCATIONS_HEADER };
