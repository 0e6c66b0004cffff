/** Small builders for the CLI unit tests. */
import type { Node, Service, Task } from '../../lib/model/types.js';
import type { TaskState } from '../../lib/model/task-state.js';

export const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
export const ago = (ms: number) => new Date(NOW - ms).toISOString();

export function task(over: Partial<Task> & { state?: TaskState; desired?: TaskState; err?: string; age?: number } = {}): Task {
  const { state = 'running', desired = 'running', err, age = 5000, ...rest } = over;
  return {
    ID: 'task00000000000000000000a', Version: { Index: 1 }, CreatedAt: ago(age), UpdatedAt: ago(age),
    Spec: { ContainerSpec: { Image: 'whoami:1' } }, ServiceID: 'svc1', Slot: 1, NodeID: 'node1',
    Status: { Timestamp: ago(age), State: state, ...(err ? { Err: err } : {}) }, DesiredState: desired,
    ...rest,
  };
}

export function service(over: Partial<Service> & { replicas?: number; global?: boolean; monitorNs?: number } = {}): Service {
  const { replicas = 3, global = false, monitorNs, ...rest } = over;
  return {
    ID: 'svc1', Version: { Index: 1 }, CreatedAt: ago(60_000), UpdatedAt: ago(60_000),
    Spec: {
      Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'whoami:1' } },
      Mode: global ? { Global: {} } : { Replicated: { Replicas: replicas } },
      ...(monitorNs !== undefined ? { UpdateConfig: { Monitor: monitorNs } } : {}),
    },
    Endpoint: { Spec: {} },
    ...rest,
  };
}

export function node(id: string, hostname: string, over: Partial<Node> = {}): Node {
  return {
    ID: id, Version: { Index: 1 }, CreatedAt: ago(3_600_000), UpdatedAt: ago(3_600_000),
    Spec: { Role: 'worker', Availability: 'active' }, Description: { Hostname: hostname },
    Status: { State: 'ready' }, ...over,
  };
}
