/**
 * The escalation ladder drawn as an ordered list, one rung per stage in the workflow's order, the
 * case's rung marked (aria-current="step" for assistive technology, a highlight for the eye), and
 * the rungs it has passed through marked with the date it reached them.
 * Safeguarding sits beside the ladder: a case can pass to it from any rung and comes back.
 */
import { html, type SafeHtml } from '../lib/html';
import type { Case, Stage } from '../lib/model';
import { longDate, STAGE_LABELS } from './format';
import type { RungVisit } from './case-history';

/** The rungs, bottom to top, as the workflow climbs them (workflows/escalation.ts DECISION_STEPS). */
export const LADDER: ReadonlyArray<{ stage: Stage; says: string }> = [
  { stage: 'informal', says: 'Contact by phone or an informal meeting; the outcome is confirmed in writing.' },
  { stage: 'formal', says: 'Formal Quality Improvement Notice; contract visits are suspended.' },
  { stage: 'qim', says: 'Meeting with the provider: commissioning position and an improvement plan.' },
  { stage: 'board', says: 'Notice of default; the Commissioning & Quality Board decides.' },
  { stage: 'rectification', says: 'Improvement is judged at the next CQC inspection.' },
  { stage: 'finalWarning', says: 'Six months at most to show improvement that lasts.' },
  { stage: 'finalDecision', says: 'The Board terminates the contract or accepts the improvement.' },
  { stage: 'review', says: 'Six months after the improvement was accepted: has it lasted?' },
  { stage: 'termination', says: 'The contract ends; people using the service are helped to move.' },
];

function when(visits: readonly RungVisit[], stage: RungVisit['stage'], current: boolean): SafeHtml {
  const dates = visits.filter((visit) => visit.stage === stage).map((visit) => longDate(visit.at));
  if (dates.length === 0) return html``;
  const [first, ...again] = dates;
  const words = current && dates.length === 1 ? `Since ${first}` : `Reached ${first}${again.length ? `; again ${again.join(', ')}` : ''}`;
  return html`<span class="app-ladder__when">${words}</span>`;
}

/**
 * The ladder with the current rung marked, and every rung the case has stood on (from its audit
 * trail: `visits`) marked as passed, with the date it got there.
 */
export function ladderPicture(record: Pick<Case, 'stage' | 'status' | 'returnStage' | 'outcome'>, visits: readonly RungVisit[] = []): SafeHtml {
  const closed = record.status === 'closed';
  const onSafeguarding = record.stage === 'safeguarding';
  const rungs = LADDER.map((rung) => {
    const current = !closed && !onSafeguarding && rung.stage === record.stage;
    const left = onSafeguarding && rung.stage === record.returnStage;
    const passed = !current && visits.some((visit) => visit.stage === rung.stage);
    const classes = ['app-ladder__rung', current ? 'app-ladder__rung--current' : '', left ? 'app-ladder__rung--left' : '', passed ? 'app-ladder__rung--passed' : ''].filter(Boolean).join(' ');
    return html`<li class="${classes}"${current ? html` aria-current="step"` : ''}><span class="app-ladder__name">${STAGE_LABELS[rung.stage]}</span>${current ? html` <strong class="govuk-tag govuk-tag--blue app-ladder__here">Now</strong>` : ''}${passed ? html` <strong class="govuk-tag govuk-tag--green app-ladder__here">Passed</strong>` : ''}${left ? html` <strong class="govuk-tag govuk-tag--grey">Returns here</strong>` : ''}${when(visits, rung.stage, current)}<span class="app-ladder__says">${rung.says}</span></li>`;
  });
  return html`<div class="app-ladder">
<h2 class="govuk-heading-m" id="ladder-heading">Where the case is on the ladder</h2>
<ol class="app-ladder__rungs" aria-labelledby="ladder-heading">${rungs}
<li class="app-ladder__rung app-ladder__rung--end${closed ? ' app-ladder__rung--current' : ''}"${closed ? html` aria-current="step"` : ''}><span class="app-ladder__name">Case closed</span>${closed ? html` <strong class="govuk-tag govuk-tag--blue app-ladder__here">Now</strong>${when(visits, 'closed', true)}<span class="app-ladder__says">${record.outcome ?? 'Closed'}</span>` : html`<span class="app-ladder__says">From any rung, once the concerns are resolved.</span>`}</li>
</ol>
<div class="app-ladder__aside${onSafeguarding ? ' app-ladder__aside--current' : ''}"${onSafeguarding ? html` aria-current="step"` : ''}>
<p class="govuk-body govuk-!-margin-bottom-1"><span class="app-ladder__name">Safeguarding</span>${onSafeguarding ? html` <strong class="govuk-tag govuk-tag--purple app-ladder__here">Now</strong>` : ''}${when(visits, 'safeguarding', onSafeguarding)}</p>
<p class="govuk-body-s govuk-!-margin-bottom-0">A whole-service concern can pass the case to safeguarding from any rung; it comes back to the rung it left.</p>
</div>
</div>`;
}
