import type { LogLine, LogQuery, RunningTask, StartRequest, TaskDriver } from '../../agent/task-driver.js';
import type { Clock } from '../../clock.js';
import { SwarmletError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { silentLogger } from '../../logger.js';
import type { Task } from '../../model/types.js';
import { DEFAULT_TASK_PORT_RANGE, PortAllocator } from '../port-allocator.js';
import { graceMsOf } from '../task-spec.js';
import { LABELS, containerConfig } from './container-config.js';
import { endpointOfPublished, portBindingPlan, publishedOfBindings, type PortWant, type PublishedPort } from './port-bindings.js';
import { containerTask } from './container-task.js';
import { engineError, type DockerApi, type DockerContainerDetails } from './docker-api.js';
import { readContainerLogs } from './docker-logs.js';
import { AbortFanout } from '../../abort-fanout.js';
import { join } from 'node:path';
import { containerPath, removeTaskFiles, writeTaskFiles } from '../../secrets/task-files.js';
import { defaultFilesRoot } from '../files-root.js';

export interface DockerDriverOptions {
  api: DockerApi;
  clock: Clock;
  logger?: Logger;
  /** The node's ID: every container carries it (`swarmlet.node.id`), adoption and cleanup go by it. */
  nodeId: string;
  /** The node's hostname, for error texts (`image x not found on node <hostname>`). */
  hostname: string;
  /** Host ports the tasks' target ports are published on (default 20000-29999), one per target port. */
  portRange?: [number, number];
  /**
   * Where tasks' secret and config files are written before they are bind-mounted read-only into
   * the container (`/run/secrets/<target>`, configs at their target). The engine must see this
   * path: a local engine. Default: as the process driver (/dev/shm).
   */
  filesDir?: string;
}

export type DockerDriver = TaskDriver & { listImages(): Promise<string[]> };

/** Runs each task as a container on a Docker engine (one container per task, Swarm's way). */
export function createDockerDriver(opts: DockerDriverOptions): DockerDriver {
  return new DockerTaskDriver(opts);
}

interface Live { task: RunningTask; graceMs: number }

/**
 * Containers stay (stopped) after their task ends, so `service logs` still works, and are removed
 * when the task is forgotten (deleted from the store), or when the driver closes.
 */
class DockerTaskDriver implements DockerDriver {
  readonly name = 'docker';
  private readonly api: DockerApi;
  private readonly logger: Logger;
  private readonly ports: PortAllocator;
  /** Tasks this instance started or adopted (claimed before their container exists) → container ID. */
  private readonly owned = new Map<string, string | undefined>();
  private readonly live = new Map<string, Live>();
  /** Follows of many containers with one signal (a service's logs) share one abort listener. */
  private readonly aborts = new AbortFanout();
  private closed = false;

  constructor(private readonly opts: DockerDriverOptions) {
    this.api = opts.api;
    this.logger = (opts.logger ?? silentLogger()).child({ driver: 'docker' });
    this.ports = new PortAllocator(opts.portRange ?? DEFAULT_TASK_PORT_RANGE);
  }

  async start(req: StartRequest): Promise<RunningTask> {
    this.ensureOpen();
    const taskId = req.task.ID;
    if (this.owned.has(taskId)) throw new SwarmletError('conflict', `task ${taskId} is already running`);
    this.owned.set(taskId, undefined);
    try {
      return await this.create(req);
    } catch (err) {
      if (this.owned.get(taskId) === undefined) this.owned.delete(taskId);
      throw err instanceof SwarmletError ? err : engineError(err);
    }
  }

  private async create(req: StartRequest): Promise<RunningTask> {
    const image = req.task.Spec.ContainerSpec.Image;
    if (!(await this.api.inspectImage(image))) {
      throw new SwarmletError('failed_precondition', `image ${image} not found on node ${this.opts.hostname}`);
    }
    const addr = req.node.addr;
    const published = await this.takePorts(addr, portBindingPlan(req));
    const release = () => { for (const p of published) this.ports.release(addr, p.hostPort); };
    let id: string;
    try {
      id = await this.api.createContainer(containerConfig(req, published, this.mountFiles(req)));
    } catch (err) {
      release();
      this.removeFiles(req.task.ID);
      throw err;
    }
    this.owned.set(req.task.ID, id);
    if (this.closed) {
      release();
      await this.api.removeContainer(id);
      this.owned.delete(req.task.ID);
      throw new SwarmletError('unavailable', 'the docker driver is closed');
    }
    return this.run(req, id, published, release);
  }

  /**
   * A host port for every target port: host mode its published port (refused when this node
   * already hands it out), ingress one from the range. All or nothing: on failure the ports taken
   * so far are given back.
   */
  private async takePorts(addr: string, plan: PortWant[]): Promise<PublishedPort[]> {
    const out: PublishedPort[] = [];
    try {
      for (const w of plan) {
        if (w.hostPort !== undefined && !this.ports.reserve(addr, w.hostPort)) {
          throw new SwarmletError('failed_precondition', `host-mode port ${w.hostPort}/${w.protocol} is already in use on node ${this.opts.hostname}`);
        }
        // Host mode: the container's port is bound on the published port itself; ingress: on a port the driver picks.
        out.push({ target: w.target, addr, hostPort: w.hostPort ?? await this.ports.allocate(addr), protocol: w.protocol, ...(w.also ? { also: w.also } : {}) });
      }
    } catch (err) {
      for (const p of out) this.ports.release(addr, p.hostPort);
      throw err;
    }
    return out;
  }

  private async run(req: StartRequest, id: string, published: PublishedPort[], release: () => void): Promise<RunningTask> {
    try {
      await this.api.startContainer(id);
    } catch (err) {
      release();
      const message = engineError(err).message.replace(/^docker engine: /, '');
      this.logger.warn({ taskId: req.task.ID, container: id, err: message }, 'container did not start');
      return failedStart(`starting container failed: ${message}`);
    }
    const info = await this.api.inspectContainer(id).catch(() => undefined);
    const endpoint = endpointOfPublished(published);
    this.logger.info({ taskId: req.task.ID, task: req.taskName, container: id, endpoint }, 'container started');
    return this.track(req.task.ID, id, endpoint, info?.State.Pid, graceMsOf(req.task.Spec.ContainerSpec), release);
  }

  async adopt(task: Task): Promise<RunningTask | undefined> {
    this.ensureOpen();
    if (this.owned.has(task.ID)) return undefined;
    const found = await this.api.listContainers({ labels: this.labelsOf(task.ID) });
    const summary = found.find((c) => c.State === 'running');
    const info = summary && await this.api.inspectContainer(summary.Id);
    if (!info?.State.Running || this.owned.has(task.ID)) return undefined;
    const published = publishedOfBindings(info.HostConfig.PortBindings, firstTargetOf(info.Config.Env));
    const ep = endpointOfPublished(published);
    const reserved = published.filter((p) => this.ports.reserve(p.addr, p.hostPort));
    if (reserved.length < published.length) this.logger.warn({ taskId: task.ID, ...ep }, 'adopted container port was already handed out');
    const release = () => { for (const p of reserved) this.ports.release(p.addr, p.hostPort); };
    this.owned.set(task.ID, info.Id);
    this.logger.info({ taskId: task.ID, container: info.Id, endpoint: ep }, 'container adopted');
    return this.track(task.ID, info.Id, ep, info.State.Pid, graceMsOf(task.Spec.ContainerSpec), release);
  }

  async stopUnadopted(): Promise<void> {
    const all = await this.api.listContainers({ labels: [`${LABELS.nodeId}=${this.opts.nodeId}`], all: true });
    const strays = all.filter((c) => !this.owned.has(c.Labels[LABELS.taskId] ?? '') && ![...this.owned.values()].includes(c.Id));
    await Promise.all(strays.map(async (c) => {
      this.logger.info({ container: c.Id, taskId: c.Labels[LABELS.taskId], state: c.State }, 'removing a container nobody adopted');
      if (c.State === 'running') await this.api.stopContainer(c.Id).catch((err: unknown) => this.logger.warn({ container: c.Id, err }, 'docker stop failed'));
      await this.api.removeContainer(c.Id);
    }));
  }

  async *logs(taskId: string, query: LogQuery): AsyncGenerator<LogLine> {
    const id = this.owned.get(taskId) ?? (await this.api.listContainers({ labels: this.labelsOf(taskId), all: true }))[0]?.Id;
    if (id === undefined) return;
    yield* readContainerLogs(this.api, id, query, () => this.opts.clock.now(), this.aborts);
  }

  async forget(taskId: string): Promise<void> {
    const live = this.live.get(taskId);
    if (live) await live.task.stop(live.graceMs);
    const id = this.owned.get(taskId);
    const others = await this.api.listContainers({ labels: this.labelsOf(taskId), all: true });
    const ids = new Set([...(id ? [id] : []), ...others.map((c) => c.Id)]);
    await Promise.all([...ids].map((c) => this.api.removeContainer(c)));
    this.owned.delete(taskId);
    this.removeFiles(taskId);
  }

  private get filesDir(): string {
    return this.opts.filesDir ?? defaultFilesRoot();
  }

  /** Writes the task's secret and config files on the node: the read-only binds that mount them. */
  private mountFiles(req: StartRequest): string[] {
    const files = req.files?.();
    if (!files) return [];
    const dirs = writeTaskFiles(join(this.filesDir, req.task.ID), files);
    return [
      ...files.secrets.map((f) => `${join(dirs.secrets, f.name)}:${containerPath('secret', f.target)}:ro`),
      ...files.configs.map((f) => `${join(dirs.configs, f.name)}:${containerPath('config', f.target)}:ro`),
    ];
  }

  private removeFiles(taskId: string): void {
    try {
      removeTaskFiles(join(this.filesDir, taskId));
    } catch (err) {
      this.logger.warn({ taskId, err: (err as Error).message }, 'could not remove the task\'s secret and config files');
    }
  }

  /** Stops every container this driver runs and removes the containers it started or adopted. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.live.values()].map(({ task, graceMs }) => task.stop(graceMs)));
    const ids = [...this.owned.values()].filter((id): id is string => id !== undefined);
    await Promise.all(ids.map((id) => this.api.removeContainer(id).catch((err: unknown) => this.logger.warn({ container: id, err }, 'cannot remove container'))));
  }

  /** The engine's image tags (`name:tag`), sorted; untagged images left out. */
  async listImages(): Promise<string[]> {
    const images = await this.api.listImages();
    const tags = images.flatMap((i) => i.RepoTags ?? []).filter((t) => !t.includes('<none>'));
    return [...new Set(tags)].sort();
  }

  private track(taskId: string, id: string, endpoint: RunningTask['endpoint'], pid: number | undefined, graceMs: number, release: () => void): RunningTask {
    const task = containerTask({
      api: this.api, containerId: id, endpoint, pid: pid || undefined, clock: this.opts.clock,
      logger: this.logger.child({ taskId }),
      onExit: () => { release(); this.live.delete(taskId); this.removeFiles(taskId); },
    });
    this.live.set(taskId, { task, graceMs });
    return task;
  }

  private labelsOf(taskId: string): string[] {
    return [`${LABELS.taskId}=${taskId}`, `${LABELS.nodeId}=${this.opts.nodeId}`];
  }

  private ensureOpen(): void {
    if (this.closed) throw new SwarmletError('unavailable', 'the docker driver is closed');
  }
}

/**
 * A task whose container would not start: it has ended (failed with `error`, so the restart policy
 * applies). Its health cannot be read, so the runner never counts it running.
 */
function failedStart(error: string): RunningTask {
  return {
    endpoint: undefined, pid: undefined,
    exited: Promise.resolve({ exitCode: undefined, signal: undefined, stopped: false, error }),
    stop: () => Promise.resolve(),
    health: () => Promise.reject(new SwarmletError('failed_precondition', error)),
  };
}

/** Where an adopted container is published: its first target's host binding (and every target's, when several). */
export function endpointOf(info: Pick<DockerContainerDetails, 'HostConfig'> & { Config?: DockerContainerDetails['Config'] }): RunningTask['endpoint'] {
  return endpointOfPublished(publishedOfBindings(info.HostConfig.PortBindings, firstTargetOf(info.Config?.Env)));
}

/** The container's first target port: its last `PORT=` variable (the driver sets it after the service's env). */
function firstTargetOf(env: string[] | null | undefined): number | undefined {
  const entry = [...(env ?? [])].reverse().find((e) => e.startsWith('PORT='));
  const n = Number(entry?.slice(5));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
