/**
 * The per-slot (replicated) and per-node (global) progress of a converging service, as the docker
 * CLI computes it (cli/command/service/progress/progress.go), as pure functions over plain data.
 */
import type { Service, Task } from '../lib/model/types.js';
import type { TaskState } from '../lib/model/task-state.js';
import { truncateId } from './format/text.js';

export interface ProgressItem {
  /** Line label: "overall progress", "1/3", a node ID, "verify", "rollback". */
  id: string;
  action: string;
  /** Bar position (TTY only). */
  bar?: { current: number; total: number };
  /** Plain (non-TTY) output prints a line when this key changes (default: the line text). */
  dedupe?: string;
}

export interface TrackerState {
  initialized: boolean;
  done: boolean;
  /** Slot number → display position 1..N, in first-seen order. */
  slotMap: Array<[number, number]>;
  /** Global jobs: the nodes with a task at the first poll (the ones waited for). */
  jobNodes?: string[];
}

export interface TrackerResult { state: TrackerState; items: ProgressItem[]; converged: boolean }

/** The docker CLI's numbered task states (progress bars count up to them). */
export const NUMBERED: Partial<Record<TaskState, number>> = {
  new: 1, allocated: 2, pending: 3, assigned: 4, accepted: 5, preparing: 6, ready: 7, starting: 8, running: 9,
  complete: 10, shutdown: 11, failed: 12, rejected: 13,
};
const MAX_PROGRESS = 9;
export const MAX_BARS = 20;
export const LONGEST_STATE = 9;

export const initialTracker = (): TrackerState => ({ initialized: false, done: false, slotMap: [] });

export const rank = (s: TaskState): number => NUMBERED[s] ?? 0;
const terminal = (s: TaskState): boolean => rank(s) > rank('running');

/** Docker's truncError: newlines flattened, at most 75 characters. */
export function truncError(message: string): string {
  const flat = message.replace(/\n/g, ' ');
  return flat.length > 75 ? `${flat.slice(0, 74)}…` : flat;
}

/** Per key, the task with the lowest desired state, then the lowest observed state. */
export function pickTasks<K>(tasks: Task[], keyOf: (t: Task) => K, skip: (t: Task) => boolean): Map<K, Task> {
  const out = new Map<K, Task>();
  for (const task of tasks) {
    if (rank(task.DesiredState) === 0 || rank(task.Status.State) === 0 || skip(task)) continue;
    const key = keyOf(task);
    const existing = out.get(key);
    if (existing) {
      const ed = rank(existing.DesiredState);
      const td = rank(task.DesiredState);
      if (ed < td || (ed === td && rank(existing.Status.State) <= rank(task.Status.State))) continue;
    }
    out.set(key, task);
  }
  return out;
}

function overall(running: number, total: number, rollback: boolean): ProgressItem {
  const action = rollback ? `rolling back update: ${running} out of ${total} tasks` : `${running} out of ${total} tasks`;
  return { id: 'overall progress', action };
}

function taskItem(id: string, task: Task, rollback: boolean): ProgressItem | undefined {
  if (task.Status.Err) return { id, action: truncError(task.Status.Err) };
  if (terminal(task.DesiredState) || terminal(task.Status.State)) return undefined;
  const state = rank(task.Status.State);
  return {
    id,
    action: task.Status.State.padEnd(LONGEST_STATE),
    bar: { current: rollback ? rank('running') - state : state, total: MAX_PROGRESS },
  };
}

const isRunning = (t: Task): boolean => !terminal(t.DesiredState) && t.Status.State === 'running';

/** Replicated services: one bar per slot (≤ 20 replicas), converged when `running == replicas`. */
export function trackReplicated(prev: TrackerState, service: Service, tasks: Task[], activeNodes: ReadonlySet<string>, rollback: boolean): TrackerResult {
  const replicas = service.Spec.Mode.Replicated?.Replicas ?? 1;
  const items: ProgressItem[] = [];
  const state: TrackerState = { ...prev, slotMap: [...prev.slotMap] };
  if (!state.initialized) {
    items.push(overall(0, replicas, rollback));
    if (replicas <= MAX_BARS) for (let i = 1; i <= replicas; i++) items.push({ id: `${i}/${replicas}`, action: '' });
    state.initialized = true;
  }
  const bySlot = pickTasks(tasks, (t) => t.Slot, (t) => t.NodeID !== '' && !activeNodes.has(t.NodeID));
  const slots = [...bySlot.entries()].sort((a, b) => a[0] - b[0]);
  if (state.done && slots.some(([, t]) => t.Status.State !== 'running')) state.done = false;
  let running = 0;
  for (const [slot, task] of slots) {
    let mapped = state.slotMap.find(([s]) => s === slot)?.[1];
    if (mapped === undefined) {
      mapped = state.slotMap.length + 1;
      state.slotMap.push([slot, mapped]);
    }
    if (isRunning(task)) running++;
    if (state.done || replicas > MAX_BARS || mapped > replicas) continue;
    const item = taskItem(`${mapped}/${replicas}`, task, rollback);
    if (item) items.push(item);
  }
  if (!state.done) {
    items.push(overall(running, replicas, rollback));
    if (running === replicas) state.done = true;
  }
  return { state, items, converged: running === replicas };
}

/** Global services: one bar per node with an up-to-date task; waits while there are none. */
export function trackGlobal(prev: TrackerState, tasks: Task[], activeNodes: ReadonlySet<string>, rollback: boolean): TrackerResult {
  // Unlike docker, tasks on down nodes and tasks being shut down (drained nodes) are not waited for.
  const byNode = pickTasks(tasks, (t) => t.NodeID, (t) => !activeNodes.has(t.NodeID) || terminal(t.DesiredState));
  const nodeCount = byNode.size;
  const items: ProgressItem[] = [];
  const state: TrackerState = { ...prev };
  if (!state.initialized) {
    if (nodeCount === 0) return { state, items: [{ id: 'overall progress', action: 'waiting for new tasks' }], converged: false };
    items.push(overall(0, nodeCount, rollback));
    state.initialized = true;
  }
  const nodes = [...byNode.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (state.done && nodes.some(([, t]) => t.Status.State !== 'running')) state.done = false;
  let running = 0;
  for (const [nodeId, task] of nodes) {
    if (isRunning(task)) running++;
    if (state.done || nodeCount > MAX_BARS) continue;
    const item = taskItem(truncateId(nodeId), task, rollback);
    if (item) items.push(item);
  }
  if (!state.done) {
    items.push(overall(running, nodeCount, rollback));
    if (running === nodeCount) state.done = true;
  }
  return { state, items, converged: running === nodeCount };
}
