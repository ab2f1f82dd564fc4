/**
 * The records the product keeps, in the policy's words. One DynamoDB table holds them all
 * (see `table.ts` for the keys). These schemas are the boundary: every item read back is parsed.
 */
import { z } from 'zod';
import { calendarDate } from './dates';

/** CQC's four-point scale; anything else ("Not Rated", ...) is stored but is not graded. */
export const GRADED_RATINGS = ['Outstanding', 'Good', 'Requires improvement', 'Inadequate'] as const;
export type GradedRating = (typeof GRADED_RATINGS)[number];
export const KEY_QUESTIONS = ['Safe', 'Effective', 'Caring', 'Responsive', 'Well-led'] as const;
export type KeyQuestion = (typeof KEY_QUESTIONS)[number];
/** `Overall` plus the five key questions; CQC files also carry extra domains, stored as they come. */
export const DOMAINS = ['Overall', ...KEY_QUESTIONS] as const;

export const ratingEntrySchema = z.object({
  rating: z.string(),
  /** ISO date (YYYY-MM-DD) the rating was published. */
  publicationDate: z.string(),
  reportType: z.string().optional(),
  inherited: z.boolean().optional(),
});
export type RatingEntry = z.infer<typeof ratingEntrySchema>;

export const historicRatingSchema = ratingEntrySchema.extend({
  domain: z.string(),
  serviceGroup: z.string(),
});
export type HistoricRating = z.infer<typeof historicRatingSchema>;

export const addressSchema = z.object({
  street: z.string().default(''),
  line2: z.string().default(''),
  city: z.string().default(''),
  postcode: z.string().default(''),
});

/** The Managed Placements Memo's abbreviations for the type of service. */
export const SERVICE_TYPES = ['RC', 'NC', 'SRC', 'DCA', 'SL'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

export const locationSchema = z.object({
  locationId: z.string(),
  providerId: z.string(),
  name: z.string(),
  address: addressSchema,
  localAuthority: z.string().default(''),
  region: z.string().default(''),
  careHome: z.boolean().default(false),
  locationType: z.string().default(''),
  primaryInspectionCategory: z.string().default(''),
  /** Latest rating per domain for the whole location (Service / Population Group = Overall). */
  ratings: z.record(z.string(), ratingEntrySchema).default({}),
  /** Latest rating per `${serviceGroup}|${domain}` for the other service / population groups. */
  serviceRatings: z.record(z.string(), ratingEntrySchema).default({}),
  /** Ratings superseded by newer ones, oldest first. */
  ratingHistory: z.array(historicRatingSchema).default([]),
  url: z.string().optional(),
  /** Set by ingestion while a ladder call for this location's new rating is still owed. */
  escalationDue: z.record(z.string(), z.unknown()).optional(),
  updatedAt: z.string(),
});
export type Location = z.infer<typeof locationSchema>;

export const providerSchema = z.object({
  providerId: z.string(),
  name: z.string(),
  providerType: z.string().default(''),
  address: addressSchema.optional(),
  localAuthority: z.string().default(''),
  region: z.string().default(''),
  /** Provider-level ratings from CQC's Providers sheet, by domain (Service / Population Group = Overall). */
  ratings: z.record(z.string(), ratingEntrySchema).default({}),
  /** Core-service ratings from the Providers sheet, by `${serviceGroup}|${domain}`. */
  serviceRatings: z.record(z.string(), ratingEntrySchema).optional(),
  ratingHistory: z.array(historicRatingSchema).optional(),
  /** Raised when several of the provider's locations are below Good (seed 000, 002). */
  corporateConcern: z
    .object({ raisedAt: z.string(), locationsBelowGood: z.array(z.string()) })
    .optional(),
  updatedAt: z.string(),
});
export type Provider = z.infer<typeof providerSchema>;

export const contactSchema = z.object({ name: z.string(), email: z.string().email() });
export type Contact = z.infer<typeof contactSchema>;

/** A contact with a phone number (the host authority's, on an out-of-county contract). */
export const personSchema = contactSchema.extend({ phone: z.string().default('') });
export type Person = z.infer<typeof personSchema>;

export const CONTRACT_STATUSES = ['active', 'ended', 'terminated'] as const;

export const contractSchema = z.object({
  contractId: z.string(),
  /** The first location the contract covers (the table's index key); `locationIds` holds them all. */
  locationId: z.string(),
  /** Every CQC location the contract covers (a contract may cover several); absent: `locationId` alone. */
  locationIds: z.array(z.string()).optional(),
  providerId: z.string(),
  title: z.string().optional(),
  /** The supplier as the register names it (CQC's name is on the provider record). */
  supplierName: z.string().optional(),
  serviceType: z.enum(SERVICE_TYPES),
  /** The Managed Placements Memo's geographical area. */
  area: z.string(),
  /** ISO dates (YYYY-MM-DD); the end date includes any extension. */
  startDate: z.string().optional(),
  endDate: z.string().optional(),
  /** Total contract value and annual spend, in pounds. */
  value: z.number().nonnegative().optional(),
  annualSpend: z.number().nonnegative().optional(),
  /** NHS-funded nursing care: the ICB issues a Contract Performance Notice alongside ours. */
  nhsFundedNursing: z.boolean().default(false),
  /** NHS continuing healthcare placements under this contract. */
  continuingHealthcare: z.boolean().default(false),
  /** A placement outside the county (seed 003 §1.18): no contract visits; concerns go to the host authority. */
  outOfCounty: z.boolean().default(false),
  /** The authority where an out-of-county service is, and the person there concerns are shared with. */
  hostAuthority: z.object({ name: z.string(), contact: personSchema }).optional(),
  /** The provider is a market risk (visited every 12 months rather than 24). */
  marketRisk: z.boolean().default(false),
  status: z.enum(CONTRACT_STATUSES).default('active'),
  contractVisits: z.enum(['scheduled', 'suspended']).default('scheduled'),
  /** The provider's relationship holder (an officer id): the lead officer for any case. */
  relationshipHolder: z.string(),
  /** Older records kept the provider's contacts on the contract; contact records replace them. */
  registeredManager: contactSchema.optional(),
  nominatedIndividual: contactSchema.optional(),
  serviceUsersContact: contactSchema.optional(),
  placements: z.number().int().nonnegative().default(0),
  /** Days' notice of termination the contract gives (the register's "Notice Period (days)"); absent: the policy's. */
  noticeDays: z.number().int().nonnegative().optional(),
  placementsStopped: z.boolean().default(false),
  /** Where the record came from (`register <file>`, `edited by <user>`), and when it last changed. */
  source: z.string().optional(),
  /** The register import that last wrote it (the file's digest). */
  importId: z.string().optional(),
  updatedAt: z.string().optional(),
});
export type Contract = z.infer<typeof contractSchema>;

/** Every location a contract covers. */
export function contractLocations(contract: Pick<Contract, 'locationId' | 'locationIds'>): string[] {
  return contract.locationIds?.length ? contract.locationIds : [contract.locationId];
}

/**
 * The provider's people the council writes to. The residents-and-families contact is the
 * council's own channel (never a mailbox at the provider): a letter about ending a contract must
 * not depend on the provider passing it on.
 */
export const CONTACT_ROLES = ['owner', 'nominatedIndividual', 'registeredManager', 'familiesContact'] as const;
export type ContactRole = (typeof CONTACT_ROLES)[number];
export const CONTACT_ROLE_LABELS: Record<ContactRole, string> = {
  owner: 'Owner or chief officer',
  nominatedIndividual: 'Nominated Individual',
  registeredManager: 'Registered Manager',
  familiesContact: "Residents' and families' contact (council)",
};

export const providerContactSchema = z.object({
  providerId: z.string(),
  /** The location this contact is for (a Registered Manager, the families' contact); absent: the whole provider. */
  locationId: z.string().optional(),
  role: z.enum(CONTACT_ROLES),
  name: z.string().min(1),
  email: z.string().email(),
  phone: z.string().default(''),
  /** `register <file>`, `edited by <user>`, `added from case <caseId> by <user>`. */
  source: z.string(),
  importId: z.string().optional(),
  updatedAt: z.string(),
});
export type ProviderContact = z.infer<typeof providerContactSchema>;

export const STAGES = [
  /** Out of county (seed 003 §1.18): the concerns go to the host authority, unless the officer takes them up here. */
  'hostAuthority',
  /** A regulated provider without a contract (seed 003 Scope): an improvement plan in partnership. */
  'partnership',
  'informal',
  'formal',
  'qim',
  'board',
  'rectification',
  'finalWarning',
  'finalDecision',
  'review',
  'safeguarding',
  'termination',
  'closed',
] as const;
export type Stage = (typeof STAGES)[number];

/** The commissioning position decided at a QIM, and the memo section it puts the provider in. */
export const COMMISSIONING_POSITIONS = ['suspendNewPlacements', 'placeWithRestrictions', 'noFurtherAction'] as const;
export type CommissioningPosition = (typeof COMMISSIONING_POSITIONS)[number];
/** Each position in words, with the memo section it puts the provider in (pages and Board papers). */
export const POSITION_LABELS: Record<CommissioningPosition, string> = {
  suspendNewPlacements: 'New placements suspended (memo RED)',
  placeWithRestrictions: 'Placing with restrictions (memo AMBER)',
  noFurtherAction: 'No restriction on placements',
};
export const MEMO_RAG = ['RED', 'AMBER', 'GREEN'] as const;
export type MemoRag = (typeof MEMO_RAG)[number];

export const improvementActionSchema = z.object({
  action: z.string().min(1),
  owner: z.string().min(1),
  due: calendarDate,
  /** How success will be shown (evidence); plans recorded before it was asked for have none. */
  success: z.string().min(1).optional(),
});
export type ImprovementAction = z.infer<typeof improvementActionSchema>;

export const qimSchema = z.object({
  date: z.string(),
  time: z.string(),
  venue: z.string(),
  attendees: z.array(z.string()),
});
export type Qim = z.infer<typeof qimSchema>;

/** Where a concern came to us from (issue 16; seed 003 §1.5). */
export const CONCERN_KINDS = ['serviceQualityFeedback', 'whistleBlowing', 'complaint', 'safeguardingAlert', 'professionalFeedback', 'cqcIntelligence'] as const;
export type ConcernKind = (typeof CONCERN_KINDS)[number];
export const CONCERN_KIND_LABELS: Record<ConcernKind, string> = {
  serviceQualityFeedback: 'Service quality feedback',
  whistleBlowing: 'Whistle-blowing',
  complaint: 'Complaint',
  safeguardingAlert: 'Safeguarding alert',
  professionalFeedback: 'Professional feedback',
  cqcIntelligence: 'CQC intelligence',
};
export const CONCERN_SEVERITIES = ['low', 'medium', 'high'] as const;
export type ConcernSeverity = (typeof CONCERN_SEVERITIES)[number];

/**
 * A concern about the quality of care (service quality feedback, safeguarding, whistle-blowing,
 * professional feedback): when it was raised, where it came from, what it says.
 */
export const concernSchema = z.object({
  /** When it was raised with the council (ISO timestamp, or a day as YYYY-MM-DD). */
  raisedAt: z.string(),
  /** Where it came from, as letters may name it ("a relative", "Healthwatch Westshire"). */
  source: z.string(),
  summary: z.string(),
  /** The signed-in user who recorded it. */
  recordedBy: z.string(),
  /** Its own record (functions/ladder/concerns.ts), on concerns recorded since concerns were kept apart. */
  concernId: z.string().optional(),
  kind: z.enum(CONCERN_KINDS).optional(),
  severity: z.enum(CONCERN_SEVERITIES).optional(),
});
export type Concern = z.infer<typeof concernSchema>;

export const caseSchema = z.object({
  caseId: z.string(),
  locationId: z.string(),
  providerId: z.string(),
  contractId: z.string().optional(),
  status: z.enum(['open', 'closed']),
  stage: z.enum(STAGES),
  stageEnteredAt: z.string(),
  /** The stage a safeguarding transfer left, to return to. */
  returnStage: z.enum(STAGES).optional(),
  leadOfficer: z.string(),
  trigger: z.string(),
  /** The location's ratings on record when the case opened (absent on records made before this was kept). */
  openingRatings: z.record(z.string(), ratingEntrySchema).optional(),
  /** Every concern raised about the location while the case is open, the first included. */
  concerns: z.array(concernSchema).optional(),
  openedAt: z.string(),
  closedAt: z.string().optional(),
  outcome: z.string().optional(),
  deadlines: z
    .object({
      response: z.string().optional(),
      finalWarning: z.string().optional(),
      review: z.string().optional(),
      boardMeeting: z.string().optional(),
    })
    .default({}),
  finalWarningIssuedAt: z.string().optional(),
  commissioningPosition: z.enum(COMMISSIONING_POSITIONS).optional(),
  memo: z.object({ rag: z.enum(MEMO_RAG), addedAt: z.string() }).optional(),
  serviceUsersInformed: z.boolean().optional(),
  qim: qimSchema.optional(),
  qimCount: z.number().int().default(0),
  improvementPlan: z.array(improvementActionSchema).default([]),
  /** What the case is waiting for, in words, and from whom. */
  waitingOn: z
    .object({ step: z.string(), who: z.string(), since: z.string(), reminders: z.number().int().default(0) })
    .optional(),
  /** The waiting step a safeguarding transfer left, to resume at. */
  returnStep: z.string().optional(),
  /** Ratings from the inspection that answered a rectification notice. */
  lastInspection: z.object({ at: z.string(), ratings: z.record(z.string(), ratingEntrySchema), belowGood: z.boolean() }).optional(),
  pendingTaskId: z.string().optional(),
  executions: z.array(z.object({ executionArn: z.string(), startedAt: z.string() })).default([]),
  generation: z.number().int().default(1),
  lastFailure: z.object({ at: z.string(), step: z.string(), error: z.string() }).optional(),
  /** Mail the case needed could not be sent (the administrator's alert, say): why, shown on the case page until a send succeeds. */
  mailProblem: z.object({ at: z.string(), step: z.string(), to: z.array(z.string()), reason: z.string() }).optional(),
  /** Brought over from the council's tracker: the first wait (`quietStep`) sends nothing. */
  imported: z.object({ at: z.string(), file: z.string(), importId: z.string(), quietStep: z.string().optional() }).optional(),
  version: z.number().int(),
  updatedAt: z.string(),
});
export type Case = z.infer<typeof caseSchema>;

/**
 * `decided`: the decision is recorded (the durable commit point) but not yet known to have reached
 * Step Functions; `used`: it has. Nothing else moves a task out of `decided`.
 */
export const TASK_STATUSES = ['pending', 'decided', 'used', 'superseded', 'timedOut', 'expired', 'failed'] as const;

/** A decision as recorded on its task, with everything needed to finish it after a crash. */
export const recordedDecisionSchema = z.object({
  decision: z.string(),
  step: z.string(),
  by: z.string(),
  at: z.string(),
  note: z.string().default(''),
  details: z.record(z.string(), z.unknown()).default({}),
  /** Where the request came from (the audit event's source). */
  source: z.string().optional(),
  /** The case's audit head seq just before the decision: its event can only come after it. */
  auditAfter: z.number().int().nonnegative().default(0),
  /** Until when the request that recorded it is still delivering it (others then say "used"). */
  leaseUntil: z.string().optional(),
});
export type RecordedDecision = z.infer<typeof recordedDecisionSchema>;
export const pendingTaskSchema = z.object({
  taskId: z.string(),
  caseId: z.string(),
  /** The state machine step that waits, e.g. "Approve Quality Improvement Notice". */
  step: z.string(),
  /** Officer id, `board`, `safeguarding` or `inspection` (a new CQC rating answers it). */
  assignee: z.string(),
  allowedDecisions: z.array(z.string()),
  taskToken: z.string(),
  status: z.enum(TASK_STATUSES),
  createdAt: z.string(),
  expiresAt: z.string(),
  closedAt: z.string().optional(),
  closedBy: z.string().optional(),
  decision: z.string().optional(),
  failure: z.string().optional(),
  /** The execution whose task token this is (older tasks may lack it). */
  executionArn: z.string().optional(),
  /** Set with `decided`: the decision, who, when, and what its audit event needs. */
  recorded: recordedDecisionSchema.optional(),
  deliveredAt: z.string().optional(),
});
export type PendingTask = z.infer<typeof pendingTaskSchema>;

export const auditEventSchema = z.object({
  caseId: z.string(),
  seq: z.number().int().positive(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  detail: z.record(z.string(), z.unknown()).default({}),
  source: z.string().optional(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditEvent = z.infer<typeof auditEventSchema>;

/** What SES reported after accepting an email: it bounced, or a recipient complained. */
export const emailFeedbackSchema = z.object({
  type: z.enum(['bounce', 'complaint']),
  /** SES's feedback id: the same report delivered twice is recorded once. */
  feedbackId: z.string(),
  at: z.string(),
  recipients: z.array(z.string()),
  /** Bounce type and the receiving server's words, or the complaint's feedback type. */
  detail: z.string(),
});
export type EmailFeedback = z.infer<typeof emailFeedbackSchema>;

export const emailRecordSchema = z.object({
  caseId: z.string(),
  messageId: z.string(),
  kind: z.string(),
  at: z.string(),
  to: z.array(z.string()),
  cc: z.array(z.string()).default([]),
  subject: z.string(),
  /** The letter as sent (kept since the case page shows it; emails recorded earlier have none). */
  from: z.string().optional(),
  text: z.string().optional(),
  html: z.string().optional(),
  feedback: z.array(emailFeedbackSchema).default([]),
});
export type EmailRecord = z.infer<typeof emailRecordSchema>;
