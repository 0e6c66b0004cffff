import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import type { LogQuery, RunningTask, StartRequest, TaskDriver } from '../agent/task-driver.js';
import type { Clock } from '../clock.js';
import { SwarmletError, invalid } from '../errors.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { ContainerSpec, Image } from '../model/types.js';
import { imageRef } from './builtin-images.js';
import { LogStore, type LogWriter } from './log-store.js';
import { DEFAULT_TASK_PORT_RANGE, PortAllocator } from './port-allocator.js';
import { signalGroup, spawnProcessTask } from './process-task.js';

export interface ProcessDriverOptions {
  /** Logs go to `<dataDir>/logs/<taskId>.log`. */
  dataDir: string;
  clock: Clock;
  logger?: Logger;
  /** Host ports handed to tasks as PORT (default 20000-29999). */
  portRange?: [number, number];
  /** Per-task log file size before rotation (default 1 MiB). */
  maxLogBytes?: number;
}

/** Docker's default `--stop-grace-period`. */
export const DEFAULT_STOP_GRACE_MS = 10_000;

/** The embedded default driver: every task is a child process listening on PORT at HOST. */
export function createProcessDriver(opts: ProcessDriverOptions): TaskDriver {
  const logger = (opts.logger ?? silentLogger()).child({ driver: 'process' });
  const ports = new PortAllocator(opts.portRange ?? DEFAULT_TASK_PORT_RANGE);
  const logs = new LogStore({ dir: join(opts.dataDir, 'logs'), clock: opts.clock, maxBytes: opts.maxLogBytes, logger });
  const running = new Map<string, { task: RunningTask; graceMs: number }>();
  let closed = false;
  const ensureOpen = (): void => {
    if (closed) throw new SwarmletError('unavailable', 'the process driver is closed');
  };

  return {
    name: 'process',

    async start(req: StartRequest): Promise<RunningTask> {
      ensureOpen();
      const taskId = req.task.ID;
      const spec = req.task.Spec.ContainerSpec;
      const image = requireImage(req);
      const argv = taskArgv(spec, image);
      const stopSignal = stopSignalOf(spec);
      if (running.has(taskId)) throw new SwarmletError('conflict', `task ${taskId} is already running`);
      const addr = req.node.addr;
      const port = await ports.allocate(addr);
      let log: LogWriter | undefined;
      try {
        ensureOpen();
        log = logs.writer(taskId);
        const env = taskEnv(req, port, process.env);
        const task = spawnProcessTask({
          argv, stopSignal, cwd: spec.Dir || image.Cwd || process.cwd(),
          env, endpoint: { addr, port },
          log, clock: opts.clock, logger: logger.child({ taskId }),
          onExit: () => { ports.release(addr, port); running.delete(taskId); },
        });
        task.env = env;
        running.set(taskId, { task, graceMs: graceMsOf(spec) });
        logger.info({ taskId, task: req.taskName, pid: task.pid, addr, port, image: image.Name }, 'task process started');
        return task;
      } catch (err) {
        log?.end();
        ports.release(addr, port);
        if (err instanceof SwarmletError) throw err;
        throw invalid(`cannot start task ${req.taskName}: ${(err as Error).message}`, 'TaskTemplate.ContainerSpec');
      }
    },

    logs: (taskId: string, query: LogQuery) => logs.read(taskId, query),

    forget: (taskId: string) => logs.remove(taskId),

    async cleanupStale(task): Promise<void> {
      // A process group left behind by an earlier agent (e.g. `swarmlet up` was killed with -9).
      const pid = task.Status.ContainerStatus?.PID;
      if (pid && !running.has(task.ID)) signalGroup(pid, 'SIGKILL', logger);
    },

    async close(): Promise<void> {
      closed = true;
      await Promise.all([...running.values()].map(({ task, graceMs }) => task.stop(graceMs)));
    },
  };
}

function requireImage(req: StartRequest): Image {
  if (!req.image) throw new SwarmletError('failed_precondition', `image ${req.task.Spec.ContainerSpec.Image} not found`);
  return req.image;
}

/** The command line: ContainerSpec.Command replaces the image's Cmd; ContainerSpec.Args are appended. */
export function taskArgv(spec: ContainerSpec, image: Image): string[] {
  const cmd = spec.Command && spec.Command.length > 0 ? spec.Command : image.Cmd;
  const argv = [...cmd, ...(spec.Args ?? [])];
  if (!argv[0]) throw invalid(`image ${image.Name} has no command to run`, 'TaskTemplate.ContainerSpec.Command');
  return argv;
}

/**
 * The task's environment: PATH and HOME of this process, the image's Env, the request's env
 * (later entries win; `KEY` without `=` unsets), then the task variables.
 */
export function taskEnv(req: StartRequest, port: number, parent: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME']) {
    const value = parent[key];
    if (value !== undefined) env[key] = value;
  }
  for (const entry of [...(req.image?.Env ?? []), ...req.env]) {
    const eq = entry.indexOf('=');
    if (eq === -1) delete env[entry];
    else if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const { task, node } = req;
  return Object.assign(env, {
    PORT: String(port),
    HOST: node.addr,
    SWARMLET_TASK_ID: task.ID,
    SWARMLET_TASK_NAME: req.taskName,
    SWARMLET_SERVICE: req.serviceName,
    SWARMLET_SERVICE_ID: task.ServiceID,
    SWARMLET_NODE: node.hostname,
    SWARMLET_NODE_ID: node.id,
    SWARMLET_SLOT: String(task.Slot),
    SWARMLET_IMAGE: imageRef(task.Spec.ContainerSpec.Image),
  });
}

/** ContainerSpec.StopSignal as a Node signal name (`TERM`, `SIGTERM`, `15` …); SIGTERM when unset. */
export function stopSignalOf(spec: ContainerSpec): NodeJS.Signals {
  const raw = spec.StopSignal?.trim();
  if (!raw) return 'SIGTERM';
  const signals = osConstants.signals as Record<string, number>;
  if (/^\d+$/.test(raw)) {
    const byNumber = Object.keys(signals).find((name) => signals[name] === Number(raw));
    if (byNumber) return byNumber as NodeJS.Signals;
  } else {
    const upper = raw.toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    if (Object.hasOwn(signals, name)) return name as NodeJS.Signals;
  }
  throw invalid(`Invalid signal: ${raw}`, 'TaskTemplate.ContainerSpec.StopSignal');
}

/** ContainerSpec.StopGracePeriod (nanoseconds) in milliseconds; 10 s when unset. */
export function graceMsOf(spec: ContainerSpec): number {
  const ns = spec.StopGracePeriod;
  return typeof ns === 'number' && ns >= 0 ? Math.round(ns / 1e6) : DEFAULT_STOP_GRACE_MS;
}
