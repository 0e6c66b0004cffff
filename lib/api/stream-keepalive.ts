import type { ServerResponse } from 'node:http';
import type { Clock, Timer } from '../clock.js';

/** How often a long-lived NDJSON stream (node session, endpoint tables) carries a blank line. */
export const STREAM_KEEPALIVE_MS = 1000;

/**
 * Writes a blank line (skipped by every NDJSON reader) every `ms` while the response is open, so a
 * client can tell a quiet manager from a stopped one (SIGSTOP, a cut network) by a read timeout and
 * move to another manager. Returns the stop function.
 */
export function keepStreamAlive(res: ServerResponse, clock: Clock, ms = STREAM_KEEPALIVE_MS): () => void {
  let timer: Timer | undefined;
  const tick = () => {
    if (res.writableEnded || res.destroyed) return;
    res.write('\n');
    timer = clock.setTimeout(tick, ms);
  };
  timer = clock.setTimeout(tick, ms);
  return () => timer?.cancel();
}
