import t from 'tap';
import type { Node, Service, Task } from '../../lib/model/types.js';
import { planPlacements } from '../../lib/scheduler/plan-placements.js';
import { FILTERS } from '../../lib/scheduler/filters.js';
import {
  GiB, makeInput, makeNode, makeNodes, makeService, makeTask, pendingTasks, runningTask,
} from './scheduler-fixtures.js';

interface ReasonCase {
  name: string;
  nodes: Node[];
  service: Service;
  tasks?: (s: Service) => Task[];
  others?: Service[];
  imageAvailable?: (node: Node, image: string) => boolean;
  reason: string;
}

const web = (o: Parameters<typeof makeService>[1] = {}) => makeService('web', o);
const other = makeService('other', { hostPorts: [80], cpus: 1.5, memory: 1.5 * GiB });

const reasonCases: ReasonCase[] = [
  {
    name: 'ready filter: drained, paused and down nodes',
    nodes: [makeNode('a', { availability: 'drain' }), makeNode('b', { availability: 'pause' }), makeNode('c', { state: 'down' })],
    service: web(),
    reason: 'no suitable node (3 nodes not available for new tasks)',
  },
  {
    name: 'ready filter: singular',
    nodes: [makeNode('a', { state: 'unknown' })],
    service: web(),
    reason: 'no suitable node (1 node not available for new tasks)',
  },
  {
    name: 'resource filter: CPU',
    nodes: [makeNode('a', { cpus: 1 })],
    service: web({ cpus: 2 }),
    reason: 'no suitable node (insufficient resources on 1 node)',
  },
  {
    name: 'resource filter: memory, counting tasks already on the node',
    nodes: [makeNode('a', { memory: 2 * GiB }), makeNode('b', { memory: 2 * GiB })],
    service: web({ memory: GiB }),
    others: [other],
    tasks: () => [runningTask(other, 'a', 1), runningTask(other, 'b', 2)],
    reason: 'no suitable node (insufficient resources on 2 nodes)',
  },
  {
    name: 'constraint filter: label missing on both nodes',
    nodes: makeNodes(2),
    service: web({ constraints: ['node.labels.zone==eu'] }),
    reason: 'no suitable node (scheduling constraints not satisfied on 2 nodes)',
  },
  {
    name: 'platform filter',
    nodes: makeNodes(2),
    service: { ...web(), Spec: { ...web().Spec, TaskTemplate: { ...web().Spec.TaskTemplate, Placement: { Platforms: [{ OS: 'linux', Architecture: 'arm64' }] } } } },
    reason: 'no suitable node (unsupported platform on 2 nodes)',
  },
  {
    name: 'image filter names the image',
    nodes: makeNodes(2),
    service: web({ image: 'shop:2' }),
    imageAvailable: () => false,
    reason: 'no suitable node (image shop:2 not available on 2 nodes)',
  },
  {
    name: 'host port filter: port held by another service',
    nodes: [makeNode('a')],
    service: web({ hostPorts: [80] }),
    others: [other],
    tasks: () => [runningTask(other, 'a', 1)],
    reason: 'no suitable node (host-mode port already in use on 1 node)',
  },
  {
    name: 'max replicas filter has no count',
    nodes: makeNodes(2),
    service: web({ maxReplicas: 1 }),
    tasks: (s) => [runningTask(s, 'n1', 1), runningTask(s, 'n2', 2)],
    reason: 'no suitable node (max replicas per node limit exceed)',
  },
  {
    name: 'several reasons, most first',
    nodes: [makeNode('a', { availability: 'drain' }), makeNode('b'), makeNode('c')],
    service: web({ constraints: ['node.labels.zone==eu'] }),
    reason: 'no suitable node (scheduling constraints not satisfied on 2 nodes; 1 node not available for new tasks)',
  },
  {
    name: 'equal counts keep pipeline order',
    nodes: [makeNode('a', { state: 'down' }), makeNode('b', { cpus: 1 }), makeNode('c')],
    service: web({ cpus: 2, constraints: ['node.role==manager'] }),
    reason: 'no suitable node (1 node not available for new tasks; insufficient resources on 1 node; scheduling constraints not satisfied on 1 node)',
  },
  {
    name: 'the first failing filter wins per node',
    nodes: [makeNode('a', { availability: 'drain', cpus: 1 }), makeNode('b', { availability: 'pause' })],
    service: web({ cpus: 2, constraints: ['node.labels.zone==eu'] }),
    reason: 'no suitable node (2 nodes not available for new tasks)',
  },
  {
    name: 'no nodes at all',
    nodes: [],
    service: web(),
    reason: 'no suitable node',
  },
];

t.test('explain texts', async (t) => {
  for (const c of reasonCases) {
    const pending = [makeTask(c.service, 9)];
    const plan = planPlacements(makeInput({
      nodes: c.nodes,
      services: [c.service, ...(c.others ?? [])],
      tasks: c.tasks?.(c.service) ?? [],
      pending,
      ...(c.imageAvailable ? { imageAvailable: c.imageAvailable } : {}),
    }));
    t.same(plan.assignments, [], `${c.name}: nothing placed`);
    t.same(plan.unplaced, [{ taskId: pending[0]!.ID, reason: c.reason }], c.name);
  }
});

t.test('filters are in Swarm order', async (t) => {
  t.same(FILTERS.map((f) => f.name), ['ready', 'resources', 'constraints', 'platform', 'image', 'mounts', 'host-port', 'max-replicas']);
});

t.test('mounts filter: a task with ContainerSpec.Mounts goes only to a docker-driver node, else pending with the reason', async (t) => {
  const withMounts = web();
  withMounts.Spec.TaskTemplate.ContainerSpec.Mounts = [{ Type: 'bind', Source: '/data', Target: '/data' }];
  const docker = (id: string) => { const n = makeNode(id); n.Description.Driver = 'docker'; return n; };
  const place = (nodes: Node[], service: Service) => {
    const pending = [makeTask(service, 9)];
    return { pending, plan: planPlacements(makeInput({ nodes, services: [service], tasks: [], pending })) };
  };
  const none = place(makeNodes(2), withMounts);
  t.same(none.plan.assignments, []);
  t.same(none.plan.unplaced, [{ taskId: none.pending[0]!.ID, reason: 'no suitable node (mounts (volumes) not supported by the process driver on 2 nodes)' }]);
  const mixed = place([...makeNodes(2), docker('d1')], withMounts);
  t.same(mixed.plan.assignments.map((a) => a.nodeId), ['d1'], 'placed on the docker node');
  t.same(place(makeNodes(1), web()).plan.assignments.map((a) => a.nodeId), ['n1'], 'no mounts: the process node is fine');
});

interface FitCase { name: string; node: Node; service: Service; fits: boolean }

const fitCases: FitCase[] = [
  { name: 'ready active node', node: makeNode('a'), service: web(), fits: true },
  { name: 'paused node', node: makeNode('a', { availability: 'pause' }), service: web(), fits: false },
  { name: 'drained node', node: makeNode('a', { availability: 'drain' }), service: web(), fits: false },
  { name: 'down node', node: makeNode('a', { state: 'down' }), service: web(), fits: false },
  { name: 'disconnected node', node: makeNode('a', { state: 'disconnected' }), service: web(), fits: false },
  { name: 'label ==', node: makeNode('a', { labels: { zone: 'eu' } }), service: web({ constraints: ['node.labels.zone==eu'] }), fits: true },
  { name: 'label == other value', node: makeNode('a', { labels: { zone: 'us' } }), service: web({ constraints: ['node.labels.zone==eu'] }), fits: false },
  { name: 'label == is case-insensitive', node: makeNode('a', { labels: { zone: 'EU' } }), service: web({ constraints: ['node.labels.zone==eu'] }), fits: true },
  { name: 'missing label with != matches', node: makeNode('a'), service: web({ constraints: ['node.labels.zone!=eu'] }), fits: true },
  { name: 'missing label with == fails', node: makeNode('a'), service: web({ constraints: ['node.labels.zone==eu'] }), fits: false },
  { name: 'label != same value fails', node: makeNode('a', { labels: { zone: 'eu' } }), service: web({ constraints: ['node.labels.zone!=eu'] }), fits: false },
  { name: 'all constraints must hold', node: makeNode('a', { labels: { zone: 'eu' } }), service: web({ constraints: ['node.labels.zone==eu', 'node.role==manager'] }), fits: false },
  { name: 'role and hostname', node: makeNode('a', { role: 'manager', hostname: 'box1' }), service: web({ constraints: ['node.role==manager', 'node.hostname!=box2'] }), fits: true },
  { name: 'engine label', node: makeNode('a', { engineLabels: { disk: 'ssd' } }), service: web({ constraints: ['engine.labels.disk==ssd'] }), fits: true },
  { name: 'invalid constraint is ignored like swarmkit', node: makeNode('a'), service: web({ constraints: ['zone=eu'] }), fits: true },
  { name: 'node without resources is unlimited', node: makeNode('a'), service: web({ cpus: 64, memory: 512 * GiB }), fits: true },
  { name: 'reservation equal to capacity fits', node: makeNode('a', { cpus: 2, memory: GiB }), service: web({ cpus: 2, memory: GiB }), fits: true },
  { name: 'memory one byte over', node: makeNode('a', { cpus: 2, memory: GiB }), service: web({ memory: GiB + 1 }), fits: false },
  { name: 'unreported CPUs are unlimited', node: makeNode('a', { memory: GiB }), service: web({ cpus: 32 }), fits: true },
  { name: 'x86_64 node matches amd64', node: makeNode('a', { arch: 'x86_64' }), service: withPlatform(web(), 'linux', 'amd64'), fits: true },
  { name: 'aarch64 node matches arm64', node: makeNode('a', { arch: 'aarch64' }), service: withPlatform(web(), 'linux', 'arm64'), fits: true },
  { name: 'os mismatch', node: makeNode('a', { os: 'linux' }), service: withPlatform(web(), 'windows', ''), fits: false },
];

function withPlatform(s: Service, os: string, arch: string): Service {
  const spec = structuredClone(s.Spec);
  spec.TaskTemplate.Placement = { Platforms: [{ OS: os, ...(arch ? { Architecture: arch } : {}) }] };
  return { ...s, Spec: spec };
}

t.test('single node fits or not', async (t) => {
  for (const c of fitCases) {
    const plan = planPlacements(makeInput({ nodes: [c.node], services: [c.service], pending: [makeTask(c.service, 1)] }));
    t.equal(plan.assignments.length, c.fits ? 1 : 0, c.name);
    t.equal(plan.unplaced.length, c.fits ? 0 : 1, c.name);
  }
});

t.test('host-mode ports', async (t) => {
  t.test('the same service cannot put two tasks with one host port on a node', async (t) => {
    const s = web({ hostPorts: [8080] });
    const plan = planPlacements(makeInput({ nodes: makeNodes(2), services: [s], pending: pendingTasks(s, 3) }));
    t.same(plan.assignments.map((a) => a.nodeId).sort(), ['n1', 'n2']);
    t.same(plan.unplaced.map((u) => u.reason), ['no suitable node (host-mode port already in use on 2 nodes)']);
  });
  t.test('udp and tcp on the same number do not clash', async (t) => {
    const udp = makeService('dns', { ports: [{ Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'host' }] });
    const tcp = makeService('web', { hostPorts: [53] });
    const plan = planPlacements(makeInput({
      nodes: [makeNode('a')], services: [udp, tcp], tasks: [runningTask(udp, 'a', 1)], pending: [makeTask(tcp, 1)],
    }));
    t.same(plan.assignments, [{ taskId: 'web.1.p.pending', nodeId: 'a' }]);
  });
  t.test('ingress ports do not reserve the node', async (t) => {
    const s = makeService('web', { ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 80, PublishMode: 'ingress' }] });
    const plan = planPlacements(makeInput({ nodes: [makeNode('a')], services: [s], pending: pendingTasks(s, 3) }));
    t.equal(plan.assignments.length, 3);
  });
  t.test('a stopped task frees its port', async (t) => {
    const s = web({ hostPorts: [80] });
    const old = runningTask(s, 'a', 1, { state: 'shutdown', desired: 'shutdown' });
    const plan = planPlacements(makeInput({ nodes: [makeNode('a')], services: [s], tasks: [old], pending: [makeTask(s, 1)] }));
    t.equal(plan.assignments.length, 1);
  });
  t.test('a running host-mode task holds the published port it reported, not its ingress-style endpoint', async (t) => {
    // The agent reports PortStatus for running tasks: a host-mode task's is the published port itself;
    // an ingress task's endpoint (PublishMode ingress) is no host port at all.
    const s = web({ hostPorts: [8088] });
    const running = runningTask(s, 'a', 1);
    running.Status.PortStatus = { Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 8088, PublishMode: 'host' }] };
    const plan = planPlacements(makeInput({ nodes: [makeNode('a'), makeNode('b')], services: [s], tasks: [running], pending: pendingTasks(s, 2, 2) }));
    t.same(plan.assignments.map((a) => a.nodeId), ['b'], 'the only free node takes one');
    t.same(plan.unplaced.map((u) => u.reason), ['no suitable node (host-mode port already in use on 2 nodes)'], 'the other waits, with Swarm\'s reason');
    const ingress = makeService('api', { ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 80 }] });
    const itask = runningTask(ingress, 'a', 1);
    itask.Status.PortStatus = { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8088, PublishMode: 'ingress' }] };
    const plan2 = planPlacements(makeInput({ nodes: [makeNode('a')], services: [s, ingress], tasks: [itask], pending: pendingTasks(s, 1) }));
    t.equal(plan2.assignments.length, 1, 'an ingress task\'s endpoint port does not block a host-mode port');
  });
  t.test('a host port the manager picked (published left out) counts too', async (t) => {
    const s = makeService('web', { ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishMode: 'host' }] });
    s.Endpoint.Ports = [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 30001, PublishMode: 'host' }];
    const plan = planPlacements(makeInput({ nodes: [makeNode('a')], services: [s], pending: pendingTasks(s, 2) }));
    t.equal(plan.assignments.length, 1);
    t.same(plan.unplaced.map((u) => u.reason), ['no suitable node (host-mode port already in use on 1 node)']);
  });
  t.test('a task still running while being shut down keeps its port', async (t) => {
    const s = web({ hostPorts: [80] });
    const old = runningTask(s, 'a', 1, { desired: 'shutdown' });
    const plan = planPlacements(makeInput({ nodes: [makeNode('a')], services: [s], tasks: [old], pending: [makeTask(s, 1)] }));
    t.same(plan.unplaced.map((u) => u.reason), ['no suitable node (host-mode port already in use on 1 node)']);
  });
});
