import { isoTime } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import { newTask } from '../model/new-task.js';
import { canMoveTo, stateRank } from '../model/task-state.js';
import type { WriteTx } from '../store/store.js';
import type { OrchestratorPlan } from './plan.js';

/** Applies an orchestrator plan inside one store transaction. */
export function applyOrchestratorPlan(tx: WriteTx, plan: OrchestratorPlan, now: number, ids: IdGenerator): void {
  for (const s of plan.setDesired) {
    const t = tx.getTask(s.taskId);
    if (!t || stateRank(s.desiredState) <= stateRank(t.DesiredState)) continue;
    tx.putTask({ ...t, DesiredState: s.desiredState });
  }
  for (const c of plan.create) {
    const service = tx.getService(c.serviceId);
    if (!service) continue;
    const p = { id: ids.next(), service, slot: c.slot, nodeId: c.nodeId, desiredState: c.desiredState, now };
    const t = newTask(c.startAfter !== undefined ? { ...p, startAfter: c.startAfter } : p);
    if (c.labels) t.Labels = { ...t.Labels, ...c.labels };
    if (service.JobStatus) t.JobIteration = { Index: service.JobStatus.JobIteration.Index };
    tx.putTask(t);
  }
  for (const m of plan.markState) {
    const t = tx.getTask(m.taskId);
    if (!t || !canMoveTo(t.Status.State, m.state) || t.Status.State === m.state) continue;
    tx.putTask({ ...t, Status: { ...t.Status, State: m.state, Message: m.message, Timestamp: isoTime(now) } });
  }
  for (const id of plan.remove) tx.deleteTask(id);
}
