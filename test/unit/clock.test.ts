import t from 'tap';
import { FakeClock, sleep, timeoutSignal } from '../../lib/clock.js';

t.test('timeoutSignal aborts on the clock, not in real time; done() cancels it', async (t) => {
  const clock = new FakeClock();
  const a = timeoutSignal(clock, 1_000);
  clock.advance(999);
  t.notOk(a.signal.aborted, 'not before its time');
  clock.advance(1);
  t.ok(a.signal.aborted, 'at its time');
  t.equal((a.signal.reason as DOMException).name, 'TimeoutError');
  const b = timeoutSignal(clock, 1_000);
  b.done();
  t.equal(clock.pending(), 0, 'done() leaves no timer');
  clock.advance(5_000);
  t.notOk(b.signal.aborted, 'never after done()');
});

t.test('sleep resolves when the clock passes its time, or early on abort', async (t) => {
  const clock = new FakeClock();
  let woke = false;
  const s = sleep(clock, 500).then(() => { woke = true; });
  clock.advance(499);
  await Promise.resolve();
  t.notOk(woke);
  clock.advance(1);
  await s;
  t.ok(woke);
  const ac = new AbortController();
  const early = sleep(clock, 10_000, ac.signal);
  ac.abort();
  await early;
  t.equal(clock.pending(), 0, 'the aborted sleep cancelled its timer');
});
