/** Small builders of nodes, services and tasks for the scheduler tests. */
import type { Node, NodeAvailability, NodeState, PortConfig, Service, Task, TaskSpec } from '../../lib/model/types.js';
import type { TaskState } from '../../lib/model/task-state.js';
import type { PlacementInput, PlacementPlan } from '../../lib/scheduler/plan-placements.js';

export const NOW = Date.parse('2024-01-01T12:00:00Z');
export const T0 = '2024-01-01T00:00:00Z';
export const GiB = 1024 ** 3;
export const CPU = 1e9;

export interface NodeOpts {
  hostname?: string;
  state?: NodeState;
  availability?: NodeAvailability;
  labels?: Record<string, string>;
  engineLabels?: Record<string, string>;
  role?: 'worker' | 'manager';
  cpus?: number;
  memory?: number;
  os?: string;
  arch?: string;
}

export function makeNode(id: string, o: NodeOpts = {}): Node {
  const resources = o.cpus === undefined && o.memory === undefined
    ? undefined
    : { ...(o.cpus !== undefined ? { NanoCPUs: o.cpus * CPU } : {}), ...(o.memory !== undefined ? { MemoryBytes: o.memory } : {}) };
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: T0,
    UpdatedAt: T0,
    Spec: { Role: o.role ?? 'worker', Availability: o.availability ?? 'active', ...(o.labels ? { Labels: o.labels } : {}) },
    Description: {
      Hostname: o.hostname ?? id,
      Platform: { OS: o.os ?? 'linux', Architecture: o.arch ?? 'x86_64' },
      ...(resources ? { Resources: resources } : {}),
      ...(o.engineLabels ? { Engine: { Labels: o.engineLabels } } : {}),
    },
    Status: { State: o.state ?? 'ready', Addr: '127.0.0.1' },
  };
}

/** n ready, active nodes n1..nN (zero-padded so hostnames sort numerically). */
export function makeNodes(n: number, o: NodeOpts = {}): Node[] {
  const width = String(n).length;
  return Array.from({ length: n }, (_, i) => makeNode(`n${String(i + 1).padStart(width, '0')}`, o));
}

export interface ServiceOpts {
  image?: string;
  replicas?: number;
  cpus?: number;
  memory?: number;
  constraints?: string[];
  maxReplicas?: number;
  hostPorts?: number[];
  ports?: PortConfig[];
  spread?: string[];
  specVersion?: number;
  global?: boolean;
}

export function makeService(id: string, o: ServiceOpts = {}): Service {
  const reservations = o.cpus === undefined && o.memory === undefined
    ? undefined
    : { ...(o.cpus !== undefined ? { NanoCPUs: o.cpus * CPU } : {}), ...(o.memory !== undefined ? { MemoryBytes: o.memory } : {}) };
  const template: TaskSpec = {
    ContainerSpec: { Image: o.image ?? 'whoami:1' },
    ...(reservations ? { Resources: { Reservations: reservations } } : {}),
    Placement: {
      ...(o.constraints ? { Constraints: o.constraints } : {}),
      ...(o.maxReplicas !== undefined ? { MaxReplicas: o.maxReplicas } : {}),
      ...(o.spread ? { Preferences: o.spread.map((d) => ({ Spread: { SpreadDescriptor: d } })) } : {}),
    },
  };
  const ports: PortConfig[] = [
    ...(o.ports ?? []),
    ...(o.hostPorts ?? []).map((p): PortConfig => ({ Protocol: 'tcp', TargetPort: 8080, PublishedPort: p, PublishMode: 'host' })),
  ];
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: T0,
    UpdatedAt: T0,
    Spec: {
      Name: id,
      TaskTemplate: template,
      Mode: o.global ? { Global: {} } : { Replicated: { Replicas: o.replicas ?? 1 } },
      EndpointSpec: { Mode: 'vip', Ports: ports },
    },
    Endpoint: { Spec: { Mode: 'vip', Ports: ports } },
    SpecVersion: { Index: o.specVersion ?? 1 },
  };
}

export interface TaskOpts {
  nodeId?: string;
  state?: TaskState;
  desired?: TaskState;
  timestamp?: string;
  specVersion?: number;
}

export function makeTask(service: Service, slot: number, o: TaskOpts = {}, id?: string): Task {
  return {
    ID: id ?? `${service.ID}.${slot}.${o.nodeId ?? 'p'}.${o.state ?? 'pending'}`,
    Version: { Index: 1 },
    CreatedAt: T0,
    UpdatedAt: T0,
    Spec: structuredClone(service.Spec.TaskTemplate),
    ServiceID: service.ID,
    Slot: slot,
    NodeID: o.nodeId ?? '',
    Status: { Timestamp: o.timestamp ?? T0, State: o.state ?? 'pending' },
    DesiredState: o.desired ?? 'running',
    SpecVersion: { Index: o.specVersion ?? service.SpecVersion?.Index ?? 1 },
  };
}

/** `count` pending tasks of `service` in slots from..from+count-1. */
export function pendingTasks(service: Service, count: number, from = 1): Task[] {
  return Array.from({ length: count }, (_, i) => makeTask(service, from + i));
}

export function runningTask(service: Service, nodeId: string, slot: number, o: TaskOpts = {}): Task {
  return makeTask(service, slot, { state: 'running', ...o, nodeId });
}

/** A failure of `service` on `nodeId`, `agoMs` before NOW. */
export function failedTask(service: Service, nodeId: string, slot: number, agoMs = 1000, o: TaskOpts = {}): Task {
  return makeTask(service, slot, {
    state: 'failed', desired: 'shutdown', timestamp: new Date(NOW - agoMs).toISOString(), ...o, nodeId,
  }, `${service.ID}.${slot}.${nodeId}.failed.${agoMs}.${o.specVersion ?? ''}`);
}

export function makeInput(o: {
  nodes: Node[];
  services: Service[];
  tasks?: Task[];
  pending: Task[];
  now?: number;
  imageAvailable?: (node: Node, image: string) => boolean;
}): PlacementInput {
  return {
    nodes: o.nodes,
    services: new Map(o.services.map((s) => [s.ID, s])),
    tasks: [...(o.tasks ?? []), ...o.pending],
    pending: o.pending,
    now: o.now ?? NOW,
    ...(o.imageAvailable ? { imageAvailable: o.imageAvailable } : {}),
  };
}

/** Tasks placed per node ID (all services). */
export function countByNode(plan: PlacementPlan): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of plan.assignments) counts[a.nodeId] = (counts[a.nodeId] ?? 0) + 1;
  return counts;
}

/** Tasks placed per node ID for the tasks of one service (task IDs start with the service ID and a dot). */
export function countByNodeFor(plan: PlacementPlan, serviceId: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of plan.assignments) {
    if (a.taskId.startsWith(`${serviceId}.`)) counts[a.nodeId] = (counts[a.nodeId] ?? 0) + 1;
  }
  return counts;
}
