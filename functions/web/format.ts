/**
 * Words and small pieces of markup the pages share: stage names, who a case waits on, dates and
 * days left on the (virtual) clock, and the GOV.UK tags for ratings, stages and memo sections.
 */
import { html, type SafeHtml } from '../lib/html';
import type { AppConfig } from '../lib/config';
import { POSITION_LABELS, type Case, type MemoRag, type Stage } from '../lib/model';
import { DECISION_LABELS } from '../ladder/workflow';
import { clockTimeWords, datesInWords, dateTimeWords, longDate } from '../lib/dates';
import { currentDeadlines } from './case-history';

export const STAGE_LABELS: Record<Stage, string> = {
  hostAuthority: 'Out of county: host authority',
  partnership: 'Partnership (no contract)',
  informal: 'Informal stage',
  formal: 'Formal stage',
  qim: 'Quality Improvement Meeting',
  board: 'Referred to the Board',
  rectification: 'Rectification notice',
  finalWarning: 'Final warning',
  finalDecision: "Board's final decision",
  review: 'Sustainability review',
  safeguarding: 'With safeguarding',
  termination: 'Termination',
  closed: 'Closed',
};

export { POSITION_LABELS };

export const RAG_HEADINGS: Record<MemoRag, string> = {
  RED: 'Not currently placing',
  AMBER: 'Placing with restrictions',
  GREEN: 'Restrictions removed: placing again',
};

/** "decisionRequest" → "decision request": record kinds and detail keys, readable. */
export function words(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

export const SERVICE_TYPE_LABELS: Record<string, string> = {
  RC: 'Residential care',
  NC: 'Nursing care',
  SRC: 'Specialist residential care',
  DCA: 'Domiciliary care agency',
  SL: 'Supported living',
};

export const DEADLINE_LABELS: Record<string, string> = {
  response: 'Response due',
  finalWarning: 'Final warning ends',
  review: 'Sustainability review',
  boardMeeting: 'Board meeting',
};

export function decisionLabel(decision: string): string {
  return DECISION_LABELS[decision] ?? decision;
}

export function officerName(config: AppConfig, id: string): string {
  return config.officers.find((officer) => officer.id === id)?.name ?? id;
}

/** Who a waiting step needs, in words (`waitingOn.who` or a task's assignee). */
export function whoLabel(config: AppConfig, who: string, leadOfficer?: string): string {
  switch (who) {
    case 'leadOfficer':
      return leadOfficer ? `Lead officer (${officerName(config, leadOfficer)})` : 'Lead officer';
    case 'board':
      return 'The Commissioning & Quality Board';
    case 'safeguarding':
      return 'Safeguarding team';
    case 'inspection':
      return 'The next CQC inspection';
    case 'administrator':
      return 'Administrator';
    default: {
      const officer = config.officers.find((item) => item.id === who);
      return officer ? officer.name : who;
    }
  }
}

const SHORT = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

function asDate(value: string | Date): Date | undefined {
  const date = typeof value === 'string' ? new Date(value) : value;
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export { clockTimeWords, datesInWords, longDate };

export function shortDate(value: string | Date | undefined): string {
  const date = value === undefined ? undefined : asDate(value);
  return date ? SHORT.format(date) : '';
}

/** "8 June 2027, 10:23pm": a moment in words, UK time. */
export function dateTime(value: string | undefined): string {
  return dateTimeWords(value);
}

/** Calendar days from today to `date` (negative when past), counted on UTC dates. */
export function daysUntil(date: string, now: Date): number {
  const target = asDate(date);
  if (!target) return 0;
  const day = (value: Date) => Date.UTC(value.getUTCFullYear(), value.getUTCMonth(), value.getUTCDate());
  return Math.round((day(target) - day(now)) / 86_400_000);
}

export function daysLeftText(days: number): string {
  if (days === 0) return 'today';
  if (days === 1) return 'tomorrow';
  if (days > 1) return `${days} days left`;
  if (days === -1) return '1 day overdue';
  return `${-days} days overdue`;
}

export function daysLeftTag(days: number): SafeHtml {
  const colour = days < 0 ? 'red' : days <= 7 ? 'yellow' : 'grey';
  return html`<strong class="govuk-tag govuk-tag--${colour}">${daysLeftText(days)}</strong>`;
}

/** The soonest deadline that still runs (overdue ones included); none for a closed case. */
export function nextDeadline(record: Pick<Case, 'status' | 'stage' | 'returnStage' | 'waitingOn' | 'deadlines'>): { kind: string; at: string } | undefined {
  let soonest: { kind: string; at: string } | undefined;
  for (const { kind, at } of currentDeadlines(record)) {
    if (!soonest || new Date(at).getTime() < new Date(soonest.at).getTime()) soonest = { kind, at };
  }
  return soonest;
}

const RATING_COLOURS: Record<string, string> = {
  Outstanding: 'turquoise',
  Good: 'green',
  'Requires improvement': 'yellow',
  Inadequate: 'red',
};

export function ratingTag(rating: string | undefined): SafeHtml {
  if (!rating) return html`<span class="app-muted">Not rated</span>`;
  return html`<strong class="govuk-tag govuk-tag--${RATING_COLOURS[rating] ?? 'grey'}">${rating}</strong>`;
}

const RAG_COLOURS: Record<MemoRag, string> = { RED: 'red', AMBER: 'orange', GREEN: 'green' };

export function ragTag(rag: MemoRag | undefined): SafeHtml {
  if (!rag) return html`<span class="app-muted">Not on the memo</span>`;
  return html`<strong class="govuk-tag govuk-tag--${RAG_COLOURS[rag]}">${rag}</strong>`;
}

export function stageTag(record: Pick<Case, 'stage' | 'status'>): SafeHtml {
  const colour =
    record.status === 'closed'
      ? 'grey'
      : record.stage === 'safeguarding'
        ? 'purple'
        : ['board', 'rectification', 'finalWarning', 'finalDecision', 'termination'].includes(record.stage)
          ? 'red'
          : record.stage === 'informal'
            ? 'blue'
            : 'orange';
  return html`<strong class="govuk-tag govuk-tag--${colour}">${STAGE_LABELS[record.stage]}</strong>`;
}

export function addressText(address: { street: string; line2: string; city: string; postcode: string } | undefined): string {
  if (!address) return 'address not on record';
  return [address.street, address.line2, address.city, address.postcode].filter(Boolean).join(', ') || 'address not on record';
}

export function pathSegment(value: string): string {
  return encodeURIComponent(value);
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-GB')} ${count === 1 ? one : many}`;
}
