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
}

export type Paragraph = string | { heading: string } | { list: string[] } | { link: string; label: string };

export function compose(subject: string, greeting: string, paragraphs: Paragraph[], signOff: string[]): Letter {
  const textParts: string[] = [greeting, ''];
  const htmlParts: SafeHtml[] = [html`<p>${greeting}</p>`];
  for (const paragraph of paragraphs) {
    if (typeof paragraph === 'string') {
      textParts.push(paragraph, '');
      htmlParts.push(html`<p>${paragraph}</p>`);
    } else if ('heading' in paragraph) {
      textParts.push(paragraph.heading.toUpperCase(), '');
      htmlParts.push(html`<h2>${paragraph.heading}</h2>`);
    } else if ('list' in paragraph) {
      textParts.push(...paragraph.list.map((item) => `  - ${item}`), '');
      htmlParts.push(html`<ul>${paragraph.list.map((item) => html`<li>${item}</li>`)}</ul>`);
    } else {
      textParts.push(`${paragraph.label}: ${paragraph.link}`, '');
      htmlParts.push(html`<p><a href="${paragraph.link}">${paragraph.label}</a></p>`);
    }
  }
  textParts.push(...signOff);
  htmlParts.push(html`<p>${signOff.map((line, index) => (index === 0 ? html`${line}` : html`<br>${line}`))}</p>`);
  return {
    subject,
    text: textParts.join('\n'),
    html: html`<!doctype html><html lang="en"><body>${raw(htmlParts.map(String).join('\n'))}</body></html>`.value,
  };
}

export function signature(officer: Contact, authorityName: string): string[] {
  return [
    'Yours sincerely,',
    officer.name,
    `Quality Assurance, ${authorityName}`,
    [officer.email, officer.phone].filter(Boolean).join(' · '),
  ];
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
