/**
 * The page frame: GOV.UK Design System markup (govuk-frontend's CSS, served from /assets), so
 * council staff meet a look they know and the accessibility work is already done.
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
  { href: '/mail', label: 'Mail' },
];

export function layout(title: string, content: SafeHtml, options: { active?: string; nav?: boolean } = {}): string {
  const nav = options.nav === false ? [] : NAV;
  return html`<!DOCTYPE html>
<html lang="en" class="govuk-template">
<head>
<meta charset="utf-8">
<title>${title} – Care quality escalation</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/govuk-frontend.min.css">
<link rel="stylesheet" href="/assets/app.css">
</head>
<body class="govuk-template__body">
<a href="#main-content" class="govuk-skip-link">Skip to main content</a>
<header class="govuk-header" role="banner">
  <div class="govuk-header__container govuk-width-container">
    <div class="govuk-header__content">
      <a href="/cases" class="govuk-header__link govuk-header__service-name">Care quality escalation</a>
      ${nav.length ? html`<nav aria-label="Menu" class="govuk-header__navigation"><ul class="govuk-header__navigation-list">${nav.map((item) => html`<li class="govuk-header__navigation-item${options.active === item.href ? ' govuk-header__navigation-item--active' : ''}"><a class="govuk-header__link" href="${item.href}">${item.label}</a></li>`)}</ul></nav>` : ''}
    </div>
  </div>
</header>
<div class="govuk-width-container">
<main class="govuk-main-wrapper" id="main-content" role="main">
${content}
</main>
</div>
<footer class="govuk-footer" role="contentinfo"><div class="govuk-width-container"><p class="govuk-body-s">Contract, Quality &amp; Risk Management Policy — escalation of concerns about commissioned care providers.</p></div></footer>
</body>
</html>`.value;
}

export { raw };
