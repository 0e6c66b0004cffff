import type { IncomingMessage, ServerResponse } from 'node:http';

/** Where one request is answered when several managers share the cluster (lib/ha/ builds it). */
export type RequestPlacement =
  | { kind: 'local' }
  /** Sent on to the leader's API (`leader` is its base URL). */
  | { kind: 'forward'; leader: string }
  /** Refused here (no leader to forward to): the error is answered as any handler error. */
  | { kind: 'refuse'; error: Error };

/**
 * The API server's hooks for several managers: forwarding to the leader, the durability barrier of
 * mutating requests and the end of local streams when the leader changes. Absent: one manager.
 */
export interface ApiHa {
  /** Decides for a request (path without the /vX.Y prefix) before it is routed or authorised. */
  place(req: IncomingMessage, method: string, path: string): RequestPlacement;
  /** Proxies the request to `leader`, streaming both ways; resolves when the exchange is over. */
  forward(req: IncomingMessage, res: ServerResponse, leader: string): Promise<void>;
  /** Resolves once every change made so far is durable; rejects (unavailable, not_leader) otherwise. */
  durable(): Promise<void>;
  /** Aborts at the next change of leader: long-lived local streams (sessions, endpoint feed) end on it. */
  epoch(): AbortSignal;
}

/** Methods whose answer waits for durability. */
export function isMutating(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}
