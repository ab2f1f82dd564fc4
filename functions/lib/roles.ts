/**
 * What a person may be in the product (issue "Real people, signed in, with roles"). One person may
 * hold several roles. The policy's words: the "designated managers" who alone change a commissioning
 * position (seed 003 §2.6) are commissioning position authorisers; the Board's decision makers count
 * to quorum and decide, its advisors attend without counting, business support records meetings.
 */
import { z } from 'zod';

export const ROLES = [
  'qualityOfficer',
  'qualityTeamManager',
  'positionAuthoriser',
  'boardDecisionMaker',
  'boardAdvisor',
  'boardBusinessSupport',
  'safeguardingLead',
  'administrator',
] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);

/** How each role is named on pages, in refusals and in the README's role table. */
export const ROLE_NAMES: Record<Role, string> = {
  qualityOfficer: 'quality officer',
  qualityTeamManager: 'quality team manager',
  positionAuthoriser: 'commissioning position authoriser',
  boardDecisionMaker: 'Board decision maker',
  boardAdvisor: 'Board advisor',
  boardBusinessSupport: 'Board business support',
  safeguardingLead: 'safeguarding lead',
  administrator: 'administrator',
};
