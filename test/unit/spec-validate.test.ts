import t from 'tap';
import { validateServiceSpec } from '../../lib/model/validate-spec.js';
import type { ServiceSpec } from '../../lib/model/types.js';
import { expectError } from './spec-helpers.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
/** docker-cli-compat §2: the exact body `docker service create --name toms --replicas 3 -p 9000:8080 nginx:alpine` sends. */
const dockerBody = () => JSON.parse(`{"Name":"toms","Labels":{},
 "TaskTemplate":{"ContainerSpec":{"Image":"nginx:alpine@${DIGEST}","Init":false,"DNSConfig":{}},
                 "Resources":{"Limits":{},"Reservations":{}},
                 "Placement":{"Platforms":[{"Architecture":"amd64","OS":"linux"},{"Architecture":"arm64","OS":"linux"}]},
                 "ForceUpdate":0},
 "Mode":{"Replicated":{"Replicas":3}},
 "EndpointSpec":{"Mode":"vip","Ports":[{"Protocol":"tcp","TargetPort":8080,"PublishedPort":9000,"PublishMode":"ingress"}]}}`) as Record<string, unknown>;

/** A valid spec with one change made by `edit`. */
function withEdit(edit: (s: Record<string, any>) => void): unknown {
  const s = dockerBody() as Record<string, any>;
  edit(s);
  return s;
}

t.test('no Mode means Replicated with 1 replica, as moby', async (t) => {
  const spec = validateServiceSpec({ Name: 'a', TaskTemplate: { ContainerSpec: { Image: 'x' } } });
  t.same(spec.Mode, { Replicated: { Replicas: 1 } });
});

t.test('job modes: ReplicatedJob defaults as the Engine API documents them; GlobalJob as is', async (t) => {
  const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
    [{ ReplicatedJob: {} }, { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } }],
    [{ ReplicatedJob: { MaxConcurrent: 3 } }, { ReplicatedJob: { MaxConcurrent: 3, TotalCompletions: 3 } }],
    [{ ReplicatedJob: { TotalCompletions: 5 } }, { ReplicatedJob: { TotalCompletions: 5, MaxConcurrent: 1 } }],
    [{ ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 5 } }, { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 5 } }],
    [{ GlobalJob: {} }, { GlobalJob: {} }],
  ];
  for (const [mode, want] of cases) {
    const spec = validateServiceSpec(withEdit((s) => { s.Mode = mode; }));
    t.same(spec.Mode, want, JSON.stringify(mode));
  }
});

t.test('the docker CLI create body round-trips unchanged', async (t) => {
  const body = dockerBody();
  const spec = validateServiceSpec(body);
  t.strictSame(spec, body);
  t.equal(JSON.stringify(spec), JSON.stringify(body), 'same members, same order');
  t.not(spec, body, 'a new object');
  t.strictSame(body, dockerBody(), 'input not mutated');
});

t.test('Engine API fields swarmlet does not use are kept; nulls are dropped as Go decodes them', async (t) => {
  const spec = validateServiceSpec(withEdit((s) => {
    s.Networks = [{ Target: 'overlay1', Aliases: ['a'] }];
    s.TaskTemplate.LogDriver = { Name: 'json-file', Options: { 'max-size': '10m' } };
    s.TaskTemplate.ContainerSpec.Mounts = [{ Type: 'bind', Source: '/a', Target: '/b' }];
    s.TaskTemplate.ContainerSpec.Env = null;
    s.Labels = null;
  }));
  t.strictSame(spec.Networks, [{ Target: 'overlay1', Aliases: ['a'] }]);
  t.strictSame(spec.TaskTemplate.LogDriver, { Name: 'json-file', Options: { 'max-size': '10m' } });
  t.strictSame(spec.TaskTemplate.ContainerSpec.Mounts, [{ Type: 'bind', Source: '/a', Target: '/b' }]);
  t.notOk('Env' in spec.TaskTemplate.ContainerSpec);
  t.notOk('Labels' in spec);
});

t.test('HealthCheck (the yaml), healthcheck (any casing) and Healthcheck (Go, the CLI) are stored as Healthcheck', async (t) => {
  for (const key of ['Healthcheck', 'HealthCheck', 'healthcheck']) {
    const spec = validateServiceSpec(withEdit((s) => { s.TaskTemplate.ContainerSpec[key] = { Test: ['CMD-SHELL', 'true'], interval: 1e9 }; }));
    t.strictSame(spec.TaskTemplate.ContainerSpec.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 1e9 }, key);
    t.strictSame(Object.keys(spec.TaskTemplate.ContainerSpec).filter((k) => /health/i.test(k)), ['Healthcheck'], key);
  }
});

t.test('Engine API semantics kept as sent', async (t) => {
  const spec = validateServiceSpec(withEdit((s) => { s.UpdateConfig = { Parallelism: 0, Monitor: 0, FailureAction: '', Order: '' }; }));
  t.strictSame(spec.UpdateConfig, { Parallelism: 0, Monitor: 0, FailureAction: '', Order: '' }, 'Monitor 0 and empty enums as sent');
  t.strictSame(validateServiceSpec(withEdit((s) => { s.Mode = { Replicated: {} }; })).Mode, { Replicated: { Replicas: 1 } }, 'Replicated without Replicas is 1');
  t.strictSame(validateServiceSpec(withEdit((s) => { s.Mode = { Global: {} }; })).Mode, { Global: {} });
  t.strictSame(validateServiceSpec(withEdit((s) => { s.Mode.Replicated.Replicas = 0; })).Mode, { Replicated: { Replicas: 0 } });
  const rp = validateServiceSpec(withEdit((s) => { s.TaskTemplate.RestartPolicy = { Condition: '', MaxAttempts: 0 }; }));
  t.strictSame(rp.TaskTemplate.RestartPolicy, { Condition: '', MaxAttempts: 0 });
});

t.test("Swarm's error texts, with the field path", async (t) => {
  type Case = [string, (s: Record<string, any>) => void, string | RegExp, string, string?];
  const cases: Case[] = [
    ['negative replicas', (s) => { s.Mode.Replicated.Replicas = -1; }, 'Number of replicas must be non-negative', 'Mode.Replicated.Replicas'],
    ['missing image', (s) => { delete s.TaskTemplate.ContainerSpec.Image; }, 'ContainerSpec: image reference must be provided', 'TaskTemplate.ContainerSpec.Image'],
    ['empty image', (s) => { s.TaskTemplate.ContainerSpec.Image = ''; }, 'ContainerSpec: image reference must be provided', 'TaskTemplate.ContainerSpec.Image'],
    ['no ContainerSpec', (s) => { delete s.TaskTemplate.ContainerSpec; }, 'ContainerSpec: image reference must be provided', 'TaskTemplate.ContainerSpec.Image'],
    ['no TaskTemplate', (s) => { delete s.TaskTemplate; }, 'ContainerSpec: image reference must be provided', 'TaskTemplate.ContainerSpec.Image'],
    ['ratio > 1', (s) => { s.UpdateConfig = { MaxFailureRatio: 1.5 }; }, 'TaskSpec: update-maxfailureratio cannot be less than 0 or bigger than 1', 'UpdateConfig.MaxFailureRatio'],
    ['ratio < 0', (s) => { s.RollbackConfig = { MaxFailureRatio: -0.1 }; }, 'TaskSpec: update-maxfailureratio cannot be less than 0 or bigger than 1', 'RollbackConfig.MaxFailureRatio'],
    ['negative delay', (s) => { s.UpdateConfig = { Delay: -1 }; }, 'TaskSpec: update-delay cannot be negative', 'UpdateConfig.Delay'],
    ['negative monitor', (s) => { s.UpdateConfig = { Monitor: -5 }; }, 'TaskSpec: update-monitor cannot be negative', 'UpdateConfig.Monitor'],
    ['negative restart delay', (s) => { s.TaskTemplate.RestartPolicy = { Delay: -1 }; }, 'TaskSpec: restart-delay cannot be negative', 'TaskTemplate.RestartPolicy.Delay'],
    ['negative restart window', (s) => { s.TaskTemplate.RestartPolicy = { Window: -1 }; }, 'TaskSpec: restart-window cannot be negative', 'TaskTemplate.RestartPolicy.Window'],
    ['failure action', (s) => { s.UpdateConfig = { FailureAction: 'explode' }; }, 'unrecognized update failure action explode', 'UpdateConfig.FailureAction'],
    ['order', (s) => { s.UpdateConfig = { Order: 'sideways' }; }, 'unrecognized update order sideways', 'UpdateConfig.Order'],
    ['restart condition', (s) => { s.TaskTemplate.RestartPolicy = { Condition: 'always' }; }, 'invalid RestartCondition: "always"', 'TaskTemplate.RestartPolicy.Condition'],
    ['duplicate published', (s) => { s.EndpointSpec.Ports.push({ Protocol: 'tcp', TargetPort: 81, PublishedPort: 9000 }); },
      'EndpointSpec: duplicate published ports provided', 'EndpointSpec.Ports'],
    ['dnsrr + ingress', (s) => { s.EndpointSpec.Mode = 'dnsrr'; }, "EndpointSpec: port published with ingress mode can't be used with dnsrr mode", 'EndpointSpec.Ports'],
    ['dnsrr + ingress by default', (s) => { s.EndpointSpec = { Mode: 'dnsrr', Ports: [{ TargetPort: 80 }] }; },
      "EndpointSpec: port published with ingress mode can't be used with dnsrr mode", 'EndpointSpec.Ports'],
    ['constraint operator', (s) => { s.TaskTemplate.Placement.Constraints = ['node.role']; }, 'constraint expected one operator from ==, !=', 'TaskTemplate.Placement.Constraints'],
    ['constraint key', (s) => { s.TaskTemplate.Placement.Constraints = ['node.colour==red']; }, "key 'node.colour' is invalid", 'TaskTemplate.Placement.Constraints'],
    ['no name', (s) => { delete s.Name; }, 'meta: name must be provided', 'Name'],
    ['bad name', (s) => { s.Name = 'my service'; }, /^invalid name "my service": must be valid as a DNS name component/, 'Name'],
    ['long name', (s) => { s.Name = 'x'.repeat(64); }, /^invalid name "x{64}": names must be 63 characters or fewer$/, 'Name'],
    ['cpu minimum', (s) => { s.TaskTemplate.Resources.Reservations.NanoCPUs = 500; }, 'invalid cpu value 5e-07: Must be at least 0.001', 'TaskTemplate.Resources.Reservations.NanoCPUs'],
    ['memory minimum', (s) => { s.TaskTemplate.Resources.Limits.MemoryBytes = 1024; }, 'invalid memory value 1024: Must be at least 4MiB', 'TaskTemplate.Resources.Limits.MemoryBytes'],
    ['health interval', (s) => { s.TaskTemplate.ContainerSpec.Healthcheck = { Interval: 10 }; }, 'Interval in Healthcheck cannot be less than 1ms', 'TaskTemplate.ContainerSpec.Healthcheck.Interval'],
    ['health retries', (s) => { s.TaskTemplate.ContainerSpec.Healthcheck = { Retries: -1 }; }, 'Retries in Healthcheck cannot be negative', 'TaskTemplate.ContainerSpec.Healthcheck.Retries'],
    ['both modes', (s) => { s.Mode.Global = {}; }, 'invalid ServiceSpec: Mode: exactly one of Replicated or Global must be set', 'Mode'],
    ['job with an update config', (s) => { s.Mode = { ReplicatedJob: { MaxConcurrent: 1 } }; s.UpdateConfig = { Parallelism: 1 }; },
      'Jobs may not have an update config', 'UpdateConfig'],
    ['global job with a rollback config', (s) => { s.Mode = { GlobalJob: {} }; s.RollbackConfig = { Parallelism: 1 }; },
      'Jobs may not have an update config', 'RollbackConfig'],
    ['port label value', (s) => { s.Labels = { 'swarmlet.port.6390': 'redis' }; }, 'label swarmlet.port.6390: "redis" must be http or tcp', 'Labels.swarmlet.port.6390'],
    ['port label port', (s) => { s.Labels = { 'swarmlet.port.web': 'tcp' }; }, 'label swarmlet.port.web: "web" is not a port number', 'Labels.swarmlet.port.web'],
    ['app protocol', (s) => { s.EndpointSpec.Ports[0].AppProtocol = 'grpc'; }, 'invalid ServiceSpec: EndpointSpec.Ports[0].AppProtocol: expected one of http, tcp', 'EndpointSpec.Ports[0].AppProtocol'],
    ['negative max concurrent', (s) => { s.Mode = { ReplicatedJob: { MaxConcurrent: -1 } }; },
      /^invalid ServiceSpec: Mode\.ReplicatedJob\.MaxConcurrent: /, 'Mode.ReplicatedJob.MaxConcurrent'],
  ];
  for (const [name, edit, message, field, code] of cases) {
    t.test(name, async (t) => expectError(t, () => validateServiceSpec(withEdit(edit)), message, field, (code ?? 'invalid_argument') as 'invalid_argument'));
  }
});

t.test('a wrong-typed field says its path', async (t) => {
  type Case = [string, (s: Record<string, any>) => void, string];
  const cases: Case[] = [
    ['Mode.Replicated.Replicas', (s) => { s.Mode.Replicated.Replicas = '3'; }, 'expected a non-negative integer'],
    ['Mode.Replicated.Replicas', (s) => { s.Mode.Replicated.Replicas = 1.5; }, 'expected a non-negative integer'],
    ['TaskTemplate.ContainerSpec.Env', (s) => { s.TaskTemplate.ContainerSpec.Env = 'A=1'; }, 'expected array, got string'],
    ['TaskTemplate.ContainerSpec.Env[1]', (s) => { s.TaskTemplate.ContainerSpec.Env = ['A=1', 2]; }, 'expected string, got number'],
    ['TaskTemplate.ContainerSpec.Image', (s) => { s.TaskTemplate.ContainerSpec.Image = 42; }, 'expected string, got number'],
    ['Labels.team', (s) => { s.Labels = { team: 1 }; }, 'expected string, got number'],
    ['EndpointSpec.Ports[0].TargetPort', (s) => { s.EndpointSpec.Ports[0].TargetPort = 0; }, 'expected a port number 1-65535'],
    ['EndpointSpec.Ports[0].TargetPort', (s) => { s.EndpointSpec.Ports[0].TargetPort = 70000; }, 'expected a port number 1-65535'],
    ['EndpointSpec.Ports[0].PublishedPort', (s) => { s.EndpointSpec.Ports[0].PublishedPort = 65536; }, 'expected a port number 0-65535 (0: the manager picks one)'],
    ['EndpointSpec.Ports[0].Protocol', (s) => { s.EndpointSpec.Ports[0].Protocol = 'icmp'; }, 'expected one of tcp, udp, sctp'],
    ['EndpointSpec.Ports[0].PublishMode', (s) => { s.EndpointSpec.Ports[0].PublishMode = 'vip'; }, 'expected one of ingress, host'],
    ['EndpointSpec.Mode', (s) => { s.EndpointSpec.Mode = 'rr'; }, 'expected one of vip, dnsrr'],
    ['UpdateConfig.Parallelism', (s) => { s.UpdateConfig = { Parallelism: -1 }; }, 'expected a non-negative integer'],
    ['UpdateConfig.Delay', (s) => { s.UpdateConfig = { Delay: '5s' }; }, 'expected an integer number of nanoseconds'],
    ['TaskTemplate.ForceUpdate', (s) => { s.TaskTemplate.ForceUpdate = -1; }, 'expected a non-negative integer'],
    ['TaskTemplate.ContainerSpec.StopGracePeriod', (s) => { s.TaskTemplate.ContainerSpec.StopGracePeriod = -1; }, 'expected a non-negative number of nanoseconds'],
    ['TaskTemplate.ContainerSpec.Init', (s) => { s.TaskTemplate.ContainerSpec.Init = 'no'; }, 'expected boolean, got string'],
    ['TaskTemplate.Placement.Constraints', (s) => { s.TaskTemplate.Placement.Constraints = 'node.role==worker'; }, 'expected array, got string'],
    ['TaskTemplate', (s) => { s.TaskTemplate = []; }, 'expected object, got an array'],
  ];
  for (const [path, edit, problem] of cases) {
    t.test(`${path}: ${problem}`, async (t) => expectError(t, () => validateServiceSpec(withEdit(edit)), `invalid ServiceSpec: ${path}: ${problem}`, path));
  }
  for (const bad of [null, 'spec', 3, [1]]) {
    expectError(t, () => validateServiceSpec(bad), 'invalid ServiceSpec: expected a JSON object', 'Spec');
  }
});

t.test('validation is idempotent and its result is independent of the input', async (t) => {
  const body = withEdit((s) => { s.Mode = { Replicated: {} }; s.UpdateConfig = { Parallelism: 2 }; });
  const once = validateServiceSpec(body);
  const twice = validateServiceSpec(once);
  t.strictSame(twice, once);
  (once as ServiceSpec).TaskTemplate.ContainerSpec.Image = 'changed';
  t.equal((body as any).TaskTemplate.ContainerSpec.Image, `nginx:alpine@${DIGEST}`);
});
