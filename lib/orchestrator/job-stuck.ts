import { jobRestartPolicy } from '../model/defaults.js';
import { inCurrentIteration } from '../model/naming.js';
import { isTerminal } from '../model/task-state.js';
import type { Service, Task } from '../model/types.js';
import { decideRestart } from './restart-policy.js';
import { groupTasks } from './reconcile-jobs.js';

/**
 * Better than Swarm, where such a job never completes and `docker service create` waits forever:
 * why the job's current iteration cannot complete — a slot (a node, for a global job) whose newest
 * task ended without completing and will not be restarted (restart condition `none`, or
 * `--restart-max-attempts` used up with no window) — or undefined while it still can. Pure.
 */
export function jobCannotComplete(service: Service, tasks: readonly Task[]): string | undefined {
  const policy = jobRestartPolicy(service.Spec.TaskTemplate);
  if (policy.Condition !== 'none' && !(policy.MaxAttempts > 0 && policy.Window === 0)) return undefined;
  const current = tasks.filter((t) => inCurrentIteration(service, t));
  const keyOf = service.Spec.Mode.GlobalJob !== undefined ? (t: Task) => t.NodeID : (t: Task) => String(t.Slot);
  for (const history of groupTasks(current, keyOf).values()) {
    if (history.some((t) => t.Status.State === 'complete')) continue;
    const newest = history[0]!;
    if (!isTerminal(newest.Status.State)) continue;
    const d = decideRestart(newest, history, policy, Date.parse(newest.Status.Timestamp));
    if (d.restart) continue;
    const err = newest.Status.Err ? ` (${newest.Status.Err})` : '';
    return `job cannot complete: task ${newest.ID} ${newest.Status.State}${err} and will not be restarted (${d.reason})`;
  }
  return undefined;
}
