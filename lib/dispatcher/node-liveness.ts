import type { Node } from '../model/types.js';

export interface LivenessChange { nodeId: string; state: 'down' | 'ready'; message: string }

/**
 * Swarm's failure detection (dispatcher): a node that has not sent a heartbeat for
 * period × 3 goes `down` ("heartbeat failure"); a node heard from again is `ready`.
 * `lastSeen` holds the time of each node's last heartbeat; `local` nodes (run inside the
 * manager's process) are never judged.
 */
export function planLiveness(nodes: Node[], lastSeen: ReadonlyMap<string, number>, now: number, periodMs: number, local: ReadonlySet<string>): LivenessChange[] {
  const out: LivenessChange[] = [];
  for (const n of nodes) {
    if (local.has(n.ID)) continue;
    const seen = lastSeen.get(n.ID);
    const alive = seen !== undefined && now - seen <= periodMs * 3;
    if (!alive && n.Status.State !== 'down') out.push({ nodeId: n.ID, state: 'down', message: 'heartbeat failure' });
    if (alive && n.Status.State !== 'ready') out.push({ nodeId: n.ID, state: 'ready', message: '' });
  }
  return out;
}
