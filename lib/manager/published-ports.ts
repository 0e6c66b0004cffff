import { SwarmletError } from '../errors.js';
import type { PortConfig, Service, ServiceSpec } from '../model/types.js';

export const DYNAMIC_PORT_RANGE: [number, number] = [30000, 32767];

/**
 * Resolves the ports a service publishes (Service.Endpoint.Ports): checks them against the other
 * services with Swarm's texts and gives ports without a PublishedPort one from 30000–32767
 * (keeping the one the service already had, so updates don't move it).
 */
export function resolvePublishedPorts(spec: ServiceSpec, others: Service[], previous?: PortConfig[]): PortConfig[] {
  const used = new Map<string, Service & { mode: string }>();
  for (const s of others) {
    for (const p of s.Endpoint.Ports ?? []) {
      if (p.PublishedPort) used.set(`${p.Protocol ?? 'tcp'}/${p.PublishedPort}`, { ...s, mode: p.PublishMode ?? 'ingress' });
    }
  }
  const out: PortConfig[] = [];
  for (const p of spec.EndpointSpec?.Ports ?? []) {
    const proto = p.Protocol ?? 'tcp';
    const mode = p.PublishMode ?? 'ingress';
    let published = p.PublishedPort;
    if (!published) {
      published = previous?.find((q) => q.TargetPort === p.TargetPort && (q.Protocol ?? 'tcp') === proto)?.PublishedPort;
      if (!published || used.has(`${proto}/${published}`)) published = pickFree(proto, used, out);
    }
    const clash = used.get(`${proto}/${published}`);
    if (clash && (mode === 'ingress' || clash.mode === 'ingress')) {
      const as = clash.mode === 'ingress' ? 'an ingress port' : 'a host-published port';
      throw new SwarmletError('conflict',
        `port '${published}' is already in use by service '${clash.Spec.Name}' (${clash.ID}) as ${as}`, 'EndpointSpec.Ports');
    }
    out.push({ Protocol: proto, TargetPort: p.TargetPort, PublishedPort: published, PublishMode: mode, ...(p.Name ? { Name: p.Name } : {}), ...(p.AppProtocol ? { AppProtocol: p.AppProtocol } : {}) });
  }
  return out;
}

function pickFree(proto: string, used: Map<string, unknown>, taken: PortConfig[]): number {
  for (let port = DYNAMIC_PORT_RANGE[0]; port <= DYNAMIC_PORT_RANGE[1]; port++) {
    if (!used.has(`${proto}/${port}`) && !taken.some((q) => q.PublishedPort === port && (q.Protocol ?? 'tcp') === proto)) return port;
  }
  throw new SwarmletError('unavailable', 'no free port left in the dynamic range 30000-32767', 'EndpointSpec.Ports');
}
