import { invalid } from '../errors.js';
import { decodeFields } from '../model/decode-fields.js';
import { NodeSpecFields } from '../model/engine-fields.js';
import type { NodeSpec } from '../model/types.js';
import { requireObject } from './read-body.js';

const ROLES = ['worker', 'manager'];
const AVAILABILITIES = ['active', 'pause', 'drain'];

/**
 * Checks the shape of a NodeSpec body (`POST /nodes/{id}/update`): an object whose Name is a
 * string, Labels a string map, Role worker|manager and Availability active|pause|drain.
 * Missing Role/Availability are left for the control to keep or default. Member names are matched as
 * the daemon does (any casing; unknown members dropped).
 */
export function parseNodeSpec(body: unknown): NodeSpec {
  const spec = decodeFields(requireObject(body, 'NodeSpec'), NodeSpecFields) as Record<string, unknown>;
  if (spec['Name'] !== undefined && typeof spec['Name'] !== 'string') throw invalid('NodeSpec.Name must be a string', 'Name');
  const labels = spec['Labels'];
  if (labels !== undefined && labels !== null) {
    const l = requireObject(labels, 'NodeSpec.Labels');
    for (const [k, v] of Object.entries(l)) {
      if (typeof v !== 'string') throw invalid(`NodeSpec.Labels.${k} must be a string`, `Labels.${k}`);
    }
  }
  oneOf(spec['Role'], ROLES, 'Role');
  oneOf(spec['Availability'], AVAILABILITIES, 'Availability');
  return spec as unknown as NodeSpec;
}

function oneOf(value: unknown, allowed: string[], field: string): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    // moby's texts: `invalid Availability: "x"`, `invalid Role: "x"`
    throw invalid(`invalid ${field}: ${JSON.stringify(String(value))} (must be one of ${allowed.join(', ')})`, field);
  }
}
