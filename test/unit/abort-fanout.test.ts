/** AbortFanout: one 'abort' listener per signal for any number of waiters, gone with the last one. */
import t from 'tap';
import { getEventListeners } from 'node:events';
import { AbortFanout } from '../../lib/abort-fanout.js';

t.test('many waiters on one signal: one listener; each called once on abort; nothing left after', async (t) => {
  const f = new AbortFanout();
  const ac = new AbortController();
  const calls: number[] = [];
  const offs = Array.from({ length: 20 }, (_, i) => f.on(ac.signal, () => calls.push(i)));
  t.equal(getEventListeners(ac.signal, 'abort').length, 1);
  offs[3]!();
  offs[3]!(); // twice is harmless
  ac.abort();
  t.same(calls, Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 3), 'every waiter but the one that left, once');
  ac.abort();
  t.equal(calls.length, 19, 'a second abort calls nobody');
  t.equal(getEventListeners(ac.signal, 'abort').length, 0);
  t.equal(f.signals, 0);
  for (const off of offs) off(); // unsubscribing after the abort is harmless
});

t.test('the listener goes when the last waiter leaves; signals are kept apart', async (t) => {
  const f = new AbortFanout();
  const a = new AbortController();
  const b = new AbortController();
  const called: string[] = [];
  const offA1 = f.on(a.signal, () => called.push('a1'));
  const offA2 = f.on(a.signal, () => called.push('a2'));
  f.on(b.signal, () => called.push('b'));
  t.equal(f.signals, 2);
  offA1();
  t.equal(getEventListeners(a.signal, 'abort').length, 1, 'one waiter left: still listening');
  offA2();
  t.equal(getEventListeners(a.signal, 'abort').length, 0, 'none left: not listening');
  a.abort();
  t.same(called, [], 'nobody was waiting on a');
  const offA3 = f.on(a.signal, () => called.push('a3'));
  t.equal(getEventListeners(a.signal, 'abort').length, 0, 'an already aborted signal is not listened to');
  offA3();
  b.abort();
  t.same(called, ['b']);
  t.equal(f.signals, 0);
});

t.test('a waiter that subscribes another one while being called does not run it for this abort', async (t) => {
  const f = new AbortFanout();
  const ac = new AbortController();
  const called: string[] = [];
  f.on(ac.signal, () => { called.push('first'); f.on(ac.signal, () => called.push('late')); });
  ac.abort();
  t.same(called, ['first'], 'the late one subscribed to an aborted signal');
  t.equal(f.signals, 0);
});
