/**
 * Whether tasks moving forward on their way to running (new → pending → assigned → running, no
 * other change) can alter any planner's output for a service that was just reconciled to an empty
 * plan (pure). When they cannot, such progress need not reconcile the service again: a 100,000-task
 * service whose tasks are being placed is not re-read every second for nothing.
 *
 * The planners that read task progress, and why none can act here:
 * - the updater watches replacements come up: no update or rollback is under way or paused;
 * - the replicated orchestrator stops a slot's older live tasks once the newest runs: every slot
 *   has at most one live task; restarts and reaping read only ended tasks (progress never ends one);
 * - drains (and the constraint enforcer) replace as many tasks as replacements are not yet running:
 *   no live drain replacement is on its way to running;
 * - rebalancing starts once every task runs: the service does not opt into it;
 * - delayed starts wait for a slot's other tasks to stop: no task waits in desired state `ready`;
 * - global services and jobs are left to a full reconcile (not replicated: never inert).
 */
import { serviceModeName } from '../model/naming.js';
import type { Service, Task } from '../model/types.js';
import { isTerminal } from '../model/task-state.js';
import { DRAIN_LABEL } from '../orchestrator/plan-drains.js';
import { REBALANCE_LABEL } from '../orchestrator/plan-rebalance.js';
import { isLive } from '../orchestrator/slots.js';

export function progressIsInert(service: Service, tasks: readonly Task[]): boolean {
  if (serviceModeName(service) !== 'replicated') return false;
  if (service.Spec.Labels?.[REBALANCE_LABEL] === 'true') return false;
  const update = service.UpdateStatus?.State;
  if (update !== undefined && update !== 'completed' && update !== 'rollback_completed') return false;
  let maxSlot = 0;
  for (const t of tasks) {
    if (t.DesiredState === 'ready' || t.Slot <= 0) return false;
    if (t.Slot > maxSlot) maxSlot = t.Slot;
  }
  const live = new Uint8Array(maxSlot + 1);
  for (const t of tasks) {
    if (!isLive(t)) continue;
    if (t.Labels?.[DRAIN_LABEL] === 'true' && t.Status.State !== 'running' && !isTerminal(t.Status.State)) return false;
    if (live[t.Slot] === 1) return false;
    live[t.Slot] = 1;
  }
  return true;
}
