import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { taskDisplayName } from '../model/naming.js';
import { isTerminal, stateRank } from '../model/task-state.js';
import type { Task } from '../model/types.js';
import type { AgentLink } from './agent-link.js';
import type { TaskReport } from '../protocol/task-report.js';
import { adoptTasks } from './adopt-tasks.js';
import { reportDescription } from './report-description.js';
import { taskPortOf, type TaskDriver } from './task-driver.js';
import { TaskRunner } from './task-runner.js';

export interface AgentOptions {
  nodeId: string;
  hostname: string;
  addr: string;
  driver: TaskDriver;
  link: AgentLink;
  clock: Clock;
  logger?: Logger;
}

/**
 * A node agent: level-triggered over the tasks assigned to its node. Starts tasks whose desired
 * state is running, stops those whose desired state went past running (or that disappeared),
 * and reports every observed state change through the link.
 */
export class Agent {
  readonly nodeId: string;
  private readonly runners = new Map<string, TaskRunner>();
  private readonly logger: Logger;
  private unwatch: (() => void) | undefined;
  private closed = false;
  private firstSync = true;
  /** While the first sync adopts what an earlier agent left running: the latest tasks, synced after. */
  private adopting: Promise<void> | undefined;
  private pending: Task[] = [];
  private readonly known = new Set<string>();
  private readonly stopping = new AbortController();

  constructor(private readonly o: AgentOptions) {
    this.nodeId = o.nodeId;
    this.logger = (o.logger ?? silentLogger()).child({ node: o.hostname });
  }

  get driver(): TaskDriver { return this.o.driver; }

  start(): void {
    this.unwatch = this.o.link.watchAssignments(this.o.nodeId, (tasks) => this.sync(tasks));
    void reportDescription({ driver: this.o.driver, link: this.o.link, nodeId: this.nodeId, clock: this.o.clock, logger: this.logger, signal: this.stopping.signal });
  }

  /** Number of task processes this agent currently supervises. */
  get runningCount(): number { return this.runners.size; }

  private sync(tasks: Task[]): void {
    if (this.closed) return;
    if (this.firstSync) {
      this.firstSync = false;
      this.adopting = this.adopt(tasks);
    }
    if (this.adopting) {
      this.pending = tasks;
      return;
    }
    const seen = new Set<string>();
    for (const t of tasks) {
      seen.add(t.ID);
      const runner = this.runners.get(t.ID);
      const wantRunning = t.DesiredState === 'running';
      const wantStopped = stateRank(t.DesiredState) > stateRank('running');
      if (runner) {
        if (wantStopped) void runner.stop(this.drainFor(t.ID));
      } else if (wantRunning && stateRank(t.Status.State) < stateRank('accepted')) {
        this.startTask(t);
      } else if (wantStopped && !isTerminal(t.Status.State) && stateRank(t.Status.State) >= stateRank('assigned')) {
        this.o.link.report(this.nodeId, t.ID, { State: 'shutdown', Message: 'shutdown before start' });
      }
    }
    for (const [id, runner] of this.runners) if (!seen.has(id)) void runner.stop(this.drainFor(id));
    // Tasks the manager deleted (reaped history, removed services): drop what the driver keeps.
    for (const id of this.known) {
      if (seen.has(id)) continue;
      this.known.delete(id);
      const runner = this.runners.get(id);
      void (runner ? runner.stop(this.drainFor(id)) : Promise.resolve()).then(() => this.o.driver.forget(id))
        .catch((err: unknown) => this.logger.warn({ task: id, err }, 'could not forget task'));
    }
    for (const id of seen) this.known.add(id);
  }

  private drainFor(taskId: string): (() => Promise<unknown>) | undefined {
    const link = this.o.link;
    return link.drained ? () => link.drained!(taskId) : undefined;
  }

  /** Tasks an earlier agent left in flight: adopt those still running, then sync as usual. */
  private async adopt(tasks: Task[]): Promise<void> {
    const report = (t: Task) => (r: TaskReport) => this.o.link.report(this.nodeId, t.ID, r);
    const adopted = await adoptTasks({
      tasks, driver: this.o.driver, logger: this.logger,
      report: (id, r) => this.o.link.report(this.nodeId, id, r),
      supervise: (t, rt) => TaskRunner.adopt(t, this.o.driver, rt, report(t), this.logger, taskPortOf(this.o.link.serviceInfo(t.ServiceID)), this.o.clock),
    }).catch((err: unknown) => {
      this.logger.error({ err }, 'adopting tasks failed');
      return new Map<string, TaskRunner>();
    });
    for (const [id, runner] of adopted) this.track(id, runner);
    this.adopting = undefined;
    this.sync(this.pending);
  }

  private startTask(t: Task): void {
    const info = this.o.link.serviceInfo(t.ServiceID);
    const serviceName = info?.name ?? t.ServiceID;
    const req = {
      task: t, serviceName, taskName: taskDisplayName(serviceName, t),
      node: { id: this.o.nodeId, hostname: this.o.hostname, addr: this.o.addr },
      image: this.o.link.resolveImage(t.Spec.ContainerSpec.Image),
      env: [...(this.o.link.taskEnv?.(t) ?? []), ...(t.Spec.ContainerSpec.Env ?? [])],
      ...(info?.targetPort !== undefined ? { targetPort: info.targetPort } : {}),
      ...(this.o.link.taskFiles ? { files: () => this.o.link.taskFiles!(t) } : {}),
      ...(info?.hostPort !== undefined ? { hostPort: info.hostPort } : {}),
      ...(info?.protocol !== undefined ? { protocol: info.protocol } : {}),
      ...(info?.extraPorts?.length ? { extraPorts: info.extraPorts } : {}),
      ...(info?.targetPort === undefined && info?.vipPort !== undefined ? { vipPort: info.vipPort } : {}),
      ...(info?.moreProtocols?.length ? { moreProtocols: info.moreProtocols } : {}),
    };
    this.track(t.ID, new TaskRunner(t, this.o.driver, req, (r) => this.o.link.report(this.nodeId, t.ID, r), this.logger, taskPortOf(info), this.o.clock));
  }

  private track(taskId: string, runner: TaskRunner): void {
    this.runners.set(taskId, runner);
    void runner.done.finally(() => { this.runners.delete(taskId); });
  }

  /** Kills every task now, without their grace periods (close() still follows). */
  async kill(): Promise<void> {
    await this.o.driver.kill?.();
  }

  /** Stops every task and the driver. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopping.abort();
    this.unwatch?.();
    await this.adopting;
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    await this.o.driver.close();
  }
}
