/** The lease keeper's local deadline, on a fake clock with a scripted etcd. */
import t from 'tap';
import { FakeClock } from '../../lib/clock.js';
import { LeaseKeeper } from '../../lib/ha/lease-keeper.js';

const settle = () => new Promise((r) => setImmediate(r));

function setup(keepAlive: () => Promise<number>) {
  const clock = new FakeClock();
  const lost: Array<{ at: number; reason: string; id: string }> = [];
  const renewals: number[] = [];
  const revoked: string[] = [];
  const keeper = new LeaseKeeper({
    clock, ttlMs: 3000, renewIntervalMs: 1000,
    client: {
      leaseGrant: async (ttl) => ({ id: 'L1', ttlSeconds: ttl }),
      leaseKeepAlive: async () => { renewals.push(clock.now()); return keepAlive(); },
      leaseRevoke: async (id) => { revoked.push(id); },
    },
    onLost: (reason, id) => lost.push({ at: clock.now(), reason, id }),
  });
  return { clock, keeper, lost, renewals, revoked };
}

async function run(clock: FakeClock, ms: number, step = 50) {
  for (let i = 0; i < ms; i += step) { clock.advance(step); await settle(); }
}

t.test('renewed every renewIntervalMs while etcd answers: never lost', async (t) => {
  const { clock, keeper, lost, renewals } = setup(async () => 3);
  const start = clock.now();
  t.equal(await keeper.grant(), 'L1');
  await run(clock, 10_000);
  t.same(lost, []);
  t.ok(keeper.alive());
  t.equal(renewals.length, 10);
  t.equal(renewals[0]! - start, 1000);
});

t.test('no answer at all: lost at the local deadline (TTL after the last renewal sent), without waiting for etcd', async (t) => {
  let answering = true;
  const { clock, keeper, lost } = setup(() => (answering ? Promise.resolve(3) : new Promise<number>(() => {})));
  const start = clock.now();
  await keeper.grant();
  await run(clock, 2000); // renewals sent at 1000 and 2000 went through
  answering = false;
  await run(clock, 5000);
  t.equal(lost.length, 1, 'lost once');
  t.equal(lost[0]!.at - start, 2000 + 3000, 'exactly TTL after the last successful renewal was sent');
  t.match(lost[0]!.reason, /within its TTL/);
  t.equal(lost[0]!.id, 'L1');
  t.notOk(keeper.alive());
  t.equal(keeper.id, undefined);
});

t.test('renewals failing (no quorum): retried sooner, lost at the deadline all the same', async (t) => {
  let fail = false;
  const { clock, keeper, lost, renewals } = setup(async () => { if (fail) throw new Error('no leader'); return 3; });
  const start = clock.now();
  await keeper.grant();
  await run(clock, 1000);
  fail = true;
  await run(clock, 4000);
  t.equal(lost.length, 1);
  t.equal(lost[0]!.at - start, 1000 + 3000);
  t.ok(renewals.filter((x) => x > start + 1000).length >= 8, 'retried every 250 ms meanwhile');
});

t.test('etcd answers that the lease is gone: lost at once', async (t) => {
  let ttl = 3;
  const { clock, keeper, lost } = setup(async () => ttl);
  const start = clock.now();
  await keeper.grant();
  await run(clock, 1000);
  ttl = 0;
  await run(clock, 1000);
  t.equal(lost.length, 1);
  t.equal(lost[0]!.at - start, 2000);
  t.match(lost[0]!.reason, /expired in etcd/);
});

t.test('revoke stops renewing and revokes in etcd; no onLost', async (t) => {
  const { clock, keeper, lost, renewals, revoked } = setup(async () => 3);
  await keeper.grant();
  await keeper.revoke();
  await run(clock, 5000);
  t.same(revoked, ['L1']);
  t.same(renewals, []);
  t.same(lost, []);
});

t.test('a process paused past the deadline (SIGSTOP): valid() is false at once, before the deadline timer runs; then lost', async (t) => {
  const { clock, keeper, lost } = setup(async () => 3);
  await keeper.grant();
  await run(clock, 2000); // renewed at +1 s and +2 s: deadline at +5 s
  t.ok(keeper.valid(), 'valid while renewed');
  clock.stall(10_000); // stopped: no timer fired, the clock moved on
  t.notOk(keeper.valid(), 'not valid: the deadline passed while the process was stopped');
  t.ok(keeper.alive(), 'the deadline timer has not run yet (alive() is what the timers know)');
  t.same(lost, []);
  clock.advance(0); // resumed: the due timers run
  await settle();
  t.equal(lost.length, 1, 'then lost, once');
  t.notOk(keeper.alive());
  t.notOk(keeper.valid());
});

t.test('valid() follows the deadline exactly: true just before it, false from it on', async (t) => {
  const { clock, keeper } = setup(() => new Promise<number>(() => {})); // etcd never answers a renewal
  const start = clock.now();
  await keeper.grant();
  clock.stall(2999);
  t.ok(keeper.valid(), `valid at +${clock.now() - start} ms`);
  clock.stall(1);
  t.notOk(keeper.valid(), 'not valid at +3000 ms (TTL after the grant was sent)');
});
