import { isTerminal, stateRank } from '../model/task-state.js';
import type { Node, Task } from '../model/types.js';

/** Desired state ≤ running: the task is meant to exist (running, or ready to start). */
export function isLive(t: Task): boolean {
  return stateRank(t.DesiredState) <= stateRank('running');
}

/** Newest first by CreatedAt, then ID for determinism. */
export function newestFirst(a: Task, b: Task): number {
  return a.CreatedAt < b.CreatedAt ? 1 : a.CreatedAt > b.CreatedAt ? -1 : a.ID < b.ID ? 1 : -1;
}

/** Groups tasks by slot (replicated) or node (global, slot 0). */
export function groupBySlot(tasks: Task[]): Map<string, Task[]> {
  const out = new Map<string, Task[]>();
  for (const t of tasks) {
    const key = t.Slot > 0 ? `s${t.Slot}` : `n${t.NodeID}`;
    let list = out.get(key);
    if (!list) out.set(key, (list = []));
    list.push(t);
  }
  for (const list of out.values()) list.sort(newestFirst);
  return out;
}

/** A node where tasks may not keep running: gone, down or drained (Swarm's InvalidNode). */
export function isInvalidNode(node: Node | undefined): boolean {
  return !node || node.Status.State === 'down' || node.Spec.Availability === 'drain';
}

/** A node that accepts new tasks. */
export function acceptsNewTasks(node: Node): boolean {
  return node.Status.State === 'ready' && node.Spec.Availability === 'active';
}

/** The task ended on its own while meant to run (complete, failed, rejected …). */
export function endedWhileDesired(t: Task): boolean {
  return isLive(t) && isTerminal(t.Status.State);
}
