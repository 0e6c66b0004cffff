import t, { type Test } from 'tap';
import { applyUpdateOptions, specFromOptions, type ServiceUpdateOptions } from '../../lib/model/spec-from-options.js';
import type { ServiceSpec } from '../../lib/model/types.js';
import { expectError } from './spec-helpers.js';

const base = (): ServiceSpec => specFromOptions({
  name: 'web', image: 'nginx:1.26', replicas: 3, env: ['A=1', 'B=2'], labels: ['team=core'], containerLabels: ['tier=web'],
  constraints: ['node.role==worker'], publish: ['9000:80'],
});

/** Applies opts to a fresh base spec and checks the input was not mutated. */
function update(t: Test, opts: ServiceUpdateOptions, spec: ServiceSpec = base()): ServiceSpec {
  const before = structuredClone(spec);
  const out = applyUpdateOptions(spec, opts);
  t.strictSame(spec, before, 'input not mutated');
  t.not(out, spec, 'a new object');
  return out;
}

t.test('no options: an equal spec, not the same object', async (t) => {
  const spec = base();
  t.strictSame(update(t, {}, spec), spec);
});

t.test('image and replicas', async (t) => {
  const out = update(t, { image: 'nginx:1.27' });
  t.equal(out.TaskTemplate.ContainerSpec.Image, 'nginx:1.27');
  t.equal(out.Mode.Replicated?.Replicas, 3, 'replicas untouched');
  t.equal(update(t, { replicas: 7 }).Mode.Replicated?.Replicas, 7);
  t.equal(update(t, { replicas: 0 }).Mode.Replicated?.Replicas, 0);
  const global = specFromOptions({ name: 'g', image: 'x', mode: 'global' });
  expectError(t, () => applyUpdateOptions(global, { replicas: 2 }), 'replicas can only be used with replicated or replicated-job mode', 'replicas');
  expectError(t, () => applyUpdateOptions(global, { replicasMaxPerNode: 2 }), 'replicas-max-per-node can only be used with replicated or replicated-job mode', 'replicasMaxPerNode');
  expectError(t, () => applyUpdateOptions(base(), { replicas: -2 }), 'Number of replicas must be non-negative', 'replicas');
  expectError(t, () => applyUpdateOptions(base(), { image: '' }), 'ContainerSpec: image reference must be provided', 'image');
  t.equal(update(t, { replicasMaxPerNode: 2 }).TaskTemplate.Placement?.MaxReplicas, 2);
  t.notOk('MaxReplicas' in update(t, { replicasMaxPerNode: 0 }, update(t, { replicasMaxPerNode: 2 })).TaskTemplate.Placement!);
});

t.test('envAdd / envRm', async (t) => {
  t.strictSame(update(t, { envAdd: ['C=3'] }).TaskTemplate.ContainerSpec.Env, ['A=1', 'B=2', 'C=3']);
  t.strictSame(update(t, { envAdd: ['A=9'] }).TaskTemplate.ContainerSpec.Env, ['A=9', 'B=2'], 'same name replaced in place');
  t.strictSame(update(t, { envRm: ['A'] }).TaskTemplate.ContainerSpec.Env, ['B=2']);
  t.strictSame(update(t, { envRm: ['A=1'] }).TaskTemplate.ContainerSpec.Env, ['B=2'], 'removal by name, value ignored');
  t.strictSame(update(t, { envRm: ['A'], envAdd: ['A=5'] }).TaskTemplate.ContainerSpec.Env, ['B=2', 'A=5'], 'rm before add');
  t.notOk('Env' in update(t, { envRm: ['A', 'B'] }).TaskTemplate.ContainerSpec, 'an empty Env is dropped');
  expectError(t, () => applyUpdateOptions(base(), { envAdd: ['=x'] }), 'invalid environment variable: =x', 'envAdd');
});

t.test('labelAdd / labelRm and containerLabelAdd / containerLabelRm', async (t) => {
  t.strictSame(update(t, { labelAdd: ['x=1'] }).Labels, { team: 'core', x: '1' });
  t.strictSame(update(t, { labelRm: ['team'] }).Labels, {}, 'service Labels stay {} as the CLI keeps them');
  t.strictSame(update(t, { labelRm: ['team'], labelAdd: ['team=edge'] }).Labels, { team: 'edge' });
  t.strictSame(update(t, { containerLabelAdd: ['v=2'] }).TaskTemplate.ContainerSpec.Labels, { tier: 'web', v: '2' });
  t.notOk('Labels' in update(t, { containerLabelRm: ['tier'] }).TaskTemplate.ContainerSpec);
});

t.test('constraintAdd / constraintRm: validated, de-duplicated, sorted', async (t) => {
  t.strictSame(update(t, { constraintAdd: ['node.labels.zone==eu'] }).TaskTemplate.Placement?.Constraints, ['node.labels.zone==eu', 'node.role==worker']);
  t.strictSame(update(t, { constraintAdd: ['node.role==worker'] }).TaskTemplate.Placement?.Constraints, ['node.role==worker']);
  t.notOk('Constraints' in update(t, { constraintRm: ['node.role==worker'] }).TaskTemplate.Placement!);
  expectError(t, () => applyUpdateOptions(base(), { constraintAdd: ['nope'] }), 'constraint expected one operator from ==, !=', 'constraintAdd');
});

t.test('publishAdd / publishRm', async (t) => {
  const ports = (o: ServiceUpdateOptions, s?: ServiceSpec) => update(t, o, s).EndpointSpec?.Ports;
  t.strictSame(ports({ publishAdd: ['9001:81'] }), [
    { Protocol: 'tcp', TargetPort: 80, PublishedPort: 9000, PublishMode: 'ingress' },
    { Protocol: 'tcp', TargetPort: 81, PublishedPort: 9001, PublishMode: 'ingress' },
  ]);
  t.strictSame(ports({ publishAdd: ['9000:8080'] }), [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 9000, PublishMode: 'ingress' }],
    'same published port replaces the old mapping');
  t.strictSame(ports({ publishAdd: ['9000:80/udp'] })?.length, 2, 'another protocol is another port');
  t.equal(ports({ publishRm: ['80'] }), undefined, 'removed by target port');
  t.equal(ports({ publishRm: ['9000:80'] }), undefined, 'removed by published:target');
  t.equal(ports({ publishRm: ['9001:80'] })?.length, 1, 'a different published port does not match');
  t.equal(ports({ publishRm: ['80/udp'] })?.length, 1, 'a different protocol does not match');
  t.equal(ports({ publishRm: ['target=80,mode=host'] })?.length, 1, 'a different mode does not match when given');
  t.strictSame(ports({ publishRm: ['80'], publishAdd: ['9000:8080'] }), [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 9000, PublishMode: 'ingress' }]);
  const noEndpoint = base();
  delete noEndpoint.EndpointSpec;
  t.strictSame(update(t, { publishAdd: ['80'] }, noEndpoint).EndpointSpec, { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishMode: 'ingress' }] });
  expectError(t, () => applyUpdateOptions(base(), { publishAdd: ['70000:80'] }), 'invalid publish "70000:80": published port 70000 out of range 1-65535', 'publish');
});

t.test('args, command, force', async (t) => {
  t.strictSame(update(t, { args: ['-v'] }).TaskTemplate.ContainerSpec.Args, ['-v']);
  t.notOk('Args' in update(t, { args: [] }).TaskTemplate.ContainerSpec);
  t.strictSame(update(t, { command: ['sh', '-c'] }).TaskTemplate.ContainerSpec.Command, ['sh', '-c']);
  const once = update(t, { force: true });
  t.equal(once.TaskTemplate.ForceUpdate, 1);
  t.equal(update(t, { force: true }, once).TaskTemplate.ForceUpdate, 2);
  t.equal(update(t, { force: false }).TaskTemplate.ForceUpdate, 0);
});

t.test('update-* / rollback-*: one member keeps or creates the object with defaults for the rest', async (t) => {
  const one = update(t, { updateParallelism: 2 });
  t.strictSame(one.UpdateConfig, { Parallelism: 2, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'stop-first' });
  t.notOk('RollbackConfig' in one);
  const two = update(t, { updateDelay: '10s', updateOrder: 'start-first' }, one);
  t.strictSame(two.UpdateConfig, { Parallelism: 2, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'start-first', Delay: 10e9 }, 'existing members kept');
  t.strictSame(update(t, { updateFailureAction: 'rollback', updateMonitor: '30s', updateMaxFailureRatio: 0.2 }).UpdateConfig,
    { Parallelism: 1, FailureAction: 'rollback', Monitor: 30e9, MaxFailureRatio: 0.2, Order: 'stop-first' });
  t.strictSame(update(t, { rollbackParallelism: 0, rollbackDelay: '1s', rollbackMonitor: 100, rollbackFailureAction: 'continue', rollbackMaxFailureRatio: 1, rollbackOrder: 'start-first' }).RollbackConfig,
    { Parallelism: 0, Delay: 1e9, FailureAction: 'continue', Monitor: 100e6, MaxFailureRatio: 1, Order: 'start-first' });
});

t.test('restart-*, health-*, resources, stop grace, workdir', async (t) => {
  t.strictSame(update(t, { restartMaxAttempts: 3 }).TaskTemplate.RestartPolicy, { Condition: 'any', Delay: 5e9, MaxAttempts: 3 });
  const r = update(t, { restartCondition: 'none' }, update(t, { restartDelay: '1s' }));
  t.strictSame(r.TaskTemplate.RestartPolicy, { Condition: 'none', Delay: 1e9, MaxAttempts: 0 });
  t.strictSame(update(t, { restartWindow: '2m' }).TaskTemplate.RestartPolicy?.Window, 120e9);

  const h = update(t, { healthCmd: 'true', healthInterval: '2s' });
  t.strictSame(h.TaskTemplate.ContainerSpec.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 2e9 });
  t.strictSame(update(t, { healthRetries: 5 }, h).TaskTemplate.ContainerSpec.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 2e9, Retries: 5 });
  const none = update(t, { noHealthcheck: true }, h);
  t.strictSame(none.TaskTemplate.ContainerSpec.Healthcheck, { Test: ['NONE'] });
  t.strictSame(update(t, { healthInterval: '3s' }, none).TaskTemplate.ContainerSpec.Healthcheck, { Interval: 3e9 }, 'NONE dropped by a --health-* option');
  t.strictSame(update(t, { healthHttp: '/ready' }, h).TaskTemplate.ContainerSpec.Healthcheck, { Test: ['HTTP', '/ready'], Interval: 2e9 });
  t.strictSame(update(t, { healthCmd: '' }, h).TaskTemplate.ContainerSpec.Healthcheck, { Interval: 2e9 }, '"" clears the test');
  expectError(t, () => applyUpdateOptions(h, { noHealthcheck: true, healthRetries: 1 }), '--no-healthcheck conflicts with --health-* options', 'noHealthcheck');

  const res = update(t, { reserveCpu: 0.25, limitMemory: '128m' });
  t.strictSame(res.TaskTemplate.Resources, { Limits: { MemoryBytes: 128 * 2 ** 20 }, Reservations: { NanoCPUs: 25e7 } });
  t.strictSame(update(t, { limitCpu: 2 }, res).TaskTemplate.Resources, { Limits: { MemoryBytes: 128 * 2 ** 20, NanoCPUs: 2e9 }, Reservations: { NanoCPUs: 25e7 } });
  expectError(t, () => applyUpdateOptions(base(), { reserveMemory: '1k' }), 'invalid memory value 1024: Must be at least 4MiB', 'reserveMemory');

  const misc = update(t, { stopGracePeriod: '1m', stopSignal: 'SIGQUIT', workdir: '/srv', placementPrefs: ['spread=node.labels.rack'] });
  t.equal(misc.TaskTemplate.ContainerSpec.StopGracePeriod, 60e9);
  t.equal(misc.TaskTemplate.ContainerSpec.StopSignal, 'SIGQUIT');
  t.equal(misc.TaskTemplate.ContainerSpec.Dir, '/srv');
  t.strictSame(misc.TaskTemplate.Placement?.Preferences, [{ Spread: { SpreadDescriptor: 'node.labels.rack' } }]);
});

t.test('unknown fields survive an update', async (t) => {
  const spec = { ...base(), Networks: [{ Target: 'net1' }] } as ServiceSpec;
  spec.TaskTemplate.LogDriver = { Name: 'json-file' };
  const out = update(t, { image: 'y' }, spec);
  t.strictSame(out.Networks, [{ Target: 'net1' }]);
  t.strictSame(out.TaskTemplate.LogDriver, { Name: 'json-file' });
});
