import { desiredReplicas } from '../model/naming.js';
import type { Node, Service, Task } from '../model/types.js';
import { constraintMatcher } from '../model/constraints.js';
import type { TaskToCreate } from './plan.js';
import { DRAIN_LABEL } from './plan-drains.js';
import { acceptsNewTasks, isLive } from './slots.js';

/** Service label that opts a replicated service into rebalancing (`--label-add swarmlet.rebalance=true`). */
export const REBALANCE_LABEL = 'swarmlet.rebalance';
/** Task label: the node a rebalancing replacement was meant for. */
export const REBALANCE_TO_LABEL = 'swarmlet.rebalance-to';

export interface RebalanceInput {
  service: Service;
  /** Every task of the service. */
  tasks: readonly Task[];
  nodes: ReadonlyMap<string, Node>;
}

/**
 * Opt-in, paced rebalancing (Swarm never moves running tasks when a node joins or comes back,
 * moby#24103): when a replicated service with the `swarmlet.rebalance=true` label is settled and
 * the nodes that may run it differ by two tasks or more, one task moves from the most crowded node
 * toward the least crowded one. The move is start-first whatever the update order (the old task
 * serves until its replacement runs; the orchestrator then stops it), and the next move waits until
 * this one is over, so capacity never drops and at most one extra task runs.
 *
 * Settled means: no update or rollback under way or paused, exactly `Replicas` live tasks, all
 * running, one per slot. Nodes that may run it: ready, active, matching the constraints, below
 * `--replicas-max-per-node`. Services with placement preferences are left alone (the scheduler's
 * spread over labels would fight a per-node balance). When a replacement landed on a node that has
 * two tasks more than the one it was meant for (the scheduler found that node unfit: resources,
 * image), rebalancing stops for as long as that task lives, instead of moving tasks back and forth.
 *
 * Pure. Returns the replacement to create, or undefined.
 */
export function planRebalance(input: RebalanceInput): TaskToCreate | undefined {
  const { service, tasks, nodes } = input;
  if (service.Spec.Labels?.[REBALANCE_LABEL] !== 'true' || service.Spec.Mode.Replicated === undefined) return undefined;
  const update = service.UpdateStatus?.State;
  if (update !== undefined && update !== 'completed' && update !== 'rollback_completed') return undefined;
  const placement = service.Spec.TaskTemplate.Placement;
  if ((placement?.Preferences?.length ?? 0) > 0) return undefined;
  const live = tasks.filter(isLive);
  const replicas = desiredReplicas(service);
  if (replicas < 2 || live.length !== replicas || live.some((t) => t.Status.State !== 'running' || t.NodeID === '')) return undefined;
  if (new Set(live.map((t) => t.Slot)).size !== live.length) return undefined;

  const fits = constraintMatcher(placement?.Constraints ?? []);
  if (fits === undefined) return undefined;
  const maxPerNode = placement?.MaxReplicas ?? 0;
  const counts = new Map<string, number>();
  for (const node of nodes.values()) if (acceptsNewTasks(node) && fits(node)) counts.set(node.ID, 0);
  for (const t of live) if (counts.has(t.NodeID)) counts.set(t.NodeID, counts.get(t.NodeID)! + 1);
  if (counts.size < 2 || missedTarget(live, counts)) return undefined;
  // Ties go to the lower node ID, on both ends.
  const byId = [...counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const [toNode, least] = byId.reduce((best, e) => (e[1] < best[1] ? e : best));
  const [fromNode, most] = byId.reduce((best, e) => (e[1] > best[1] ? e : best));
  if (most - least < 2 || (maxPerNode > 0 && least + 1 > maxPerNode)) return undefined;
  const moving = live.filter((t) => t.NodeID === fromNode).sort((a, b) => b.Slot - a.Slot)[0]!;
  return {
    serviceId: service.ID, slot: moving.Slot, nodeId: '', desiredState: 'running',
    reason: `rebalance: moves task ${moving.ID} off the most crowded node`,
    labels: { [DRAIN_LABEL]: 'true', [REBALANCE_TO_LABEL]: toNode },
  };
}

/**
 * A replacement the scheduler put somewhere else than where it was meant to go, on a node that now
 * has two tasks more than that one (the target was unfit, or it went back): moving more would
 * only move tasks around. A node tied with the target is fine (the scheduler breaks ties its way).
 */
function missedTarget(live: readonly Task[], counts: ReadonlyMap<string, number>): boolean {
  return live.some((t) => {
    const to = t.Labels?.[REBALANCE_TO_LABEL];
    if (to === undefined || to === t.NodeID) return false;
    const target = counts.get(to);
    const landed = counts.get(t.NodeID);
    return target !== undefined && landed !== undefined && landed > target + 1;
  });
}
