/**
 * The escalation policy applied to ratings, as pure functions (no I/O): which ratings are graded,
 * when a location is below Good, when a case opens and at which stage, which rating wins when two
 * compete, and which providers have a corporate concern.
 */
import { GRADED_RATINGS, KEY_QUESTIONS, type GradedRating, type RatingEntry } from '../lib/model';
import type { OpenCaseRequest } from '../lib/escalation-port';
import { longDate } from '../lib/dates';

export interface EscalationPolicy {
  /** Overall ratings that go straight to the formal stage. */
  formalStageOn: readonly string[];
  /** Locations below Good that make a corporate concern about their provider. */
  corporateConcernThreshold: number;
}

const GRADED = new Set<string>(GRADED_RATINGS);

export function isGraded(rating: string | undefined): rating is GradedRating {
  return rating !== undefined && GRADED.has(rating);
}

export function isBelowGood(rating: string | undefined): boolean {
  return rating === 'Requires improvement' || rating === 'Inadequate';
}

/**
 * Order used when two ratings for the same key carry the same publication date: the more severe
 * wins (a quality process should not miss the worse of two same-day ratings). Distinct for every
 * known value, so the winner never depends on the order rows arrive in.
 */
const SEVERITY: Record<string, number> = {
  'Not applicable': 0,
  'Not Rated': 1,
  'Insufficient evidence to rate': 2,
  Outstanding: 3,
  Good: 4,
  'Requires improvement': 5,
  Inadequate: 6,
};

/** > 0 when `a` supersedes `b`, < 0 when `b` supersedes `a`, 0 when they are the same rating. */
export function compareRatings(a: RatingEntry, b: RatingEntry): number {
  if (a.publicationDate !== b.publicationDate) return a.publicationDate > b.publicationDate ? 1 : -1;
  if (a.rating === b.rating) return 0;
  const byRank = (SEVERITY[a.rating] ?? -1) - (SEVERITY[b.rating] ?? -1);
  if (byRank !== 0) return byRank;
  return a.rating > b.rating ? 1 : -1;
}

/** Below Good overall or in any key question (graded ratings only). */
export function locationBelowGood(ratings: Record<string, RatingEntry>): boolean {
  if (isBelowGood(ratings.Overall?.rating)) return true;
  return KEY_QUESTIONS.some((question) => isBelowGood(ratings[question]?.rating));
}

function latestDate(entries: RatingEntry[]): string {
  return entries.reduce((latest, entry) => (entry.publicationDate > latest ? entry.publicationDate : latest), '');
}

/**
 * What the ratings of one location call for: a case at the informal or formal stage, or nothing.
 * - below Good overall: a case, formal when the overall rating is in `formalStageOn`;
 * - otherwise any key question below Good: an informal case ("informal contact" when the overall
 *   rating is Good or Outstanding);
 * - ratings outside the four-point scale never open a case.
 */
export function caseFor(
  location: { locationId: string; providerId: string; ratings: Record<string, RatingEntry> },
  policy: Pick<EscalationPolicy, 'formalStageOn'>,
): OpenCaseRequest | undefined {
  const { ratings } = location;
  const overall = ratings.Overall;
  const questionsBelow = KEY_QUESTIONS.filter((question) => isBelowGood(ratings[question]?.rating));
  const triggering: Record<string, RatingEntry> = {};
  if (overall && isGraded(overall.rating)) triggering.Overall = overall;
  for (const question of questionsBelow) triggering[question] = ratings[question] as RatingEntry;
  const listed = questionsBelow.map((question) => `${question} (${ratings[question]?.rating})`).join(', ');

  if (overall && isBelowGood(overall.rating)) {
    const stage = policy.formalStageOn.includes(overall.rating) ? 'formal' : 'informal';
    const also = listed ? `; below Good in ${listed}` : '';
    return {
      locationId: location.locationId,
      providerId: location.providerId,
      stage,
      trigger: `CQC rated ${overall.rating} overall (published ${longDate(overall.publicationDate)})${also}`,
      ratings: triggering,
    };
  }
  if (questionsBelow.length === 0) return undefined;
  const published = latestDate(questionsBelow.map((question) => ratings[question] as RatingEntry));
  const trigger =
    overall && (overall.rating === 'Good' || overall.rating === 'Outstanding')
      ? `CQC rated ${overall.rating} overall but below Good in ${listed} (published ${longDate(published)}): informal contact`
      : `CQC rated below Good in ${listed} (published ${longDate(published)})`;
  return { locationId: location.locationId, providerId: location.providerId, stage: 'informal', trigger, ratings: triggering };
}

/** True when the latest rating of some domain differs (a new rating arrived). */
export function ratingsAdvanced(before: Record<string, RatingEntry> | undefined, after: Record<string, RatingEntry>): boolean {
  for (const [domain, entry] of Object.entries(after)) {
    const previous = before?.[domain];
    if (!previous || previous.publicationDate !== entry.publicationDate || previous.rating !== entry.rating) return true;
  }
  return false;
}

/** The escalation a location owes after its ratings changed (recorded on the item until done). */
export interface EscalationDue {
  /** Latest publication date among the location's ratings when the escalation became due. */
  publicationDate: string;
  /** A new rating for a location that had one before: offer it to a case waiting on inspection. */
  inspection: boolean;
}

/**
 * What a change of ratings owes the ladder: the inspection result (when the location had ratings
 * before, so a case may be waiting on this inspection) and/or a case. Undefined when nothing is owed.
 */
export function escalationDueFor(
  before: Record<string, RatingEntry> | undefined,
  after: Record<string, RatingEntry>,
  location: { locationId: string; providerId: string },
  policy: Pick<EscalationPolicy, 'formalStageOn'>,
): EscalationDue | undefined {
  if (!ratingsAdvanced(before, after)) return undefined;
  const hadRatings = before !== undefined && Object.keys(before).length > 0;
  const opens = caseFor({ ...location, ratings: after }, policy) !== undefined;
  if (!hadRatings && !opens) return undefined;
  return { publicationDate: latestDate(Object.values(after)), inspection: hadRatings };
}

/** Combines an escalation still owed from an earlier run with a new one. */
export function mergeEscalationDue(previous: EscalationDue | undefined, next: EscalationDue | undefined): EscalationDue | undefined {
  if (!previous) return next;
  if (!next) return previous;
  return {
    publicationDate: next.publicationDate > previous.publicationDate ? next.publicationDate : previous.publicationDate,
    inspection: previous.inspection || next.inspection,
  };
}

/**
 * A provider has a corporate concern when at least `threshold` of its locations are below Good.
 * It is raised again only when a location not already named in the raised concern joins the list.
 */
export function corporateConcernDue(
  belowGood: readonly string[],
  alreadyRaised: readonly string[] | undefined,
  threshold: number,
): boolean {
  if (belowGood.length < threshold) return false;
  if (!alreadyRaised) return true;
  const raised = new Set(alreadyRaised);
  return belowGood.some((locationId) => !raised.has(locationId));
}
