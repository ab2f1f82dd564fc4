/**
 * Every letter states the case's actual grounds and no others: for a case opened from CQC ratings
 * below Good, those ratings; for a case opened from a concern about a home rated Good on every key
 * question, the concern (date, source, what it says) and never a rating below Good.
 */
import { describe, expect, it } from 'vitest';
import * as letters from '../../functions/ladder/letters';
import * as councilLetters from '../../functions/council/letters';
import { caseGrounds } from '../../functions/ladder/grounds';
import { CONCERN, EVERY_LETTER, concernCase, facts, location, meadowbank, ratingCase, rated, RI, riverside } from '../support/letter-cases';

const TO_FAMILIES = /^letterToServiceUsers/;

/** Words that claim a rating below Good, an inspection outcome or a standard not met. */
const RATING_CLAIMS = /below Good|below the minimum|minimum standard|Requires improvement|Inadequate|inspection outcome|failures of care|latest inspection report/i;

describe('letters state the case\'s grounds', () => {
  it('covers every letter letters.ts and the council routes export', () => {
    const exported = Object.entries({ ...letters, ...councilLetters }).filter(([, value]) => typeof value === 'function').map(([name]) => name).sort();
    const tested = [...new Set(Object.keys(EVERY_LETTER).map((name) => name.replace(/\(.*\)$/, '')))].sort();
    expect(tested).toEqual(exported);
  });

  for (const [name, write] of Object.entries(EVERY_LETTER)) {
    it(`${name}: a concern-opened case about a home rated Good names the concern and no rating below Good`, () => {
      const letter = write(facts(concernCase, riverside));
      for (const body of [letter.subject, letter.text, letter.html]) expect(body).not.toMatch(RATING_CLAIMS);
      expect(letter.text).toContain('12 November 2026');
      if (TO_FAMILIES.test(name)) {
        // Families hear that concerns were raised and when, not who raised them or what they said.
        expect(letter.text).not.toContain(CONCERN);
        expect(letter.text).not.toContain('a relative of a resident');
      } else {
        expect(letter.text).toContain(CONCERN);
        expect(letter.text).toContain('a relative of a resident');
        expect(letter.html).toContain('Call bells went unanswered');
      }
    });

    it(`${name}: a rating-opened case names each rating below Good with its key question and date`, () => {
      const letter = write(facts(ratingCase, meadowbank));
      for (const item of ['CQC overall rating: Requires improvement', 'CQC rating for Safe: Requires improvement', 'CQC rating for Well-led: Requires improvement']) {
        expect(letter.text).toContain(`${item} (published 2 October 2026)`);
      }
      expect(letter.text).not.toMatch(/Concern raised/);
      // The key questions rated Good are not grounds.
      expect(letter.text).not.toMatch(/rating for (Effective|Caring|Responsive)/);
    });
  }
});

describe('caseGrounds', () => {
  it('a concern-opened case on a home rated Good has the concern alone as its grounds', () => {
    expect(caseGrounds(concernCase, riverside)).toEqual({
      ratings: [],
      concerns: [{ raisedAt: '2026-11-12', source: 'a relative of a resident', summary: CONCERN }],
    });
  });

  it('adds ratings below Good published since the case opened, and no superseded older ones', () => {
    // CQC re-inspects Riverside after the concern: Safe Inadequate. Its 2023 Safe rating was RI.
    const later = location('1-1000000003', 'Riverside Lodge', { ...riverside.ratings, Safe: { rating: 'Inadequate', publicationDate: '2027-01-20' } }, {
      ratingHistory: [
        { domain: 'Safe', serviceGroup: 'Overall', rating: 'Good', publicationDate: '2026-06-11' },
        { domain: 'Safe', serviceGroup: 'Overall', rating: RI, publicationDate: '2023-03-01' },
        { domain: 'Safe', serviceGroup: 'Nursing homes', rating: 'Inadequate', publicationDate: '2027-01-20' },
      ],
    });
    expect(caseGrounds(concernCase, later).ratings).toEqual([{ domain: 'Safe', rating: 'Inadequate', publicationDate: '2027-01-20', when: 'since' }]);
  });

  it('a rating-opened case keeps the ratings it opened on once CQC rates the service Good again', () => {
    const improved = location('1-1000000001', 'Meadowbank House', rated(['Good', 'Good', 'Good', 'Good', 'Good', 'Good'], '2027-04-01'));
    expect(caseGrounds(ratingCase, improved).ratings.map((ground) => `${ground.domain} ${ground.rating} ${ground.publicationDate} ${ground.when}`)).toEqual([
      `Overall ${RI} 2026-10-02 atOpening`,
      `Safe ${RI} 2026-10-02 atOpening`,
      `Well-led ${RI} 2026-10-02 atOpening`,
    ]);
  });

  it('a record from before the opening ratings were kept states only what is on record', () => {
    const legacy = { trigger: 'Concern raised by admin: staffing at night', openedAt: '2026-11-01T09:00:00.000Z' };
    expect(caseGrounds(legacy, riverside)).toEqual({ ratings: [], concerns: [{ raisedAt: legacy.openedAt, source: 'the case record', summary: legacy.trigger }] });
    expect(caseGrounds(legacy, meadowbank).ratings.map((ground) => ground.domain)).toEqual(['Overall', 'Safe', 'Well-led']);
  });
});
