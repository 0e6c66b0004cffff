/**
 * The filter pipeline (swarmkit `manager/scheduler/filter.go`, `pipeline.go`):
 * filters run in order, the first one that fails rejects the node, and the
 * failures are explained per filter as "<what> on N nodes".
 */
import type { Node, Service, Task } from '../model/types.js';
import { matchConstraints, parseConstraints, type Constraint } from '../model/constraints.js';
import { serviceHostPorts, type NodeInfo, type TaskFootprint } from './node-info.js';

/** What a group of equal tasks asks of a node. */
export interface TaskRequirements {
  serviceId: string;
  image: string;
  nanoCpus: number;
  memoryBytes: number;
  constraints: Constraint[];
  platforms: Array<{ OS?: string; Architecture?: string }>;
  /** `protocol/port` keys of host-mode published ports. */
  hostPorts: string[];
  /** 0 = unlimited. */
  maxReplicas: number;
  /** ContainerSpec.Mounts are set (only a driver that mounts can run the task). */
  mounts?: boolean;
}

export type ImageAvailable = (node: Node, image: string) => boolean;

export interface Filter {
  readonly name: string;
  /** True when the result can change as the plan assigns tasks (re-checked after each assignment). */
  readonly dynamic: boolean;
  /** False when the filter cannot reject any node for these requirements (swarmkit's SetTask). */
  enabled(req: TaskRequirements): boolean;
  check(info: NodeInfo, req: TaskRequirements, imageAvailable: ImageAvailable): boolean;
  explain(nodes: number, req: TaskRequirements): string;
}

function onNodes(what: string, n: number): string {
  return n === 1 ? `${what} on 1 node` : `${what} on ${n} nodes`;
}

/** Invalid constraints were rejected by the API; like swarmkit, treat any that slip through as none. */
function safeConstraints(exprs: string[] | undefined): Constraint[] {
  try {
    return parseConstraints(exprs ?? []);
  } catch {
    return [];
  }
}

/** Requirements of `task` (its own TaskSpec, so tasks mid-update use their own spec). */
export function requirementsOf(task: Task, service: Service | undefined): TaskRequirements {
  const spec = task.Spec ?? service?.Spec.TaskTemplate;
  const r = spec?.Resources?.Reservations;
  const placement = spec?.Placement;
  return {
    serviceId: task.ServiceID,
    image: spec?.ContainerSpec?.Image ?? '',
    nanoCpus: r?.NanoCPUs ?? 0,
    memoryBytes: r?.MemoryBytes ?? 0,
    constraints: safeConstraints(placement?.Constraints),
    platforms: placement?.Platforms ?? [],
    hostPorts: serviceHostPorts(service),
    maxReplicas: placement?.MaxReplicas ?? 0,
    ...((spec?.ContainerSpec?.Mounts as unknown[] | undefined)?.length ? { mounts: true } : {}),
  };
}

/** What a task with these requirements takes from the node it is assigned to. */
export function footprintOfRequirements(req: TaskRequirements): TaskFootprint {
  return {
    serviceId: req.serviceId,
    nanoCpus: req.nanoCpus,
    memoryBytes: req.memoryBytes,
    hostPorts: req.hostPorts,
    active: true,
  };
}

function normalArch(arch: string | undefined): string {
  const a = (arch ?? '').toLowerCase();
  if (a === 'x86_64' || a === 'x64') return 'amd64';
  if (a === 'aarch64') return 'arm64';
  return a;
}

function platformMatches(node: Node, platforms: TaskRequirements['platforms']): boolean {
  if (platforms.length === 0) return true;
  const np = node.Description?.Platform;
  if (!np) return false;
  const arch = normalArch(np.Architecture);
  const os = (np.OS ?? '').toLowerCase();
  return platforms.some((p) =>
    (!p.Architecture || normalArch(p.Architecture) === arch) && (!p.OS || p.OS.toLowerCase() === os));
}

export const readyFilter: Filter = {
  name: 'ready',
  dynamic: false,
  enabled: () => true,
  check: (info) => info.node.Status?.State === 'ready' && info.node.Spec?.Availability === 'active',
  explain: (n) => (n === 1 ? '1 node not available for new tasks' : `${n} nodes not available for new tasks`),
};

export const resourceFilter: Filter = {
  name: 'resources',
  dynamic: true,
  enabled: (req) => req.nanoCpus > 0 || req.memoryBytes > 0,
  check: (info, req) =>
    !(req.nanoCpus > 0 && req.nanoCpus > info.availableNanoCpus) &&
    !(req.memoryBytes > 0 && req.memoryBytes > info.availableMemoryBytes),
  explain: (n) => onNodes('insufficient resources', n),
};

export const constraintFilter: Filter = {
  name: 'constraints',
  dynamic: false,
  enabled: (req) => req.constraints.length > 0,
  check: (info, req) => req.constraints.length === 0 || matchConstraints(info.node, req.constraints),
  explain: (n) => onNodes('scheduling constraints not satisfied', n),
};

export const platformFilter: Filter = {
  name: 'platform',
  dynamic: false,
  enabled: (req) => req.platforms.length > 0,
  check: (info, req) => platformMatches(info.node, req.platforms),
  explain: (n) => onNodes('unsupported platform', n),
};

/** swarmlet's own: the node's driver can run the image (process driver: the image is in its catalog). */
export const imageFilter: Filter = {
  name: 'image',
  dynamic: false,
  enabled: () => true,
  check: (info, req, imageAvailable) => imageAvailable(info.node, req.image),
  explain: (n, req) => onNodes(`image ${req.image} not available`, n),
};

/** Drivers that honour ContainerSpec.Mounts (the process driver cannot bind, mount volumes or tmpfs). */
const MOUNTING_DRIVERS: ReadonlySet<string> = new Set(['docker']);

/** swarmlet's own: a task with Mounts goes only to a node whose driver mounts them (docker). */
export const mountsFilter: Filter = {
  name: 'mounts',
  dynamic: false,
  enabled: (req) => req.mounts === true,
  check: (info, req) => req.mounts !== true || MOUNTING_DRIVERS.has(info.node.Description.Driver ?? 'process'),
  explain: (n) => onNodes('mounts (volumes) not supported by the process driver', n),
};

export const hostPortFilter: Filter = {
  name: 'host-port',
  dynamic: true,
  enabled: (req) => req.hostPorts.length > 0,
  check: (info, req) => req.hostPorts.every((key) => !info.hasHostPort(key)),
  explain: (n) => onNodes('host-mode port already in use', n),
};

export const maxReplicasFilter: Filter = {
  name: 'max-replicas',
  dynamic: true,
  enabled: (req) => req.maxReplicas > 0,
  check: (info, req) => req.maxReplicas <= 0 || info.activeTasksOf(req.serviceId) < req.maxReplicas,
  explain: () => 'max replicas per node limit exceed',
};

/** Swarm's order, with swarmlet's image and mounts filters after the platform filter. */
export const FILTERS: readonly Filter[] = Object.freeze([
  readyFilter, resourceFilter, constraintFilter, platformFilter, imageFilter, mountsFilter, hostPortFilter, maxReplicasFilter,
]);

export const alwaysAvailable: ImageAvailable = () => true;

/** Index in FILTERS of the first filter that rejects the node, or -1 when the node passes. */
export function firstFailingFilter(info: NodeInfo, req: TaskRequirements, imageAvailable: ImageAvailable): number {
  for (let i = 0; i < FILTERS.length; i++) {
    if (!FILTERS[i]!.check(info, req, imageAvailable)) return i;
  }
  return -1;
}

/**
 * The filters worth running for `req`, in order; the image filter only when the
 * caller can tell where images are.
 */
export function enabledFilters(req: TaskRequirements, checkImages: boolean): Filter[] {
  return FILTERS.filter((f) => f.enabled(req) && (f !== imageFilter || checkImages));
}

/** True when every filter in `filters` accepts the node. */
export function passesFilters(
  info: NodeInfo, req: TaskRequirements, imageAvailable: ImageAvailable, filters: readonly Filter[],
): boolean {
  for (const f of filters) if (!f.check(info, req, imageAvailable)) return false;
  return true;
}

/**
 * Why no node fits: each node's first failing filter, counted per filter, sorted
 * by count (most first, pipeline order on ties) and joined by '; '.
 */
export function explainNoNode(infos: readonly NodeInfo[], req: TaskRequirements, imageAvailable: ImageAvailable): string {
  const counts = new Array<number>(FILTERS.length).fill(0);
  for (const info of infos) {
    const i = firstFailingFilter(info, req, imageAvailable);
    if (i >= 0) counts[i]! += 1;
  }
  const parts = FILTERS.map((f, i) => ({ f, n: counts[i]!, i }))
    .filter((e) => e.n > 0)
    .sort((a, b) => b.n - a.n || a.i - b.i)
    .map((e) => e.f.explain(e.n, req));
  return parts.join('; ');
}

/** The task error Swarm sets: "no suitable node (…)". */
export function noSuitableNode(explanation: string): string {
  return explanation ? `no suitable node (${explanation})` : 'no suitable node';
}
