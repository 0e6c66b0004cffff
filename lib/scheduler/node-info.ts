/**
 * What the scheduler knows about one node while it plans: resources still free,
 * host-mode ports in use, how many active tasks (in total and per service) it
 * runs, and recent task failures per service. Built once per plan from a store
 * snapshot and updated incrementally as the plan assigns tasks
 * (swarmkit `manager/scheduler/nodeinfo.go`).
 */
import type { Node, PortConfig, Service, Task } from '../model/types.js';
import { isActiveDesired, isTerminal, stateRank } from '../model/task-state.js';

/** swarmkit `monitorFailures`: failures older than this do not count. */
export const FAILURE_WINDOW_MS = 5 * 60 * 1000;

/** What an assigned task takes from a node. */
export interface TaskFootprint {
  serviceId: string;
  nanoCpus: number;
  memoryBytes: number;
  /** `protocol/port` keys of host-mode published ports. */
  hostPorts: readonly string[];
  /** Counts toward spread and max-replicas (desired state ≤ complete). */
  active: boolean;
}

interface FailureRecord { at: number; version: number | undefined }

/**
 * Active tasks per service and node, shared by the NodeInfo of one plan: a
 * batch reads its service's (usually small) map once instead of asking every node.
 */
export type ServiceTaskIndex = Map<string, Map<NodeInfo, number>>;

export class NodeInfo {
  readonly node: Node;
  readonly id: string;
  readonly hostname: string;
  /** Free NanoCPUs; Infinity when the node does not report its CPUs. */
  availableNanoCpus: number;
  /** Free memory bytes; Infinity when the node does not report its memory. */
  availableMemoryBytes: number;
  /** Active tasks of every service on this node. */
  activeTasks = 0;
  private readonly byService: ServiceTaskIndex;
  /** `protocol/port` → tasks holding it (two tasks of one node can hold one key only mid-shutdown). */
  private readonly usedHostPorts = new Map<string, number>();
  private readonly failuresByService = new Map<string, FailureRecord[]>();

  constructor(node: Node, byService: ServiceTaskIndex = new Map()) {
    this.node = node;
    this.byService = byService;
    this.id = node.ID;
    this.hostname = node.Description?.Hostname ?? '';
    const res = node.Description?.Resources;
    this.availableNanoCpus = res?.NanoCPUs ?? Infinity;
    this.availableMemoryBytes = res?.MemoryBytes ?? Infinity;
  }

  /** Active tasks of `serviceId` on this node (assignments made in this plan included). */
  activeTasksOf(serviceId: string): number {
    return this.byService.get(serviceId)?.get(this) ?? 0;
  }

  get hasFailures(): boolean {
    return this.failuresByService.size > 0;
  }

  hasHostPort(key: string): boolean {
    return (this.usedHostPorts.get(key) ?? 0) > 0;
  }

  /** Takes a task's footprint: resources and host ports always, counts when it is active. */
  add(fp: TaskFootprint): void {
    this.availableNanoCpus -= fp.nanoCpus;
    this.availableMemoryBytes -= fp.memoryBytes;
    for (const key of fp.hostPorts) this.usedHostPorts.set(key, (this.usedHostPorts.get(key) ?? 0) + 1);
    if (!fp.active) return;
    this.activeTasks += 1;
    const counts = this.byService.get(fp.serviceId);
    if (counts) counts.set(this, (counts.get(this) ?? 0) + 1);
    else this.byService.set(fp.serviceId, new Map([[this, 1]]));
  }

  /** Gives back a footprint taken by `add` (a task stopped, moved or was deleted). */
  remove(fp: TaskFootprint): void {
    this.availableNanoCpus += fp.nanoCpus;
    this.availableMemoryBytes += fp.memoryBytes;
    for (const key of fp.hostPorts) {
      const n = (this.usedHostPorts.get(key) ?? 0) - 1;
      if (n > 0) this.usedHostPorts.set(key, n); else this.usedHostPorts.delete(key);
    }
    if (!fp.active) return;
    this.activeTasks -= 1;
    const counts = this.byService.get(fp.serviceId);
    const n = (counts?.get(this) ?? 0) - 1;
    if (n > 0) counts!.set(this, n);
    else {
      counts?.delete(this);
      if (counts && counts.size === 0) this.byService.delete(fp.serviceId);
    }
  }

  recordFailure(serviceId: string, at: number, version: number | undefined): void {
    const list = this.failuresByService.get(serviceId);
    if (list) list.push({ at, version });
    else this.failuresByService.set(serviceId, [{ at, version }]);
  }

  /**
   * Failures of `serviceId` within FAILURE_WINDOW_MS of `now`. When both the failed
   * task and `version` carry a spec version they must be equal (swarmkit keys
   * failures on service and spec version).
   */
  recentFailures(serviceId: string, version: number | undefined, now: number): number {
    const list = this.failuresByService.get(serviceId);
    if (!list) return 0;
    let count = 0;
    for (const f of list) {
      if (now - f.at > FAILURE_WINDOW_MS) continue;
      if (version !== undefined && f.version !== undefined && f.version !== version) continue;
      count += 1;
    }
    return count;
  }
}

/** `protocol/port` keys of the host-mode published ports in `ports`. */
export function hostPortKeys(ports: readonly PortConfig[] | undefined): string[] {
  const keys: string[] = [];
  for (const p of ports ?? []) {
    if (p.PublishMode === 'host' && p.PublishedPort) keys.push(`${p.Protocol ?? 'tcp'}/${p.PublishedPort}`);
  }
  return keys;
}

/**
 * Host-mode ports a service's tasks publish: the ports as the manager resolved them
 * (Endpoint.Ports, where a host port left out of the spec has its number), else the spec's.
 */
export function serviceHostPorts(service: Service | undefined): string[] {
  const resolved = service?.Endpoint?.Ports;
  return hostPortKeys(resolved && resolved.length > 0 ? resolved : service?.Spec.EndpointSpec?.Ports ?? service?.Endpoint?.Spec?.Ports);
}

export interface NodeInfoSet {
  /** In the order of the input nodes. */
  readonly list: NodeInfo[];
  readonly byId: ReadonlyMap<string, NodeInfo>;
  /** The nodes with recent failures of any service. */
  readonly withFailures: NodeInfo[];
  /** Active tasks per service and node (the index every NodeInfo of the set updates). */
  readonly byService: ServiceTaskIndex;
}

export function footprintOf(task: Task, hostPorts: readonly string[]): TaskFootprint {
  const r = task.Spec?.Resources?.Reservations;
  return {
    serviceId: task.ServiceID,
    nanoCpus: r?.NanoCPUs ?? 0,
    memoryBytes: r?.MemoryBytes ?? 0,
    hostPorts,
    active: isActiveDesired(task.DesiredState),
  };
}

/** A task not yet assigned whose desired state is past complete will never run (swarmkit skips it). */
function neverRuns(task: Task): boolean {
  return stateRank(task.Status.State) < stateRank('assigned') && !isActiveDesired(task.DesiredState);
}

export function isFailure(task: Task): boolean {
  return task.Status.State === 'failed' || task.Status.State === 'rejected';
}

/** The host ports a task holds: those it reported, else its service's. */
export function taskHostPorts(task: Task, serviceHostPortsOf: (serviceId: string) => string[]): string[] {
  const reported = task.Status.PortStatus?.Ports;
  if (reported && reported.length > 0) return hostPortKeys(reported);
  return serviceHostPortsOf(task.ServiceID);
}

/** What a task takes from its node right now: its footprint, or nothing (unassigned, stopped, never runs). */
export function holdingFootprint(task: Task, serviceHostPortsOf: (serviceId: string) => string[]): TaskFootprint | undefined {
  if (!task.NodeID || isTerminal(task.Status.State) || neverRuns(task)) return undefined;
  return footprintOf(task, taskHostPorts(task, serviceHostPortsOf));
}

export function recordFailureOf(info: NodeInfo, task: Task, now: number): void {
  recordFailure(info, task, now);
}

/**
 * NodeInfo for every node, loaded with the tasks assigned to it. A task holds
 * resources and host ports while its observed state is not terminal (as in
 * swarmkit, a task being shut down still holds them until it has stopped); it
 * counts as active when its desired state is ≤ complete too. Failed and
 * rejected tasks inside the failure window are recorded as failures.
 */
export function buildNodeInfos(
  nodes: readonly Node[],
  services: ReadonlyMap<string, Service>,
  tasks: readonly Task[],
  now: number,
): NodeInfoSet {
  const byService: ServiceTaskIndex = new Map();
  const list = nodes.map((n) => new NodeInfo(n, byService));
  const byId = new Map(list.map((info) => [info.id, info]));
  const portsByService = new Map<string, string[]>();
  const portsOf = (task: Task): string[] => {
    const reported = task.Status.PortStatus?.Ports;
    if (reported && reported.length > 0) return hostPortKeys(reported);
    let keys = portsByService.get(task.ServiceID);
    if (!keys) portsByService.set(task.ServiceID, (keys = serviceHostPorts(services.get(task.ServiceID))));
    return keys;
  };
  for (const task of tasks) {
    const info = task.NodeID ? byId.get(task.NodeID) : undefined;
    if (!info) continue;
    if (isTerminal(task.Status.State)) {
      if (isFailure(task)) recordFailure(info, task, now);
      continue;
    }
    if (neverRuns(task)) continue;
    info.add(footprintOf(task, portsOf(task)));
  }
  return { list, byId, withFailures: list.filter((info) => info.hasFailures), byService };
}

function recordFailure(info: NodeInfo, task: Task, now: number): void {
  const at = Date.parse(task.Status.Timestamp);
  if (Number.isNaN(at) || now - at > FAILURE_WINDOW_MS) return;
  info.recordFailure(task.ServiceID, at, task.SpecVersion?.Index);
}
