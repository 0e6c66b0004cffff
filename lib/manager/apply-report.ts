import type { Task, TaskStatus } from '../model/types.js';
import { canMoveTo } from '../model/task-state.js';
import type { TaskReport } from '../protocol/task-report.js';
import type { WriteTx } from '../store/store.js';

/** Applies an agent's report about one of its tasks: forward-only, from the node it runs on. */
export function applyReport(tx: WriteTx, nodeId: string, taskId: string, report: TaskReport, now: string): void {
  const t = tx.getTask(taskId);
  if (!t || t.NodeID !== nodeId) return;
  if (t.Status.State === report.State || !canMoveTo(t.Status.State, report.State)) return;
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
