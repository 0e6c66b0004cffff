import t from 'tap';
import { buildTaskRows, sortTasks, taskError, taskPorts, taskRowCells, TASK_HEADER } from '../../cmd/format/task-table.js';
import { formatTable } from '../../cmd/format/table.js';
import { NOW, task } from './cli-fixtures.js';

const names = { serviceNames: new Map([['svc1', 'toms'], ['svc2', 'api']]), nodeNames: new Map([['node1', 'node-1'], ['node2', 'node-2']]) };
const opts = { ...names, now: NOW, noTrunc: false, tree: true };

t.test('rows: natural order by name, newest first within a slot, older ones as " \\_ name"', async (t) => {
  const tasks = [
    task({ ID: 'old1aaaaaaaaaaaaaaaaaaaaa', Slot: 1, age: 60_000, state: 'shutdown', desired: 'shutdown' }),
    task({ ID: 'slot10aaaaaaaaaaaaaaaaaaa', Slot: 10, age: 5000 }),
    task({ ID: 'new1aaaaaaaaaaaaaaaaaaaaa', Slot: 1, age: 5000 }),
    task({ ID: 'slot2aaaaaaaaaaaaaaaaaaaa', Slot: 2, age: 5000 }),
    task({ ID: 'older1aaaaaaaaaaaaaaaaaaa', Slot: 1, age: 120_000, state: 'failed', desired: 'shutdown' }),
  ];
  const rows = buildTaskRows(tasks, opts);
  t.same(rows.map((r) => r.Name), ['toms.1', ' \\_ toms.1', ' \\_ toms.1', 'toms.2', 'toms.10']);
  t.same(rows.map((r) => r.ID), ['new1aaaaaaa', 'old1aaaaaaa', 'older1aaaaa', 'slot2aaaaaa', 'slot10aaaaa'].map((x) => x.padEnd(12, 'a')));
  t.equal(rows[1]!.DesiredState, 'Shutdown');
  t.equal(rows[1]!.CurrentState, 'Shutdown About a minute ago'.replace('About', 'about'));
  t.equal(rows[0]!.CurrentState, 'Running 5 seconds ago');
});

t.test('json rows keep the plain name (no tree), --no-trunc keeps full IDs', async (t) => {
  const tasks = [task({ ID: 'aaaaaaaaaaaaaaaaaaaaaaaa1', age: 1000 }), task({ ID: 'aaaaaaaaaaaaaaaaaaaaaaaa2', age: 9000 })];
  const rows = buildTaskRows(tasks, { ...opts, tree: false, noTrunc: true });
  t.same(rows.map((r) => r.Name), ['toms.1', 'toms.1']);
  t.same(rows.map((r) => r.ID), ['aaaaaaaaaaaaaaaaaaaaaaaa1', 'aaaaaaaaaaaaaaaaaaaaaaaa2']);
});

t.test('global tasks are named service.nodeID; node column is the node name; unassigned is blank', async (t) => {
  const rows = buildTaskRows([
    task({ Slot: 0, NodeID: 'node2', ServiceID: 'svc2' }),
    task({ Slot: 0, NodeID: 'node1', ServiceID: 'svc2' }),
    task({ Slot: 3, NodeID: '', state: 'pending' }),
    task({ Slot: 4, NodeID: 'gone' }),
  ], opts);
  t.same(rows.map((r) => [r.Name, r.Node]), [['api.node1', 'node-1'], ['api.node2', 'node-2'], ['toms.3', ''], ['toms.4', 'gone']]);
});

t.test('ERROR is quoted and cut to 30 characters with … unless --no-trunc', async (t) => {
  const long = 'no suitable node (scheduling constraints not satisfied on 3 nodes)';
  t.equal(taskError(long, false), `"${long.slice(0, 29)}…"`);
  t.equal([...taskError(long, false)].length, 32);
  t.equal(taskError(long, true), `"${long}"`);
  t.equal(taskError('exit 1', false), '"exit 1"');
  t.equal(taskError(undefined, false), '');
  t.equal(taskError('x'.repeat(30), false), `"${'x'.repeat(30)}"`);
});

t.test('PORTS as Swarm: host-mode ports only; ingress tasks show nothing (the endpoint stays in inspect)', async (t) => {
  const ingress = { PortStatus: { Ports: [{ TargetPort: 8080, PublishedPort: 9000, Protocol: 'tcp' as const, PublishMode: 'ingress' as const }] } };
  t.equal(taskPorts({ Status: { Timestamp: '', State: 'running', ...ingress }, Endpoint: { Addr: '127.0.0.2', Port: 30001 } }), '');
  const unset = { PortStatus: { Ports: [{ TargetPort: 8080, PublishedPort: 9000, Protocol: 'tcp' as const }] } };
  t.equal(taskPorts({ Status: { Timestamp: '', State: 'running', ...unset } }), '', 'no PublishMode means ingress');
  t.equal(taskPorts({ Status: { Timestamp: '', State: 'running' }, Endpoint: { Addr: '127.0.0.2', Port: 30001 } }), '');
  t.equal(taskPorts({ Status: { Timestamp: '', State: 'running' } }), '');
  const host = { PortStatus: { Ports: [{ TargetPort: 8080, PublishedPort: 8088, Protocol: 'tcp' as const, PublishMode: 'host' as const }] } };
  t.equal(taskPorts({ Status: { Timestamp: '', State: 'running', ...host }, Endpoint: { Addr: '127.0.0.2', Port: 8088 } }), '*:8088->8080/tcp', 'host mode as Swarm shows it');
  const udp = { PortStatus: { Ports: [{ TargetPort: 53, PublishedPort: 5353, Protocol: 'udp' as const, PublishMode: 'host' as const }] } };
  t.equal(taskPorts({ Status: { Timestamp: '', State: 'running', ...udp } }), '*:5353->53/udp');
  const both = { PortStatus: { Ports: [ingress.PortStatus.Ports[0]!, host.PortStatus.Ports[0]!, udp.PortStatus.Ports[0]!] } };
  t.equal(taskPorts({ Status: { Timestamp: '', State: 'running', ...both } }), '*:8088->8080/tcp,*:5353->53/udp');
});

t.test('image digest is hidden unless --no-trunc', async (t) => {
  const tk = task({ Spec: { ContainerSpec: { Image: 'nginx:1@sha256:abc' } } });
  t.equal(buildTaskRows([tk], opts)[0]!.Image, 'nginx:1');
  t.equal(buildTaskRows([tk], { ...opts, noTrunc: true })[0]!.Image, 'nginx:1@sha256:abc');
});

t.test('a whole ps table lines up', async (t) => {
  const rows = buildTaskRows([task({ ID: 'aaaaaaaaaaaaaaaaaaaaaaaa1' }), task({ ID: 'bbbbbbbbbbbbbbbbbbbbbbbb2', age: 9000, state: 'shutdown', desired: 'shutdown' })], opts);
  const lines = formatTable(TASK_HEADER, rows.map(taskRowCells));
  t.equal(lines[0], 'ID             NAME         IMAGE      NODE      DESIRED STATE   CURRENT STATE            ERROR     PORTS');
  t.equal(lines[2], 'bbbbbbbbbbbb    \\_ toms.1   whoami:1   node-1    Shutdown        Shutdown 9 seconds ago');
});

t.test('sortTasks: unknown services sort by their ID', async (t) => {
  const sorted = sortTasks([task({ ServiceID: 'zzz' }), task({ ServiceID: 'svc1' })], names.serviceNames);
  t.same(sorted.map((x) => x.name), ['toms.1', 'zzz.1']);
});
