import { effectiveUpdateConfig } from '../model/defaults.js';
import { isJob } from '../model/naming.js';
import { isTerminal } from '../model/task-state.js';
import type { FailureAction, Node, Service, Task, UpdateStatus } from '../model/types.js';
import { isLive, newestFirst } from '../orchestrator/slots.js';
import { upToDateChecker } from './up-to-date.js';

export interface UpdateStepInput {
  service: Service;
  /** Nodes by ID; global tasks on nodes that are not active are not updated. */
  nodes?: ReadonlyMap<string, Node>;
  /** Every task of the service. */
  tasks: Task[];
  now: number;
}

export interface SlotReplacement {
  slot: number;
  /** '' for replicated slots, the node for global tasks. */
  nodeId: string;
  oldTaskIds: string[];
  order: 'stop-first' | 'start-first';
}

export interface UpdateStep {
  replace: SlotReplacement[];
  /** Old tasks to shut down because their start-first replacement runs. */
  shutdown: string[];
  /** The new UpdateStatus, when it changes. */
  status?: UpdateStatus;
  /** True when the failure action asks to roll the spec back. */
  rollback?: boolean;
  /** When to plan again (ms) if the step waits on time. */
  wakeAt?: number;
}

const slotKey = (t: Task) => (t.Slot > 0 ? `s${t.Slot}` : `n${t.NodeID}`);

/** Ended on its own before running, or within `monitorMs` of first running. */
export function isUpdateFailure(t: Task, monitorMs: number): boolean {
  if (!isTerminal(t.Status.State) || t.Status.State === 'shutdown' || t.Status.State === 'remove') return false;
  if (!t.RunningAt) return true;
  return Date.parse(t.Status.Timestamp) - Date.parse(t.RunningAt) <= monitorMs;
}

/**
 * One step of the rolling updater, recomputed from the store every time (so an update survives a
 * manager restart): `Parallelism` workers (0 = all), each replacing one outdated slot, waiting for
 * the new task to run, then `Delay` before taking the next. A new task that ends before running or
 * within `Monitor` of running is a failure; failures / slots > MaxFailureRatio fires the action.
 * Job services get an empty step: they have no update config and never roll.
 */
export function planUpdateStep(input: UpdateStepInput): UpdateStep {
  const { service, now } = input;
  const step: UpdateStep = { replace: [], shutdown: [] };
  // Jobs are never rolled: an update starts a new iteration, which the jobs orchestrator runs.
  if (isJob(service)) return step;
  const prior = service.UpdateStatus;
  const paused = prior !== undefined && (prior.State === 'paused' || prior.State === 'rollback_paused');
  const active = prior !== undefined && (prior.State === 'updating' || prior.State === 'rollback_started');
  const st: UpdateStatus = active ? prior : { State: 'updating', StartedAt: new Date(now).toISOString(), Message: 'update in progress' };
  const rollingBack = st.State === 'rollback_started';
  const cfg = effectiveUpdateConfig(service.Spec, rollingBack ? 'rollback' : 'update');
  const startedAt = st.StartedAt ? Date.parse(st.StartedAt) : 0;
  const isCurrent = upToDateChecker(service);
  // No update under way and every live task current: no slot to replace and no outdated task to
  // shut down (what the walk below would conclude, without grouping every task by slot).
  if (!active && !input.tasks.some((t) => isLive(t) && !isCurrent(t))) return step;
  const groups = new Map<string, Task[]>();
  for (const t of input.tasks) {
    const list = groups.get(slotKey(t)) ?? [];
    list.push(t);
    groups.set(slotKey(t), list);
  }
  const delayMs = cfg.Delay / 1e6;
  const monitorMs = cfg.Monitor / 1e6;
  let busy = 0;
  let touched = 0;
  let lastRunning = startedAt;
  const failed: Task[] = [];
  const timedOut = new Set<string>();
  const dirty: SlotReplacement[] = [];
  for (const list of groups.values()) {
    list.sort(newestFirst);
    const outdated = list.filter((t) => isLive(t) && !isCurrent(t));
    const fresh = list.filter((t) => isCurrent(t) && Date.parse(t.CreatedAt) >= startedAt);
    for (const t of fresh) if (isUpdateFailure(t, monitorMs)) failed.push(t);
    const newest = list.find((t) => isLive(t) && isCurrent(t));
    if (fresh.length > 0 || outdated.length > 0) touched++;
    if (newest) {
      const startDeadline = Math.max(Date.parse(newest.CreatedAt), startedAt) + cfg.StartTimeout / 1e6;
      if (newest.Status.State === 'running') {
        step.shutdown.push(...outdated.map((t) => t.ID));
        const ranAt = newest.RunningAt ? Date.parse(newest.RunningAt) : now;
        lastRunning = Math.max(lastRunning, ranAt);
        if (fresh.includes(newest) && now < ranAt + delayMs) { busy++; step.wakeAt = earliest(step.wakeAt, ranAt + delayMs); }
      } else if (!isTerminal(newest.Status.State)) {
        if (now >= startDeadline) {
          // Better than Swarm (swarmkit#1720): a task that never starts fails the slot instead of hanging the update.
          if (!failed.includes(newest)) failed.push(newest);
          timedOut.add(newest.ID);
        } else {
          busy++;
          step.wakeAt = earliest(step.wakeAt, startDeadline);
        }
      }
    } else if (outdated.length > 0) {
      const t0 = outdated[0]!;
      // Global tasks on a node that is not active are left alone (Swarm: paused nodes are not updated).
      if (t0.Slot === 0 && input.nodes && input.nodes.get(t0.NodeID)?.Spec.Availability !== 'active') continue;
      dirty.push({ slot: t0.Slot, nodeId: t0.Slot > 0 ? '' : t0.NodeID, oldTaskIds: outdated.map((t) => t.ID), order: cfg.Order });
    }
  }
  if (paused) return { replace: [], shutdown: step.shutdown };
  if (!active) {
    // Swarm's startUpdate: only an update with outdated slots gets an UpdateStatus.
    if (dirty.length === 0) return { replace: [], shutdown: step.shutdown };
    step.status = st;
  }
  const failures = failed.length;
  if (cfg.FailureAction !== 'continue' && failures > 0 && failures / Math.max(1, touched) > cfg.MaxFailureRatio) {
    const taskId = failed.sort(newestFirst)[0]!.ID;
    step.status = failureStatus(st, cfg.FailureAction, taskId, rollingBack, timedOut.has(taskId) ? cfg.StartTimeout : undefined);
    if (step.status.State === 'rollback_started') step.rollback = true;
    return step;
  }
  const workers = cfg.Parallelism === 0 ? Number.MAX_SAFE_INTEGER : cfg.Parallelism;
  dirty.sort((a, b) => a.slot - b.slot || a.nodeId.localeCompare(b.nodeId));
  for (const d of dirty) {
    if (busy >= workers) break;
    busy++;
    step.replace.push(d);
  }
  if (dirty.length === 0 && busy === 0 && step.shutdown.length === 0) {
    const verifyMs = delayMs >= monitorMs ? delayMs + 1000 : monitorMs;
    const doneAt = lastRunning + verifyMs;
    if (now >= doneAt) {
      step.status = {
        State: rollingBack ? 'rollback_completed' : 'completed',
        ...(st.StartedAt ? { StartedAt: st.StartedAt } : {}),
        CompletedAt: new Date(now).toISOString(),
        Message: rollingBack ? 'rollback completed' : 'update completed',
      };
    } else step.wakeAt = earliest(step.wakeAt, doneAt);
  }
  return step;
}

function earliest(a: number | undefined, b: number): number { return a === undefined ? b : Math.min(a, b); }

function failureStatus(st: UpdateStatus, action: FailureAction, taskId: string, rollingBack: boolean, startTimeoutNs?: number): UpdateStatus {
  const base = st.StartedAt ? { StartedAt: st.StartedAt } : {};
  const why = startTimeoutNs === undefined ? 'failure or early termination' : `start timeout (${startTimeoutNs / 1e9}s)`;
  if (rollingBack) {
    return { ...base, State: 'rollback_paused', Message: `rollback paused due to ${why} of task ${taskId}` };
  }
  if (action === 'rollback') {
    return { ...base, State: 'rollback_started', Message: `update rolled back due to ${why} of task ${taskId}` };
  }
  return { ...base, State: 'paused', Message: `update paused due to ${why} of task ${taskId}` };
}
