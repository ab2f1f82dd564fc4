/**
 * The ladder as a Mermaid flowchart, generated from the same step tables the state machine is
 * built from (failure handling, reminders and the continue-as-new plumbing are left out so the
 * picture shows the policy). `npm run diagram` prints it; a test keeps the README's copy current.
 */
import { ACTION_STEPS, DECISION_STEPS, STATE } from './escalation';

const HIDDEN_AFTER = new Set(['After Informal Outcome', 'After QIM Outcome']);

function id(name: string): string {
  return name.replace(/: Prepare$/, '').replace(/[^A-Za-z0-9]/g, '');
}

export function ladderDiagram(): string {
  const lines = ['flowchart TD'];
  const start = 'CQC rating below Good, or a concern';
  lines.push(`  Start(["${start}"])`);
  lines.push(`  Start -->|informal| ${id('Await Informal Outcome')}`);
  lines.push(`  Start -->|Inadequate| ${id('Approve Quality Improvement Notice')}`);
  lines.push(`  Start -->|out of county| ${id('Approve Letter To Host Authority')}`);
  lines.push(`  Start -->|no contract| ${id('Approve Partnership Letter')}`);
  for (const step of DECISION_STEPS) {
    lines.push(`  ${id(step.name)}{{"${step.name}<br/><i>${step.assignee}</i>"}}`);
    for (const [decision, next] of Object.entries(step.decisions)) {
      if (HIDDEN_AFTER.has(next)) continue;
      lines.push(`  ${id(step.name)} -->|${decision}| ${id(next)}`);
    }
    if (step.onTimeout.kind === 'deadline') lines.push(`  ${id(step.name)} -.->|"${step.onTimeout.deadline} deadline"| ${id(step.onTimeout.next)}`);
  }
  for (const step of ACTION_STEPS) {
    if (step.name === STATE.transferToSafeguarding) continue;
    lines.push(`  ${id(step.name)}["${step.name}"]`);
    if (step.next === 'After Informal Outcome') {
      lines.push(`  ${id(step.name)} -->|noFurtherAction| ${id(STATE.closeCase)}`);
      lines.push(`  ${id(step.name)} -->|formalStage| ${id('Approve Quality Improvement Notice')}`);
    } else if (step.next === 'After QIM Outcome') {
      lines.push(`  ${id(step.name)} -->|resolved| ${id('Reinstate Contract Visits')}`);
      lines.push(`  ${id(step.name)} -->|followUp| ${id('Arrange Quality Improvement Meeting')}`);
      lines.push(`  ${id(step.name)} -->|referToBoard| ${id('Refer To Board')}`);
    } else if (step.next === STATE.router) {
      lines.push(`  ${id(step.name)} -->|the step it left| Back(["back to the waiting step it left"])`);
    } else {
      lines.push(`  ${id(step.name)} --> ${id(step.next)}`);
    }
  }
  lines.push(`  ${id(STATE.closed)}(["${STATE.closed}"])`);
  lines.push(`  Any(["any waiting step"]) -->|safeguarding| ${id('Await Safeguarding Outcome')}`);
  return lines.join('\n');
}

export const README_PATH = new URL('../README.md', import.meta.url).pathname;
const START = '<!-- ladder-diagram:start -->';
const END = '<!-- ladder-diagram:end -->';

/** The README text with the diagram between its markers replaced by the current one. */
export function withDiagram(readme: string): string {
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from < 0 || to < from) throw new Error('README.md has no ladder-diagram markers');
  return `${readme.slice(0, from + START.length)}\n\`\`\`mermaid\n${ladderDiagram()}\n\`\`\`\n${readme.slice(to)}`;
}
