/**
 * Content-versioned stack secrets and configs (beyond Swarm: moby#33808, moby#35048). Swarm's secrets and
 * configs are immutable, so `docker stack deploy` of a file whose secret content changed fails ("only
 * updates to Labels are allowed"). swarmlet's deploy instead keeps every content as its own object: the
 * first under the name docker gives it (`<stack>_<key>`), a later different content as
 * `<name>_<hash8>` (the first 8 hex digits of the content's SHA-256), all labelled with the stack
 * namespace and `swarmlet.stack.logical-name=<name>`. Services are pointed at the version of the file's
 * content (their targets unchanged), which rolls them; a version no service's spec or previous spec
 * (its rollback target) references is removed. Pure: the deployer does the calls.
 */
import { createHash } from 'node:crypto';
import type { ServiceSpec } from '../model/types.js';
import { STACK_LABEL } from './compose-context.js';

export const LOGICAL_NAME_LABEL = 'swarmlet.stack.logical-name';

export interface StoredObject { ID: string; Spec: { Name: string; Labels?: Record<string, string>; Data?: string } }

/** `<name>_<first 8 hex of sha256(content)>`; `data` is base64 as in the spec. */
export function versionName(name: string, data: string): string {
  return `${name}_${createHash('sha256').update(Buffer.from(data, 'base64')).digest('hex').slice(0, 8)}`;
}

/** The stored versions of the logical object `name` in `stack` (the first one may predate the label: docker created it). */
export function versionsOf(all: StoredObject[], stack: string, name: string): StoredObject[] {
  return all.filter((o) => o.Spec.Name === name || (o.Spec.Labels?.[STACK_LABEL] === stack && o.Spec.Labels?.[LOGICAL_NAME_LABEL] === name));
}

export type VersionChoice =
  | { kind: 'use'; object: StoredObject }
  /** Same content unless told otherwise: the deployer checks (a config's Data is readable; a secret's is not). */
  | { kind: 'check'; object: StoredObject }
  | { kind: 'create'; name: string; first: boolean };

/**
 * Which stored object holds the file's content: the hashed version if it exists; otherwise the first
 * version (named as docker names it) must be compared; otherwise a new object is created, under the plain
 * name when there is none yet.
 */
export function chooseVersion(all: StoredObject[], stack: string, name: string, data: string): VersionChoice {
  const versions = versionsOf(all, stack, name);
  const hashed = versionName(name, data);
  const exact = versions.find((o) => o.Spec.Name === hashed);
  if (exact) return { kind: 'use', object: exact };
  const first = versions.find((o) => o.Spec.Name === name);
  if (first && first.Spec.Data !== undefined) return first.Spec.Data === data ? { kind: 'use', object: first } : { kind: 'create', name: hashed, first: false };
  if (first) return { kind: 'check', object: first };
  return { kind: 'create', name: versions.length === 0 ? name : hashed, first: versions.length === 0 };
}

type RefKind = 'secret' | 'config';
function refsOf(spec: ServiceSpec | undefined, kind: RefKind): string[] {
  const cs = spec?.TaskTemplate.ContainerSpec as { Secrets?: Array<{ SecretID?: string }>; Configs?: Array<{ ConfigID?: string }> } | undefined;
  return kind === 'secret' ? (cs?.Secrets ?? []).map((r) => r.SecretID ?? '') : (cs?.Configs ?? []).map((r) => r.ConfigID ?? '');
}

/** Versions of the stack's logical objects `names` that neither a service's spec nor its previous spec references, except `keep`. */
export function staleVersions(all: StoredObject[], stack: string, names: string[], kind: RefKind,
  services: Array<{ Spec: ServiceSpec; PreviousSpec?: ServiceSpec }>, keep: Set<string>): StoredObject[] {
  const used = new Set(services.flatMap((s) => [...refsOf(s.Spec, kind), ...refsOf(s.PreviousSpec, kind)]));
  const mine = (o: StoredObject) => o.Spec.Labels?.[STACK_LABEL] === stack;
  return names.flatMap((n) => versionsOf(all, stack, n)).filter((o) => mine(o) && !keep.has(o.ID) && !used.has(o.ID));
}
