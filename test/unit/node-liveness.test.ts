import t from 'tap';
import { FakeClock } from '../../lib/clock.js';
import { createCluster } from '../../lib/cluster/create-cluster.js';
import { Dispatcher } from '../../lib/dispatcher/dispatcher.js';
import { JoinTokens } from '../../lib/dispatcher/join-tokens.js';
import { planLiveness } from '../../lib/dispatcher/node-liveness.js';
import { sequentialIds } from '../../lib/ids.js';
import { Manager } from '../../lib/manager/manager.js';
import { MemoryStore } from '../../lib/store/memory-store.js';
import { node } from '../fixtures/orchestrator-fixtures.js';

const PERIOD = 1000; // heartbeat period: a node silent for 3 periods is down

t.test('planLiveness: down after 3 silent periods, ready when heard again, local nodes never judged', async (t) => {
  const now = 100_000;
  const cases: Array<{ name: string; state: 'ready' | 'down'; seen: number | undefined; local?: boolean; want: string[] }> = [
    { name: 'heard within the grace', state: 'ready', seen: now - 3 * PERIOD, want: [] },
    { name: 'silent past the grace', state: 'ready', seen: now - 3 * PERIOD - 1, want: ['down:heartbeat failure'] },
    { name: 'never heard', state: 'ready', seen: undefined, want: ['down:heartbeat failure'] },
    { name: 'already down and silent', state: 'down', seen: undefined, want: [] },
    { name: 'down, heard again', state: 'down', seen: now, want: ['ready:'] },
    { name: 'local, never heard', state: 'ready', seen: undefined, local: true, want: [] },
    { name: 'local, down (left as it is)', state: 'down', seen: undefined, local: true, want: [] },
  ];
  for (const c of cases) {
    const n = node('n1', { state: c.state });
    const seen = new Map(c.seen === undefined ? [] : [['n1', c.seen] as const]);
    const got = planLiveness([n], seen, now, PERIOD, new Set(c.local ? ['n1'] : []));
    t.same(got.map((x) => `${x.state}:${x.message}`), c.want, c.name);
  }
});

function setup(localNodes?: string[]) {
  const clock = new FakeClock();
  const ids = sequentialIds();
  const store = new MemoryStore({ clock });
  store.update((tx) => { tx.putNode(node('local')); tx.putNode(node('remote')); });
  const manager = new Manager({ store, clock, ids });
  const tokens = new JoinTokens(undefined);
  const d = new Dispatcher({ store, clock, ids, manager, tokens, heartbeatMs: PERIOD, ...(localNodes ? { localNodes } : {}) });
  const state = (id: string) => store.view((tx) => tx.getNode(id)?.Status);
  return { clock, store, d, tokens, state };
}

t.test('Dispatcher: a local node never goes down; a silent remote node does, and a heartbeat brings it back', async (t) => {
  const { clock, d, state } = setup(['local']);
  d.start();
  t.teardown(() => d.stop());
  clock.advance(3 * PERIOD);
  t.equal(state('remote')?.State, 'ready', 'a remote node gets the full grace after start');
  clock.advance(PERIOD);
  t.same(state('remote'), { State: 'down', Message: 'heartbeat failure', Addr: '127.0.0.1' }, 'silent past 3 periods: down');
  t.equal(state('local')?.State, 'ready', 'the local node is never judged');

  d.heartbeat('remote');
  t.equal(state('remote')?.State, 'ready', 'a heartbeat brings it back at once');
  t.equal(state('remote')?.Message, '');
  clock.advance(3 * PERIOD - 1);
  d.heartbeat('remote');
  clock.advance(3 * PERIOD - 1);
  t.equal(state('remote')?.State, 'ready', 'heartbeats within the grace keep it ready');
  clock.advance(PERIOD);
  t.equal(state('remote')?.State, 'down', 'silent again: down again');

  clock.advance(600_000);
  t.equal(state('local')?.State, 'ready', 'ten minutes later the local node is still ready');
});

t.test('Dispatcher: without localNodes every node must heartbeat (the createCluster bug, kept as a guard)', async (t) => {
  const { clock, d, state } = setup();
  d.start();
  t.teardown(() => d.stop());
  clock.advance(5 * PERIOD);
  t.equal(state('local')?.State, 'down');
});

t.test('Dispatcher: a node that joined and never heartbeats goes down after the grace', async (t) => {
  const { clock, d, tokens, store, state } = setup(['local']);
  d.start();
  t.teardown(() => d.stop());
  clock.advance(10 * PERIOD);
  const joined = d.join({ token: tokens.token('worker'), hostname: 'late', addr: '127.0.0.9' });
  clock.advance(3 * PERIOD);
  t.equal(state(joined.nodeId)?.State, 'ready');
  clock.advance(PERIOD);
  t.equal(state(joined.nodeId)?.State, 'down');
  t.equal(store.view((tx) => tx.listNodes().filter((n) => n.Status.State === 'down').length), 2, 'remote and late are down, local is not');
});

t.test('createCluster with the dispatcher on: its own nodes stay ready without heartbeats', async (t) => {
  const clock = new FakeClock();
  const cluster = await createCluster({ nodes: 2, clock, gateway: false, dispatcher: { heartbeatMs: PERIOD } });
  t.teardown(() => cluster.close());
  clock.advance(60 * PERIOD);
  const nodes = cluster.store.view((tx) => tx.listNodes());
  t.equal(nodes.length, 2);
  t.same(nodes.map((n) => n.Status.State), ['ready', 'ready'], 'no local node marked down');
});
