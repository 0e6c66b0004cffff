import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { taskDisplayName } from '../model/naming.js';
import { isTerminal, stateRank } from '../model/task-state.js';
import type { Task } from '../model/types.js';
import type { AgentLink } from './agent-link.js';
import type { TaskDriver } from './task-driver.js';
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
  private readonly known = new Set<string>();

  constructor(private readonly o: AgentOptions) {
    this.nodeId = o.nodeId;
    this.logger = (o.logger ?? silentLogger()).child({ node: o.hostname });
  }

  get driver(): TaskDriver { return this.o.driver; }

  start(): void {
    this.unwatch = this.o.link.watchAssignments(this.o.nodeId, (tasks) => this.sync(tasks));
  }

  /** Number of task processes this agent currently supervises. */
  get runningCount(): number { return this.runners.size; }

  private sync(tasks: Task[]): void {
    if (this.closed) return;
    if (this.firstSync) {
      this.firstSync = false;
      this.cleanupStale(tasks);
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

  /** Tasks a previous agent left in flight: stop their leftovers and report them shut down. */
  private cleanupStale(tasks: Task[]): void {
    for (const t of tasks) {
      const st = stateRank(t.Status.State);
      if (st < stateRank('accepted') || isTerminal(t.Status.State)) continue;
      void this.o.driver.cleanupStale?.(t);
      this.o.link.report(this.nodeId, t.ID, { State: 'shutdown', Message: 'shutdown', Err: 'task: stopped because its agent restarted' });
    }
  }

  private startTask(t: Task): void {
    const info = this.o.link.serviceInfo(t.ServiceID);
    const serviceName = info?.name ?? t.ServiceID;
    const req = {
      task: t, serviceName, taskName: taskDisplayName(serviceName, t),
      node: { id: this.o.nodeId, hostname: this.o.hostname, addr: this.o.addr },
      image: this.o.link.resolveImage(t.Spec.ContainerSpec.Image),
      env: t.Spec.ContainerSpec.Env ?? [],
    };
    const runner = new TaskRunner(t, this.o.driver, req, (r) => this.o.link.report(this.nodeId, t.ID, r), this.logger, info?.targetPort, this.o.clock);
    this.runners.set(t.ID, runner);
    void runner.done.finally(() => { this.runners.delete(t.ID); });
  }

  /** Stops every task and the driver. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unwatch?.();
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    await this.o.driver.close();
  }
}
