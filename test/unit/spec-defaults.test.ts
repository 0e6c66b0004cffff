import t from 'tap';
import {
  DEFAULT_RESTART_POLICY, DEFAULT_STOP_GRACE_NS, DEFAULT_UPDATE_CONFIG, effectiveRestartPolicy, effectiveUpdateConfig, stopGraceMs, withDefaults,
} from '../../lib/model/defaults.js';
import { specFromOptions } from '../../lib/model/spec-from-options.js';
import type { ServiceSpec, TaskSpec } from '../../lib/model/types.js';

const minimal = (): ServiceSpec => ({ Name: 'a', TaskTemplate: { ContainerSpec: { Image: 'x' } }, Mode: { Replicated: { Replicas: 1 } } });

t.test('the constants are Swarm defaults', async (t) => {
  t.strictSame({ ...DEFAULT_UPDATE_CONFIG }, { Parallelism: 1, Delay: 0, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'stop-first' });
  t.strictSame({ ...DEFAULT_RESTART_POLICY }, { Condition: 'any', Delay: 5e9, MaxAttempts: 0, Window: 0 });
  t.equal(DEFAULT_STOP_GRACE_NS, 10e9);
  t.ok(Object.isFrozen(DEFAULT_UPDATE_CONFIG) && Object.isFrozen(DEFAULT_RESTART_POLICY));
});

t.test('effectiveUpdateConfig: Engine API converter semantics', async (t) => {
  t.strictSame(effectiveUpdateConfig(minimal(), 'update'), { ...DEFAULT_UPDATE_CONFIG, StartTimeout: 60e9 }, 'no object → all defaults');
  t.strictSame(effectiveUpdateConfig(minimal(), 'rollback'), { ...DEFAULT_UPDATE_CONFIG, StartTimeout: 60e9 });
  const spec = { ...minimal(), UpdateConfig: { Monitor: 0, FailureAction: '' as never, Order: '' as never }, RollbackConfig: { Parallelism: 3, Monitor: 2e9, Order: 'start-first' as const } };
  t.strictSame(effectiveUpdateConfig(spec, 'update'), { Parallelism: 0, Delay: 0, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'stop-first', StartTimeout: 60e9 },
    'a present object: missing Parallelism is 0 (all at once), Monitor 0 is 5s, "" enums are defaults');
  t.strictSame(effectiveUpdateConfig(spec, 'rollback'), { Parallelism: 3, Delay: 0, FailureAction: 'pause', Monitor: 2e9, MaxFailureRatio: 0, Order: 'start-first', StartTimeout: 60e9 });
  const cli = specFromOptions({ name: 'a', image: 'x', updateDelay: '3s' });
  t.strictSame(effectiveUpdateConfig(cli, 'update'), { Parallelism: 1, Delay: 3e9, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'stop-first', StartTimeout: 60e9 });
  const r = effectiveUpdateConfig(minimal(), 'update');
  r.Parallelism = 9;
  t.equal(DEFAULT_UPDATE_CONFIG.Parallelism, 1, 'returns a copy');
});

t.test('effectiveRestartPolicy', async (t) => {
  const task = (RestartPolicy?: TaskSpec['RestartPolicy']): TaskSpec => ({ ContainerSpec: { Image: 'x' }, ...(RestartPolicy ? { RestartPolicy } : {}) });
  t.strictSame(effectiveRestartPolicy(task()), DEFAULT_RESTART_POLICY);
  t.strictSame(effectiveRestartPolicy(task({ Condition: 'on-failure' })), { Condition: 'on-failure', Delay: 5e9, MaxAttempts: 0, Window: 0 });
  t.strictSame(effectiveRestartPolicy(task({ Condition: '' as never, Delay: 0, MaxAttempts: 3, Window: 60e9 })), { Condition: 'any', Delay: 0, MaxAttempts: 3, Window: 60e9 });
});

t.test('stopGraceMs', async (t) => {
  t.equal(stopGraceMs({ ContainerSpec: { Image: 'x' } }), 10_000);
  t.equal(stopGraceMs({ ContainerSpec: { Image: 'x', StopGracePeriod: 30e9 } }), 30_000);
  t.equal(stopGraceMs({ ContainerSpec: { Image: 'x', StopGracePeriod: 0 } }), 0, 'an explicit 0 kills at once');
  t.equal(stopGraceMs({ ContainerSpec: { Image: 'x', StopGracePeriod: 1_500_000 } }), 2);
});

t.test('withDefaults fills nil fields only, as inspect --insertDefaults does', async (t) => {
  const spec = minimal();
  const before = structuredClone(spec);
  const out = withDefaults(spec);
  t.strictSame(spec, before, 'input not mutated');
  t.strictSame(out, {
    Name: 'a',
    TaskTemplate: {
      ContainerSpec: { Image: 'x', StopGracePeriod: 10e9, DNSConfig: {} },
      Resources: {},
      RestartPolicy: { Condition: 'any', Delay: 5e9, MaxAttempts: 0 },
      Placement: {},
    },
    Mode: { Replicated: { Replicas: 1 } },
    UpdateConfig: { ...DEFAULT_UPDATE_CONFIG },
    RollbackConfig: { ...DEFAULT_UPDATE_CONFIG },
  });
  const set: ServiceSpec = {
    ...minimal(),
    TaskTemplate: {
      ContainerSpec: { Image: 'x', StopGracePeriod: 1e9 }, Resources: { Limits: { NanoCPUs: 1e9 } },
      RestartPolicy: { Condition: 'none' }, Placement: { Constraints: ['node.role==worker'] },
    },
    UpdateConfig: { Parallelism: 2, Monitor: 0 },
  };
  const filled = withDefaults(set);
  t.equal(filled.TaskTemplate.ContainerSpec.StopGracePeriod, 1e9);
  t.strictSame(filled.TaskTemplate.Resources, { Limits: { NanoCPUs: 1e9 } });
  t.strictSame(filled.TaskTemplate.RestartPolicy, { Condition: 'none', Delay: 5e9, MaxAttempts: 0 });
  t.strictSame(filled.TaskTemplate.Placement, { Constraints: ['node.role==worker'] });
  t.strictSame(filled.UpdateConfig, { Parallelism: 2, Monitor: 5e9, FailureAction: 'pause', MaxFailureRatio: 0, Order: 'stop-first' }, 'Monitor 0 → 5s; Parallelism kept');
  t.strictSame(filled.RollbackConfig, { ...DEFAULT_UPDATE_CONFIG });
  t.strictSame(withDefaults(filled), filled, 'idempotent');
});
