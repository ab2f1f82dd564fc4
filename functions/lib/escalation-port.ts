/**
 * What ingestion asks of the ladder. Ingestion decides *that* something must happen (the policy
 * rules); the ladder module implements *how* (case records, executions). Every call is idempotent:
 * a re-run after a crash may repeat it safely.
 */
import type { ConcernKind, ConcernSeverity } from './model';
import type { RatingEntry } from './model';

export interface OpenCaseRequest {
  locationId: string;
  providerId: string;
  /** Informal stage, or formal straight away (e.g. Inadequate overall). */
  stage: 'informal' | 'formal';
  /** Plain words: "CQC rated Requires improvement overall (published 1 October 2026)". */
  trigger: string;
  /** The ratings that triggered it, by domain (for a concern: the location's ratings on record). */
  ratings: Record<string, RatingEntry>;
  /** A concern that opens the case, or feeds the one already open. */
  concern?: { source: string; summary: string; raisedAt?: string; concernId?: string; kind?: ConcernKind; severity?: ConcernSeverity };
}

export interface InspectionResult {
  locationId: string;
  ratings: Record<string, RatingEntry>;
  /** Below Good overall or in any key question. */
  belowGood: boolean;
}

export interface EscalationPort {
  /** Opens a case unless the location already has an open one. */
  openCase(request: OpenCaseRequest): Promise<{ caseId: string; opened: boolean }>;
  /** Gives a new rating to an open case waiting on the next inspection; no-op otherwise. */
  deliverInspection(result: InspectionResult): Promise<{ caseId?: string; resumed: boolean }>;
  /** Several of a provider's locations are below Good: flag the provider (corporate concern). */
  raiseCorporateConcern(providerId: string, locationIdsBelowGood: string[]): Promise<{ raised: boolean }>;
  /** For a preview: what those calls would do, reading only (no case, execution or email). */
  preview?: {
    openCase(request: OpenCaseRequest): Promise<{ caseId?: string; opened: boolean }>;
    deliverInspection(result: InspectionResult): Promise<{ caseId?: string; resumed: boolean }>;
  };
}
