import type { EndpointTable, RouteEndpoint, ServiceRoute } from '../protocol/endpoint-table.js';
import { stateRank } from '../model/task-state.js';
import type { Node, PortConfig, Service, Task } from '../model/types.js';
import { vipPorts } from '../networks/discovery-env.js';
import { vipAddress } from '../networks/vip-allocation.js';

/**
 * The routing table every gateway gets: for each service with ingress-published ports, the tasks
 * that run and can answer (healthy, or without a health check) on a node that is not down.
 * A running task whose desired state went past running is `draining`: gateways send it no new
 * requests while it finishes the ones in flight.
 */
export function buildEndpointTable(services: Service[], tasks: Task[], nodes: Node[], version: number): EndpointTable {
  const down = new Set(nodes.filter((n) => n.Status.State === 'down').map((n) => n.ID));
  const byService = new Map<string, RouteEndpoint[]>();
  const portsOf = new Map<string, Record<string, number>>();
  for (const t of tasks) {
    if (t.Status.State !== 'running' || !t.Endpoint || down.has(t.NodeID) || t.Status.Health === 'unhealthy') continue;
    const list = byService.get(t.ServiceID) ?? [];
    list.push({
      taskId: t.ID, slot: t.Slot, nodeId: t.NodeID, addr: t.Endpoint.Addr, port: t.Endpoint.Port,
      state: stateRank(t.DesiredState) <= stateRank('running') ? 'active' : 'draining',
    });
    if (t.Endpoint.Ports) portsOf.set(t.ID, t.Endpoint.Ports);
    byService.set(t.ServiceID, list);
  }
  const routes: ServiceRoute[] = [];
  for (const s of services) {
    const ports = (s.Endpoint.Ports ?? [])
      .filter((p) => (p.PublishMode ?? 'ingress') === 'ingress' && p.PublishedPort)
      .map((p) => withAppProtocol({ published: p.PublishedPort!, target: p.TargetPort, protocol: p.Protocol ?? 'tcp' }, p, s.Spec.Labels));
    const vips = (s.Endpoint.VirtualIPs ?? []).map((v) => ({ addr: vipAddress(v.Addr), ports: vipPorts(s) }));
    if (ports.length === 0 && vips.length === 0) continue;
    const endpoints = (byService.get(s.ID) ?? []).sort((a, b) => a.slot - b.slot || a.nodeId.localeCompare(b.nodeId) || a.taskId.localeCompare(b.taskId));
    routes.push(...routesPerTarget({ serviceId: s.ID, name: s.Spec.Name, ports, endpoints, ...(vips.length > 0 ? { vips } : {}) },
      s.Spec.EndpointSpec?.Ports?.[0]?.TargetPort, portsOf));
  }
  routes.sort((a, b) => a.name.localeCompare(b.name));
  return { version, services: routes };
}

type RoutePort = ServiceRoute['ports'][number];

/**
 * A service whose tasks listen on several target ports: one route per target port, each reaching the
 * tasks' own port for that target (Task.Endpoint.Ports, the process driver's PORT_<target>; a task
 * without it, e.g. the docker driver's, is reached on its first port as before). The first target keeps
 * the service ID; the others are `<id>/<target>` (the gateway balances each on its own).
 */
function routesPerTarget(route: ServiceRoute, first: number | undefined, portsOf: Map<string, Record<string, number>>): ServiceRoute[] {
  const targets = [...new Set([...route.ports.map((p) => p.target), ...(route.vips ?? []).flatMap((v) => v.ports)])];
  if (first === undefined || targets.every((t) => t === first)) return [route];
  const out: ServiceRoute[] = [];
  for (const target of targets.includes(first) ? [first, ...targets.filter((t) => t !== first)] : targets) {
    const ports = route.ports.filter((p) => p.target === target);
    const vips = (route.vips ?? []).filter((v) => v.ports.includes(target)).map((v) => ({ addr: v.addr, ports: [target] }));
    const endpoints = target === first ? route.endpoints
      : route.endpoints.map((e) => ({ ...e, port: portsOf.get(e.taskId)?.[String(target)] ?? e.port }));
    out.push({ serviceId: target === first ? route.serviceId : `${route.serviceId}/${target}`, name: route.name, ports, endpoints, ...(vips.length > 0 ? { vips } : {}) });
  }
  return out;
}

/** The label that tells the routing mesh how to treat a published TCP port: `swarmlet.port.<published>=http|tcp`. */
export const PORT_LABEL_PREFIX = 'swarmlet.port.';

/** A TCP port's app protocol: the port's own AppProtocol, else its label; absent means "tell by the first bytes". */
function withAppProtocol(out: RoutePort, p: PortConfig, labels: Record<string, string> | undefined): RoutePort {
  if (out.protocol !== 'tcp') return out;
  const label = labels?.[`${PORT_LABEL_PREFIX}${out.published}`]?.trim().toLowerCase();
  const app = p.AppProtocol ?? (label === 'http' || label === 'tcp' ? label : undefined);
  return app === undefined ? out : { ...out, appProtocol: app };
}

/** Same routes (ignoring the version)? Used to publish a new version only on real changes. */
export function sameRoutes(a: EndpointTable, b: EndpointTable): boolean {
  return JSON.stringify(a.services) === JSON.stringify(b.services);
}

/** Is the task still one gateways may send new requests to? */
export function isActiveIn(table: EndpointTable, taskId: string): boolean {
  return table.services.some((s) => s.endpoints.some((e) => e.taskId === taskId && e.state === 'active'));
}
