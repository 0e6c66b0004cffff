/**
 * Swarm's constraint enforcer: a node that no longer meets a service's placement constraints (its
 * labels changed, or the service's constraints did) loses its tasks, moved like a drain (update
 * parallelism and order); never while an update runs, and never when no node fits at all.
 */
import t from 'tap';
import { applyUpdateOptions, specFromOptions, type ServiceUpdateOptions } from '../../lib/model/spec-from-options.js';
import type { ServiceOptions } from '../../lib/model/service-options.js';
import { harness, type Harness } from '../fixtures/manager-harness.js';

function setLabels(h: Harness, hostname: string, labels: Record<string, string>): void {
  const n = h.nodeOf(hostname);
  h.control.updateNode(n.ID, n.Version.Index, { ...n.Spec, Labels: labels });
}
function create(h: Harness, opts: ServiceOptions): void {
  h.control.createService(specFromOptions({ name: 'web', ...opts }));
}
function update(h: Harness, opts: ServiceUpdateOptions): void {
  const s = h.service('web');
  h.control.updateService(s.ID, s.Version.Index, applyUpdateOptions(s.Spec, opts));
}
const hostOf = (h: Harness, nodeId: string) => h.nodes.find((n) => n.ID === nodeId)!.Description.Hostname;
const placement = (h: Harness) => h.running('web').map((x) => hostOf(h, x.NodeID)).sort();

t.test('a node losing its label loses its tasks; they move to nodes that fit', async (t) => {
  const h = await harness(t);
  setLabels(h, 'node-1', { zone: 'eu' });
  setLabels(h, 'node-2', { zone: 'eu' });
  create(h, { image: 'whoami:1', replicas: 2, constraints: ['node.labels.zone==eu'], updateParallelism: 1 });
  await h.advance(1000);
  t.same(placement(h), ['node-1', 'node-2']);
  const before = h.running('web').find((x) => hostOf(h, x.NodeID) === 'node-2')!;
  setLabels(h, 'node-2', { zone: 'us' });
  for (let i = 0; i < 10; i++) await h.advance(1000);
  t.same(placement(h), ['node-1', 'node-1'], 'both tasks on the node that still fits');
  const old = h.tasks('web').find((x) => x.ID === before.ID)!;
  t.equal(old.DesiredState, 'shutdown', 'the task on node-2 was shut down');
  const repl = h.running('web').find((x) => x.Slot === before.Slot)!;
  t.not(repl.ID, before.ID, 'a new task in the same slot');
  t.equal(h.running('web').length, 2);
});

t.test('constraints changed in the spec: tasks on nodes that no longer fit move; the rest stay', async (t) => {
  const h = await harness(t);
  setLabels(h, 'node-3', { disk: 'ssd' });
  create(h, { image: 'whoami:1', replicas: 3 });
  await h.advance(1000);
  const kept = h.running('web').find((x) => hostOf(h, x.NodeID) === 'node-3')!;
  update(h, { constraintAdd: ['node.labels.disk==ssd'] });
  for (let i = 0; i < 10; i++) await h.advance(1000);
  t.same(placement(h), ['node-3', 'node-3', 'node-3']);
  t.ok(h.running('web').some((x) => x.ID === kept.ID), 'the task that already fit was not restarted');
});

t.test('no node fits at all: tasks keep serving', async (t) => {
  const h = await harness(t);
  setLabels(h, 'node-1', { zone: 'eu' });
  create(h, { image: 'whoami:1', replicas: 2, constraints: ['node.labels.zone==eu'] });
  await h.advance(1000);
  const ids = h.running('web').map((x) => x.ID).sort();
  setLabels(h, 'node-1', {});
  for (let i = 0; i < 5; i++) await h.advance(1000);
  t.same(h.running('web').map((x) => x.ID).sort(), ids, 'the same tasks still run');
});

t.test('moves go at the update parallelism, stop-first', async (t) => {
  const h = await harness(t, { nodes: 4 });
  for (const n of ['node-1', 'node-2', 'node-3', 'node-4']) setLabels(h, n, { zone: 'eu' });
  create(h, { image: 'whoami:1', replicas: 4, constraints: ['node.labels.zone==eu'], updateParallelism: 1, replicasMaxPerNode: 2 });
  await h.advance(1000);
  const from = h.events.length;
  const serving = new Map(h.running('web').map((x) => [x.ID, true]));
  setLabels(h, 'node-3', {});
  setLabels(h, 'node-4', {});
  for (let i = 0; i < 40; i++) await h.advance(250);
  t.same(placement(h), ['node-1', 'node-1', 'node-2', 'node-2']);
  // replay every task change in commit order: how many tasks served at the worst moment
  let minServing = serving.size;
  for (const e of h.events.slice(from)) {
    if (e.kind !== 'task') continue;
    const x = e.object as { ID: string; DesiredState: string; Status: { State: string } };
    serving.set(x.ID, e.action !== 'delete' && x.DesiredState === 'running' && x.Status.State === 'running');
    minServing = Math.min(minServing, [...serving.values()].filter(Boolean).length);
  }
  t.equal(minServing, 3, 'one task moved at a time (parallelism 1): never fewer than 3 serving');
});
