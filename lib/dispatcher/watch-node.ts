import type { PortConfig, Service, Task } from '../model/types.js';
import type { ServiceInfo } from '../protocol/session.js';
import type { Store, StoreEvent } from '../store/store.js';
import { vipPorts } from '../networks/discovery-env.js';

/**
 * Calls `deliver` once now and once after every burst of store commits that touches a task of the
 * node (or any event `also` accepts), coalesced in a microtask. Returns the stop function.
 * Shared by the in-process agent link and the dispatcher's node sessions.
 */
export function watchNode(store: Store, nodeId: string, deliver: () => void, also: (e: StoreEvent) => boolean = () => false): () => void {
  let scheduled = false;
  let stopped = false;
  const schedule = () => {
    if (scheduled || stopped) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      if (!stopped) deliver();
    });
  };
  const unwatch = store.watch((events) => {
    if (events.some((e) => also(e) || (e.kind === 'task'
      && ((e.object as Task).NodeID === nodeId || (e.old as Task | undefined)?.NodeID === nodeId)))) schedule();
  });
  schedule();
  return () => { stopped = true; unwatch(); };
}

/**
 * What an agent needs of a task's service: its name (`<service>.<slot>`) and the first port it
 * publishes: target, protocol, the host port when it is published in host mode (as resolved by the
 * manager), and whether every port is UDP (readiness is then not a TCP connect). A service that
 * publishes nothing but has a VIP: the port its VIP forwards (readiness is a TCP connect too).
 */
export function serviceInfoOf(s: Service): ServiceInfo {
  const first = s.Spec.EndpointSpec?.Ports?.[0];
  if (first === undefined) return (s.Endpoint.VirtualIPs ?? []).length > 0 ? { name: s.Spec.Name, vipPort: vipPorts(s)[0]! } : { name: s.Spec.Name };
  const protocol = first.Protocol ?? 'tcp';
  const info: ServiceInfo = { name: s.Spec.Name, targetPort: first.TargetPort };
  if (protocol !== 'tcp') info.protocol = protocol;
  if (first.PublishMode === 'host') {
    const resolved = (s.Endpoint.Ports ?? []).find((p) => p.TargetPort === first.TargetPort && (p.Protocol ?? 'tcp') === protocol && p.PublishMode === 'host');
    const published = resolved?.PublishedPort ?? first.PublishedPort;
    if (published) info.hostPort = published;
  }
  if ((s.Spec.EndpointSpec?.Ports ?? []).every((p) => (p.Protocol ?? 'tcp') === 'udp')) info.udpOnly = true;
  const extra = extraPortsOf(s, first.TargetPort);
  if (extra.length > 0) info.extraPorts = extra;
  const more = moreProtocolsOf(s);
  if (more.length > 0) info.moreProtocols = more;
  return info;
}

/**
 * The ports whose target is already published with another protocol (the first entry of a target
 * names its protocol): each is served on that target's one host port. Host mode only when it is
 * published on the same port as that first entry.
 */
export function moreProtocolsOf(s: Service): NonNullable<ServiceInfo['moreProtocols']> {
  const firstOf = new Map<number, PortConfig>();
  const out: NonNullable<ServiceInfo['moreProtocols']> = [];
  for (const p of s.Spec.EndpointSpec?.Ports ?? []) {
    const head = firstOf.get(p.TargetPort);
    if (!head) { firstOf.set(p.TargetPort, p); continue; }
    const protocol = p.Protocol ?? 'tcp';
    if (protocol === (head.Protocol ?? 'tcp') || out.some((m) => m.target === p.TargetPort && m.protocol === protocol)) continue;
    const mode = p.PublishMode ?? 'ingress';
    if (mode !== (head.PublishMode ?? 'ingress') || (mode === 'host' && p.PublishedPort !== head.PublishedPort)) continue;
    out.push({ target: p.TargetPort, protocol });
  }
  return out;
}

/** The service's distinct target ports after the first, each with its host-mode published port (as resolved by the manager). */
function extraPortsOf(s: Service, firstTarget: number): NonNullable<ServiceInfo['extraPorts']> {
  const out = new Map<number, NonNullable<ServiceInfo['extraPorts']>[number]>();
  for (const p of s.Spec.EndpointSpec?.Ports ?? []) {
    if (p.TargetPort === firstTarget || out.has(p.TargetPort)) continue;
    const resolved = p.PublishMode === 'host'
      ? (s.Endpoint.Ports ?? []).find((q) => q.TargetPort === p.TargetPort && (q.Protocol ?? 'tcp') === (p.Protocol ?? 'tcp') && q.PublishMode === 'host')?.PublishedPort ?? p.PublishedPort
      : undefined;
    out.set(p.TargetPort, { target: p.TargetPort, ...((p.Protocol ?? 'tcp') !== 'tcp' ? { protocol: p.Protocol } : {}), ...(resolved ? { hostPort: resolved } : {}) });
  }
  return [...out.values()];
}
