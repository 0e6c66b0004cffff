/**
 * `swarmlet stack deploy -c FILE NAME`: what the docker CLI does client-side. The file is converted
 * (lib/stack/compose-to-specs.ts) and everything is checked before anything changes: external
 * networks/secrets/configs exist, no published port is taken by a service outside the stack. Then
 * missing networks, secrets and configs are created, missing services created, services whose spec
 * changed updated (the manager rolls them by their UpdateConfig), and with `--prune` the stack's
 * services no longer in the file removed. A secret or config whose content changed becomes a new
 * version that its services switch to (cmd/stack-objects.ts); unused old versions are then removed.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { EngineClient } from '../lib/client/client.js';
import type { Service, ServiceSpec } from '../lib/model/types.js';
import { composeToSpecs, STACK_LABEL, type StackPlan } from '../lib/stack/compose-to-specs.js';
import { cliError } from './errors.js';
import { removeStaleVersions, resolveFileObjects } from './stack-objects.js';

export interface DeployOptions {
  /** `-c` files in order (later override). */
  files: string[];
  stack: string;
  prune: boolean;
  /** `${VAR}` values (the CLI passes process.env). */
  env: Record<string, string | undefined>;
  out(line: string): void;
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/** True when the stored spec already says what the file says (network targets compared by name). */
export function sameServiceSpec(current: ServiceSpec, desired: ServiceSpec, networkName: (idOrName: string) => string): boolean {
  const cur = structuredClone(current);
  const nets = cur.TaskTemplate.Networks as Array<{ Target: string }> | undefined;
  if (nets) for (const n of nets) n.Target = networkName(n.Target);
  const want = { ...desired, TaskTemplate: { ...desired.TaskTemplate, ForceUpdate: current.TaskTemplate.ForceUpdate } };
  return JSON.stringify(canonical(cur)) === JSON.stringify(canonical(want));
}

async function exists<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try { return await fn(); } catch (e) {
    if ((e as { status?: number }).status === 404) return undefined;
    throw e;
  }
}

export async function deployStack(c: EngineClient, opts: DeployOptions): Promise<void> {
  if (opts.files.filter((f) => f === '-').length > 1) throw cliError('only one compose file can be read from standard input (-c -)', 'compose-file');
  const files = opts.files.map((file) => {
    // `-c -`: the file from standard input, as the docker CLI (relative paths then resolve from the current directory).
    try { return { fileName: file === '-' ? '(stdin)' : file, text: readFileSync(file === '-' ? 0 : file, 'utf8') }; } catch (e) {
      throw cliError(`cannot read compose file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'compose-file');
    }
  });
  // Relative `file:` paths are resolved from the first file's directory (as the docker CLI's working dir).
  const base = opts.files[0] === '-' || opts.files[0] === undefined ? process.cwd() : dirname(resolve(opts.files[0]));
  const plan: StackPlan = composeToSpecs({ files, stack: opts.stack, env: opts.env, workingDir: base, readFile: (p) => readFileSync(resolve(base, p)) });
  const ns = { label: [`${STACK_LABEL}=${opts.stack}`] };

  // Checks first: nothing is created when any fails.
  const allNetworks = await c.networks.list();
  for (const n of plan.networks.filter((x) => x.external)) {
    if (!allNetworks.some((x) => x.Name === n.name || x.Id === n.name)) {
      throw cliError(`network "${n.name}" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed`);
    }
  }
  const existingSecrets = await c.secrets.list();
  const existingConfigs = await c.configs.list();
  for (const [kind, objs, have] of [['secret', plan.secrets, existingSecrets], ['config', plan.configs, existingConfigs]] as const) {
    for (const o of objs.filter((x) => x.external)) {
      if (!have.some((x) => x.Spec.Name === o.name)) throw cliError(`${kind} "${o.name}" is declared as external, but could not be found`);
    }
  }
  const services = await c.services.list();
  const mine = new Set(plan.services.map((s) => s.Name));
  for (const s of plan.services) {
    for (const p of s.EndpointSpec?.Ports ?? []) {
      if (p.PublishedPort === undefined) continue;
      const owner = services.find((o) => !mine.has(o.Spec.Name) && (o.Spec.EndpointSpec?.Ports ?? []).some((q) => q.PublishedPort === p.PublishedPort && (q.Protocol ?? 'tcp') === (p.Protocol ?? 'tcp')));
      if (owner) throw cliError(`${s.Name}: port ${p.PublishedPort}/${p.Protocol ?? 'tcp'} is already published by service ${owner.Spec.Name} (not in this stack)`);
    }
  }

  // Networks, secrets, configs: created when missing.
  const stackNetworks = await c.networks.list(ns);
  for (const n of plan.networks) {
    if (n.external || !n.create || stackNetworks.some((x) => x.Name === n.name) || allNetworks.some((x) => x.Name === n.name)) continue;
    opts.out(`Creating network ${n.name}`);
    await c.networks.create(n.create);
  }
  // Secrets and configs: the version holding the file's content (created when missing; cmd/stack-objects.ts).
  const resolved = await resolveFileObjects(c, plan, opts.stack, opts.out);

  // Services.
  const netsNow = await c.networks.list();
  const netName = (ref: string) => netsNow.find((n) => n.Id === ref)?.Name ?? ref;
  const byName = new Map<string, Service>(services.map((s) => [s.Spec.Name, s]));
  for (const spec of plan.services) {
    const cs = spec.TaskTemplate.ContainerSpec as { Secrets?: Array<{ SecretID: string; SecretName: string }>; Configs?: Array<{ ConfigID: string; ConfigName: string }> };
    for (const r of cs.Secrets ?? []) { const v = resolved.secret.get(r.SecretName); r.SecretID = v?.ID ?? ''; r.SecretName = v?.Name ?? r.SecretName; }
    for (const r of cs.Configs ?? []) { const v = resolved.config.get(r.ConfigName); r.ConfigID = v?.ID ?? ''; r.ConfigName = v?.Name ?? r.ConfigName; }
    const current = byName.get(spec.Name);
    if (!current) {
      opts.out(`Creating service ${spec.Name}`);
      await c.services.create(spec);
      continue;
    }
    if (current.Spec.Labels?.[STACK_LABEL] !== opts.stack) throw cliError(`service ${spec.Name} exists and is not part of stack ${opts.stack}`);
    if (sameServiceSpec(current.Spec, spec, netName)) continue;
    opts.out(`Updating service ${spec.Name} (id: ${current.ID})`);
    const fresh = await exists(() => c.services.get(current.ID));
    if (!fresh) { opts.out(`Creating service ${spec.Name}`); await c.services.create(spec); continue; }
    await c.services.update(fresh.ID, fresh.Version.Index, { ...spec, TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: fresh.Spec.TaskTemplate.ForceUpdate } });
  }
  await removeStaleVersions(c, plan, opts.stack, resolved, opts.out);
  if (opts.prune) {
    for (const s of await c.services.list({ filters: ns })) {
      if (mine.has(s.Spec.Name)) continue;
      opts.out(`Removing service ${s.Spec.Name}`);
      await c.services.remove(s.ID);
    }
  }
}
