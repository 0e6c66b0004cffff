import t from 'tap';
import { specFromOptions } from '../../lib/model/spec-from-options.js';
import type { ServiceOptions } from '../../lib/model/service-options.js';
import { expectError } from './spec-helpers.js';

t.test('the exact body the docker CLI sends for --name toms --replicas 3 -p 9000:8080 whoami', async (t) => {
  const spec = specFromOptions({ name: 'toms', replicas: 3, publish: ['9000:8080'], image: 'whoami' });
  const docker = {
    Name: 'toms', Labels: {},
    TaskTemplate: {
      ContainerSpec: { Image: 'whoami', Init: false, DNSConfig: {} },
      Resources: { Limits: {}, Reservations: {} },
      Placement: {},
      ForceUpdate: 0,
    },
    Mode: { Replicated: { Replicas: 3 } },
    EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 9000, PublishMode: 'ingress' }] },
  };
  t.strictSame(spec, docker);
  t.equal(JSON.stringify(spec), JSON.stringify(docker), 'same members in the same order');
});

t.test('defaults: replicated 1, no UpdateConfig/RollbackConfig/RestartPolicy, EndpointSpec {Mode vip}', async (t) => {
  const spec = specFromOptions({ name: 'web', image: 'nginx:alpine' });
  t.strictSame(spec.Mode, { Replicated: { Replicas: 1 } });
  t.notOk('UpdateConfig' in spec);
  t.notOk('RollbackConfig' in spec);
  t.notOk('RestartPolicy' in spec.TaskTemplate);
  t.strictSame(spec.EndpointSpec, { Mode: 'vip' });
  t.equal(spec.Name, 'web');
  t.equal(specFromOptions({ image: 'x' }).Name, '', 'no name: the server assigns one, as docker does');
  t.strictSame(specFromOptions({ image: 'x', replicas: 0 }).Mode, { Replicated: { Replicas: 0 } }, 'zero replicas is valid');
});

t.test('global mode', async (t) => {
  t.strictSame(specFromOptions({ name: 'g', image: 'x', mode: 'global' }).Mode, { Global: {} });
  t.strictSame(specFromOptions({ name: 'g', image: 'x', mode: 'global', replicasMaxPerNode: 0 }).Mode, { Global: {} });
});

t.test('an update option gives the full UpdateConfig with Swarm defaults for the rest (as the CLI sends it)', async (t) => {
  const spec = specFromOptions({ name: 'a', image: 'x', updateMonitor: '1s' });
  t.equal(JSON.stringify(spec.UpdateConfig), '{"Parallelism":1,"FailureAction":"pause","Monitor":1000000000,"MaxFailureRatio":0,"Order":"stop-first"}');
  t.notOk('RollbackConfig' in spec);
  const all = specFromOptions({
    name: 'a', image: 'x', updateParallelism: 2, updateDelay: '10s', updateFailureAction: 'rollback', updateMaxFailureRatio: 0.5, updateOrder: 'start-first',
    rollbackParallelism: 0, rollbackDelay: 500, rollbackMonitor: '2s', rollbackFailureAction: 'continue', rollbackMaxFailureRatio: 1, rollbackOrder: 'stop-first',
  });
  t.strictSame(all.UpdateConfig, { Parallelism: 2, FailureAction: 'rollback', Monitor: 5e9, MaxFailureRatio: 0.5, Order: 'start-first', Delay: 10e9 });
  t.strictSame(all.RollbackConfig, { Parallelism: 0, FailureAction: 'continue', Monitor: 2e9, MaxFailureRatio: 1, Order: 'stop-first', Delay: 500e6 });
});

t.test('restart options give a RestartPolicy with Swarm defaults for the rest', async (t) => {
  t.strictSame(specFromOptions({ name: 'a', image: 'x', restartCondition: 'on-failure' }).TaskTemplate.RestartPolicy,
    { Condition: 'on-failure', Delay: 5e9, MaxAttempts: 0 });
  t.strictSame(specFromOptions({ name: 'a', image: 'x', restartDelay: '1s', restartMaxAttempts: 3, restartWindow: '1m' }).TaskTemplate.RestartPolicy,
    { Condition: 'any', Delay: 1e9, MaxAttempts: 3, Window: 60e9 });
});

t.test('health options', async (t) => {
  const hc = (o: ServiceOptions) => specFromOptions({ name: 'a', image: 'x', ...o }).TaskTemplate.ContainerSpec.Healthcheck;
  t.strictSame(hc({ healthCmd: 'curl -f localhost' }), { Test: ['CMD-SHELL', 'curl -f localhost'] });
  t.strictSame(hc({ healthHttp: '/healthz', healthInterval: '2s', healthTimeout: 500, healthRetries: 2, healthStartPeriod: '1s' }),
    { Test: ['HTTP', '/healthz'], Interval: 2e9, Timeout: 500e6, StartPeriod: 1e9, Retries: 2 });
  t.strictSame(hc({ noHealthcheck: true }), { Test: ['NONE'] });
  t.strictSame(hc({ healthInterval: '5s' }), { Interval: 5e9 });
  t.equal(hc({}), undefined);
  expectError(t, () => hc({ noHealthcheck: true, healthCmd: 'x' }), '--no-healthcheck conflicts with --health-* options', 'noHealthcheck');
  expectError(t, () => hc({ healthCmd: 'x', healthHttp: '/' }), '--health-cmd conflicts with --health-http', 'healthHttp');
  expectError(t, () => hc({ healthInterval: '500us' }), 'Interval in Healthcheck cannot be less than 1ms', 'TaskTemplate.ContainerSpec.Healthcheck.Interval');
  expectError(t, () => hc({ healthRetries: -1 }), /^invalid healthRetries -1: expected a non-negative integer/, 'healthRetries');
});

t.test('container, placement and resource options', async (t) => {
  const spec = specFromOptions({
    name: 'api', image: 'node:20', command: ['node'], args: ['server.js'], env: ['A=1', 'B'], labels: ['team=core', 'solo'],
    containerLabels: { tier: 'web' }, constraints: ['node.labels.zone==eu', 'node.role!=manager'], placementPrefs: ['spread=node.labels.zone'],
    replicasMaxPerNode: 2, reserveCpu: 0.5, reserveMemory: '64MiB', limitCpu: 1, limitMemory: '1g', workdir: '/app',
    stopGracePeriod: '30s', stopSignal: 'SIGINT',
  });
  t.strictSame(spec.Labels, { team: 'core', solo: '' });
  t.strictSame(spec.TaskTemplate.ContainerSpec, {
    Image: 'node:20', Labels: { tier: 'web' }, Command: ['node'], Args: ['server.js'], Env: ['A=1', 'B'], Dir: '/app', Init: false,
    StopSignal: 'SIGINT', StopGracePeriod: 30e9, DNSConfig: {},
  });
  t.strictSame(spec.TaskTemplate.Placement, {
    Constraints: ['node.labels.zone==eu', 'node.role!=manager'], Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }], MaxReplicas: 2,
  });
  t.strictSame(spec.TaskTemplate.Resources, { Limits: { NanoCPUs: 1e9, MemoryBytes: 2 ** 30 }, Reservations: { NanoCPUs: 5e8, MemoryBytes: 64 * 2 ** 20 } });
  t.strictSame(specFromOptions({ image: 'x', labels: { a: 'b' } }).Labels, { a: 'b' }, 'labels as a record');
  t.strictSame(specFromOptions({ image: 'x', reserveMemory: 8388608 }).TaskTemplate.Resources?.Reservations, { MemoryBytes: 8388608 });
  t.strictSame(specFromOptions({ image: 'x', publish: ['9000:8080', 'published=9443,target=443,mode=host'] }).EndpointSpec?.Ports, [
    { Protocol: 'tcp', TargetPort: 8080, PublishedPort: 9000, PublishMode: 'ingress' },
    { Protocol: 'tcp', TargetPort: 443, PublishedPort: 9443, PublishMode: 'host' },
  ]);
});

t.test('job modes as the docker CLI sends them (--replicas = total completions, --max-concurrent defaults to it)', async (t) => {
  const cases: Array<[ServiceOptions, Record<string, unknown>]> = [
    [{ image: 'x', mode: 'replicated-job' }, { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } }],
    [{ image: 'x', mode: 'replicated-job', replicas: 5 }, { ReplicatedJob: { MaxConcurrent: 5, TotalCompletions: 5 } }],
    [{ image: 'x', mode: 'replicated-job', replicas: 5, maxConcurrent: 2 }, { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 5 } }],
    [{ image: 'x', mode: 'replicated-job', maxConcurrent: 3 }, { ReplicatedJob: { MaxConcurrent: 3, TotalCompletions: 3 } }],
    [{ image: 'x', mode: 'global-job' }, { GlobalJob: {} }],
  ];
  for (const [opts, mode] of cases) {
    const spec = specFromOptions(opts);
    t.strictSame(spec.Mode, mode, JSON.stringify(opts));
    t.equal(spec.UpdateConfig, undefined, 'no update config');
    t.equal(spec.RollbackConfig, undefined, 'no rollback config');
  }
});

t.test('errors', async (t) => {
  const cases: Array<[ServiceOptions, string | RegExp, string, string?]> = [
    [{ image: 'x', mode: 'global', replicas: 2 }, 'replicas can only be used with replicated or replicated-job mode', 'replicas'],
    [{ image: 'x', mode: 'global', replicasMaxPerNode: 2 }, 'replicas-max-per-node can only be used with replicated or replicated-job mode', 'replicasMaxPerNode'],
    [{ image: 'x', mode: 'x' as 'global' }, 'unknown mode: x, only replicated and global supported', 'mode'],
    [{ image: 'x', mode: 'global-job', replicas: 2 }, 'replicas can only be used with replicated or replicated-job mode', 'replicas'],
    [{ image: 'x', maxConcurrent: 2 }, 'max-concurrent can only be used with replicated-job mode', 'maxConcurrent'],
    [{ image: 'x', mode: 'global-job', maxConcurrent: 2 }, 'max-concurrent can only be used with replicated-job mode', 'maxConcurrent'],
    [{ image: 'x', mode: 'replicated-job', updateParallelism: 2 }, 'update and rollback configuration is not supported for jobs', 'updateParallelism'],
    [{ image: 'x', mode: 'global-job', rollbackDelay: '1s' }, 'update and rollback configuration is not supported for jobs', 'rollbackDelay'],
    [{ name: 'a' }, 'ContainerSpec: image reference must be provided', 'image'],
    [{ name: 'a', image: '  ' }, 'ContainerSpec: image reference must be provided', 'image'],
    [{ image: 'x', replicas: -1 }, 'Number of replicas must be non-negative', 'replicas'],
    [{ image: 'x', replicas: 1.5 }, /^invalid replicas 1\.5: expected a non-negative integer/, 'replicas'],
    [{ image: 'x', name: '-bad' }, /^invalid name "-bad": must be valid as a DNS name component/, 'name'],
    [{ image: 'x', name: 'a'.repeat(64) }, /^invalid name "a{64}": names must be 63 characters or fewer/, 'name'],
    [{ image: 'x', reserveCpu: 0.0005 }, 'invalid cpu value 0.0005: Must be at least 0.001', 'reserveCpu'],
    [{ image: 'x', limitCpu: 1e-9 }, 'invalid cpu value 1e-09: Must be at least 0.001', 'limitCpu'],
    [{ image: 'x', reserveMemory: '1m' }, 'invalid memory value 1048576: Must be at least 4MiB', 'reserveMemory'],
    [{ image: 'x', limitMemory: 100 }, 'invalid memory value 100: Must be at least 4MiB', 'limitMemory'],
    [{ image: 'x', limitMemory: 'lots' }, /^invalid memory size "lots" for limitMemory/, 'limitMemory'],
    [{ image: 'x', env: ['=x'] }, 'invalid environment variable: =x', 'env'],
    [{ image: 'x', labels: ['=v'] }, /^invalid label '=v' for labels: empty name/, 'labels'],
    [{ image: 'x', constraints: ['node.labels.zone'] }, 'constraint expected one operator from ==, !=', 'constraints'],
    [{ image: 'x', constraints: ['bogus==1'] }, "key 'bogus' is invalid", 'constraints'],
    [{ image: 'x', placementPrefs: ['spread'] }, 'placement preference must be of the format "<strategy>=<arg>"', 'placementPrefs'],
    [{ image: 'x', placementPrefs: ['pack=node.labels.x'] }, 'unsupported placement preference pack (only spread is supported)', 'placementPrefs'],
    [{ image: 'x', publish: ['abc'] }, /^invalid publish "abc": /, 'publish'],
    [{ image: 'x', publish: ['9000:80', '9000:81'] }, 'EndpointSpec: duplicate published ports provided', 'EndpointSpec.Ports'],
    [{ image: 'x', updateDelay: '-1s' }, /^invalid duration "-1s" for updateDelay: /, 'updateDelay'],
    [{ image: 'x', updateFailureAction: 'explode' as 'pause' }, /^invalid updateFailureAction "explode": must be one of pause, continue, rollback/, 'updateFailureAction'],
    [{ image: 'x', rollbackFailureAction: 'rollback' as 'pause' }, /^invalid rollbackFailureAction "rollback": must be one of pause, continue$/, 'rollbackFailureAction'],
    [{ image: 'x', updateOrder: 'random' as 'stop-first' }, /^invalid updateOrder "random"/, 'updateOrder'],
    [{ image: 'x', updateMaxFailureRatio: 1.5 }, 'TaskSpec: update-maxfailureratio cannot be less than 0 or bigger than 1', 'updateMaxFailureRatio'],
    [{ image: 'x', updateParallelism: -1 }, /^invalid updateParallelism -1: expected a non-negative integer/, 'updateParallelism'],
    [{ image: 'x', restartCondition: 'always' as 'any' }, /^invalid restartCondition "always": must be one of none, on-failure, any/, 'restartCondition'],
    [{ image: 'x', stopGracePeriod: 'soon' }, /^invalid duration "soon" for stopGracePeriod/, 'stopGracePeriod'],
  ];
  for (const [opts, message, field, code] of cases) {
    t.test(String(message), async (t) => expectError(t, () => specFromOptions(opts), message, field, (code ?? 'invalid_argument') as 'invalid_argument'));
  }
});

t.test('specFromOptions does not mutate its options', async (t) => {
  const opts: ServiceOptions = { name: 'a', image: 'x', env: ['A=1'], publish: ['9000:80'], labels: { a: 'b' }, constraints: ['node.role==worker'] };
  const before = structuredClone(opts);
  const spec = specFromOptions(opts);
  spec.TaskTemplate.ContainerSpec.Env!.push('B=2');
  spec.Labels!.c = 'd';
  t.strictSame(opts, before);
});
