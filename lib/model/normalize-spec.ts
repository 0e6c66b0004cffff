/**
 * Normalised spec comparison. The docker CLI round-trips specs through Go structs, so unknown fields
 * vanish and omitempty zero values disappear (docker-cli-compat §0.7, §7.4): absent, null, {}, [], 0,
 * false and "" must all compare equal, or every `docker service scale` would redeploy every task.
 */
import { withDefaults } from './defaults.js';
import { normalizeImageName } from './image-ref.js';
import type { EndpointSpec, PortConfig, ServiceSpec, TaskSpec } from './types.js';

/** Keys whose presence is the meaning even when empty: Mode.Global: {} is not the same as no Global. */
const PRESENCE_KEYS = new Set(['Global', 'GlobalJob', 'Replicated', 'ReplicatedJob']);

/** Drops absent/null/{}/[]/0/false/"" members recursively and sorts object keys; an empty value becomes undefined. */
export function normalize(value: unknown): unknown {
  if (value === null || value === undefined || value === 0 || value === false || value === '') return undefined;
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    return value.map((v) => normalizeElement(v));
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const raw = (value as Record<string, unknown>)[key];
      const v = normalize(raw);
      if (v !== undefined) out[key] = v;
      else if (PRESENCE_KEYS.has(key) && raw !== null && typeof raw === 'object') out[key] = {};
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  if (typeof value === 'number' && Number.isNaN(value)) return undefined;
  return value;
}

/** Array elements keep their position: an empty element becomes null rather than disappearing. */
function normalizeElement(value: unknown): unknown {
  const v = normalize(value);
  if (v !== undefined) return v;
  if (value !== null && typeof value === 'object') return Array.isArray(value) ? [] : {};
  return value ?? null;
}

/** Deep equality of the normalised values, independent of key order. */
export function specsEqual(a: unknown, b: unknown): boolean {
  return deepEqual(normalize(a), normalize(b));
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * True when a task made from `taskSpec` (and published with `taskPorts`, when given) no longer matches
 * the service: swarmkit's IsTaskDirty, normalised. A difference in Placement.Constraints only is not
 * dirty here (the caller checks whether the node still satisfies them); ForceUpdate is a difference.
 */
export function isTaskDirty(service: ServiceSpec, taskSpec: TaskSpec, taskPorts?: PortConfig[]): boolean {
  const current = effectiveTemplate(service.TaskTemplate, service);
  if (!specsEqual(withoutConstraints(current), withoutConstraints(effectiveTemplate(taskSpec, service)))) return true;
  if (taskPorts !== undefined && !specsEqual(canonicalPorts(service.EndpointSpec?.Ports), canonicalPorts(taskPorts))) return true;
  return false;
}

/** True when a rolling update is needed: TaskTemplate or EndpointSpec differ (normalised). Scale- or label-only changes are false. */
export function taskTemplateChanged(a: ServiceSpec, b: ServiceSpec): boolean {
  return !specsEqual(effectiveTemplate(a.TaskTemplate, a), effectiveTemplate(b.TaskTemplate, b)) || !specsEqual(canonicalEndpoint(a.EndpointSpec), canonicalEndpoint(b.EndpointSpec));
}

/**
 * The task template as its tasks run: Swarm's defaults filled in where nothing is set, so a spec read
 * with insertDefaults (the Python SDK's `service.scale()`, `docker service update`) and sent back is
 * not a change that restarts every task.
 */
function effectiveTemplate(template: TaskSpec | undefined, service: ServiceSpec): TaskSpec | undefined {
  if (!template) return template;
  const effective = withDefaults({ ...service, TaskTemplate: template }).TaskTemplate;
  // `whoami` and `whoami:latest` are one image: a spec stored before names were normalised is not a change.
  const image = effective.ContainerSpec?.Image;
  if (!image) return effective;
  return { ...effective, ContainerSpec: { ...effective.ContainerSpec, Image: normalizeImageName(image) } };
}

function withoutConstraints(spec: TaskSpec | undefined): unknown {
  if (!spec?.Placement) return spec;
  const { Constraints: _ignored, ...placement } = spec.Placement;
  return { ...spec, Placement: placement };
}

/** Endpoint spec with its defaults spelled as absent (Mode vip, Protocol tcp, PublishMode ingress) and ports in a stable order. */
function canonicalEndpoint(spec: EndpointSpec | undefined): unknown {
  if (!spec) return undefined;
  const { Mode, Ports, ...rest } = spec;
  return { ...rest, Mode: Mode === 'vip' ? undefined : Mode, Ports: canonicalPorts(Ports) };
}

function canonicalPorts(ports: PortConfig[] | undefined): unknown {
  if (!ports) return undefined;
  return ports
    .map((p) => ({ ...p, Protocol: p.Protocol === 'tcp' ? undefined : p.Protocol, PublishMode: p.PublishMode === 'ingress' ? undefined : p.PublishMode }))
    .map((p) => ({ key: JSON.stringify(normalize(p)) ?? '', p }))
    .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
    .map((x) => x.p);
}
