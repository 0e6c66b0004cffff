import { emptyPlan, type OrchestratorPlan } from './plan.js';

/**
 * At most `budget` operations of `plan` (a large scale, creation or removal is applied in
 * slices that yield to the event loop). Safe because reconciling is level-triggered: the next
 * pass plans the rest from the state the applied slice left.
 */
export function limitPlan(plan: OrchestratorPlan, budget: number): { plan: OrchestratorPlan; truncated: boolean } {
  const size = plan.create.length + plan.setDesired.length + plan.remove.length + plan.markState.length;
  if (size <= budget) return { plan, truncated: false };
  const out = emptyPlan();
  let left = Math.max(0, budget);
  const take = <T>(from: T[], into: T[]) => {
    const n = Math.min(left, from.length);
    for (let i = 0; i < n; i++) into.push(from[i]!);
    left -= n;
  };
  // Stops before starts: a scale-down or a replacement frees room before anything new is made.
  take(plan.setDesired, out.setDesired);
  take(plan.markState, out.markState);
  take(plan.remove, out.remove);
  take(plan.create, out.create);
  return { plan: out, truncated: true };
}
