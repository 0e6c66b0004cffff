/**
 * Opt-in rebalancing (`swarmlet.rebalance=true`): the pure planner (table + properties) and the
 * manager moving tasks onto a node that comes back, one at a time, start-first, until balanced.
 */
import t from 'tap';
import fc from 'fast-check';
import type { Node, Service, Task } from '../../lib/model/types.js';
import { planRebalance, REBALANCE_LABEL, REBALANCE_TO_LABEL } from '../../lib/orchestrator/plan-rebalance.js';
import { node, nodeMap, service, task } from '../fixtures/orchestrator-fixtures.js';
import { assertConverged, harness, spec } from '../fixtures/manager-harness.js';

function optedIn(s: Service, extra: Partial<Service['Spec']> = {}): Service {
  return { ...s, Spec: { ...s.Spec, Labels: { [REBALANCE_LABEL]: 'true' }, ...extra } };
}

/** Running tasks laid out as { nodeId: count }, slots 1…n. */
function layout(counts: Record<string, number>): Task[] {
  const out: Task[] = [];
  let slot = 1;
  for (const [nodeId, n] of Object.entries(counts)) for (let i = 0; i < n; i++) out.push(task(slot++, nodeId));
  return out;
}

const three = nodeMap(node('n1'), node('n2'), node('n3'));

t.test('table: when a task moves, and from where to where', async (t) => {
  const s6 = optedIn(service({ replicas: 6 }));
  const cases: Array<[string, Service, Task[], Map<string, Node>, { from: string; to: string } | undefined]> = [
    ['3/3/0 moves one from the most crowded node to the empty one', s6, layout({ n1: 3, n2: 3 }), three, { from: 'n1', to: 'n3' }],
    ['4/1/1 moves from n1 to n2 (ties by node ID)', s6, layout({ n1: 4, n2: 1, n3: 1 }), three, { from: 'n1', to: 'n2' }],
    ['2/2/2 is balanced', s6, layout({ n1: 2, n2: 2, n3: 2 }), three, undefined],
    ['3/2/1: the extremes differ by 2, one move', s6, layout({ n1: 3, n2: 2, n3: 1 }), three, { from: 'n1', to: 'n3' }],
    ['without the label nothing moves (Swarm\'s default)', service({ replicas: 6 }), layout({ n1: 3, n2: 3 }), three, undefined],
    ['label set to something else than true', { ...s6, Spec: { ...s6.Spec, Labels: { [REBALANCE_LABEL]: 'yes' } } }, layout({ n1: 3, n2: 3 }), three, undefined],
    ['a task not running yet: not settled', s6, [...layout({ n1: 3, n2: 2 }), task(6, 'n2', { state: 'starting' })], three, undefined],
    ['fewer live tasks than replicas: not settled', s6, layout({ n1: 3, n2: 2 }), three, undefined],
    ['two live tasks in a slot (a move under way): not settled', s6, [...layout({ n1: 3, n2: 3 }), task(6, 'n3', { state: 'running' })], three, undefined],
    ['update under way', { ...s6, UpdateStatus: { State: 'updating' } }, layout({ n1: 3, n2: 3 }), three, undefined],
    ['update paused', { ...s6, UpdateStatus: { State: 'paused' } }, layout({ n1: 3, n2: 3 }), three, undefined],
    ['update completed', { ...s6, UpdateStatus: { State: 'completed' } }, layout({ n1: 3, n2: 3 }), three, { from: 'n1', to: 'n3' }],
    ['the empty node is paused', s6, layout({ n1: 3, n2: 3 }), nodeMap(node('n1'), node('n2'), node('n3', { availability: 'pause' })), undefined],
    ['the empty node is down', s6, layout({ n1: 3, n2: 3 }), nodeMap(node('n1'), node('n2'), node('n3', { state: 'down' })), undefined],
    ['the empty node does not meet the constraints', optedIn(service({ replicas: 6, constraints: ['node.labels.zone==eu'] })), layout({ n1: 3, n2: 3 }),
      nodeMap(node('n1', { labels: { zone: 'eu' } }), node('n2', { labels: { zone: 'eu' } }), node('n3', { labels: { zone: 'us' } })), undefined],
    ['constraints met by the empty node too', optedIn(service({ replicas: 6, constraints: ['node.labels.zone==eu'] })), layout({ n1: 3, n2: 3 }),
      nodeMap(node('n1', { labels: { zone: 'eu' } }), node('n2', { labels: { zone: 'eu' } }), node('n3', { labels: { zone: 'eu' } })), { from: 'n1', to: 'n3' }],
    ['unparsable constraints: nothing moves', optedIn(service({ replicas: 6, constraints: ['node.labels.zone~eu'] })), layout({ n1: 3, n2: 3 }), three, undefined],
    ['global services are never rebalanced', optedIn(service({ global: true })), layout({ n1: 1, n2: 1 }), three, undefined],
    ['one replica', optedIn(service({ replicas: 1 })), layout({ n1: 1 }), three, undefined],
  ];
  // Placement preferences and max-replicas need spec fields the fixture does not build.
  const prefs = optedIn(service({ replicas: 6 }));
  prefs.Spec.TaskTemplate = { ...prefs.Spec.TaskTemplate, Placement: { Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] } };
  cases.push(['with placement preferences nothing moves', prefs, layout({ n1: 3, n2: 3 }), three, undefined]);
  const capped = optedIn(service({ replicas: 4 }));
  capped.Spec.TaskTemplate = { ...capped.Spec.TaskTemplate, Placement: { MaxReplicas: 2 } };
  cases.push(['max-replicas-per-node 2: 2/2/0 moves to n3', capped, layout({ n1: 2, n2: 2 }), three, { from: 'n1', to: 'n3' }]);
  for (const [name, svc, tasks, nodes, want] of cases) {
    const move = planRebalance({ service: svc, tasks, nodes });
    if (want === undefined) { t.equal(move, undefined, name); continue; }
    if (!move) { t.fail(`${name}: no move`); continue; }
    const old = tasks.find((x) => x.Slot === move.slot)!;
    t.equal(old.NodeID, want.from, `${name}: from ${want.from}`);
    t.equal(move.labels?.[REBALANCE_TO_LABEL], want.to, `${name}: to ${want.to}`);
    t.equal(move.desiredState, 'running', `${name}: start-first (the old task keeps serving)`);
    t.equal(move.nodeId, '', `${name}: the scheduler places it`);
    t.equal(old.Slot, Math.max(...tasks.filter((x) => x.NodeID === want.from).map((x) => x.Slot)), `${name}: the highest slot of that node`);
  }
});

t.test('a replacement that missed its target stops rebalancing; one on a tied node does not', async (t) => {
  const s = optedIn(service({ replicas: 6 }));
  // n1 had 4, n2 1, n3 1; the replacement meant for n2 went back to n1: n1 4, n2 1, n3 1 again.
  const back = layout({ n1: 4, n2: 1, n3: 1 });
  back[0] = { ...back[0]!, Labels: { [REBALANCE_TO_LABEL]: 'n2' } };
  t.equal(planRebalance({ service: s, tasks: back, nodes: three }), undefined, 'landed on a node with 2 more than its target: stop');
  // meant for n2, went to n3 (tied): n1 3, n2 1, n3 2 — fine, and n1 still has 2 more than n2.
  const tied = layout({ n1: 3, n2: 1, n3: 2 });
  tied[5] = { ...tied[5]!, Labels: { [REBALANCE_TO_LABEL]: 'n2' } };
  const move = planRebalance({ service: s, tasks: tied, nodes: three });
  t.equal(move?.labels?.[REBALANCE_TO_LABEL], 'n2', 'a tie is not a miss: the next move goes on');
});

t.test('property: at most one move, from a most crowded node to a least crowded one, only when they differ by 2 or more', async (t) => {
  const nodeIds = ['n1', 'n2', 'n3', 'n4'];
  const nodes = nodeMap(...nodeIds.map((id) => node(id)));
  fc.assert(fc.property(fc.array(fc.constantFrom(...nodeIds), { minLength: 2, maxLength: 12 }), (placement) => {
    const tasks = placement.map((n, i) => task(i + 1, n));
    const s = optedIn(service({ replicas: tasks.length }));
    const counts = new Map(nodeIds.map((id) => [id, placement.filter((p) => p === id).length]));
    const most = Math.max(...counts.values());
    const least = Math.min(...counts.values());
    const move = planRebalance({ service: s, tasks, nodes });
    if (most - least < 2) return move === undefined;
    if (move === undefined) return false;
    const from = tasks.find((x) => x.Slot === move.slot)!.NodeID;
    const to = move.labels![REBALANCE_TO_LABEL]!;
    return counts.get(from) === most && counts.get(to) === least && from !== to;
  }), { numRuns: 500 });
  t.pass('500 layouts');
});

t.test('manager: a node that comes back gets its share, one start-first move at a time; without the label nothing moves', async (t) => {
  const h = await harness(t);
  const n3 = h.nodeOf('node-3');
  h.control.updateNode(n3.ID, n3.Version.Index, { ...n3.Spec, Availability: 'pause' });
  h.control.createService(spec('web', 'whoami:1', 6));
  h.control.createService(spec('api', 'whoami:1', 6));
  for (let i = 0; i < 5; i++) await h.advance(1000);
  const perNode = (name: string) => {
    const out: Record<string, number> = { 'node-1': 0, 'node-2': 0, 'node-3': 0 };
    for (const x of h.running(name)) out[h.nodes.find((n) => n.ID === x.NodeID)!.Description.Hostname]! += 1;
    return out;
  };
  t.same(perNode('web'), { 'node-1': 3, 'node-2': 3, 'node-3': 0 });
  const web = h.service('web');
  h.control.updateService(web.ID, web.Version.Index, { ...web.Spec, Labels: { [REBALANCE_LABEL]: 'true' } });
  const n3b = h.nodeOf('node-3');
  h.control.updateNode(n3b.ID, n3b.Version.Index, { ...n3b.Spec, Availability: 'active' });
  let most = 0;
  for (let i = 0; i < 20; i++) {
    await h.advance(500);
    most = Math.max(most, h.processes('web').length);
    t.ok(h.running('web').length >= 6, 'never fewer than 6 running');
  }
  t.same(perNode('web'), { 'node-1': 2, 'node-2': 2, 'node-3': 2 }, 'web: balanced');
  t.ok(most <= 7, `at most one extra task at a time (peak ${most} processes)`);
  t.same(perNode('api'), { 'node-1': 3, 'node-2': 3, 'node-3': 0 }, 'api (no label): nothing moved, as in Swarm');
  const moved = h.tasks('web').filter((x) => x.Labels?.[REBALANCE_TO_LABEL] !== undefined);
  t.equal(moved.length, 2, 'two moves');
  t.ok(moved.every((x) => x.NodeID === n3.ID), 'both to node-3');
  await assertConverged(t, h);
});

t.test('manager: an update that starts while a rebalancing move is under way ends with every task updated, once per slot', async (t) => {
  const h = await harness(t);
  const n3 = h.nodeOf('node-3');
  h.control.updateNode(n3.ID, n3.Version.Index, { ...n3.Spec, Availability: 'pause' });
  h.control.createService(spec('web', 'whoami:1', 6, { Labels: { [REBALANCE_LABEL]: 'true' } }));
  for (let i = 0; i < 5; i++) await h.advance(1000);
  const back = h.nodeOf('node-3');
  h.control.updateNode(back.ID, back.Version.Index, { ...back.Spec, Availability: 'active' });
  await h.settle(1); // one round: the first move is planned, not finished
  t.ok(h.tasks('web').some((x) => x.Labels?.[REBALANCE_TO_LABEL] !== undefined), 'a move has started');
  const web = h.service('web');
  h.control.updateService(web.ID, web.Version.Index, { ...web.Spec, TaskTemplate: { ...web.Spec.TaskTemplate, ContainerSpec: { Image: 'whoami:2' } } });
  for (let i = 0; i < 40; i++) await h.advance(1000);
  const running = h.running('web');
  t.equal(running.length, 6, '6 running');
  t.ok(running.every((x) => x.Spec.ContainerSpec?.Image === 'whoami:2'), 'all on the new image');
  t.equal(new Set(running.map((x) => x.Slot)).size, 6, 'one per slot');
  t.equal(h.processes('web').length, 6, 'no extra task process left');
  t.equal(h.service('web').UpdateStatus?.State, 'completed');
  await assertConverged(t, h);
});
