/**
 * Deterministic crash points for kill tests. `CRASH_AT=<name>` (optionally `<name>#<n>`, the n-th
 * time that point is reached) makes the process SIGKILL itself there: no cleanup, no flushing,
 * exactly what a power cut or an OOM kill leaves behind. Unset (always, outside tests) it does
 * nothing. The names are listed here so a test cannot ask for a point that does not exist.
 */
export const CRASH_POINTS = [
  /** A decision: the task moved to `decided`, nothing else done yet. */
  'decision:afterClaim',
  /** A decision: its audit event written, Step Functions not told. */
  'decision:afterAudit',
  /** A decision: SendTaskSuccess answered, the task not yet marked delivered. */
  'decision:afterSend',
  /** A decision: marked used, the undelivered note not yet cleared. */
  'decision:beforeClear',
  /** Opening a case: its execution started, the case record not yet told. */
  'openCase:afterStart',
  /** Ingestion: a chunk of locations written (with their escalation marks), calls not made. */
  'ingest:afterWrite',
  /** A neighbour's status list: the list written, its audit event not yet. */
  'neighbours:afterWrite',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

const reached = new Map<string, number>();

export function crashPoint(name: CrashPoint): void {
  const wanted = process.env.CRASH_AT;
  if (!wanted) return;
  const [point, nth] = wanted.split('#');
  if (point !== name) return;
  const count = (reached.get(name) ?? 0) + 1;
  reached.set(name, count);
  if (count < Number(nth ?? '1')) return;
  process.kill(process.pid, 'SIGKILL');
}
