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
