import { jobRestartPolicy } from '../model/defaults.js';
import { inCurrentIteration } from '../model/naming.js';
import { isTerminal } from '../model/task-state.js';
import type { Service, Task } from '../model/types.js';
import { decideRestart } from './restart-policy.js';
import { newestFirst } from './slots.js';

/**
 * Better than Swarm, where such a job never completes and `docker service create` waits forever:
 * why the job's current iteration cannot complete — a slot (a node, for a global job) whose newest
 * task ended without completing and will not be restarted (restart condition `none`, or
 * `--restart-max-attempts` used up with no window) — or undefined while it still can. Pure.
 */
export function jobCannotComplete(service: Service, tasks: readonly Task[]): string | undefined {
  const policy = jobRestartPolicy(service.Spec.TaskTemplate);
  if (policy.Condition !== 'none' && !(policy.MaxAttempts > 0 && policy.Window === 0)) return undefined;
  const global = service.Spec.Mode.GlobalJob !== undefined;
  const units = new Map<string, Task[]>();
  for (const t of tasks) {
    if (!inCurrentIteration(service, t)) continue;
    const key = global ? t.NodeID : String(t.Slot);
    const list = units.get(key);
    if (list) list.push(t);
    else units.set(key, [t]);
  }
  for (const history of units.values()) {
    if (history.some((t) => t.Status.State === 'complete')) continue;
    history.sort(newestFirst);
    const newest = history[0]!;
    if (!isTerminal(newest.Status.State)) continue;
    const d = decideRestart(newest, history, policy, Date.parse(newest.Status.Timestamp));
    if (d.restart) continue;
    const err = newest.Status.Err ? ` (${newest.Status.Err})` : '';
    return `job cannot complete: task ${newest.ID} ${newest.Status.State}${err} and will not be restarted (${d.reason})`;
  }
  return undefined;
}
