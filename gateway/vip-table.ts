/**
 * The endpoint table as the gateway of one virtual IP sees it. Pure; shared by the VIP gateways of
 * createCluster (projected in the parent) and of a joined node (projected in the child, which
 * follows the manager's stream itself).
 */
import type { EndpointTable } from '../lib/protocol/endpoint-table.js';

/** The table as the gateway of one VIP sees it: the services with that VIP, their VIP ports as "published". */
export function projectVipTable(table: EndpointTable, addr: string): EndpointTable {
  const services = table.services.flatMap((s) => {
    const vip = s.vips?.find((v) => v.addr === addr);
    if (!vip) return [];
    const { vips: _v, ...route } = s;
    void _v;
    return [{ ...route, ports: vip.ports.map((p) => ({ published: p, target: p, protocol: 'tcp' as const })) }];
  });
  return { version: table.version, services };
}

/** Every VIP address in the table. */
export function vipAddresses(table: EndpointTable): Set<string> {
  return new Set(table.services.flatMap((s) => (s.vips ?? []).map((v) => v.addr)));
}
