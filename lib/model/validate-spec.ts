/**
 * Untrusted ServiceSpec JSON (docker CLI, our CLI, any Engine API client) → a clean ServiceSpec, or a
 * SwarmletError naming the field path, with Swarm's own texts where it has them (swarm-behaviour §5).
 * Decoded first as the daemon does (decode-fields.ts): `{"replicated": {"Replicas": 5}}` from the Python
 * SDK is Mode.Replicated, unknown members are dropped, nulls are absent.
 */
import type { z } from 'zod';
import { SwarmletError, invalid } from '../errors.js';
import { parseConstraints } from './constraints.js';
import { decodeFields } from './decode-fields.js';
import { ServiceSpecFields } from './engine-fields.js';
import { normalizeImageName } from './image-ref.js';
import { checkResourceMinimums } from './resource-limits.js';
import { ServiceSpecSchema } from './spec-schema.js';
import type { EndpointSpec, HealthConfig, ServiceSpec, UpdateConfig } from './types.js';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const MODES = ['Replicated', 'Global', 'ReplicatedJob', 'GlobalJob'] as const;

/** Validates and cleans a ServiceSpec; the result is a new object (the input is never changed). */
export function validateServiceSpec(input: unknown): ServiceSpec {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid('invalid ServiceSpec: expected a JSON object', 'Spec');
  }
  const parsed = ServiceSpecSchema.safeParse(decodeFields(input, ServiceSpecFields), { error: describeIssue });
  if (!parsed.success) throw fromIssue(parsed.error.issues[0]);
  const spec = parsed.data as unknown as ServiceSpec;
  checkServiceName(spec.Name, 'Name');
  checkMode(spec);
  checkTaskTemplate(spec);
  checkUpdateConfig(spec.UpdateConfig, 'UpdateConfig');
  checkUpdateConfig(spec.RollbackConfig, 'RollbackConfig');
  checkEndpointSpec(spec.EndpointSpec);
  checkPortLabels(spec.Labels);
  return spec;
}

/**
 * The server-side rules (duplicate published ports, resource and health minimums, …) run on a spec built
 * from options, so the CLI and library report them before any request; an empty Name is allowed here.
 */
export function assertServerAccepts(spec: ServiceSpec): void {
  validateServiceSpec({ ...spec, Name: spec.Name || 'unnamed' });
}

/** Docker's name rule (swarmkit validateAnnotations): required, ≤ 63 chars, `^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`. */
export function checkServiceName(name: unknown, field: string): void {
  if (name === undefined || name === '') throw invalid('meta: name must be provided', field);
  if (typeof name !== 'string') throw invalid(`invalid name ${JSON.stringify(name)}: expected a string`, field);
  if (name.length > 63) throw invalid(`invalid name "${name}": names must be 63 characters or fewer`, field);
  if (!NAME.test(name)) {
    throw invalid(`invalid name "${name}": must be valid as a DNS name component (letters, digits, "_", "." and "-", starting with a letter or digit)`, field);
  }
}

function describeIssue(issue: { code: string; expected?: unknown; input?: unknown; message?: string }): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  const got = issue.input === undefined ? 'nothing' : Array.isArray(issue.input) ? 'an array' : typeof issue.input;
  return `expected ${String(issue.expected)}, got ${got}`;
}

function fromIssue(issue: z.core.$ZodIssue | undefined): SwarmletError {
  const path = formatPath(issue?.path ?? []);
  return invalid(`invalid ServiceSpec: ${path || 'Spec'}: ${issue?.message ?? 'invalid value'}`, path || 'Spec');
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)), '');
}

function checkMode(spec: ServiceSpec): void {
  // moby's ServiceSpecToGRPC: no mode at all means Replicated with 1 replica.
  if (!spec.Mode || MODES.every((m) => spec.Mode[m] === undefined)) spec.Mode = { ...(spec.Mode ?? {}), Replicated: { Replicas: 1 } };
  const set = MODES.filter((m) => spec.Mode?.[m] !== undefined);
  if (set.length !== 1) throw invalid('invalid ServiceSpec: Mode: exactly one of Replicated or Global must be set', 'Mode');
  const mode = set[0]!;
  if (mode === 'ReplicatedJob' || mode === 'GlobalJob') checkJob(spec, mode);
  const replicated = spec.Mode.Replicated;
  if (replicated) {
    if (replicated.Replicas === undefined) replicated.Replicas = 1; // moby: Replicated without Replicas is 1
    if (replicated.Replicas < 0) throw invalid('Number of replicas must be non-negative', 'Mode.Replicated.Replicas');
  }
}

/**
 * Jobs (swarmkit validateJob): no update or rollback config. ReplicatedJob defaults as the Engine API
 * documents them: MaxConcurrent 1, TotalCompletions = MaxConcurrent.
 */
function checkJob(spec: ServiceSpec, mode: 'ReplicatedJob' | 'GlobalJob'): void {
  for (const key of ['UpdateConfig', 'RollbackConfig'] as const) {
    if (spec[key] !== undefined) throw invalid('Jobs may not have an update config', key);
  }
  if (mode !== 'ReplicatedJob') return;
  const job = spec.Mode.ReplicatedJob!;
  job.MaxConcurrent ??= 1;
  job.TotalCompletions ??= job.MaxConcurrent;
}

function checkTaskTemplate(spec: ServiceSpec): void {
  spec.TaskTemplate ??= { ContainerSpec: { Image: '' } };
  const task = spec.TaskTemplate;
  task.ContainerSpec ??= { Image: '' };
  const container = task.ContainerSpec;
  if (!container.Image || container.Image.trim() === '') {
    throw invalid('ContainerSpec: image reference must be provided', 'TaskTemplate.ContainerSpec.Image');
  }
  container.Image = normalizeImageName(container.Image); // stored as the docker CLI sends it: `whoami` → `whoami:latest`
  if (container.Healthcheck) checkHealth(container.Healthcheck);
  const restart = task.RestartPolicy;
  if (restart) {
    if (restart.Condition && !['none', 'on-failure', 'any'].includes(restart.Condition)) {
      throw invalid(`invalid RestartCondition: "${restart.Condition}"`, 'TaskTemplate.RestartPolicy.Condition');
    }
    if ((restart.Delay ?? 0) < 0) throw invalid('TaskSpec: restart-delay cannot be negative', 'TaskTemplate.RestartPolicy.Delay');
    if ((restart.Window ?? 0) < 0) throw invalid('TaskSpec: restart-window cannot be negative', 'TaskTemplate.RestartPolicy.Window');
  }
  checkResourceMinimums(task.Resources?.Reservations, 'TaskTemplate.Resources.Reservations');
  checkResourceMinimums(task.Resources?.Limits, 'TaskTemplate.Resources.Limits');
  if (task.Placement?.Constraints) parseConstraints(task.Placement.Constraints);
}

/** moby's container health checks: durations 0 (unset) or ≥ 1ms, retries ≥ 0. */
function checkHealth(hc: HealthConfig): void {
  const base = 'TaskTemplate.ContainerSpec.Healthcheck';
  for (const key of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const) {
    const ns = (hc as Record<string, number | undefined>)[key] ?? 0;
    if (ns !== 0 && ns < 1e6) throw invalid(`${key} in Healthcheck cannot be less than 1ms`, `${base}.${key}`);
  }
  if ((hc.Retries ?? 0) < 0) throw invalid('Retries in Healthcheck cannot be negative', `${base}.Retries`);
}

function checkUpdateConfig(cfg: UpdateConfig | undefined, path: string): void {
  if (!cfg) return;
  if ((cfg.Delay ?? 0) < 0) throw invalid('TaskSpec: update-delay cannot be negative', `${path}.Delay`);
  if ((cfg.Monitor ?? 0) < 0) throw invalid('TaskSpec: update-monitor cannot be negative', `${path}.Monitor`);
  const ratio = cfg.MaxFailureRatio ?? 0;
  if (ratio < 0 || ratio > 1) {
    throw invalid('TaskSpec: update-maxfailureratio cannot be less than 0 or bigger than 1', `${path}.MaxFailureRatio`);
  }
  if (cfg.FailureAction && !['pause', 'continue', 'rollback'].includes(cfg.FailureAction)) {
    throw invalid(`unrecognized update failure action ${cfg.FailureAction}`, `${path}.FailureAction`);
  }
  if (cfg.Order && !['stop-first', 'start-first'].includes(cfg.Order)) {
    throw invalid(`unrecognized update order ${cfg.Order}`, `${path}.Order`);
  }
}

/** swarmkit validateEndpointSpec: no ingress ports with dnsrr; no published port twice per protocol. */
function checkEndpointSpec(ep: EndpointSpec | undefined): void {
  const seen = new Set<string>();
  for (const port of ep?.Ports ?? []) {
    if (ep?.Mode === 'dnsrr' && (port.PublishMode || 'ingress') === 'ingress') {
      throw invalid("EndpointSpec: port published with ingress mode can't be used with dnsrr mode", 'EndpointSpec.Ports');
    }
    if (!port.PublishedPort) continue;
    const key = `${port.PublishedPort}/${port.Protocol || 'tcp'}`;
    if (seen.has(key)) throw invalid('EndpointSpec: duplicate published ports provided', 'EndpointSpec.Ports');
    seen.add(key);
  }
}

/** swarmlet's port labels: `swarmlet.port.<published>` is `http` or `tcp`. */
function checkPortLabels(labels: Record<string, string> | undefined): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (!key.startsWith('swarmlet.port.')) continue;
    const port = key.slice('swarmlet.port.'.length);
    if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw invalid(`label ${key}: "${port}" is not a port number`, `Labels.${key}`);
    if (!['http', 'tcp'].includes(String(value).trim().toLowerCase())) throw invalid(`label ${key}: "${value}" must be http or tcp`, `Labels.${key}`);
  }
}
