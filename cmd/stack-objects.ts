/**
 * The secrets and configs of `swarmlet stack deploy`, content-versioned (lib/stack/object-versions.ts):
 * each non-external object resolves to the stored version holding the file's content, created when
 * missing; old versions no service (nor its rollback target) references are removed after the services
 * are updated. Secret data is never printed.
 */
import type { EngineClient } from '../lib/client/client.js';
import type { ConfigSpec, SecretSpec } from '../lib/model/secret-types.js';
import { STACK_LABEL } from '../lib/stack/compose-to-specs.js';
import { chooseVersion, LOGICAL_NAME_LABEL, staleVersions, versionName, type StoredObject } from '../lib/stack/object-versions.js';
import type { StackPlan } from '../lib/stack/stack-plan.js';

type Kind = 'secret' | 'config';
interface Stored extends StoredObject { Version: { Index: number } }
/** Logical name (what the file's services reference) → the version used. */
export type Resolved = Record<Kind, Map<string, { ID: string; Name: string }>>;

const api = (c: EngineClient, kind: Kind) => (kind === 'secret' ? c.secrets : c.configs);

/** True when the stored secret holds `data`: the manager accepts an update whose Data is unchanged, refuses another. */
async function sameSecretContent(c: EngineClient, o: Stored, data: string): Promise<boolean> {
  try {
    await c.secrets.update(o.ID, o.Version.Index, { Name: o.Spec.Name, Labels: o.Spec.Labels ?? {}, Data: data });
    return true;
  } catch (e) {
    if (/only updates to Labels are allowed/.test((e as Error).message)) return false;
    throw e;
  }
}

export async function resolveFileObjects(c: EngineClient, plan: StackPlan, stack: string, out: (line: string) => void): Promise<Resolved> {
  const resolved: Resolved = { secret: new Map(), config: new Map() };
  for (const kind of ['secret', 'config'] as const) {
    const all = (await api(c, kind).list()) as unknown as Stored[];
    const objs = kind === 'secret' ? plan.secrets : plan.configs;
    for (const o of objs) {
      if (o.external || !o.spec) {
        const found = all.find((x) => x.Spec.Name === o.name);
        if (found) resolved[kind].set(o.name, { ID: found.ID, Name: found.Spec.Name });
        continue;
      }
      const spec = o.spec as SecretSpec | ConfigSpec;
      const data = spec.Data ?? '';
      let choice = chooseVersion(all, stack, o.name, data);
      if (choice.kind === 'check') {
        choice = (await sameSecretContent(c, choice.object as Stored, data))
          ? { kind: 'use', object: choice.object } : { kind: 'create', name: versionName(o.name, data), first: false };
      }
      if (choice.kind === 'use') { resolved[kind].set(o.name, { ID: choice.object.ID, Name: choice.object.Spec.Name }); continue; }
      if (choice.kind !== 'create') continue;
      out(choice.first ? `Creating ${kind} ${choice.name}` : `Creating ${kind} ${choice.name} (new content of ${o.name})`);
      const created = await api(c, kind).create({ ...spec, Name: choice.name, Labels: { ...spec.Labels, [STACK_LABEL]: stack, [LOGICAL_NAME_LABEL]: o.name } });
      resolved[kind].set(o.name, { ID: created.ID, Name: choice.name });
    }
  }
  return resolved;
}

/** Removes the stack's old versions that no service's spec or previous spec references any more. */
export async function removeStaleVersions(c: EngineClient, plan: StackPlan, stack: string, resolved: Resolved, out: (line: string) => void): Promise<void> {
  const services = await c.services.list();
  for (const kind of ['secret', 'config'] as const) {
    const names = (kind === 'secret' ? plan.secrets : plan.configs).filter((o) => !o.external).map((o) => o.name);
    const keep = new Set([...resolved[kind].values()].map((v) => v.ID));
    const all = (await api(c, kind).list()) as unknown as Stored[];
    for (const o of staleVersions(all, stack, names, kind, services, keep)) {
      try {
        await api(c, kind).remove(o.ID);
        out(`Removing ${kind} ${o.Spec.Name} (no service uses this version)`);
      } catch (e) {
        if ((e as { status?: number }).status !== 400 && (e as { status?: number }).status !== 404) throw e;
      }
    }
  }
}
