import t from 'tap';
import { reconcileGlobal } from '../../lib/orchestrator/reconcile-global.js';
import { isEmptyPlan } from '../../lib/orchestrator/plan.js';
import { T0, node, nodeMap, service, task } from '../fixtures/orchestrator-fixtures.js';

const g = (over: Parameters<typeof service>[0] = {}) => service({ global: true, ...over });

t.test('one task per ready active node', async (t) => {
  const nodes = nodeMap(node('n1'), node('n2'), node('n3'));
  const plan = reconcileGlobal({ service: g(), tasks: [task(0, 'n2')], nodes, now: T0 });
  t.same(plan.create.map((c) => c.nodeId).sort(), ['n1', 'n3']);
  t.ok(plan.create.every((c) => c.slot === 0));
});

t.test('paused node keeps its task and gets none; drained and down nodes lose theirs', async (t) => {
  const nodes = nodeMap(node('p', { availability: 'pause' }), node('d', { availability: 'drain' }), node('x', { state: 'down' }), node('q', { availability: 'pause' }));
  const tp = task(0, 'p'), td = task(0, 'd'), tx = task(0, 'x');
  const plan = reconcileGlobal({ service: g(), tasks: [tp, td, tx], nodes, now: T0 });
  t.same(plan.create, [], 'no task for the paused node without one');
  t.same(plan.setDesired.map((s) => s.taskId).sort(), [td.ID, tx.ID].sort());
});

t.test('constraints decide the nodes', async (t) => {
  const nodes = nodeMap(node('eu', { labels: { zone: 'eu' } }), node('us', { labels: { zone: 'us' } }));
  const plan = reconcileGlobal({ service: g({ constraints: ['node.labels.zone==eu'] }), tasks: [task(0, 'us')], nodes, now: T0 });
  t.same(plan.create.map((c) => c.nodeId), ['eu']);
  t.equal(plan.setDesired[0]!.desiredState, 'shutdown');
});

t.test('a failed task restarts on the same node, not on a paused one', async (t) => {
  const nodes = nodeMap(node('n1'), node('p', { availability: 'pause' }));
  const f1 = task(0, 'n1', { state: 'failed' }), f2 = task(0, 'p', { state: 'failed' });
  const plan = reconcileGlobal({ service: g({ restart: { Condition: 'any', Delay: 0 } }), tasks: [f1, f2], nodes, now: T0 });
  t.same(plan.create.map((c) => c.nodeId), ['n1']);
  t.same(plan.setDesired.map((s) => s.taskId).sort(), [f1.ID, f2.ID].sort());
});

t.test('converged global service: empty plan; node gone: task shut down', async (t) => {
  const nodes = nodeMap(node('n1'), node('n2'));
  t.ok(isEmptyPlan(reconcileGlobal({ service: g(), tasks: [task(0, 'n1'), task(0, 'n2')], nodes, now: T0 })));
  const orphan = task(0, 'gone');
  const plan = reconcileGlobal({ service: g(), tasks: [task(0, 'n1'), task(0, 'n2'), orphan], nodes, now: T0 });
  t.same(plan.setDesired.map((s) => s.taskId), [orphan.ID]);
});
