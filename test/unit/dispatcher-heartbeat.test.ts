/**
 * `swarm update --dispatcher-heartbeat`: the dispatcher's new period is what nodes are told (join
 * answer) and what failure detection uses, after a grace for nodes that still beat at the old period.
 * Fake clock, no sockets.
 */
import t from 'tap';
import { FakeClock } from '../../lib/clock.js';
import { sequentialIds } from '../../lib/ids.js';
import { Dispatcher } from '../../lib/dispatcher/dispatcher.js';
import { JoinTokens } from '../../lib/dispatcher/join-tokens.js';
import type { Manager } from '../../lib/manager/manager.js';
import { MemoryStore } from '../../lib/store/memory-store.js';

function setup(heartbeatMs: number) {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const tokens = new JoinTokens(undefined);
  const d = new Dispatcher({ store, clock, ids: sequentialIds('n'), manager: {} as Manager, tokens, heartbeatMs });
  const join = (hostname: string) => d.join({ token: tokens.token('worker'), hostname, addr: '127.0.0.1' });
  const state = (id: string) => store.view((tx) => tx.getNode(id)?.Status.State);
  return { clock, d, join, state };
}

t.test('a shorter period: nodes get a grace of the old period, then the new one detects failures', async (t) => {
  const { clock, d, join, state } = setup(1000);
  d.start();
  t.teardown(() => d.stop());
  const beating = join('beating').nodeId;
  const silent = join('silent').nodeId;
  clock.advance(900);
  d.heartbeat(beating);
  d.heartbeat(silent);
  d.setHeartbeatPeriod(200);
  t.equal(d.heartbeatMs, 200);
  t.equal(join('late').heartbeatMs, 200, 'a node joining now is told the new period');
  // The old period's nodes beat again within 1000 ms; judged by 3 x 200 they would be down already.
  clock.advance(900);
  t.equal(state(silent), 'ready', 'within 3 old periods of the change: not down');
  d.heartbeat(beating);
  clock.advance(2200); // past the grace (3 x 1000 ms after the change)
  t.equal(state(silent), 'down', 'silent past the grace: down');
  t.equal(state(beating), 'down', 'a node that stopped beating too');
  d.heartbeat(beating);
  t.equal(state(beating), 'ready', 'a heartbeat brings it back');
  for (let i = 0; i < 10; i++) { clock.advance(150); d.heartbeat(beating); }
  t.equal(state(beating), 'ready', 'beating every 150 ms keeps it ready under the 200 ms period');
  clock.advance(650);
  t.equal(state(beating), 'down', '3 new periods of silence: down');
});

t.test('a longer period applies at once: a node beating at it is never judged down', async (t) => {
  const { clock, d, join, state } = setup(200);
  d.start();
  t.teardown(() => d.stop());
  const n = join('slow').nodeId;
  d.setHeartbeatPeriod(2000);
  for (let i = 0; i < 5; i++) { clock.advance(1900); t.equal(state(n), 'ready', `beat ${i}`); d.heartbeat(n); }
  clock.advance(6100);
  t.equal(state(n), 'down', 'silent for 3 x 2000 ms: down');
  t.throws(() => d.setHeartbeatPeriod(0), /invalid heartbeat period/);
});
