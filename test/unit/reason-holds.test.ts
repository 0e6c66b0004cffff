/**
 * A waiting task keeps the "no suitable node (…)" reason it shows while that reason is still a
 * true account of the nodes (each rejected node counted under a filter that rejects it, with the
 * named counts), so a retry over unchanged state writes nothing; a reason that stopped being true
 * is replaced by the fresh explanation.
 */
import t from 'tap';
import type { Node, Service, Task } from '../../lib/model/types.js';
import { planPlacements } from '../../lib/scheduler/plan-placements.js';
import { requirementsOf } from '../../lib/scheduler/filters.js';
import { buildNodeInfos } from '../../lib/scheduler/node-info.js';
import { reasonHolds } from '../../lib/scheduler/reason-holds.js';
import { NOW, makeInput, makeNode, makeService, makeTask, runningTask } from './scheduler-fixtures.js';

interface Case {
  name: string;
  nodes: Node[];
  service: Service;
  tasks?: (s: Service) => Task[];
  others?: Service[];
  imageAvailable?: (node: Node, image: string) => boolean;
  /** The reason the waiting task shows. */
  shown: string | undefined;
  /** The reason the plan gives it. */
  reason: string;
}

const cpuHog = makeService('hog', { cpus: 1 });
const zoned = (o: Parameters<typeof makeService>[1] = {}) => makeService('web', { cpus: 1, constraints: ['node.labels.zone==mars'], ...o });
const threeNodes = () => [makeNode('a', { cpus: 1 }), makeNode('b', { cpus: 1 }), makeNode('c', { cpus: 1 })];

const cases: Case[] = [
  {
    name: 'another task took the CPUs of a node the constraints exclude anyway: the shown reason is kept',
    nodes: threeNodes(),
    service: zoned(),
    others: [cpuHog],
    tasks: () => [runningTask(cpuHog, 'a', 1)],
    shown: 'no suitable node (scheduling constraints not satisfied on 3 nodes)',
    reason: 'no suitable node (scheduling constraints not satisfied on 3 nodes)',
  },
  {
    name: 'the fresh explanation differs, but so does the shown one only by attribution: kept (the other way round)',
    nodes: threeNodes(),
    service: zoned(),
    others: [cpuHog],
    tasks: () => [runningTask(cpuHog, 'a', 1)],
    shown: 'no suitable node (scheduling constraints not satisfied on 2 nodes; insufficient resources on 1 node)',
    reason: 'no suitable node (scheduling constraints not satisfied on 2 nodes; insufficient resources on 1 node)',
  },
  {
    name: 'a node now satisfies the constraints: the shown reason is false and replaced',
    nodes: [makeNode('a', { cpus: 1, labels: { zone: 'mars' } }), makeNode('b', { cpus: 1 }), makeNode('c', { cpus: 1 })],
    service: zoned(),
    others: [cpuHog],
    tasks: () => [runningTask(cpuHog, 'a', 1)],
    shown: 'no suitable node (scheduling constraints not satisfied on 3 nodes)',
    reason: 'no suitable node (scheduling constraints not satisfied on 2 nodes; insufficient resources on 1 node)',
  },
  {
    name: 'a node was added: the counts no longer add up',
    nodes: [...threeNodes(), makeNode('d', { cpus: 1 })],
    service: zoned(),
    shown: 'no suitable node (scheduling constraints not satisfied on 3 nodes)',
    reason: 'no suitable node (scheduling constraints not satisfied on 4 nodes)',
  },
  {
    name: 'a node rejected by a filter the reason does not name: replaced',
    nodes: [makeNode('a', { cpus: 1, availability: 'drain' }), makeNode('b', { cpus: 1 }), makeNode('c', { cpus: 1 })],
    service: zoned(),
    shown: 'no suitable node (insufficient resources on 3 nodes)',
    reason: 'no suitable node (scheduling constraints not satisfied on 2 nodes; 1 node not available for new tasks)',
  },
  {
    name: 'counts that no attribution gives (two nodes fail only the constraints, one names resources): replaced',
    nodes: threeNodes(),
    service: zoned(),
    others: [cpuHog],
    tasks: () => [runningTask(cpuHog, 'a', 1)],
    shown: 'no suitable node (scheduling constraints not satisfied on 1 node; insufficient resources on 2 nodes)',
    reason: 'no suitable node (scheduling constraints not satisfied on 2 nodes; insufficient resources on 1 node)',
  },
  {
    name: 'max replicas (no count in the text) with resources: kept when the rest of the nodes fit it',
    nodes: [makeNode('a', { cpus: 2 }), makeNode('b', { cpus: 2 })],
    service: makeService('web', { cpus: 1, maxReplicas: 1 }),
    others: [cpuHog],
    tasks: (s) => [runningTask(s, 'a', 1), runningTask(s, 'b', 2), runningTask(cpuHog, 'a', 1), runningTask(cpuHog, 'a', 2)],
    shown: 'no suitable node (max replicas per node limit exceed)',
    reason: 'no suitable node (max replicas per node limit exceed)',
  },
  {
    name: 'the image filter, with digits in the image name: kept',
    nodes: [makeNode('a'), makeNode('b')],
    service: makeService('web', { image: 'reg:5000/shop:2', constraints: ['node.hostname==z'] }),
    imageAvailable: () => false,
    shown: 'no suitable node (image reg:5000/shop:2 not available on 2 nodes)',
    reason: 'no suitable node (image reg:5000/shop:2 not available on 2 nodes)',
  },
  {
    name: 'not a scheduler explanation (an earlier error of another kind): replaced',
    nodes: threeNodes(),
    service: zoned(),
    shown: 'task: non-zero exit (1)',
    reason: 'no suitable node (scheduling constraints not satisfied on 3 nodes)',
  },
  {
    name: 'a task showing no reason yet gets the fresh one',
    nodes: threeNodes(),
    service: zoned(),
    shown: undefined,
    reason: 'no suitable node (scheduling constraints not satisfied on 3 nodes)',
  },
  {
    name: '"no suitable node" with no nodes at all holds while there are none',
    nodes: [],
    service: zoned(),
    shown: 'no suitable node',
    reason: 'no suitable node',
  },
  {
    name: '"no suitable node" is false once there are nodes',
    nodes: [makeNode('a', { cpus: 1 })],
    service: zoned(),
    shown: 'no suitable node',
    reason: 'no suitable node (scheduling constraints not satisfied on 1 node)',
  },
];

t.test('the reason a waiting task shows is kept while it holds, replaced when it does not', async (t) => {
  for (const c of cases) {
    const task = makeTask(c.service, 9);
    if (c.shown !== undefined) task.Status = { ...task.Status, Err: c.shown };
    const plan = planPlacements(makeInput({
      nodes: c.nodes,
      services: [c.service, ...(c.others ?? [])],
      tasks: c.tasks?.(c.service) ?? [],
      pending: [task],
      ...(c.imageAvailable ? { imageAvailable: c.imageAvailable } : {}),
    }));
    t.same(plan.assignments, [], `${c.name}: nothing placed`);
    t.same(plan.unplaced, [{ taskId: task.ID, reason: c.reason }], c.name);
  }
});

t.test('a task not yet pending (new) always gets the fresh explanation', async (t) => {
  const service = zoned();
  const task = makeTask(service, 1, { state: 'new' });
  task.Status = { ...task.Status, Err: 'no suitable node (scheduling constraints not satisfied on 3 nodes)' }; // would hold
  const plan = planPlacements(makeInput({ nodes: threeNodes(), services: [service, cpuHog], tasks: [runningTask(cpuHog, 'a', 1)], pending: [task] }));
  t.same(plan.unplaced.map((u) => u.reason), ['no suitable node (scheduling constraints not satisfied on 2 nodes; insufficient resources on 1 node)']);
});

t.test('reasonHolds: malformed texts and duplicated parts do not hold', async (t) => {
  const service = zoned();
  const nodes = threeNodes();
  const infos = buildNodeInfos(nodes, new Map([[service.ID, service]]), [], NOW).list;
  const req = requirementsOf(makeTask(service, 1), service);
  const always = () => true;
  t.ok(reasonHolds('no suitable node (scheduling constraints not satisfied on 3 nodes)', infos, req, always));
  for (const bad of [
    'no suitable node (scheduling constraints not satisfied on 3 nodes',
    'no suitable node (scheduling constraints not satisfied on 2 nodes; scheduling constraints not satisfied on 1 node)',
    'no suitable node (scheduling constraints not satisfied on 3 nodes; )',
    'no suitable node (constraints on 3 nodes)',
    'no suitable node ()',
    '',
  ]) t.notOk(reasonHolds(bad, infos, req, always), JSON.stringify(bad));
});
