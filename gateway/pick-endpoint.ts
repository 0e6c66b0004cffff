/**
 * Round-robin over the endpoints of one service (pure). The caller keeps the cursor: after a pick
 * at index `i`, the next cursor is `i + 1`. Draining, ejected and excluded endpoints are skipped,
 * so with k usable endpoints every one of them is picked once in any k consecutive picks.
 */
export interface PickCandidate {
  readonly taskId: string;
  readonly state: 'active' | 'draining';
  /** Passive health: the endpoint is skipped while `now < ejectedUntil`. */
  readonly ejectedUntil: number;
}

/** True when a new request may be sent to the endpoint at `now`. */
export function isPickable(e: PickCandidate, now: number): boolean {
  return e.state === 'active' && e.ejectedUntil <= now;
}

/**
 * The index of the first pickable endpoint at or after `cursor` (wrapping around), or -1 when
 * there is none. `exclude` holds the task IDs already tried by this request (retries).
 */
export function pickEndpoint(
  cursor: number,
  endpoints: readonly PickCandidate[],
  exclude: ReadonlySet<string> | undefined,
  now: number,
): number {
  const n = endpoints.length;
  if (n === 0) return -1;
  const start = ((cursor % n) + n) % n;
  for (let k = 0; k < n; k++) {
    const i = start + k < n ? start + k : start + k - n;
    const e = endpoints[i]!;
    if (isPickable(e, now) && (exclude === undefined || !exclude.has(e.taskId))) return i;
  }
  return -1;
}
