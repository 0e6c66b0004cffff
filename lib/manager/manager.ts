import type { Clock, Timer } from '../clock.js';
import { isoTime } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { Node, Task } from '../model/types.js';
import type { TaskToCreate } from '../orchestrator/plan.js';
import { requirementsOf } from '../scheduler/filters.js';
import { PendingQueue, isSchedulable } from '../scheduler/pending-queue.js';
import { NodeInfoCache } from '../scheduler/node-info-cache.js';
import { serviceHostPorts } from '../scheduler/node-info.js';
import type { TaskReport } from '../protocol/task-report.js';
import { planPlacements } from '../scheduler/plan-placements.js';
import type { ReadTx, Store, StoreEvent } from '../store/store.js';
import { classifyChanges } from './classify-changes.js';
import { applyReport } from './apply-report.js';
import { earliest, reconcileOne, type ReconcileState } from './reconcile-one.js';
import { BIG_SERVICE_TASKS, DEFAULT_PASS_BUDGET, PROGRESS_DEFER_MS, type PassBudget, type PassReport } from './pass-budget.js';

export { BIG_SERVICE_TASKS, DEFAULT_PASS_BUDGET, PROGRESS_DEFER_MS, type PassBudget, type PassReport } from './pass-budget.js';

export interface ManagerOptions {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  logger?: Logger;
  /** Tasks kept per slot, the current one included (default 5). */
  taskHistoryLimit?: number;
  /** Whether a node can run an image (process driver: the catalog). Default: always. */
  imageAvailable?: (tx: ReadTx, node: Node, image: string) => boolean;
  /** Work done per pass before yielding to the event loop (tests lower them to see slicing). */
  budget?: Partial<PassBudget>;
  /** A full reconcile of every service and retry of every waiting task, as a safety net (default 60 s; 0: never). */
  resyncMs?: number;
  /** Told what each pass did (tests, metrics). */
  onPass?(report: PassReport): void;
}

/**
 * The manager's control loop. Store commits are classified as they arrive: the services they
 * touch are marked dirty and the scheduler's queue follows the tasks waiting for a node. A pass
 * reconciles only the dirty services (updater, orchestrator, reaper, delayed starts: each a pure
 * planner whose plan is applied in the pass's transaction), then offers the ready waiting tasks to
 * the scheduler; tasks that fit nowhere are parked until a change could make them fit. Each pass
 * does a bounded amount of work and the next one runs after yielding, so a huge service never
 * blocks the event loop. Level-triggered: a pass over a converged store writes nothing, and a
 * slow full resync is the safety net.
 */
export class Manager {
  readonly store: Store;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly logger: Logger;
  /** Finished tasks kept per slot (Swarm's TaskHistoryRetentionLimit); `swarm update` may change it. */
  taskHistoryLimit: number;
  private readonly imageAvailable: ManagerOptions['imageAvailable'];
  private readonly budget: PassBudget;
  private readonly resyncMs: number;
  private readonly onPass: ManagerOptions['onPass'];
  private pendingPass: Timer | undefined;
  private wake: { at: number; timer: Timer } | undefined;
  private resyncTimer: Timer | undefined;
  private unwatch: (() => void) | undefined;
  private running = false;
  private passes = 0;
  /** Services to reconcile at the next pass. */
  private readonly dirty = new Set<string>();
  /** Services marked only by tasks moving towards running: a huge one is reconciled at most every PROGRESS_DEFER_MS. */
  private readonly progressDirty = new Set<string>();
  /**
   * Services whose last reconcile planned nothing and for which task progress cannot change that
   * (progress-inert.ts): progress-only changes leave them alone until any other change.
   */
  private readonly inert = new Set<string>();
  /** Tasks read at each service's last reconcile, and when it was. */
  private readonly lastReconcile = new Map<string, { size: number; at: number }>();
  /** Every service (and orphaned task) is due: the first pass, a resync. */
  private fullDue = true;
  /** The last pass reconciled: the next one places waiting tasks before reconciling (alternating passes). */
  private placeNext = false;
  private readonly queue = new PendingQueue();
  /** The scheduler's view of every node, moved by task changes instead of rebuilt each pass. */
  private readonly nodeInfos = new NodeInfoCache();
  /** When each service with timed work (update delay, restart delay) wants its next pass. */
  private readonly wakes = new Map<string, number>();
  /**
   * The creates left of a plan cut by the pass budget (a large scale-up), applied slice by slice
   * without planning again while the service stays at the same version; a full reconcile follows.
   */
  private readonly continuations = new Map<string, { version: number; creates: TaskToCreate[] }>();
  /** The bookkeeping above that each service's reconcile reads and updates (reconcile-one.ts). */
  private readonly reconcileState: ReconcileState = { continuations: this.continuations, inert: this.inert, lastReconcile: this.lastReconcile, wakes: this.wakes };

  constructor(opts: ManagerOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.ids = opts.ids;
    this.logger = opts.logger ?? silentLogger();
    this.taskHistoryLimit = opts.taskHistoryLimit ?? 5;
    this.imageAvailable = opts.imageAvailable;
    this.budget = { ...DEFAULT_PASS_BUDGET, ...opts.budget };
    this.resyncMs = opts.resyncMs ?? 60_000;
    this.onPass = opts.onPass;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.fullDue = true;
    this.unwatch = this.store.watch((events) => this.observe(events));
    this.armResync();
    this.kick();
  }

  stop(): void {
    this.running = false;
    this.unwatch?.();
    this.unwatch = undefined;
    this.pendingPass?.cancel();
    this.wake?.timer.cancel();
    this.resyncTimer?.cancel();
    this.pendingPass = undefined;
    this.wake = undefined;
    this.resyncTimer = undefined;
  }

  /** Schedules one reconcile pass soon (coalescing bursts of commits); it runs after yielding. */
  kick(): void {
    if (!this.running || this.pendingPass) return;
    this.pendingPass = this.clock.setTimeout(() => {
      this.pendingPass = undefined;
      let more = false;
      try { more = this.pass({ alternate: true }); } catch (e) { this.logger.error({ err: e }, 'reconcile pass failed'); }
      if (more) this.kick();
    }, 0);
  }

  get passCount(): number { return this.passes; }

  /** What the manager has left to do: services to reconcile and tasks waiting for a node. */
  backlog(): { dirtyServices: number; readyTasks: number; parkedTasks: number } {
    return { dirtyServices: this.fullDue ? -1 : this.dirty.size, readyTasks: this.queue.readyCount, parkedTasks: this.queue.parkedCount };
  }

  private observe(events: StoreEvent[]): void {
    this.nodeInfos.observe(events, this.hostPortsOf, this.clock.now());
    const fx = classifyChanges(events);
    for (const [id, task] of fx.tasks) this.queue.observe(id, task);
    for (const id of fx.services) {
      if (fx.progressOnly.has(id) && !this.dirty.has(id)) {
        if (!this.inert.has(id)) this.progressDirty.add(id);
      } else { this.dirty.add(id); this.progressDirty.delete(id); this.inert.delete(id); }
    }
    if (fx.allServices) this.fullDue = true;
    if (fx.wakeAll) this.queue.wakeAll();
    else {
      for (const id of fx.wakeServices) this.queue.wakeService(id);
      if (fx.wakeResourceBound) this.queue.wakeResourceBound();
    }
    if (fx.services.size > 0 || fx.allServices || this.queue.readyCount > 0) this.kick();
  }

  /**
   * One pass: the dirty services (all of them with `full`, or when the manager is not watching
   * the store), then the scheduler. Returns true when work is left for another pass. With
   * `alternate` (the passes the manager runs itself), a pass that reconciled something leaves the
   * waiting tasks to the next one, which places them first: no turn of the event loop commits
   * both (two journal writes), so API reads wait behind half as much while a huge service is made.
   */
  pass(opts: { full?: boolean; alternate?: boolean } = {}): boolean {
    this.passes += 1;
    const now = this.clock.now();
    if (opts.full || !this.unwatch) this.fullDue = true;
    const full = this.fullDue;
    if (full) this.markEverything();
    this.takeDueWakes(now);
    this.takeProgress(now);
    const report: PassReport = { services: [], tried: 0, assigned: 0, full };
    const placeFirst = opts.alternate === true && this.placeNext && this.queue.readyCount > 0;
    const reconciled = !placeFirst && this.dirty.size > 0;
    const more = placeFirst ? false : this.reconcileDirty(now, report);
    if (!(opts.alternate === true && reconciled)) this.schedule(now, report);
    this.placeNext = reconciled;
    this.armWake();
    this.onPass?.(report);
    return more || this.dirty.size > 0 || this.queue.readyCount > 0;
  }

  /**
   * Services dirty only from task progress join the pass now, unless they are huge and were
   * reconciled less than PROGRESS_DEFER_MS ago (a full reconcile of 100,000 tasks takes a while:
   * done at most that often while they report running, and always after a real change).
   */
  private takeProgress(now: number): void {
    for (const id of this.progressDirty) {
      const last = this.lastReconcile.get(id);
      if (last && last.size >= BIG_SERVICE_TASKS && now - last.at < PROGRESS_DEFER_MS) {
        const at = last.at + PROGRESS_DEFER_MS;
        this.wakes.set(id, Math.min(this.wakes.get(id) ?? at, at));
        continue;
      }
      this.progressDirty.delete(id);
      this.dirty.add(id);
    }
  }

  private hostPortsOf = (serviceId: string): string[] => serviceHostPorts(this.store.view((tx) => tx.getService(serviceId)));

  private markEverything(): void {
    this.fullDue = false;
    this.nodeInfos.invalidate();
    this.store.view((tx) => {
      for (const s of tx.listServices()) this.dirty.add(s.ID);
      this.queue.clear();
      for (const t of tx.listTasks()) {
        if (!tx.getService(t.ServiceID)) this.dirty.add(t.ServiceID); // orphans: reaped under their old service ID
        this.queue.observe(t.ID, t);
      }
    });
  }

  private takeDueWakes(now: number): void {
    for (const [id, at] of this.wakes) {
      if (at > now) continue;
      this.wakes.delete(id);
      this.dirty.add(id);
      this.progressDirty.delete(id);
    }
  }

  /** Reconciles dirty services until the pass budget is spent; returns true when some are left. */
  private reconcileDirty(now: number, report: PassReport): boolean {
    if (this.dirty.size === 0) return false;
    const again: string[] = [];
    this.store.update((tx) => {
      const nodes = new Map(tx.listNodes().map((n) => [n.ID, n]));
      const down = new Set([...nodes.values()].filter((n) => n.Status.State === 'down').map((n) => n.ID));
      let examined = 0;
      let ops = 0;
      for (const id of this.dirty) {
        if (examined >= this.budget.tasksExamined || ops >= this.budget.orchestratorOps) break;
        this.dirty.delete(id);
        this.progressDirty.delete(id);
        report.services.push(id);
        const r = reconcileOne(tx, id, { nodes, down, now, opsLeft: this.budget.orchestratorOps - ops, ids: this.ids, historyLimit: this.taskHistoryLimit }, this.reconcileState);
        examined += r.examined;
        ops += r.ops;
        if (r.truncated) again.push(id);
      }
    });
    for (const id of again) this.dirty.add(id);
    return this.dirty.size > 0;
  }

  /** Offers up to `budget.placements` ready waiting tasks to the scheduler; parks those that fit nowhere. */
  private schedule(now: number, report: PassReport): void {
    const ids = this.queue.peek(this.budget.placements);
    if (ids.length === 0) return;
    try {
      this.placeWaiting(ids, now, report);
    } catch (e) {
      this.nodeInfos.invalidate(); // the plan added assignments that were not committed
      throw e;
    }
  }

  private placeWaiting(ids: string[], now: number, report: PassReport): void {
    this.store.update((tx) => {
      const pending: Task[] = [];
      for (const id of ids) {
        const t = tx.getTask(id);
        if (t && isSchedulable(t)) pending.push(t);
        else this.queue.observe(id, t);
      }
      if (pending.length === 0) return;
      report.tried = pending.length;
      const services = new Map(tx.listServices().map((s) => [s.ID, s]));
      const available = this.imageAvailable;
      const plan = planPlacements({
        nodes: [], services, tasks: [], pending, now, nodeInfos: this.nodeInfos.get(tx, services, now),
        ...(available ? { imageAvailable: (node: Node, image: string) => available(tx, node, image) } : {}),
      });
      const ts = isoTime(now);
      report.assigned = plan.assignments.length;
      for (const a of plan.assignments) {
        const t = tx.getTask(a.taskId);
        this.queue.placed(a.taskId);
        if (!t) continue;
        const placed = tx.putTask({ ...t, NodeID: a.nodeId, Status: { Timestamp: ts, State: 'assigned', Message: 'scheduler assigned task to node' } });
        this.nodeInfos.notePlaced(placed, this.hostPortsOf);
      }
      const resourceBound = new Map<string, boolean>();
      for (const u of plan.unplaced) {
        const t = tx.getTask(u.taskId);
        if (!t) { this.queue.observe(u.taskId, undefined); continue; }
        const key = `${t.ServiceID}/${t.SpecVersion?.Index ?? -1}`;
        let bound = resourceBound.get(key);
        if (bound === undefined) {
          const req = requirementsOf(t, services.get(t.ServiceID));
          resourceBound.set(key, (bound = req.nanoCpus > 0 || req.memoryBytes > 0 || req.hostPorts.length > 0));
        }
        this.queue.park(t.ID, t.ServiceID, bound);
        if (t.Status.State === 'pending' && t.Status.Err === u.reason) continue;
        tx.putTask({ ...t, Status: { Timestamp: ts, State: 'pending', Message: 'pending task scheduling', Err: u.reason } });
      }
    });
  }

  private armWake(): void {
    let at: number | undefined;
    for (const w of this.wakes.values()) at = earliest(at, w);
    if (at === undefined || !this.running) return;
    if (this.wake && this.wake.at <= at) return;
    this.wake?.timer.cancel();
    const delay = Math.max(0, at - this.clock.now());
    this.wake = { at, timer: this.clock.setTimeout(() => { this.wake = undefined; this.kick(); }, delay) };
  }

  private armResync(): void {
    if (this.resyncMs <= 0 || !this.running) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      this.resyncTimer = undefined;
      this.fullDue = true;
      this.kick();
      this.armResync();
    }, this.resyncMs);
  }

  /** Applies an agent's report about one of its tasks: forward-only, from the node it runs on. */
  reportTask(nodeId: string, taskId: string, report: TaskReport): void {
    this.reportTasks(nodeId, [{ taskId, report }]);
  }

  /** Applies several reports of one node in one transaction (one journal write). */
  reportTasks(nodeId: string, reports: ReadonlyArray<{ taskId: string; report: TaskReport }>): void {
    this.applyReports(reports.map((r) => ({ nodeId, ...r })));
  }

  /** Applies reports of any nodes in one transaction (a dispatcher batching its sessions' reports). */
  applyReports(reports: ReadonlyArray<{ nodeId: string; taskId: string; report: TaskReport }>): void {
    if (reports.length === 0) return;
    this.store.update((tx) => {
      const now = isoTime(this.clock.now());
      for (const { nodeId, taskId, report } of reports) applyReport(tx, nodeId, taskId, report, now);
    });
  }
}
