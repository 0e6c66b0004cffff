import t from 'tap';
import { FakeClock } from '../../lib/clock.js';
import { buildEndpointTable, isActiveIn } from '../../lib/dispatcher/build-endpoint-table.js';
import { EndpointFeed } from '../../lib/dispatcher/endpoint-feed.js';
import { MemoryStore } from '../../lib/store/memory-store.js';
import type { Service, Task } from '../../lib/model/types.js';
import { node, service, task } from '../fixtures/orchestrator-fixtures.js';

function published(s: Service, port = 9000): Service {
  return { ...s, Endpoint: { Spec: {}, Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: port, PublishMode: 'ingress' }] } };
}
const withEp = (x: Task, port: number): Task => ({ ...x, Endpoint: { Addr: '127.0.0.1', Port: port } });

t.test('buildEndpointTable: running tasks with an endpoint; draining when desired past running', async (t) => {
  const s = published(service());
  const tasks = [
    withEp(task(1, 'n1'), 20001),
    withEp(task(2, 'n2', { desired: 'shutdown' }), 20002),
    withEp(task(3, 'n1', { state: 'starting' }), 20003),
    withEp(task(4, 'down'), 20004),
    { ...withEp(task(5, 'n1'), 20005), Status: { State: 'running' as const, Timestamp: '', Health: 'unhealthy' as const } },
    task(6, 'n1'),
  ];
  const table = buildEndpointTable([s, service({ id: 'nopublish' })], tasks, [node('n1'), node('n2'), node('down', { state: 'down' })], 7);
  t.equal(table.version, 7);
  t.equal(table.services.length, 1, 'services without published ports are left out');
  t.same(table.services[0]!.ports, [{ published: 9000, target: 8080, protocol: 'tcp' }], 'no app protocol: the gateway tells by the first bytes');
  t.same(table.services[0]!.endpoints.map((e) => [e.slot, e.port, e.state]), [[1, 20001, 'active'], [2, 20002, 'draining']]);
  t.ok(isActiveIn(table, tasks[0]!.ID));
  t.notOk(isActiveIn(table, tasks[1]!.ID));
});

function setup(drainTimeoutMs = 5000) {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const s = published(service());
  const a = withEp(task(1, 'n1', { id: 'taska' }), 20001);
  const b = withEp(task(2, 'n1', { id: 'taskb' }), 20002);
  store.update((tx) => { tx.putNode(node('n1')); tx.putService(s); tx.putTask(a); tx.putTask(b); });
  const feed = new EndpointFeed({ store, clock, drainTimeoutMs });
  feed.start();
  return { clock, store, feed, a, b };
}
const flush = () => new Promise((r) => setImmediate(r));

t.test('a new version is published only when the routes change', async (t) => {
  const { store, feed, a } = setup();
  const seen: number[] = [];
  feed.subscribe((x) => seen.push(x.version));
  store.update((tx) => tx.putTask({ ...tx.getTask(a.ID)!, Labels: { x: '1' } }));
  await flush();
  t.equal(seen.length, 1, 'a label change is not a routing change');
  store.update((tx) => tx.putTask({ ...tx.getTask(a.ID)!, DesiredState: 'shutdown' }));
  await flush();
  t.equal(seen.length, 2);
  t.ok(seen[1]! > seen[0]!);
});

t.test('drain barrier: resolves once every registered gateway acked the version without the task', async (t) => {
  const { store, feed, a } = setup();
  const leave1 = feed.register('g1');
  feed.register('g2');
  let done: boolean | undefined;
  void feed.drained(a.ID).then((v) => { done = v; });
  await flush();
  t.equal(done, undefined, 'the task is still active in the table');
  store.update((tx) => tx.putTask({ ...tx.getTask(a.ID)!, DesiredState: 'shutdown' }));
  await flush();
  const v = feed.current().version;
  t.equal(done, undefined, 'published, not yet acknowledged');
  feed.ack('g1', v);
  await flush();
  t.equal(done, undefined, 'one gateway of two');
  leave1();
  feed.ack('g2', v - 1);
  await flush();
  t.equal(done, undefined, 'an older ack does not count');
  feed.ack('g2', v);
  await flush();
  t.equal(done, true);
});

t.test('drain barrier: no gateways → immediate once the table changed; bounded by the timeout', async (t) => {
  const { clock, feed, a, store } = setup(3000);
  store.update((tx) => tx.putTask({ ...tx.getTask(a.ID)!, DesiredState: 'shutdown' }));
  await flush();
  t.equal(await feed.drained(a.ID), true, 'nobody to wait for');
  feed.register('silent');
  const { b } = { b: store.view((tx) => tx.getTask('taskb')!) };
  store.update((tx) => tx.putTask({ ...b, DesiredState: 'shutdown' }));
  await flush();
  let done: boolean | undefined;
  void feed.drained(b.ID).then((v) => { done = v; });
  await flush();
  clock.advance(2999);
  await flush();
  t.equal(done, undefined);
  clock.advance(1);
  await flush();
  t.equal(done, false, 'timed out without the silent gateway');
});

t.test('buildEndpointTable: a port\'s app protocol from its AppProtocol, else the label swarmlet.port.<published>; host-mode ports stay out', async (t) => {
  const s = service({ id: 'multi' });
  s.Spec.Labels = { 'swarmlet.port.6390': 'TCP', 'swarmlet.port.5353': 'tcp' };
  s.Endpoint.Ports = [
    { Protocol: 'tcp', TargetPort: 8080, PublishedPort: 80, PublishMode: 'ingress', AppProtocol: 'http' },
    { Protocol: 'tcp', TargetPort: 6379, PublishedPort: 6390, PublishMode: 'ingress' },
    { Protocol: 'udp', TargetPort: 53, PublishedPort: 5353, PublishMode: 'ingress' },
    { Protocol: 'tcp', TargetPort: 22, PublishedPort: 2222, PublishMode: 'host' },
  ];
  const table = buildEndpointTable([s], [], [node('n1')], 1);
  t.same(table.services[0]!.ports, [
    { published: 80, target: 8080, protocol: 'tcp', appProtocol: 'http' },
    { published: 6390, target: 6379, protocol: 'tcp', appProtocol: 'tcp' },
    { published: 5353, target: 53, protocol: 'udp' },
  ]);
});

t.test('buildEndpointTable: a service with several target ports gets one route per target, to each task\'s port for it', async (t) => {
  const s = service();
  const ports = [
    { Protocol: 'tcp' as const, TargetPort: 8080, PublishedPort: 80, PublishMode: 'ingress' as const },
    { Protocol: 'tcp' as const, TargetPort: 6379, PublishedPort: 6390, PublishMode: 'ingress' as const },
    { Protocol: 'udp' as const, TargetPort: 53, PublishedPort: 5353, PublishMode: 'ingress' as const },
    { Protocol: 'tcp' as const, TargetPort: 8080, PublishedPort: 8080, PublishMode: 'ingress' as const },
  ];
  s.Spec.EndpointSpec = { Ports: ports };
  s.Endpoint = { Spec: s.Spec.EndpointSpec, Ports: ports, VirtualIPs: [{ NetworkID: 'n', Addr: '127.77.0.2/24' }] };
  const multi = { ...task(1, 'n1'), Endpoint: { Addr: '127.0.0.1', Port: 20001, Ports: { 8080: 20001, 6379: 20002, 53: 20003 } } };
  const single = withEp(task(2, 'n1'), 20011); // e.g. a docker-driver task: every port reaches its first one, as before
  const table = buildEndpointTable([s], [multi, single], [node('n1')], 1);
  t.same(table.services.map((r) => [r.serviceId, r.ports.map((p) => p.published), r.endpoints.map((e) => e.port), r.vips?.map((v) => v.ports)]), [
    [s.ID, [80, 8080], [20001, 20011], [[8080]]],
    [`${s.ID}/6379`, [6390], [20002, 20011], [[6379]]],
    [`${s.ID}/53`, [5353], [20003, 20011], undefined],
  ]);
  t.ok(table.services.every((r) => r.name === s.Spec.Name), 'one service name (metrics)');
  s.Spec.EndpointSpec = { Ports: [ports[0]!] };
  s.Endpoint = { Spec: s.Spec.EndpointSpec, Ports: [ports[0]!] };
  t.same(buildEndpointTable([s], [multi], [node('n1')], 2).services.map((r) => r.serviceId), [s.ID], 'one target: one route as before');
});
