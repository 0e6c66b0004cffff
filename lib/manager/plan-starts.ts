import { isTerminal } from '../model/task-state.js';
import type { Task } from '../model/types.js';

/**
 * Tasks waiting in desired state `ready` start (desired → running) once their StartAfter time has
 * passed, or, for a stop-first replacement, as soon as every other task of their slot has stopped
 * (or sits on a node that is down).
 */
export function planStarts(tasks: Task[], now: number, downNodes: ReadonlySet<string> = new Set()): { start: string[]; wakeAt?: number } {
  if (!tasks.some((t) => t.DesiredState === 'ready')) return { start: [] }; // nothing waits: skip grouping every task
  const bySlot = new Map<string, Task[]>();
  for (const t of tasks) {
    const key = `${t.ServiceID}/${t.Slot > 0 ? t.Slot : t.NodeID}`;
    const list = bySlot.get(key) ?? [];
    list.push(t);
    bySlot.set(key, list);
  }
  const start: string[] = [];
  let wakeAt: number | undefined;
  for (const t of tasks) {
    if (t.DesiredState !== 'ready') continue;
    const due = t.StartAfter === undefined || t.StartAfter <= now;
    const waitsForOld = t.Labels?.['swarmlet.waitForOld'] === 'true';
    const others = (bySlot.get(`${t.ServiceID}/${t.Slot > 0 ? t.Slot : t.NodeID}`) ?? []).filter((o) => o.ID !== t.ID);
    const oldGone = others.every((o) => isTerminal(o.Status.State) || o.NodeID === '' || o.Status.State === 'pending' || downNodes.has(o.NodeID));
    if (due || (waitsForOld && oldGone)) start.push(t.ID);
    else if (t.StartAfter !== undefined) wakeAt = wakeAt === undefined ? t.StartAfter : Math.min(wakeAt, t.StartAfter);
  }
  return wakeAt === undefined ? { start } : { start, wakeAt };
}
