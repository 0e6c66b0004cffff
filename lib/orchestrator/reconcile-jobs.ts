import { jobRestartPolicy } from '../model/defaults.js';
import { inCurrentIteration } from '../model/naming.js';
import { isTerminal } from '../model/task-state.js';
import type { Node, RestartPolicy, Service, Task } from '../model/types.js';
import { matchConstraints, parseConstraints } from '../model/constraints.js';
import { emptyPlan, type OrchestratorPlan } from './plan.js';
import { decideRestart } from './restart-policy.js';
import { replacement } from './reconcile-replicated.js';
import { acceptsNewTasks, isInvalidNode, isLive, newestFirst } from './slots.js';

export interface JobInput {
  service: Service;
  /** Every task of the service, every iteration. */
  tasks: Task[];
  nodes: ReadonlyMap<string, Node>;
  now: number;
}

/**
 * What a slot (replicated job) or a node (global job) of the current iteration holds after a pass:
 * a completed task, a task meant to run (or its restart), a failed task that is not restarted
 * (restart condition none, max attempts), or nothing.
 */
export type JobUnitState = 'complete' | 'active' | 'stopped' | 'free';

interface UnitRules {
  plan: OrchestratorPlan;
  policy: Required<RestartPolicy>;
  now: number;
  /** The task's node can no longer hold it (down, gone, drained …). */
  lost: (t: Task) => boolean;
  /** Replaces a lost task; false when it is not replaced (global jobs). */
  replaceLost: (t: Task) => boolean;
  /** Starts a restart of an ended task after `delayMs`. */
  restart: (t: Task, delayMs: number) => void;
  /** A task that ended here is not restarted (paused node). */
  keepEnded?: (t: Task) => boolean;
}

/**
 * swarmkit's jobs orchestrators (manager/orchestrator/jobs) as a pure planner. A replicated job runs
 * tasks in slots 0..TotalCompletions-1 (0-based, as swarmkit and the docker CLI's job progress
 * expect), at most MaxConcurrent at once, until every slot holds a completed task. Failed tasks are
 * restarted by the restart policy (`any` behaves like `on-failure`). Tasks of earlier iterations
 * (JobStatus.JobIteration) are shut down. Applying the plan and planning again gives an empty plan.
 */
export function reconcileReplicatedJob(input: JobInput): OrchestratorPlan {
  const { service, nodes, now } = input;
  const plan = emptyPlan();
  const job = service.Spec.Mode.ReplicatedJob ?? {};
  const concurrent = job.MaxConcurrent ?? 1;
  const total = job.TotalCompletions ?? concurrent;
  const create = (slot: number, delayMs: number, reason: string) => plan.create.push(replacement(service, slot, now, delayMs, reason));
  const rules: UnitRules = {
    plan, now, policy: jobRestartPolicy(service.Spec.TaskTemplate),
    lost: (t) => t.NodeID !== '' && isInvalidNode(nodes.get(t.NodeID)),
    replaceLost: (t) => { create(t.Slot, 0, 'replaces a job task on a lost node'); return true; },
    restart: (t, delayMs) => create(t.Slot, delayMs, `restart of ${t.ID}`),
  };
  const used = new Set<number>();
  let active = 0;
  for (const [slot, history] of groupTasks(currentTasks(plan, service, input.tasks), (t) => t.Slot)) {
    const state = planJobUnit(rules, history);
    if (state === 'free') continue;
    used.add(slot);
    if (state === 'active') active++;
  }
  let room = Math.min(concurrent - active, total - used.size);
  for (let slot = 0; room > 0 && slot < total; slot++) {
    if (used.has(slot)) continue;
    create(slot, 0, 'job task');
    used.add(slot);
    room--;
  }
  return plan;
}

/**
 * A global job: one task per ready, active node that meets the constraints, once per iteration; a
 * node whose task completed gets no other, a node that joins later gets one. Tasks on nodes that are
 * down, gone, drained or no longer match are shut down; a task that fails on a paused node stays failed.
 */
export function reconcileGlobalJob(input: JobInput): OrchestratorPlan {
  const { service, nodes, now } = input;
  const plan = emptyPlan();
  const constraints = parseConstraints(service.Spec.TaskTemplate.Placement?.Constraints ?? []);
  const holds = (n: Node | undefined) => n !== undefined && n.Status.State !== 'down' && n.Spec.Availability !== 'drain'
    && matchConstraints(n, constraints);
  const rules: UnitRules = {
    plan, now, policy: jobRestartPolicy(service.Spec.TaskTemplate),
    lost: (t) => !holds(nodes.get(t.NodeID)),
    replaceLost: () => false,
    restart: (t, delayMs) => plan.create.push(replacement(service, 0, now, delayMs, `restart of ${t.ID}`, t.NodeID)),
    keepEnded: (t) => nodes.get(t.NodeID)?.Spec.Availability === 'pause',
  };
  const served = new Set<string>();
  for (const [nodeId, history] of groupTasks(currentTasks(plan, service, input.tasks), (t) => t.NodeID)) {
    if (planJobUnit(rules, history) !== 'free') served.add(nodeId);
  }
  for (const node of nodes.values()) {
    if (served.has(node.ID) || !acceptsNewTasks(node) || !matchConstraints(node, constraints)) continue;
    plan.create.push(replacement(service, 0, now, 0, 'job task for node', node.ID));
  }
  return plan;
}

/** Shuts down the live tasks of earlier iterations; returns the tasks of the current one. */
function currentTasks(plan: OrchestratorPlan, service: Service, tasks: Task[]): Task[] {
  const current: Task[] = [];
  for (const t of tasks) {
    if (inCurrentIteration(service, t)) current.push(t);
    else if (isLive(t)) plan.setDesired.push({ taskId: t.ID, desiredState: 'shutdown', reason: 'job iteration ended' });
  }
  return current;
}

/** Groups tasks by key, each group newest first. */
export function groupTasks<K>(tasks: readonly Task[], keyOf: (t: Task) => K): Map<K, Task[]> {
  const out = new Map<K, Task[]>();
  for (const t of tasks) {
    const list = out.get(keyOf(t)) ?? [];
    list.push(t);
    out.set(keyOf(t), list);
  }
  for (const list of out.values()) list.sort(newestFirst);
  return out;
}

/**
 * One slot's or node's tasks of the current iteration (newest first): a completed task settles it
 * (its desired state becomes `complete`, like swarmkit's job tasks, and any other live task goes);
 * otherwise the newest live task is kept, replaced when its node is lost, or restarted per policy.
 */
export function planJobUnit(rules: UnitRules, history: Task[]): JobUnitState {
  const { plan } = rules;
  const done = history.find((t) => t.Status.State === 'complete');
  if (done) {
    for (const t of history.filter(isLive)) {
      plan.setDesired.push(t === done
        ? { taskId: t.ID, desiredState: 'complete', reason: 'job task completed' }
        : { taskId: t.ID, desiredState: 'shutdown', reason: 'job slot already completed' });
    }
    return 'complete';
  }
  const [newest, ...older] = history.filter(isLive);
  for (const t of older) plan.setDesired.push({ taskId: t.ID, desiredState: 'shutdown', reason: 'replaced by a newer task' });
  if (!newest) return 'free';
  if (rules.lost(newest)) {
    plan.setDesired.push({ taskId: newest.ID, desiredState: 'shutdown', reason: 'node is down, drained or no longer eligible' });
    return rules.replaceLost(newest) ? 'active' : 'free';
  }
  if (!isTerminal(newest.Status.State)) return 'active';
  if (rules.keepEnded?.(newest)) return 'stopped';
  const d = decideRestart(newest, history, rules.policy, rules.now);
  if (!d.restart) return 'stopped';
  plan.setDesired.push({ taskId: newest.ID, desiredState: 'shutdown', reason: 'restarting' });
  // A task the system shut down (agent stopped, node restarted) did not fail: no back-off.
  rules.restart(newest, newest.Status.State === 'shutdown' ? 0 : d.delayMs);
  return 'active';
}
