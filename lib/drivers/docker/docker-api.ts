import Docker from 'dockerode';
import { SwarmletError, invalid } from '../../errors.js';

/** One host binding of a published container port. */
export interface DockerPortBinding { HostIp?: string; HostPort?: string }

/** The body of POST /containers/create (the members the docker driver sets), plus its name. */
export interface DockerContainerCreate {
  name: string;
  Image: string;
  Entrypoint?: string[];
  Cmd?: string[];
  Env: string[];
  Labels: Record<string, string>;
  Hostname?: string;
  User?: string;
  WorkingDir?: string;
  StopSignal?: string;
  /** Seconds between the stop signal and SIGKILL. */
  StopTimeout: number;
  Healthcheck?: { Test: string[] };
  ExposedPorts?: Record<string, Record<string, never>>;
  HostConfig: {
    PortBindings?: Record<string, DockerPortBinding[]>;
    NanoCpus?: number;
    Memory?: number;
    PidsLimit?: number;
    Init?: boolean;
    RestartPolicy: { Name: 'no' };
    /** `host-path:container-path:ro`: a task's secret and config files. */
    Binds?: string[];
    /** ContainerSpec.Mounts as they are (the Engine's mount.Mount is the same shape): bind, volume, tmpfs. */
    Mounts?: Array<Record<string, unknown>>;
  };
}

export interface DockerImageSummary { Id: string; RepoTags?: string[] | null }

export interface DockerImageDetails {
  Id: string;
  Config?: { Healthcheck?: { Test?: string[] } | null } | null;
}

/** `State` of a container as `docker inspect` shows it. */
export interface DockerContainerState {
  Status: string;
  Running: boolean;
  Pid: number;
  ExitCode: number;
  OOMKilled: boolean;
  Error?: string;
  Health?: { Status: string } | null;
}

export interface DockerContainerDetails {
  Id: string;
  Name: string;
  State: DockerContainerState;
  Config: { Labels?: Record<string, string> | null; Env?: string[] | null };
  HostConfig: { PortBindings?: Record<string, DockerPortBinding[] | null> | null };
}

export interface DockerContainerSummary {
  Id: string;
  Names: string[];
  /** `created`, `running`, `exited` … */
  State: string;
  Labels: Record<string, string>;
}

export interface DockerLogOptions {
  follow: boolean;
  /** Last N lines; undefined = all. */
  tail?: number;
  /** Unix time in seconds (fractions allowed). */
  since?: number;
  signal?: AbortSignal;
}

/**
 * The narrow part of the Docker Engine API the docker driver uses. "Not found" is an answer
 * (undefined) where the driver expects it, not an error.
 */
export interface DockerApi {
  ping(): Promise<void>;
  listImages(): Promise<DockerImageSummary[]>;
  /** Undefined when the engine has no such image. */
  inspectImage(ref: string): Promise<DockerImageDetails | undefined>;
  /** Creates the container; resolves with its ID. */
  createContainer(body: DockerContainerCreate): Promise<string>;
  startContainer(id: string): Promise<void>;
  /**
   * `docker stop -t timeoutSec` (default: the container's own StopTimeout); a container that already
   * stopped (or is gone) is not an error.
   */
  stopContainer(id: string, timeoutSec?: number): Promise<void>;
  /** `docker kill`; a container that is not running (or gone) is not an error. */
  killContainer(id: string, signal?: string): Promise<void>;
  /** Undefined when there is no such container. */
  inspectContainer(id: string): Promise<DockerContainerDetails | undefined>;
  /** Force-removes the container; one already gone is not an error. */
  removeContainer(id: string): Promise<void>;
  /** Resolves with the exit code once the container is not running; undefined when there is no such container. */
  waitContainer(id: string): Promise<number | undefined>;
  /**
   * Both streams with timestamps, as the engine sends them: frames with an 8-byte header
   * (stream, 0, 0, 0, big-endian length); each message starts with an RFC 3339 timestamp and a space.
   * Ends at the end of the log (follow: when the container stops, or the signal aborts).
   */
  containerLogs(id: string, opts: DockerLogOptions): Promise<AsyncIterable<Buffer> | Iterable<Buffer>>;
  /** Containers carrying every one of the labels (`key=value`), stopped ones included when `all`. */
  listContainers(filter: { labels: string[]; all?: boolean }): Promise<DockerContainerSummary[]>;
  /**
   * `docker exec` of argv in a running container: its combined output (the multiplexed frames,
   * as containerLogs gives them, without timestamps) and its exit code. Rejects when the engine
   * refuses (no such container, not running); the caller bounds the time with `signal`.
   */
  execInContainer(id: string, argv: string[], signal: AbortSignal): Promise<{ output: Buffer[]; exitCode: number | undefined }>;
}

export interface DockerApiOptions {
  /** `unix:///path`, `tcp://host:port` or `http://host:port`; default DOCKER_HOST, then /var/run/docker.sock. */
  host?: string;
  /** Where DOCKER_HOST is read from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** The engine a host option means: the option, else DOCKER_HOST, else the local socket. */
export function dockerHostOf(host: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return host?.trim() || env.DOCKER_HOST?.trim() || 'unix:///var/run/docker.sock';
}

/** dockerode's connection options for a Docker host URL. */
export function dockerConnection(host: string | undefined): Docker.DockerOptions {
  const url = host?.trim() || 'unix:///var/run/docker.sock';
  if (url.startsWith('unix://')) {
    const socketPath = url.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw invalid(`invalid Docker host ${url}: the socket path must be absolute`, 'dockerHost');
    return { socketPath };
  }
  const m = /^(tcp|http):\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(url);
  if (!m) throw invalid(`invalid Docker host ${url}: expected unix:///path, tcp://host:port or http://host:port`, 'dockerHost');
  return { protocol: 'http', host: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3]) };
}

/** A DockerApi on dockerode. */
export function createDockerApi(opts: DockerApiOptions = {}): DockerApi {
  const docker = new Docker(dockerConnection(dockerHostOf(opts.host, opts.env)));
  const container = (id: string) => docker.getContainer(id);
  return {
    ping: async () => { await docker.ping(); },
    listImages: async () => (await docker.listImages()) as DockerImageSummary[],
    inspectImage: (ref) => unlessMissing(docker.getImage(ref).inspect() as Promise<DockerImageDetails>),
    createContainer: async ({ name, ...body }) => {
      // The name goes in the query string only, the config in the body only (docker-modem's _query/_body).
      const opts = { _query: { name }, _body: body } as unknown as Docker.ContainerCreateOptions;
      return (await docker.createContainer(opts).catch((err: unknown) => { throw engineError(err); })).id;
    },
    startContainer: (id) => tolerate(container(id).start(), [304]),
    stopContainer: (id, t) => tolerate(container(id).stop(t === undefined ? {} : { t }), [304, 404]),
    killContainer: (id, signal) => tolerate(container(id).kill(signal ? { signal } : {}), [404, 409]),
    inspectContainer: (id) => unlessMissing(container(id).inspect() as Promise<DockerContainerDetails>),
    removeContainer: (id) => tolerate(container(id).remove({ force: true, v: true }), [404, 409]),
    waitContainer: async (id) => {
      const res = await unlessMissing(container(id).wait({ condition: 'not-running' }) as Promise<{ StatusCode: number }>);
      return res?.StatusCode;
    },
    containerLogs: (id, o) => containerLogs(docker, id, o),
    listContainers: async (f) => (await docker.listContainers({ all: f.all ?? false, filters: { label: f.labels } })) as DockerContainerSummary[],
    execInContainer: (id, argv, signal) => execInContainer(container(id), argv, signal),
  };
}

async function execInContainer(c: Docker.Container, argv: string[], signal: AbortSignal): Promise<{ output: Buffer[]; exitCode: number | undefined }> {
  const exec = await c.exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, AttachStdin: false, Tty: false });
  const stream = await exec.start({ hijack: true, stdin: false });
  const output: Buffer[] = [];
  const onAbort = () => stream.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) output.push(chunk);
  } catch {
    // destroyed on timeout, or the engine dropped the connection: the exit code says what happened
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (signal.aborted) return { output, exitCode: undefined };
  const info = await exec.inspect() as { ExitCode: number | null };
  return { output, exitCode: info.ExitCode ?? undefined };
}

async function containerLogs(docker: Docker, id: string, o: DockerLogOptions): Promise<AsyncIterable<Buffer> | Iterable<Buffer>> {
  const base = {
    stdout: true, stderr: true, timestamps: true,
    ...(o.tail !== undefined ? { tail: Math.max(0, o.tail) } : {}),
    ...(o.since !== undefined ? { since: o.since } : {}),
    ...(o.signal ? { abortSignal: o.signal } : {}),
  };
  try {
    if (!o.follow) return [await docker.getContainer(id).logs({ ...base, follow: false })];
    return await docker.getContainer(id).logs({ ...base, follow: true }) as unknown as AsyncIterable<Buffer>;
  } catch (err) {
    if (statusOf(err) === 404 || isAbort(err)) return [];
    throw err;
  }
}

/** The HTTP status of a dockerode error, if any. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

function isAbort(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'AbortError';
}

async function unlessMissing<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw engineError(err);
  }
}

async function tolerate(p: Promise<unknown>, statuses: number[]): Promise<void> {
  try {
    await p;
  } catch (err) {
    const status = statusOf(err);
    if (status === undefined || !statuses.includes(status)) throw engineError(err);
  }
}

/** An engine error as a SwarmletError with the engine's own message. */
export function engineError(err: unknown): Error {
  if (err instanceof SwarmletError) return err;
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  const message = typeof json?.message === 'string' ? json.message : (err as Error)?.message ?? String(err);
  return new SwarmletError(statusOf(err) === undefined ? 'unavailable' : 'internal', `docker engine: ${message}`);
}
