/** A service's `deploy:` (mode, replicas, placement, update/rollback_config, restart_policy, resources) into its ServiceSpec. */
import type { ResourceSet, ServiceSpec, UpdateConfig } from '../model/types.js';
import type { ComposeContext, Obj } from './compose-context.js';

export const DEPLOY_KEYS = ['replicas', 'mode', 'placement', 'update_config', 'rollback_config', 'restart_policy', 'resources', 'labels', 'endpoint_mode'] as const;
const UPDATE = ['parallelism', 'delay', 'failure_action', 'monitor', 'max_failure_ratio', 'order'] as const;

/** Sets Mode, Placement, UpdateConfig, RollbackConfig, RestartPolicy and Resources of `spec` from `deploy` (already key-checked). */
export function applyDeploy(c: ComposeContext, deploy: Obj, dp: string, spec: ServiceSpec): void {
  const mode = deploy.mode === undefined ? 'replicated' : c.oneOf(deploy.mode, `${dp}.mode`, ['replicated', 'global'] as const);
  if (mode === 'global') {
    if (deploy.replicas !== undefined) throw c.fail(`${dp}.replicas`, 'not allowed with mode: global');
    spec.Mode = { Global: {} };
  } else {
    spec.Mode = { Replicated: deploy.replicas === undefined ? {} : { Replicas: c.int(deploy.replicas, `${dp}.replicas`) } };
  }
  if (deploy.placement !== undefined) spec.TaskTemplate.Placement = placement(c, deploy.placement, `${dp}.placement`);
  if (deploy.update_config !== undefined) spec.UpdateConfig = updateConfig(c, deploy.update_config, `${dp}.update_config`);
  if (deploy.rollback_config !== undefined) spec.RollbackConfig = updateConfig(c, deploy.rollback_config, `${dp}.rollback_config`);
  if (deploy.restart_policy !== undefined) {
    const rpp = `${dp}.restart_policy`;
    const rp = c.obj(deploy.restart_policy, rpp);
    c.keys(rp, rpp, ['condition', 'delay', 'max_attempts', 'window']);
    spec.TaskTemplate.RestartPolicy = {
      ...(rp.condition !== undefined ? { Condition: c.oneOf(rp.condition, `${rpp}.condition`, ['none', 'on-failure', 'any'] as const) } : {}),
      ...(rp.delay !== undefined ? { Delay: c.duration(rp.delay, `${rpp}.delay`) } : {}),
      ...(rp.max_attempts !== undefined ? { MaxAttempts: c.int(rp.max_attempts, `${rpp}.max_attempts`) } : {}),
      ...(rp.window !== undefined ? { Window: c.duration(rp.window, `${rpp}.window`) } : {}),
    };
  }
  if (deploy.resources !== undefined) spec.TaskTemplate.Resources = resources(c, deploy.resources, `${dp}.resources`);
}

function resources(c: ComposeContext, v: unknown, path: string): NonNullable<ServiceSpec['TaskTemplate']['Resources']> {
  const r = c.obj(v, path);
  c.keys(r, path, ['limits', 'reservations']);
  const set = (x: unknown, rp: string, pids: boolean): ResourceSet => {
    const o = c.obj(x, rp);
    c.keys(o, rp, pids ? ['cpus', 'memory', 'pids'] : ['cpus', 'memory']);
    return {
      ...(o.cpus !== undefined ? { NanoCPUs: Math.round(c.num(o.cpus, `${rp}.cpus`) * 1e9) } : {}),
      ...(o.memory !== undefined ? { MemoryBytes: c.bytes(o.memory, `${rp}.memory`) } : {}),
      ...(o.pids !== undefined ? { Pids: c.int(o.pids, `${rp}.pids`) } : {}),
    };
  };
  return {
    ...(r.limits !== undefined ? { Limits: set(r.limits, `${path}.limits`, true) } : {}),
    ...(r.reservations !== undefined ? { Reservations: set(r.reservations, `${path}.reservations`, false) } : {}),
  };
}

function placement(c: ComposeContext, v: unknown, path: string): NonNullable<ServiceSpec['TaskTemplate']['Placement']> {
  const o = c.obj(v, path);
  c.keys(o, path, ['constraints', 'preferences', 'max_replicas_per_node']);
  const out: NonNullable<ServiceSpec['TaskTemplate']['Placement']> = {};
  if (o.constraints !== undefined) out.Constraints = c.strList(o.constraints, `${path}.constraints`);
  if (o.preferences !== undefined) {
    out.Preferences = c.list(o.preferences, `${path}.preferences`).map((x, i) => {
      const pp = `${path}.preferences[${i}]`;
      const po = c.obj(x, pp);
      c.keys(po, pp, ['spread']);
      return { Spread: { SpreadDescriptor: c.str(po.spread, `${pp}.spread`) } };
    });
  }
  if (o.max_replicas_per_node !== undefined) out.MaxReplicas = c.int(o.max_replicas_per_node, `${path}.max_replicas_per_node`);
  return out;
}

function updateConfig(c: ComposeContext, v: unknown, path: string): UpdateConfig {
  const o = c.obj(v, path);
  c.keys(o, path, UPDATE);
  const u: UpdateConfig = { Parallelism: o.parallelism === undefined ? 1 : c.int(o.parallelism, `${path}.parallelism`), MaxFailureRatio: 0 };
  if (o.delay !== undefined) u.Delay = c.duration(o.delay, `${path}.delay`);
  if (o.failure_action !== undefined) u.FailureAction = c.oneOf(o.failure_action, `${path}.failure_action`, ['pause', 'continue', 'rollback'] as const);
  if (o.monitor !== undefined) u.Monitor = c.duration(o.monitor, `${path}.monitor`);
  if (o.max_failure_ratio !== undefined) u.MaxFailureRatio = c.num(o.max_failure_ratio, `${path}.max_failure_ratio`);
  if (o.order !== undefined) u.Order = c.oneOf(o.order, `${path}.order`, ['stop-first', 'start-first'] as const);
  return u;
}
