import { effectiveRestartPolicy } from '../model/defaults.js';
import type { Node, Service, Task } from '../model/types.js';
import { matchConstraints, parseConstraints } from '../model/constraints.js';
import { emptyPlan, type OrchestratorPlan } from './plan.js';
import { decideRestart } from './restart-policy.js';
import { endedWhileDesired, isLive, newestFirst } from './slots.js';

export interface GlobalInput {
  service: Service;
  tasks: Task[];
  nodes: ReadonlyMap<string, Node>;
  now: number;
}

/**
 * One reconcile pass for a global service: one task on every ready, non-drained node that meets
 * the constraints. Paused nodes keep their task but get no new one, and a task that fails there
 * is not restarted. Tasks on nodes that are gone, down, drained or no longer match are shut down.
 */
export function reconcileGlobal(input: GlobalInput): OrchestratorPlan {
  const { service, nodes, now } = input;
  const plan = emptyPlan();
  const policy = effectiveRestartPolicy(service.Spec.TaskTemplate);
  const constraints = parseConstraints(service.Spec.TaskTemplate.Placement?.Constraints ?? []);
  const byNode = new Map<string, Task[]>();
  for (const t of input.tasks) {
    const list = byNode.get(t.NodeID) ?? [];
    list.push(t);
    byNode.set(t.NodeID, list);
  }
  for (const [nodeId, history] of byNode) {
    history.sort(newestFirst);
    const node = nodes.get(nodeId);
    const fits = node !== undefined && node.Status.State !== 'down' && node.Spec.Availability !== 'drain'
      && matchConstraints(node, constraints);
    let kept = false;
    const live = history.filter(isLive);
    for (const t of live) {
      if (!fits) {
        plan.setDesired.push({ taskId: t.ID, desiredState: 'shutdown', reason: 'node no longer eligible' });
      } else if (kept) {
        // An older task of this node (start-first update) goes once the newest runs.
        if (live[0]!.Status.State === 'running') plan.setDesired.push({ taskId: t.ID, desiredState: 'shutdown', reason: 'replaced by a running task' });
      } else if (endedWhileDesired(t)) {
        if (node.Spec.Availability === 'pause') {
          plan.setDesired.push({ taskId: t.ID, desiredState: 'shutdown', reason: 'not restarted on a paused node' });
          kept = true;
          continue;
        }
        const d = decideRestart(t, history, policy, now);
        if (d.restart) {
          plan.setDesired.push({ taskId: t.ID, desiredState: 'shutdown', reason: 'restarting' });
          const delayMs = t.Status.State === 'shutdown' ? 0 : d.delayMs; // stopped by the system: no back-off
          plan.create.push(delayMs > 0
            ? { serviceId: service.ID, slot: 0, nodeId, desiredState: 'ready', startAfter: now + delayMs, reason: `restart of ${t.ID}` }
            : { serviceId: service.ID, slot: 0, nodeId, desiredState: 'running', reason: `restart of ${t.ID}` });
        }
        kept = true;
      } else {
        kept = true;
      }
    }
    if (kept) byNode.set(nodeId, history); // node served
    else byNode.delete(nodeId);
  }
  for (const node of nodes.values()) {
    if (byNode.has(node.ID)) continue;
    if (node.Status.State !== 'ready' || node.Spec.Availability !== 'active') continue;
    if (!matchConstraints(node, constraints)) continue;
    plan.create.push({ serviceId: service.ID, slot: 0, nodeId: node.ID, desiredState: 'running', reason: 'node joined' });
  }
  return plan;
}
