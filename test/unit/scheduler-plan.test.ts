import t from 'tap';
import { planPlacements } from '../../lib/scheduler/plan-placements.js';
import { FAILURE_WINDOW_MS as FAILURE_MS } from '../../lib/scheduler/node-info.js';
import {
  NOW, countByNode, countByNodeFor, failedTask, GiB, makeInput, makeNode, makeNodes, makeService, makeTask,
  pendingTasks, runningTask,
} from './scheduler-fixtures.js';

t.test('spread', async (t) => {
  const s = makeService('web');
  const cases: Array<{ name: string; tasks: number; nodes: number; want: Record<string, number> }> = [
    { name: '3 tasks on 3 nodes', tasks: 3, nodes: 3, want: { n1: 1, n2: 1, n3: 1 } },
    { name: '7 tasks on 3 nodes', tasks: 7, nodes: 3, want: { n1: 3, n2: 2, n3: 2 } },
    { name: '2 tasks on 5 nodes', tasks: 2, nodes: 5, want: { n1: 1, n2: 1 } },
    { name: '4 tasks on 1 node', tasks: 4, nodes: 1, want: { n1: 4 } },
  ];
  for (const c of cases) {
    const plan = planPlacements(makeInput({ nodes: makeNodes(c.nodes), services: [s], pending: pendingTasks(s, c.tasks) }));
    t.same(countByNode(plan), c.want, c.name);
    t.same(plan.unplaced, [], `${c.name}: all placed`);
  }
});

t.test('tasks go to the slots in order, lowest slot to the best node', async (t) => {
  const s = makeService('web');
  const plan = planPlacements(makeInput({ nodes: makeNodes(3), services: [s], pending: pendingTasks(s, 3).reverse() }));
  t.same(plan.assignments, [
    { taskId: 'web.1.p.pending', nodeId: 'n1' },
    { taskId: 'web.2.p.pending', nodeId: 'n2' },
    { taskId: 'web.3.p.pending', nodeId: 'n3' },
  ]);
});

t.test('existing tasks of the service steer new ones to emptier nodes', async (t) => {
  const s = makeService('web');
  const existing = [runningTask(s, 'n1', 1), runningTask(s, 'n1', 2), makeTask(s, 3, { nodeId: 'n2', state: 'assigned' })];
  const plan = planPlacements(makeInput({ nodes: makeNodes(3), services: [s], tasks: existing, pending: pendingTasks(s, 3, 4) }));
  t.same(countByNode(plan), { n3: 2, n2: 1 }, 'assigned-but-not-running tasks count too');
});

t.test('tasks that are gone or going do not count toward spread', async (t) => {
  const s = makeService('web');
  const existing = [
    runningTask(s, 'n1', 1, { state: 'complete', desired: 'shutdown' }),
    runningTask(s, 'n1', 2, { state: 'failed', desired: 'shutdown' }),
    runningTask(s, 'n1', 3, { desired: 'shutdown' }),
    runningTask(s, 'n1', 4, { desired: 'remove' }),
  ];
  const plan = planPlacements(makeInput({ nodes: makeNodes(2), services: [s], tasks: existing, pending: pendingTasks(s, 2, 5) }));
  t.same(countByNode(plan), { n1: 1, n2: 1 });
});

t.test('ties on the service go to the node with fewer tasks in total', async (t) => {
  const s = makeService('web');
  const busy = makeService('busy');
  const existing = [runningTask(busy, 'n1', 1), runningTask(busy, 'n1', 2), runningTask(busy, 'n2', 3)];
  const plan = planPlacements(makeInput({ nodes: makeNodes(3), services: [s, busy], tasks: existing, pending: pendingTasks(s, 1) }));
  t.same(plan.assignments.map((a) => a.nodeId), ['n3']);
  const two = planPlacements(makeInput({ nodes: makeNodes(3), services: [s, busy], tasks: existing, pending: pendingTasks(s, 2) }));
  t.same(two.assignments.map((a) => a.nodeId), ['n3', 'n2']);
});

t.test('final tie-break is hostname then node ID', async (t) => {
  const s = makeService('web');
  const nodes = [makeNode('a', { hostname: 'zeta' }), makeNode('c', { hostname: 'alpha' }), makeNode('b', { hostname: 'alpha' })];
  const plan = planPlacements(makeInput({ nodes, services: [s], pending: pendingTasks(s, 3) }));
  t.same(plan.assignments.map((a) => a.nodeId), ['b', 'c', 'a']);
});

t.test('paused, drained and down nodes get nothing', async (t) => {
  const s = makeService('web');
  const nodes = [
    makeNode('n1', { availability: 'pause' }), makeNode('n2', { availability: 'drain' }),
    makeNode('n3', { state: 'down' }), makeNode('n4'), makeNode('n5'),
  ];
  const plan = planPlacements(makeInput({ nodes, services: [s], pending: pendingTasks(s, 6) }));
  t.same(countByNode(plan), { n4: 3, n5: 3 });
});

t.test('constraints narrow the nodes', async (t) => {
  const eu = makeService('eu', { constraints: ['node.labels.zone==eu'] });
  const notEu = makeService('rest', { constraints: ['node.labels.zone!=eu'] });
  const nodes = [makeNode('n1', { labels: { zone: 'eu' } }), makeNode('n2', { labels: { zone: 'us' } }), makeNode('n3')];
  const plan = planPlacements(makeInput({ nodes, services: [eu, notEu], pending: [...pendingTasks(eu, 2), ...pendingTasks(notEu, 4)] }));
  t.same(countByNodeFor(plan, 'eu'), { n1: 2 });
  t.same(countByNodeFor(plan, 'rest'), { n2: 2, n3: 2 }, 'a node without the label matches !=');
});

t.test('max replicas per node', async (t) => {
  const s = makeService('web', { maxReplicas: 2 });
  const plan = planPlacements(makeInput({ nodes: makeNodes(3), services: [s], pending: pendingTasks(s, 7) }));
  t.same(countByNode(plan), { n1: 2, n2: 2, n3: 2 });
  t.same(plan.unplaced, [{ taskId: 'web.7.p.pending', reason: 'no suitable node (max replicas per node limit exceed)' }]);

  const existing = [runningTask(s, 'n1', 1), runningTask(s, 'n1', 2), runningTask(s, 'n2', 3)];
  const more = planPlacements(makeInput({ nodes: makeNodes(3), services: [s], tasks: existing, pending: pendingTasks(s, 4, 4) }));
  t.same(countByNode(more), { n2: 1, n3: 2 }, 'existing tasks count toward the limit');
  t.equal(more.unplaced.length, 1);
});

t.test('reservations shrink within a plan', async (t) => {
  const s = makeService('web', { cpus: 1, memory: GiB });
  const nodes = [makeNode('n1', { cpus: 2, memory: 8 * GiB }), makeNode('n2', { cpus: 4, memory: 2 * GiB })];
  const plan = planPlacements(makeInput({ nodes, services: [s], pending: pendingTasks(s, 6) }));
  t.same(countByNode(plan), { n1: 2, n2: 2 });
  t.same(plan.unplaced.map((u) => u.taskId), ['web.5.p.pending', 'web.6.p.pending']);
  t.equal(plan.unplaced[0]!.reason, 'no suitable node (insufficient resources on 2 nodes)');
});

t.test('reservations are shared across services in one plan', async (t) => {
  const a = makeService('a', { memory: 3 * GiB });
  const b = makeService('b', { memory: 2 * GiB });
  const plan = planPlacements(makeInput({ nodes: [makeNode('n1', { memory: 4 * GiB })], services: [a, b], pending: [...pendingTasks(b, 1), ...pendingTasks(a, 1)] }));
  t.same(plan.assignments, [{ taskId: 'a.1.p.pending', nodeId: 'n1' }], 'service a is planned first (by ID) and takes the memory');
  t.same(plan.unplaced, [{ taskId: 'b.1.p.pending', reason: 'no suitable node (insufficient resources on 1 node)' }]);
});

t.test('a task still stopping holds its reservation; a stopped one frees it', async (t) => {
  const s = makeService('web', { memory: 2 * GiB });
  const nodes = [makeNode('n1', { memory: 2 * GiB })];
  const stopping = runningTask(s, 'n1', 1, { desired: 'shutdown' });
  const stopped = runningTask(s, 'n1', 1, { state: 'shutdown', desired: 'shutdown' });
  const held = planPlacements(makeInput({ nodes, services: [s], tasks: [stopping], pending: [makeTask(s, 1)] }));
  t.equal(held.assignments.length, 0);
  const freed = planPlacements(makeInput({ nodes, services: [s], tasks: [stopped], pending: [makeTask(s, 1)] }));
  t.equal(freed.assignments.length, 1);
});

t.test('recent failures deprioritise a node', async (t) => {
  const s = makeService('web', { specVersion: 3 });
  const nodes = makeNodes(2);
  const failures = (n: number, nodeId = 'n1', ago = 1000, specVersion = 3) =>
    Array.from({ length: n }, (_, i) => failedTask(s, nodeId, 100 + i, ago, { specVersion }));
  const place = (tasks: ReturnType<typeof failures>, count = 1, existing = [] as ReturnType<typeof failures>) =>
    planPlacements(makeInput({ nodes, services: [s], tasks: [...tasks, ...existing], pending: pendingTasks(s, count) }));

  t.same(place(failures(5)).assignments.map((a) => a.nodeId), ['n2'], '5 failures: n1 goes last');
  t.same(place(failures(4)).assignments.map((a) => a.nodeId), ['n1'], '4 failures: no effect');
  t.same(place(failures(5), 3).assignments.map((a) => a.nodeId), ['n2', 'n2', 'n2'], 'failing node loses even to a fuller node');
  t.same(place(failures(5, 'n1', FAILURE_MS + 1000)).assignments.map((a) => a.nodeId), ['n1'], 'old failures expire');
  t.same(place(failures(5, 'n1', 1000, 2)).assignments.map((a) => a.nodeId), ['n1'], 'failures of another spec version do not count');
  t.same(place([...failures(6, 'n1'), ...failures(5, 'n2')]).assignments.map((a) => a.nodeId), ['n2'], 'both failing: fewer failures wins');
  const rejected = Array.from({ length: 5 }, (_, i) => runningTask(s, 'n1', 200 + i, { state: 'rejected', desired: 'shutdown', timestamp: new Date(NOW - 1000).toISOString() }));
  t.same(place(rejected.map((r, i) => ({ ...r, ID: `rej${i}` }))).assignments.map((a) => a.nodeId), ['n2'], 'rejections count');
  const otherService = makeService('other');
  const foreign = Array.from({ length: 5 }, (_, i) => failedTask(otherService, 'n1', 300 + i));
  t.same(place(foreign).assignments.map((a) => a.nodeId), ['n1'], 'failures of other services do not count');
  t.same(place(failures(5), 1, []).unplaced, [], 'a failing node is still eligible');
  const onlyFailing = planPlacements(makeInput({ nodes: [makeNode('n1')], services: [s], tasks: failures(5), pending: pendingTasks(s, 2) }));
  t.same(countByNode(onlyFailing), { n1: 2 }, 'and used when it is the only one');
});

t.test('determinism: input order does not matter', async (t) => {
  const a = makeService('a', { cpus: 1 });
  const b = makeService('b', { maxReplicas: 2 });
  const c = makeService('c', { hostPorts: [80] });
  const nodes = Array.from({ length: 6 }, (_, i) => makeNode(`node-${i}`, { cpus: 3, hostname: `h${i % 3}` }));
  const pending = [...pendingTasks(a, 9), ...pendingTasks(b, 7), ...pendingTasks(c, 8)];
  const base = planPlacements(makeInput({ nodes, services: [a, b, c], pending }));
  t.equal(base.assignments.length + base.unplaced.length, pending.length);
  const shuffled = planPlacements(makeInput({ nodes: [...nodes].reverse(), services: [c, b, a], pending: [...pending].reverse() }));
  t.same(shuffled, base);
});

t.test('tasks of one service with different spec versions are planned as separate batches', async (t) => {
  const s = makeService('web', { specVersion: 2 });
  const oldSpec = makeTask(s, 1, { specVersion: 1 });
  oldSpec.Spec.Resources = { Reservations: { MemoryBytes: 100 * GiB } };
  const plan = planPlacements(makeInput({ nodes: [makeNode('n1', { memory: 4 * GiB })], services: [s], pending: [oldSpec, makeTask(s, 2)] }));
  t.same(plan.assignments, [{ taskId: 'web.2.p.pending', nodeId: 'n1' }], 'each batch uses its own TaskSpec');
  t.same(plan.unplaced.map((u) => u.taskId), ['web.1.p.pending']);
});

t.test('the input is not modified', async (t) => {
  const s = makeService('web', { cpus: 1 });
  const input = makeInput({ nodes: makeNodes(2, { cpus: 2 }), services: [s], pending: pendingTasks(s, 3) });
  const before = structuredClone({ nodes: input.nodes, tasks: input.tasks, pending: input.pending });
  planPlacements(input);
  t.same({ nodes: input.nodes, tasks: input.tasks, pending: input.pending }, before);
});

t.test('imageAvailable is asked per node', async (t) => {
  const s = makeService('web', { image: 'api:3' });
  const asked: string[] = [];
  const plan = planPlacements(makeInput({
    nodes: makeNodes(3), services: [s], pending: pendingTasks(s, 4),
    imageAvailable: (node, image) => { asked.push(`${node.ID}:${image}`); return node.ID !== 'n2'; },
  }));
  t.same(countByNode(plan), { n1: 2, n3: 2 });
  t.ok(asked.includes('n2:api:3'));
});
