import t from 'tap';
import { FakeClock } from '../../lib/clock.js';
import { findTask } from '../../lib/manager/find-task.js';
import { MemoryStore } from '../../lib/store/memory-store.js';
import { node, service, task, T0 } from '../fixtures/orchestrator-fixtures.js';

function setup() {
  const store = new MemoryStore({ clock: new FakeClock() });
  const s = { ...service({ id: 'svc' }), Spec: { ...service().Spec, Name: 'web' } };
  const old = task(1, 'n1', { id: 'aaaaold', state: 'shutdown', desired: 'shutdown', createdAt: T0 });
  const cur = task(1, 'n1', { id: 'bbbbcur', createdAt: T0 + 1000 });
  const g = { ...task(0, 'n1', { id: 'ccccglob' }), ServiceID: 'gsvc' };
  const gs = { ...service({ id: 'gsvc', global: true }), Spec: { ...service({ global: true }).Spec, Name: 'g' } };
  store.update((tx) => { tx.putNode(node('n1')); tx.putService(s); tx.putService(gs); tx.putTask(old); tx.putTask(cur); tx.putTask(g); });
  return store;
}

t.test('a task by ID, prefix, full name and display name', async (t) => {
  const store = setup();
  const find = (ref: string) => store.view((tx) => findTask(tx, ref).ID);
  t.equal(find('aaaaold'), 'aaaaold');
  t.equal(find('bbbb'), 'bbbbcur', 'unique prefix');
  t.equal(find('web.1.aaaaold'), 'aaaaold', 'full name');
  t.equal(find('web.1'), 'bbbbcur', 'display name: the slot\'s current task');
  t.equal(find('g.n1'), 'ccccglob', 'global display name');
  t.throws(() => find('web.2'), /task web\.2 not found/);
  t.throws(() => find('nosuch'), /task nosuch not found/);
});
