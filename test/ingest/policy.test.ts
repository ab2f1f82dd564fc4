import { describe, expect, it } from 'vitest';
import type { RatingEntry } from '../../functions/lib/model';
import {
  caseFor,
  compareRatings,
  corporateConcernDue,
  escalationDueFor,
  locationBelowGood,
  mergeEscalationDue,
} from '../../functions/ingest/policy';
import { mergeRatings } from '../../functions/ingest/ingest';
import type { LocationRatingRecord } from '../../functions/ingest/rows';

const on = (rating: string, publicationDate = '2026-01-10'): RatingEntry => ({ rating, publicationDate });
const ratings = (overall: string, questions: Record<string, string> = {}): Record<string, RatingEntry> => {
  const out: Record<string, RatingEntry> = { Overall: on(overall) };
  for (const q of ['Safe', 'Effective', 'Caring', 'Responsive', 'Well-led']) out[q] = on(questions[q] ?? 'Good');
  return out;
};
const where = { locationId: '1-1', providerId: '1-P' };
const policy = { formalStageOn: ['Inadequate'] };

describe('policy', () => {
  it('opens a formal case for Inadequate overall and an informal one for Requires improvement', () => {
    expect(caseFor({ ...where, ratings: ratings('Inadequate') }, policy)).toMatchObject({
      stage: 'formal',
      trigger: 'CQC rated Inadequate overall (published 10 January 2026)',
    });
    expect(caseFor({ ...where, ratings: ratings('Requires improvement', { Safe: 'Inadequate' }) }, policy)).toMatchObject({
      stage: 'informal',
      trigger: 'CQC rated Requires improvement overall (published 10 January 2026); below Good in Safe (Inadequate)',
    });
  });

  it('follows formalStageOn from the configuration', () => {
    expect(caseFor({ ...where, ratings: ratings('Requires improvement') }, { formalStageOn: ['Inadequate', 'Requires improvement'] })?.stage).toBe('formal');
  });

  it('opens informal contact for Good overall with a key question Requires improvement', () => {
    const request = caseFor({ ...where, ratings: ratings('Good', { 'Well-led': 'Requires improvement' }) }, policy);
    expect(request).toMatchObject({ stage: 'informal', ratings: { Overall: on('Good'), 'Well-led': on('Requires improvement') } });
    expect(request?.trigger).toMatch(/Good overall but below Good in Well-led \(Requires improvement\).*informal contact/);
  });

  it('opens nothing for Good, Outstanding or ungraded ratings', () => {
    expect(caseFor({ ...where, ratings: ratings('Good') }, policy)).toBeUndefined();
    expect(caseFor({ ...where, ratings: ratings('Outstanding') }, policy)).toBeUndefined();
    for (const ungraded of ['Not Rated', 'Insufficient evidence to rate', 'Not applicable']) {
      expect(caseFor({ ...where, ratings: { Overall: on(ungraded), Safe: on(ungraded) } }, policy)).toBeUndefined();
    }
    expect(locationBelowGood({ Overall: on('Not Rated'), 'Use of Resources': on('Inadequate') })).toBe(false);
  });

  it('orders ratings: newer date wins; same date, the more severe', () => {
    expect(compareRatings(on('Good', '2026-02-01'), on('Inadequate', '2026-01-01'))).toBeGreaterThan(0);
    expect(compareRatings(on('Good', '2026-01-01'), on('Inadequate', '2026-01-01'))).toBeLessThan(0);
    expect(compareRatings(on('Good'), on('Good'))).toBe(0);
  });

  it('owes an inspection result only to locations that had ratings, and a case when the policy says so', () => {
    expect(escalationDueFor(undefined, ratings('Good'), where, policy)).toBeUndefined();
    expect(escalationDueFor(undefined, ratings('Inadequate'), where, policy)).toEqual({ publicationDate: '2026-01-10', inspection: false });
    const before = ratings('Requires improvement');
    expect(escalationDueFor(before, before, where, policy)).toBeUndefined();
    const after = { ...before, Overall: on('Good', '2026-02-01') };
    expect(escalationDueFor(before, after, where, policy)).toEqual({ publicationDate: '2026-02-01', inspection: true });
    expect(mergeEscalationDue({ publicationDate: '2026-01-01', inspection: true }, { publicationDate: '2026-02-01', inspection: false })).toEqual({
      publicationDate: '2026-02-01',
      inspection: true,
    });
  });

  it('raises a corporate concern at the threshold, again only when a new location joins', () => {
    expect(corporateConcernDue(['a'], undefined, 2)).toBe(false);
    expect(corporateConcernDue(['a', 'b'], undefined, 2)).toBe(true);
    expect(corporateConcernDue(['a', 'b'], ['a', 'b'], 2)).toBe(false);
    expect(corporateConcernDue(['a', 'b', 'c'], ['a', 'b'], 2)).toBe(true);
    expect(corporateConcernDue(['a', 'b'], ['a', 'b', 'c'], 2)).toBe(false);
  });
});

describe('rating merge', () => {
  const record = (domain: string, rating: string, publicationDate: string, serviceGroup = 'Overall'): LocationRatingRecord =>
    ({ kind: 'location', line: 1, locationId: '1-1', providerId: '1-P', serviceGroup, domain, rating, publicationDate }) as LocationRatingRecord;

  it('keeps the newest per domain, sends superseded and older ones to history, oldest first, once', () => {
    const merged = mergeRatings(undefined, [
      record('Overall', 'Good', '2020-05-01'),
      record('Overall', 'Requires improvement', '2021-01-22'),
      record('Overall', 'Inadequate', '2019-01-01'),
      record('Safe', 'Good', '2021-01-22', 'Surgery'),
    ]);
    expect(merged.ratings.Overall).toEqual(on('Requires improvement', '2021-01-22'));
    expect(merged.serviceRatings['Surgery|Safe']).toEqual(on('Good', '2021-01-22'));
    expect(merged.ratingHistory.map((h) => `${h.publicationDate} ${h.rating}`)).toEqual(['2019-01-01 Inadequate', '2020-05-01 Good']);
    const again = mergeRatings(merged, [record('Overall', 'Good', '2020-05-01'), record('Overall', 'Requires improvement', '2021-01-22')]);
    expect(again).toEqual(merged);
  });
});
