/**
 * Where swarmlet's state lives in etcd, under one prefix (default /swarmlet):
 *   <prefix>/o/<kind>/<id>     one key per store object, its JSON (secrets and configs as the store holds
 *                              them: sealed, nothing decrypted for etcd)
 *   <prefix>/meta/version      the store's version counter (Version.Index of the last commit)
 *   <prefix>/leader            the leader's ManagerInfo, held with the leader's lease
 *   <prefix>/managers/<id>     each manager's { id, addr }, held with its lease
 */
import type { JournalOp } from '../store/journal.js';
import type { ObjectKind } from '../store/store.js';

const KINDS: ReadonlySet<string> = new Set<ObjectKind>(['service', 'task', 'node', 'image', 'secret', 'config', 'network']);

export interface EtcdLayout {
  /** Everything of this cluster: `<prefix>/`. */
  readonly root: string;
  readonly leader: string;
  readonly version: string;
  readonly managers: string;
  object(kind: ObjectKind, id: string): string;
  manager(id: string): string;
}

export function etcdLayout(prefix = '/swarmlet'): EtcdLayout {
  const p = prefix.replace(/\/+$/, '');
  if (p === '' || !p.startsWith('/')) throw new Error(`etcd prefix must start with / and name something: ${JSON.stringify(prefix)}`);
  return {
    root: `${p}/`,
    leader: `${p}/leader`,
    version: `${p}/meta/version`,
    managers: `${p}/managers/`,
    object: (kind, id) => `${p}/o/${kind}/${id}`,
    manager: (id) => `${p}/managers/${id}`,
  };
}

export type ParsedKey =
  | { type: 'object'; kind: ObjectKind; id: string }
  | { type: 'leader' }
  | { type: 'version' }
  | { type: 'manager'; id: string }
  | { type: 'other' };

export function parseKey(layout: EtcdLayout, key: string): ParsedKey {
  if (key === layout.leader) return { type: 'leader' };
  if (key === layout.version) return { type: 'version' };
  if (key.startsWith(layout.managers)) return { type: 'manager', id: key.slice(layout.managers.length) };
  const objects = `${layout.root}o/`;
  if (key.startsWith(objects)) {
    const rest = key.slice(objects.length);
    const slash = rest.indexOf('/');
    const kind = rest.slice(0, slash);
    if (slash > 0 && KINDS.has(kind)) return { type: 'object', kind: kind as ObjectKind, id: rest.slice(slash + 1) };
  }
  return { type: 'other' };
}

/** One key's new value (null: delete), as queued for etcd. */
export interface KeyWrite { key: string; value: string | null }

/** A committed store transaction as key writes, the version counter last. */
export function writesOf(layout: EtcdLayout, ops: readonly JournalOp[]): KeyWrite[] {
  const out: KeyWrite[] = ops.map((op) => ({
    key: layout.object(op.kind, op.id),
    value: op.op === 'put' ? JSON.stringify(op.object) : null,
  }));
  const last = ops.at(-1);
  if (last) out.push({ key: layout.version, value: String(last.version) });
  return out;
}
