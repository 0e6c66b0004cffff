/**
 * One poll of the convergence wait (create/update/scale/rollback without -d) as a pure step:
 * snapshot + previous state → new state, the progress lines to show, and whether to stop.
 * Mirrors docker's ServiceProgress (docker-cli-compat §3.2), plus: an automatic rollback of the
 * update being waited for ends in an error.
 */
import type { Node, Service, Task } from '../lib/model/types.js';
import { trackGlobalJob, trackReplicatedJob } from './progress-jobs.js';
import { initialTracker, trackGlobal, trackReplicated, type ProgressItem, type TrackerState } from './progress-slots.js';
import { jobCannotComplete } from '../lib/orchestrator/job-stuck.js';

export interface WaitSnapshot { service: Service; tasks: Task[]; nodes: Node[]; now: number }

export interface WaitOptions {
  /** The reference shown in "verify: Service <ref> converged". */
  ref: string;
  /** True when waiting for a rollback the user asked for (then rollback states are expected). */
  expectRollback: boolean;
}

export interface WaitState {
  converged: boolean;
  convergedAt: number | undefined;
  rollback: boolean;
  /** The rollback_started message of an automatic rollback seen during this wait. */
  autoRollback: string | undefined;
  sawAutoRollback: boolean;
  /** Printed after "converged" (docker: the rollback_completed message). */
  finalItem: ProgressItem | undefined;
  tracker: TrackerState;
  /** Everything shown so far, one entry per id, in first-seen order. */
  items: ProgressItem[];
}

export type WaitOutcome =
  | { kind: 'waiting' }
  | { kind: 'converged' }
  | { kind: 'completed' }
  | { kind: 'failed'; message: string };

export const DEFAULT_MONITOR_MS = 5000;
const MANUAL_ROLLBACK = 'manually requested rollback';

export function initialWaitState(): WaitState {
  return {
    converged: false, convergedAt: undefined, rollback: false, autoRollback: undefined, sawAutoRollback: false,
    finalItem: undefined, tracker: initialTracker(), items: [],
  };
}

/** Replaces the item with the same id, or appends it. */
export function setItems(items: ProgressItem[], updates: ProgressItem[]): ProgressItem[] {
  const out = [...items];
  for (const u of updates) {
    const i = out.findIndex((x) => x.id === u.id);
    if (i < 0) out.push(u);
    else out[i] = u;
  }
  return out;
}

export function monitorMs(service: Service): number {
  const ns = service.Spec.UpdateConfig?.Monitor;
  return ns ? ns / 1e6 : DEFAULT_MONITOR_MS;
}

/** The new state, the outcome, and the items updated by this poll in the order they were updated. */
export interface Step { state: WaitState; outcome: WaitOutcome; emitted: ProgressItem[] }

interface Draft { s: WaitState; emitted: ProgressItem[] }

function emit(d: Draft, updates: ProgressItem[]): void {
  d.s.items = setItems(d.s.items, updates);
  d.emitted.push(...updates);
}

/** Reacts to UpdateStatus like docker; returns an outcome when the wait must stop here. */
function applyUpdateStatus(d: Draft, service: Service, opts: WaitOptions): WaitOutcome | undefined {
  const { s } = d;
  const status = service.UpdateStatus;
  if (!status) return undefined;
  const message = status.Message ?? '';
  switch (status.State) {
    case 'updating':
      s.rollback = false;
      return undefined;
    case 'completed':
      return s.converged ? undefined : { kind: 'completed' };
    case 'paused':
      return { kind: 'failed', message: `service update paused: ${message}` };
    case 'rollback_paused':
      return { kind: 'failed', message: `service rollback paused: ${message}` };
    case 'rollback_started':
      if (!s.rollback && message !== '') emit(d, [{ id: 'rollback', action: message }]);
      if (!opts.expectRollback && message !== MANUAL_ROLLBACK) {
        s.sawAutoRollback = true;
        s.autoRollback ??= message || undefined;
      }
      s.rollback = true;
      return undefined;
    case 'rollback_completed':
      if (!s.converged) s.finalItem = { id: 'rollback', action: message };
      if (!opts.expectRollback) s.sawAutoRollback = true;
      s.rollback = true;
      return undefined;
    default:
      return undefined;
  }
}

function finish(d: Draft, opts: WaitOptions): WaitOutcome {
  const { s } = d;
  const done: ProgressItem[] = [{ id: 'verify', action: `Service ${opts.ref} converged` }];
  if (s.finalItem) done.push(s.finalItem);
  emit(d, done);
  if (!s.sawAutoRollback) return { kind: 'converged' };
  const why = s.autoRollback ? `: ${s.autoRollback}` : ' and was rolled back';
  return { kind: 'failed', message: `service update failed${why}` };
}

/** Jobs need no stability wait: done once complete (docker: "job complete"). */
function stepJob(d: Draft, snap: WaitSnapshot, active: ReadonlySet<string>): WaitOutcome {
  const { service } = snap;
  if (!service.JobStatus) return { kind: 'failed', message: 'the service has no JobStatus (is the manager older than job support?)' };
  const tracked = service.Spec.Mode.ReplicatedJob
    ? trackReplicatedJob(d.s.tracker, service, snap.tasks)
    : trackGlobalJob(d.s.tracker, service, snap.tasks, active);
  d.s.tracker = tracked.state;
  emit(d, tracked.items);
  if (!tracked.converged) {
    const stuck = jobCannotComplete(service, snap.tasks);
    return stuck === undefined ? { kind: 'waiting' } : { kind: 'failed', message: stuck };
  }
  d.s.converged = true;
  emit(d, [{ id: '', action: 'job complete' }]);
  return { kind: 'converged' };
}

export function stepWait(prev: WaitState, snap: WaitSnapshot, opts: WaitOptions): Step {
  const s: WaitState = { ...prev, items: [...prev.items] };
  const d: Draft = { s, emitted: [] };
  const done = (outcome: WaitOutcome): Step => ({ state: s, outcome, emitted: d.emitted });
  const { service } = snap;
  const monitor = monitorMs(service);
  const early = applyUpdateStatus(d, service, opts);
  if (early) return done(early);
  if (s.converged && s.convergedAt !== undefined && snap.now - s.convergedAt >= monitor) return done(finish(d, opts));
  const active = new Set(snap.nodes.filter((n) => n.Status.State !== 'down').map((n) => n.ID));
  const mode = service.Spec.Mode;
  if (mode.ReplicatedJob || mode.GlobalJob) return done(stepJob(d, snap, active));
  if (!mode.Replicated && !mode.Global) return done({ kind: 'failed', message: 'unrecognized service mode' });
  const tracked = mode.Replicated
    ? trackReplicated(s.tracker, service, snap.tasks, active, s.rollback)
    : trackGlobal(s.tracker, snap.tasks, active, s.rollback);
  s.tracker = tracked.state;
  emit(d, tracked.items);
  s.converged = tracked.converged;
  if (s.converged) {
    s.convergedAt ??= snap.now;
    const wait = monitor - (snap.now - s.convergedAt);
    if (wait >= 0) {
      const seconds = Math.max(1, Math.ceil(wait / 1000));
      emit(d, [{ id: 'verify', action: `Waiting ${seconds} seconds to verify that tasks are stable...`, dedupe: 'verify: waiting' }]);
    }
  } else {
    if (s.convergedAt !== undefined) emit(d, [{ id: 'verify', action: 'Detected task failure' }]);
    s.convergedAt = undefined;
  }
  return done({ kind: 'waiting' });
}
