/**
 * The grounds of a case: why the council is taking the provider through its quality process. Every
 * letter states these and only these, so a case opened from a concern about a home rated Good
 * never claims a rating below Good, and a case opened from CQC's ratings names those ratings.
 *
 * The grounds are what the record holds: the ratings below Good on record when the case opened,
 * those CQC has published since, and every concern raised (when, from whom, what). Pure: no I/O.
 */
import { DOMAINS, type Case, type Concern, type Location, type RatingEntry } from '../lib/model';

/** One rating below Good: the key question (or `Overall`), the rating and when CQC published it. */
export interface RatingGround {
  domain: string;
  rating: 'Requires improvement' | 'Inadequate';
  /** YYYY-MM-DD. */
  publicationDate: string;
  /** On record when the case opened, or published by CQC since. */
  when: 'atOpening' | 'since';
}

export interface CaseGrounds {
  ratings: RatingGround[];
  concerns: Pick<Concern, 'raisedAt' | 'source' | 'summary'>[];
}

const BELOW_GOOD = new Set(['Requires improvement', 'Inadequate']);
const DOMAIN_ORDER = new Map<string, number>(DOMAINS.map((domain, index) => [domain, index]));

function belowGood(domain: string, entry: RatingEntry, when: RatingGround['when']): RatingGround | undefined {
  if (!DOMAIN_ORDER.has(domain) || !BELOW_GOOD.has(entry.rating)) return undefined;
  return { domain, rating: entry.rating as RatingGround['rating'], publicationDate: entry.publicationDate, when };
}

function byDateThenDomain(a: RatingGround, b: RatingGround): number {
  if (a.publicationDate !== b.publicationDate) return a.publicationDate < b.publicationDate ? -1 : 1;
  return (DOMAIN_ORDER.get(a.domain) ?? 99) - (DOMAIN_ORDER.get(b.domain) ?? 99);
}

/** The location's whole-location ratings, current and superseded. */
function locationRatings(location: Location | undefined): { domain: string; entry: RatingEntry }[] {
  if (!location) return [];
  return [
    ...Object.entries(location.ratings).map(([domain, entry]) => ({ domain, entry })),
    ...location.ratingHistory.filter((entry) => entry.serviceGroup === 'Overall').map((entry) => ({ domain: entry.domain, entry })),
  ];
}

/** The grounds of a case, from its record and its location's record. */
export function caseGrounds(record: Pick<Case, 'openingRatings' | 'concerns' | 'trigger' | 'openedAt'>, location: Location | undefined): CaseGrounds {
  const concerns = (record.concerns ?? [])
    .map(({ raisedAt, source, summary }) => ({ raisedAt, source, summary }))
    .sort((a, b) => (a.raisedAt < b.raisedAt ? -1 : a.raisedAt > b.raisedAt ? 1 : 0));
  const opening = record.openingRatings;
  if (!opening) {
    // A record from before the opening ratings were kept: only what is on record now can be
    // stated, and if that is nothing, the reason written when the case opened.
    const ratings = Object.entries(location?.ratings ?? {})
      .map(([domain, entry]) => belowGood(domain, entry, 'atOpening'))
      .filter((ground): ground is RatingGround => ground !== undefined)
      .sort(byDateThenDomain);
    if (ratings.length || concerns.length) return { ratings, concerns };
    return { ratings, concerns: [{ raisedAt: record.openedAt, source: 'the case record', summary: record.trigger }] };
  }

  const ratings: RatingGround[] = [];
  const seen = new Set<string>();
  const add = (ground: RatingGround | undefined) => {
    if (!ground) return;
    const key = `${ground.domain}|${ground.publicationDate}|${ground.rating}`;
    if (seen.has(key)) return;
    seen.add(key);
    ratings.push(ground);
  };
  for (const [domain, entry] of Object.entries(opening)) add(belowGood(domain, entry, 'atOpening'));
  // Since: newer than what was on record for that key question when the case opened (or, for a
  // key question not on record then, newer than anything that was).
  const newestAtOpening = Object.values(opening).reduce((latest, entry) => (entry.publicationDate > latest ? entry.publicationDate : latest), '');
  for (const { domain, entry } of locationRatings(location)) {
    const floor = opening[domain]?.publicationDate ?? newestAtOpening;
    if (entry.publicationDate > floor) add(belowGood(domain, entry, 'since'));
  }
  return { ratings: ratings.sort(byDateThenDomain), concerns };
}
