/**
 * Networks: create (overlay, a subnet from the address pool or the subnet given), list with filters,
 * inspect by ID or name, remove (refused while a service is attached), with Docker's texts.
 */
import { isoTime, type Clock } from '../clock.js';
import { SwarmletError, invalid } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { Network } from '../model/network-types.js';
import type { Store } from '../store/store.js';
import { parseNetworkRequest } from '../networks/network-spec.js';
import { attachmentsOf } from '../networks/service-networks.js';
import { allocateSubnet, checkAddrPool, DEFAULT_ADDR_POOL, gatewayOf, parseCidr, type AddrPool } from '../networks/vip-allocation.js';
import type { Filters } from './control.js';
import { resolveRef } from './resolve.js';

export interface NetworkControl {
  list(filters?: Filters): Network[];
  get(ref: string): Network;
  create(body: unknown): { Id: string; Warning: string };
  remove(ref: string): void;
}

export interface NetworkControlOptions {
  store: Store; clock: Clock; ids: IdGenerator;
  /** Where subnets come from (default: a /24 of 127.77.0.0/16). */
  addrPool?: AddrPool;
}

/** What the API shows: docker's Network, without the store's stamps. */
function view(n: Network): Network {
  const { Version: _v, UpdatedAt: _u, ...rest } = n;
  void _v; void _u;
  return structuredClone(rest);
}

export function createNetworkControl(o: NetworkControlOptions): NetworkControl {
  const pool = checkAddrPool(o.addrPool ?? DEFAULT_ADDR_POOL);
  const find = (list: Network[], ref: string) => resolveRef('network', ref, list, (n) => n.Id, (n) => n.Name);
  return {
    list(filters) {
      return o.store.view((tx) => filterNetworks(tx.listNetworks(), filters, (id) => tx.listServices().some((s) => attachmentsOf(s.Spec).some((a) => a.Target === id)))
        .sort((a, b) => a.Name.localeCompare(b.Name)).map(view));
    },
    get(ref) {
      return o.store.view((tx) => view(find(tx.listNetworks(), ref)));
    },
    create(body) {
      const req = parseNetworkRequest(body);
      return o.store.update((tx) => {
        const all = tx.listNetworks();
        if (all.some((n) => n.Name === req.Name)) throw new SwarmletError('conflict', `network with name ${req.Name} already exists`, 'Name');
        const taken = all.flatMap((n) => n.IPAM.Config.map((c) => c.Subnet).filter((s): s is string => !!s));
        let subnet = req.Subnet;
        if (subnet) {
          const wanted = parseCidr(subnet);
          const clash = taken.find((t) => { const x = parseCidr(t); const bits = Math.min(x.bits, wanted.bits); const m = (~0 << (32 - bits)) >>> 0; return ((x.base & m) >>> 0) === ((wanted.base & m) >>> 0); });
          if (clash) throw invalid(`invalid pool request: Pool overlaps with other one on this address space (${clash})`, 'IPAM.Config[0].Subnet');
        } else {
          subnet = allocateSubnet(taken, pool);
        }
        const id = o.ids.next();
        tx.putNetwork({
          Name: req.Name, Id: id, Created: isoTime(o.clock.now()), Scope: 'swarm', Driver: req.Driver, EnableIPv6: false,
          IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: subnet, Gateway: gatewayOf(subnet) }] },
          Internal: req.Internal, Attachable: req.Attachable, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
          Containers: {}, Options: req.Options, Labels: req.Labels,
        });
        return { Id: id, Warning: '' };
      });
    },
    remove(ref) {
      o.store.update((tx) => {
        const n = find(tx.listNetworks(), ref);
        const user = tx.listServices().find((s) => attachmentsOf(s.Spec).some((a) => a.Target === n.Id));
        if (user) throw new SwarmletError('failed_precondition', `network ${n.Name} is in use by service ${user.Spec.Name}`);
        tx.deleteNetwork(n.Id);
      });
    },
  };
}

/** moby's network list filters: driver, id (prefix), label, name (substring), scope, type, dangling. */
export function filterNetworks(items: Network[], filters: Filters | undefined, inUse: (id: string) => boolean): Network[] {
  const preds: Record<string, (n: Network, v: string) => boolean> = {
    driver: (n, v) => n.Driver === v,
    id: (n, v) => n.Id.startsWith(v),
    name: (n, v) => n.Name.includes(v),
    scope: (n, v) => n.Scope === v,
    type: (_n, v) => {
      if (v !== 'custom' && v !== 'builtin') throw invalid(`invalid filter: 'type'='${v}'`, 'filters.type');
      return v === 'custom';
    },
    dangling: (n, v) => {
      if (!['true', '1', 'false', '0'].includes(v)) throw invalid(`invalid filter 'dangling=${v}'`, 'filters.dangling');
      return (v === 'true' || v === '1') === !inUse(n.Id);
    },
    label: (n, v) => {
      const i = v.indexOf('=');
      return i < 0 ? n.Labels[v] !== undefined : n.Labels[v.slice(0, i)] === v.slice(i + 1);
    },
  };
  const active = Object.entries(filters ?? {}).filter(([, v]) => v.length > 0);
  for (const [key] of active) if (!preds[key]) throw invalid(`invalid filter '${key}'`, `filters.${key}`);
  return items.filter((n) => active.every(([key, values]) =>
    (key === 'label' ? values.every((v) => preds[key]!(n, v)) : values.some((v) => preds[key]!(n, v)))));
}
