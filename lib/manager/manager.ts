import type { Clock, Timer } from '../clock.js';
import { isoTime } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { canMoveTo, stateRank } from '../model/task-state.js';
import type { Node, Service, Task, TaskStatus } from '../model/types.js';
import { applyOrchestratorPlan } from '../orchestrator/apply-plan.js';
import { isEmptyPlan, mergePlans, type OrchestratorPlan } from '../orchestrator/plan.js';
import { reconcileService } from '../orchestrator/reconcile-service.js';
import { reapTasks } from '../orchestrator/task-reaper.js';
import type { TaskReport } from '../protocol/task-report.js';
import { planPlacements } from '../scheduler/plan-placements.js';
import type { ReadTx, Store, WriteTx } from '../store/store.js';
import { applyUpdateStep } from '../update/apply-update-step.js';
import { planUpdateStep } from '../update/plan-update-step.js';
import { planStarts } from './plan-starts.js';

export interface ManagerOptions {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  logger?: Logger;
  /** Tasks kept per slot, the current one included (default 5). */
  taskHistoryLimit?: number;
  /** Whether a node can run an image (process driver: the catalog). Default: always. */
  imageAvailable?: (tx: ReadTx, node: Node, image: string) => boolean;
}

/**
 * The manager's control loop: store commits mark it dirty, and one pass then runs the updater,
 * the orchestrators, the reaper, delayed starts and the scheduler, each a pure planner whose plan
 * is applied in one transaction. Level-triggered: a pass over a converged store writes nothing.
 */
export class Manager {
  readonly store: Store;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly logger: Logger;
  /** Finished tasks kept per slot (Swarm's TaskHistoryRetentionLimit); `swarm update` may change it. */
  taskHistoryLimit: number;
  private readonly imageAvailable: ManagerOptions['imageAvailable'];
  private pending: Timer | undefined;
  private wake: { at: number; timer: Timer } | undefined;
  private unwatch: (() => void) | undefined;
  private running = false;
  private passes = 0;

  constructor(opts: ManagerOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.ids = opts.ids;
    this.logger = opts.logger ?? silentLogger();
    this.taskHistoryLimit = opts.taskHistoryLimit ?? 5;
    this.imageAvailable = opts.imageAvailable;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unwatch = this.store.watch(() => this.kick());
    this.kick();
  }

  stop(): void {
    this.running = false;
    this.unwatch?.();
    this.pending?.cancel();
    this.wake?.timer.cancel();
    this.pending = undefined;
    this.wake = undefined;
  }

  /** Schedules one reconcile pass soon (coalescing bursts of commits). */
  kick(): void {
    if (!this.running || this.pending) return;
    this.pending = this.clock.setTimeout(() => {
      this.pending = undefined;
      try { this.pass(); } catch (e) { this.logger.error({ err: e }, 'reconcile pass failed'); }
    }, 0);
  }

  get passCount(): number { return this.passes; }

  /** One full pass; exposed for tests. */
  pass(): void {
    this.passes += 1;
    const now = this.clock.now();
    let wakeAt: number | undefined;
    const note = (at: number | undefined) => { if (at !== undefined) wakeAt = wakeAt === undefined ? at : Math.min(wakeAt, at); };
    this.store.update((tx) => {
      const nodes = this.nodeMap(tx);
      for (const service of tx.listServices()) note(this.updateService(tx, service, now, nodes));
    });
    this.store.update((tx) => {
      const plan = this.planOrchestration(tx, now);
      if (!isEmptyPlan(plan)) applyOrchestratorPlan(tx, plan, now, this.ids);
    });
    this.store.update((tx) => { note(this.startDue(tx, now)); });
    this.store.update((tx) => { this.schedule(tx, now); });
    this.armWake(wakeAt);
  }

  private updateService(tx: WriteTx, service: Service, now: number, nodes: ReadonlyMap<string, Node>): number | undefined {
    const step = planUpdateStep({ service, tasks: tx.tasksOfService(service.ID), now, nodes });
    applyUpdateStep(tx, service, step, now, this.ids);
    return step.wakeAt;
  }

  private nodeMap(tx: ReadTx): Map<string, Node> {
    return new Map(tx.listNodes().map((n) => [n.ID, n]));
  }

  private planOrchestration(tx: ReadTx, now: number): OrchestratorPlan {
    const nodes = new Map(tx.listNodes().map((n) => [n.ID, n]));
    const plans: OrchestratorPlan[] = [];
    const seen = new Set<string>();
    for (const service of tx.listServices()) {
      seen.add(service.ID);
      const tasks = tx.tasksOfService(service.ID);
      const input = { service, tasks, nodes, now };
      plans.push(reconcileService(input));
      plans.push(reapTasks({ service, tasks, historyLimit: this.taskHistoryLimit }));
    }
    const orphans = tx.listTasks().filter((t) => !seen.has(t.ServiceID));
    if (orphans.length > 0) plans.push(reapTasks({ service: undefined, tasks: orphans, historyLimit: this.taskHistoryLimit }));
    return mergePlans(plans);
  }

  private startDue(tx: WriteTx, now: number): number | undefined {
    const down = new Set(tx.listNodes().filter((n) => n.Status.State === 'down').map((n) => n.ID));
    const plan = planStarts(tx.listTasks(), now, down);
    for (const id of plan.start) {
      const t = tx.getTask(id);
      if (t && t.DesiredState === 'ready') tx.putTask({ ...t, DesiredState: 'running' });
    }
    return plan.wakeAt;
  }

  private schedule(tx: WriteTx, now: number): void {
    const pending = tx.listTasks().filter((t) => t.NodeID === '' && stateRank(t.DesiredState) <= stateRank('running')
      && stateRank(t.Status.State) <= stateRank('pending'));
    if (pending.length === 0) return;
    const services = new Map(tx.listServices().map((s) => [s.ID, s]));
    const available = this.imageAvailable;
    const plan = planPlacements({
      nodes: tx.listNodes(), services, tasks: tx.listTasks(), pending, now,
      ...(available ? { imageAvailable: (node: Node, image: string) => available(tx, node, image) } : {}),
    });
    const ts = isoTime(now);
    for (const a of plan.assignments) {
      const t = tx.getTask(a.taskId);
      if (!t) continue;
      tx.putTask({ ...t, NodeID: a.nodeId, Status: { Timestamp: ts, State: 'assigned', Message: 'scheduler assigned task to node' } });
    }
    for (const u of plan.unplaced) {
      const t = tx.getTask(u.taskId);
      if (!t || (t.Status.State === 'pending' && t.Status.Err === u.reason)) continue;
      tx.putTask({ ...t, Status: { Timestamp: ts, State: 'pending', Message: 'pending task scheduling', Err: u.reason } });
    }
  }

  private armWake(at: number | undefined): void {
    if (at === undefined) return;
    if (this.wake && this.wake.at <= at) return;
    this.wake?.timer.cancel();
    const delay = Math.max(0, at - this.clock.now());
    this.wake = { at, timer: this.clock.setTimeout(() => { this.wake = undefined; this.kick(); }, delay) };
  }

  /** Applies an agent's report about one of its tasks: forward-only, from the node it runs on. */
  reportTask(nodeId: string, taskId: string, report: TaskReport): void {
    this.store.update((tx) => {
      const t = tx.getTask(taskId);
      if (!t || t.NodeID !== nodeId) return;
      if (t.Status.State === report.State || !canMoveTo(t.Status.State, report.State)) return;
      const now = isoTime(this.clock.now());
      const status: TaskStatus = { Timestamp: now, State: report.State };
      if (report.Message) status.Message = report.Message;
      if (report.Err) status.Err = report.Err;
      if (report.Health) status.Health = report.Health;
      const ports = report.PortStatus ?? t.Status.PortStatus;
      if (ports) status.PortStatus = ports;
      const cs = report.ContainerStatus ?? t.Status.ContainerStatus;
      if (cs) status.ContainerStatus = cs;
      const next: Task = { ...t, Status: status };
      if (report.Endpoint) next.Endpoint = report.Endpoint;
      if (report.State === 'running' && !t.RunningAt) next.RunningAt = now;
      tx.putTask(next);
    });
  }
}
