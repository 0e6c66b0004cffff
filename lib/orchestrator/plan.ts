import type { TaskState } from '../model/task-state.js';

/** A new task the orchestrator wants; the applier gives it an ID and builds it from the service spec. */
export interface TaskToCreate {
  serviceId: string;
  slot: number;
  /** '' for replicated tasks (the scheduler places them), the node for global tasks. */
  nodeId: string;
  desiredState: 'running' | 'ready';
  /** For desired 'ready': when the task may start (restart delay). */
  startAfter?: number;
  /** Labels for the new task (e.g. `swarmlet.drain`, `swarmlet.waitForOld`). */
  labels?: Record<string, string>;
  reason: string;
}

/** What an orchestrator pass decided: plain data, applied in one transaction. */
export interface OrchestratorPlan {
  create: TaskToCreate[];
  setDesired: Array<{ taskId: string; desiredState: TaskState; reason: string }>;
  /** Task IDs to delete from the store (reaped history, removed tasks that have stopped). */
  remove: string[];
  /** Tasks that never reached a node and will not: mark their observed state directly. */
  markState: Array<{ taskId: string; state: TaskState; message: string }>;
}

export function emptyPlan(): OrchestratorPlan {
  return { create: [], setDesired: [], remove: [], markState: [] };
}

export function isEmptyPlan(p: OrchestratorPlan): boolean {
  return p.create.length === 0 && p.setDesired.length === 0 && p.remove.length === 0 && p.markState.length === 0;
}

export function mergePlans(plans: OrchestratorPlan[]): OrchestratorPlan {
  const out = emptyPlan();
  for (const p of plans) {
    out.create.push(...p.create);
    out.setDesired.push(...p.setDesired);
    out.remove.push(...p.remove);
    out.markState.push(...p.markState);
  }
  return out;
}
