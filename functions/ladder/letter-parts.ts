/**
 * The parts every letter is built from: paragraphs into a subject, plain text and HTML (every fact
 * escaped), the officer's signature, where the service is, and the case's grounds in words. Kept
 * apart from the letters themselves so `letters.ts` exports letters only, and the letters of other
 * routes (`../council/letters.ts`) are built the same way.
 */
import { html, raw, type SafeHtml } from '../lib/html';
import { longDate } from '../lib/dates';
import type { CaseGrounds, RatingGround } from './grounds';

export interface Letter {
  subject: string;
  text: string;
  html: string;
}

export interface Contact {
  name: string;
  email: string;
  phone?: string;
}

/** The facts every letter about a case can draw on. */
export interface CaseFacts {
  caseId: string;
  authorityName: string;
  icbName: string;
  providerName: string;
  locationName: string;
  locationAddress: string;
  locationId: string;
  /** The location's current ratings, e.g. "Overall: Good (published 1 October 2026); Safe: Good (...)". */
  ratingSummary: string;
  /** Why the case exists: ratings below Good and concerns, from `caseGrounds`. */
  grounds: CaseGrounds;
  officer: Contact;
  /** Today's date, written out: "25 November 2026". */
  today: string;
  /**
   * This letter's number among the case's letters (1 for the first): our reference is the case
   * and this number, "1-1000000001-20261116/3". A step sending two letters numbers the second +1.
   */
  letterNumber: number;
  /** The contract's reference in the council's register; absent when there is no contract. */
  contractReference?: string;
  /** NHS-funded care (nursing or continuing healthcare): letters go on behalf of the council and the ICB. */
  nhsFunded: boolean;
  /** The provider's people by name, from the provider contacts (absent: none on record). */
  people: ProviderPeople;
}

export interface ProviderPeople {
  owner?: Contact;
  nominatedIndividual?: Contact;
  registeredManager?: Contact;
}

/** Our reference for this letter: the case and the letter's number on it. */
export function ourReference(facts: Pick<CaseFacts, 'caseId' | 'letterNumber'>): string {
  return `${facts.caseId}/${facts.letterNumber}`;
}

export type Paragraph =
  | string
  | { heading: string }
  | { list: string[] }
  | { link: string; label: string }
  /** Label and value lines at the head of a letter: references, who to ask for, the date. */
  | { fields: Array<[string, string]> };

export function compose(subject: string, greeting: string, paragraphs: Paragraph[], signOff: string[]): Letter {
  const textParts: string[] = [];
  const htmlParts: SafeHtml[] = [];
  // A letter's head (references, who to ask for, the date) comes before the greeting.
  const [first, ...others] = paragraphs;
  const head: Paragraph[] = first !== undefined && typeof first !== 'string' && 'fields' in first ? [first] : [];
  const body = head.length ? others : paragraphs;
  let greeted = false;
  for (const [index, paragraph] of [...head, ...body].entries()) {
    if (!greeted && index >= head.length) {
      textParts.push(greeting, '');
      htmlParts.push(html`<p>${greeting}</p>`);
      greeted = true;
    }
    if (typeof paragraph === 'string') {
      textParts.push(paragraph, '');
      htmlParts.push(html`<p>${paragraph}</p>`);
    } else if ('heading' in paragraph) {
      textParts.push(paragraph.heading.toUpperCase(), '');
      htmlParts.push(html`<h2>${paragraph.heading}</h2>`);
    } else if ('fields' in paragraph) {
      textParts.push(...paragraph.fields.map(([label, value]) => `${label}: ${value}`), '');
      htmlParts.push(html`<table class="letter-head" role="presentation">${paragraph.fields.map(([label, value]) => html`<tr><th scope="row">${label}</th><td>${value}</td></tr>`)}</table>`);
    } else if ('list' in paragraph) {
      textParts.push(...paragraph.list.map((item) => `  - ${item}`), '');
      htmlParts.push(html`<ul>${paragraph.list.map((item) => html`<li>${item}</li>`)}</ul>`);
    } else {
      textParts.push(`${paragraph.label}: ${paragraph.link}`, '');
      htmlParts.push(html`<p><a href="${paragraph.link}">${paragraph.label}</a></p>`);
    }
  }
  if (!greeted) {
    textParts.push(greeting, '');
    htmlParts.push(html`<p>${greeting}</p>`);
  }
  textParts.push(...signOff);
  htmlParts.push(html`<p>${signOff.map((line, index) => (index === 0 ? html`${line}` : html`<br>${line}`))}</p>`);
  return {
    subject,
    text: textParts.join('\n'),
    html: html`<!doctype html><html lang="en"><body>${raw(htmlParts.map(String).join('\n'))}</body></html>`.value,
  };
}

/** Who a letter speaks for: the council, or for NHS-funded care the council and the ICB together. */
export function onBehalfOf(facts: Pick<CaseFacts, 'authorityName' | 'icbName' | 'nhsFunded'>): string {
  return facts.nhsFunded ? `${facts.authorityName} and ${facts.icbName}` : facts.authorityName;
}

/** The lead officer's sign-off; for NHS-funded care, on behalf of the council and the ICB. */
export function signature(officer: Contact, authorityName: string, facts?: Pick<CaseFacts, 'authorityName' | 'icbName' | 'nhsFunded'>): string[] {
  return [
    'Yours sincerely,',
    officer.name,
    `Quality Assurance, ${authorityName}`,
    ...(facts?.nhsFunded ? [`On behalf of ${onBehalfOf(facts)}`] : []),
    [officer.email, officer.phone].filter(Boolean).join(' · '),
  ];
}

/** The Board chair's sign-off, for the Board's letters. */
export function chairSignature(chair: Contact, facts: Pick<CaseFacts, 'authorityName' | 'icbName' | 'nhsFunded'>): string[] {
  return ['Yours sincerely,', chair.name, 'Chair, Commissioning & Quality Board', `On behalf of ${onBehalfOf(facts)}`];
}

/** A role as a letter names it. */
const ROLE_WORDS = { owner: 'Owner', nominatedIndividual: 'Nominated Individual', registeredManager: 'Registered Manager' } as const;
export type PersonRole = keyof typeof ROLE_WORDS;

/** The people a letter is addressed to, in order, as they are on record (a role not on record is skipped). */
function addressed(facts: CaseFacts, roles: readonly PersonRole[]): Array<{ role: PersonRole; contact: Contact }> {
  const seen = new Set<string>();
  const out: Array<{ role: PersonRole; contact: Contact }> = [];
  for (const role of roles) {
    const contact = facts.people[role];
    if (contact && !seen.has(contact.email.toLowerCase())) {
      seen.add(contact.email.toLowerCase());
      out.push({ role, contact });
    }
  }
  return out;
}

/**
 * "Dear Jo Hill and Sam Okafor,": the people on record in the roles given (the first found when
 * `firstOnly`), by name; a role with nobody on record is greeted by its title.
 */
export function dear(facts: CaseFacts, roles: readonly PersonRole[], firstOnly = false): string {
  const people = addressed(facts, roles);
  const chosen = firstOnly ? people.slice(0, 1) : people;
  const names = chosen.length ? chosen.map((item) => item.contact.name) : (firstOnly ? roles.slice(0, 1) : roles).map((role) => ROLE_WORDS[role]);
  return `Dear ${names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0]},`;
}

/**
 * The head of a formal letter: to whom (name and role at the provider), our reference, the
 * contract's, who to ask for with their direct line and email, and the date in words.
 */
export function letterHead(facts: CaseFacts, roles: readonly PersonRole[], firstOnly = false): Paragraph {
  const people = addressed(facts, roles);
  const chosen = firstOnly ? people.slice(0, 1) : people;
  const to = chosen.length
    ? chosen.map((item) => `${item.contact.name}, ${ROLE_WORDS[item.role]}`).join('; ')
    : (firstOnly ? roles.slice(0, 1) : roles).map((role) => ROLE_WORDS[role]).join('; ');
  return headFields(facts, `${to}, ${facts.providerName}`);
}

/** The same head for a letter to someone outside the provider (another authority, families). */
export function headFields(facts: CaseFacts, to: string): Paragraph {
  return {
    fields: [
      ['To', to],
      ['Our reference', ourReference(facts)],
      ...(facts.contractReference ? ([['Contract reference', facts.contractReference]] as Array<[string, string]>) : []),
      ['Please ask for', facts.officer.name],
      ...(facts.officer.phone ? ([['Direct line', facts.officer.phone]] as Array<[string, string]>) : []),
      ['Email', facts.officer.email],
      ['Date', facts.today],
    ],
  };
}

/** For NHS-funded care, the sentence saying the letter speaks for both commissioners. */
export function jointly(facts: CaseFacts): Paragraph[] {
  return facts.nhsFunded ? [`Because the care at the service is NHS-funded, this letter is sent on behalf of both ${facts.authorityName} and ${facts.icbName}.`] : [];
}

export function ratingWords(ground: RatingGround): string {
  const what = ground.domain === 'Overall' ? 'CQC overall rating' : `CQC rating for ${ground.domain}`;
  const since = ground.when === 'since' ? ', since this case opened' : '';
  return `${what}: ${ground.rating} (published ${longDate(ground.publicationDate)}${since})`;
}

/** Each ground in words: the ratings below Good, then each concern with its date and source. */
export function groundsList(grounds: CaseGrounds): Paragraph {
  const items = [
    ...grounds.ratings.map(ratingWords),
    ...grounds.concerns.map((concern) => `Concern raised with us on ${longDate(concern.raisedAt)}${concern.source ? ` by ${concern.source}` : ''}: ${concern.summary}`),
  ];
  return items.length ? { list: items } : 'No rating below Good and no concern is on record for this case.';
}

/** What kinds of grounds the case has, for the sentence that introduces the list. */
function groundsKinds(grounds: CaseGrounds): string {
  const ratings = grounds.ratings.length > 0;
  const concerns = grounds.concerns.length > 0;
  const standard = 'below Good, the minimum standard we commission to (Good overall and in each of the five key questions)';
  if (ratings && concerns) return `CQC ratings ${standard}, and concerns raised with us about the quality of care`;
  if (ratings) return `CQC ratings ${standard}`;
  if (concerns) return 'concerns raised with us about the quality of care';
  return 'the record below';
}

/** A sentence ending in the kinds of grounds, then the list: `lead` is the sentence's start. */
export function groundsParagraphs(grounds: CaseGrounds, lead: string): Paragraph[] {
  return [`${lead} ${groundsKinds(grounds)}:`, groundsList(grounds)];
}

/**
 * For people using the service and their families: CQC's published ratings as they are, and
 * concerns by date only (who raised them and what they said stay between us and the provider).
 */
export function groundsForFamilies(grounds: CaseGrounds): Paragraph {
  const days = [...new Set(grounds.concerns.map((concern) => longDate(concern.raisedAt)))];
  const items = [...grounds.ratings.map(ratingWords), ...(days.length ? [`Concerns about the care raised with us on ${days.join(', ')}`] : [])];
  return items.length ? { list: items } : 'No rating below Good and no concern is on record.';
}

export function whereAndWhat(facts: CaseFacts): string {
  return `${facts.locationName}, ${facts.locationAddress} (CQC location ${facts.locationId}), run by ${facts.providerName}`;
}
