/**
 * The scheduler's queue of tasks waiting for a node (swarmkit's `unassignedTasks`). A task is
 * `ready` (to be tried at the next scheduling pass) or `parked` (tried, fits no node, with the
 * reason written on it). Parked tasks are not tried again until something that could make them
 * placeable happens: `wakeAll` (a node joined or changed, an image appeared), `wakeService` (the
 * service changed, or one of its tasks left a node: max-replicas, host ports), or
 * `wakeResourceBound` (a task freed CPU, memory or host ports somewhere).
 */
import { stateRank } from '../model/task-state.js';
import type { Task } from '../model/types.js';

/** A task the scheduler should place: no node yet, wanted running, not yet past pending. */
export function isSchedulable(t: Task): boolean {
  return t.NodeID === '' && stateRank(t.DesiredState) <= stateRank('running')
    && stateRank(t.Status.State) <= stateRank('pending');
}

interface Parked { serviceId: string; resourceBound: boolean }

export class PendingQueue {
  private readonly ready = new Set<string>();
  private readonly parked = new Map<string, Parked>();
  private readonly parkedByService = new Map<string, Set<string>>();

  /** Tasks waiting to be tried. */
  get readyCount(): number { return this.ready.size; }
  /** Tasks tried that fit no node. */
  get parkedCount(): number { return this.parked.size; }

  isParked(taskId: string): boolean { return this.parked.has(taskId); }

  /** Follows a task's latest version (undefined: deleted): queued when schedulable, dropped otherwise. */
  observe(taskId: string, task: Task | undefined): void {
    if (task && isSchedulable(task)) {
      if (!this.parked.has(taskId)) this.ready.add(taskId);
      return;
    }
    this.ready.delete(taskId);
    this.unpark(taskId);
  }

  /** Up to `limit` ready tasks, oldest first; they stay queued until placed or parked. */
  peek(limit: number): string[] {
    const out: string[] = [];
    for (const id of this.ready) {
      if (out.length >= limit) break;
      out.push(id);
    }
    return out;
  }

  /** The task was placed (its assignment is being committed). */
  placed(taskId: string): void {
    this.ready.delete(taskId);
    this.unpark(taskId);
  }

  /** The task fits no node now: keep it out of passes until a relevant change. */
  park(taskId: string, serviceId: string, resourceBound: boolean): void {
    this.ready.delete(taskId);
    this.unpark(taskId);
    this.parked.set(taskId, { serviceId, resourceBound });
    let ids = this.parkedByService.get(serviceId);
    if (!ids) this.parkedByService.set(serviceId, (ids = new Set()));
    ids.add(taskId);
  }

  wakeAll(): void {
    for (const id of this.parked.keys()) this.ready.add(id);
    this.parked.clear();
    this.parkedByService.clear();
  }

  wakeService(serviceId: string): void {
    const ids = this.parkedByService.get(serviceId);
    if (!ids) return;
    for (const id of [...ids]) { this.unpark(id); this.ready.add(id); }
  }

  wakeResourceBound(): void {
    for (const [id, p] of this.parked) {
      if (!p.resourceBound) continue;
      this.unpark(id);
      this.ready.add(id);
    }
  }

  clear(): void {
    this.ready.clear();
    this.parked.clear();
    this.parkedByService.clear();
  }

  private unpark(taskId: string): void {
    const p = this.parked.get(taskId);
    if (!p) return;
    this.parked.delete(taskId);
    const ids = this.parkedByService.get(p.serviceId);
    ids?.delete(taskId);
    if (ids && ids.size === 0) this.parkedByService.delete(p.serviceId);
  }
}
