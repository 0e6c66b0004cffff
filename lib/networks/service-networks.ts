/**
 * A service's networks (TaskTemplate.Networks): targets given by name or ID are stored as IDs, and
 * the service gets one virtual IP per network (none with endpoint mode dnsrr), kept across updates.
 */
import { invalid } from '../errors.js';
import type { Network, NetworkAttachment, VirtualIP } from '../model/network-types.js';
import type { Service, ServiceSpec } from '../model/types.js';
import { allocateVip } from './vip-allocation.js';

/** The attachments of a spec (none when absent); not validated. */
export function attachmentsOf(spec: Pick<ServiceSpec, 'TaskTemplate'> | undefined): NetworkAttachment[] {
  const list = spec?.TaskTemplate?.Networks;
  return Array.isArray(list) ? list as NetworkAttachment[] : [];
}

/** Resolves every Target (ID, then name, then unique ID prefix) to the network's ID; checks Aliases. */
export function resolveServiceNetworks(spec: ServiceSpec, networks: Network[]): void {
  const task = spec.TaskTemplate;
  const raw = task?.Networks;
  if (raw === undefined || raw === null) { if (task) delete task.Networks; return; }
  const field = 'TaskTemplate.Networks';
  if (!Array.isArray(raw)) throw invalid(`invalid ServiceSpec: ${field}: expected an array`, field);
  const seen = new Set<string>();
  task.Networks = raw.map((entry, i) => {
    const at = `${field}[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(`invalid ServiceSpec: ${at}: expected an object`, at);
    const a = { ...(entry as Record<string, unknown>) } as unknown as NetworkAttachment;
    if (typeof a.Target !== 'string' || a.Target === '') throw invalid(`invalid ServiceSpec: ${at}.Target: a network name or ID is required`, `${at}.Target`);
    const n = findNetwork(networks, a.Target);
    if (!n) throw invalid(`network ${a.Target} not found`, `${at}.Target`);
    if (seen.has(n.Id)) throw invalid(`service cannot be attached to network ${n.Name} more than once`, `${at}.Target`);
    seen.add(n.Id);
    if (a.Aliases !== undefined && !(Array.isArray(a.Aliases) && a.Aliases.every((x) => typeof x === 'string' && /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(x)))) {
      throw invalid(`invalid ServiceSpec: ${at}.Aliases: expected names (letters, digits, "_", "." and "-")`, `${at}.Aliases`);
    }
    return { ...a, Target: n.Id };
  });
}

export function findNetwork(networks: Network[], ref: string): Network | undefined {
  const byId = networks.find((n) => n.Id === ref) ?? networks.find((n) => n.Name === ref);
  if (byId) return byId;
  const byPrefix = networks.filter((n) => n.Id.startsWith(ref));
  return byPrefix.length === 1 ? byPrefix[0] : undefined;
}

/**
 * The service's virtual IPs: one per attached network that exists, the previous one kept, new ones
 * the lowest free address of the network's subnet among `others`' VIPs. None in dnsrr mode.
 */
export function virtualIpsFor(spec: ServiceSpec, networks: Network[], others: Service[], previous: VirtualIP[] = []): VirtualIP[] {
  if (spec.EndpointSpec?.Mode === 'dnsrr') return [];
  const out: VirtualIP[] = [];
  for (const a of attachmentsOf(spec)) {
    const n = networks.find((x) => x.Id === a.Target);
    const subnet = n?.IPAM.Config[0]?.Subnet;
    if (!n || !subnet) continue;
    const kept = previous.find((v) => v.NetworkID === n.Id);
    if (kept) { out.push(kept); continue; }
    const taken = others.flatMap((s) => (s.Endpoint.VirtualIPs ?? []).filter((v) => v.NetworkID === n.Id).map((v) => v.Addr));
    out.push({ NetworkID: n.Id, Addr: allocateVip(subnet, taken) });
  }
  return out;
}
