import type { Logger } from '../logger.js';
import { isSwarmletError } from '../errors.js';
import { stopGraceMs } from '../model/defaults.js';
import type { Task } from '../model/types.js';
import type { TaskReport } from '../protocol/task-report.js';
import type { Clock, Timer } from '../clock.js';
import type { ExitInfo, RunningTask, StartRequest, TaskDriver, TaskPort } from './task-driver.js';
import { waitListening } from './wait-listening.js';
import { readinessPorts } from './readiness-ports.js';
import { startListenHints, type ListenTarget } from './listen-hint.js';
import { healthSettings, type HealthSettings } from '../health/health-state.js';
import { monitorHealth } from '../health/health-monitor.js';
import { watchNativeHealth } from './watch-native-health.js';

/** How long a connection through a driver's proxy must stay open to show the task listens. */
const PROXY_HOLD_MS = 150;
/** Longest wait for a VIP-only task to accept connections before it counts as running anyway (it may be a client only). */
export const VIP_LISTEN_WAIT_MS = 10_000;

/**
 * The port a task is waited on, as its program sees it: the process driver's PORT (the first
 * target port) or PORT_<target>; a container's target port behind its published one.
 */
function listenTargetOf(ep: NonNullable<RunningTask['endpoint']>, port: TaskPort | undefined, hostPort: number, container: boolean): ListenTarget {
  const target = hostPort === ep.port ? port?.target
    : Object.entries(ep.ports ?? {}).find(([, p]) => p === hostPort)?.[0];
  if (container && target !== undefined) return { addr: ep.addr, port: hostPort, containerPort: Number(target) };
  return { addr: ep.addr, port: hostPort, env: hostPort === ep.port || target === undefined ? 'PORT' : `PORT_${target}` };
}

/** Turns a driver's exit into the task's final state, with Docker's error texts. */
export function exitReport(exit: ExitInfo): TaskReport {
  if (exit.stopped) return { State: 'shutdown', Message: 'shutdown', ContainerStatus: { ExitCode: exit.exitCode ?? 0 } };
  if (exit.error) return { State: 'failed', Message: 'started', Err: exit.error };
  if (exit.exitCode === 0) return { State: 'complete', Message: 'finished', ContainerStatus: { ExitCode: 0 } };
  if (exit.exitCode !== undefined) {
    return { State: 'failed', Message: 'started', Err: `task: non-zero exit (${exit.exitCode})`, ContainerStatus: { ExitCode: exit.exitCode } };
  }
  return { State: 'failed', Message: 'started', Err: `task: killed by signal ${exit.signal ?? 'unknown'}` };
}

/** Runs one task on a driver (or supervises one the driver adopted) and reports each state change. */
export class TaskRunner {
  private running: RunningTask | undefined;
  private stopping: Promise<void> | undefined;
  private stopRequested = false;
  private unhealthy = false;
  private healthWatch: AbortController | undefined;
  private onStop!: () => void;
  private readonly stopSignal = new Promise<void>((r) => { this.onStop = r; });
  readonly done: Promise<void>;

  constructor(
    private readonly task: Task,
    private readonly driver: TaskDriver,
    private readonly req: StartRequest | undefined,
    private readonly report: (r: TaskReport) => void,
    private readonly logger: Logger,
    private readonly taskPort: TaskPort | undefined,
    private readonly clock: Clock,
    adopted?: RunningTask,
  ) {
    this.done = this.run(adopted);
  }

  /**
   * A runner for a task the driver adopted (it kept running while its agent was down): not started
   * again; reported running once it serves (a no-op for the manager when it already was), then its
   * exit or stop is reported as usual.
   */
  static adopt(
    task: Task, driver: TaskDriver, running: RunningTask, report: (r: TaskReport) => void,
    logger: Logger, taskPort: TaskPort | undefined, clock: Clock,
  ): TaskRunner {
    return new TaskRunner(task, driver, undefined, report, logger, taskPort, clock, running);
  }

  private async start(): Promise<RunningTask | undefined> {
    this.report({ State: 'accepted', Message: 'accepted' });
    this.report({ State: 'preparing', Message: 'preparing' });
    this.report({ State: 'starting', Message: 'starting' });
    try {
      if (!this.req) throw new Error('nothing to start');
      return await this.driver.start(this.req);
    } catch (e) {
      const msg = isSwarmletError(e) || e instanceof Error ? e.message : String(e);
      this.logger.warn({ task: this.task.ID, err: msg }, 'task rejected');
      this.report({ State: 'rejected', Message: 'rejected', Err: msg });
      return undefined;
    }
  }

  private async run(adopted: RunningTask | undefined): Promise<void> {
    const rt = adopted ?? await this.start();
    if (!rt) return;
    this.running = rt;
    if (this.stopRequested) void this.stop();
    const ep = rt.endpoint;
    const port = this.taskPort;
    const report: TaskReport = { State: 'running', Message: 'started', ContainerStatus: { ...(rt.pid ? { PID: rt.pid } : {}) } };
    if (ep) {
      report.Endpoint = { Addr: ep.addr, Port: ep.port, ...(ep.ports ? { Ports: { ...ep.ports } } : {}) };
      if (port !== undefined && port.vipOnly !== true) {
        // Host mode: the port the task itself listens on at its node (Swarm's PortStatus). Ingress:
        // the task's own endpoint behind the routing mesh (swarmlet's; never counted as a host port).
        const mode = port.hostPort !== undefined ? 'host' : 'ingress';
        const statuses: NonNullable<NonNullable<TaskReport['PortStatus']>['Ports']> = [{ Protocol: port.protocol, TargetPort: port.target, PublishedPort: ep.port, PublishMode: mode }];
        report.PortStatus = { Ports: statuses };
        for (const x of port.extra ?? []) {
          const published = ep.ports?.[String(x.target)];
          if (published !== undefined) statuses.push({ Protocol: x.protocol, TargetPort: x.target, PublishedPort: published, PublishMode: x.hostPort !== undefined ? 'host' : 'ingress' });
        }
        // A target published with a second protocol: the same host port, the same mode.
        for (const m of port.more ?? []) {
          const same = statuses.find((s) => s.TargetPort === m.target);
          if (same) statuses.push({ ...same, Protocol: m.protocol });
        }
      }
    }
    // A task that publishes a TCP port (or is reached through its VIP) is running once it accepts
    // connections, not merely once spawned: the update engine and the gateways must never count or
    // route to a task that cannot answer. A task whose ports are all UDP is running once started
    // (or healthy, with a health check); a VIP-only one that does not listen within a bounded wait too.
    let ready = true;
    const waitOn = readinessPorts(ep, port);
    if (ep && waitOn.length > 0 && !this.stopRequested) {
      let waitedOut = false;
      let exited = false;
      void rt.exited.then(() => { exited = true; });
      let timer: Timer | undefined;
      const bound = port?.vipOnly !== true ? new Promise<never>(() => undefined)
        : new Promise<void>((resolve) => { timer = this.clock.setTimeout(() => { waitedOut = true; resolve(); }, VIP_LISTEN_WAIT_MS); });
      const gone = Promise.race([rt.exited, this.stopSignal, bound]);
      // While it waits, its status says what for (STARTING alone gives no reason); a report that
      // moves it on (running, failed …) replaces the hint.
      let waitingOn = waitOn[0]!;
      const hints = startListenHints(this.clock, () => listenTargetOf(ep, port, waitingOn, rt.viaProxy === true), (reason) => {
        if (!this.stopRequested) this.report({ State: 'starting', Message: `starting: ${reason}`, Err: reason, ...(rt.pid ? { ContainerStatus: { PID: rt.pid } } : {}) });
      });
      for (const p of waitOn) {
        waitingOn = p;
        ready = await waitListening(ep.addr, p, this.clock, gone, 50, rt.viaProxy ? PROXY_HOLD_MS : 0);
        if (!ready) break;
      }
      hints.cancel();
      timer?.cancel();
      if (!ready && waitedOut && !exited && !this.stopRequested) {
        this.logger.debug({ task: this.task.ID, endpoint: `${ep.addr}:${ep.port}` }, 'VIP-only task does not accept connections: running anyway');
        ready = true;
      }
    }
    const health = healthSettings(this.task.Spec.ContainerSpec.Healthcheck);
    if (!ready || this.stopRequested) {
      // exited or stopped before it could serve
    } else if (!health && rt.health && !this.task.Spec.ContainerSpec.Healthcheck?.Test?.length) {
      this.watchImageHealth(rt, rt.health.bind(rt), report);
    } else if (!health) {
      this.report(report);
    } else {
      this.watchHealth(rt, health, report);
    }
    const exit = await rt.exited;
    this.healthWatch?.abort();
    if (this.unhealthy && !this.stopRequested) {
      this.report({ State: 'failed', Message: 'started', Err: 'task: unhealthy container', Health: 'unhealthy', ContainerStatus: { ExitCode: exit.exitCode ?? 0 } });
      return;
    }
    this.report(exitReport({ ...exit, stopped: exit.stopped || this.stopRequested }));
  }

  /**
   * Health gates RUNNING (as in Swarm): the task is reported running once its first probe
   * succeeds; when it turns unhealthy it is stopped and fails, and the restart policy applies.
   */
  private watchHealth(rt: RunningTask, health: HealthSettings, running: TaskReport): void {
    const ac = new AbortController();
    this.healthWatch = ac;
    const target = { addr: rt.endpoint?.addr, port: rt.endpoint?.port, env: rt.env ?? {}, ...(rt.exec ? { exec: rt.exec.bind(rt) } : {}) };
    void monitorHealth(health, target, this.clock, ac.signal, (state, output) => {
      if (state.status === 'healthy') {
        this.report({ ...running, Health: 'healthy' });
      } else if (state.status === 'unhealthy' && !this.stopRequested) {
        this.logger.warn({ task: this.task.ID, output }, 'task is unhealthy');
        this.unhealthy = true;
        ac.abort();
        void rt.stop(stopGraceMs(this.task.Spec));
      }
    }).catch((err: unknown) => this.logger.error({ task: this.task.ID, err }, 'health monitor failed'));
  }

  /**
   * The image's own HEALTHCHECK (docker) gates RUNNING when the service sets no health check (not
   * even `--no-healthcheck`), like the probes do; without one (`none`) the task is running at once.
   */
  private watchImageHealth(rt: RunningTask, health: NonNullable<RunningTask['health']>, running: TaskReport): void {
    const ac = new AbortController();
    this.healthWatch = ac;
    void watchNativeHealth({
      health, clock: this.clock, signal: ac.signal,
      onNone: () => this.report(running),
      onHealthy: () => this.report({ ...running, Health: 'healthy' }),
      onUnhealthy: () => {
        if (this.stopRequested) return;
        this.logger.warn({ task: this.task.ID }, 'container is unhealthy');
        this.unhealthy = true;
        void rt.stop(stopGraceMs(this.task.Spec));
      },
    }).catch((err: unknown) => this.logger.error({ task: this.task.ID, err }, 'health watch failed'));
  }

  /**
   * Stops the task: first waits for `drain` (the gateways stop sending it new requests), then the
   * stop signal, then SIGKILL after its grace period. Idempotent.
   */
  stop(drain?: () => Promise<unknown>): Promise<void> {
    this.stopRequested = true;
    this.onStop();
    if (!this.running) return this.done;
    const rt = this.running;
    this.stopping ??= drain
      ? drain().catch(() => undefined).then(() => rt.stop(stopGraceMs(this.task.Spec)))
      : rt.stop(stopGraceMs(this.task.Spec));
    return this.stopping.then(() => this.done);
  }
}
