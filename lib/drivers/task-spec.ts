import { constants as osConstants } from 'node:os';
import type { StartRequest } from '../agent/task-driver.js';
import { invalid } from '../errors.js';
import type { ContainerSpec, Image } from '../model/types.js';
import { imageRef } from './builtin-images.js';

/** Docker's default `--stop-grace-period`. */
export const DEFAULT_STOP_GRACE_MS = 10_000;

/**
 * The command line as Docker builds it: ContainerSpec.Command replaces the image's Entrypoint and
 * ContainerSpec.Args its Cmd; a Command without Args runs without the image's Cmd (as `--entrypoint`).
 */
export function taskArgv(spec: ContainerSpec, image: Image): string[] {
  const command = spec.Command && spec.Command.length > 0 ? spec.Command : undefined;
  const args = spec.Args && spec.Args.length > 0 ? spec.Args : undefined;
  const argv = [...(command ?? image.Entrypoint ?? []), ...(args ?? (command ? [] : image.Cmd))];
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
