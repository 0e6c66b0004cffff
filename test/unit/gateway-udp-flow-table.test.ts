import t from 'tap';
import { UdpFlowTable } from '../../gateway/udp-flow-table.js';

t.test('a client keeps its flow while datagrams pass, and loses it after the idle time', async (t) => {
  const table = new UdpFlowTable<string>({ idleMs: 1_000, maxFlows: 10 });
  let now = 0;
  t.ok(table.add('10.0.0.1:5000', 'task-a', now));
  t.ok(table.add('10.0.0.2:5000', 'task-b', now));
  now = 900;
  t.equal(table.lookup('10.0.0.1:5000', now), 'task-a', 'used at 900 ms: kept');
  now = 1_500;
  t.equal(table.lookup('10.0.0.1:5000', now), 'task-a', 'idle 600 ms: kept');
  t.equal(table.lookup('10.0.0.2:5000', now), undefined, 'idle 1500 ms: expired');
  table.touch('10.0.0.1:5000', 2_400); // a reply from the task keeps the flow too
  t.same(table.sweep(3_000), ['task-b'], 'sweep returns the expired flows');
  t.equal(table.size, 1);
  t.same(table.sweep(3_400), ['task-a'], 'idle 1000 ms after the reply');
  t.equal(table.size, 0);
});

t.test('the same client port on another address is another flow; a full table refuses new clients only', async (t) => {
  const table = new UdpFlowTable<string>({ idleMs: 1_000, maxFlows: 2 });
  t.ok(table.add('10.0.0.1:5000', 'a', 0));
  t.ok(table.add('10.0.0.1:5001', 'b', 0));
  t.notOk(table.add('10.0.0.2:5000', 'c', 0), 'full');
  t.ok(table.add('10.0.0.1:5000', 'a2', 0), 'an existing client may be re-pointed');
  t.equal(table.lookup('10.0.0.1:5000', 10), 'a2');
  t.same(table.sweep(20, (f) => f === 'b'), ['b'], 'drop forgets flows at once');
  t.ok(table.add('10.0.0.2:5000', 'c', 20), 'room again');
  t.equal(table.remove('10.0.0.2:5000'), 'c');
  t.same(table.clear(), ['a2']);
});
