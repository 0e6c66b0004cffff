/** The leader's write queue to etcd, on a fake clock with a scripted `send`. */
import t from 'tap';
import { FakeClock } from '../../lib/clock.js';
import { SwarmletError } from '../../lib/errors.js';
import type { KeyWrite } from '../../lib/ha/etcd-keys.js';
import { WriteQueue, type SendResult } from '../../lib/ha/write-queue.js';

const settle = () => new Promise((r) => setImmediate(r));

interface Call { batch: KeyWrite[]; answer(r: SendResult | Error): void }

function setup(opts: { maxOps?: number; maxBytes?: number } = {}) {
  const clock = new FakeClock();
  const calls: Call[] = [];
  const health: Array<string | undefined> = [];
  let fenced = 0;
  const q = new WriteQueue({
    clock, failAfterMs: 2000, retryDelayMs: 100, ...opts,
    send: (batch) => new Promise((resolve, reject) => {
      calls.push({ batch, answer: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
    }),
    onFenced: () => { fenced += 1; },
    onHealth: (err) => health.push(err?.message),
  });
  return { clock, q, calls, health, fenced: () => fenced };
}

const w = (key: string, value: string | null = 'v'): KeyWrite => ({ key, value });
const state = (p: Promise<unknown>) => {
  const s = { v: 'pending' as string, err: undefined as unknown };
  p.then(() => { s.v = 'resolved'; }, (e) => { s.v = 'rejected'; s.err = e; });
  return s;
};

t.test('writes are coalesced per key (the latest value, moved to the end) and sent in order, ≤ maxOps per transaction', async (t) => {
  const { q, calls } = setup({ maxOps: 128 });
  q.enqueue([w('k0', 'first')]); // sent at once, alone
  await settle();
  t.same(calls[0]!.batch, [w('k0', 'first')]);
  for (let i = 1; i <= 300; i++) q.enqueue([w(`k${i}`)]);
  q.enqueue([w('k1', 'again'), w('gone', null)]);
  calls[0]!.answer('ok');
  await settle();
  const sent: KeyWrite[][] = [];
  for (let i = 1; calls[i]; i++) { sent.push(calls[i]!.batch); calls[i]!.answer('ok'); await settle(); }
  t.same(sent.map((b) => b.length), [128, 128, 45], '301 keys in three transactions, none over 128 ops');
  const flat = sent.flat();
  t.equal(flat.filter((x) => x.key === 'k1').length, 1, 'k1 written once');
  t.same(flat.slice(-2), [w('k1', 'again'), w('gone', null)], 'with its latest value, after the keys written before it');
  t.same(flat.slice(0, 3).map((x) => x.key), ['k2', 'k3', 'k4'], 'in commit order');
  t.equal(q.size(), 0);
});

t.test('transactions are cut by bytes too', async (t) => {
  const { q, calls } = setup({ maxBytes: 1000 });
  q.enqueue([w('a', 'x'.repeat(600)), w('b', 'x'.repeat(600)), w('c', 'x'.repeat(10))]);
  await settle();
  t.equal(calls[0]!.batch.length, 1);
  calls[0]!.answer('ok');
  await settle();
  t.same(calls[1]!.batch.map((x) => x.key), ['b', 'c']);
});

t.test('durable() resolves once the transaction holding that commit went through, not before', async (t) => {
  const { q, calls } = setup();
  q.enqueue([w('a')]);
  const d1 = state(q.durable());
  await settle();
  q.enqueue([w('b')]);
  const d2 = state(q.durable());
  await settle();
  t.equal(d1.v, 'pending');
  calls[0]!.answer('ok');
  await settle();
  t.equal(d1.v, 'resolved');
  t.equal(d2.v, 'pending', 'the second commit is not in etcd yet');
  calls[1]!.answer('ok');
  await settle();
  t.equal(d2.v, 'resolved');
  t.equal(state(q.durable()).v, 'pending', 'checked on the next tick');
  await settle();
});

t.test('a write failing for failAfterMs: unavailable (durable rejects) while retrying; through again: healthy, nothing lost', async (t) => {
  const { q, calls, clock, health } = setup();
  q.enqueue([w('a')]);
  const d = state(q.durable());
  await settle();
  calls[0]!.answer(new Error('connection refused'));
  await settle();
  clock.advance(100);
  await settle();
  t.equal(calls.length, 2, 'retried after retryDelayMs');
  t.same(calls[1]!.batch, calls[0]!.batch, 'the same transaction');
  t.equal(d.v, 'pending', 'not failed before failAfterMs');
  t.notOk(q.health());
  clock.advance(1900); // 2000 ms after the first attempt; the second has not answered
  await settle();
  t.equal(d.v, 'rejected');
  t.match(d.err, { code: 'unavailable', message: /^cluster store unavailable: connection refused/ });
  t.match(q.health(), { code: 'unavailable' });
  await t.rejects(q.durable(), { code: 'unavailable' }, 'later durable() calls reject at once');
  calls[1]!.answer(new Error('no quorum'));
  await settle();
  t.match(q.health()?.message, /no quorum/, 'the latest reason');
  clock.advance(100);
  await settle();
  calls[2]!.answer('ok');
  await settle();
  t.equal(q.health(), undefined, 'healthy again');
  t.equal(q.size(), 0, 'the write went through in the end');
  await q.durable();
  t.same(health, ['cluster store unavailable: connection refused', 'cluster store unavailable: no quorum', undefined]);
});

t.test('a fenced transaction stops the queue; drop() rejects what waited and what was queued, later writes go on', async (t) => {
  const { q, calls, fenced } = setup();
  q.enqueue([w('a')]);
  q.enqueue([w('b')]);
  const d = state(q.durable());
  await settle();
  calls[0]!.answer('fenced');
  await settle();
  t.equal(fenced(), 1);
  t.equal(calls.length, 1, 'nothing more is sent');
  const lost = new SwarmletError('not_leader', 'lost');
  q.drop(lost);
  await settle();
  t.equal(d.v, 'rejected');
  t.equal(d.err, lost);
  t.equal(q.size(), 0);
  await t.rejects(q.durable(), lost, 'durable() for the dropped commits rejects');
  q.enqueue([w('c')]);
  const d2 = state(q.durable());
  await settle();
  t.same(calls[1]!.batch, [w('c')]);
  calls[1]!.answer('ok');
  await settle();
  t.equal(d2.v, 'resolved');
});

t.test('a transaction in flight when the queue is dropped does not count as stored for later commits', async (t) => {
  const { q, calls } = setup();
  q.enqueue([w('a')]);
  await settle();
  q.drop(new SwarmletError('not_leader', 'lost'));
  q.enqueue([w('b')]);
  const d = state(q.durable());
  calls[0]!.answer('ok'); // the old transaction answers late
  await settle();
  t.equal(d.v, 'pending', 'b is not in etcd yet');
  t.same(calls[1]?.batch, [w('b')]);
  calls[1]!.answer('ok');
  await settle();
  t.equal(d.v, 'resolved');
});
