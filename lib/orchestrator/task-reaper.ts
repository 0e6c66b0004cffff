import { inCurrentIteration } from '../model/naming.js';
import { isTerminal, stateRank } from '../model/task-state.js';
import type { Service, Task } from '../model/types.js';
import { emptyPlan, type OrchestratorPlan } from './plan.js';
import { groupBySlot, isLive } from './slots.js';

export interface ReaperInput {
  /** The service, or undefined when it has been removed (its tasks are orphans). */
  service: Service | undefined;
  tasks: Task[];
  /** Tasks kept per slot, the current one included (Swarm's default 5; negative = keep all). */
  historyLimit: number;
}

/** Never reached a node: nothing runs it, so the manager settles its observed state itself. */
function neverAssigned(t: Task): boolean {
  return t.NodeID === '' || stateRank(t.Status.State) < stateRank('assigned');
}

function isDead(t: Task): boolean {
  return !isLive(t) && (isTerminal(t.Status.State) || neverAssigned(t));
}

/** A completed task of a job's current iteration: it counts as a completion, so it stays. */
function isCurrentCompletion(service: Service, t: Task): boolean {
  return t.Status.State === 'complete' && service.JobStatus !== undefined && inCurrentIteration(service, t);
}

/**
 * The task reaper: deletes tasks marked `remove` once stopped, orphans of removed services, and
 * history beyond the per-slot limit (max-attempts + 1 when that is larger; never a job's completed
 * tasks of its current iteration); settles tasks that were stopped before ever reaching a node.
 */
export function reapTasks(input: ReaperInput): OrchestratorPlan {
  const plan = emptyPlan();
  const { service } = input;
  for (const t of input.tasks) {
    if (!isLive(t) && neverAssigned(t) && !isTerminal(t.Status.State)) {
      plan.markState.push({ taskId: t.ID, state: 'shutdown', message: 'shut down before it was assigned' });
    }
  }
  const removed = new Set<string>();
  for (const t of input.tasks) {
    if ((service === undefined || t.DesiredState === 'remove') && isDead(t)) {
      plan.remove.push(t.ID);
      removed.add(t.ID);
    } else if (service === undefined && isLive(t)) {
      plan.setDesired.push({ taskId: t.ID, desiredState: 'remove', reason: 'service removed' });
    }
  }
  if (!service || input.historyLimit < 0) return plan;
  const maxAttempts = service.Spec.TaskTemplate.RestartPolicy?.MaxAttempts ?? 0;
  const limit = Math.max(input.historyLimit, maxAttempts > 0 ? maxAttempts + 1 : 0, 1);
  const left = removed.size > 0 ? input.tasks.filter((t) => !removed.has(t.ID)) : input.tasks;
  if (!anySlotOver(left, limit)) return plan; // no slot holds more tasks than it may keep
  for (const history of groupBySlot(left).values()) {
    // newest first; live tasks always stay
    let kept = 0;
    for (const t of history) {
      if (kept < limit || !isDead(t) || isCurrentCompletion(service, t)) { kept++; continue; }
      plan.remove.push(t.ID);
    }
  }
  return plan;
}

/** Whether some slot (or node, for slot 0) holds more than `limit` tasks. */
function anySlotOver(tasks: readonly Task[], limit: number): boolean {
  let maxSlot = 0;
  for (const t of tasks) if (t.Slot > maxSlot) maxSlot = t.Slot;
  const bySlot = new Uint32Array(maxSlot + 1);
  const byNode = new Map<string, number>();
  for (const t of tasks) {
    if (t.Slot > 0) {
      if (++bySlot[t.Slot]! > limit) return true;
      continue;
    }
    const n = (byNode.get(t.NodeID) ?? 0) + 1;
    if (n > limit) return true;
    byNode.set(t.NodeID, n);
  }
  return false;
}
