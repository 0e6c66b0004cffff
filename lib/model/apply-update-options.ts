/**
 * `docker service update` semantics (docker/cli cli/command/service/update.go): only the options given
 * change the spec; a new spec is returned and the input is never mutated.
 */
import { isJobMode } from './naming.js';
import { invalid } from '../errors.js';
import { parseDuration } from './durations.js';
import {
  checkConstraintList, healthCheckFromOptions, nonNegativeInt, parseEnv, parseKeyValues, parsePlacementPrefs,
  replicaCount, resourcesFromOptions, restartPolicyFromOptions, stringList, updateConfigFromOptions,
} from './option-groups.js';
import { parsePublish } from './ports.js';
import { parseConfigRef, parseSecretRef, removeRefs } from './file-ref-options.js';
import type { ConfigReference, SecretReference } from './secret-types.js';
import { parseNetworkAttachment, removeAttachments } from './network-options.js';
import type { NetworkAttachment } from './network-types.js';
import { checkNoJobUpdateOptions, type ServiceOptions } from './service-options.js';
import type { ContainerSpec, PortConfig, ServiceSpec, TaskSpec } from './types.js';
import { assertServerAccepts } from './validate-spec.js';

export interface ServiceUpdateOptions
  extends Omit<ServiceOptions, 'name' | 'mode' | 'env' | 'labels' | 'containerLabels' | 'constraints' | 'publish' | 'secrets' | 'configs' | 'networks'> {
  envAdd?: string[];
  envRm?: string[];
  labelAdd?: string[];
  labelRm?: string[];
  containerLabelAdd?: string[];
  containerLabelRm?: string[];
  constraintAdd?: string[];
  constraintRm?: string[];
  publishAdd?: string[];
  publishRm?: string[];
  secretAdd?: string[];
  /** Secret names to remove (docker's --secret-rm). */
  secretRm?: string[];
  configAdd?: string[];
  configRm?: string[];
  networkAdd?: string[];
  /** Network IDs (or names, matched as given) to detach. */
  networkRm?: string[];
  force?: boolean;
}

const RESOURCE_KEYS = ['reserveCpu', 'reserveMemory', 'limitCpu', 'limitMemory'] as const;

/** Returns a new spec with the given options applied, as `docker service update` would. */
export function applyUpdateOptions(spec: ServiceSpec, opts: ServiceUpdateOptions): ServiceSpec {
  const out = structuredClone(spec);
  const task = out.TaskTemplate;
  const container = task.ContainerSpec;
  applyMode(out, opts);
  applyContainer(container, opts);
  applyTask(task, opts);
  if (opts.labelAdd !== undefined || opts.labelRm !== undefined) {
    out.Labels = updateMap(out.Labels, opts.labelAdd, opts.labelRm, 'labelAdd', 'labelRm');
  }
  set(out, 'UpdateConfig', updateConfigFromOptions(opts, 'update', out.UpdateConfig));
  set(out, 'RollbackConfig', updateConfigFromOptions(opts, 'rollback', out.RollbackConfig));
  if (opts.publishAdd !== undefined || opts.publishRm !== undefined) {
    const endpoint = out.EndpointSpec ?? (out.EndpointSpec = {});
    set(endpoint, 'Ports', nonEmpty(updatePorts(endpoint.Ports ?? [], opts.publishAdd, opts.publishRm)));
  }
  assertServerAccepts(out);
  return out;
}

function applyMode(spec: ServiceSpec, opts: ServiceUpdateOptions): void {
  const mode = spec.Mode ?? {};
  if (opts.replicas !== undefined) {
    if (!mode.Replicated && !mode.ReplicatedJob) throw invalid('replicas can only be used with replicated or replicated-job mode', 'replicas');
    const n = replicaCount(opts.replicas, 'replicas');
    if (mode.Replicated) mode.Replicated.Replicas = n;
    else mode.ReplicatedJob!.TotalCompletions = n;
  }
  if (opts.maxConcurrent !== undefined) {
    if (!mode.ReplicatedJob) throw invalid('max-concurrent can only be used with replicated-job mode', 'maxConcurrent');
    mode.ReplicatedJob.MaxConcurrent = nonNegativeInt(opts.maxConcurrent, 'maxConcurrent');
  }
  if (opts.replicasMaxPerNode !== undefined) {
    if (!mode.Replicated && !mode.ReplicatedJob) {
      throw invalid('replicas-max-per-node can only be used with replicated or replicated-job mode', 'replicasMaxPerNode');
    }
    const placement = spec.TaskTemplate.Placement ?? (spec.TaskTemplate.Placement = {});
    set(placement, 'MaxReplicas', nonNegativeInt(opts.replicasMaxPerNode, 'replicasMaxPerNode') || undefined);
  }
  checkNoJobUpdateOptions(opts, isJobMode(mode));
}

function applyContainer(c: ContainerSpec, opts: ServiceUpdateOptions): void {
  if (opts.image !== undefined) {
    const image = typeof opts.image === 'string' ? opts.image.trim() : '';
    if (image === '') throw invalid('ContainerSpec: image reference must be provided', 'image');
    c.Image = image;
  }
  if (opts.command !== undefined) set(c, 'Command', nonEmpty(stringList(opts.command, 'command')));
  if (opts.args !== undefined) set(c, 'Args', nonEmpty(stringList(opts.args, 'args')));
  if (opts.envAdd !== undefined || opts.envRm !== undefined) set(c, 'Env', nonEmpty(updateEnv(c.Env ?? [], opts.envAdd, opts.envRm)));
  if (opts.containerLabelAdd !== undefined || opts.containerLabelRm !== undefined) {
    const labels = updateMap(c.Labels, opts.containerLabelAdd, opts.containerLabelRm, 'containerLabelAdd', 'containerLabelRm');
    set(c, 'Labels', Object.keys(labels).length > 0 ? labels : undefined);
  }
  if (opts.workdir !== undefined) set(c, 'Dir', text(opts.workdir, 'workdir') || undefined);
  if (opts.stopSignal !== undefined) set(c, 'StopSignal', text(opts.stopSignal, 'stopSignal') || undefined);
  if (opts.stopGracePeriod !== undefined) c.StopGracePeriod = parseDuration(opts.stopGracePeriod, 'stopGracePeriod');
  set(c, 'Healthcheck', healthCheckFromOptions(opts, c.Healthcheck));
  if (opts.secretAdd !== undefined || opts.secretRm !== undefined) {
    const kept = removeRefs((c.Secrets ?? []) as SecretReference[], opts.secretRm);
    set(c, 'Secrets', nonEmpty([...kept, ...stringList(opts.secretAdd ?? [], 'secretAdd').map((v) => parseSecretRef(v, 'secretAdd'))]));
  }
  if (opts.configAdd !== undefined || opts.configRm !== undefined) {
    const kept = removeRefs((c.Configs ?? []) as ConfigReference[], opts.configRm);
    set(c, 'Configs', nonEmpty([...kept, ...stringList(opts.configAdd ?? [], 'configAdd').map((v) => parseConfigRef(v, 'configAdd'))]));
  }
}

function applyTask(task: TaskSpec, opts: ServiceUpdateOptions): void {
  if (opts.networkAdd !== undefined || opts.networkRm !== undefined) {
    const kept = removeAttachments((task.Networks ?? []) as NetworkAttachment[], opts.networkRm);
    set(task, 'Networks', nonEmpty([...kept, ...stringList(opts.networkAdd ?? [], 'networkAdd').map((v) => parseNetworkAttachment(v, 'networkAdd'))]));
  }
  if (RESOURCE_KEYS.some((k) => opts[k] !== undefined)) task.Resources = resourcesFromOptions(opts, task.Resources);
  set(task, 'RestartPolicy', restartPolicyFromOptions(opts, task.RestartPolicy));
  if (opts.constraintAdd !== undefined || opts.constraintRm !== undefined) {
    const placement = task.Placement ?? (task.Placement = {});
    set(placement, 'Constraints', nonEmpty(updateConstraints(placement.Constraints ?? [], opts.constraintAdd, opts.constraintRm)));
  }
  if (opts.placementPrefs !== undefined) {
    const placement = task.Placement ?? (task.Placement = {});
    set(placement, 'Preferences', nonEmpty(parsePlacementPrefs(opts.placementPrefs)));
  }
  if (opts.force === true) task.ForceUpdate = (task.ForceUpdate ?? 0) + 1;
}

/** --env-rm (by name) then --env-add (replacing an entry with the same name in place, else appended). */
function updateEnv(env: string[], add: string[] | undefined, rm: string[] | undefined): string[] {
  const key = (e: string) => e.split('=')[0] ?? '';
  const removed = new Set((rm === undefined ? [] : stringList(rm, 'envRm')).map(key));
  const out = env.filter((e) => !removed.has(key(e)));
  for (const entry of add === undefined ? [] : parseEnv(add, 'envAdd')) {
    const at = out.findIndex((e) => key(e) === key(entry));
    if (at >= 0) out[at] = entry;
    else out.push(entry);
  }
  return out;
}

/** --label-rm (by key) then --label-add ("k=v"). */
function updateMap(current: Record<string, string> | undefined, add: string[] | undefined, rm: string[] | undefined,
  addField: string, rmField: string): Record<string, string> {
  const out = { ...current };
  for (const k of rm === undefined ? [] : stringList(rm, rmField)) delete out[k.split('=')[0] ?? k];
  return { ...out, ...parseKeyValues(add ?? [], addField) };
}

/** --constraint-add then --constraint-rm (exact expressions); the result is de-duplicated and sorted, as docker does. */
function updateConstraints(current: string[], add: string[] | undefined, rm: string[] | undefined): string[] {
  const added = add === undefined ? [] : checkConstraintList(add, 'constraintAdd');
  const removed = new Set(rm === undefined ? [] : stringList(rm, 'constraintRm'));
  return [...new Set([...current, ...added])].filter((c) => !removed.has(c)).sort();
}

/**
 * --publish-rm then --publish-add. A removal matches target port and protocol, plus the published port when
 * given ("9000:8080") and the mode when given (long syntax). An added port replaces one with the same
 * published port and protocol. Sorted by docker's "published:target/protocol/mode" key.
 */
function updatePorts(current: PortConfig[], add: string[] | undefined, rm: string[] | undefined): PortConfig[] {
  const removals = (rm === undefined ? [] : stringList(rm, 'publishRm')).map((raw) => ({ raw, port: parsePublish(raw) }));
  let out = current.filter((p) => !removals.some((r) => portMatches(p, r.port, /mode\s*=/i.test(r.raw))));
  for (const port of (add === undefined ? [] : stringList(add, 'publishAdd')).map(parsePublish)) {
    out = out.filter((p) => !samePublished(p, port) && portKey(p) !== portKey(port));
    out.push(port);
  }
  return out.sort((a, b) => (portKey(a) < portKey(b) ? -1 : portKey(a) > portKey(b) ? 1 : 0));
}

function portMatches(p: PortConfig, rm: PortConfig, modeGiven: boolean): boolean {
  return p.TargetPort === rm.TargetPort && (p.Protocol || 'tcp') === rm.Protocol
    && (rm.PublishedPort === undefined || p.PublishedPort === rm.PublishedPort)
    && (!modeGiven || (p.PublishMode || 'ingress') === rm.PublishMode);
}

function samePublished(a: PortConfig, b: PortConfig): boolean {
  return !!a.PublishedPort && a.PublishedPort === b.PublishedPort && (a.Protocol || 'tcp') === (b.Protocol || 'tcp');
}

function portKey(p: PortConfig): string {
  return `${p.PublishedPort ?? 0}:${p.TargetPort}/${p.Protocol || 'tcp'}/${p.PublishMode || 'ingress'}`;
}

function nonEmpty<T>(list: T[]): T[] | undefined {
  return list.length > 0 ? list : undefined;
}

/** Sets obj[key] = value, or deletes the key for undefined (so no `key: undefined` members appear). */
function set<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value === undefined) delete obj[key];
  else obj[key] = value;
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalid(`invalid ${field} ${JSON.stringify(value)}: expected a string`, field);
  return value;
}
