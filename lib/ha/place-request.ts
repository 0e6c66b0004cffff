/**
 * Which manager answers a request when several share the cluster (pure): the leader answers
 * everything; a follower answers only what is its own (ping, version, the managers list, the
 * dashboard's files, its metrics) and forwards the rest to the leader it knows. With no leader, a
 * follower serves reads from its mirror of the store and refuses writes and node sessions (503).
 */
import { SwarmletError } from '../errors.js';
import type { RequestPlacement } from '../api/api-ha.js';
import { UI_PATH } from '../api/route-access.js';

/** Marks a request a manager forwarded: the receiver never forwards it again (no loops). */
export const FORWARDED_HEADER = 'x-swarmlet-forwarded-by';

export const MANAGERS_PATH = '/swarmlet/v1/managers';

export interface PlaceInput {
  method: string;
  /** Without the /vX.Y prefix. */
  path: string;
  /** Another manager forwarded this request. */
  forwarded: boolean;
  isLeader: boolean;
  /** The leader's API base URL, when one leads and it is another manager. */
  leader: string | undefined;
}

function servedByAnyManager(method: string, path: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  return path === '/_ping' || path === '/version' || path === MANAGERS_PATH || path === '/metrics' || UI_PATH.test(path);
}

/** Node sessions, joins and the drain barrier live on the leader only (its dispatcher and endpoint feed). */
function needsLeader(method: string, path: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return true;
  return /^\/swarmlet\/v1\/nodes\/[^/]+\/./.test(path);
}

export const NO_LEADER_MESSAGE = 'cluster store unavailable: no manager leads right now (election in progress or etcd quorum lost); try again';

export function placeRequest(i: PlaceInput): RequestPlacement {
  if (i.isLeader || servedByAnyManager(i.method, i.path)) return { kind: 'local' };
  if (i.forwarded) {
    // The sender thought this manager leads: it no longer does (or not yet). A read is answered from
    // this manager's mirror (the sender's view of the leader may be stale: etcd without quorum); the
    // rest is refused and the client retries.
    if (!needsLeader(i.method, i.path)) return { kind: 'local' };
    return { kind: 'refuse', error: new SwarmletError('not_leader', 'this manager is not the leader (leadership moved); try again') };
  }
  if (i.leader !== undefined) return { kind: 'forward', leader: i.leader };
  if (needsLeader(i.method, i.path)) return { kind: 'refuse', error: new SwarmletError('unavailable', NO_LEADER_MESSAGE) };
  return { kind: 'local' }; // a read: the last state this manager mirrored
}
