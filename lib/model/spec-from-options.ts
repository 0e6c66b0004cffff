/**
 * The friendly options (CLI flags, embedding API) → the ServiceSpec the docker CLI would send for the
 * same `docker service create` flags (docker-cli-compat §2): Labels {}, ContainerSpec {Image, Init false,
 * DNSConfig {}}, Resources {Limits {}, Reservations {}}, Placement {}, ForceUpdate 0, EndpointSpec {Mode vip},
 * and UpdateConfig / RollbackConfig / RestartPolicy only when an option of that group is given.
 */
import { isJobMode } from './naming.js';
import { invalid } from '../errors.js';
import { parseDuration } from './durations.js';
import {
  checkConstraintList, healthCheckFromOptions, nonNegativeInt, parseEnv, parseKeyValues, parsePlacementPrefs,
  replicaCount, resourcesFromOptions, restartPolicyFromOptions, stringList, updateConfigFromOptions,
} from './option-groups.js';
import { parsePublish } from './ports.js';
import { parseConfigRef, parseSecretRef } from './file-ref-options.js';
import { parseNetworkAttachment } from './network-options.js';
import { checkNoJobUpdateOptions, type ServiceOptions } from './service-options.js';
import type { ContainerSpec, Placement, ServiceMode, ServiceSpec, TaskSpec } from './types.js';
import { assertServerAccepts, checkServiceName } from './validate-spec.js';

export { applyUpdateOptions } from './apply-update-options.js';
export type { ServiceUpdateOptions } from './apply-update-options.js';

/** Builds a new ServiceSpec from options; throws invalid_argument naming the option (Docker's texts where it has them). */
export function specFromOptions(opts: ServiceOptions): ServiceSpec {
  if (opts === null || typeof opts !== 'object') throw invalid('invalid service options: expected an object', 'options');
  const Mode = modeFromOptions(opts);
  checkNoJobUpdateOptions(opts, isJobMode(Mode));
  if (opts.name !== undefined && opts.name !== '') checkServiceName(opts.name, 'name');
  const image = typeof opts.image === 'string' ? opts.image.trim() : '';
  if (image === '') throw invalid('ContainerSpec: image reference must be provided', 'image');
  const spec: ServiceSpec = {
    Name: opts.name ?? '',
    Labels: parseKeyValues(opts.labels, 'labels'),
    TaskTemplate: taskTemplateFromOptions(opts, image),
    Mode,
  };
  const update = updateConfigFromOptions(opts, 'update', undefined);
  if (update) spec.UpdateConfig = update;
  const rollback = updateConfigFromOptions(opts, 'rollback', undefined);
  if (rollback) spec.RollbackConfig = rollback;
  const ports = opts.publish === undefined ? [] : stringList(opts.publish, 'publish').map(parsePublish);
  spec.EndpointSpec = ports.length > 0 ? { Mode: 'vip', Ports: ports } : { Mode: 'vip' };
  assertServerAccepts(spec);
  return spec;
}

function modeFromOptions(opts: ServiceOptions): ServiceMode {
  const mode: string = opts.mode ?? 'replicated';
  if (opts.maxConcurrent !== undefined && mode !== 'replicated-job') {
    throw invalid('max-concurrent can only be used with replicated-job mode', 'maxConcurrent');
  }
  if (mode === 'global' || mode === 'global-job') {
    if (opts.replicas !== undefined) throw invalid('replicas can only be used with replicated or replicated-job mode', 'replicas');
    if ((opts.replicasMaxPerNode ?? 0) !== 0) {
      throw invalid('replicas-max-per-node can only be used with replicated or replicated-job mode', 'replicasMaxPerNode');
    }
    return mode === 'global' ? { Global: {} } : { GlobalJob: {} };
  }
  if (mode === 'replicated-job') return { ReplicatedJob: replicatedJobFromOptions(opts) };
  if (mode !== 'replicated') throw invalid(`unknown mode: ${mode}, only replicated and global supported`, 'mode');
  return { Replicated: { Replicas: opts.replicas === undefined ? 1 : replicaCount(opts.replicas, 'replicas') } };
}

/** docker: MaxConcurrent = --max-concurrent, else --replicas; TotalCompletions = --replicas, else MaxConcurrent; both default 1. */
function replicatedJobFromOptions(opts: ServiceOptions): { MaxConcurrent: number; TotalCompletions: number } {
  const total = opts.replicas === undefined ? undefined : replicaCount(opts.replicas, 'replicas');
  const concurrent = opts.maxConcurrent === undefined ? undefined : nonNegativeInt(opts.maxConcurrent, 'maxConcurrent');
  const MaxConcurrent = concurrent ?? total ?? 1;
  return { MaxConcurrent, TotalCompletions: total ?? MaxConcurrent };
}

function taskTemplateFromOptions(opts: ServiceOptions, image: string): TaskSpec {
  const task: TaskSpec = {
    ContainerSpec: containerSpecFromOptions(opts, image),
    Resources: resourcesFromOptions(opts, undefined),
  };
  const restart = restartPolicyFromOptions(opts, undefined);
  if (restart) task.RestartPolicy = restart;
  task.Placement = placementFromOptions(opts);
  if (opts.networks !== undefined && opts.networks.length > 0) task.Networks = stringList(opts.networks, 'networks').map((v) => parseNetworkAttachment(v));
  task.ForceUpdate = 0;
  return task;
}

/** Members in the order Go encodes swarm.ContainerSpec; empty ones left out as omitempty does. */
function containerSpecFromOptions(opts: ServiceOptions, Image: string): ContainerSpec {
  const c: ContainerSpec = { Image };
  const labels = parseKeyValues(opts.containerLabels, 'containerLabels');
  if (Object.keys(labels).length > 0) c.Labels = labels;
  setList(c, 'Command', opts.command === undefined ? [] : stringList(opts.command, 'command'));
  setList(c, 'Args', opts.args === undefined ? [] : stringList(opts.args, 'args'));
  setList(c, 'Env', opts.env === undefined ? [] : parseEnv(opts.env, 'env'));
  if (opts.workdir) c.Dir = textOption(opts.workdir, 'workdir');
  c.Init = false;
  if (opts.stopSignal) c.StopSignal = textOption(opts.stopSignal, 'stopSignal');
  if (opts.stopGracePeriod !== undefined) c.StopGracePeriod = parseDuration(opts.stopGracePeriod, 'stopGracePeriod');
  const health = healthCheckFromOptions(opts, undefined);
  if (health) c.Healthcheck = health;
  c.DNSConfig = {};
  if (opts.secrets !== undefined && opts.secrets.length > 0) c.Secrets = stringList(opts.secrets, 'secrets').map((v) => parseSecretRef(v));
  if (opts.configs !== undefined && opts.configs.length > 0) c.Configs = stringList(opts.configs, 'configs').map((v) => parseConfigRef(v));
  return c;
}

function placementFromOptions(opts: ServiceOptions): Placement {
  const p: Placement = {};
  const constraints = opts.constraints === undefined ? [] : checkConstraintList(opts.constraints, 'constraints');
  if (constraints.length > 0) p.Constraints = constraints;
  const prefs = opts.placementPrefs === undefined ? [] : parsePlacementPrefs(opts.placementPrefs);
  if (prefs.length > 0) p.Preferences = prefs;
  const max = opts.replicasMaxPerNode === undefined ? 0 : nonNegativeInt(opts.replicasMaxPerNode, 'replicasMaxPerNode');
  if (max > 0) p.MaxReplicas = max;
  return p;
}

function setList(c: ContainerSpec, key: 'Command' | 'Args' | 'Env', list: string[]): void {
  if (list.length > 0) c[key] = list;
}

function textOption(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalid(`invalid ${field} ${JSON.stringify(value)}: expected a string`, field);
  return value;
}
