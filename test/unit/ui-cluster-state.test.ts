import t from 'tap';
import { ClusterState, age, imageTag, isVisible, publishedPorts, serviceProgress, taskName } from '../../ui/src/cluster-state.js';
import type { Node, Service, Task } from '../../ui/src/types.js';

const svc = (over: Partial<Service> = {}): Service => ({
  ID: 's1', Version: { Index: 5 }, SpecVersion: { Index: 3 },
  Spec: { Name: 'toms', Mode: { Replicated: { Replicas: 4 } }, TaskTemplate: { ContainerSpec: { Image: 'whoami:2' } } }, ...over,
});
const task = (id: string, over: Partial<Task> = {}): Task => ({
  ID: id, Version: { Index: 10 }, CreatedAt: '2026-12-06T10:00:00Z', ServiceID: 's1', Slot: 1, NodeID: 'n1',
  DesiredState: 'running', Status: { State: 'running' }, Spec: { ContainerSpec: { Image: 'whoami:2' } }, SpecVersion: { Index: 3 }, ...over,
});
const node: Node = { ID: 'n1', Version: { Index: 1 }, Spec: { Role: 'manager', Availability: 'active' }, Description: { Hostname: 'node-1' } };

t.test('image tags', async (t) => {
  t.equal(imageTag('whoami:2'), '2');
  t.equal(imageTag('whoami'), 'latest');
  t.equal(imageTag('registry:5000/app'), 'latest', 'a registry port is not a tag');
  t.equal(imageTag('registry:5000/app:v3'), 'v3');
  t.equal(imageTag('app@sha256:0123456789abcdef0123'), '0123456789ab');
  t.equal(imageTag(undefined), '?');
});

t.test('names, ages, visibility, ports', async (t) => {
  t.equal(taskName('toms', task('a', { Slot: 3 }), 'node-1'), 'toms.3');
  t.equal(taskName('agent', task('a', { Slot: 0 }), 'node-2'), 'agent.node-2', 'a global task is named by node');
  const now = Date.parse('2026-12-06T10:00:00Z');
  t.same(['2026-12-06T10:00:00Z', '2026-12-06T09:59:18Z', '2026-12-06T09:55:00Z', '2026-12-06T07:00:00Z', '2026-12-04T10:00:00Z'].map((x) => age(x, now)), ['0s', '42s', '5m', '3h', '2d']);
  t.ok(isVisible(task('a')));
  t.ok(isVisible(task('a', { DesiredState: 'shutdown', Status: { State: 'running' } })), 'a stopping task keeps its card');
  t.notOk(isVisible(task('a', { DesiredState: 'shutdown', Status: { State: 'shutdown' } })));
  t.notOk(isVisible(task('a', { DesiredState: 'shutdown', Status: { State: 'failed' } })));
  t.same(publishedPorts(svc({ Endpoint: { Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 9000 }, { TargetPort: 53 }] } })), ['9000:8080/tcp']);
});

t.test('update progress: tasks on the current spec, the batch in flight', async (t) => {
  const tasks = [
    task('a'), task('b', { Slot: 2, Status: { State: 'starting' } }),
    task('c', { Slot: 3, SpecVersion: { Index: 2 }, Spec: { ContainerSpec: { Image: 'whoami:1' } } }),
    task('d', { Slot: 4, SpecVersion: { Index: 2 }, Spec: { ContainerSpec: { Image: 'whoami:1' } } }),
    task('old', { DesiredState: 'shutdown', Status: { State: 'shutdown' }, SpecVersion: { Index: 2 } }),
    task('other', { ServiceID: 's2' }),
  ];
  t.same(serviceProgress(svc(), tasks), { running: 3, desired: 4, onNewSpec: 2, inFlight: 1 });
  const noVersions = tasks.map((x) => ({ ...x, SpecVersion: undefined }));
  t.same(serviceProgress(svc({ SpecVersion: undefined }), noVersions), { running: 3, desired: 4, onNewSpec: 2, inFlight: 1 }, 'by image without spec versions');
});

t.test('events: applied at once, the changed objects named for fetching', async (t) => {
  const s = new ClusterState();
  s.replaceAll([node], [svc()], [task('a')]);
  let fx = s.applyEvent({ Type: 'task', Action: 'update', Actor: { ID: 'a', Attributes: { 'state.old': 'running', 'state.new': 'shutdown', 'desiredstate.old': 'running', 'desiredstate.new': 'shutdown' } } });
  t.same(fx, { tasks: ['a'], services: false, nodes: false });
  t.equal(s.tasks.get('a')!.Status.State, 'shutdown');
  t.equal(s.tasks.get('a')!.DesiredState, 'shutdown');
  fx = s.applyEvent({ Type: 'task', Action: 'create', time: 1, Actor: { ID: 'b', Attributes: { 'service.id': 's1', slot: '2', 'node.id': 'n1', state: 'new', desiredstate: 'running' } } });
  t.same(fx.tasks, ['b']);
  t.match(s.tasks.get('b'), { ServiceID: 's1', Slot: 2, NodeID: 'n1', DesiredState: 'running', Status: { State: 'new' } }, 'a card at once');
  s.applyEvent({ Type: 'task', Action: 'create', Actor: { ID: 'x', Attributes: { 'service.id': 'unknown' } } });
  t.notOk(s.tasks.has('x'), 'a task of a service not loaded yet waits for its fetch');
  s.applyEvent({ Type: 'task', Action: 'remove', Actor: { ID: 'b' } });
  t.notOk(s.tasks.has('b'));
  t.same(s.applyEvent({ Type: 'service', Action: 'update', Actor: { ID: 's1' } }), { tasks: [], services: true, nodes: false });
  t.same(s.applyEvent({ Type: 'node', Action: 'update', Actor: { ID: 'n1' } }), { tasks: [], services: false, nodes: true });
});

t.test('a late fetch never rolls a task back; removed services take their tasks', async (t) => {
  const s = new ClusterState();
  s.replaceAll([node], [svc()], [task('a', { Version: { Index: 12 }, Status: { State: 'running' } })]);
  s.upsertTasks([task('a', { Version: { Index: 11 }, Status: { State: 'starting' } })]);
  t.equal(s.tasks.get('a')!.Status.State, 'running');
  s.upsertTasks([task('a', { Version: { Index: 13 }, Status: { State: 'shutdown' } })]);
  t.equal(s.tasks.get('a')!.Status.State, 'shutdown');
  s.setServices([]);
  t.equal(s.tasks.size, 0);
  t.equal(s.nodeName('n1'), 'node-1');
});

t.test('a fetch issued before an event never undoes what the event said', async (t) => {
  const s = new ClusterState();
  s.replaceAll([node], [svc()], [task('a', { Version: { Index: 12 }, Status: { State: 'starting' } })]);
  const mark = s.eventMark(); // a fetch goes out
  s.applyEvent({ Type: 'task', Action: 'update', Actor: { ID: 'a', Attributes: { 'state.old': 'starting', 'state.new': 'running' } } });
  s.upsertTasks([task('a', { Version: { Index: 12 }, Status: { State: 'starting' } })], mark); // its answer predates the event
  t.equal(s.tasks.get('a')!.Status.State, 'running', 'the stale answer is dropped');
  s.upsertTasks([task('a', { Version: { Index: 13 }, Status: { State: 'running' } })], s.eventMark());
  t.equal(s.tasks.get('a')!.Version!.Index, 13, 'the fetch the event asked for is taken');
});
