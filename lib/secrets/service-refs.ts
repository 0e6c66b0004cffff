/**
 * The secret and config references of a ServiceSpec (swarmkit validateSecretRefsSpec,
 * validateConfigRefsSpec, checkSecretExistence, checkConfigExistence and their texts). Beyond
 * Swarm, a reference may give only the name (the library and the swarmlet CLI do): its ID is
 * filled in from the store.
 */
import { invalid } from '../errors.js';
import type { Config, ConfigReference, FileTarget, Secret, SecretReference } from '../model/secret-types.js';
import type { ServiceSpec } from '../model/types.js';
import type { ObjectKindName } from './object-spec.js';
import { isReservedSecret } from './reserved-secrets.js';

export interface RefLookup {
  listSecrets(): Secret[];
  listConfigs(): Config[];
}

type AnyRef = { File?: FileTarget; Runtime?: unknown } & Record<string, unknown>;

const KEYS = {
  secret: { list: 'Secrets', id: 'SecretID', name: 'SecretName' },
  config: { list: 'Configs', id: 'ConfigID', name: 'ConfigName' },
} as const;

/** The references of a spec (none when absent); not validated. */
export function secretRefs(spec: Pick<ServiceSpec, 'TaskTemplate'> | undefined): SecretReference[] {
  const list = spec?.TaskTemplate?.ContainerSpec?.Secrets;
  return Array.isArray(list) ? list as SecretReference[] : [];
}

export function configRefs(spec: Pick<ServiceSpec, 'TaskTemplate'> | undefined): ConfigReference[] {
  const list = spec?.TaskTemplate?.ContainerSpec?.Configs;
  return Array.isArray(list) ? list as ConfigReference[] : [];
}

/** Whether the spec references the object (by ID). */
export function specUses(spec: ServiceSpec, kind: ObjectKindName, id: string): boolean {
  return kind === 'secret' ? secretRefs(spec).some((r) => r.SecretID === id) : configRefs(spec).some((r) => r.ConfigID === id);
}

/**
 * Validates the spec's Secrets and Configs and resolves each to an existing object (IDs filled in
 * from names when missing). Changes `spec` in place; throws naming the field.
 */
export function resolveServiceRefs(spec: ServiceSpec, lookup: RefLookup): void {
  const container = spec.TaskTemplate?.ContainerSpec;
  if (!container) return;
  for (const kind of ['secret', 'config'] as const) {
    const key = KEYS[kind].list;
    const raw = container[key];
    if (raw === undefined || raw === null) { delete container[key]; continue; }
    const field = `TaskTemplate.ContainerSpec.${key}`;
    if (!Array.isArray(raw)) throw invalid(`invalid ServiceSpec: ${field}: expected an array`, field);
    const objects = kind === 'secret' ? lookup.listSecrets().filter((x) => !isReservedSecret(x.ID)) : lookup.listConfigs();
    container[key] = resolveList(kind, raw, objects, field);
  }
}

function resolveList(kind: ObjectKindName, raw: unknown[], objects: Array<Secret | Config>, field: string): AnyRef[] {
  const k = KEYS[kind];
  const targets = new Map<string, string>();
  const missing: string[] = [];
  const out = raw.map((entry, i) => {
    const at = `${field}[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(`invalid ServiceSpec: ${at}: expected an object`, at);
    const ref = { ...(entry as AnyRef) };
    const id = typeof ref[k.id] === 'string' ? ref[k.id] as string : '';
    const name = typeof ref[k.name] === 'string' ? ref[k.name] as string : '';
    if (!name || (ref[k.id] !== undefined && typeof ref[k.id] !== 'string')) throw invalid(`malformed ${kind} reference`, at);
    if (!ref.File && !(kind === 'config' && ref.Runtime)) throw invalid(`malformed ${kind} reference, no target provided`, at);
    if (ref.File) {
      ref.File = checkFile(kind, ref.File, `${at}.File`);
      const prev = targets.get(ref.File.Name);
      if (prev !== undefined) throw invalid(`${kind} references '${prev}' and '${name}' have a conflicting target: '${ref.File.Name}'`, `${at}.File.Name`);
      targets.set(ref.File.Name, name);
    }
    const found = id ? objects.find((o) => o.ID === id) : objects.find((o) => o.Spec.Name === name);
    if (!found || found.Spec.Name !== name) missing.push(name);
    else ref[k.id] = found.ID;
    return ref;
  });
  if (missing.length > 0) throw invalid(`${kind}${missing.length === 1 ? '' : 's'} not found: ${missing.join(', ')}`, field);
  return out;
}

function checkFile(kind: ObjectKindName, file: unknown, at: string): FileTarget {
  if (typeof file !== 'object' || file === null || Array.isArray(file)) throw invalid(`invalid ServiceSpec: ${at}: expected an object`, at);
  const f = file as Record<string, unknown>;
  if (typeof f.Name !== 'string' || f.Name === '' || fileBaseName(f.Name) === undefined) {
    throw invalid(`malformed file ${kind} reference, invalid target file name provided`, `${at}.Name`);
  }
  for (const id of ['UID', 'GID'] as const) {
    if (f[id] !== undefined && (typeof f[id] !== 'string' || !/^\d*$/.test(f[id] as string))) {
      throw invalid(`invalid ServiceSpec: ${at}.${id}: expected a numeric string`, `${at}.${id}`);
    }
  }
  if (f.Mode !== undefined && (typeof f.Mode !== 'number' || !Number.isInteger(f.Mode) || f.Mode < 0 || f.Mode > 0o7777)) {
    throw invalid(`invalid ServiceSpec: ${at}.Mode: expected a file mode 0-07777`, `${at}.Mode`);
  }
  return f as unknown as FileTarget;
}

/** The file name a target gets in the process driver's directory: its last path component. */
export function fileBaseName(target: string): string | undefined {
  const base = target.split('/').filter((s) => s !== '').at(-1);
  return base === undefined || base === '.' || base === '..' ? undefined : base;
}
