/**
 * Simulated cluster state for the in-process scheduler benchmarks: nodes with resources, labels
 * and a few drained/down ones; replicated services with reservations, constraints, max-replicas,
 * spread preferences and host-mode ports; their tasks.
 */
import type { Node, Service, Task } from '../../lib/model/types.js';

export const SIM_T0 = '2024-01-01T00:00:00.000Z';
export const SIM_NOW = Date.parse('2024-01-01T12:00:00Z');
const GiB = 1024 ** 3;
const ZONES = ['a', 'b', 'c', 'd'];

/** A node: 64 CPUs, 256 GiB; every 97th is drained and every 89th is down. */
export function simNode(i: number): Node {
  return {
    ID: `node-${String(i).padStart(21, '0')}`, Version: { Index: 1 }, CreatedAt: SIM_T0, UpdatedAt: SIM_T0,
    Spec: { Role: 'worker', Availability: i % 97 === 0 ? 'drain' : 'active', Labels: { zone: ZONES[i % ZONES.length]! } },
    Description: {
      Hostname: `host-${String(i).padStart(5, '0')}`,
      Platform: { OS: 'linux', Architecture: 'x86_64' },
      Resources: { NanoCPUs: 64e9, MemoryBytes: 256 * GiB },
    },
    Status: { State: i % 89 === 0 ? 'down' : 'ready', Addr: '127.0.0.1' },
  };
}

/**
 * Service j with `replicas` tasks: reserves 0.05 CPU and 64 MiB per task; every 10th has a
 * constraint, every 5th max 3 replicas per node (when that fits), every 7th a zone spread, every
 * 25th a host-mode port (when there are enough nodes); update parallelism 2, delay 1 s.
 */
export function simService(j: number, replicas: number, nodes: number): Service {
  const placement = {
    ...(j % 10 === 3 ? { Constraints: ['node.labels.zone!=d'] } : {}),
    ...(j % 5 === 1 && replicas <= nodes * 2 ? { MaxReplicas: 3 } : {}),
    ...(j % 7 === 2 ? { Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] } : {}),
  };
  const hostPort = j % 25 === 4 && replicas * 1.2 <= nodes;
  const ports = hostPort ? [{ Protocol: 'tcp' as const, TargetPort: 80, PublishedPort: 20000 + j, PublishMode: 'host' as const }] : [];
  return {
    ID: `svc-${String(j).padStart(21, '0')}`, Version: { Index: 1 }, CreatedAt: SIM_T0, UpdatedAt: SIM_T0,
    Spec: {
      Name: `svc${j}`,
      TaskTemplate: {
        ContainerSpec: { Image: `img${j % 10}:1` },
        Resources: { Reservations: { NanoCPUs: 5e7, MemoryBytes: 64 * 1024 ** 2 } },
        Placement: placement,
      },
      Mode: { Replicated: { Replicas: replicas } },
      UpdateConfig: { Parallelism: 2, Delay: 1e9, Order: 'stop-first' },
      EndpointSpec: { Ports: ports },
    },
    Endpoint: { Spec: { Ports: ports } },
    SpecVersion: { Index: 1 },
  };
}

/** A pending task of `s` for `slot` (not yet on a node). */
export function simPendingTask(s: Service, j: number, slot: number): Task {
  return {
    ID: `t${j.toString(36).padStart(4, '0')}${slot.toString(36).padStart(20, '0')}`, Version: { Index: 1 },
    CreatedAt: SIM_T0, UpdatedAt: SIM_T0,
    Spec: s.Spec.TaskTemplate, ServiceID: s.ID, Slot: slot, NodeID: '',
    Status: { Timestamp: SIM_T0, State: 'pending' },
    DesiredState: 'running', SpecVersion: { Index: 1 },
  };
}

/** The same service with a new image (spec version 2): every task is out of date. */
export function withNewImage(s: Service): Service {
  const tt = s.Spec.TaskTemplate;
  return {
    ...s,
    Spec: { ...s.Spec, TaskTemplate: { ...tt, ContainerSpec: { ...tt.ContainerSpec, Image: `${tt.ContainerSpec?.Image ?? 'img'}-next` } } },
    SpecVersion: { Index: 2 },
  };
}
