import type { Image, PortProtocol, Task } from '../model/types.js';
import type { ServiceInfo } from '../protocol/session.js';
import type { TaskFiles } from '../secrets/task-files.js';

/** What a driver needs to start one task. */
export interface StartRequest {
  task: Task;
  /** Service name (for SWARMLET_SERVICE and the task name `<service>.<slot>`). */
  serviceName: string;
  /** The display task name: `<service>.<slot>` (replicated) or `<service>.<nodeID>` (global). */
  taskName: string;
  node: { id: string; hostname: string; addr: string };
  /** The catalog entry resolved from `task.Spec.ContainerSpec.Image` (process driver). */
  image: Image | undefined;
  /** Extra environment (service env already merged in, KEY=VALUE). */
  env: string[];
  /** The port the task listens on inside its container (docker driver: published at node address + host port). */
  targetPort?: number;
  /**
   * The task's secret and config files, read when the driver starts the task (throws when their
   * content has not reached the node: the task is rejected). Absent: none.
   */
  files?: () => TaskFiles | undefined;
  /**
   * A host-mode published port (`mode=host`): the task listens on exactly this port at the node's
   * address (process driver: its PORT; docker driver: the host port binding), not one the driver picks.
   */
  hostPort?: number;
  /** The protocol of the task's port; default tcp. */
  protocol?: PortProtocol;
  /** The service's other target ports (after `targetPort`), each with its host-mode published port if any. */
  extraPorts?: ExtraPort[];
  /**
   * The service publishes no port but has a VIP: the target port its VIP forwards to (docker driver:
   * published at the node address like a target port, so the VIP can reach the container).
   */
  vipPort?: number;
  /** Target ports published with a second protocol too, served on the same host port (docker: bound for it as well). */
  moreProtocols?: Array<{ target: number; protocol: PortProtocol }>;
}

export interface ExtraPort { target: number; protocol?: PortProtocol; hostPort?: number }

/** The agent's view of a service's first port. */
export function taskPortOf(info: ServiceInfo | undefined): TaskPort | undefined {
  if (info?.targetPort === undefined && info?.vipPort !== undefined) return { target: info.vipPort, protocol: 'tcp', udpOnly: false, vipOnly: true };
  if (info?.targetPort === undefined) return undefined;
  return {
    target: info.targetPort, protocol: info.protocol ?? 'tcp', udpOnly: info.udpOnly === true,
    ...(info.hostPort !== undefined ? { hostPort: info.hostPort } : {}),
    ...(info.extraPorts?.length ? { extra: info.extraPorts.map((x) => ({ target: x.target, protocol: x.protocol ?? 'tcp', ...(x.hostPort !== undefined ? { hostPort: x.hostPort } : {}) })) } : {}),
    ...(info.moreProtocols?.length ? { more: info.moreProtocols.map((m) => ({ ...m })) } : {}),
  };
}

/** What an agent knows of the port a service's tasks publish (its first one). */
export interface TaskPort {
  target: number;
  protocol: PortProtocol;
  /** Set for a host-mode port: the published port the task itself listens on. */
  hostPort?: number;
  /** Every port the service publishes is UDP: the task is running once started, not once it accepts a TCP connection. */
  udpOnly: boolean;
  /** The other target ports (PortStatus lists them too). */
  extra?: Array<{ target: number; protocol: PortProtocol; hostPort?: number }>;
  /** Targets (the first or an extra) published with a second protocol too, on the same host port. */
  more?: Array<{ target: number; protocol: PortProtocol }>;
  /**
   * Nothing is published: the task is reached through its service's VIP. It counts as running once
   * it accepts connections, or after a bounded wait (a task on a network may be a client only).
   */
  vipOnly?: boolean;
}

export interface ExitInfo {
  /** Exit code when the process exited by itself; undefined when killed by a signal. */
  exitCode: number | undefined;
  signal: string | undefined;
  /** True when the exit was caused by `stop()`. */
  stopped: boolean;
  /** A short reason when the task could not run at all (spawn failure …). */
  error?: string;
}

export interface RunningTask {
  /**
   * Where the task listens: node address + host port allocated by the driver (its first target port);
   * `ports`: every target port's host port (`"<target>"` → port), when the task has several.
   */
  endpoint: { addr: string; port: number; ports?: Record<string, number> } | undefined;
  pid: number | undefined;
  /** Moves output the task wrote but the driver has not read yet into its log (optional). */
  flushOutput?(): void;
  /** The environment the task runs with (health-check commands run with it). */
  env?: Record<string, string>;
  /** Resolves once when the task's process has gone, for whatever reason. */
  exited: Promise<ExitInfo>;
  /** SIGTERM (or the spec's stop signal), then SIGKILL after graceMs. Resolves when gone. */
  stop(graceMs: number): Promise<void>;
  /**
   * The status of the image's own health check (docker: `State.Health.Status`); `none` when the image
   * has none. Optional: drivers without native health checks leave it out.
   */
  health?(): Promise<'starting' | 'healthy' | 'unhealthy' | 'none'>;
  /**
   * A proxy accepts connections on the endpoint before the task itself listens (docker-proxy for
   * a published container port): the task counts as listening only once a connection stays open.
   */
  viaProxy?: boolean;
  /**
   * Runs a command inside the task (docker: `docker exec`): the service's shell and exec health
   * checks run there, as in Swarm, instead of on the node. Resolves with the exit code (undefined
   * when it timed out) and up to 4 KiB of output. Optional: without it they run on the node.
   */
  exec?(argv: string[], timeoutMs: number): Promise<{ exitCode: number | undefined; output: string }>;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** Milliseconds since the epoch, when the line was read. */
  time: number;
  /** One line without its trailing newline. */
  text: string;
}

export interface LogQuery {
  follow?: boolean;
  /** Last N lines per task; undefined = all. */
  tail?: number;
  /** Drop lines older than this (ms since epoch). */
  since?: number;
  signal?: AbortSignal;
}

/** Runs tasks on one node. The process driver is the embedded default; docker comes later. */
export interface TaskDriver {
  readonly name: string;
  /** Starts the task. Throws a SwarmletError (code invalid_argument/failed_precondition) to reject it. */
  start(req: StartRequest): Promise<RunningTask>;
  /** A task's logs; with follow, keeps yielding until the signal aborts or the task's log ends. */
  logs(taskId: string, query: LogQuery): AsyncIterable<LogLine>;
  /**
   * A task the store says runs on this node but this driver instance did not start (the agent
   * restarted, or crashed): when the process an earlier driver started for it still runs (same pid,
   * same process), take it over and return it: same endpoint and pid; `exited` resolves when it
   * goes (exit code unknown then: `error` says so); `stop()` works as for a started task.
   * Undefined when there is nothing left to adopt. Optional: without it such tasks are reported
   * shut down and replaced.
   */
  adopt?(task: Task): Promise<RunningTask | undefined>;
  /**
   * After adoption: stops whatever earlier drivers left running that was not adopted (tasks the
   * manager no longer wants or knows), so no process outlives its task. Optional.
   */
  stopUnadopted?(): Promise<void>;
  /**
   * The images this driver can run (`name:tag`), for drivers whose images live outside swarmlet's
   * catalog (docker: the engine's images). The agent reports them so the scheduler only places a
   * task where its image exists. Optional: without it the manager's catalog decides.
   */
  listImages?(): Promise<string[]>;
  /** Removes what the driver keeps for a task (log files …) once the task is deleted. */
  forget(taskId: string): Promise<void>;
  close(): Promise<void>;
  /** Kills every task at once (no grace period): a second Ctrl-C. Optional. */
  kill?(): Promise<void>;
}
