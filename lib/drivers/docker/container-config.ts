import type { StartRequest } from '../../agent/task-driver.js';
import { invalid } from '../../errors.js';
import { graceMsOf } from '../task-spec.js';
import type { DockerContainerCreate } from './docker-api.js';
import { portBindingsOf, type PublishedPort } from './port-bindings.js';

export type { PublishedPort } from './port-bindings.js';

/** Labels every container of the driver carries (moby uses `com.docker.swarm.*`; these are ours). */
export const LABELS = {
  serviceId: 'swarmlet.service.id',
  serviceName: 'swarmlet.service.name',
  taskId: 'swarmlet.task.id',
  taskName: 'swarmlet.task.name',
  slot: 'swarmlet.slot',
  nodeId: 'swarmlet.node.id',
} as const;

/** Swarm's container name: `<service>.<slot|nodeID>.<taskID>`. */
export function containerName(req: Pick<StartRequest, 'taskName' | 'task'>): string {
  return `${req.taskName}.${req.task.ID}`;
}

/** The stop grace in whole seconds, rounded up (`docker stop -t`). */
export function stopTimeoutSeconds(graceMs: number): number {
  return Math.max(0, Math.ceil(graceMs / 1000));
}

/**
 * The create-container body for a task, as Swarm's executor builds it: ContainerSpec.Command
 * replaces the image's entrypoint (then Args are its arguments), Args alone replace the image's
 * Cmd; the request's env plus PORT; the container labels plus swarmlet's; resource limits; stop
 * signal and grace; no restart policy (swarmlet's restart policy rules); the image's HEALTHCHECK
 * disabled when the service sets a health check (swarmlet probes it); the target port published on
 * the node's address only, every target port on its own host port (`PORT` is the first target,
 * `PORT_<target>` each, as the process driver names them; inside the container they are the
 * target ports themselves); ContainerSpec.Mounts as HostConfig.Mounts (binds, volumes, tmpfs).
 */
export function containerConfig(req: StartRequest, published: PublishedPort[], binds: string[] = []): DockerContainerCreate {
  const spec = req.task.Spec.ContainerSpec;
  const body: DockerContainerCreate = {
    name: containerName(req),
    Image: spec.Image,
    Env: [...req.env, ...portEnv(published)],
    Labels: { ...(spec.Labels ?? {}), ...taskLabels(req) },
    StopTimeout: stopTimeoutSeconds(graceMsOf(spec)),
    HostConfig: { RestartPolicy: { Name: 'no' } },
  };
  if (spec.Command && spec.Command.length > 0) {
    body.Entrypoint = [...spec.Command];
    body.Cmd = [...(spec.Args ?? [])];
  } else if (spec.Args && spec.Args.length > 0) {
    body.Cmd = [...spec.Args];
  }
  setText(body, 'Hostname', spec.Hostname);
  setText(body, 'User', spec.User);
  setText(body, 'WorkingDir', spec.Dir);
  setText(body, 'StopSignal', spec.StopSignal);
  // The service's own health check (probes run by swarmlet) or --no-healthcheck replaces the image's.
  if (spec.Healthcheck?.Test?.length) body.Healthcheck = { Test: ['NONE'] };
  if (spec.Init === true) body.HostConfig.Init = true;
  Object.assign(body.HostConfig, limitsOf(req));
  if (binds.length > 0) body.HostConfig.Binds = binds;
  const mounts = spec.Mounts as Array<Record<string, unknown>> | undefined;
  if (mounts && mounts.length > 0) body.HostConfig.Mounts = mounts.map((m) => structuredClone(m));
  const { ExposedPorts, PortBindings } = portBindingsOf(published);
  if (ExposedPorts) body.ExposedPorts = ExposedPorts;
  if (PortBindings) body.HostConfig.PortBindings = PortBindings;
  return body;
}

/** `PORT` (the first target port) and `PORT_<target>` for each: inside the container, the targets themselves. */
function portEnv(published: PublishedPort[]): string[] {
  if (published.length === 0) return [];
  return [`PORT=${published[0]!.target}`, ...published.map((p) => `PORT_${p.target}=${p.target}`)];
}

/** The labels that tie a container to its task and node (found again by them after an agent restart). */
export function taskLabels(req: Pick<StartRequest, 'task' | 'serviceName' | 'taskName' | 'node'>): Record<string, string> {
  return {
    [LABELS.serviceId]: req.task.ServiceID,
    [LABELS.serviceName]: req.serviceName,
    [LABELS.taskId]: req.task.ID,
    [LABELS.taskName]: req.taskName,
    [LABELS.slot]: String(req.task.Slot),
    [LABELS.nodeId]: req.node.id,
  };
}

function limitsOf(req: StartRequest): Pick<DockerContainerCreate['HostConfig'], 'NanoCpus' | 'Memory' | 'PidsLimit'> {
  const limits = req.task.Spec.Resources?.Limits;
  const out: Pick<DockerContainerCreate['HostConfig'], 'NanoCpus' | 'Memory' | 'PidsLimit'> = {};
  if (limits?.NanoCPUs) out.NanoCpus = positive(limits.NanoCPUs, 'TaskTemplate.Resources.Limits.NanoCPUs');
  if (limits?.MemoryBytes) out.Memory = positive(limits.MemoryBytes, 'TaskTemplate.Resources.Limits.MemoryBytes');
  if (limits?.Pids) out.PidsLimit = positive(limits.Pids, 'TaskTemplate.Resources.Limits.Pids');
  return out;
}

function positive(n: number, field: string): number {
  if (!Number.isInteger(n) || n < 0) throw invalid(`invalid ${field}: ${n} (must be a non-negative integer)`, field);
  return n;
}

function setText(body: DockerContainerCreate, key: 'Hostname' | 'User' | 'WorkingDir' | 'StopSignal', value: unknown): void {
  if (typeof value === 'string' && value.trim() !== '') body[key] = value;
}
