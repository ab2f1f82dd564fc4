/**
 * What the ladder's code needs, handed in: the same code runs on Lambda (system clock, AWS
 * clients) and in the local runtime (virtual clock, clients pointed at loopback).
 */
import type { SESClient } from '@aws-sdk/client-ses';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { Clock } from '../lib/clock';
import { officerById, type AppConfig } from '../lib/config';
import type { Case, Contract, Location, Provider, ProviderContact } from '../lib/model';
import type { Store } from '../lib/store';
import { sendEmail, type Email } from '../lib/mailer';
import { NotFound } from '../lib/errors';
import { longDate } from '../lib/dates';
import { createHash } from 'node:crypto';
import { keys } from '../lib/table';
import type { CaseFacts, Contact } from './letters';
import { caseGrounds } from './grounds';
import { holdLetter } from '../council/held-letters';
import { noteLetterSent, withReceiptLinks } from './provider-side';

export interface LadderDeps {
  store: Store;
  config: AppConfig;
  clock: Clock;
  ses: SESClient;
  sfn: SFNClient;
  signingKey: Buffer;
  stateMachineArn: string;
  /**
   * Set while a state machine action runs: the same scope on a retry means "these emails may
   * already be out" — each is sent at most once per scope.
   */
  sendScope?: string;
}

export interface CaseContext {
  record: Case;
  location: Location | undefined;
  provider: Provider | undefined;
  contract: Contract | undefined;
  /** The provider's people for this location (contact records, else the contract's older fields). */
  contacts: CaseContacts;
  officer: Contact;
  facts: CaseFacts;
}

export { longDate };

export function ratingSummary(location: Location | undefined): string {
  if (!location) return 'no CQC rating on record';
  const order = ['Overall', 'Safe', 'Effective', 'Caring', 'Responsive', 'Well-led'];
  const parts = order
    .filter((domain) => location.ratings[domain])
    .map((domain) => {
      const entry = location.ratings[domain]!;
      return `${domain}: ${entry.rating} (published ${longDate(entry.publicationDate)})`;
    });
  return parts.length ? parts.join('; ') : 'no CQC rating on record';
}

export function formatAddress(location: Location | undefined): string {
  if (!location) return 'address not on record';
  const { street, line2, city, postcode } = location.address;
  return [street, line2, city, postcode].filter(Boolean).join(', ') || 'address not on record';
}

export function officerContact(deps: LadderDeps, officerId: string): Contact {
  const officer = officerById(deps.config, officerId);
  if (officer) return { name: officer.name, email: officer.email, phone: officer.phone };
  return { name: 'the Quality Assurance team', email: deps.config.mail.qualityTeam };
}

export function boardChair(deps: LadderDeps): Contact {
  const chair = deps.config.board.members.find((member) => member.id === deps.config.board.chair);
  return chair ? { name: chair.name, email: chair.email } : { name: 'The Chair', email: deps.config.mail.qualityTeam };
}

export async function loadCase(deps: LadderDeps, caseId: string): Promise<CaseContext> {
  const record = await deps.store.getCase(caseId);
  if (!record) throw new NotFound(`Case ${caseId} does not exist`);
  const [location, provider, contract, contactRecords, emails] = await Promise.all([
    deps.store.getLocation(record.locationId),
    deps.store.getProvider(record.providerId),
    record.contractId ? deps.store.contractForLocation(record.locationId) : Promise.resolve(undefined),
    deps.store.listContacts(record.providerId),
    deps.store.listEmails(caseId),
  ]);
  const contacts = caseContacts(contactRecords, record.locationId, contract);
  const officer = officerContact(deps, record.leadOfficer);
  const facts: CaseFacts = {
    caseId,
    authorityName: deps.config.authority.name,
    icbName: deps.config.authority.icbName,
    providerName: provider?.name ?? record.providerId,
    locationName: location?.name ?? record.locationId,
    locationAddress: formatAddress(location),
    locationId: record.locationId,
    ratingSummary: ratingSummary(location),
    grounds: caseGrounds(record, location),
    officer,
    today: longDate(deps.clock.now()),
    letterNumber: emails.filter((email) => LETTER_KINDS.has(email.kind)).length + 1,
    contractReference: contract?.contractId,
    nhsFunded: Boolean(contract?.nhsFundedNursing || contract?.continuingHealthcare),
    people: { owner: contacts.owner, nominatedIndividual: contacts.nominatedIndividual, registeredManager: contacts.registeredManager },
  };
  return { record, location, provider, contract, contacts, officer, facts };
}

/**
 * The kinds of email that are letters (to the provider, its residents and families, another
 * authority): each has our reference, numbered in the order the case sent them.
 */
export const LETTER_KINDS: ReadonlySet<string> = new Set([
  'informalOutcome',
  'qualityImprovementNotice',
  'contractPerformanceNotice',
  'qimInvitation',
  'qimNotes',
  'serviceProviderDefault',
  'rectificationNotice',
  'finalWarningNotice',
  'sustainabilityReview',
  'letterOfTermination',
  'letterToServiceUsers',
  'caseClosed',
  'hostAuthorityLetter',
  'partnershipLetter',
]);

/** The next letter's facts after one already written in the same step (its number one on). */
export function nextLetter(facts: CaseFacts, after = 1): CaseFacts {
  return { ...facts, letterNumber: facts.letterNumber + after };
}

export interface CaseContacts {
  owner?: Contact;
  nominatedIndividual?: Contact;
  registeredManager?: Contact;
  /** The council's own channel to residents and families. */
  familiesContact?: Contact;
}

/**
 * The location's contact for each role: one for this location first, else the provider-wide one;
 * a contract's older embedded contacts only where no record exists.
 */
export function caseContacts(records: readonly ProviderContact[], locationId: string, contract: Contract | undefined): CaseContacts {
  const pick = (role: ProviderContact['role']): Contact | undefined => {
    const found = records.find((item) => item.role === role && item.locationId === locationId) ?? records.find((item) => item.role === role && !item.locationId);
    return found ? { name: found.name, email: found.email, phone: found.phone || undefined } : undefined;
  };
  return {
    owner: pick('owner'),
    nominatedIndividual: pick('nominatedIndividual') ?? contract?.nominatedIndividual,
    registeredManager: pick('registeredManager') ?? contract?.registeredManager,
    familiesContact: pick('familiesContact') ?? contract?.serviceUsersContact,
  };
}

/**
 * The Board's letters go to the owner (seed 003 Tables 4, 5), else the Nominated Individual, who
 * is then copied; the Registered Manager is copied.
 */
export function boardLetterRecipients(context: CaseContext): { to: string[]; cc: string[] } {
  const people = providerRecipients(context);
  if (people.owner.length) return { to: people.owner, cc: [...people.nominatedIndividual.filter((email) => !people.owner.includes(email)), ...people.registeredManager] };
  return { to: people.nominatedIndividual, cc: people.registeredManager };
}

/** The provider's side: each role's address, or none (a letter to nobody is held, never redirected). */
export function providerRecipients(context: CaseContext): { registeredManager: string[]; nominatedIndividual: string[]; owner: string[]; families: string[] } {
  const one = (contact: Contact | undefined) => (contact ? [contact.email] : []);
  return {
    registeredManager: one(context.contacts.registeredManager),
    nominatedIndividual: one(context.contacts.nominatedIndividual),
    owner: one(context.contacts.owner),
    families: one(context.contacts.familiesContact),
  };
}

export function boardEmails(deps: LadderDeps): string[] {
  return deps.config.board.members.map((member) => member.email);
}

export function caseUrl(deps: LadderDeps, caseId: string): string {
  return `${deps.config.authority.baseUrl}/cases/${encodeURIComponent(caseId)}`;
}

export async function send(deps: LadderDeps, given: Email): Promise<string> {
  const to = given.to.filter(Boolean);
  // A letter to the provider with no contact on record is held on the case until an officer adds
  // one; it is never sent to the quality team in the provider's place.
  if (to.length === 0) return holdLetter(deps, given);
  // A formal letter carries a confirm-receipt link for each of the provider's people it goes to.
  const { email, requests } = await withReceiptLinks(deps, given);
  const recipients = to;
  const outbox = deps.sendScope
    ? keys.outbox(email.caseId, createHash('sha256').update([deps.sendScope, email.kind, recipients.join(','), (email.cc ?? []).join(','), email.subject].join('\n')).digest('hex').slice(0, 32))
    : undefined;
  if (outbox) {
    const sent = await deps.store.getRaw(outbox);
    if (typeof sent?.messageId === 'string') return sent.messageId;
  }
  const messageId = await sendEmail(
    {
      ses: deps.ses,
      store: deps.store,
      clock: deps.clock,
      sender: deps.config.mail.sender,
      configurationSet: deps.config.mail.configurationSet,
    },
    { ...email, to: recipients },
    outbox ? async (id) => void (await deps.store.putRaw(outbox, undefined, { messageId: id, at: deps.clock.now().toISOString() })) : undefined,
  );
  await noteLetterSent(deps, email.caseId, requests, messageId);
  return messageId;
}

export function nowIso(deps: LadderDeps): string {
  return deps.clock.now().toISOString();
}
