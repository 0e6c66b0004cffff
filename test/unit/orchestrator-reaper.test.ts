import t from 'tap';
import { reapTasks } from '../../lib/orchestrator/task-reaper.js';
import { service, task } from '../fixtures/orchestrator-fixtures.js';

t.test('keeps 5 tasks per slot, the live one included', async (t) => {
  const history = Array.from({ length: 7 }, () => task(1, 'n1', { state: 'failed', desired: 'shutdown' }));
  const live = task(1, 'n1');
  const plan = reapTasks({ service: service(), tasks: [...history, live], historyLimit: 5 });
  t.equal(plan.remove.length, 3);
  t.notOk(plan.remove.includes(live.ID));
  t.same(plan.remove.sort(), history.slice(0, 3).map((x) => x.ID).sort(), 'the oldest go');
});

t.test('max attempts + 1 overrides a smaller history limit', async (t) => {
  const s = service({ restart: { Condition: 'any', MaxAttempts: 7 } });
  const history = Array.from({ length: 9 }, () => task(1, 'n1', { state: 'failed', desired: 'shutdown' }));
  t.equal(reapTasks({ service: s, tasks: history, historyLimit: 5 }).remove.length, 1);
});

t.test('removed tasks are deleted once stopped, not before', async (t) => {
  const stopped = task(1, 'n1', { state: 'shutdown', desired: 'remove' });
  const stopping = task(2, 'n1', { state: 'running', desired: 'remove' });
  const plan = reapTasks({ service: service(), tasks: [stopped, stopping], historyLimit: 5 });
  t.same(plan.remove, [stopped.ID]);
});

t.test('orphans of a removed service: live ones told to go, dead ones deleted', async (t) => {
  const live = task(1, 'n1'), dead = task(2, 'n1', { state: 'failed', desired: 'shutdown' });
  const plan = reapTasks({ service: undefined, tasks: [live, dead], historyLimit: 5 });
  t.same(plan.remove, [dead.ID]);
  t.same(plan.setDesired.map((s) => [s.taskId, s.desiredState]), [[live.ID, 'remove']]);
});

t.test('a task stopped before it reached a node is settled by the manager', async (t) => {
  const p = task(1, '', { state: 'pending', desired: 'shutdown' });
  const plan = reapTasks({ service: service(), tasks: [p], historyLimit: 5 });
  t.same(plan.markState.map((m) => [m.taskId, m.state]), [[p.ID, 'shutdown']]);
});

t.test('a negative limit keeps all history', async (t) => {
  const history = Array.from({ length: 9 }, () => task(1, 'n1', { state: 'failed', desired: 'shutdown' }));
  t.equal(reapTasks({ service: service(), tasks: history, historyLimit: -1 }).remove.length, 0);
});
