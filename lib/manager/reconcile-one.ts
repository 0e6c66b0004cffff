/**
 * One service's reconcile inside a manager pass (the manager's effectful step around the pure
 * planners): a continuation slice of a cut scale-up, else the update step, the orchestrator's and the
 * reaper's plan (cut to the pass budget; the creates left become a continuation), the delayed starts,
 * and whether task progress alone can leave the service alone next time (inert). The manager's
 * per-service bookkeeping is passed in (`state`) and updated here.
 */
import type { IdGenerator } from '../ids.js';
import type { Node, Service } from '../model/types.js';
import { applyOrchestratorPlan } from '../orchestrator/apply-plan.js';
import { limitPlan } from '../orchestrator/limit-plan.js';
import { emptyPlan, isEmptyPlan, mergePlans, type TaskToCreate } from '../orchestrator/plan.js';
import { reconcileService } from '../orchestrator/reconcile-service.js';
import { reapTasks } from '../orchestrator/task-reaper.js';
import type { WriteTx } from '../store/store.js';
import { applyUpdateStep } from '../update/apply-update-step.js';
import { planUpdateStep } from '../update/plan-update-step.js';
import { planStarts } from './plan-starts.js';
import { progressIsInert } from './progress-inert.js';

export interface ReconcileContext {
  nodes: ReadonlyMap<string, Node>;
  /** IDs of the nodes that are down (their tasks' delayed starts wait). */
  down: ReadonlySet<string>;
  now: number;
  /** Orchestrator writes this service may still make in the pass. */
  opsLeft: number;
  ids: IdGenerator;
  historyLimit: number;
}

/** The manager's per-service bookkeeping between passes. */
export interface ReconcileState {
  /** The creates left of a plan cut by the pass budget, applied slice by slice while the service stays at `version`. */
  readonly continuations: Map<string, { version: number; creates: TaskToCreate[] }>;
  /** Services whose task progress alone cannot change what a reconcile plans. */
  readonly inert: Set<string>;
  /** Tasks read at each service's last reconcile, and when. */
  readonly lastReconcile: Map<string, { size: number; at: number }>;
  /** When each service with timed work wants its next pass. */
  readonly wakes: Map<string, number>;
}

export function reconcileOne(tx: WriteTx, id: string, c: ReconcileContext, state: ReconcileState): { examined: number; ops: number; truncated: boolean } {
const { nodes, down, now, opsLeft } = c;
  let service: Service | undefined = tx.getService(id);
  const cont = state.continuations.get(id);
  state.inert.delete(id);
  if (cont && service && service.Version.Index === cont.version) {
    const slice = cont.creates.splice(0, Math.max(1, opsLeft));
    applyOrchestratorPlan(tx, { ...emptyPlan(), create: slice }, now, c.ids);
    if (cont.creates.length === 0) state.continuations.delete(id);
    return { examined: slice.length, ops: slice.length, truncated: true }; // a full reconcile follows
  }
  state.continuations.delete(id);
  let tasks = tx.tasksOfService(id);
  const examined = tasks.length;
  state.lastReconcile.set(id, { size: examined, at: now });
  let wakeAt: number | undefined;
  let stepped = false;
  if (service) {
    const step = planUpdateStep({ service, tasks, now, nodes });
    applyUpdateStep(tx, service, step, now, c.ids);
    wakeAt = step.wakeAt;
    stepped = step.replace.length > 0 || step.shutdown.length > 0 || step.status !== undefined || step.rollback === true;
    if (step.replace.length > 0 || step.shutdown.length > 0 || step.status) {
      service = tx.getService(id) ?? service;
      tasks = tx.tasksOfService(id);
    }
  } else if (tasks.length === 0) {
    state.wakes.delete(id);
    state.inert.delete(id);
    state.lastReconcile.delete(id);
    return { examined, ops: 0, truncated: false };
  }
  const planned = service
    ? mergePlans([reconcileService({ service, tasks, nodes, now }), reapTasks({ service, tasks, historyLimit: c.historyLimit })])
    : reapTasks({ service: undefined, tasks, historyLimit: c.historyLimit });
  const { plan, truncated } = limitPlan(planned, opsLeft);
  if (!isEmptyPlan(plan)) {
    applyOrchestratorPlan(tx, plan, now, c.ids);
    tasks = tx.tasksOfService(id);
  }
  const onlyCreatesLeft = truncated && plan.setDesired.length === planned.setDesired.length
    && plan.markState.length === planned.markState.length && plan.remove.length === planned.remove.length;
  if (onlyCreatesLeft && service) {
    const version = tx.getService(id)?.Version.Index ?? service.Version.Index;
    state.continuations.set(id, { version, creates: planned.create.slice(plan.create.length) });
  }
  const starts = planStarts(tasks, now, down);
  for (const taskId of starts.start) {
    const t = tx.getTask(taskId);
    if (t && t.DesiredState === 'ready') tx.putTask({ ...t, DesiredState: 'running' });
  }
  wakeAt = earliest(wakeAt, starts.wakeAt);
  if (wakeAt === undefined) state.wakes.delete(id);
  else state.wakes.set(id, wakeAt);
  const ops = plan.create.length + plan.setDesired.length + plan.remove.length + plan.markState.length + starts.start.length;
  if (service && !stepped && ops === 0 && !truncated && wakeAt === undefined && progressIsInert(service, tasks)) state.inert.add(id);
  return { examined, ops, truncated };
}

/** The earlier of two optional times. */
export function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
