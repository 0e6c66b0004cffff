import t from 'tap';
import fc from 'fast-check';
import { isTaskDirty, normalize, specsEqual, taskTemplateChanged } from '../../lib/model/normalize-spec.js';
import { applyUpdateOptions, specFromOptions, type ServiceUpdateOptions } from '../../lib/model/spec-from-options.js';
import { validateServiceSpec } from '../../lib/model/validate-spec.js';
import { normalizeImageName } from '../../lib/model/image-ref.js';
import type { ServiceOptions } from '../../lib/model/service-options.js';

const duration = fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom('1s', '1m30s', '500ms', '2.5s', '1h', '0'));
const labelMap = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9.]{0,8}$/), fc.string({ maxLength: 6 }), { maxKeys: 3 });
const ports = fc.uniqueArray(
  fc.record({ pub: fc.integer({ min: 1, max: 65535 }), target: fc.integer({ min: 1, max: 65535 }), proto: fc.constantFrom('', '/tcp', '/udp') }),
  { maxLength: 3, selector: (p) => `${p.pub}${p.proto || '/tcp'}` },
).map((list) => list.map((p) => `${p.pub}:${p.target}${p.proto}`));
const health = fc.oneof(
  fc.constant({}),
  fc.constant({ noHealthcheck: true }),
  fc.record({ healthCmd: fc.string({ minLength: 1, maxLength: 10 }), healthInterval: fc.constantFrom('1s', '30s'), healthRetries: fc.nat(5) }),
  fc.record({ healthHttp: fc.constantFrom('/', '/healthz'), healthTimeout: fc.constantFrom(5, '2s'), healthStartPeriod: fc.constantFrom('0', '10s') }),
);

/** Valid options, as the CLI or an embedding app could pass them. */
const options: fc.Arbitrary<ServiceOptions> = fc.tuple(fc.record({
  name: fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,20}$/),
  image: fc.constantFrom('whoami', 'nginx:alpine', 'node:20'),
  mode: fc.constantFrom('replicated', 'global') as fc.Arbitrary<'replicated' | 'global'>,
  replicas: fc.nat(50),
  replicasMaxPerNode: fc.nat(3),
  command: fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }),
  args: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  publish: ports,
  env: fc.array(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}(=[a-z0-9 ]{0,6})?$/), { maxLength: 4 }),
  labels: fc.oneof(labelMap, fc.array(fc.stringMatching(/^[a-z]{1,5}(=[a-z]{0,4})?$/), { maxLength: 3 })),
  containerLabels: labelMap,
  constraints: fc.subarray(['node.role==worker', 'node.labels.zone==eu', 'node.hostname!=n1', 'engine.labels.ssd==true']),
  placementPrefs: fc.subarray(['spread=node.labels.zone', 'spread=node.labels.rack']),
  reserveCpu: fc.constantFrom(0, 0.001, 0.5, 2),
  reserveMemory: fc.constantFrom('4MiB', '64m', '1g', 8388608),
  limitCpu: fc.constantFrom(0.25, 1),
  limitMemory: fc.constantFrom('128MiB', '2g'),
  workdir: fc.constantFrom('/app', '/srv'),
  stopGracePeriod: duration,
  stopSignal: fc.constantFrom('SIGTERM', 'SIGINT'),
  restartCondition: fc.constantFrom('none', 'on-failure', 'any') as fc.Arbitrary<'any'>,
  restartDelay: duration,
  restartMaxAttempts: fc.nat(5),
  restartWindow: duration,
  updateParallelism: fc.nat(10),
  updateDelay: duration,
  updateMonitor: duration,
  updateFailureAction: fc.constantFrom('pause', 'continue', 'rollback') as fc.Arbitrary<'pause'>,
  updateMaxFailureRatio: fc.double({ min: 0, max: 1, noNaN: true }),
  updateOrder: fc.constantFrom('stop-first', 'start-first') as fc.Arbitrary<'stop-first'>,
  rollbackParallelism: fc.nat(10),
  rollbackDelay: duration,
  rollbackMonitor: duration,
  rollbackFailureAction: fc.constantFrom('pause', 'continue') as fc.Arbitrary<'pause'>,
  rollbackMaxFailureRatio: fc.double({ min: 0, max: 1, noNaN: true }),
  rollbackOrder: fc.constantFrom('stop-first', 'start-first') as fc.Arbitrary<'stop-first'>,
}, { requiredKeys: ['name', 'image'] }), health).map(([o, h]) => {
  const opts: ServiceOptions = { ...o, ...h };
  if (opts.mode === 'global') { delete opts.replicas; delete opts.replicasMaxPerNode; }
  return opts;
});

const updates: fc.Arbitrary<ServiceUpdateOptions> = fc.record({
  image: fc.constantFrom('whoami:2', 'nginx:1.27'),
  envAdd: fc.array(fc.stringMatching(/^[A-Z]{1,3}=[a-z]{0,3}$/), { maxLength: 2 }),
  envRm: fc.array(fc.stringMatching(/^[A-Z]{1,3}$/), { maxLength: 2 }),
  labelAdd: fc.array(fc.stringMatching(/^[a-z]{1,3}=[a-z]{0,3}$/), { maxLength: 2 }),
  labelRm: fc.array(fc.stringMatching(/^[a-z]{1,3}$/), { maxLength: 2 }),
  constraintAdd: fc.subarray(['node.role==worker', 'node.labels.zone==us']),
  constraintRm: fc.subarray(['node.role==worker', 'node.labels.zone==eu']),
  publishRm: fc.subarray(['80', '8080/udp']),
  force: fc.boolean(),
  updateDelay: duration,
  restartMaxAttempts: fc.nat(3),
  healthRetries: fc.nat(3),
  limitCpu: fc.constantFrom(0.5, 1),
});

/**
 * A Go-like round trip: empty members dropped at random (never Mode.Global-style presence markers),
 * keys reordered. Numbers are kept: the zero durations and counts a user can set (RestartPolicy.Delay,
 * MaxAttempts, Window, StopGracePeriod) are pointers in Go's types, sent even when 0.
 */
function roundTrip(value: unknown, coins: boolean[]): unknown {
  let i = 0;
  const coin = () => coins[i++ % coins.length] ?? true;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const entries = Object.entries(v).reverse()
      .filter(([k, x]) => !(normalize(x) === undefined && typeof x !== 'number' && !['Global', 'GlobalJob', 'Replicated', 'ReplicatedJob'].includes(k) && coin()));
    return Object.fromEntries(entries.map(([k, x]) => [k, walk(x)]));
  };
  return walk(value);
}

t.test('property: specsEqual(x, roundTrip(x)) for any JSON value', async (t) => {
  fc.assert(fc.property(fc.jsonValue(), fc.array(fc.boolean(), { minLength: 1, maxLength: 32 }), (x, coins) => specsEqual(x, roundTrip(x, coins))));
  fc.assert(fc.property(options, fc.array(fc.boolean(), { minLength: 1, maxLength: 32 }), (o, coins) => {
    const spec = specFromOptions(o);
    const back = roundTrip(spec, coins) as typeof spec;
    return specsEqual(spec, back) && !isTaskDirty(back, spec.TaskTemplate, spec.EndpointSpec?.Ports) && !taskTemplateChanged(spec, back);
  }));
  t.pass('holds');
});

t.test('property: validateServiceSpec(specFromOptions(o)) never throws, keeps the spec, and is idempotent', async (t) => {
  fc.assert(fc.property(options, (o) => {
    const spec = specFromOptions(o);
    // The one change: the image is stored normalised (`whoami` → `whoami:latest`).
    const expected = JSON.stringify({ ...spec, TaskTemplate: { ...spec.TaskTemplate, ContainerSpec: { ...spec.TaskTemplate.ContainerSpec, Image: normalizeImageName(spec.TaskTemplate.ContainerSpec.Image) } } });
    const once = validateServiceSpec(structuredClone(spec));
    const twice = validateServiceSpec(structuredClone(once));
    return JSON.stringify(once) === expected && JSON.stringify(twice) === JSON.stringify(once);
  }), { numRuns: 300 });
  t.pass('holds');
});

t.test('property: applyUpdateOptions with no options returns an equal spec', async (t) => {
  fc.assert(fc.property(options, (o) => {
    const spec = specFromOptions(o);
    const out = applyUpdateOptions(spec, {});
    return out !== spec && specsEqual(out, spec) && JSON.stringify(out) === JSON.stringify(spec);
  }));
  t.pass('holds');
});

t.test('property: applyUpdateOptions never mutates its input and gives a valid spec', async (t) => {
  fc.assert(fc.property(options, updates, (o, u) => {
    const spec = specFromOptions(o);
    const before = JSON.stringify(spec);
    const out = applyUpdateOptions(spec, u);
    validateServiceSpec(out);
    const scaleOnly = spec.Mode.Replicated ? !taskTemplateChanged(spec, applyUpdateOptions(spec, { replicas: 2, labelAdd: ['x=y'] })) : true;
    return JSON.stringify(spec) === before && scaleOnly;
  }));
  t.pass('holds');
});
