/**
 * Objects written by earlier versions, brought to today's shape as the store loads them (journal
 * records and snapshots alike). Pure: an object that needs nothing is returned as is (the same
 * reference, so tasks keep sharing one spec); a changed one is a copy.
 *
 * - `ContainerSpec.HealthCheck` (swarmlet's key before Docker's `Healthcheck` was adopted) becomes
 *   `Healthcheck` in a service's Spec and PreviousSpec and in a task's Spec.
 */
import type { ObjectKind } from './store.js';

type Json = Record<string, unknown>;

const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A TaskSpec with the old health check key renamed (the same object when there is nothing to do). */
function migrateTaskSpec(spec: unknown): unknown {
  if (!isObject(spec) || !isObject(spec.ContainerSpec) || !('HealthCheck' in spec.ContainerSpec)) return spec;
  const { HealthCheck, ...rest } = spec.ContainerSpec;
  // A spec holding both keys was written after the rename: Docker's key wins.
  const ContainerSpec = rest.Healthcheck === undefined && HealthCheck !== undefined ? { ...rest, Healthcheck: HealthCheck } : rest;
  return { ...spec, ContainerSpec };
}

function migrateServiceSpec(spec: unknown): unknown {
  if (!isObject(spec)) return spec;
  const template = migrateTaskSpec(spec.TaskTemplate);
  return template === spec.TaskTemplate ? spec : { ...spec, TaskTemplate: template };
}

/**
 * Brings one loaded object to the current shape. `specs` remembers migrated task specs by their
 * old object, so tasks that shared a spec on disk share the migrated one.
 */
export function migrateObject(kind: ObjectKind, obj: unknown, specs: WeakMap<object, unknown> = new WeakMap()): unknown {
  if (!isObject(obj)) return obj;
  if (kind === 'service') {
    const spec = migrateServiceSpec(obj.Spec);
    const previous = obj.PreviousSpec === undefined ? undefined : migrateServiceSpec(obj.PreviousSpec);
    if (spec === obj.Spec && previous === obj.PreviousSpec) return obj;
    return { ...obj, Spec: spec, ...(previous !== undefined ? { PreviousSpec: previous } : {}) };
  }
  if (kind === 'task' && isObject(obj.Spec)) {
    let spec = specs.get(obj.Spec);
    if (spec === undefined) {
      spec = migrateTaskSpec(obj.Spec);
      specs.set(obj.Spec, spec);
    }
    return spec === obj.Spec ? obj : { ...obj, Spec: spec };
  }
  return obj;
}
