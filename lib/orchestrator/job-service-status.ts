import { inCurrentIteration } from '../model/naming.js';
import { isActiveDesired } from '../model/task-state.js';
import type { Node, Service, Task } from '../model/types.js';

export interface ServiceStatus { RunningTasks: number; DesiredTasks: number; CompletedTasks: number }

/**
 * swarmkit's ListServiceStatuses for a job: only tasks of the current JobIteration count.
 * RunningTasks: running (not on a down node); CompletedTasks: complete; DesiredTasks: MaxConcurrent
 * for a replicated job, and for a global job the tasks still meant to complete (not yet complete).
 */
export function jobServiceStatus(service: Service, tasks: Task[], nodeOf: (id: string) => Node | undefined): ServiceStatus {
  const current = tasks.filter((t) => inCurrentIteration(service, t));
  const running = current.filter((t) => t.Status.State === 'running' && nodeOf(t.NodeID)?.Status.State !== 'down').length;
  const completed = current.filter((t) => t.Status.State === 'complete').length;
  const replicated = service.Spec.Mode.ReplicatedJob;
  const desired = replicated
    ? replicated.MaxConcurrent ?? 1
    : current.filter((t) => isActiveDesired(t.DesiredState) && t.Status.State !== 'complete').length;
  return { RunningTasks: running, DesiredTasks: desired, CompletedTasks: completed };
}
