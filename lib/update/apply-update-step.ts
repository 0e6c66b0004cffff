import { isoTime } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import { OLD_TASK_TIMEOUT_MS } from '../model/defaults.js';
import { newTask } from '../model/new-task.js';
import { stateRank } from '../model/task-state.js';
import type { Service } from '../model/types.js';
import type { WriteTx } from '../store/store.js';
import type { UpdateStep } from './plan-update-step.js';

/** Applies one updater step in the caller's transaction. */
export function applyUpdateStep(tx: WriteTx, service: Service, step: UpdateStep, now: number, ids: IdGenerator): void {
  const shutdown = (id: string) => {
    const t = tx.getTask(id);
    if (t && stateRank(t.DesiredState) < stateRank('shutdown')) tx.putTask({ ...t, DesiredState: 'shutdown' });
  };
  for (const id of step.shutdown) shutdown(id);
  for (const r of step.replace) {
    const base = { id: ids.next(), service, slot: r.slot, nodeId: r.nodeId, now };
    if (r.order === 'start-first') {
      tx.putTask(newTask({ ...base, desiredState: 'running' }));
    } else {
      for (const id of r.oldTaskIds) shutdown(id);
      const t = newTask({ ...base, desiredState: 'ready', startAfter: now + OLD_TASK_TIMEOUT_MS });
      t.Labels = { ...t.Labels, 'swarmlet.waitForOld': 'true' };
      tx.putTask(t);
    }
  }
  if (!step.status) return;
  const current = tx.getService(service.ID) ?? service;
  if (step.rollback && current.PreviousSpec) {
    const { PreviousSpec, ...rest } = current;
    tx.putService({
      ...rest,
      Spec: PreviousSpec,
      SpecVersion: { Index: (current.SpecVersion?.Index ?? 0) + 1 },
      UpdateStatus: { ...step.status, StartedAt: isoTime(now) },
    });
  } else {
    tx.putService({ ...current, UpdateStatus: step.status });
  }
}
