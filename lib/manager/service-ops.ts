import { isoTime } from '../clock.js';
import { SwarmletError, invalid } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import { isJob, serviceModeName } from '../model/naming.js';
import { taskTemplateChanged } from '../model/normalize-spec.js';
import type { Service, ServiceSpec, UpdateConfig } from '../model/types.js';
import { validateServiceSpec } from '../model/validate-spec.js';
import { isLive } from '../orchestrator/slots.js';
import type { WriteTx } from '../store/store.js';
import { resolvePublishedPorts } from './published-ports.js';
import { resolveServiceRefs } from '../secrets/service-refs.js';
import { resolveServiceNetworks, virtualIpsFor } from '../networks/service-networks.js';
import type { Network } from '../model/network-types.js';

export interface ServiceOpsContext {
  now: number;
  ids: IdGenerator;
  /** Throws when no node can run the image (e.g. `image X not found`). */
  checkImage: (tx: WriteTx, image: string) => void;
  /** Most tasks one service may ask for (replicas, a job's completions); default DEFAULT_MAX_REPLICAS. */
  maxReplicas?: number;
}

/** The default guard rail on replicas per service (`--max-replicas` raises it). */
export const DEFAULT_MAX_REPLICAS = 100_000;

/** Refuses a spec that asks for more tasks than the manager allows per service (a mistyped --replicas). */
function checkReplicaLimit(spec: ServiceSpec, max: number): void {
  const asks: Array<[number | undefined, string]> = [
    [spec.Mode.Replicated?.Replicas, 'Mode.Replicated.Replicas'],
    [spec.Mode.ReplicatedJob?.MaxConcurrent, 'Mode.ReplicatedJob.MaxConcurrent'],
    [spec.Mode.ReplicatedJob?.TotalCompletions, 'Mode.ReplicatedJob.TotalCompletions'],
  ];
  for (const [n, field] of asks) {
    if (n !== undefined && n > max) {
      throw invalid(`${field} ${n} is more than this manager allows per service (${max}); start the manager with --max-replicas to raise the limit`, field);
    }
  }
}

function endpointOf(spec: ServiceSpec, others: Service[], previous: Service | undefined, networks: Network[]) {
  const ports = resolvePublishedPorts(spec, others, previous?.Endpoint.Ports);
  const vips = virtualIpsFor(spec, networks, others, previous?.Endpoint.VirtualIPs);
  return { Spec: spec.EndpointSpec ?? { Mode: 'vip' as const }, ...(ports.length > 0 ? { Ports: ports } : {}), ...(vips.length > 0 ? { VirtualIPs: vips } : {}) };
}

export function createServiceTx(tx: WriteTx, input: unknown, ctx: ServiceOpsContext): Service {
  const spec = validateServiceSpec(withGeneratedName(input, tx, ctx.ids));
  checkReplicaLimit(spec, ctx.maxReplicas ?? DEFAULT_MAX_REPLICAS);
  const others = tx.listServices();
  const taken = others.find((s) => s.Spec.Name === spec.Name);
  if (taken) throw new SwarmletError('conflict', `name conflicts with an existing object: service ${spec.Name} already exists`, 'Name');
  ctx.checkImage(tx, spec.TaskTemplate.ContainerSpec.Image);
  resolveServiceRefs(spec, tx);
  resolveServiceNetworks(spec, tx.listNetworks());
  const ts = isoTime(ctx.now);
  const service: Service = {
    ID: ctx.ids.next(), Version: { Index: 0 }, CreatedAt: ts, UpdatedAt: ts,
    Spec: spec, Endpoint: endpointOf(spec, others, undefined, tx.listNetworks()), SpecVersion: { Index: 1 },
  };
  // swarmkit: a job starts at iteration 0; every update (rollback included) starts the next one.
  if (isJob(service)) service.JobStatus = { JobIteration: { Index: 0 }, LastExecution: ts };
  return tx.putService(service);
}

export function updateServiceTx(tx: WriteTx, current: Service, version: number, input: unknown, rollback: boolean, ctx: ServiceOpsContext): Service {
  if (!Number.isInteger(version) || version !== current.Version.Index) {
    throw new SwarmletError('out_of_sequence', 'update out of sequence');
  }
  const others = tx.listServices().filter((s) => s.ID !== current.ID);
  const ts = isoTime(ctx.now);
  if (rollback) {
    if (!current.PreviousSpec) {
      throw new SwarmletError('failed_precondition', `service ${current.ID} does not have a previous spec`);
    }
    const spec = current.PreviousSpec;
    return tx.putService({
      ...current, ...nextJobStatus(current, ts), Spec: spec, PreviousSpec: current.Spec, Endpoint: endpointOf(spec, others, current, tx.listNetworks()),
      SpecVersion: { Index: (current.SpecVersion?.Index ?? 0) + 1 },
      UpdateStatus: { State: 'rollback_started', StartedAt: ts, Message: 'manually requested rollback' },
    });
  }
  const spec = keepStartTimeouts(validateServiceSpec(input), current.Spec);
  checkReplicaLimit(spec, ctx.maxReplicas ?? DEFAULT_MAX_REPLICAS);
  if (spec.Name !== current.Spec.Name) throw new SwarmletError('unimplemented', 'renaming services is not supported', 'Name');
  if (serviceModeName({ Spec: spec }) !== serviceModeName(current)) {
    throw new SwarmletError('unimplemented', 'service mode change is not allowed', 'Mode');
  }
  if (spec.TaskTemplate.ContainerSpec.Image !== current.Spec.TaskTemplate.ContainerSpec.Image) {
    ctx.checkImage(tx, spec.TaskTemplate.ContainerSpec.Image);
  }
  resolveServiceRefs(spec, tx);
  resolveServiceNetworks(spec, tx.listNetworks());
  const changed = taskTemplateChanged(current.Spec, spec);
  const { UpdateStatus: _old, ...rest } = current;
  void _old;
  return tx.putService({
    ...rest, ...nextJobStatus(current, ts), Spec: spec, PreviousSpec: current.Spec, Endpoint: endpointOf(spec, others, current, tx.listNetworks()),
    SpecVersion: { Index: (current.SpecVersion?.Index ?? 0) + (changed ? 1 : 0) },
  });
}

/** A job's next iteration: any update (a scale, `--force`, a rollback) runs the job again from zero. */
function nextJobStatus(current: Service, ts: string): Pick<Service, 'JobStatus'> {
  if (!current.JobStatus) return {};
  return { JobStatus: { JobIteration: { Index: current.JobStatus.JobIteration.Index + 1 }, LastExecution: ts } };
}

/**
 * The docker CLI round-trips specs through Go structs and drops fields it does not know, so a `docker
 * service scale` after `swarmlet service update --update-start-timeout 30s` would silently reset the
 * timeout: an Update/RollbackConfig sent without StartTimeout keeps the current one.
 */
function keepStartTimeouts(spec: ServiceSpec, current: ServiceSpec): ServiceSpec {
  const keep = (next: UpdateConfig | undefined, prev: UpdateConfig | undefined): UpdateConfig | undefined =>
    (next && next.StartTimeout === undefined && prev?.StartTimeout !== undefined ? { ...next, StartTimeout: prev.StartTimeout } : next);
  const out: ServiceSpec = { ...spec };
  const update = keep(spec.UpdateConfig, current.UpdateConfig);
  const rollback = keep(spec.RollbackConfig, current.RollbackConfig);
  if (update) out.UpdateConfig = update;
  if (rollback) out.RollbackConfig = rollback;
  return out;
}

/** Removes the service at once; its tasks are told to stop and are reaped once stopped. */
export function removeServiceTx(tx: WriteTx, service: Service): void {
  tx.deleteService(service.ID);
  for (const t of tx.tasksOfService(service.ID)) {
    if (isLive(t)) tx.putTask({ ...t, DesiredState: 'remove' });
    else if (t.DesiredState !== 'remove') tx.putTask({ ...t, DesiredState: 'remove' });
  }
}

const ADJECTIVES = ['brave', 'calm', 'eager', 'fancy', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nimble', 'quiet', 'swift', 'witty'];
const NOUNS = ['turing', 'lovelace', 'hopper', 'knuth', 'ritchie', 'thompson', 'liskov', 'dijkstra', 'hamilton', 'shannon', 'torvalds', 'wozniak'];

/** Like docker: a service created without a name gets a random `adjective_scientist` one. */
function withGeneratedName(input: unknown, tx: WriteTx, ids: IdGenerator): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const spec = input as Record<string, unknown>;
  // Member names match case-insensitively, as the daemon decodes them (`{"name": "web"}` is a name).
  const key = Object.keys(spec).filter((k) => k.toLowerCase() === 'name').pop();
  if (key !== undefined && spec[key] !== undefined && spec[key] !== null && spec[key] !== '') return input;
  const taken = new Set(tx.listServices().map((s) => s.Spec.Name));
  for (;;) {
    const id = ids.next();
    const pick = (list: string[], at: number) => list[parseInt(id.slice(at, at + 2), 36) % list.length]!;
    const name = `${pick(ADJECTIVES, 0)}_${pick(NOUNS, 2)}`;
    if (!taken.has(name)) return { ...withoutName(spec), Name: name };
    taken.add(name);
    if (taken.size > ADJECTIVES.length * NOUNS.length + tx.listServices().length) return { ...withoutName(spec), Name: `service_${id.slice(0, 8)}` };
  }
}

function withoutName(spec: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(spec).filter(([k]) => k.toLowerCase() !== 'name'));
}

export function checkVersion(version: number): void {
  if (!Number.isInteger(version) || version < 0) throw invalid(`invalid version '${version}'`, 'version');
}
