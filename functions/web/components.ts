/**
 * GOV.UK Design System components the pages' forms share, written out as the Design System
 * publishes their markup: error summary, success banner, date input, a hidden CSRF field.
 */
import { html, type SafeHtml } from '../lib/html';

export interface Problem {
  /** The id of the field to link to from the error summary. */
  field?: string;
  message: string;
}

export function errorSummary(problems: readonly Problem[]): SafeHtml {
  if (problems.length === 0) return html``;
  return html`<div class="govuk-error-summary" data-module="govuk-error-summary"><div role="alert"><h2 class="govuk-error-summary__title">There is a problem</h2><div class="govuk-error-summary__body"><ul class="govuk-list govuk-error-summary__list">${problems.map(
    (problem) => html`<li>${problem.field ? html`<a href="#${problem.field}">${problem.message}</a>` : problem.message}</li>`,
  )}</ul></div></div></div>`;
}

export function successBanner(heading: string, body?: SafeHtml | string): SafeHtml {
  return html`<div class="govuk-notification-banner govuk-notification-banner--success" role="alert" aria-labelledby="success-title" data-module="govuk-notification-banner"><div class="govuk-notification-banner__header"><h2 class="govuk-notification-banner__title" id="success-title">Success</h2></div><div class="govuk-notification-banner__content"><p class="govuk-notification-banner__heading">${heading}</p>${body ? html`<p class="govuk-body">${body}</p>` : ''}</div></div>`;
}

export function fieldError(problems: readonly Problem[], field: string): SafeHtml {
  const problem = problems.find((item) => item.field === field);
  return problem ? html`<p id="${field}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> ${problem.message}</p>` : html``;
}

export function hasError(problems: readonly Problem[], field: string): boolean {
  return problems.some((item) => item.field === field);
}

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="csrfToken" value="${token}">`;
}

/** GOV.UK date input: day, month and year fields named `<name>-day` etc. The first field's id is `<name>`. */
export function dateInput(name: string, legend: string, hint: string, value: string | undefined, problems: readonly Problem[]): SafeHtml {
  const [year, month, day] = (value ?? '').split('-');
  const part = (text: string | undefined) => (text ? String(Number(text)) : '');
  return dateInputParts(name, legend, hint, { day: part(day), month: part(month), year: year ?? '' }, problems);
}

export interface DateParts {
  day: string;
  month: string;
  year: string;
}

/** The GOV.UK date input showing exactly what was typed in each part. `legendClass` sizes the legend. */
export function dateInputParts(name: string, legend: string, hint: string, parts: DateParts, problems: readonly Problem[], legendClass = 'govuk-fieldset__legend--s'): SafeHtml {
  const error = hasError(problems, name);
  const field = (part: 'day' | 'month' | 'year', label: string, current: string, width: number) =>
    html`<div class="govuk-date-input__item"><div class="govuk-form-group"><label class="govuk-label govuk-date-input__label" for="${part === 'day' ? name : `${name}-${part}`}">${label}</label><input class="govuk-input govuk-date-input__input govuk-input--width-${width}${error ? ' govuk-input--error' : ''}" id="${part === 'day' ? name : `${name}-${part}`}" name="${name}-${part}" type="text" inputmode="numeric" value="${current}"></div></div>`;
  return html`<div class="govuk-form-group${error ? ' govuk-form-group--error' : ''}"><fieldset class="govuk-fieldset" role="group" aria-describedby="${name}-hint${error ? html` ${name}-error` : ''}"><legend class="govuk-fieldset__legend ${legendClass}">${legend}</legend><div id="${name}-hint" class="govuk-hint">${hint}</div>${fieldError(problems, name)}<div class="govuk-date-input">${field('day', 'Day', parts.day, 2)}${field('month', 'Month', parts.month, 2)}${field('year', 'Year', parts.year, 4)}</div></fieldset></div>`;
}

/** Reads a GOV.UK date input back as YYYY-MM-DD, or undefined when it is not a real date. */
export function readDate(fields: { get(name: string): string }, name: string): string | undefined {
  const day = Number(fields.get(`${name}-day`));
  const month = Number(fields.get(`${name}-month`));
  const year = Number(fields.get(`${name}-year`));
  if (![day, month, year].every(Number.isInteger) || year < 2000 || year > 2100) return undefined;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return date.toISOString().slice(0, 10);
}
