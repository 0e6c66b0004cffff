/** `node update` flags applied to a NodeSpec (pure; checked before anything is sent). */
import type { NodeAvailability, NodeRole, NodeSpec } from '../lib/model/types.js';
import { cliError } from './errors.js';

export interface NodeUpdateFlags {
  availability?: string;
  role?: string;
  labelAdd?: string[];
  labelRm?: string[];
}

const AVAILABILITIES: readonly string[] = ['active', 'pause', 'drain'];
const ROLES: readonly string[] = ['worker', 'manager'];

/** Validates the values that need no server: `invalid Availability: "x"` like moby. */
export function checkNodeUpdateFlags(flags: NodeUpdateFlags): void {
  if (flags.availability !== undefined && !AVAILABILITIES.includes(flags.availability.toLowerCase())) {
    throw cliError(`invalid Availability: "${flags.availability}"`, 'availability');
  }
  if (flags.role !== undefined && !ROLES.includes(flags.role.toLowerCase())) {
    throw cliError(`invalid Role: "${flags.role}"`, 'role');
  }
}

export function applyNodeUpdate(spec: NodeSpec, flags: NodeUpdateFlags): NodeSpec {
  checkNodeUpdateFlags(flags);
  const next: NodeSpec = { ...spec, Labels: { ...(spec.Labels ?? {}) } };
  if (flags.availability !== undefined) next.Availability = flags.availability.toLowerCase() as NodeAvailability;
  if (flags.role !== undefined) next.Role = flags.role.toLowerCase() as NodeRole;
  const labels = next.Labels!;
  for (const key of flags.labelRm ?? []) {
    if (!(key in labels)) throw cliError(`key ${key} doesn't exist in node's labels`, 'labelRm');
    delete labels[key];
  }
  for (const pair of flags.labelAdd ?? []) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (key.trim() === '') throw cliError(`invalid label "${pair}": empty key`, 'labelAdd');
    labels[key] = eq < 0 ? '' : pair.slice(eq + 1);
  }
  return next;
}
