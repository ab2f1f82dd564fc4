/**
 * Every concern is kept (issue 16): service quality feedback, whistle-blowing, a complaint, a
 * safeguarding alert, professional feedback or CQC intelligence about a location is a record of its
 * own, under the location, whatever happens next:
 *
 * - a case is open for the location: the concern joins that case's grounds (case page, letters,
 *   Board papers) and its audit trail;
 * - the officer asks for a case (`openCase`, the API's `POST /admin/cases`): one opens with it;
 * - otherwise the concern pattern of the policy (`policy.concernPattern`, e.g. three concerns in
 *   90 days about a location rated Good, none on a case) opens a case with all of them, or tells
 *   the lead officer by email; an isolated concern is kept and shown, and changes nothing else.
 *
 * Each concern is audited on the chain `concerns-<locationId>` ("concern recorded", with what became
 * of it); one joining a case is audited on the case's chain too. The same concern sent twice (a
 * retried request: same location, kind, day, who raised it and summary) is one record.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AppConfig } from '../lib/config';
import { calendarDate, longDate } from '../lib/dates';
import { BadInput, NotFound } from '../lib/errors';
import { CONCERN_KIND_LABELS, CONCERN_KINDS, CONCERN_SEVERITIES, type Concern, type Location } from '../lib/model';
import { keys } from '../lib/table';
import { isoDate } from '../lib/clock';
import type { Store } from '../lib/store';
import { addConcern, openCase } from './cases';
import { nowIso, officerContact, send, type LadderDeps } from './context';
import { compose } from './letter-parts';

export const concernRecordSchema = z.object({
  concernId: z.string(),
  locationId: z.string(),
  providerId: z.string(),
  kind: z.enum(CONCERN_KINDS),
  /** The day it was raised with the council. */
  raisedOn: calendarDate,
  /** Who raised it, as the council may name them ("a relative", "district nurse team"). */
  raisedBy: z.string(),
  summary: z.string(),
  severity: z.enum(CONCERN_SEVERITIES),
  /** The signed-in user who recorded it, and when. */
  recordedBy: z.string(),
  recordedAt: z.string(),
  /** The case it is on: the open one it joined, or the one it (or the pattern) opened. */
  caseId: z.string().optional(),
  outcome: z.enum(['joinedCase', 'openedCase', 'patternOpenedCase', 'toldLeadOfficer', 'kept']),
});
export type ConcernRecord = z.infer<typeof concernRecordSchema>;

/** What an officer (a page or the API) gives. */
export const raiseConcernSchema = z.object({
  locationId: z.string().trim().min(1, 'Enter the CQC location id').max(100),
  kind: z.enum(CONCERN_KINDS, { message: 'Choose where the concern came from' }),
  raisedOn: calendarDate.optional(),
  /** Who raised it ('' when the API was not told: letters then name no one). */
  raisedBy: z.string().trim().max(200, 'Who raised it must be 200 characters or fewer').default(''),
  summary: z.string().trim().min(1, 'Enter a summary of the concern').max(5000, 'The summary must be 5,000 characters or fewer'),
  severity: z.enum(CONCERN_SEVERITIES, { message: 'Choose how serious the concern is' }).default('medium'),
  /** Open a case now if none is open (the API's POST /admin/cases always does). */
  openCase: z.boolean().default(false),
});
export type RaiseConcern = z.input<typeof raiseConcernSchema>;

export type ConcernPattern = AppConfig['policy']['concernPattern'];

export const concernChain = (locationId: string) => `concerns-${locationId}`;

/**
 * The policy's pattern rule, pure: the concerns about a location raised within `withinDays` up to
 * `today` (the new one included) that no case has taken up, and whether they are `count` or more
 * while the location's overall rating is one the pattern watches.
 */
export function concernPatternMet(
  pattern: ConcernPattern,
  concerns: readonly Pick<ConcernRecord, 'raisedOn' | 'caseId'>[],
  overallRating: string | undefined,
  today: string,
): { met: boolean; counted: number } {
  const counted = concernsInWindow(pattern, concerns, today).length;
  const watched = (pattern.ratedAs as readonly string[]).includes(overallRating ?? 'Not rated');
  return { met: watched && counted >= pattern.count, counted };
}

/** The concerns the pattern counts: on no case, raised within its `withinDays` up to `today`. */
function concernsInWindow<T extends Pick<ConcernRecord, 'raisedOn' | 'caseId'>>(pattern: ConcernPattern, concerns: readonly T[], today: string): T[] {
  const from = isoDate(new Date(Date.parse(`${today}T00:00:00Z`) - (pattern.withinDays - 1) * 86_400_000));
  return concerns.filter((concern) => !concern.caseId && concern.raisedOn >= from && concern.raisedOn <= today);
}

export async function listConcerns(store: Store, locationId: string): Promise<ConcernRecord[]> {
  const items = await store.listUnder(`LOCATION#${locationId}`, 'CONCERN#');
  return items.map((item) => concernRecordSchema.parse(item)).sort((a, b) => b.raisedOn.localeCompare(a.raisedOn) || b.recordedAt.localeCompare(a.recordedAt));
}

function concernIdOf(input: { locationId: string; kind: string; raisedOn: string; raisedBy: string; summary: string }): string {
  return createHash('sha256').update([input.locationId, input.kind, input.raisedOn, input.raisedBy, input.summary].join('\n')).digest('hex').slice(0, 16);
}

function asCaseConcern(record: ConcernRecord): Concern {
  return { raisedAt: record.raisedOn, source: record.raisedBy, summary: record.summary, recordedBy: record.recordedBy, concernId: record.concernId, kind: record.kind, severity: record.severity };
}

export interface RaisedConcern {
  concern: ConcernRecord;
  /** The case it is on, and whether this concern opened it. */
  caseId?: string;
  opened: boolean;
}

/** Records a concern and does what it calls for (module comment). Idempotent. */
export async function raiseConcern(
  deps: LadderDeps,
  input: RaiseConcern,
  actor: string,
  options: { sourceIp?: string; stage?: 'informal' | 'formal'; leadOfficer?: string; trigger?: string } = {},
): Promise<RaisedConcern> {
  const request = raiseConcernSchema.parse(input);
  const today = isoDate(deps.clock.now());
  const raisedOn = request.raisedOn ?? today;
  if (raisedOn > today) throw new BadInput(`raisedOn ${raisedOn} is in the future`);
  const location = await deps.store.getLocation(request.locationId);
  if (!location) throw new NotFound(`Location ${request.locationId} is not on record`);
  const concernId = concernIdOf({ ...request, raisedOn });
  const key = keys.concern(location.locationId, raisedOn, concernId);
  const known = await deps.store.getRaw(key);
  if (known) {
    const concern = concernRecordSchema.parse(known);
    return { concern, ...(concern.caseId ? { caseId: concern.caseId } : {}), opened: false };
  }
  const draft: ConcernRecord = {
    concernId,
    locationId: location.locationId,
    providerId: location.providerId,
    kind: request.kind,
    raisedOn,
    raisedBy: request.raisedBy,
    summary: request.summary,
    severity: request.severity,
    recordedBy: actor,
    recordedAt: nowIso(deps),
    outcome: 'kept',
  };

  let outcome: Pick<ConcernRecord, 'outcome' | 'caseId'> & { opened: boolean; others?: ConcernRecord[] } = { outcome: 'kept', opened: false };
  const openId = await deps.store.openCaseFor(location.locationId);
  const open = openId ? await deps.store.getCase(openId) : undefined;
  if (open && open.status === 'open' && open.executions.length > 0) {
    await addConcern(deps, open, asCaseConcern(draft), options.sourceIp);
    outcome = { outcome: 'joinedCase', caseId: open.caseId, opened: false };
  } else if (request.openCase) {
    const opened = await openFor(deps, location, draft, actor, options, options.trigger ?? `Concern raised by ${actor}: ${draft.summary}`);
    outcome = { outcome: opened.opened ? 'openedCase' : 'joinedCase', caseId: opened.caseId, opened: opened.opened };
  } else {
    const earlier = await listConcerns(deps.store, location.locationId);
    const pattern = deps.config.policy.concernPattern;
    const rule = concernPatternMet(pattern, [...earlier, draft], location.ratings.Overall?.rating, today);
    if (rule.met) {
      const others = concernsInWindow(pattern, earlier, today);
      const why = `${rule.counted} concerns in ${pattern.withinDays} days about a location rated ${location.ratings.Overall?.rating ?? 'Not rated'}`;
      if (pattern.action === 'openCase') {
        const opened = await openFor(deps, location, draft, actor, options, `${why} (the policy's concern pattern)`);
        for (const other of others) {
          const record = await deps.store.getCase(opened.caseId);
          if (record) await addConcern(deps, record, asCaseConcern(other), options.sourceIp);
          await deps.store.putRaw(keys.concern(other.locationId, other.raisedOn, other.concernId), undefined, { ...other, caseId: opened.caseId, outcome: 'patternOpenedCase' });
        }
        outcome = { outcome: 'patternOpenedCase', caseId: opened.caseId, opened: opened.opened };
      } else {
        await tellLeadOfficer(deps, location, [draft, ...others], why);
        outcome = { outcome: 'toldLeadOfficer', opened: false };
      }
    }
  }

  const concern: ConcernRecord = { ...draft, outcome: outcome.outcome, ...(outcome.caseId ? { caseId: outcome.caseId } : {}) };
  await deps.store.putRaw(key, undefined, concern);
  await deps.store.appendAudit(
    { caseId: concernChain(location.locationId), at: concern.recordedAt, actor, action: 'concern recorded', detail: { ...concern }, source: options.sourceIp },
    { eventId: `concern:${concernId}` },
  );
  return { concern, ...(concern.caseId ? { caseId: concern.caseId } : {}), opened: outcome.opened };
}

async function openFor(deps: LadderDeps, location: Location, draft: ConcernRecord, actor: string, options: { sourceIp?: string; stage?: 'informal' | 'formal'; leadOfficer?: string }, trigger: string) {
  return openCase(deps, {
    locationId: location.locationId,
    providerId: location.providerId,
    stage: options.stage ?? 'informal',
    trigger,
    ratings: location.ratings,
    concern: { source: draft.raisedBy, summary: draft.summary, raisedAt: draft.raisedOn, concernId: draft.concernId, kind: draft.kind, severity: draft.severity },
    leadOfficer: options.leadOfficer,
    actor,
    source: options.sourceIp,
  });
}

/** The pattern's other action: an email to the location's lead officer, listing the concerns. */
async function tellLeadOfficer(deps: LadderDeps, location: Location, concerns: readonly ConcernRecord[], why: string): Promise<void> {
  const contract = await deps.store.contractForLocation(location.locationId);
  const officer = officerContact(deps, contract?.relationshipHolder ?? deps.config.officers[0]!.id);
  const providerUrl = `${deps.config.authority.baseUrl}/providers/${encodeURIComponent(location.providerId)}`;
  const letter = compose(
    `Concerns are adding up: ${location.name}`,
    `Dear ${officer.name},`,
    [
      `${why}: ${location.name} (CQC location ${location.locationId}). No case is open for it. The policy's concern pattern asks you to look at them together and decide whether to open a case.`,
      { list: concerns.map((concern) => `${longDate(concern.raisedOn)}: ${CONCERN_KIND_LABELS[concern.kind]} (${concern.severity}) from ${concern.raisedBy}: ${concern.summary}`) },
      'To open a case, raise the next concern with "Open a case" ticked, or open one from the provider page.',
      { link: providerUrl, label: 'Open the provider page' },
    ],
    ['Care quality escalation', deps.config.authority.name],
  );
  await send(deps, { caseId: concernChain(location.locationId), kind: 'concernPattern', to: [officer.email], ...letter });
}

/** The provider page's and case page's view: each location's concerns. */
export async function concernsForLocations(store: Store, locationIds: readonly string[]): Promise<Map<string, ConcernRecord[]>> {
  const entries = await Promise.all(locationIds.map(async (id) => [id, await listConcerns(store, id)] as const));
  return new Map(entries);
}

