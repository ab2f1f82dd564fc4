/**
 * The cases every letter is written for in the letter tests: a case opened from CQC ratings below
 * Good, one opened from a concern about a home rated Good, and every letter the product writes,
 * called as the ladder calls it. A new letter must be added to EVERY_LETTER.
 */
import * as letters from '../../functions/ladder/letters';
import * as councilLetters from '../../functions/council/letters';
import { caseGrounds } from '../../functions/ladder/grounds';
import { ratingSummary } from '../../functions/ladder/context';
import { locationSchema, type Case, type Location, type RatingEntry } from '../../functions/lib/model';

// Prepare: two locations as ingestion stores them, and a case record for each.
export function rated(values: [string, string, string, string, string, string], publicationDate: string): Record<string, RatingEntry> {
  const domains = ['Overall', 'Safe', 'Effective', 'Caring', 'Responsive', 'Well-led'];
  return Object.fromEntries(domains.map((domain, index) => [domain, { rating: values[index]!, publicationDate }]));
}
export const RI = 'Requires improvement';

export function location(locationId: string, name: string, ratings: Record<string, RatingEntry>, extra: Partial<Location> = {}): Location {
  return locationSchema.parse({ locationId, providerId: '1-200', name, address: { street: '1 Mill Lane', city: 'Kingsmoor' }, ratings, updatedAt: '2026-11-16T09:00:00.000Z', ...extra });
}

type Grounded = Pick<Case, 'openingRatings' | 'concerns' | 'trigger' | 'openedAt'>;

export const meadowbank = location('1-1000000001', 'Meadowbank House', rated([RI, RI, 'Good', 'Good', 'Good', RI], '2026-10-02'));
export const ratingCase: Grounded = {
  trigger: 'CQC rated Requires improvement overall (published 2 October 2026); below Good in Safe (Requires improvement), Well-led (Requires improvement)',
  openingRatings: { Overall: meadowbank.ratings.Overall!, Safe: meadowbank.ratings.Safe!, 'Well-led': meadowbank.ratings['Well-led']! },
  concerns: [],
  openedAt: '2026-11-16T09:00:00.000Z',
};

export const riverside = location('1-1000000003', 'Riverside Lodge', rated(['Good', 'Good', 'Good', 'Good', 'Good', 'Good'], '2026-06-11'));
export const CONCERN = 'Call bells went unanswered for over an hour on three nights.';
export const concernCase: Grounded = {
  trigger: `Concern raised by admin: ${CONCERN}`,
  openingRatings: riverside.ratings,
  concerns: [{ raisedAt: '2026-11-12', source: 'a relative of a resident', summary: CONCERN, recordedBy: 'admin' }],
  openedAt: '2026-11-16T09:00:00.000Z',
};

export function facts(record: Grounded, where: Location, extra: Partial<letters.CaseFacts> = {}): letters.CaseFacts {
  return {
    caseId: `${where.locationId}-20261116`,
    authorityName: 'Westshire Council',
    icbName: 'Westshire ICB',
    providerName: 'Hawthorn Care Group',
    locationName: where.name,
    locationAddress: '1 Mill Lane, Kingsmoor',
    locationId: where.locationId,
    ratingSummary: ratingSummary(where),
    grounds: caseGrounds(record, where),
    officer: { name: 'Aisha Khan', email: 'aisha.khan@westshire.example.gov.uk', phone: '01632 960 001' },
    today: '16 November 2026',
    letterNumber: 3,
    contractReference: 'WSC-ASC-0417',
    nhsFunded: false,
    people: {
      owner: { name: 'Zoë Brontë', email: 'zoe.bronte@hawthorn-care.example.co.uk', phone: '01632 960 100' },
      nominatedIndividual: { name: 'Siân Ó Briain', email: 'sian.obriain@hawthorn-care.example.co.uk' },
      registeredManager: { name: 'Tomás Nørgaard', email: 'manager@meadowbank.example.co.uk' },
    },
    ...extra,
  };
}

export const chair = { name: 'Priya Shah', email: 'priya.shah@westshire.example.gov.uk' };
const links = [{ label: 'Approve', url: 'https://example.test/act/x' }];
const qim = { date: '10 December 2026', time: '10:30', venue: 'At the service', attendees: ['ICB quality lead'] };

/** Every letter the product writes, called as the ladder calls it. */
export const EVERY_LETTER: Record<string, (f: letters.CaseFacts) => letters.Letter> = {
  informalOutcomeConfirmation: (f) => letters.informalOutcomeConfirmation(f, 'formalStage', 'Talked it through.'),
  qualityImprovementNotice: (f) => letters.qualityImprovementNotice(f),
  contractPerformanceNotice: (f) => letters.contractPerformanceNotice(f),
  qimInvitation: (f) => letters.qimInvitation(f, qim),
  qimNotesAndActions: (f) => letters.qimNotesAndActions(f, { decision: 'referToBoard', position: 'suspendNewPlacements', informServiceUsers: true, actions: [], note: '' }),
  serviceProviderDefault: (f) => letters.serviceProviderDefault(f, []),
  rectificationNotice: (f) => letters.rectificationNotice(f, chair),
  finalWarningNotice: (f) => letters.finalWarningNotice(f, chair, '10 December 2026', '10 June 2027'),
  sustainabilityReviewNotice: (f) => letters.sustainabilityReviewNotice(f, '10 June 2027'),
  letterOfTermination: (f) => letters.letterOfTermination(f, chair, { boardMeetingDate: '10 December 2026', noticeDays: 90, endDate: '10 March 2027', placements: 4 }),
  caseClosedNotice: (f) => letters.caseClosedNotice(f, 'Resolved at the Quality Improvement Meeting.'),
  'letterToServiceUsers(concerns)': (f) => letters.letterToServiceUsers(f, 'concerns'),
  'letterToServiceUsers(termination)': (f) => letters.letterToServiceUsers(f, 'termination'),
  'letterToServiceUsers(resolved)': (f) => letters.letterToServiceUsers(f, 'resolved'),
  decisionRequest: (f) => letters.decisionRequest(f, { step: 'Record QIM Outcome', asks: 'Record the outcome.', links, dueBy: '17 December 2026', reminder: 0, caseUrl: 'https://example.test/cases/x' }, 'Aisha Khan'),
  boardPapers: (f) => letters.boardPapers(f, { reason: 'Decide on the referred provider.', history: ['Quality Improvement Meetings held: 1'], plan: [], caseUrl: 'https://example.test/cases/x' }),
  safeguardingOption: (f) => letters.safeguardingOption(f, 'Await Board Decision', 'Decide.', links, 'https://example.test/cases/x'),
  safeguardingReferral: (f) => letters.safeguardingReferral(f, '', links, 'https://example.test/cases/x'),
  stepFailureAlert: (f) => letters.stepFailureAlert(f, 'Send Rectification Notice', 'EmailSendFailed', 'https://example.test/cases/x'),
  hostAuthorityLetter: (f) => councilLetters.hostAuthorityLetter(f, { name: 'Eastmoor Council', contact: { name: 'Sam Patel', email: 'quality@eastmoor.example.gov.uk' } }),
  partnershipLetter: (f) => councilLetters.partnershipLetter(f, 'Jo Owner'),
  receiptReminder: (f) => letters.receiptReminder(f, { subject: 'Formal Quality Improvement Notice: Meadowbank House', sentOn: '16 November 2026', addressee: 'manager@meadowbank.example.co.uk', link: 'https://example.test/provider/x/y?p=z' }),
  receiptNotConfirmed: (f) => letters.receiptNotConfirmed(f, [{ subject: 'Formal Quality Improvement Notice: Meadowbank House', sentOn: '16 November 2026', addressee: 'manager@meadowbank.example.co.uk' }], 5, 'https://example.test/cases/x'),
  evidenceResponseInvitation: (f) => letters.evidenceResponseInvitation(f, { dueBy: '30 November 2026', link: 'https://example.test/provider/x/y?p=z', maxFileMegabytes: 4 }),
  providerResponseAddendum: (f) => letters.providerResponseAddendum(f, { receivedOn: '20 November 2026, 10:30am', by: 'Siân Ó Briain (sian.obriain@hawthorn-care.example.co.uk)', text: 'A clinical lead started on 20 November.', files: ['rota.pdf'], caseUrl: 'https://example.test/cases/x' }),
  mailNotDelivered: (f) => letters.mailNotDelivered(f, { type: 'bounce', subject: 'Rectification notice', sentOn: '16 November 2026', recipients: ['owner@provider.example'], detail: 'mailbox unavailable' }, 'https://example.test/cases/x'),
};
