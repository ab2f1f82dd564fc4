/**
 * The product's configuration: who the officers and Board members are, where mail comes from,
 * the policy's thresholds. Validated once at start; a bad file fails fast naming the field.
 * On AWS it arrives as the APP_CONFIG environment variable (JSON); locally from config/local.json.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { calendarDate } from './dates';
import { roleSchema } from './roles';

export const BOARD_ROLES = [
  'icbSafeguardingCommissioning',
  'councilQualityPerformanceManager',
  'councilStrategicCommissioner',
  'procurementManager',
  'advisor',
] as const;
export type BoardRole = (typeof BOARD_ROLES)[number];
/** Quorum (Board terms of reference, 5): at least three members including each of these roles. */
export const QUORUM_ROLES: readonly BoardRole[] = [
  'icbSafeguardingCommissioning',
  'councilQualityPerformanceManager',
  'councilStrategicCommissioner',
];

const person = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and dashes'),
  name: z.string().min(1),
  email: z.string().email(),
  /** Roles (functions/lib/roles.ts); absent, they default by where the person is listed. */
  roles: z.array(roleSchema).min(1).optional(),
});

export const configSchema = z.object({
  authority: z.object({
    name: z.string().min(1),
    icbName: z.string().min(1),
    /** CQC `Location Local Authority` values that are in our area. */
    localAuthorities: z.array(z.string().min(1)).min(1),
    /** Public base URL of the HTTP API, for links in emails. */
    baseUrl: z.string().url(),
  }),
  mail: z.object({
    sender: z.string().email(),
    configurationSet: z.string().optional(),
    qualityTeam: z.string().email(),
    safeguardingTeam: z.string().email(),
    procurementTeam: z.string().email(),
    administrator: z.string().email(),
  }),
  officers: z.array(person.extend({ phone: z.string().default('') })).min(1),
  /** People who are neither officers nor Board members: managers, authorisers, administrators. */
  people: z.array(person.extend({ phone: z.string().default(''), roles: z.array(roleSchema).min(1) })).default([]),
  board: z.object({
    chair: z.string(),
    members: z.array(person.extend({ role: z.enum(BOARD_ROLES) })).min(3),
    /** Papers go to members at least this many days before a meeting. */
    papersDaysBefore: z.number().int().positive().default(7),
  }),
  policy: z
    .object({
      /** Working days an officer has to answer before a reminder goes. */
      responseWorkingDays: z.number().int().positive().default(5),
      /** Days between reminders to the Board while a case waits for its decision. */
      boardReminderDays: z.number().int().positive().default(30),
      /** How often a case waiting for the next inspection is checked on. */
      inspectionCheckDays: z.number().int().positive().default(90),
      /** At most six by the policy; never beyond what one execution's wait can hold. */
      finalWarningMonths: z.number().int().positive().max(6).default(6),
      reviewMonths: z.number().int().positive().max(9).default(6),
      /** Inadequate overall goes straight to the formal stage. */
      formalStageOn: z.array(z.enum(['Inadequate', 'Requires improvement'])).default(['Inadequate']),
      /** Locations below Good that make a corporate concern about their provider. */
      corporateConcernThreshold: z.number().int().min(2).default(2),
      /** Signed links in emails expire after this many days. */
      linkExpiryDays: z.number().int().positive().default(14),
      /** A case continues as a new execution when its execution is older than this (< 365). */
      continueAsNewAfterDays: z.number().int().min(1).max(364).default(300),
      /** Days' notice a letter of termination gives where the contract register states none. */
      terminationNoticeDays: z.number().int().min(0).max(730).default(90),
      /**
       * Concerns that add up (seed 003 §1.5: many feedback reports can change the RAG, isolated ones
       * normally not): `count` concerns within `withinDays` about a location whose overall rating is
       * one of `ratedAs`, none of them on a case, and the product `openCase`s or `tellLeadOfficer`s.
       */
      concernPattern: z
        .object({
          count: z.number().int().min(2).max(100).default(3),
          withinDays: z.number().int().min(1).max(730).default(90),
          ratedAs: z.array(z.enum(['Outstanding', 'Good', 'Requires improvement', 'Inadequate', 'Not rated'])).min(1).default(['Good', 'Outstanding']),
          action: z.enum(['openCase', 'tellLeadOfficer']).default('tellLeadOfficer'),
        })
        .default({ count: 3, withinDays: 90, ratedAs: ['Good', 'Outstanding'], action: 'tellLeadOfficer' }),
    })
    .default({
      responseWorkingDays: 5,
      boardReminderDays: 30,
      inspectionCheckDays: 90,
      finalWarningMonths: 6,
      reviewMonths: 6,
      formalStageOn: ['Inadequate'],
      corporateConcernThreshold: 2,
      linkExpiryDays: 14,
      continueAsNewAfterDays: 300,
      terminationNoticeDays: 90,
      concernPattern: { count: 3, withinDays: 90, ratedAs: ['Good', 'Outstanding'], action: 'tellLeadOfficer' },
    }),
  /** The provider's side: confirming receipt of letters and answering the evidence (README, "The provider's side"). */
  providerSide: z
    .object({
      /** Working days (England and Wales) a provider has to confirm receipt before a reminder, and the officer is told. */
      receiptWorkingDays: z.number().int().positive().default(5),
      /** Days the provider has to answer the evidence before a Board referral is considered. */
      responseDays: z.number().int().positive().default(14),
      /** Provider links expire after this many days. */
      linkDays: z.number().int().positive().max(365).default(60),
      /** The largest evidence file taken, in bytes (the body of one answer holds at most three). */
      maxEvidenceBytes: z.number().int().positive().max(5 * 1024 * 1024).default(4 * 1024 * 1024),
      /** One-off bank holidays (YYYY-MM-DD), and regular ones moved away that year. */
      extraBankHolidays: z.array(calendarDate).default([]),
      notBankHolidays: z.array(calendarDate).default([]),
    })
    .default({ receiptWorkingDays: 5, responseDays: 14, linkDays: 60, maxEvidenceBytes: 4 * 1024 * 1024, extraBankHolidays: [], notBankHolidays: [] }),
  cqcApi: z
    .object({
      baseUrl: z.string().url().default('https://api.service.cqc.org.uk/public/v1'),
      subscriptionKey: z.string().optional(),
      perPage: z.number().int().min(1).max(1000).default(500),
    })
    .optional(),
});
export type AppConfig = z.infer<typeof configSchema>;
export type Officer = AppConfig['officers'][number];
export type BoardMember = AppConfig['board']['members'][number];

export class ConfigError extends Error {
  constructor(source: string, issues: z.core.$ZodIssue[]) {
    super(
      `Invalid configuration in ${source}:\n` +
        issues.map((issue) => `  - ${issue.path.join('.') || '(root)'}: ${issue.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export function parseConfig(raw: unknown, source: string): AppConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(source, result.error.issues);
  return result.data;
}

export function loadConfigFile(path: string): AppConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read configuration ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseConfig(raw, path);
}

/** On Lambda: APP_CONFIG holds the JSON. Read once per cold start. */
export function configFromEnvironment(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const json = env.APP_CONFIG;
  if (!json) throw new Error('APP_CONFIG is not set');
  return parseConfig(JSON.parse(json), 'APP_CONFIG');
}

export function officerById(config: AppConfig, id: string): Officer | undefined {
  return config.officers.find((officer) => officer.id === id);
}
