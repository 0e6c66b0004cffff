import t from 'tap';
import fc from 'fast-check';
import type { Node, Service, Task } from '../../lib/model/types.js';
import type { TaskState } from '../../lib/model/task-state.js';
import { planPlacements, type PlacementInput, type PlacementPlan } from '../../lib/scheduler/plan-placements.js';
import { buildNodeInfos, NodeInfo } from '../../lib/scheduler/node-info.js';
import { firstFailingFilter, footprintOfRequirements, requirementsOf } from '../../lib/scheduler/filters.js';
import { matchConstraints, parseConstraints } from '../../lib/model/constraints.js';
import { NodeHeap, rankNodes } from '../../lib/scheduler/rank.js';
import { GiB, NOW, makeInput, makeNode, makeService, makeTask, pendingTasks } from './scheduler-fixtures.js';

const nodeArb = fc.record({
  state: fc.constantFrom('ready', 'ready', 'ready', 'down' as const),
  availability: fc.constantFrom('active', 'active', 'active', 'pause', 'drain' as const),
  zone: fc.constantFrom(undefined, 'a', 'b'),
  cpus: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
  memory: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
});

const serviceArb = fc.record({
  cpus: fc.constantFrom(0, 0.5, 1, 2),
  memory: fc.constantFrom(0, 0, GiB),
  constraint: fc.constantFrom(undefined, undefined, 'node.labels.zone==a', 'node.labels.zone!=b'),
  maxReplicas: fc.integer({ min: 0, max: 3 }),
  hostPort: fc.constantFrom(undefined, undefined, 80, 443),
  spread: fc.boolean(),
  pending: fc.integer({ min: 0, max: 12 }),
});

const existingArb = fc.record({
  service: fc.nat(),
  node: fc.nat(),
  state: fc.constantFrom<TaskState>('running', 'assigned', 'failed', 'shutdown', 'rejected'),
  desired: fc.constantFrom<TaskState>('running', 'running', 'shutdown'),
});

const scenarioArb = fc.record({
  nodes: fc.array(nodeArb, { maxLength: 10 }),
  services: fc.array(serviceArb, { minLength: 1, maxLength: 4 }),
  existing: fc.array(existingArb, { maxLength: 20 }),
  missingImages: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 6 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

function buildScenario(sc: Scenario): { input: PlacementInput; services: Service[]; pending: Task[] } {
  const nodes = sc.nodes.map((n, i) => makeNode(`n${i}`, {
    state: n.state, availability: n.availability, ...(n.zone ? { labels: { zone: n.zone } } : {}),
    ...(n.cpus !== undefined ? { cpus: n.cpus } : {}), ...(n.memory !== undefined ? { memory: n.memory * GiB } : {}),
  }));
  const services = sc.services.map((s, j) => makeService(`s${j}`, {
    image: `img${j}`,
    ...(s.cpus ? { cpus: s.cpus } : {}), ...(s.memory ? { memory: s.memory } : {}),
    ...(s.constraint ? { constraints: [s.constraint] } : {}),
    maxReplicas: s.maxReplicas,
    ...(s.hostPort ? { hostPorts: [s.hostPort] } : {}),
    ...(s.spread ? { spread: ['node.labels.zone'] } : {}),
  }));
  const existing = nodes.length === 0 ? [] : sc.existing.map((e, k) => makeTask(services[e.service % services.length]!, 100 + k, {
    nodeId: nodes[e.node % nodes.length]!.ID, state: e.state, desired: e.desired, timestamp: new Date(NOW - 1000).toISOString(),
  }, `e${k}`));
  const pending = services.flatMap((s, j) => pendingTasks(s, sc.services[j]!.pending));
  const missing = new Set(sc.missingImages.map(([n, s]) => `n${n % Math.max(1, nodes.length)}:img${s % services.length}`));
  const input = makeInput({
    nodes, services, tasks: existing, pending, imageAvailable: (node, image) => !missing.has(`${node.ID}:${image}`),
  });
  return { input, services, pending };
}

const RUNS = { numRuns: 300 };

t.test('every assignment passes every filter, replayed on a fresh state; unplaced tasks fit nowhere', async (t) => {
  fc.assert(fc.property(scenarioArb, (sc) => {
    const { input } = buildScenario(sc);
    const plan = planPlacements(input);
    const infos = buildNodeInfos(input.nodes, input.services, input.tasks, input.now);
    const byId = new Map(input.pending.map((task) => [task.ID, task]));
    for (const a of plan.assignments) {
      const task = byId.get(a.taskId)!;
      const req = requirementsOf(task, input.services.get(task.ServiceID));
      const info = infos.byId.get(a.nodeId)!;
      if (firstFailingFilter(info, req, input.imageAvailable!) !== -1) return false;
      const node = info.node;
      if (node.Status.State !== 'ready' || node.Spec.Availability !== 'active') return false;
      if (!matchConstraints(node, parseConstraints(task.Spec.Placement?.Constraints ?? []))) return false;
      info.add(footprintOfRequirements(req));
    }
    for (const u of plan.unplaced) {
      const task = byId.get(u.taskId)!;
      const req = requirementsOf(task, input.services.get(task.ServiceID));
      if (!u.reason.startsWith('no suitable node')) return false;
      if (infos.list.some((info) => firstFailingFilter(info, req, input.imageAvailable!) === -1)) return false;
    }
    return true;
  }), RUNS);
  t.pass('held');
});

function checkPartition(plan: PlacementPlan, pending: Task[]): boolean {
  const seen = [...plan.assignments.map((a) => a.taskId), ...plan.unplaced.map((u) => u.taskId)];
  if (new Set(seen).size !== seen.length) return false;
  return JSON.stringify([...seen].sort()) === JSON.stringify(pending.map((p) => p.ID).sort());
}

t.test('assigned + unplaced = pending, each task exactly once', async (t) => {
  fc.assert(fc.property(scenarioArb, (sc) => {
    const { input, pending } = buildScenario(sc);
    return checkPartition(planPlacements(input), pending);
  }), RUNS);
  t.pass('held');
});

t.test('plans do not depend on the order of nodes and pending tasks', async (t) => {
  fc.assert(fc.property(scenarioArb, fc.nat(), (sc, rot) => {
    const { input } = buildScenario(sc);
    const rotate = <T>(xs: T[]): T[] => (xs.length ? [...xs.slice(rot % xs.length), ...xs.slice(0, rot % xs.length)].reverse() : xs);
    const other = { ...input, nodes: rotate(input.nodes), pending: rotate(input.pending) };
    return JSON.stringify(planPlacements(other)) === JSON.stringify(planPlacements(input));
  }), RUNS);
  t.pass('held');
});

t.test('on empty nodes with no other filter, no node gets more than ceil(total / eligible) of a service', async (t) => {
  const arb = fc.record({
    nodes: fc.array(fc.constantFrom('active', 'active', 'pause', 'drain', 'down'), { minLength: 1, maxLength: 12 }),
    counts: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 4 }),
  });
  fc.assert(fc.property(arb, ({ nodes: kinds, counts }) => {
    const nodes: Node[] = kinds.map((k, i) => makeNode(`n${i}`, k === 'down' ? { state: 'down' } : { availability: k as 'active' | 'pause' | 'drain' }));
    const eligible = kinds.filter((k) => k === 'active').length;
    const services = counts.map((_, j) => makeService(`s${j}`));
    const pending = services.flatMap((s, j) => pendingTasks(s, counts[j]!));
    const plan = planPlacements(makeInput({ nodes, services, pending }));
    if (eligible === 0) return plan.assignments.length === 0;
    if (plan.unplaced.length > 0) return false;
    const serviceOf = new Map(pending.map((task) => [task.ID, Number(task.ServiceID.slice(1))]));
    const perNode = new Map<string, { j: number; n: number }>();
    for (const a of plan.assignments) {
      const j = serviceOf.get(a.taskId)!;
      const entry = perNode.get(`${j}@${a.nodeId}`) ?? { j, n: 0 };
      entry.n += 1;
      perNode.set(`${j}@${a.nodeId}`, entry);
    }
    return [...perNode.values()].every(({ j, n }) => n <= Math.ceil(counts[j]! / eligible));
  }), RUNS);
  t.pass('held');
});

t.test('spread over a label: branch counts differ by at most one', async (t) => {
  const arb = fc.record({
    zones: fc.array(fc.constantFrom(undefined, 'a', 'b', 'c'), { minLength: 1, maxLength: 12 }),
    count: fc.integer({ min: 0, max: 50 }),
  });
  fc.assert(fc.property(arb, ({ zones, count }) => {
    const nodes = zones.map((z, i) => makeNode(`n${i}`, z ? { labels: { zone: z } } : {}));
    const s = makeService('web', { spread: ['node.labels.zone'] });
    const plan = planPlacements(makeInput({ nodes, services: [s], pending: pendingTasks(s, count) }));
    const zoneOf = new Map(nodes.map((n, i) => [n.ID, zones[i] ?? '']));
    const perZone = new Map<string, number>([...new Set(zoneOf.values())].map((z) => [z, 0]));
    for (const a of plan.assignments) perZone.set(zoneOf.get(a.nodeId)!, perZone.get(zoneOf.get(a.nodeId)!)! + 1);
    const values = [...perZone.values()];
    return plan.unplaced.length === 0 && Math.max(...values) - Math.min(...values) <= 1;
  }), RUNS);
  t.pass('held');
});

t.test('NodeHeap pops nodes in rank order', async (t) => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.string({ maxLength: 3 })), { maxLength: 40 }), (specs) => {
    const infos = specs.map(([load, host], i) => {
      const info = new NodeInfo(makeNode(`id${i}`, { hostname: host }));
      for (let k = 0; k < load; k++) info.add({ serviceId: 'x', nanoCpus: 0, memoryBytes: 0, hostPorts: [], active: true });
      return info;
    });
    const compare = rankNodes('x', new Map());
    const heap = new NodeHeap(compare, infos.slice(0, infos.length >> 1));
    for (const info of infos.slice(infos.length >> 1)) heap.push(info);
    const popped: NodeInfo[] = [];
    for (let n = heap.pop(); n; n = heap.pop()) popped.push(n);
    const sorted = [...infos].sort(compare);
    return popped.length === infos.length && popped.every((n, i) => n === sorted[i]);
  }), RUNS);
  t.pass('held');
});
