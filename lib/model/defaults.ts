/**
 * Swarm's server-side defaults (swarmkit api/defaults/service.go) and the effective values the
 * orchestrators use. Defaults apply where a field is nil; the Engine API treats UpdateConfig.Monitor 0 as unset.
 */
import { isJobMode } from './naming.js';
import type { RestartCondition, RestartPolicy, ServiceSpec, TaskSpec, UpdateConfig } from './types.js';
import { NS_PER_MS } from './durations.js';

/** Docker's UpdateConfig defaults (what `inspect` shows). */
export const DEFAULT_UPDATE_CONFIG: Readonly<Required<Omit<UpdateConfig, 'StartTimeout'>>> = Object.freeze({
  Parallelism: 1,
  Delay: 0,
  FailureAction: 'pause',
  Monitor: 5e9,
  MaxFailureRatio: 0,
  Order: 'stop-first',
});

/** swarmlet: how long a new task may take to run (and be healthy) before it counts as failed. */
export const DEFAULT_START_TIMEOUT_NS = 60e9;

export const DEFAULT_RESTART_POLICY: Readonly<Required<RestartPolicy>> = Object.freeze({
  Condition: 'any',
  Delay: 5e9,
  MaxAttempts: 0,
  Window: 0,
});

export const DEFAULT_STOP_GRACE_NS = 10e9;

/** How long a stop-first replacement waits for the old task to stop before starting anyway (Swarm: 1 min). */
export const OLD_TASK_TIMEOUT_MS = 60_000;

/**
 * The update (or rollback) config the updater runs with. No object at all → all defaults.
 * A present object keeps its members as the Engine API decodes them: a missing Parallelism is 0
 * (all at once), "" FailureAction/Order are the defaults, Monitor 0 (or missing) is 5s.
 */
export function effectiveUpdateConfig(spec: ServiceSpec, which: 'update' | 'rollback'): Required<UpdateConfig> {
  const cfg = which === 'update' ? spec.UpdateConfig : spec.RollbackConfig;
  if (!cfg) return { ...DEFAULT_UPDATE_CONFIG, StartTimeout: DEFAULT_START_TIMEOUT_NS };
  return {
    Parallelism: cfg.Parallelism ?? 0,
    Delay: cfg.Delay ?? 0,
    FailureAction: cfg.FailureAction || DEFAULT_UPDATE_CONFIG.FailureAction,
    Monitor: cfg.Monitor || DEFAULT_UPDATE_CONFIG.Monitor,
    MaxFailureRatio: cfg.MaxFailureRatio ?? 0,
    Order: cfg.Order || DEFAULT_UPDATE_CONFIG.Order,
    StartTimeout: cfg.StartTimeout || DEFAULT_START_TIMEOUT_NS,
  };
}

/** The restart policy the restart supervisor runs with: missing members take Swarm's defaults ("" condition is any). */
export function effectiveRestartPolicy(spec: TaskSpec): Required<RestartPolicy> {
  const p = spec.RestartPolicy;
  if (!p) return { ...DEFAULT_RESTART_POLICY };
  return {
    Condition: p.Condition || DEFAULT_RESTART_POLICY.Condition,
    Delay: p.Delay ?? DEFAULT_RESTART_POLICY.Delay,
    MaxAttempts: p.MaxAttempts ?? 0,
    Window: p.Window ?? 0,
  };
}

/**
 * The restart policy of a job's tasks (swarmkit restartCondition): a completed task is never rerun, so
 * `any` (also the default) behaves like `on-failure`; `none` leaves a failed task failed.
 */
export function jobRestartPolicy(spec: TaskSpec): Required<RestartPolicy> {
  const p = effectiveRestartPolicy(spec);
  return p.Condition === 'any' ? { ...p, Condition: 'on-failure' } : p;
}

/** Time between the stop signal and SIGKILL, in milliseconds (10s when unset; an explicit 0 stays 0). */
export function stopGraceMs(spec: TaskSpec): number {
  const ns = spec.ContainerSpec?.StopGracePeriod;
  return Math.round((typeof ns === 'number' && ns >= 0 ? ns : DEFAULT_STOP_GRACE_NS) / NS_PER_MS);
}

/**
 * The spec as `docker service inspect` shows it (insertDefaults=true). Fills nil fields only, never
 * mutates: StopGracePeriod 10s, DNSConfig {}, Resources {}, RestartPolicy, Placement {},
 * UpdateConfig and RollbackConfig (a present config gets Monitor 0 → 5s and "" enums → defaults).
 * Jobs get no update/rollback config, and their restart condition defaults to on-failure.
 */
export function withDefaults(spec: ServiceSpec): ServiceSpec {
  const out = structuredClone(spec);
  const task = out.TaskTemplate ?? (out.TaskTemplate = { ContainerSpec: { Image: '' } });
  const container = task.ContainerSpec ?? (task.ContainerSpec = { Image: '' });
  container.StopGracePeriod ??= DEFAULT_STOP_GRACE_NS;
  container.DNSConfig ??= {};
  task.Resources ??= {};
  const job = isJobMode(out.Mode);
  task.RestartPolicy = restartWithDefaults(task.RestartPolicy, job ? 'on-failure' : DEFAULT_RESTART_POLICY.Condition);
  task.Placement ??= {};
  if (job) return out; // jobs take no update or rollback config
  out.UpdateConfig = updateWithDefaults(out.UpdateConfig);
  out.RollbackConfig = updateWithDefaults(out.RollbackConfig);
  return out;
}

function updateWithDefaults(cfg: UpdateConfig | undefined): UpdateConfig {
  if (!cfg) return { ...DEFAULT_UPDATE_CONFIG };
  return {
    ...cfg,
    Parallelism: cfg.Parallelism ?? 0,
    FailureAction: cfg.FailureAction || DEFAULT_UPDATE_CONFIG.FailureAction,
    Monitor: cfg.Monitor || DEFAULT_UPDATE_CONFIG.Monitor,
    MaxFailureRatio: cfg.MaxFailureRatio ?? 0,
    Order: cfg.Order || DEFAULT_UPDATE_CONFIG.Order,
  };
}

function restartWithDefaults(p: RestartPolicy | undefined, condition: RestartCondition): RestartPolicy {
  if (!p) return { Condition: condition, Delay: DEFAULT_RESTART_POLICY.Delay, MaxAttempts: 0 };
  return {
    ...p,
    Condition: p.Condition || condition,
    Delay: p.Delay ?? DEFAULT_RESTART_POLICY.Delay,
    MaxAttempts: p.MaxAttempts ?? 0,
  };
}
