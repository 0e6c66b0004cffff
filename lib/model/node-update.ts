/**
 * The friendly node update of the library (`updateNode('node-2', { availability: 'drain', labelAdd: ['zone=a'] })`),
 * applied to a NodeSpec. Pure; shared by the in-process cluster and the HTTP client.
 */
import { invalid } from '../errors.js';
import type { NodeAvailability, NodeRole, NodeSpec } from './types.js';

export interface NodeUpdate {
  availability?: NodeAvailability;
  role?: NodeRole;
  /** `KEY=VALUE` (or `KEY`) strings as `--label-add`, or a map. */
  labelAdd?: string[] | Record<string, string>;
  labelRm?: string[];
}

const AVAILABILITIES: readonly string[] = ['active', 'pause', 'drain'];
const ROLES: readonly string[] = ['worker', 'manager'];

function labelsToAdd(add: NodeUpdate['labelAdd']): Record<string, string> {
  if (add === undefined) return {};
  if (!Array.isArray(add)) return add;
  const out: Record<string, string> = {};
  for (const pair of add) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (key.trim() === '') throw invalid(`invalid label "${pair}": empty key`, 'labelAdd');
    out[key] = eq < 0 ? '' : pair.slice(eq + 1);
  }
  return out;
}

/** The spec after the update; throws invalid_argument naming the field (nothing is changed then). */
export function applyNodeUpdate(spec: NodeSpec, update: NodeUpdate): NodeSpec {
  if (update.availability !== undefined && !AVAILABILITIES.includes(update.availability)) {
    throw invalid(`invalid Availability: "${update.availability}"`, 'availability');
  }
  if (update.role !== undefined && !ROLES.includes(update.role)) throw invalid(`invalid Role: "${update.role}"`, 'role');
  const labels = { ...(spec.Labels ?? {}), ...labelsToAdd(update.labelAdd) };
  for (const key of update.labelRm ?? []) delete labels[key];
  return {
    ...spec, Labels: labels,
    Availability: update.availability ?? spec.Availability,
    Role: update.role ?? spec.Role,
  };
}
