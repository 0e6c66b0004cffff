/**
 * The progress of a job service (replicated-job, global-job) as the docker CLI draws it
 * (cli/command/service/progress/progress.go: replicatedJobProgressUpdater, globalJobProgressUpdater),
 * as pure functions: only tasks of the service's current JobIteration count; done once every slot
 * (or every node that had a task at the start) holds a completed task.
 */
import type { Service, Task } from '../lib/model/types.js';
import { LONGEST_STATE, MAX_BARS, rank, truncError, type ProgressItem, type TrackerState } from './progress-slots.js';

export interface JobTrackerResult { state: TrackerState; items: ProgressItem[]; converged: boolean }

const MAX_JOB_PROGRESS = 10;

/** Tasks of the current iteration in known states, one per key: the one with the lower observed state. */
function pickJobTasks<K>(service: Service, tasks: Task[], keyOf: (t: Task) => K): Map<K, Task> {
  const iteration = service.JobStatus?.JobIteration.Index;
  const out = new Map<K, Task>();
  for (const t of tasks) {
    if (iteration === undefined || t.JobIteration?.Index !== iteration) continue;
    if (rank(t.DesiredState) === 0 || rank(t.Status.State) === 0) continue;
    const existing = out.get(keyOf(t));
    if (!existing || rank(existing.Status.State) > rank(t.Status.State)) out.set(keyOf(t), t);
  }
  return out;
}

function taskItem(id: string, task: Task): ProgressItem {
  if (task.Status.Err) return { id, action: truncError(task.Status.Err) };
  return { id, action: task.Status.State.padEnd(LONGEST_STATE), bar: { current: rank(task.Status.State), total: MAX_JOB_PROGRESS } };
}

function jobProgress(completed: number, total: number): ProgressItem {
  const width = String(total).length;
  return { id: 'job progress', action: `${String(completed).padStart(width)} out of ${total} complete`, bar: { current: completed, total } };
}

/** Replicated job: "job progress" (completed out of total), "active tasks", and one bar per slot (≤ 20). */
export function trackReplicatedJob(prev: TrackerState, service: Service, tasks: Task[]): JobTrackerResult {
  const job = service.Spec.Mode.ReplicatedJob ?? {};
  const concurrent = job.MaxConcurrent ?? 1;
  const total = job.TotalCompletions ?? concurrent;
  const items: ProgressItem[] = [];
  const state: TrackerState = { ...prev };
  if (!state.initialized) {
    items.push(...overall(0, 0, total, concurrent));
    if (total <= MAX_BARS) for (let i = 1; i <= total; i++) items.push({ id: `${i}/${total}`, action: '' });
    state.initialized = true;
  }
  const bySlot = [...pickJobTasks(service, tasks, (t) => t.Slot).entries()].sort((a, b) => a[0] - b[0]);
  let active = 0;
  let completed = 0;
  for (const [slot, task] of bySlot) {
    if (total <= MAX_BARS) items.push(taskItem(`${slot + 1}/${total}`, task));
    if (rank(task.Status.State) < rank('complete')) active++;
    if (task.Status.State === 'complete') completed++;
  }
  items.push(...overall(active, completed, total, concurrent));
  return { state, items, converged: completed === total };
}

function overall(active: number, completed: number, total: number, concurrent: number): ProgressItem[] {
  const width = String(concurrent).length;
  const desired = Math.min(total - completed, concurrent);
  return [
    jobProgress(completed, total),
    { id: 'active tasks', action: `${String(active).padStart(width)} out of ${String(desired).padStart(width)} tasks` },
  ];
}

/**
 * Global job: the nodes that have a task of the current iteration at the first poll are the job
 * (nodes joining later are not waited for); one bar per node (≤ 20), done when all completed.
 */
export function trackGlobalJob(prev: TrackerState, service: Service, tasks: Task[], activeNodes: ReadonlySet<string>): JobTrackerResult {
  const state: TrackerState = { ...prev };
  const items: ProgressItem[] = [];
  if (!state.initialized) {
    if (tasks.length === 0 && activeNodes.size > 0) {
      return { state, items: [{ id: 'job progress', action: 'waiting for tasks' }], converged: false };
    }
    state.jobNodes = [...pickJobTasks(service, tasks, (t) => t.NodeID).keys()].sort();
    state.initialized = true;
    items.push(jobProgress(0, state.jobNodes.length));
  }
  const nodes = new Set(state.jobNodes ?? []);
  const byNode = [...pickJobTasks(service, tasks.filter((t) => nodes.has(t.NodeID)), (t) => t.NodeID).entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let completed = 0;
  for (const [nodeId, task] of byNode) {
    if (nodes.size <= MAX_BARS) items.push(taskItem(nodeId, task));
    if (task.Status.State === 'complete') completed++;
  }
  items.push(jobProgress(completed, nodes.size));
  return { state, items, converged: completed === nodes.size };
}
