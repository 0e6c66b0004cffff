import type { RestartPolicy, Task } from '../model/types.js';

export type RestartDecision =
  | { restart: true; delayMs: number }
  | { restart: false; reason: string };

const SELF_ENDED = new Set(['complete', 'failed', 'rejected']);

/**
 * Swarm's restart supervisor decision for a task that ended while meant to run.
 * `history` is every task of the same slot (the ended task included).
 * Attempts count per slot and reset when the spec version changes; `window` limits them in time.
 */
export function decideRestart(task: Task, history: Task[], policy: Required<RestartPolicy>, now: number): RestartDecision {
  if (policy.Condition === 'none') return { restart: false, reason: 'restart condition is none' };
  if (policy.Condition === 'on-failure' && task.Status.State === 'complete') {
    return { restart: false, reason: 'task completed and restart condition is on-failure' };
  }
  if (policy.MaxAttempts > 0) {
    const windowMs = policy.Window / 1e6;
    const version = task.SpecVersion?.Index ?? 0;
    const attempts = history.filter((h) =>
      SELF_ENDED.has(h.Status.State) &&
      (h.SpecVersion?.Index ?? 0) === version &&
      (windowMs <= 0 || Date.parse(h.Status.Timestamp) >= now - windowMs)).length;
    if (attempts > policy.MaxAttempts) {
      return { restart: false, reason: `restart max attempts (${policy.MaxAttempts}) reached` };
    }
  }
  return { restart: true, delayMs: Math.max(0, Math.round(policy.Delay / 1e6)) };
}
