import t, { type Test } from 'tap';
import fc from 'fast-check';
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../lib/clock.js';
import type { LogLine } from '../../lib/agent/task-driver.js';
import { LineSplitter, encodeLogLine, parseLogLines, selectLogLines } from '../../lib/drivers/log-lines.js';
import { LogStore } from '../../lib/drivers/log-store.js';

function splitAll(input: string, cuts: number[], max?: number): string[] {
  const s = new LineSplitter(max);
  const buf = Buffer.from(input, 'utf8');
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const p of [...points, buf.length]) {
    out.push(...s.push(buf.subarray(prev, p)));
    prev = p;
  }
  return [...out, ...s.flush()];
}

function tmp(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-logstore-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function collect(it: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of it) out.push(l);
  return out;
}

t.test('LineSplitter splits lines, strips \\r, keeps the partial last line for flush', async (t) => {
  const cases: Array<[string, string[]]> = [
    ['a\nb\n', ['a', 'b']],
    ['a\r\nb', ['a', 'b']],
    ['\n\n', ['', '']],
    ['', []],
    ['no newline', ['no newline']],
    ['héllo wörld ✓\n', ['héllo wörld ✓']],
  ];
  for (const [input, want] of cases) t.same(splitAll(input, []), want, JSON.stringify(input));
  const s = new LineSplitter();
  t.same(s.push('abc'), []);
  t.same(s.push('def\ngh'), ['abcdef']);
  t.same(s.flush(), ['gh']);
  t.same(s.flush(), [], 'flush twice gives nothing more');
});

t.test('LineSplitter splits lines longer than the maximum', async (t) => {
  t.same(splitAll('abcdefgh\nxy\n', [], 3), ['abc', 'def', 'gh', 'xy']);
  t.same(splitAll('abc\n', [], 3), ['abc'], 'a line of exactly max is one entry');
});

t.test('LineSplitter: the lines do not depend on how the bytes are chunked (property)', async () => {
  fc.assert(fc.property(
    fc.array(fc.oneof(fc.string(), fc.constantFrom('\n', '\r\n', 'é', '✓', '😀')), { maxLength: 30 }).map((a) => a.join('')),
    fc.array(fc.nat(), { maxLength: 10 }),
    fc.integer({ min: 1, max: 8 }),
    (input, cuts, max) => {
      const whole = splitAll(input, [], max);
      const chunked = splitAll(input, cuts, max);
      if (JSON.stringify(whole) !== JSON.stringify(chunked)) throw new Error(`${JSON.stringify(whole)} != ${JSON.stringify(chunked)}`);
    },
  ));
});

t.test('encode/parse round-trips any line (property)', async () => {
  fc.assert(fc.property(
    fc.array(fc.record({
      stream: fc.constantFrom<'stdout' | 'stderr'>('stdout', 'stderr'),
      time: fc.integer({ min: 0, max: 2 ** 45 }),
      text: fc.string({ unit: 'grapheme' }).map((s) => s.replace(/\n/g, '')),
    })),
    (lines) => {
      const key = (ls: LogLine[]) => JSON.stringify(ls.map((l) => [l.stream, l.time, l.text]));
      const back = parseLogLines(lines.map(encodeLogLine).join(''));
      if (key(back) !== key(lines)) throw new Error('round trip changed the lines');
    },
  ));
});

t.test('parseLogLines skips torn and malformed records', async (t) => {
  const good = encodeLogLine({ stream: 'stderr', time: 5, text: 'x' });
  const text = 'garbage\n' + good + '{"t":1,"s":"z","l":"bad stream"}\n' + '[1,2]\n' + '{"t":6,"s":"o","l":"to';
  t.same(parseLogLines(text), [{ stream: 'stderr', time: 5, text: 'x' }]);
});

t.test('selectLogLines applies since, then tail', async (t) => {
  const lines: LogLine[] = [1, 2, 3, 4, 5].map((n) => ({ stream: 'stdout', time: n * 10, text: `l${n}` }));
  const texts = (q: { since?: number; tail?: number }) => selectLogLines(lines, q).map((l) => l.text);
  const cases: Array<[{ since?: number; tail?: number }, string[]]> = [
    [{}, ['l1', 'l2', 'l3', 'l4', 'l5']],
    [{ tail: 2 }, ['l4', 'l5']],
    [{ tail: 0 }, []],
    [{ tail: -1 }, ['l1', 'l2', 'l3', 'l4', 'l5']],
    [{ tail: 99 }, ['l1', 'l2', 'l3', 'l4', 'l5']],
    [{ since: 30 }, ['l3', 'l4', 'l5']],
    [{ since: 31 }, ['l4', 'l5']],
    [{ since: 20, tail: 1 }, ['l5']],
    [{ since: 1000 }, []],
  ];
  for (const [q, want] of cases) t.same(texts(q), want, JSON.stringify(q));
});

t.test('LogStore writes lines with the clock time and stream, and reads them back', async (t) => {
  const dir = tmp(t);
  const clock = new FakeClock(1000);
  const store = new LogStore({ dir, clock });
  const w = store.writer('task1');
  w.write('stdout', 'one\ntw');
  clock.advance(5);
  w.write('stderr', Buffer.from('err\n'));
  w.write('stdout', 'o\n');
  w.write('stdout', 'partial');
  t.ok(store.isOpen('task1'));
  w.end();
  t.notOk(store.isOpen('task1'));
  w.write('stdout', 'after end\n');
  const lines = await collect(store.read('task1', {}));
  t.same(lines, [
    { stream: 'stdout', time: 1000, text: 'one' },
    { stream: 'stderr', time: 1005, text: 'err' },
    { stream: 'stdout', time: 1005, text: 'two' },
    { stream: 'stdout', time: 1005, text: 'partial' },
  ]);
  const again = new LogStore({ dir, clock });
  t.same(await collect(again.read('task1', { tail: 1 })), [lines[3]], 'a new store on the same dir reads old logs');
  t.same(await collect(again.read('unknown', { follow: true })), [], 'unknown task yields nothing');
});

t.test('LogStore rotation keeps disk use bounded and the newest lines readable', async (t) => {
  const dir = tmp(t);
  const maxBytes = 1000;
  const store = new LogStore({ dir, clock: new FakeClock(), maxBytes });
  const w = store.writer('rot');
  for (let i = 0; i < 500; i++) {
    w.write('stdout', `line ${i}\n`);
    t.ok(statSync(join(dir, 'rot.log')).size <= maxBytes, 'current file within max') || t.bailout();
  }
  w.end();
  t.ok(statSync(join(dir, 'rot.log.1')).size <= maxBytes, 'rotated file within max');
  const lines = (await collect(store.read('rot', {}))).map((l) => Number(l.text.split(' ')[1]));
  t.equal(lines.at(-1), 499, 'newest line kept');
  t.ok(lines.length > 20 && lines.length < 500, `kept ${lines.length} lines`);
  t.same(lines, lines.map((_, i) => lines[0]! + i), 'lines are consecutive across the two files');
  await store.remove('rot');
  t.same(await collect(store.read('rot', {})), [], 'remove deletes the files');
});

t.test('LogStore follow yields new lines until the writer ends', async (t) => {
  const dir = tmp(t);
  const store = new LogStore({ dir, clock: new FakeClock() });
  const w = store.writer('f');
  w.write('stdout', 'old1\nold2\n');
  const it = store.read('f', { follow: true, tail: 1 })[Symbol.asyncIterator]();
  t.equal((await it.next()).value?.text, 'old2');
  const pending = it.next();
  w.write('stderr', 'new\n');
  t.same((await pending).value, { stream: 'stderr', time: new FakeClock().now(), text: 'new' });
  w.write('stdout', 'last');
  w.end();
  t.equal((await it.next()).value?.text, 'last', 'partial line flushed at end');
  t.equal((await it.next()).done, true, 'follow ends with the writer');
});

t.test('LogStore follow stops when the signal aborts', async (t) => {
  const store = new LogStore({ dir: tmp(t), clock: new FakeClock() });
  const w = store.writer('a');
  const ac = new AbortController();
  const it = store.read('a', { follow: true, signal: ac.signal })[Symbol.asyncIterator]();
  const pending = it.next();
  ac.abort();
  t.equal((await pending).done, true);
  w.end();
});

t.test('LogStore rejects task IDs that are not plain names', async (t) => {
  const store = new LogStore({ dir: tmp(t), clock: new FakeClock() });
  for (const bad of ['../x', 'a/b', '', '..', '.hidden']) {
    await t.rejects(collect(store.read(bad, {})), { code: 'invalid_argument' }, JSON.stringify(bad));
  }
});

t.test('LogStore tolerates a torn last record left by a crash', async (t) => {
  const dir = tmp(t);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'c.log'), encodeLogLine({ stream: 'stdout', time: 1, text: 'ok' }) + '{"t":2,"s":"o","l":"tor');
  const store = new LogStore({ dir, clock: new FakeClock() });
  t.same((await collect(store.read('c', {}))).map((l) => l.text), ['ok']);
});

t.test('following N logs with one signal adds one abort listener, not N; none is left once they end', async (t) => {
  const store = new LogStore({ dir: tmp(t), clock: new FakeClock() });
  const warnings: string[] = [];
  const onWarning = (w: Error) => { if (w.name === 'MaxListenersExceededWarning') warnings.push(w.message); };
  process.on('warning', onWarning);
  t.teardown(() => { process.off('warning', onWarning); });
  const ac = new AbortController();
  const n = 50;
  const writers = Array.from({ length: n }, (_, i) => store.writer(`svc.${i}`));
  const its = writers.map((_, i) => store.read(`svc.${i}`, { follow: true, signal: ac.signal })[Symbol.asyncIterator]());
  const firsts = its.map((it) => it.next());
  await new Promise((r) => setImmediate(r));
  t.equal(getEventListeners(ac.signal, 'abort').length, 1, `${n} follows: one listener on the signal`);
  t.equal(store.abortSignalsWatched, 1);
  writers.forEach((w, i) => w.write('stdout', `line ${i}\n`));
  t.same((await Promise.all(firsts)).map((r) => r.value?.text), writers.map((_, i) => `line ${i}`), 'each follow got its own line');
  // Half end with their writers, the rest with the signal: nothing is left listening.
  for (const w of writers.slice(0, n / 2)) w.end();
  t.same((await Promise.all(its.slice(0, n / 2).map((it) => it.next()))).map((r) => r.done), Array(n / 2).fill(true));
  t.equal(getEventListeners(ac.signal, 'abort').length, 1, 'still one while some follow');
  const rest = its.slice(n / 2).map((it) => it.next());
  ac.abort();
  t.same((await Promise.all(rest)).map((r) => r.done), Array(n / 2).fill(true), 'the abort ends the others');
  t.equal(getEventListeners(ac.signal, 'abort').length, 0);
  t.equal(store.abortSignalsWatched, 0);
  for (const w of writers) w.end();

  // Repeated follows that end on their own (a long `service logs -f` over restarting tasks) leave nothing behind.
  const ac2 = new AbortController();
  for (let round = 0; round < 30; round++) {
    const w = store.writer(`again.${round}`);
    const it = store.read(`again.${round}`, { follow: true, signal: ac2.signal })[Symbol.asyncIterator]();
    const next = it.next();
    w.end();
    t.equal((await next).done, true);
  }
  t.equal(getEventListeners(ac2.signal, 'abort').length, 0, '30 finished follows: no listener left');
  // A consumer that stops early (return) unsubscribes too.
  const w = store.writer('early');
  w.write('stdout', 'x\n');
  for await (const _line of store.read('early', { follow: true, signal: ac2.signal })) break;
  t.equal(getEventListeners(ac2.signal, 'abort').length, 0, 'a follow left early: no listener left');
  w.end();
  t.same(warnings, [], 'no MaxListenersExceededWarning');
});
