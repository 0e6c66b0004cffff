import type { Task, TaskStatus } from '../model/types.js';
import { canMoveTo } from '../model/task-state.js';
import type { TaskReport } from '../protocol/task-report.js';
import type { WriteTx } from '../store/store.js';

/**
 * Applies an agent's report about one of its tasks: forward-only, from the node it runs on. A report
 * of the state the task is in changes nothing, but for a STARTING task's reason (see restate).
 */
export function applyReport(tx: WriteTx, nodeId: string, taskId: string, report: TaskReport, now: string): void {
  const t = tx.getTask(taskId);
  if (!t || t.NodeID !== nodeId) return;
  if (t.Status.State === report.State) {
    if (report.State === 'starting') restate(tx, t, report);
    return;
  }
  if (!canMoveTo(t.Status.State, report.State)) return;
  const status: TaskStatus = { Timestamp: now, State: report.State };
  if (report.Message) status.Message = report.Message;
  if (report.Err) status.Err = report.Err;
  if (report.Health) status.Health = report.Health;
  const ports = report.PortStatus ?? t.Status.PortStatus;
  if (ports) status.PortStatus = ports;
  const cs = report.ContainerStatus ?? t.Status.ContainerStatus;
  if (cs) status.ContainerStatus = cs;
  const next: Task = { ...t, Status: status };
  if (report.Endpoint) next.Endpoint = report.Endpoint;
  if (report.State === 'running' && !t.RunningAt) next.RunningAt = now;
  tx.putTask(next);
}

/**
 * A STARTING task's agent says what it still waits for (the task does not listen yet): the message
 * and reason change (and the PID, once known), the state and its Timestamp (the "Starting 30 seconds ago" of `service ps`) do not.
 */
function restate(tx: WriteTx, t: Task, report: TaskReport): void {
  if ((t.Status.Message ?? '') === (report.Message ?? '') && (t.Status.Err ?? '') === (report.Err ?? '')) return;
  const { Message: _m, Err: _e, ...rest } = t.Status;
  const cs = report.ContainerStatus ?? t.Status.ContainerStatus;
  const status: TaskStatus = { ...rest, ...(report.Message ? { Message: report.Message } : {}), ...(report.Err ? { Err: report.Err } : {}), ...(cs ? { ContainerStatus: cs } : {}) };
  tx.putTask({ ...t, Status: status });
}
