import t from 'tap';
import fc from 'fast-check';
import { FakeClock, type Clock } from '../../lib/clock.js';
import { EventLog } from '../../lib/events/event-log.js';
import type { EventDraft, EventMessage } from '../../lib/events/event-message.js';
import { streamEvents } from '../../lib/events/event-stream.js';
import { compileEventFilter } from '../../lib/events/event-filters.js';
import { events } from '../../lib/events/events.js';
import { MemoryStore } from '../../lib/store/memory-store.js';
import { nd, svc, tsk } from '../fixtures/store-objects.js';

const MS = 1_000_000n;

function draft(id: string, type: EventDraft['Type'] = 'service', action = 'create'): EventDraft {
  return { Type: type, Action: action, Actor: { ID: id, Attributes: { name: id } }, scope: 'swarm' };
}

const ids = (es: EventMessage[]) => es.map((e) => e.Actor.ID);

/** Pulls up to `n` items from an iterator, each within a few microtask turns (never waits on real time). */
async function take(it: AsyncIterator<EventMessage>, n: number): Promise<Array<string | 'END'>> {
  const out: Array<string | 'END'> = [];
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done) { out.push('END'); break; }
    out.push(r.value.Actor.ID);
  }
  return out;
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

t.test('append: timeNano from the clock, strictly increasing even within one ms or when the clock steps back', async (t) => {
  const clock = new FakeClock(Date.UTC(2026, 10, 27, 7, 20));
  const log = new EventLog({ clock });
  const [a, b] = log.append([draft('a'), draft('b')]);
  t.equal(a!.timeNano, BigInt(clock.now()) * MS);
  t.equal(b!.timeNano, a!.timeNano + 1n);
  t.equal(a!.time, Math.floor(clock.now() / 1000));
  clock.advance(5);
  t.equal(log.append([draft('c')])[0]!.timeNano, BigInt(clock.now()) * MS);
  let reading = 5000;
  const stepping: Clock = { now: () => reading, setTimeout: (fn, ms) => clock.setTimeout(fn, ms) };
  const log2 = new EventLog({ clock: stepping });
  const [x] = log2.append([draft('x')]);
  reading = 4000; // the wall clock stepped back
  const [y] = log2.append([draft('y')]);
  t.equal(y!.timeNano, x!.timeNano + 1n, 'never goes back');
});

t.test('property: timeNano strictly increases for any clock readings', async (t) => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 2e12 }), { minLength: 1, maxLength: 50 }), (readings) => {
    let i = 0;
    const log = new EventLog({ clock: { now: () => readings[i++ % readings.length]!, setTimeout: () => ({ cancel() {} }) } });
    const out = readings.flatMap(() => log.append([draft('e')]));
    return out.every((e, k) => k === 0 || e.timeNano > out[k - 1]!.timeNano) && out.every((e) => e.time === Number(e.timeNano / 1_000_000_000n));
  }));
  t.pass();
});

t.test('ring: keeps the newest `capacity` events, replays them in order by since/until/filter', async (t) => {
  const clock = new FakeClock(0);
  const log = new EventLog({ clock, capacity: 3 });
  for (const id of ['e1', 'e2', 'e3', 'e4', 'e5']) { log.append([draft(id, id === 'e4' ? 'node' : 'service')]); clock.advance(1000); }
  t.equal(log.size, 3);
  t.strictSame(ids(log.replay({})), ['e3', 'e4', 'e5'], 'oldest dropped first');
  t.strictSame(ids(log.replay({ since: 3000n * MS })), ['e4', 'e5'], 'since is inclusive');
  t.strictSame(ids(log.replay({ until: 3000n * MS })), ['e3', 'e4'], 'until is inclusive');
  t.strictSame(ids(log.replay({ since: 2000n * MS, until: 3000n * MS }, compileEventFilter({ type: ['service'] }))), ['e3']);
});

t.test('follow(store): commits become events; names come from the snapshot', async (t) => {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  store.update((tx) => { tx.putNode(nd('n1', 'node-1')); tx.putService(svc('s1', 'web')); });
  const log = new EventLog({ clock });
  const stop = log.follow(store);
  store.update((tx) => tx.putTask(tsk('t1', 's1', 'n1', 1)));
  store.update((tx) => { const s = tx.getService('s1')!; tx.putService({ ...s, Spec: { ...s.Spec, Mode: { Replicated: { Replicas: 2 } } } }); });
  store.update((tx) => tx.deleteService('s1'));
  stop();
  store.update((tx) => tx.deleteTask('t1'));
  const got = log.replay({}).map((e) => `${e.Type} ${e.Action} ${e.Actor.Attributes.name}`);
  t.strictSame(got, ['task create web.1', 'service update web', 'service remove web'], 'nothing after stop');
  t.equal(log.replay({})[0]!.Actor.Attributes.node, 'node-1');
  t.equal(log.replay({})[1]!.Actor.Attributes['replicas.new'], '2');
  store.close();
});

t.test('streamEvents: no replay without since/until; live events in order; abort ends it', async (t) => {
  const clock = new FakeClock();
  const log = new EventLog({ clock });
  log.append([draft('old')]);
  const abort = new AbortController();
  const it = streamEvents(log, { clock, signal: abort.signal })[Symbol.asyncIterator]();
  const first = it.next();
  log.append([draft('a'), draft('b')]);
  t.equal((await first).value?.Actor.ID, 'a');
  t.strictSame(await take(it, 1), ['b']);
  const pending = it.next();
  abort.abort();
  t.equal((await pending).done, true, 'abort ends a waiting stream');
});

t.test('streamEvents: since replays kept events then continues live, with nothing lost or repeated', async (t) => {
  const clock = new FakeClock(10_000);
  const log = new EventLog({ clock });
  log.append([draft('before')]);
  clock.advance(1000);
  log.append([draft('r1'), draft('r2')]);
  const it = streamEvents(log, { clock, since: 11_000n * MS })[Symbol.asyncIterator]();
  const p = take(it, 3);
  await settle();
  log.append([draft('live')]);
  t.strictSame(await p, ['r1', 'r2', 'live']);
  await it.return?.(undefined);
});

t.test('streamEvents: until in the past replays and ends; until in the future ends when the clock passes it', async (t) => {
  const clock = new FakeClock(0);
  const log = new EventLog({ clock });
  log.append([draft('p1')]);
  clock.advance(1000);
  log.append([draft('p2')]);
  clock.advance(1000);
  t.strictSame(await take(streamEvents(log, { clock, until: 500n * MS })[Symbol.asyncIterator](), 5), ['p1', 'END'], 'only past events, then the end');
  t.strictSame(await take(streamEvents(log, { clock, since: 1000n * MS, until: 1500n * MS })[Symbol.asyncIterator](), 5), ['p2', 'END']);

  const it = streamEvents(log, { clock, since: 0n, until: 5000n * MS, filter: compileEventFilter({ type: ['service'] }) })[Symbol.asyncIterator]();
  const p = take(it, 10);
  await settle();
  log.append([draft('live1'), draft('n', 'node')]);
  clock.advance(2000);
  log.append([draft('live2')]);
  await settle();
  t.equal(clock.pending(), 1, 'one timer for until');
  clock.advance(1001);
  t.strictSame(await p, ['p1', 'p2', 'live1', 'live2', 'END'], 'replay, filtered live events, then the end at until');
  t.equal(clock.pending(), 0, 'timer released');
});

t.test('streamEvents: a consumer that falls too far behind gets what was queued, then an error', async (t) => {
  const clock = new FakeClock();
  const log = new EventLog({ clock });
  const it = streamEvents(log, { clock, maxQueue: 2 })[Symbol.asyncIterator]();
  const first = it.next();
  log.append([draft('a')]);
  t.equal((await first).value?.Actor.ID, 'a');
  log.append([draft('b'), draft('c'), draft('d')]);
  t.strictSame(await take(it, 2), ['b', 'c']);
  await t.rejects(it.next(), { code: 'unavailable', message: /fell behind/ });
});

t.test('events(): validates at once; from an EventLog replays, from a store sees live events', async (t) => {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  t.throws(() => events({ store }, { filters: { bogus: ['x'] }, clock }), { message: "invalid filter 'bogus'" });
  t.throws(() => events({ store }, { since: 'soon', clock }), { field: 'since', message: /since/ });
  t.throws(() => events({ store }, { since: '20', until: '10', clock }), { message: /cannot be after/ });

  const log = new EventLog({ clock });
  log.follow(store);
  store.update((tx) => tx.putService(svc('s1', 'web')));
  const fromLog = events({ eventLog: log }, { since: 0, until: clock.now() / 1000, clock })[Symbol.asyncIterator]();
  t.strictSame(await take(fromLog, 3), ['s1', 'END']);

  const abort = new AbortController();
  const live = events({ store }, { clock, signal: abort.signal, filters: { type: ['node'] } })[Symbol.asyncIterator]();
  const next = live.next();
  await settle();
  store.update((tx) => { tx.putService(svc('s2', 'api')); tx.putNode(nd('n9', 'node-9')); });
  t.equal((await next).value?.Actor.Attributes.name, 'node-9');
  abort.abort();
  t.equal((await live.next()).done, true);
  store.close();
});
