/**
 * The endpoints of one service as a gateway routes to them: the table's `active`/`draining` state
 * plus passive health (ejection), a round-robin cursor, and the pure step that applies a newer
 * route while keeping the health of the endpoints that stay.
 */
import type { RouteEndpoint, ServiceRoute } from '../lib/protocol/endpoint-table.js';
import { HEALTHY, isEjected, type HealthRecord } from './passive-health.js';
import { pickEndpoint, type PickCandidate } from './pick-endpoint.js';

export type EndpointState = 'active' | 'draining' | 'ejected';

/** One upstream task endpoint. `state` and `health` change as tables and failures come in. */
export class UpstreamEndpoint implements PickCandidate {
  /** Identity across tables: the same task on the same address. */
  readonly key: string;
  readonly origin: string;
  health: HealthRecord = HEALTHY;
  constructor(
    readonly taskId: string,
    readonly slot: number,
    readonly nodeId: string,
    readonly addr: string,
    readonly port: number,
    public state: 'active' | 'draining',
  ) {
    this.key = endpointKey(taskId, addr, port);
    this.origin = `http://${addr.includes(':') ? `[${addr}]` : addr}:${port}`;
  }
  get ejectedUntil(): number { return this.health.ejectedUntil; }
  static from(e: RouteEndpoint): UpstreamEndpoint {
    return new UpstreamEndpoint(e.taskId, e.slot, e.nodeId, e.addr, e.port, e.state);
  }
}

export function endpointKey(taskId: string, addr: string, port: number): string {
  return `${taskId}@${addr}:${port}`;
}

export interface EndpointSetChange {
  /** The endpoints to route by, in a stable order (slot, then task ID). */
  endpoints: UpstreamEndpoint[];
  /** Gone from the table (now marked draining): no new requests, their connections close once idle. */
  removed: UpstreamEndpoint[];
  /** Turned from active to draining: no new requests, their connections are closed once idle. */
  drained: UpstreamEndpoint[];
}

/**
 * Applies a route's endpoint list to the previous set. Endpoints that stay keep their object (and
 * so their passive health, e.g. an ejection until its backoff has passed); their `state` is set to
 * the table's.
 */
export function nextEndpointSet(prev: readonly UpstreamEndpoint[], route: readonly RouteEndpoint[]): EndpointSetChange {
  const byKey = new Map(prev.map((e) => [e.key, e] as const));
  const endpoints: UpstreamEndpoint[] = [];
  const drained: UpstreamEndpoint[] = [];
  const seen = new Set<string>();
  for (const r of route) {
    const key = endpointKey(r.taskId, r.addr, r.port);
    if (seen.has(key)) continue;
    seen.add(key);
    const old = byKey.get(key);
    if (old === undefined) { endpoints.push(UpstreamEndpoint.from(r)); continue; }
    if (old.state === 'active' && r.state === 'draining') drained.push(old);
    old.state = r.state;
    endpoints.push(old);
  }
  endpoints.sort((a, b) => a.slot - b.slot || (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : a.key < b.key ? -1 : 1));
  const removed = prev.filter((e) => !seen.has(e.key));
  // A removed endpoint takes no new request either (a request still queued for it sees this).
  for (const e of removed) e.state = 'draining';
  return { endpoints, removed, drained };
}

/** The state an endpoint is counted under (metrics): draining wins over ejected. */
export function stateOf(e: UpstreamEndpoint, now: number): EndpointState {
  if (e.state === 'draining') return 'draining';
  return isEjected(e.health, now) ? 'ejected' : 'active';
}

export function countStates(endpoints: readonly UpstreamEndpoint[], now: number): Record<EndpointState, number> {
  const counts = { active: 0, draining: 0, ejected: 0 };
  for (const e of endpoints) counts[stateOf(e, now)]++;
  return counts;
}

/** One service's routing state: its endpoints and the round-robin cursor. */
export class ServiceEndpoints {
  endpoints: UpstreamEndpoint[] = [];
  private cursor: number;
  /** `start`: where the round-robin begins, so that the gateways of different nodes don't all start on the same task. */
  constructor(readonly serviceId: string, public name: string, start = 0) { this.cursor = start; }

  /** The next endpoint by round-robin, skipping draining, ejected and `exclude`d ones. */
  pick(exclude: ReadonlySet<string> | undefined, now: number): UpstreamEndpoint | undefined {
    const i = pickEndpoint(this.cursor, this.endpoints, exclude, now);
    if (i < 0) return undefined;
    this.cursor = i + 1;
    return this.endpoints[i];
  }

  /** Applies a newer route; returns the endpoints that must get no new requests any more. */
  apply(route: ServiceRoute): EndpointSetChange {
    const change = nextEndpointSet(this.endpoints, route.endpoints);
    this.name = route.name;
    this.endpoints = change.endpoints;
    return change;
  }
}
