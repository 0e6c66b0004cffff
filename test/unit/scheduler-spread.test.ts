import t from 'tap';
import { planPlacements, type PlacementPlan } from '../../lib/scheduler/plan-placements.js';
import type { Node } from '../../lib/model/types.js';
import { countByNode, makeInput, makeNode, makeService, pendingTasks, runningTask } from './scheduler-fixtures.js';

function zoneOf(nodes: Node[]): Map<string, string> {
  return new Map(nodes.map((n) => [n.ID, n.Spec.Labels?.['zone'] ?? '']));
}

function countByZone(plan: PlacementPlan, nodes: Node[]): Record<string, number> {
  const zones = zoneOf(nodes);
  const counts: Record<string, number> = {};
  for (const a of plan.assignments) {
    const z = zones.get(a.nodeId)!;
    counts[z] = (counts[z] ?? 0) + 1;
  }
  return counts;
}

const zoned = (): Node[] => [
  makeNode('a1', { labels: { zone: 'a' } }),
  makeNode('b1', { labels: { zone: 'b' } }), makeNode('b2', { labels: { zone: 'b' } }), makeNode('b3', { labels: { zone: 'b' } }),
  makeNode('x1'), makeNode('x2'),
];

t.test('spread=node.labels.zone evens out zones, not nodes', async (t) => {
  const s = makeService('web', { spread: ['node.labels.zone'] });
  const nodes = zoned();
  const plan = planPlacements(makeInput({ nodes, services: [s], pending: pendingTasks(s, 6) }));
  t.same(countByZone(plan, nodes), { a: 2, b: 2, '': 2 }, 'nodes without the label form the "" branch');
  t.same(countByNode(plan), { a1: 2, b1: 1, b2: 1, x1: 1, x2: 1 });
  const seven = planPlacements(makeInput({ nodes, services: [s], pending: pendingTasks(s, 7) }));
  t.same(countByZone(seven, nodes), { '': 3, a: 2, b: 2 }, 'the remainder goes one per branch, in key order');
});

t.test('existing tasks count in their branch, even on nodes that cannot take more', async (t) => {
  const s = makeService('web', { spread: ['node.labels.zone'] });
  const nodes = zoned();
  nodes[0] = makeNode('a1', { labels: { zone: 'a' }, availability: 'drain' });
  nodes.push(makeNode('a2', { labels: { zone: 'a' } }));
  const existing = [runningTask(s, 'a1', 1), runningTask(s, 'a1', 2), runningTask(s, 'a1', 3)];
  const plan = planPlacements(makeInput({ nodes, services: [s], tasks: existing, pending: pendingTasks(s, 3, 4) }));
  t.same(countByZone(plan, nodes), { '': 2, b: 1 }, 'zone a already has 3 of the 6');
});

t.test('a full branch hands its share to the others', async (t) => {
  const s = makeService('web', { spread: ['node.labels.zone'], maxReplicas: 1 });
  const nodes = zoned();
  const plan = planPlacements(makeInput({ nodes, services: [s], pending: pendingTasks(s, 6) }));
  t.same(countByZone(plan, nodes), { a: 1, b: 3, '': 2 });
  t.same(plan.unplaced, []);
  const over = planPlacements(makeInput({ nodes, services: [s], pending: pendingTasks(s, 8) }));
  t.equal(over.assignments.length, 6);
  t.same(over.unplaced.map((u) => u.reason), [
    'no suitable node (max replicas per node limit exceed)', 'no suitable node (max replicas per node limit exceed)',
  ]);
});

t.test('a branch whose nodes all fail the filters gets nothing', async (t) => {
  const s = makeService('web', { spread: ['node.labels.zone'], constraints: ['node.labels.zone!=a'] });
  const nodes = zoned();
  const plan = planPlacements(makeInput({ nodes, services: [s], pending: pendingTasks(s, 4) }));
  t.same(countByZone(plan, nodes), { b: 2, '': 2 });
});

t.test('two levels: region then zone', async (t) => {
  const s = makeService('web', { spread: ['node.labels.region', 'node.labels.zone'] });
  const nodes = [
    makeNode('e1', { labels: { region: 'eu', zone: '1' } }), makeNode('e2', { labels: { region: 'eu', zone: '2' } }),
    makeNode('u1', { labels: { region: 'us', zone: '1' } }),
  ];
  const plan = planPlacements(makeInput({ nodes, services: [s], pending: pendingTasks(s, 4) }));
  t.same(countByNode(plan), { e1: 1, e2: 1, u1: 2 });
});

t.test('engine labels work; unknown descriptors are ignored', async (t) => {
  const s = makeService('web', { spread: ['engine.labels.rack'] });
  const nodes = [makeNode('r1', { engineLabels: { rack: '1' } }), makeNode('r1b', { engineLabels: { rack: '1' } }), makeNode('r2', { engineLabels: { rack: '2' } })];
  const plan = planPlacements(makeInput({ nodes, services: [s], pending: pendingTasks(s, 2) }));
  t.same(countByNode(plan), { r1: 1, r2: 1 });
  const ignored = makeService('web', { spread: ['node.hostname'] });
  const flat = planPlacements(makeInput({ nodes, services: [ignored], pending: pendingTasks(ignored, 3) }));
  t.same(countByNode(flat), { r1: 1, r1b: 1, r2: 1 });
});

t.test('preferences are ignored for global services', async (t) => {
  const s = makeService('web', { spread: ['node.labels.zone'], global: true });
  const nodes = zoned();
  const plan = planPlacements(makeInput({ nodes, services: [s], pending: pendingTasks(s, 6) }));
  t.same(countByNode(plan), { a1: 1, b1: 1, b2: 1, b3: 1, x1: 1, x2: 1 });
});
