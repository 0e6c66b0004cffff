import { notFound } from '../errors.js';
import { taskDisplayName, taskFullName } from '../model/naming.js';
import type { Task } from '../model/types.js';
import type { ReadTx } from '../store/store.js';
import { resolveRef } from './resolve.js';

/**
 * A task by full ID, full name (`web.1.<id>`), unique ID prefix — and, better than Swarm
 * (moby#28945), by its display name `web.1` (or `web.<nodeID>` for global tasks): the slot's
 * current task (the newest one meant to run, else the newest).
 */
export function findTask(tx: ReadTx, ref: string): Task {
  const tasks = tx.listTasks();
  const name = (t: Task) => { const s = tx.getService(t.ServiceID); return s ? taskFullName(s.Spec.Name, t) : undefined; };
  try {
    return resolveRef('task', ref, tasks, (t) => t.ID, name);
  } catch (e) {
    const byDisplay = tasks.filter((t) => { const s = tx.getService(t.ServiceID); return s !== undefined && taskDisplayName(s.Spec.Name, t) === ref; });
    if (byDisplay.length === 0) throw e;
    byDisplay.sort((a, b) => (a.CreatedAt < b.CreatedAt ? 1 : a.CreatedAt > b.CreatedAt ? -1 : 0));
    const current = byDisplay.find((t) => t.DesiredState === 'running' || t.DesiredState === 'ready');
    return current ?? byDisplay[0] ?? (() => { throw notFound('task', ref); })();
  }
}
