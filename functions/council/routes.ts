/**
 * Where a case starts, from what the council holds on the location (seed 003):
 * - an active contract in county: the ladder, at the stage the rating or concern calls for;
 * - an active contract out of county (§1.18): the host authority's route: the officer approves a
 *   letter sharing the concerns with the authority the service is in, or takes the case up here;
 * - no active contract (Scope): the partnership route: the provider is invited to agree an
 *   improvement plan; a safeguarding risk goes to safeguarding (offered at every step).
 */
import type { Case, Contract, Stage } from '../lib/model';
import { BadInput } from '../lib/errors';
import { nowIso, send, type CaseContext, type LadderDeps } from '../ladder/context';
import { approvedLetters, asApproved, hostAuthorityEmails, partnershipEmails } from '../ladder/outgoing';

export function startingStage(contract: Contract | undefined, requested: Stage): Stage {
  if (!contract || contract.status !== 'active') return 'partnership';
  if (contract.outOfCounty) return 'hostAuthority';
  return requested;
}

export async function sendLetterToHostAuthority(deps: LadderDeps, context: CaseContext, details?: Record<string, unknown>): Promise<Case> {
  const host = context.contract?.hostAuthority;
  if (!host) throw new BadInput(`Case ${context.record.caseId}: the contract names no host authority contact to write to`);
  for (const email of approvedLetters(hostAuthorityEmails(asApproved(context, details)), details, context.record.caseId)) await send(deps, email);
  const record = await deps.store.updateCase(context.record.caseId, (value) => ({ ...value, outcome: `Concerns shared with ${host.name}` }), nowIso(deps));
  await deps.store.appendAudit({ caseId: record.caseId, at: nowIso(deps), actor: 'workflow', action: 'concerns shared with the host authority', detail: { hostAuthority: host.name, to: host.contact.email } });
  return record;
}

export async function sendPartnershipLetter(deps: LadderDeps, context: CaseContext, details?: Record<string, unknown>): Promise<Case> {
  const emails = approvedLetters(partnershipEmails(asApproved(context, details)), details, context.record.caseId);
  for (const email of emails) await send(deps, email);
  await deps.store.appendAudit({ caseId: context.record.caseId, at: nowIso(deps), actor: 'workflow', action: 'provider invited to agree an improvement plan in partnership', detail: { to: emails[0]?.to ?? [] } });
  return context.record;
}
