import { invalid } from '../errors.js';
import type { Service } from './types.js';

/** Swarm's rule for `service scale`: only replicated services and replicated jobs have a count. */
export function checkScalable(service: Service, ref: string): void {
  if (!service.Spec.Mode.Replicated && !service.Spec.Mode.ReplicatedJob) {
    throw invalid(`${ref}: scale can only be used with replicated or replicated-job mode`, 'replicas');
  }
}
