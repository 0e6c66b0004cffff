import t from 'tap';
import type { z } from 'zod';
import { isSwarmletError } from '../../lib/errors.js';
import { EndpointAckSchema, EndpointTableSchema } from '../../lib/protocol/endpoint-table.js';
import { JoinReplySchema, JoinRequestSchema } from '../../lib/protocol/join.js';
import { NodeReportSchema } from '../../lib/protocol/node-report.js';
import { parseSessionLine } from '../../lib/protocol/session.js';
import { TaskReportSchema } from '../../lib/protocol/task-report.js';
import { checkWire, parseWire } from '../../lib/protocol/wire-error.js';
import { task } from '../fixtures/orchestrator-fixtures.js';

/** [what, schema, good messages, bad messages with the field and the message the error must carry] */
type Table = [string, z.ZodType, unknown[], Array<[unknown, string, RegExp]>];

const endpoint = { taskId: 't1', slot: 1, nodeId: 'n1', addr: '127.0.0.1', port: 30001, state: 'active' };
const route = { serviceId: 's1', name: 'web', ports: [{ published: 9000, target: 8080, protocol: 'tcp' }], endpoints: [endpoint] };

const tables: Table[] = [
  ['TaskReport', TaskReportSchema, [
    { State: 'running' },
    { State: 'failed', Err: 'exit 1', ContainerStatus: { PID: 12, ExitCode: 1 } },
    { State: 'running', Endpoint: { Addr: '127.0.0.1', Port: 30001 }, Health: 'healthy', PortStatus: { Ports: [{ TargetPort: 8080, PublishedPort: 30001, Protocol: 'tcp' }] } },
    { State: 'running', Endpoint: { Addr: '127.0.0.1', Port: 30001, Ports: { 8080: 30001, 6379: 30002 } } },
  ], [
    [{ State: 'running', Endpoint: { Addr: '127.0.0.1', Port: 30001, Ports: { 8080: 70000 } } }, 'Endpoint.Ports.8080', /65535/],
    [{ State: 'running', Endpoint: { Addr: '127.0.0.1', Port: 30001, Ports: { web: 30002 } } }, 'Endpoint.Ports.web', /./],
    [{}, 'State', /expected one of/],
    [{ State: 'exploded' }, 'State', /expected one of/],
    [{ State: 'running', Message: 5 }, 'Message', /expected string, got number/],
    [{ State: 'running', Endpoint: { Addr: '127.0.0.1', Port: 70000 } }, 'Endpoint.Port', /65535/],
    [{ State: 'running', Health: 'fine' }, 'Health', /expected one of/],
    [{ State: 'running', PortStatus: { Ports: [{ TargetPort: 0 }] } }, 'PortStatus.Ports[0].TargetPort', />=1/],
    [null, 'TaskReport', /body: expected object, got null/],
  ]],
  ['NodeReport', NodeReportSchema, [
    {},
    { Driver: 'docker', Images: ['nginx:1'] },
    { Platform: { OS: 'linux', Architecture: 'x86_64' }, Resources: { NanoCPUs: 4e9, MemoryBytes: 8 * 2 ** 30 }, Engine: { EngineVersion: 'x', Labels: { a: 'b' } }, Driver: 'process' },
  ], [
    [{ Resources: { NanoCPUs: '4', MemoryBytes: 1 } }, 'Resources.NanoCPUs', /expected number, got string/],
    [{ Resources: { NanoCPUs: 1.5, MemoryBytes: 1 } }, 'Resources.NanoCPUs', /int/],
    [{ Resources: { NanoCPUs: 1 } }, 'Resources.MemoryBytes', /expected number, got nothing/],
    [{ Platform: { OS: '', Architecture: 'x86_64' } }, 'Platform.OS', />=1/],
    [{ Engine: { EngineVersion: 'x', Labels: { a: 1 } } }, 'Engine.Labels.a', /expected string, got number/],
    [{ Images: 'nginx:1' }, 'Images', /expected array, got string/],
    [{ Driver: '' }, 'Driver', />=1/],
    [[], 'NodeReport', /expected object, got an array/],
  ]],
  ['join', JoinRequestSchema, [
    { Token: 'T', Hostname: 'n1', Addr: '127.0.0.1' },
    { Token: 'T', Hostname: 'n1', Addr: '127.0.0.1', Labels: { zone: 'eu' }, Driver: 'docker', Description: { Platform: { OS: 'linux', Architecture: 'aarch64' } } },
  ], [
    [{ Hostname: 'n1', Addr: '127.0.0.1' }, 'Token', /expected string, got nothing/],
    [{ Token: 'T', Hostname: 'n1', Addr: 1 }, 'Addr', /expected string, got number/],
    [{ Token: 'T', Hostname: 'n1', Addr: 'a', Labels: ['x'] }, 'Labels', /expected record, got an array/],
    [{ Token: 'T', Hostname: 'n1', Addr: 'a', Description: { Resources: { NanoCPUs: -1, MemoryBytes: 0 } } }, 'Description.Resources.NanoCPUs', />=0/],
  ]],
  ['join reply', JoinReplySchema, [
    { NodeID: 'n', Credential: 'c', Role: 'worker', HeartbeatPeriodMs: 5000 },
  ], [
    [{ NodeID: 'n', Credential: 'c', Role: 'boss', HeartbeatPeriodMs: 5000 }, 'Role', /expected one of/],
    [{ NodeID: 'n', Credential: '', Role: 'worker', HeartbeatPeriodMs: 5000 }, 'Credential', />=1/],
  ]],
  ['EndpointTable', EndpointTableSchema, [
    { version: 0, services: [] },
    { version: 7, services: [route, { ...route, serviceId: 's2', endpoints: [{ ...endpoint, slot: 0, state: 'draining' }] }] },
  ], [
    [{ services: [] }, 'version', /expected number, got nothing/],
    [{ version: -1, services: [] }, 'version', />=0/],
    [{ version: 1, services: [{ ...route, endpoints: [{ ...endpoint, state: 'gone' }] }] }, 'services[0].endpoints[0].state', /expected one of/],
    [{ version: 1, services: [{ ...route, ports: [{ published: 0, target: 8080, protocol: 'tcp' }] }] }, 'services[0].ports[0].published', />=1/],
  ]],
  ['ack', EndpointAckSchema, [
    { Gateway: 'node-1.gw', Version: 3 },
  ], [
    [{ Gateway: 'a b', Version: 3 }, 'Gateway', /gateway ID/],
    [{ Gateway: 'g', Version: 1.5 }, 'Version', /int/],
  ]],
];

for (const [what, schema, good, bad] of tables) {
  t.test(`${what}: good messages pass, bad ones name the field`, async (t) => {
    for (const m of good) t.doesNotThrow(() => parseWire(schema, m, what), JSON.stringify(m));
    for (const [m, field, message] of bad) {
      const r = checkWire(schema, m, what);
      t.notOk(r.ok, `${JSON.stringify(m)} is refused`);
      if (r.ok) continue;
      t.equal(r.error.code, 'invalid_argument');
      t.equal(r.error.field, field, `field of ${JSON.stringify(m)}`);
      t.match(r.error.message, message);
      t.ok(r.error.message.startsWith(`invalid ${what}: `), r.error.message);
    }
  });
}

t.test('parseWire throws a SwarmletError and strips unknown fields', async (t) => {
  t.same(parseWire(TaskReportSchema, { State: 'running', Sneaky: true }, 'TaskReport'), { State: 'running' });
  let thrown: unknown;
  try { parseWire(TaskReportSchema, { State: 1 }, 'TaskReport'); } catch (e) { thrown = e; }
  t.ok(isSwarmletError(thrown) && thrown.field === 'State', 'a SwarmletError naming State');
});

t.test('session lines: assignments keep the Swarm task objects, log requests are checked', async (t) => {
  const assigned = { Tasks: [task(1, 'n1')], Services: { svc: { name: 'web', targetPort: 8080 } }, Images: [{ Name: 'whoami:1', Cmd: ['node'], CreatedAt: '' }] };
  const a = parseSessionLine(JSON.parse(JSON.stringify(assigned)));
  t.ok(a.ok);
  if (a.ok) t.same(a.value, assigned, 'the tasks come through whole');
  const withContent = { Tasks: [], Services: {}, Images: [], Secrets: [{ ID: 's1', Data: 'aGk=' }], Configs: [{ ID: 'c1', Data: '' }] };
  const c = parseSessionLine(withContent);
  t.same(c.ok ? c.value : c.error.message, withContent, 'secret and config content comes through');
  const l = parseSessionLine({ LogRequest: { ID: 'r1', TaskID: 't1', Follow: true, Tail: 10 } });
  t.ok(l.ok && 'LogRequest' in l.value);
  const cases: Array<[unknown, string]> = [
    [{ LogRequest: { ID: 'r1' } }, 'LogRequest.TaskID'],
    [{ LogRequest: { ID: 'r1', TaskID: 't', Tail: -1 } }, 'LogRequest.Tail'],
    [{ Tasks: [{ ...task(1, 'n1'), DesiredState: 'dancing' }], Services: {}, Images: [] }, 'Tasks[0].DesiredState'],
    [{ Tasks: [{ ...task(1, 'n1'), ID: 7 }], Services: {}, Images: [] }, 'Tasks[0].ID'],
    [{ Tasks: [], Services: { s: { name: 'web', targetPort: 'x' } }, Images: [] }, 'Services.s.targetPort'],
    [{ Tasks: [], Services: {} }, 'Images'],
    [{ Tasks: [], Services: {}, Images: [], Secrets: [{ ID: 's1', Data: 'not base64!' }] }, 'Secrets[0].Data'],
    [{ Tasks: [], Services: {}, Images: [], Configs: [{ Data: '' }] }, 'Configs[0].ID'],
  ];
  for (const [m, field] of cases) {
    const r = parseSessionLine(m);
    t.equal(r.ok ? undefined : r.error.field, field, JSON.stringify(m).slice(0, 80));
  }
});

t.test('layer 4 and host mode cross the wire: a port\'s app protocol, a service\'s host port, protocol and UDP-only flag', async (t) => {
  const table = { version: 3, services: [{ serviceId: 's', name: 'db', ports: [{ published: 6390, target: 6379, protocol: 'tcp', appProtocol: 'tcp' }, { published: 5353, target: 53, protocol: 'udp' }], endpoints: [] }] };
  t.same(parseWire(EndpointTableSchema, JSON.parse(JSON.stringify(table)), 'EndpointTable'), table, 'appProtocol kept');
  let thrown: unknown;
  try { parseWire(EndpointTableSchema, { ...table, services: [{ ...table.services[0], ports: [{ published: 1, target: 1, protocol: 'tcp', appProtocol: 'grpc' }] }] }, 'EndpointTable'); } catch (e) { thrown = e; }
  t.ok(isSwarmletError(thrown) && /appProtocol/.test(thrown.field ?? ''), 'an unknown app protocol is refused, naming the field');
  const assigned = { Tasks: [], Services: { dns: { name: 'dns', targetPort: 53, protocol: 'udp', udpOnly: true }, edge: { name: 'edge', targetPort: 8080, hostPort: 8088 } }, Images: [] };
  const a = parseSessionLine(JSON.parse(JSON.stringify(assigned)));
  t.same(a.ok ? a.value : a.error.message, assigned, 'host port, protocol and udpOnly kept');
});
