import { execFileSync } from 'node:child_process';
import t from 'tap';
import { decodeFields } from '../../lib/model/decode-fields.js';
import { ServiceSpecFields } from '../../lib/model/engine-fields.js';
import { validateServiceSpec } from '../../lib/model/validate-spec.js';
import { expectError } from './spec-helpers.js';

/** A spec using most of what swarmlet reads, in Docker's casing. */
const dockerCased = () => ({
  Name: 'web',
  Labels: { 'Com.Example.Team': 'Blue' },
  TaskTemplate: {
    ContainerSpec: {
      Image: 'whoami:1', Command: ['node'], Args: ['server.mjs'], Env: ['A=1'], Dir: '/srv', TTY: false,
      Labels: { Owner: 'X' }, StopGracePeriod: 5e9, StopSignal: 'SIGTERM',
      Healthcheck: { Test: ['CMD', 'true'], Interval: 2e9, Timeout: 1e9, Retries: 3, StartPeriod: 1e9 },
    },
    Resources: { Limits: { NanoCPUs: 5e8, MemoryBytes: 1 << 26 }, Reservations: { NanoCPUs: 1e8 } },
    RestartPolicy: { Condition: 'on-failure', Delay: 1e9, MaxAttempts: 3, Window: 0 },
    Placement: { Constraints: ['node.role==worker'], Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }], MaxReplicas: 2 },
    ForceUpdate: 1,
  },
  Mode: { Replicated: { Replicas: 5 } },
  UpdateConfig: { Parallelism: 2, Delay: 1e9, FailureAction: 'rollback', Monitor: 5e9, MaxFailureRatio: 0.5, Order: 'start-first' },
  RollbackConfig: { Parallelism: 1, Order: 'stop-first' },
  EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 9000, PublishMode: 'ingress' }] },
});

/** Every member name lower-cased, except the keys of maps (label names are data). */
function lowerCased(value: unknown, isMap = false): unknown {
  if (Array.isArray(value)) return value.map((v) => lowerCased(v));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [isMap ? k : k.toLowerCase(), lowerCased(v, k === 'Labels')]));
}

t.test("the same spec in Docker's casing and in lower case gives the same stored spec", async (t) => {
  const body = dockerCased();
  const lower = lowerCased(body) as Record<string, unknown>;
  t.ok('taskTemplate' in body === false && 'tasktemplate' in lower, 'the lower-case body really is lower case');
  const a = validateServiceSpec(body);
  const b = validateServiceSpec(lower);
  t.strictSame(b, a);
  t.strictSame(a, body, 'Docker casing is stored as sent');
  t.strictSame(a.Labels, { 'Com.Example.Team': 'Blue' }, 'label names keep their case');
});

t.test('the Python Docker SDK shapes: ServiceMode and UpdateConfig as it sends them', async (t) => {
  const base = { Name: 'w', TaskTemplate: { ContainerSpec: { Image: 'whoami:1' } } };
  t.strictSame(validateServiceSpec({ ...base, Mode: { global: {} } }).Mode, { Global: {} }, "ServiceMode('global')");
  t.strictSame(validateServiceSpec({ ...base, Mode: { replicated: { Replicas: 5 } } }).Mode, { Replicated: { Replicas: 5 } }, "ServiceMode('replicated', 5)");
  t.strictSame(validateServiceSpec({ ...base, Mode: { 'replicated-job': {} } }).Mode, { Replicated: { Replicas: 1 } }, 'a name that folds to no field is dropped');
  t.strictSame(validateServiceSpec({ ...base, UpdateConfig: { order: 'start-first', PARALLELISM: 2 } }).UpdateConfig, { Order: 'start-first', Parallelism: 2 });
});

t.test('unknown members are dropped at every level; nulls are absent', async (t) => {
  const spec = validateServiceSpec({
    Name: 'w', Bogus: 1, TaskTemplate: { ContainerSpec: { Image: 'x', Entrypoint: ['sh'], Env: null }, Nope: { a: 1 } },
    Mode: { Global: { Replicas: 3 } },
  });
  t.strictSame(spec, { Name: 'w', TaskTemplate: { ContainerSpec: { Image: 'x:latest' } }, Mode: { Global: {} } });
});

t.test('a later member overwrites an earlier one that folds to the same field, as Go does', async (t) => {
  t.strictSame(decodeFields(JSON.parse('{"name":"a","Name":"b"}'), ServiceSpecFields), { Name: 'b' });
  t.strictSame(decodeFields(JSON.parse('{"Name":"a","name":null}'), ServiceSpecFields), {});
});

t.test('validation errors name the canonical field whatever the casing sent', async (t) => {
  const base = { name: 'w', tasktemplate: { containerspec: { image: 'x' } } };
  expectError(t, () => validateServiceSpec({ ...base, mode: { replicated: { replicas: 'five' } } }),
    'invalid ServiceSpec: Mode.Replicated.Replicas: expected a non-negative integer', 'Mode.Replicated.Replicas');
  expectError(t, () => validateServiceSpec({ ...base, updateconfig: { order: 'sideways' } }), 'unrecognized update order sideways', 'UpdateConfig.Order');
  expectError(t, () => validateServiceSpec({ ...base, mode: { global: {}, replicated: {} } }),
    'invalid ServiceSpec: Mode: exactly one of Replicated or Global must be set', 'Mode');
});

t.test('lib/model/engine-fields.ts is what scripts/gen-engine-fields.ts makes from the yaml', async (t) => {
  t.doesNotThrow(() => execFileSync(process.execPath, ['--import', 'tsx', 'scripts/gen-engine-fields.ts', '--check'], { stdio: 'pipe' }));
});
