import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LogLine, LogQuery, RunningTask, StartRequest, TaskDriver } from '../agent/task-driver.js';
import type { Clock } from '../clock.js';
import { SwarmletError, invalid } from '../errors.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { Image, Task } from '../model/types.js';
import { LogStore, type LogWriter } from './log-store.js';
import { OutputTail } from './output-tail.js';
import { DEFAULT_TASK_PORT_RANGE, PortAllocator } from './port-allocator.js';
import { readProcStat } from './proc-stat.js';
import { adoptProcessTask, spawnProcessTask } from './process-task.js';
import { signalGroup } from './supervised-task.js';
import { groupIsOurs, listTaskDirs, readTaskRecord, recordIsAlive, removeTaskDir, taskDirOf, type TaskRecord } from './task-record.js';
import { graceMsOf, stopSignalOf, taskArgv, taskEnv } from './task-spec.js';
import { removeTaskFiles, writeTaskFiles } from '../secrets/task-files.js';
import { defaultFilesRoot } from './files-root.js';

export { DEFAULT_STOP_GRACE_MS, graceMsOf, stopSignalOf, taskArgv, taskEnv } from './task-spec.js';

export interface ProcessDriverOptions {
  /**
   * Logs go to `<dataDir>/logs/<taskId>.log`; each running task has `<dataDir>/tasks/<taskId>/`
   * with its record (task.json) and its raw stdout/stderr files.
   */
  dataDir: string;
  clock: Clock;
  logger?: Logger;
  /** Host ports handed to tasks as PORT (default 20000-29999). */
  portRange?: [number, number];
  /** Per-task log file size before rotation (default 1 MiB). The raw output files have their own bound (OutputTail). */
  maxLogBytes?: number;
  /**
   * Where tasks' secret and config files live while they run (`<filesDir>/<taskId>/{secrets,configs}`,
   * 0700, removed when the task ends). Default: a directory in /dev/shm (memory, like Swarm's tmpfs),
   * else the OS temp directory; never the data directory.
   */
  filesDir?: string;
}

/** The embedded default driver: every task is a child process listening on PORT at HOST. */
export function createProcessDriver(opts: ProcessDriverOptions): TaskDriver {
  return new ProcessDriver(opts);
}

class ProcessDriver implements TaskDriver {
  readonly name = 'process';
  private readonly logger: Logger;
  private readonly ports: PortAllocator;
  private readonly logStore: LogStore;
  private readonly tasksDir: string;
  private readonly filesDir: string;
  private readonly running = new Map<string, { task: RunningTask; graceMs: number }>();
  private closed = false;

  constructor(private readonly opts: ProcessDriverOptions) {
    this.logger = (opts.logger ?? silentLogger()).child({ driver: 'process' });
    this.ports = new PortAllocator(opts.portRange ?? DEFAULT_TASK_PORT_RANGE);
    this.logStore = new LogStore({ dir: join(opts.dataDir, 'logs'), clock: opts.clock, maxBytes: opts.maxLogBytes, logger: this.logger });
    this.tasksDir = join(opts.dataDir, 'tasks');
    this.filesDir = opts.filesDir ?? defaultFilesRoot();
  }

  async start(req: StartRequest): Promise<RunningTask> {
    this.ensureOpen();
    const taskId = req.task.ID;
    const spec = req.task.Spec.ContainerSpec;
    const image = requireImage(req);
    const argv = taskArgv(spec, image);
    const stopSignal = stopSignalOf(spec);
    if (this.running.has(taskId)) throw new SwarmletError('conflict', `task ${taskId} is already running`);
    const addr = req.node.addr;
    const port = req.hostPort !== undefined ? this.takeHostPort(addr, req) : await this.ports.allocate(addr);
    const extra: Array<[number, number]> = [];
    let log: LogWriter | undefined;
    const releaseAll = () => { this.ports.release(addr, port); for (const [, p] of extra) this.ports.release(addr, p); };
    try {
      // Every other target port gets its own host port (host mode: its published port): PORT_<target>.
      for (const x of req.extraPorts ?? []) extra.push([x.target, x.hostPort !== undefined ? this.takeHostPort(addr, { ...req, hostPort: x.hostPort }) : await this.ports.allocate(addr)]);
      this.ensureOpen();
      log = this.logStore.writer(taskId);
      const ports = req.targetPort !== undefined && extra.length > 0 ? Object.fromEntries([[String(req.targetPort), port], ...extra.map(([t, p]) => [String(t), p])]) : undefined;
      const env = { ...taskEnv(req, port, process.env), ...portEnv(req.targetPort, port, extra), ...this.writeFiles(req) };
      const task = spawnProcessTask({
        taskId, argv, stopSignal, graceMs: graceMsOf(spec), cwd: spec.Dir || image.Cwd || process.cwd(), env,
        endpoint: { addr, port, ...(ports ? { ports } : {}) }, dir: taskDirOf(this.tasksDir, taskId), log, ...this.io(taskId),
        onExit: () => { releaseAll(); this.running.delete(taskId); this.removeFiles(taskId); },
      });
      this.running.set(taskId, { task, graceMs: graceMsOf(spec) });
      this.logger.info({ taskId, task: req.taskName, pid: task.pid, addr, port, image: image.Name }, 'task process started');
      return task;
    } catch (err) {
      log?.end();
      releaseAll();
      this.removeFiles(taskId);
      if (err instanceof SwarmletError) throw err;
      throw invalid(`cannot start task ${req.taskName}: ${(err as Error).message}`, 'TaskTemplate.ContainerSpec');
    }
  }

  /** A host-mode port: the task listens on the published port itself (two tasks of this node never share one). */
  private takeHostPort(addr: string, req: StartRequest): number {
    const port = req.hostPort!;
    if (!this.ports.reserve(addr, port)) {
      throw new SwarmletError('failed_precondition', `host-mode port ${port}/${req.protocol ?? 'tcp'} is already in use on node ${req.node.hostname}`);
    }
    return port;
  }

  async adopt(task: Task): Promise<RunningTask | undefined> {
    this.ensureOpen();
    if (this.running.has(task.ID)) return undefined;
    const dir = taskDirOf(this.tasksDir, task.ID);
    const rec = readTaskRecord(dir);
    if (!rec || rec.taskId !== task.ID || !recordIsAlive(rec, readProcStat)) {
      this.salvage(task.ID, dir, rec);
      return undefined;
    }
    const rt = this.take(rec, dir, graceMsOf(task.Spec.ContainerSpec));
    this.logger.info({ taskId: task.ID, pid: rec.pid, endpoint: rec.endpoint }, 'task process adopted');
    return rt;
  }

  async stopUnadopted(): Promise<void> {
    const stops = listTaskDirs(this.tasksDir).filter((id) => !this.running.has(id)).map((id) => {
      const dir = taskDirOf(this.tasksDir, id);
      const rec = readTaskRecord(dir);
      if (!rec || rec.taskId !== id || !recordIsAlive(rec, readProcStat) || this.closed) {
        this.salvage(id, dir, rec);
        return Promise.resolve();
      }
      this.logger.info({ taskId: id, pid: rec.pid }, 'stopping a task process nobody adopted');
      return this.take(rec, dir, rec.graceMs).stop(rec.graceMs);
    });
    await Promise.all(stops);
  }

  logs(taskId: string, query: LogQuery): AsyncIterable<LogLine> {
    // What the task wrote a moment ago is in its raw output file: read it in before answering.
    this.running.get(taskId)?.task.flushOutput?.();
    return this.logStore.read(taskId, query);
  }

  async forget(taskId: string): Promise<void> {
    await this.logStore.remove(taskId);
    if (!this.running.has(taskId)) { removeTaskDir(taskDirOf(this.tasksDir, taskId)); this.removeFiles(taskId); }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.running.values()].map(({ task, graceMs }) => task.stop(graceMs)));
  }

  async kill(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.running.values()].map(({ task }) => task.stop(0)));
  }

  /** Supervises a recorded process that still runs: its port, its output, its exit. */
  private take(rec: TaskRecord, dir: string, graceMs: number): RunningTask {
    const id = rec.taskId;
    const ep = rec.endpoint;
    const reserved = ep !== undefined && this.ports.reserve(ep.addr, ep.port);
    if (ep && !reserved) this.logger.warn({ taskId: id, ...ep }, 'adopted task port was already handed out');
    const extra = ep ? Object.values(ep.ports ?? {}).filter((p) => p !== ep.port && this.ports.reserve(ep.addr, p)) : [];
    const task = adoptProcessTask({
      record: rec, dir, log: this.logStore.writer(id), ...this.io(id),
      onExit: () => {
        if (ep && reserved) this.ports.release(ep.addr, ep.port);
        for (const p of extra) this.ports.release(ep!.addr, p);
        this.running.delete(id); this.removeFiles(id);
      },
    });
    this.running.set(id, { task, graceMs });
    return task;
  }

  /**
   * What is left of a task whose process is gone: kills what its group may have left, moves its
   * unread output into the log and removes the directory.
   */
  private salvage(taskId: string, dir: string, rec: TaskRecord | undefined): void {
    if (rec && groupIsOurs(rec, readProcStat)) signalGroup(rec.pgid, 'SIGKILL', this.logger);
    if (existsSync(dir)) {
      const log = this.logStore.writer(taskId);
      new OutputTail({ dir, log, ...this.io(taskId) }).drain();
      log.end();
    }
    removeTaskDir(dir);
    this.removeFiles(taskId);
  }

  /** Writes the task's secret and config files; the variables that point the task at them. */
  private writeFiles(req: StartRequest): Record<string, string> {
    const files = req.files?.();
    if (!files) return {};
    const dirs = writeTaskFiles(join(this.filesDir, req.task.ID), files);
    return {
      ...(files.secrets.length > 0 ? { SWARMLET_SECRETS: dirs.secrets } : {}),
      ...(files.configs.length > 0 ? { SWARMLET_CONFIGS: dirs.configs } : {}),
    };
  }

  private removeFiles(taskId: string): void {
    try {
      removeTaskFiles(join(this.filesDir, taskId));
    } catch (err) {
      this.logger.warn({ taskId, err: (err as Error).message }, 'could not remove the task\'s secret and config files');
    }
  }

  private io(taskId: string): { clock: Clock; logger: Logger } {
    return { clock: this.opts.clock, logger: this.logger.child({ taskId }) };
  }

  private ensureOpen(): void {
    if (this.closed) throw new SwarmletError('unavailable', 'the process driver is closed');
  }
}

/** `PORT_<target>` for the first target port (= PORT) and every other one (its own host port). */
function portEnv(first: number | undefined, port: number, extra: Array<[number, number]>): Record<string, string> {
  const env: Record<string, string> = first !== undefined ? { [`PORT_${first}`]: String(port) } : {};
  for (const [t, p] of extra) env[`PORT_${t}`] = String(p);
  return env;
}

function requireImage(req: StartRequest): Image {
  // The scheduler keeps such tasks off process nodes (mounts filter); a task that gets here anyway is refused, never run without its mounts.
  if ((req.task.Spec.ContainerSpec.Mounts as unknown[] | undefined)?.length) {
    throw new SwarmletError('failed_precondition', 'mounts (TaskTemplate.ContainerSpec.Mounts) are not supported by the process driver');
  }
  if (!req.image) throw new SwarmletError('failed_precondition', `image ${req.task.Spec.ContainerSpec.Image} not found`);
  return req.image;
}
