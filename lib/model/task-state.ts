/** Swarm task states in their lamport order: a task only ever moves to a greater state. */
export const TASK_STATES = [
  'new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running',
  'complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned',
] as const;

export type TaskState = (typeof TASK_STATES)[number];

const ORDER = new Map<TaskState, number>(TASK_STATES.map((s, i) => [s, i]));

export function stateRank(state: TaskState): number {
  return ORDER.get(state) ?? -1;
}

export function isTaskState(value: unknown): value is TaskState {
  return typeof value === 'string' && ORDER.has(value as TaskState);
}

/** True when `next` is a forward move from `current` (or the same state). */
export function canMoveTo(current: TaskState, next: TaskState): boolean {
  return stateRank(next) >= stateRank(current);
}

/** complete, shutdown, failed, rejected, remove, orphaned: the task's process is gone. */
export function isTerminal(state: TaskState): boolean {
  return stateRank(state) > stateRank('running');
}

/** Swarm's "active" for ranking: desired state ≤ complete. */
export function isActiveDesired(desired: TaskState): boolean {
  return stateRank(desired) <= stateRank('complete');
}
