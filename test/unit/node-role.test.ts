/** Node roles: one manager. Promoting a worker or demoting the last manager is refused; nothing changes. */
import t from 'tap';
import { harness } from '../fixtures/manager-harness.js';

t.test('promote and demote', async (t) => {
  const h = await harness(t);
  const worker = h.nodeOf('node-2');
  t.equal(worker.Spec.Role, 'worker');
  t.throws(() => h.control.updateNode(worker.ID, worker.Version.Index, { ...worker.Spec, Role: 'manager' }),
    { message: 'node node-2 cannot be promoted: swarmlet runs a single manager (use node labels to steer placement)' });
  t.equal(h.nodeOf('node-2').Spec.Role, 'worker', 'unchanged');
  t.equal(h.nodeOf('node-2').Version.Index, worker.Version.Index, 'nothing written');
  const manager = h.nodes.find((n) => n.Spec.Role === 'manager')!;
  const m = h.nodeOf(manager.Description.Hostname);
  t.throws(() => h.control.updateNode(m.ID, m.Version.Index, { ...m.Spec, Role: 'worker' }), { message: 'attempting to demote the last manager of the swarm' });
  h.control.updateNode(worker.ID, worker.Version.Index, { ...worker.Spec, Role: 'worker', Labels: { zone: 'eu' } });
  t.same(h.nodeOf('node-2').Spec.Labels, { zone: 'eu' }, 'a worker staying a worker updates as before');
});
