/**
 * The page frame: GOV.UK Design System markup (govuk-frontend's CSS, served from /assets), so
 * council staff meet a look they know and the accessibility work is already done. A council is
 * not GOV.UK, so the frame uses the generic header and service navigation, not the crown.
 */
import { html, raw, type SafeHtml } from '../lib/html';

export interface NavItem {
  href: string;
  label: string;
}

export const NAV: NavItem[] = [
  { href: '/cases', label: 'Cases' },
  { href: '/memo', label: 'Managed Placements Memo' },
  { href: '/board', label: 'Board' },
  { href: '/ratings', label: 'Ratings' },
  { href: '/contracts', label: 'Contracts' },
];

/** The local runtime keeps mail instead of sending it and says where (MAIL_SINK_PAGE); AWS has none. */
function navigation(): NavItem[] {
  const mailPage = process.env.MAIL_SINK_PAGE;
  return mailPage ? [...NAV, { href: mailPage, label: 'Mail' }] : NAV;
}

export interface LayoutOptions {
  /** The navigation item to mark as the current section. */
  active?: string;
  /** False for pages reached from an email link, where the rest of the site may need a sign-in. */
  nav?: boolean;
  /** Our own scripts under /assets (CSP allows only same-origin scripts, none inline). */
  scripts?: string[];
  /** Wider than the reading column: tables with many columns. */
  fullWidth?: boolean;
}

export function layout(title: string, content: SafeHtml, options: LayoutOptions = {}): string {
  const nav = options.nav === false ? [] : navigation();
  return html`<!DOCTYPE html>
<html lang="en" class="govuk-template">
<head>
<meta charset="utf-8">
<title>${title} – Care quality escalation</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/govuk-frontend.min.css">
<link rel="stylesheet" href="/assets/app.css">
${(options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</head>
<body class="govuk-template__body">
<a href="#main-content" class="govuk-skip-link">Skip to main content</a>
<header class="app-header">
<div class="govuk-generic-header"><div class="govuk-generic-header__container govuk-width-container app-width-container--wide"><div class="govuk-generic-header__logo"><a href="/cases" class="govuk-generic-header__homepage-link">Care quality escalation</a></div></div></div>
${nav.length
  ? html`<div class="govuk-service-navigation app-no-print"><div class="govuk-width-container app-width-container--wide"><div class="govuk-service-navigation__container"><nav aria-label="Menu" class="govuk-service-navigation__wrapper"><ul class="govuk-service-navigation__list">${nav.map((item) =>
      options.active === item.href
        ? html`<li class="govuk-service-navigation__item govuk-service-navigation__item--active"><a class="govuk-service-navigation__link" href="${item.href}" aria-current="true"><strong class="govuk-service-navigation__active-fallback">${item.label}</strong></a></li>`
        : html`<li class="govuk-service-navigation__item"><a class="govuk-service-navigation__link" href="${item.href}">${item.label}</a></li>`,
    )}</ul></nav></div></div></div>`
  : ''}
</header>
<div class="govuk-width-container${options.fullWidth ? ' app-width-container--wide' : ''}">
<main class="govuk-main-wrapper" id="main-content">
${content}
</main>
</div>
<footer class="govuk-footer app-no-print"><div class="govuk-width-container app-width-container--wide"><p class="govuk-body-s">Contract, Quality &amp; Risk Management Policy: escalation of concerns about commissioned care providers.</p></div></footer>
</body>
</html>`.value;
}

export { raw };
