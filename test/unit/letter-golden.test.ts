/**
 * A golden copy of every letter, rendered for one fixed case (Meadowbank House, rated below Good;
 * 16 November 2026): a change to any letter's words shows up as a change to its file under
 * `golden/`, to be read and accepted (`npx vitest run test/unit/letter-golden.test.ts -u`).
 * Beside the copies, what every formal letter must carry: the addressee by name, our reference,
 * the contract's, who to ask for, and every date in words.
 */
import { describe, expect, it } from 'vitest';
import * as letters from '../../functions/ladder/letters';
import { EVERY_LETTER, chair, facts, meadowbank, ratingCase } from '../support/letter-cases';

/** Letters to the provider, its residents and families or another authority: each has a head. */
const INTERNAL = new Set(['decisionRequest', 'boardPapers', 'safeguardingOption', 'safeguardingReferral', 'stepFailureAlert', 'mailNotDelivered', 'receiptNotConfirmed', 'providerResponseAddendum']);
const TO_PROVIDER = (name: string) => !INTERNAL.has(name) && !name.startsWith('letterToServiceUsers') && name !== 'hostAuthorityLetter';
const BOARD_LETTERS = new Set(['rectificationNotice', 'finalWarningNotice', 'letterOfTermination']);
/** Who each letter to the provider greets by name. */
const GREETS: Record<string, string> = {
  informalOutcomeConfirmation: 'Dear Tomás Nørgaard,',
  qualityImprovementNotice: 'Dear Siân Ó Briain and Tomás Nørgaard,',
  contractPerformanceNotice: 'Dear Siân Ó Briain,',
  qimInvitation: 'Dear Tomás Nørgaard,',
  qimNotesAndActions: 'Dear Tomás Nørgaard,',
  serviceProviderDefault: 'Dear Siân Ó Briain,',
  rectificationNotice: 'Dear Zoë Brontë,',
  finalWarningNotice: 'Dear Zoë Brontë,',
  sustainabilityReviewNotice: 'Dear Zoë Brontë,',
  letterOfTermination: 'Dear Zoë Brontë,',
  caseClosedNotice: 'Dear Tomás Nørgaard,',
  receiptReminder: 'Dear Siân Ó Briain and Tomás Nørgaard,',
  evidenceResponseInvitation: 'Dear Siân Ó Briain and Tomás Nørgaard,',
  partnershipLetter: 'Dear Jo Owner,',
};

describe('every letter, rendered for a fixed case', () => {
  const fixed = facts(ratingCase, meadowbank);
  for (const [name, write] of Object.entries(EVERY_LETTER)) {
    it(`${name} reads as its golden copy`, async () => {
      const letter = write(fixed);
      await expect(`Subject: ${letter.subject}\n\n${letter.text}\n`).toMatchFileSnapshot(`./golden/${name.replace(/[()]/g, '-').replace(/-$/, '')}.txt`);
      // Every date in words: no 2026-12-10 and no 14:00 in any letter.
      expect(letter.text).not.toMatch(/\b\d{4}-\d{2}-\d{2}\b|\b\d{2}\/\d{2}\/\d{4}\b/);
      expect(letter.text).not.toMatch(/\b([01]\d|2[0-3]):[0-5]\d\b(?!am|pm)/);
      if (INTERNAL.has(name)) return;
      expect(letter.text).toContain('Our reference: 1-1000000001-20261116/3');
      expect(letter.text).toContain('Please ask for: Aisha Khan');
      expect(letter.text).toContain('Direct line: 01632 960 001');
      expect(letter.text).toContain('Email: aisha.khan@westshire.example.gov.uk');
      expect(letter.text).toContain('Date: 16 November 2026');
      if (TO_PROVIDER(name)) {
        expect(letter.text).toContain('Contract reference: WSC-ASC-0417');
        expect(letter.text).toContain(GREETS[name]);
        expect(letter.text).not.toMatch(/Dear (Owner|Nominated Individual|Registered Manager)\b/);
      }
      // The Board's letters come from its chair, the rest from the lead officer.
      const signOff = letter.text.slice(letter.text.lastIndexOf('Yours sincerely,'));
      expect(signOff).toContain(BOARD_LETTERS.has(name) ? `${chair.name}\nChair, Commissioning & Quality Board` : 'Aisha Khan');
    });
  }
});

describe('who a letter speaks for', () => {
  it('for NHS-funded care, the lead officer writes on behalf of both the council and the ICB', () => {
    const letter = letters.qualityImprovementNotice(facts(ratingCase, meadowbank, { nhsFunded: true }));
    expect(letter.text).toContain('this letter is sent on behalf of both Westshire Council and Westshire ICB');
    expect(letter.text).toContain('On behalf of Westshire Council and Westshire ICB');
  });

  it('the letter of termination, for NHS-funded care, gives notice for both commissioners', () => {
    const letter = letters.letterOfTermination(facts(ratingCase, meadowbank, { nhsFunded: true }), chair, { boardMeetingDate: '10 December 2026', noticeDays: 28, endDate: '7 January 2027', placements: 1 });
    expect(letter.text).toContain('At its meeting on 10 December 2026, the Board decided that you are in breach of contract. Westshire Council and Westshire ICB therefore give you 28 days\' notice: the contract (reference WSC-ASC-0417) ends on 7 January 2027.');
    expect(letter.text).toContain('We have placed one person at the service under this contract.');
    expect(letter.text).toContain('Chair, Commissioning & Quality Board\nOn behalf of Westshire Council and Westshire ICB');
  });

  it('a role with nobody on record is greeted by its title, and a contract-less letter has no contract reference', () => {
    const letter = letters.rectificationNotice(facts(ratingCase, meadowbank, { people: {}, contractReference: undefined }), chair);
    expect(letter.text).toContain('Dear Owner,');
    expect(letter.text).not.toContain('Contract reference');
  });
});
