import { serviceModeName } from '../model/naming.js';
import type { OrchestratorPlan } from './plan.js';
import { reconcileGlobal } from './reconcile-global.js';
import { reconcileGlobalJob, reconcileReplicatedJob } from './reconcile-jobs.js';
import { reconcileReplicated, type ReplicatedInput } from './reconcile-replicated.js';

/** One orchestrator pass for a service, by its mode: replicated, global, replicated-job or global-job. */
export function reconcileService(input: ReplicatedInput): OrchestratorPlan {
  switch (serviceModeName(input.service)) {
    case 'global': return reconcileGlobal(input);
    case 'replicated-job': return reconcileReplicatedJob(input);
    case 'global-job': return reconcileGlobalJob(input);
    default: return reconcileReplicated(input);
  }
}
