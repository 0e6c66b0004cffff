import t from 'tap';
import { buildServiceRows, serviceReplicas } from '../../cmd/format/service-table.js';
import { buildNodeRows, nodeRowCells, NODE_HEADER } from '../../cmd/format/node-table.js';
import { buildImageRows } from '../../cmd/format/image-table.js';
import { formatTable } from '../../cmd/format/table.js';
import { jsonLine, naturalCompare, ellipsis, truncateId } from '../../cmd/format/text.js';
import { NOW, ago, node, service } from './cli-fixtures.js';

t.test('service ls rows: sorted by name, replicas running/desired, ingress ports only, IDs truncated', async (t) => {
  const web = service({ ID: 'webid0000000000000000000a', ServiceStatus: { RunningTasks: 2, DesiredTasks: 3, CompletedTasks: 0 } });
  web.Spec.Name = 'web';
  web.Endpoint = { Spec: {}, Ports: [
    { TargetPort: 8080, PublishedPort: 9000, Protocol: 'tcp', PublishMode: 'ingress' },
    { TargetPort: 9090, PublishedPort: 9001, Protocol: 'tcp', PublishMode: 'host' },
  ] };
  const agent = service({ ID: 'agentid00000000000000000b', global: true, ServiceStatus: { RunningTasks: 3, DesiredTasks: 3, CompletedTasks: 0 } });
  agent.Spec.Name = 'agent';
  const rows = buildServiceRows([web, agent]);
  t.same(rows, [
    { ID: 'agentid00000', Name: 'agent', Mode: 'global', Replicas: '3/3', Image: 'whoami:1', Ports: '' },
    { ID: 'webid0000000', Name: 'web', Mode: 'replicated', Replicas: '2/3', Image: 'whoami:1', Ports: '*:9000->8080/tcp' },
  ]);
  t.equal(jsonLine({ ...rows[1]! }), '{"ID":"webid0000000","Image":"whoami:1","Mode":"replicated","Name":"web","Ports":"*:9000->8080/tcp","Replicas":"2/3"}');
});

t.test('replicas: max per node, missing status', async (t) => {
  const s = service({ replicas: 4 });
  s.Spec.TaskTemplate.Placement = { MaxReplicas: 2 };
  t.equal(serviceReplicas(s), '0/4 (max 2 per node)');
});

t.test('node ls: sorted by hostname, self marked with *, states capitalised, manager status', async (t) => {
  const nodes = [
    node('n3', 'node-10'),
    node('n1', 'node-1', { ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: 'x' }, Description: { Hostname: 'node-1', Engine: { EngineVersion: '0.1.0' } } }),
    node('n2', 'node-2', { Status: { State: 'down' }, Spec: { Role: 'manager', Availability: 'drain' }, ManagerStatus: { Leader: false, Reachability: 'unreachable', Addr: 'y' } }),
  ];
  const rows = buildNodeRows(nodes, 'n1');
  t.same(rows.map((r) => [r.ID, r.Self, r.Status, r.Availability, r.ManagerStatus, r.EngineVersion]), [
    ['n1', true, 'Ready', 'Active', 'Leader', '0.1.0'],
    ['n2', false, 'Down', 'Drain', 'Unreachable', ''],
    ['n3', false, 'Ready', 'Active', '', ''],
  ]);
  const lines = formatTable(NODE_HEADER, rows.map(nodeRowCells));
  t.match(lines[1], /^n1 \* +node-1 +Ready +Active +Leader +0\.1\.0$/);
  t.match(lines[2], /^n2 {3,}node-2/);
});

t.test('image ls rows: command re-quoted, created age, built-in', async (t) => {
  const rows = buildImageRows([
    { Name: 'b:1', Cmd: ['node', 'server.js', '--name', 'a b'], Cwd: '/srv', CreatedAt: ago(70_000) },
    { Name: 'a:1', Cmd: ['node'], BuiltIn: true, CreatedAt: ago(3000) },
  ], NOW);
  t.same(rows, [
    { Name: 'a:1', Cmd: 'node', Cwd: '', Created: '3 seconds ago', BuiltIn: 'yes' },
    { Name: 'b:1', Cmd: "node server.js --name 'a b'", Cwd: '/srv', Created: 'About a minute ago', BuiltIn: 'no' },
  ]);
});

t.test('text helpers', async (t) => {
  t.ok(naturalCompare('web.2', 'web.10') < 0);
  t.ok(naturalCompare('web.10', 'web.9') > 0);
  t.ok(naturalCompare('a', 'b') < 0);
  t.equal(naturalCompare('x1', 'x1'), 0);
  t.same(['web.10', 'api.1', 'web.2', 'web.1'].sort(naturalCompare), ['api.1', 'web.1', 'web.2', 'web.10']);
  t.equal(ellipsis('abcdef', 4), 'abc…');
  t.equal(ellipsis('abcd', 4), 'abcd');
  t.equal(truncateId('0123456789abcdef'), '0123456789ab');
});
