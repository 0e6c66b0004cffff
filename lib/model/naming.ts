import type { Service, Task, ServiceMode } from './types.js';

/** `service ps` display name: `<service>.<slot>`, or `<service>.<nodeID>` for global tasks (slot 0). */
export function taskDisplayName(serviceName: string, task: Pick<Task, 'Slot' | 'NodeID'>): string {
  return task.Slot > 0 ? `${serviceName}.${task.Slot}` : `${serviceName}.${task.NodeID}`;
}

/** Swarm's internal task name (also the container name): `<service>.<slot|nodeID>.<taskID>`. */
export function taskFullName(serviceName: string, task: Pick<Task, 'Slot' | 'NodeID' | 'ID'>): string {
  return `${taskDisplayName(serviceName, task)}.${task.ID}`;
}

export function serviceModeName(service: Pick<Service, 'Spec'>): 'replicated' | 'global' | 'replicated-job' | 'global-job' {
  const m = service.Spec.Mode;
  if (m.Global) return 'global';
  if (m.ReplicatedJob) return 'replicated-job';
  if (m.GlobalJob) return 'global-job';
  return 'replicated';
}

export function isGlobal(service: Pick<Service, 'Spec'>): boolean {
  return serviceModeName(service) === 'global';
}

export function desiredReplicas(service: Pick<Service, 'Spec'>): number {
  return service.Spec.Mode.Replicated?.Replicas ?? 1;
}

/** replicated-job or global-job: tasks run to completion, once per execution (JobIteration). */
export function isJob(service: Pick<Service, 'Spec'>): boolean {
  return isJobMode(service.Spec.Mode);
}

/** isJob for a bare mode (a spec being built or validated). */
export function isJobMode(mode: ServiceMode | undefined): boolean {
  return mode?.ReplicatedJob !== undefined || mode?.GlobalJob !== undefined;
}

/** The execution a job service is on (0 for a service that is not a job or has no JobStatus yet). */
export function jobIteration(service: Pick<Service, 'JobStatus'>): number {
  return service.JobStatus?.JobIteration.Index ?? 0;
}

/** The task belongs to the job's current execution. */
export function inCurrentIteration(service: Pick<Service, 'JobStatus'>, task: Pick<Task, 'JobIteration'>): boolean {
  return task.JobIteration !== undefined && task.JobIteration.Index === jobIteration(service);
}
