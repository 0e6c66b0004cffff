/**
 * What a batch of committed store events means for the manager's work (pure): which services to
 * reconcile, and which waiting tasks may have become placeable. Only changes that can alter a
 * plan count: a task's Err text or a node's heartbeat-free fields do not make work.
 */
import { isActiveDesired, isTerminal, stateRank } from '../model/task-state.js';
import type { Node, Task } from '../model/types.js';
import type { StoreEvent } from '../store/store.js';

export interface ChangeEffects {
  /** Services to reconcile (updater, orchestrator, reaper, delayed starts). */
  services: Set<string>;
  /**
   * Of those, the ones marked only because tasks moved forward on their way to running (assigned,
   * starting, running): a huge service's reconcile may wait a little for these.
   */
  progressOnly: Set<string>;
  /** A node changed in a way orchestrators care about: reconcile every service. */
  allServices: boolean;
  /** Waiting tasks of every service may fit now (a node or an image changed). */
  wakeAll: boolean;
  /** Waiting tasks of these services may fit now (their service changed, or one of their tasks left a node). */
  wakeServices: Set<string>;
  /** Waiting tasks that need resources or host ports may fit now (a task freed some). */
  wakeResourceBound: boolean;
  /** The latest version of every task that changed (undefined: deleted), for the scheduler's queue. */
  tasks: Map<string, Task | undefined>;
}

/** The fields of a node that filters, constraints (node.ip, node.hostname, engine.labels), orchestrators and the constraint enforcer read. */
export function nodeSchedulingKey(n: Node): string {
  return JSON.stringify([n.Spec.Availability, n.Spec.Role, n.Spec.Labels ?? {}, n.Status.State, n.Status.Addr ?? null,
    n.Description.Hostname, n.Description.Engine?.Labels ?? null,
    n.Description.Resources ?? null, n.Description.Platform ?? null, n.Description.Images ?? null, n.Description.Driver ?? null]);
}

/** True when a task change can alter an orchestrator's or the updater's plan. */
export function changesOrchestration(old: Task, next: Task): boolean {
  return old.Status.State !== next.Status.State || old.DesiredState !== next.DesiredState || old.NodeID !== next.NodeID
    || old.RunningAt !== next.RunningAt || old.StartAfter !== next.StartAfter
    || JSON.stringify(old.Status.Health ?? null) !== JSON.stringify(next.Status.Health ?? null)
    || JSON.stringify(old.Labels ?? null) !== JSON.stringify(next.Labels ?? null)
    || old.JobIteration?.Index !== next.JobIteration?.Index;
}

/** A task moved forward towards running and nothing else that planners read changed. */
export function isProgress(old: Task, next: Task): boolean {
  return old.DesiredState === next.DesiredState && old.NodeID === next.NodeID && !isTerminal(next.Status.State)
    && stateRank(next.Status.State) > stateRank(old.Status.State) && old.StartAfter === next.StartAfter
    && (next.Status.Health ?? 'none') !== 'unhealthy'
    && JSON.stringify(old.Labels ?? null) === JSON.stringify(next.Labels ?? null)
    && old.JobIteration?.Index === next.JobIteration?.Index;
}

/** The task holds CPU, memory and host ports on its node: assigned and not yet stopped. */
function holdsResources(t: Task): boolean {
  return t.NodeID !== '' && !isTerminal(t.Status.State);
}

export function classifyChanges(events: readonly StoreEvent[]): ChangeEffects {
  const fx: ChangeEffects = {
    services: new Set(), progressOnly: new Set(), allServices: false, wakeAll: false, wakeServices: new Set(), wakeResourceBound: false, tasks: new Map(),
  };
  for (const e of events) {
    switch (e.kind) {
      case 'service':
        fx.services.add(e.id);
        fx.wakeServices.add(e.id);
        break;
      case 'image':
        fx.wakeAll = true;
        break;
      case 'node': {
        const old = e.old as Node | undefined;
        if (e.action !== 'update' || !old || nodeSchedulingKey(old) !== nodeSchedulingKey(e.object as Node)) {
          fx.allServices = true;
          fx.wakeAll = true;
        }
        break;
      }
      case 'task': {
        const next = e.action === 'delete' ? undefined : (e.object as Task);
        const old = e.action === 'create' ? undefined : ((e.old ?? e.object) as Task);
        const serviceId = (next ?? old)!.ServiceID;
        fx.tasks.set(e.id, next);
        if (!old || !next || changesOrchestration(old, next)) {
          const progress = old !== undefined && next !== undefined && isProgress(old, next);
          if (progress && !fx.services.has(serviceId)) fx.progressOnly.add(serviceId);
          if (!progress) fx.progressOnly.delete(serviceId);
          fx.services.add(serviceId);
        }
        if (!old) break;
        const freed = holdsResources(old) && (!next || !holdsResources(next) || next.NodeID !== old.NodeID);
        if (freed) fx.wakeResourceBound = true;
        if (freed || (isActiveDesired(old.DesiredState) && (!next || !isActiveDesired(next.DesiredState)))) fx.wakeServices.add(old.ServiceID);
        break;
      }
    }
  }
  return fx;
}
