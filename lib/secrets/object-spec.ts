/**
 * Validation of SecretSpec / ConfigSpec bodies (swarmkit controlapi validateSecretSpec,
 * validateConfigSpec, validateConfigOrSecretAnnotations and their texts). Error messages never
 * quote the content.
 */
import { SwarmletError, invalid } from '../errors.js';

export type ObjectKindName = 'secret' | 'config';

/** swarmkit validation.MaxSecretSize (500 KB) and controlapi.MaxConfigSize (1000 KB). */
export const MAX_SIZE: Record<ObjectKindName, number> = { secret: 500 * 1024, config: 1000 * 1024 };

const NAME = /^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export interface ParsedObjectSpec {
  Name: string;
  Labels: Record<string, string>;
  /** The decoded content (create); undefined when the body had no Data (update). */
  data: Buffer | undefined;
}

function specName(kind: ObjectKindName): string {
  return kind === 'secret' ? 'SecretSpec' : 'ConfigSpec';
}

/** Docker's name rule for secrets and configs: 1-64 of [a-zA-Z0-9-_.], starting and ending alphanumeric. */
export function checkObjectName(name: unknown): string {
  if (name === undefined || name === null || name === '') throw invalid('name must be provided', 'Name');
  if (typeof name !== 'string' || name.length > 64 || !NAME.test(name)) {
    throw invalid('invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]', 'Name');
  }
  return name;
}

function labelsOf(kind: ObjectKindName, v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw invalid(`invalid ${specName(kind)}: Labels must map strings to strings`, 'Labels');
  }
  return { ...(v as Record<string, string>) };
}

/** Data: base64 (standard, as Go encodes []byte, or URL-safe); `null`/absent → undefined. */
function dataOf(kind: ObjectKindName, v: unknown): Buffer | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !BASE64.test(v) || v.replace(/=+$/, '').length % 4 === 1) {
    throw invalid(`invalid ${specName(kind)}: Data must be base64-encoded`, 'Data');
  }
  return Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** Checks the fields every request shares; throws naming the field. */
export function parseObjectSpec(kind: ObjectKindName, body: unknown): ParsedObjectSpec {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid(`invalid ${specName(kind)}: expected a JSON object`, specName(kind));
  }
  const b = body as Record<string, unknown>;
  const name = checkObjectName(b.Name);
  const labels = labelsOf(kind, b.Labels);
  if (kind === 'secret' && b.Driver !== undefined && b.Driver !== null) {
    throw new SwarmletError('unimplemented', 'secret drivers are not supported: give the secret\'s Data', 'Driver');
  }
  if (b.Templating !== undefined && b.Templating !== null) {
    throw new SwarmletError('unimplemented', `${kind} templating is not supported`, 'Templating');
  }
  return { Name: name, Labels: labels, data: dataOf(kind, b.Data) };
}

/** A create request: the spec plus content of 1 byte up to (not including) the kind's limit. */
export function parseCreateSpec(kind: ObjectKindName, body: unknown): ParsedObjectSpec & { data: Buffer } {
  const spec = parseObjectSpec(kind, body);
  const size = spec.data?.length ?? 0;
  if (size < 1 || size >= MAX_SIZE[kind]) {
    throw invalid(`${kind} data must be larger than 0 and less than ${MAX_SIZE[kind]} bytes`, 'Data');
  }
  return { ...spec, data: spec.data! };
}
