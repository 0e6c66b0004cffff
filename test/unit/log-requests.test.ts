import t from 'tap';
import { LogsUnavailable } from '../../lib/manager/incomplete-logs.js';
import { PassThrough } from 'node:stream';
import { getEventListeners } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { FakeClock } from '../../lib/clock.js';
import { sequentialIds } from '../../lib/ids.js';
import { LogRequests } from '../../lib/dispatcher/log-requests.js';
import type { LogRequest } from '../../lib/protocol/session.js';
import type { LogLine } from '../../lib/agent/task-driver.js';

const upload = () => new PassThrough() as unknown as IncomingMessage & PassThrough;
const line = (text: string, time = 1): string => `${JSON.stringify({ stream: 'stdout', time, text })}\n`;

async function drain(it: AsyncIterable<LogLine>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of it) out.push(l.text);
  return out;
}

t.test('the request goes down the session; the node\'s upload becomes the lines', async (t) => {
  const lr = new LogRequests({ clock: new FakeClock(), ids: sequentialIds('r') });
  const sent: LogRequest[] = [];
  const reading = drain(lr.read('n1', 'task1', { tail: 5, follow: true }, (r) => { sent.push(r); return true; }));
  await new Promise((r) => setImmediate(r));
  t.match(sent, [{ TaskID: 'task1', Tail: 5, Follow: true }]);
  t.equal(await lr.accept('n2', sent[0]!.ID, upload()), false, 'another node cannot answer it');
  t.equal(await lr.accept('n1', 'nope', upload()), false, 'an unknown request is refused');
  const up = upload();
  const accepted = lr.accept('n1', sent[0]!.ID, up);
  // a line split across chunks, a torn line and an invalid one are handled
  const l1 = line('one');
  up.write(l1.slice(0, 7));
  up.write(l1.slice(7) + '{"torn"\n' + JSON.stringify({ stream: 'bad', time: 1, text: 'x' }) + '\n');
  up.end(line('two'));
  t.equal(await accepted, true);
  t.same(await reading, ['one', 'two']);
  t.equal(await lr.accept('n1', sent[0]!.ID, upload()), false, 'an ended request cannot be answered again');
});

t.test('no session: no line, LogsUnavailable at once', async (t) => {
  const lr = new LogRequests({ clock: new FakeClock(), ids: sequentialIds('r') });
  const got: unknown[] = [];
  const err = await (async () => { for await (const l of lr.read('n1', 'task1', {}, () => false)) got.push(l); })().then(() => undefined, (e: unknown) => e);
  t.same(got, []);
  t.ok(err instanceof LogsUnavailable, 'LogsUnavailable');
  t.equal((err as LogsUnavailable).message, 'node n1 is not available');
});

t.test('a node that never answers: the read ends after the answer timeout, as unavailable', async (t) => {
  const clock = new FakeClock();
  const lr = new LogRequests({ clock, ids: sequentialIds('r'), answerTimeoutMs: 5000 });
  let done = false;
  const reading = drain(lr.read('n1', 'task1', { follow: true }, () => true)).then(() => { done = true; return undefined; }, (e: unknown) => { done = true; return e; });
  await new Promise((r) => setImmediate(r));
  clock.advance(4999);
  await new Promise((r) => setImmediate(r));
  t.equal(done, false, 'still waiting before the timeout');
  clock.advance(1);
  const err = await reading;
  t.ok(err instanceof LogsUnavailable, 'LogsUnavailable, not an empty success');
  t.equal((err as Error).message, 'node n1 is not available');
});

t.test('the reader going away cuts the upload', async (t) => {
  const lr = new LogRequests({ clock: new FakeClock(), ids: sequentialIds('r') });
  const ac = new AbortController();
  let id = '';
  const it = lr.read('n1', 'task1', { follow: true, signal: ac.signal }, (r) => { id = r.ID; return true; });
  const got: string[] = [];
  const reading = (async () => { for await (const l of it) { got.push(l.text); ac.abort(); } })();
  await new Promise((r) => setImmediate(r));
  const up = upload();
  const accepted = lr.accept('n1', id, up);
  up.write(line('first'));
  await reading;
  t.same(got, ['first']);
  t.equal(await accepted, true, 'the upload ended');
  t.ok(up.destroyed, 'and was destroyed');
});

t.test('a slow reader pauses the upload and resumes it', async (t) => {
  const lr = new LogRequests({ clock: new FakeClock(), ids: sequentialIds('r') });
  let id = '';
  const it = lr.read('n1', 'task1', {}, (r) => { id = r.ID; return true; })[Symbol.asyncIterator]();
  const first = it.next();
  await new Promise((r) => setImmediate(r));
  const up = upload();
  const accepted = lr.accept('n1', id, up);
  up.write(Array.from({ length: 2500 }, (_, i) => line(`l${i}`)).join(''));
  await new Promise((r) => setImmediate(r));
  t.equal((await first).value?.text, 'l0');
  up.write(line('later'));
  await new Promise((r) => setImmediate(r));
  t.ok(up.readableLength > 0, 'above the high-water mark the upload is not read');
  let n = 1;
  while (up.readableLength > 0 && n < 2500) { await it.next(); n++; await new Promise((r) => setImmediate(r)); }
  t.ok(n >= 2500 - 200 && n < 2500, `read again once the reader caught up (${n} lines read)`);
  up.end();
  for (let r = await it.next(); !r.done; r = await it.next()) n++;
  t.equal(n, 2501, 'every line arrived');
  t.equal(await accepted, true);
});

t.test('reads of many tasks with one signal (a service followed) share one abort listener', async (t) => {
  const lr = new LogRequests({ clock: new FakeClock(), ids: sequentialIds('r') });
  const ac = new AbortController();
  const reads = Array.from({ length: 25 }, (_, i) => drain(lr.read('n1', `task${i}`, { follow: true, signal: ac.signal }, () => true)));
  await new Promise((r) => setImmediate(r));
  t.equal(getEventListeners(ac.signal, 'abort').length, 1, '25 reads: one listener');
  ac.abort();
  t.same(await Promise.all(reads), Array(25).fill([]), 'the abort ends every read');
  t.equal(getEventListeners(ac.signal, 'abort').length, 0, 'and leaves no listener');
  t.equal(lr.abortSignalsWatched, 0);
});
