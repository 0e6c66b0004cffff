import { effectiveRestartPolicy } from '../model/defaults.js';
import { desiredReplicas } from '../model/naming.js';
import type { Node, RestartPolicy, Service, Task } from '../model/types.js';
import { emptyPlan, isEmptyPlan, type OrchestratorPlan, type TaskToCreate } from './plan.js';
import { decideRestart } from './restart-policy.js';
import { endedWhileDesired, isInvalidNode, isLive, newestFirst } from './slots.js';
import { planDrains } from './plan-drains.js';
import { planRebalance } from './plan-rebalance.js';
import { constraintMatcher } from '../model/constraints.js';
import { isTerminal } from '../model/task-state.js';

export interface ReplicatedInput {
  service: Service;
  /** Every task of the service. */
  tasks: Task[];
  nodes: ReadonlyMap<string, Node>;
  now: number;
}

/**
 * One reconcile pass for a replicated service: replace tasks on invalid nodes, restart ended tasks
 * per the restart policy, then scale to `Replicas` (lowest free slots up; most crowded nodes down).
 * Pure: applying the plan and planning again gives an empty plan.
 */
export function reconcileReplicated(input: ReplicatedInput): OrchestratorPlan {
  const { service, nodes, now } = input;
  const plan = emptyPlan();
  const policy = effectiveRestartPolicy(service.Spec.TaskTemplate);
  const bySlot = new Map<number, Task[]>();
  for (const t of input.tasks) {
    if (t.Slot <= 0) continue;
    const list = bySlot.get(t.Slot);
    if (list) list.push(t);
    else bySlot.set(t.Slot, [t]);
  }
  /** Slot → the live task that will occupy it after this plan ('new' for a planned replacement). */
  const occupied = new Map<number, Task | 'new'>();
  const drains: Task[] = [];
  const fits = nodeFitsService(service, nodes);
  const planSlot = planSlotWith(plan, service, nodes, policy, now, drains, fits);
  for (const [slot, history] of bySlot) {
    // (A slot of one task, the common case, allocates nothing here: 100,000-task services.)
    if (history.length > 1) history.sort(newestFirst);
    const live = history.length === 1 ? (isLive(history[0]!) ? history : []) : history.filter(isLive);
    const newest = live[0];
    if (!newest) continue;
    // Older live tasks of the slot (a drained task's replacement, a start-first update) go once the
    // newest runs; on a node that is down or gone they go at once.
    for (const old of live.length > 1 ? live.slice(1) : []) {
      const node = old.NodeID ? nodes.get(old.NodeID) : undefined;
      const lost = old.NodeID !== '' && isInvalidNode(node) && node?.Spec.Availability !== 'drain';
      if (lost || newest.Status.State === 'running') {
        plan.setDesired.push({ taskId: old.ID, desiredState: 'shutdown', reason: lost ? 'node is down' : 'replaced by a running task' });
      }
    }
    occupied.set(slot, planSlot(newest, history));
  }
  const why = (t: Task) => (nodes.get(t.NodeID)?.Spec.Availability === 'drain' ? 'node drained' : 'assigned node no longer meets constraints');
  for (const slot of planDrains(plan, service, drains, input.tasks, now, why)) occupied.set(slot, 'new');
  const replicas = desiredReplicas(service);
  if (occupied.size < replicas) {
    let slot = 1;
    for (let n = occupied.size; n < replicas; n++) {
      while (occupied.has(slot)) slot++;
      plan.create.push({ serviceId: service.ID, slot, nodeId: '', desiredState: 'running', reason: 'scale up' });
      occupied.set(slot, 'new');
    }
  } else if (occupied.size > replicas) {
    for (const slot of slotsToRemove(occupied, replicas)) {
      plan.create = plan.create.filter((c) => c.slot !== slot);
      plan.setDesired = plan.setDesired.filter((s) => !(bySlot.get(slot) ?? []).some((t) => t.ID === s.taskId));
      for (const t of bySlot.get(slot) ?? []) {
        if (isLive(t)) plan.setDesired.push({ taskId: t.ID, desiredState: 'remove', reason: 'scale down' });
      }
    }
  }
  if (isEmptyPlan(plan)) {
    const move = planRebalance(input);
    if (move !== undefined) plan.create.push(move);
  }
  return plan;
}

/** What the slot's newest live task needs: nothing, a replacement, or a restart. */
function planSlotWith(
  plan: OrchestratorPlan, service: Service, nodes: ReadonlyMap<string, Node>, policy: Required<RestartPolicy>, now: number,
  drains: Task[], fits: (node: Node) => boolean,
) {
  return (t: Task, history: Task[]): Task | 'new' => {
    const node = t.NodeID ? nodes.get(t.NodeID) : undefined;
    if (t.NodeID && isInvalidNode(node)) {
      if (node !== undefined && node.Spec.Availability === 'drain') {
        drains.push(t); // replaced under the update parallelism and order (planDrains)
        return t;
      }
      plan.setDesired.push({ taskId: t.ID, desiredState: 'shutdown', reason: 'node is down' });
      // Better than Swarm (which waits the restart delay): a task lost with its node is replaced at once.
      plan.create.push(replacement(service, t.Slot, now, 0, 'replaces a task on a down node'));
      return 'new';
    }
    // Swarm's constraint enforcer: a node whose labels changed (or a service whose constraints
    // changed) so that it no longer fits loses the task, moved like a drain (never all at once).
    if (node && !isTerminal(t.Status.State) && !fits(node)) {
      drains.push(t);
      return t;
    }
    if (!endedWhileDesired(t)) return t;
    const d = decideRestart(t, history, policy, now);
    if (!d.restart) return t; // the slot stays as it is until the next spec change
    plan.setDesired.push({ taskId: t.ID, desiredState: 'shutdown', reason: 'restarting' });
    // A task the system shut down (agent stopped, node restarted) did not crash: no back-off.
    plan.create.push(replacement(service, t.Slot, now, t.Status.State === 'shutdown' ? 0 : d.delayMs, `restart of ${t.ID}`));
    return 'new';
  };
}

/**
 * Whether a task may stay on a node by the service's current placement constraints. Everything
 * fits while an update or rollback runs (the updater replaces tasks then), when the constraints
 * cannot be parsed, and when no ready, active node fits them at all: moving tasks to nowhere would
 * only take them down (Swarm's enforcer does; swarmlet keeps them serving).
 */
function nodeFitsService(service: Service, nodes: ReadonlyMap<string, Node>): (node: Node) => boolean {
  const exprs = service.Spec.TaskTemplate.Placement?.Constraints ?? [];
  const updating = ['updating', 'rollback_started'].includes(service.UpdateStatus?.State ?? '');
  const fits = updating ? undefined : constraintMatcher(exprs);
  if (exprs.length === 0 || fits === undefined) return () => true;
  const somewhere = [...nodes.values()].some((n) => n.Status.State === 'ready' && n.Spec.Availability === 'active' && fits(n));
  return somewhere ? fits : () => true;
}

export function replacement(service: Service, slot: number, now: number, delayMs: number, reason: string, nodeId = ''): TaskToCreate {
  return delayMs > 0
    ? { serviceId: service.ID, slot, nodeId, desiredState: 'ready', startAfter: now + delayMs, reason }
    : { serviceId: service.ID, slot, nodeId, desiredState: 'running', reason };
}

/**
 * Swarm's scale-down choice: running slots first, lower slot numbers first; each single-task
 * assigned slot gets the index "k-th copy of this service on its node"; the slots with the
 * lowest indexes are kept, so tasks come off the most crowded nodes first.
 */
export function slotsToRemove(occupied: ReadonlyMap<number, Task | 'new'>, replicas: number): number[] {
  const entries = [...occupied.entries()].map(([slot, t]) => ({ slot, t }));
  const running = (e: { t: Task | 'new' }) => e.t !== 'new' && e.t.Status.State === 'running';
  entries.sort((a, b) => Number(running(b)) - Number(running(a)) || a.slot - b.slot);
  const perNode = new Map<string, number>();
  const ranked = entries.map((e, order) => {
    if (e.t === 'new' || !e.t.NodeID) return { slot: e.slot, index: -1, order };
    const k = perNode.get(e.t.NodeID) ?? 0;
    perNode.set(e.t.NodeID, k + 1);
    return { slot: e.slot, index: k, order };
  });
  ranked.sort((a, b) => {
    const ia = a.index < 0 ? Number.MAX_SAFE_INTEGER : a.index;
    const ib = b.index < 0 ? Number.MAX_SAFE_INTEGER : b.index;
    return ia - ib || a.order - b.order;
  });
  return ranked.slice(Math.max(0, replicas)).map((r) => r.slot);
}
