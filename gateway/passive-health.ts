/**
 * Passive health of one upstream endpoint (pure): consecutive connect failures eject it for a
 * backoff period. Once the backoff has passed the endpoint is tried again ("half-open"): one more
 * connect failure ejects it again with a doubled backoff (capped), one success clears the record.
 */
export interface HealthRecord {
  /** Consecutive connect failures since the last success or ejection. */
  readonly failures: number;
  /** Ejections since the last success (drives the backoff growth). */
  readonly ejections: number;
  /** Skipped by the round-robin while `now < ejectedUntil`. */
  readonly ejectedUntil: number;
}

export interface EjectionPolicy {
  /** Consecutive connect failures that eject a healthy endpoint. */
  consecutiveFailures: number;
  /** First ejection period; doubles for each ejection in a row. */
  backoffMs: number;
  /** Longest ejection period. */
  maxBackoffMs: number;
}

export const HEALTHY: HealthRecord = Object.freeze({ failures: 0, ejections: 0, ejectedUntil: 0 });

export function defaultEjectionPolicy(over: Partial<EjectionPolicy> = {}): EjectionPolicy {
  const backoffMs = over.backoffMs ?? 5_000;
  return {
    consecutiveFailures: Math.max(1, over.consecutiveFailures ?? 3),
    backoffMs,
    maxBackoffMs: over.maxBackoffMs ?? backoffMs * 8,
  };
}

export function isEjected(h: HealthRecord, now: number): boolean {
  return now < h.ejectedUntil;
}

/** The ejection period for the n-th ejection in a row (n >= 1). */
export function backoffFor(policy: EjectionPolicy, n: number): number {
  const factor = 2 ** Math.min(Math.max(0, n - 1), 30);
  return Math.min(policy.backoffMs * factor, Math.max(policy.backoffMs, policy.maxBackoffMs));
}

export interface FailureOutcome { record: HealthRecord; ejected: boolean }

/** A connect failure (refused, reset or timed out before the request was sent) at `now`. */
export function recordConnectFailure(h: HealthRecord, policy: EjectionPolicy, now: number): FailureOutcome {
  if (isEjected(h, now)) return { record: h, ejected: false }; // already out: a late failure of an older attempt
  const failures = h.failures + 1;
  const threshold = h.ejections > 0 ? 1 : policy.consecutiveFailures;
  if (failures < threshold) return { record: { ...h, failures }, ejected: false };
  const ejections = h.ejections + 1;
  return { record: { failures: 0, ejections, ejectedUntil: now + backoffFor(policy, ejections) }, ejected: true };
}

/**
 * A response arrived from the endpoint at `now`: the record is cleared (the same object when it
 * already is). While the endpoint is ejected it stays so: a response on a connection opened before
 * the ejection does not prove that it accepts new connections (a stopping task often does not).
 */
export function recordSuccess(h: HealthRecord, now: number): HealthRecord {
  return h === HEALTHY || isEjected(h, now) ? h : HEALTHY;
}
