/**
 * Service discovery by environment (the Kubernetes convention): a task gets, for every service that
 * shares one of its service's networks (itself included) and for each of that service's aliases on
 * it, `<NAME>_SERVICE_HOST` (the VIP on the shared network) and `<NAME>_SERVICE_PORT` (its first
 * port). NAME is upper-cased, other characters become `_`. Services on no shared network: nothing.
 */
import type { Service } from '../model/types.js';
import { attachmentsOf } from './service-networks.js';
import { vipAddress } from './vip-allocation.js';

/** The port a VIP serves when the service declares none in EndpointSpec.Ports. */
export const DEFAULT_VIP_PORT = 80;

export function envName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** The ports a service's VIPs listen on: every TargetPort of its EndpointSpec (published or not), else 80. */
export function vipPorts(s: Service): number[] {
  const ports = [...new Set((s.Spec.EndpointSpec?.Ports ?? []).filter((p) => (p.Protocol ?? 'tcp') === 'tcp').map((p) => p.TargetPort))];
  return ports.length > 0 ? ports : [DEFAULT_VIP_PORT];
}

export function discoveryEnv(service: Service, services: Service[]): string[] {
  const mine = new Set(attachmentsOf(service.Spec).map((a) => a.Target));
  if (mine.size === 0) return [];
  const out = new Map<string, string>();
  const sorted = [...services].sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name));
  for (const s of sorted) {
    for (const vip of s.Endpoint.VirtualIPs ?? []) {
      if (!mine.has(vip.NetworkID)) continue;
      const aliases = attachmentsOf(s.Spec).find((a) => a.Target === vip.NetworkID)?.Aliases ?? [];
      for (const name of [s.Spec.Name, ...aliases]) {
        const key = envName(name);
        if (out.has(`${key}_SERVICE_HOST`)) continue;
        out.set(`${key}_SERVICE_HOST`, vipAddress(vip.Addr));
        out.set(`${key}_SERVICE_PORT`, String(vipPorts(s)[0]));
      }
    }
  }
  return [...out].map(([k, v]) => `${k}=${v}`);
}
