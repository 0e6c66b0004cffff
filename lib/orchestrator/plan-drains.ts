import { effectiveUpdateConfig, OLD_TASK_TIMEOUT_MS } from '../model/defaults.js';
import { isTerminal } from '../model/task-state.js';
import type { Service, Task } from '../model/types.js';
import type { OrchestratorPlan } from './plan.js';
import { isLive } from './slots.js';

export const DRAIN_LABEL = 'swarmlet.drain';

/**
 * Better than Swarm (docs#9917): tasks on a drained node are replaced under the service's update
 * parallelism and order instead of all at once. start-first keeps the old task serving until its
 * replacement runs; stop-first stops it and starts the replacement once it has stopped.
 * The same moves a task off a node that no longer meets the service's constraints.
 * Returns the slots that got a replacement.
 */
export function planDrains(
  plan: OrchestratorPlan, service: Service, drained: Task[], tasks: Task[], now: number,
  reasonOf: (t: Task) => string = () => 'node drained',
): number[] {
  if (drained.length === 0) return [];
  const cfg = effectiveUpdateConfig(service.Spec, 'update');
  const inFlight = tasks.filter((t) => isLive(t) && t.Labels?.[DRAIN_LABEL] === 'true'
    && t.Status.State !== 'running' && !isTerminal(t.Status.State)).length;
  const room = cfg.Parallelism === 0 ? drained.length : Math.max(0, cfg.Parallelism - inFlight);
  const chosen = [...drained].sort((a, b) => a.Slot - b.Slot).slice(0, room);
  for (const old of chosen) {
    const why = reasonOf(old);
    const base = { serviceId: service.ID, slot: old.Slot, nodeId: '', reason: `replaces a task: ${why}` };
    if (cfg.Order === 'start-first') {
      plan.create.push({ ...base, desiredState: 'running', labels: { [DRAIN_LABEL]: 'true' } });
    } else {
      plan.setDesired.push({ taskId: old.ID, desiredState: 'shutdown', reason: why });
      plan.create.push({ ...base, desiredState: 'ready', startAfter: now + OLD_TASK_TIMEOUT_MS,
        labels: { [DRAIN_LABEL]: 'true', 'swarmlet.waitForOld': 'true' } });
    }
  }
  return chosen.map((t) => t.Slot);
}
