import { isTaskDirty } from '../model/normalize-spec.js';
import type { Service, Task } from '../model/types.js';

/**
 * Swarm's "not dirty": the task was made from the service's current spec version, or its TaskSpec
 * equals the current one (normalised). So a rollback leaves alone the tasks that already run the
 * restored spec, and a change that only moves a published port restarts nothing.
 */
export function isUpToDate(service: Service, task: Task): boolean {
  if ((task.SpecVersion?.Index ?? 0) === (service.SpecVersion?.Index ?? 0)) return true;
  return !isTaskDirty(service.Spec, task.Spec);
}

/**
 * isUpToDate for many tasks of one service: tasks made from the same spec version share their
 * TaskSpec, so one comparison per version answers for all of them (an update of a service with a
 * million tasks compares a handful of specs, not a million).
 */
export function upToDateChecker(service: Service): (task: Task) => boolean {
  const byVersion = new Map<number, boolean>();
  return (task) => {
    const v = task.SpecVersion?.Index;
    if (v === undefined) return isUpToDate(service, task);
    let up = byVersion.get(v);
    if (up === undefined) byVersion.set(v, (up = isUpToDate(service, task)));
    return up;
  };
}
