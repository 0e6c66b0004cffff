import t from 'tap';
import fc from 'fast-check';
import { reconcileReplicated, slotsToRemove } from '../../lib/orchestrator/reconcile-replicated.js';
import { isEmptyPlan, type OrchestratorPlan } from '../../lib/orchestrator/plan.js';
import type { Task } from '../../lib/model/types.js';
import { T0, node, nodeMap, service, task } from '../fixtures/orchestrator-fixtures.js';

const nodes = nodeMap(node('n1'), node('n2'), node('n3'));

t.test('creates the missing slots, lowest numbers first', async (t) => {
  const plan = reconcileReplicated({ service: service({ replicas: 3 }), tasks: [task(2, 'n1')], nodes, now: T0 });
  t.same(plan.create.map((c) => c.slot), [1, 3]);
  t.ok(plan.create.every((c) => c.nodeId === '' && c.desiredState === 'running'));
  t.same(plan.setDesired, []);
});

t.test('a converged service gives an empty plan', async (t) => {
  const tasks = [task(1, 'n1'), task(2, 'n2'), task(3, 'n3')];
  t.ok(isEmptyPlan(reconcileReplicated({ service: service({ replicas: 3 }), tasks, nodes, now: T0 })));
});

t.test('scale to 0 removes every task; replicas 0 creates nothing', async (t) => {
  const tasks = [task(1, 'n1'), task(2, 'n2')];
  const plan = reconcileReplicated({ service: service({ replicas: 0 }), tasks, nodes, now: T0 });
  t.same(plan.setDesired.map((s) => s.desiredState), ['remove', 'remove']);
  t.same(plan.create, []);
});

t.test('scale down removes from the most crowded node first', async (t) => {
  // n1 holds slots 1,2,3; n2 holds 4; n3 holds 5 → going to 3 removes two of n1's
  const tasks = [task(1, 'n1'), task(2, 'n1'), task(3, 'n1'), task(4, 'n2'), task(5, 'n3')];
  const plan = reconcileReplicated({ service: service({ replicas: 3 }), tasks, nodes, now: T0 });
  const removed = plan.setDesired.filter((s) => s.desiredState === 'remove').map((s) => tasks.find((x) => x.ID === s.taskId)!.Slot);
  t.same(removed.sort(), [2, 3]);
});

t.test('scale down prefers removing tasks that are not running', async (t) => {
  const tasks = [task(1, 'n1'), task(2, 'n2'), task(3, '', { state: 'pending' })];
  const plan = reconcileReplicated({ service: service({ replicas: 2 }), tasks, nodes, now: T0 });
  t.same(plan.setDesired.map((s) => s.taskId), [tasks[2]!.ID]);
});

t.test('drained node, start-first: replacement at once, old task kept until the replacement runs', async (t) => {
  const n = nodeMap(node('n1', { availability: 'drain' }), node('n2'));
  const s = { ...service({ replicas: 1 }), Spec: { ...service({ replicas: 1 }).Spec, UpdateConfig: { Parallelism: 1, Order: 'start-first' as const } } };
  const old = task(1, 'n1');
  const plan = reconcileReplicated({ service: s, tasks: [old], nodes: n, now: T0 });
  t.same(plan.setDesired, [], 'the drained task keeps serving for now');
  t.equal(plan.create.length, 1);
  t.equal(plan.create[0]!.slot, 1);
  t.equal(plan.create[0]!.desiredState, 'running');
  const pending = { ...task(1, '', { state: 'pending' }), Labels: { 'swarmlet.drain': 'true' } };
  t.ok(isEmptyPlan(reconcileReplicated({ service: s, tasks: [old, pending], nodes: n, now: T0 })), 'waits while the replacement is pending');
  const runningRepl = task(1, 'n2');
  const done = reconcileReplicated({ service: s, tasks: [old, runningRepl], nodes: n, now: T0 });
  t.same(done.setDesired.map((x) => [x.taskId, x.desiredState]), [[old.ID, 'shutdown']], 'shut down once the replacement runs');
  t.same(done.create, []);
});

t.test('drained node, stop-first (default): old stops, the replacement waits for it; parallelism bounds the drain', async (t) => {
  const n = nodeMap(node('n1', { availability: 'drain' }), node('n2'));
  const tasks = [task(1, 'n1'), task(2, 'n1'), task(3, 'n1')];
  const plan = reconcileReplicated({ service: service({ replicas: 3 }), tasks, nodes: n, now: T0 });
  t.same(plan.setDesired.map((x) => [x.taskId, x.desiredState]), [[tasks[0]!.ID, 'shutdown']], 'one at a time (parallelism 1)');
  t.equal(plan.create.length, 1);
  t.equal(plan.create[0]!.desiredState, 'ready');
  t.equal(plan.create[0]!.labels?.['swarmlet.waitForOld'], 'true');
});

t.test('paused node keeps its tasks', async (t) => {
  const n = nodeMap(node('n1', { availability: 'pause' }));
  t.ok(isEmptyPlan(reconcileReplicated({ service: service({ replicas: 1 }), tasks: [task(1, 'n1')], nodes: n, now: T0 })));
});

t.test('down node: the task is replaced at once (no restart delay)', async (t) => {
  const n = nodeMap(node('n1', { state: 'down' }), node('n2'));
  const plan = reconcileReplicated({ service: service({ replicas: 1 }), tasks: [task(1, 'n1')], nodes: n, now: T0 });
  t.equal(plan.create[0]!.desiredState, 'running');
  t.equal(plan.setDesired[0]!.desiredState, 'shutdown');
});

const restartCases: Array<{ name: string; condition: 'any' | 'on-failure' | 'none'; state: 'failed' | 'complete'; restarts: boolean }> = [
  { name: 'any restarts a failure', condition: 'any', state: 'failed', restarts: true },
  { name: 'any restarts a completion', condition: 'any', state: 'complete', restarts: true },
  { name: 'on-failure restarts a failure', condition: 'on-failure', state: 'failed', restarts: true },
  { name: 'on-failure leaves a completion', condition: 'on-failure', state: 'complete', restarts: false },
  { name: 'none never restarts', condition: 'none', state: 'failed', restarts: false },
];
for (const c of restartCases) {
  t.test(`restart policy: ${c.name}`, async (t) => {
    const s = service({ replicas: 1, restart: { Condition: c.condition, Delay: 2e9 } });
    const dead = task(1, 'n1', { state: c.state });
    const plan = reconcileReplicated({ service: s, tasks: [dead], nodes, now: T0 });
    t.equal(plan.create.length, c.restarts ? 1 : 0);
    if (c.restarts) {
      t.same(plan.setDesired, [{ taskId: dead.ID, desiredState: 'shutdown', reason: 'restarting' }]);
      t.equal(plan.create[0]!.startAfter, T0 + 2000);
      t.equal(plan.create[0]!.slot, 1);
    } else t.same(plan.setDesired, []);
  });
}

t.test('restart max attempts counts per slot and spec version', async (t) => {
  const s = service({ replicas: 1, restart: { Condition: 'any', Delay: 0, MaxAttempts: 2 } });
  const h1 = task(1, 'n1', { state: 'failed', desired: 'shutdown' });
  const h2 = task(1, 'n1', { state: 'failed', desired: 'shutdown' });
  const cur = task(1, 'n1', { state: 'failed' });
  t.equal(reconcileReplicated({ service: s, tasks: [h1, h2, cur], nodes, now: T0 }).create.length, 0, 'third failure: no more restarts');
  t.equal(reconcileReplicated({ service: s, tasks: [h2, cur], nodes, now: T0 }).create.length, 1, 'second failure: restarts');
  const old = task(1, 'n1', { state: 'failed', desired: 'shutdown', version: 0 });
  t.equal(reconcileReplicated({ service: s, tasks: [old, h2, cur], nodes, now: T0 }).create.length, 1, 'older spec versions do not count');
});

t.test('restart window only counts recent failures', async (t) => {
  const s = service({ replicas: 1, restart: { Condition: 'any', Delay: 0, MaxAttempts: 1, Window: 10e9 } });
  const old = task(1, 'n1', { state: 'failed', desired: 'shutdown', ts: T0 - 60_000 });
  const cur = task(1, 'n1', { state: 'failed', ts: T0 });
  t.equal(reconcileReplicated({ service: s, tasks: [old, cur], nodes, now: T0 }).create.length, 1);
});

t.test('a task shut down by the system restarts without back-off', async (t) => {
  const plan = reconcileReplicated({ service: service({ replicas: 1 }), tasks: [task(1, 'n1', { state: 'shutdown' })], nodes, now: T0 });
  t.equal(plan.create[0]!.desiredState, 'running');
});

t.test('slotsToRemove keeps the lowest per-node index', async (t) => {
  const a = task(1, 'n1'), b = task(2, 'n1'), c = task(3, 'n2');
  const occ = new Map<number, Task | 'new'>([[1, a], [2, b], [3, c]]);
  t.same(slotsToRemove(occ, 2), [2]);
  t.same(slotsToRemove(occ, 3), []);
  t.same(slotsToRemove(occ, 0).sort(), [1, 2, 3]);
});

/** Applies a plan the way the manager does (for the property below), with a fake scheduler. */
function apply(tasks: Task[], plan: OrchestratorPlan, nodeIds: string[]): Task[] {
  const out = tasks.map((x) => {
    const s = plan.setDesired.find((d) => d.taskId === x.ID);
    return s ? { ...x, DesiredState: s.desiredState } : x;
  });
  plan.create.forEach((c, i) => out.push(task(c.slot, nodeIds[i % nodeIds.length]!, { desired: c.desiredState })));
  return out.filter((x) => !plan.remove.includes(x.ID));
}

t.test('property: plans reach a fixpoint, and live slots equal replicas', async (t) => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 12 }),
    fc.array(fc.record({ slot: fc.integer({ min: 1, max: 15 }), node: fc.constantFrom('n1', 'n2', 'n3', 'gone'),
      state: fc.constantFrom('running', 'pending', 'failed', 'complete', 'shutdown'),
      desired: fc.constantFrom('running', 'shutdown') }), { maxLength: 20 }),
    fc.constantFrom('active', 'pause', 'drain'),
    (replicas, raw, avail) => {
      const n = nodeMap(node('n1'), node('n2', { availability: avail as 'active' }), node('n3'));
      const s = service({ replicas, restart: { Condition: 'any', Delay: 0 } });
      const tasks = raw.map((r) => task(r.slot, r.node, { state: r.state as 'running', desired: r.desired as 'running' }));
      // Plans converge (a drain replaces one slot at a time, then retires the old task).
      let after = tasks;
      let steps = 0;
      for (;;) {
        const plan = reconcileReplicated({ service: s, tasks: after, nodes: n, now: T0 });
        if (plan.create.length === 0 && plan.setDesired.length === 0) break;
        if (++steps > 20) return false;
        after = apply(after, plan, ['n1', 'n3']);
      }
      const liveSlots = new Set(after.filter((x) => x.DesiredState === 'running' || x.DesiredState === 'ready').map((x) => x.Slot));
      return liveSlots.size === replicas;
    }), { numRuns: 300 });
  t.pass('property holds');
});
