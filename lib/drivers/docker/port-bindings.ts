import type { StartRequest } from '../../agent/task-driver.js';
import { invalid } from '../../errors.js';
import type { PortProtocol } from '../../model/types.js';

/** One target port a task's container publishes, before a host port is picked for it. */
export interface PortWant {
  target: number;
  protocol: PortProtocol;
  /** Host mode: the published port itself; absent: the driver allocates one. */
  hostPort?: number;
  /** Other protocols the same host port is bound for (`53/tcp` and `53/udp`). */
  also?: PortProtocol[];
}

/** Where a task's target port is published: the node's address and its host port. */
export interface PublishedPort { target: number; addr: string; hostPort: number; protocol?: PortProtocol; also?: PortProtocol[] }

/**
 * The target ports a task's container publishes, in order: the request's first target port, then
 * every other one (`extraPorts`), each once (a repeated target keeps its first entry), each with
 * its protocol (default tcp) and its host-mode published port when it has one; a target also
 * published with another protocol (`moreProtocols`) is bound for it on the same host port. A service that
 * publishes nothing but has a VIP: its VIP's target port. Empty when the task has neither. Two targets asking for one host-mode port and protocol are refused.
 */
export function portBindingPlan(req: Pick<StartRequest, 'targetPort' | 'hostPort' | 'protocol' | 'extraPorts' | 'vipPort' | 'moreProtocols'>): PortWant[] {
  if (req.targetPort === undefined) return req.vipPort !== undefined ? [{ target: req.vipPort, protocol: 'tcp' }] : [];
  const out: PortWant[] = [];
  const add = (target: number, protocol: PortProtocol, hostPort: number | undefined) => {
    if (out.some((w) => w.target === target)) return;
    if (hostPort !== undefined && out.some((w) => w.hostPort === hostPort && w.protocol === protocol)) {
      throw invalid(`host-mode port ${hostPort}/${protocol} is published for targets ${out.find((w) => w.hostPort === hostPort)!.target} and ${target}`, 'EndpointSpec.Ports');
    }
    out.push({ target, protocol, ...(hostPort !== undefined ? { hostPort } : {}) });
  };
  add(req.targetPort, req.protocol ?? 'tcp', req.hostPort);
  for (const x of req.extraPorts ?? []) add(x.target, x.protocol ?? 'tcp', x.hostPort);
  for (const m of req.moreProtocols ?? []) {
    const w = out.find((o) => o.target === m.target);
    if (!w || w.protocol === m.protocol || w.also?.includes(m.protocol)) continue;
    const clash = w.hostPort === undefined ? undefined
      : out.find((o) => o !== w && o.hostPort === w.hostPort && [o.protocol, ...(o.also ?? [])].includes(m.protocol));
    if (clash) throw invalid(`host-mode port ${w.hostPort}/${m.protocol} is published for targets ${clash.target} and ${w.target}`, 'EndpointSpec.Ports');
    w.also = [...(w.also ?? []), m.protocol];
  }
  return out;
}

/** `ExposedPorts` and `HostConfig.PortBindings` of the create-container body: each target on its host port at the node's address. */
export function portBindingsOf(published: PublishedPort[]): {
  ExposedPorts?: Record<string, Record<string, never>>;
  PortBindings?: Record<string, Array<{ HostIp: string; HostPort: string }>>;
} {
  if (published.length === 0) return {};
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of published) {
    for (const protocol of [p.protocol ?? 'tcp', ...(p.also ?? [])]) {
      const key = `${p.target}/${protocol}`;
      exposed[key] = {};
      bindings[key] = [{ HostIp: p.addr, HostPort: String(p.hostPort) }];
    }
  }
  return { ExposedPorts: exposed, PortBindings: bindings };
}

/**
 * The task's endpoint from its published ports: the first target's host port, and `ports`
 * (`"<target>"` → host port) when there are several, as the process driver reports them.
 */
export function endpointOfPublished(published: PublishedPort[]): { addr: string; port: number; ports?: Record<string, number> } | undefined {
  const first = published[0];
  if (!first) return undefined;
  if (published.length === 1) return { addr: first.addr, port: first.hostPort };
  return { addr: first.addr, port: first.hostPort, ports: Object.fromEntries(published.map((p) => [String(p.target), p.hostPort])) };
}

/**
 * What an adopted container publishes, read back from its port bindings (`"80/tcp"` →
 * `[{HostIp, HostPort}]`): the first target is `firstTarget` (its `PORT`) when it is bound, else
 * the lowest bound target. Bindings without an address or a valid port are left out.
 */
export function publishedOfBindings(
  bindings: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null | undefined, firstTarget: number | undefined,
): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const [t, proto] = key.split('/');
    const target = Number(t);
    const b = list?.[0];
    const hostPort = Number(b?.HostPort);
    if (!b?.HostIp || !Number.isInteger(target) || target <= 0 || !Number.isInteger(hostPort) || hostPort <= 0) continue;
    if (out.some((p) => p.target === target)) continue;
    const protocol = proto === 'udp' || proto === 'sctp' ? proto : 'tcp';
    out.push({ target, addr: b.HostIp, hostPort, protocol });
  }
  out.sort((a, b) => (a.target === firstTarget ? -1 : b.target === firstTarget ? 1 : a.target - b.target));
  return out;
}
