/**
 * Secrets and configs: create, list with filters, inspect by ID or name, update of labels only,
 * remove (refused while a service uses the object), with swarmkit's and moby's texts. Content is
 * sealed (encrypted) before it reaches the store; a secret's content is never returned, a config's
 * is (as Docker does).
 */
import { isoTime, type Clock } from '../clock.js';
import { SwarmletError, invalid } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { Config, Secret } from '../model/secret-types.js';
import type { ReadTx, Store, WriteTx } from '../store/store.js';
import type { SecretCipher } from '../secrets/secret-cipher.js';
import { parseCreateSpec, parseObjectSpec, type ObjectKindName } from '../secrets/object-spec.js';
import { specUses } from '../secrets/service-refs.js';
import type { Filters } from './control.js';
import { resolveRef } from './resolve.js';
import { isReservedSecret } from '../secrets/reserved-secrets.js';

type Obj = Secret | Config;

/** One kind's operations, as the API routes call them. Objects returned carry no ciphertext. */
export interface ObjectControl<T extends Obj> {
  list(filters?: Filters): T[];
  get(ref: string): T;
  create(spec: unknown): { ID: string };
  /** `version` is the Version.Index the caller read; only Labels may change. */
  update(ref: string, version: number, spec: unknown): void;
  remove(ref: string): void;
  /** The plaintext content (for the dispatcher and in-process agents; never for API answers). */
  content(id: string): Buffer | undefined;
}

export interface SecretControls {
  secrets: ObjectControl<Secret>;
  configs: ObjectControl<Config>;
}

export interface SecretControlOptions { store: Store; clock: Clock; ids: IdGenerator; cipher: SecretCipher }

export function createSecretControls(o: SecretControlOptions): SecretControls {
  return { secrets: objectControl<Secret>('secret', o), configs: objectControl<Config>('config', o) };
}

const table = {
  secret: {
    list: (tx: ReadTx) => tx.listSecrets().filter((x) => !isReservedSecret(x.ID)) as Obj[],
    get: (tx: ReadTx, id: string) => (isReservedSecret(id) ? undefined : tx.getSecret(id)) as Obj | undefined,
    put: (tx: WriteTx, x: Obj) => tx.putSecret(x as Secret) as Obj,
    del: (tx: WriteTx, id: string) => tx.deleteSecret(id),
  },
  config: {
    list: (tx: ReadTx) => tx.listConfigs() as Obj[],
    get: (tx: ReadTx, id: string) => tx.getConfig(id) as Obj | undefined,
    put: (tx: WriteTx, x: Obj) => tx.putConfig(x as Config) as Obj,
    del: (tx: WriteTx, id: string) => tx.deleteConfig(id),
  },
};

function objectControl<T extends Obj>(kind: ObjectKindName, o: SecretControlOptions): ObjectControl<T> {
  const t = table[kind];
  const find = (tx: ReadTx, ref: string) => resolveRef(kind, ref, t.list(tx), (x) => x.ID, (x) => x.Spec.Name);
  const open = (x: Obj) => (x.Sealed ? o.cipher.open(x.ID, x.Sealed) : undefined);
  /** What the API shows: no ciphertext; a config's Data decoded again (Docker returns it). */
  const view = (x: Obj): T => {
    const { Sealed: _sealed, ...rest } = x;
    void _sealed;
    if (kind === 'secret') return structuredClone(rest) as T;
    const data = open(x);
    return { ...structuredClone(rest), Spec: { ...rest.Spec, ...(data ? { Data: data.toString('base64') } : {}) } } as T;
  };
  return {
    list(filters) {
      return o.store.view((tx) => filterObjects(t.list(tx), filters)
        .sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name)).map(view));
    },
    get(ref) {
      return o.store.view((tx) => view(find(tx, ref)));
    },
    create(input) {
      const spec = parseCreateSpec(kind, input);
      return o.store.update((tx) => {
        if (t.list(tx).some((x) => x.Spec.Name === spec.Name)) {
          throw new SwarmletError('conflict', `${kind} ${spec.Name} already exists`, 'Name');
        }
        const id = o.ids.next();
        const ts = isoTime(o.clock.now());
        t.put(tx, {
          ID: id, Version: { Index: 0 }, CreatedAt: ts, UpdatedAt: ts,
          Spec: { Name: spec.Name, Labels: spec.Labels }, Sealed: o.cipher.seal(id, spec.data),
        });
        return { ID: id };
      });
    },
    update(ref, version, input) {
      const spec = parseObjectSpec(kind, input);
      o.store.update((tx) => {
        const current = find(tx, ref);
        if (!Number.isInteger(version) || version !== current.Version.Index) throw new SwarmletError('out_of_sequence', 'update out of sequence');
        const data = spec.data && spec.data.length > 0 ? spec.data : undefined;
        if (spec.Name !== current.Spec.Name || (data && !data.equals(open(current) ?? Buffer.alloc(0)))) {
          throw invalid('only updates to Labels are allowed', 'Spec');
        }
        t.put(tx, { ...current, Spec: { ...current.Spec, Labels: spec.Labels } });
      });
    },
    remove(ref) {
      o.store.update((tx) => {
        const current = find(tx, ref);
        const users = tx.listServices().filter((s) => specUses(s.Spec, kind, current.ID)).map((s) => s.Spec.Name).sort();
        if (users.length > 0) {
          throw invalid(`${kind} '${current.Spec.Name}' is in use by the following service${users.length === 1 ? '' : 's'}: ${users.join(', ')}`, 'ID');
        }
        t.del(tx, current.ID);
      });
    },
    content(id) {
      return o.store.view((tx) => { const x = t.get(tx, id); return x ? open(x) : undefined; });
    },
  };
}

/** moby's secret/config list filters: `names` exact, `name` and `id` prefixes, `label` key or key=value. */
export function filterObjects<T extends Obj>(items: T[], filters: Filters | undefined): T[] {
  const preds: Record<string, (x: T, v: string) => boolean> = {
    names: (x, v) => x.Spec.Name === v,
    name: (x, v) => x.Spec.Name.startsWith(v),
    id: (x, v) => x.ID.startsWith(v),
    label: (x, v) => {
      const i = v.indexOf('=');
      return i < 0 ? x.Spec.Labels?.[v] !== undefined : x.Spec.Labels?.[v.slice(0, i)] === v.slice(i + 1);
    },
  };
  const active = Object.entries(filters ?? {}).filter(([, v]) => v.length > 0);
  for (const [key] of active) if (!preds[key]) throw invalid(`invalid filter '${key}'`, `filters.${key}`);
  return items.filter((x) => active.every(([key, values]) =>
    (key === 'label' ? values.every((v) => preds[key]!(x, v)) : values.some((v) => preds[key]!(x, v)))));
}
