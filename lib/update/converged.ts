import { desiredReplicas, inCurrentIteration, isGlobal, isJob } from '../model/naming.js';
import { isTerminal } from '../model/task-state.js';
import type { Node, Service, Task } from '../model/types.js';
import { upToDateChecker } from './up-to-date.js';
import { jobCannotComplete } from '../orchestrator/job-stuck.js';

export type Convergence =
  | { state: 'converged'; running: number; desired: number }
  | { state: 'progressing'; running: number; desired: number }
  | { state: 'failed'; message: string };

/**
 * Has the service converged? Like the docker CLI's progress check: every wanted slot (or node)
 * has an up-to-date running task on a node that is not down, and no update is in progress.
 */
export function checkConvergence(service: Service, tasks: Task[], nodes: Node[]): Convergence {
  if (isJob(service)) return checkJobDone(service, tasks);
  const st = service.UpdateStatus?.State;
  if (st === 'paused' || st === 'rollback_paused') {
    return { state: 'failed', message: `service ${st === 'paused' ? 'update' : 'rollback'} paused: ${service.UpdateStatus?.Message ?? ''}` };
  }
  const up = new Set(nodes.filter((n) => n.Status.State !== 'down').map((n) => n.ID));
  const isCurrent = upToDateChecker(service);
  const current = tasks.filter((t) => isCurrent(t) && up.has(t.NodeID)
    && (t.DesiredState === 'running' || t.DesiredState === 'ready'));
  const running = new Set(current.filter((t) => t.Status.State === 'running').map((t) => (t.Slot > 0 ? `s${t.Slot}` : t.NodeID))).size;
  const desired = isGlobal(service)
    ? new Set(tasks.filter((t) => t.DesiredState === 'running' || t.DesiredState === 'ready').map((t) => t.NodeID)).size
    : desiredReplicas(service);
  const updating = st === 'updating' || st === 'rollback_started';
  const stale = tasks.some((t) => t.DesiredState === 'running' && t.Status.State === 'running' && !isCurrent(t));
  if (running >= desired && !updating && !stale && (!isGlobal(service) || desired > 0)) return { state: 'converged', running, desired };
  return { state: 'progressing', running, desired };
}

/**
 * A job has "converged" once its current iteration is done: every completion of a replicated job
 * (TotalCompletions), or a global job's task on every node it started on has completed.
 */
function checkJobDone(service: Service, tasks: Task[]): Convergence {
  const current = tasks.filter((t) => inCurrentIteration(service, t));
  const completed = current.filter((t) => t.Status.State === 'complete').length;
  const running = current.filter((t) => t.Status.State === 'running').length;
  const total = service.Spec.Mode.ReplicatedJob?.TotalCompletions;
  if (total !== undefined && completed >= total) return { state: 'converged', running, desired: total };
  const stuck = jobCannotComplete(service, tasks);
  if (stuck !== undefined) return { state: 'failed', message: stuck };
  if (total !== undefined) return { state: 'progressing', running, desired: total };
  const open = current.filter((t) => !isTerminal(t.Status.State) || (t.Status.State !== 'complete' && t.DesiredState === 'running')).length;
  return completed > 0 && open === 0 ? { state: 'converged', running, desired: completed } : { state: 'progressing', running, desired: completed + open };
}
