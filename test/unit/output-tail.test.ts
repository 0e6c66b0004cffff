import t, { type Test } from 'tap';
import { appendFileSync, closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogLine } from '../../lib/agent/task-driver.js';
import { FakeClock } from '../../lib/clock.js';
import { LogStore } from '../../lib/drivers/log-store.js';
import { OutputTail, openTaskOutput } from '../../lib/drivers/output-tail.js';
import { silentLogger } from '../../lib/logger.js';

function setup(t: Test, bounds: { truncateBytes?: number; maxBytes?: number } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'swarmlet-tail-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'tasks', 'task1');
  mkdirSync(dir, { recursive: true });
  const clock = new FakeClock(1000);
  const store = new LogStore({ dir: join(root, 'logs'), clock });
  const tail = (writer = store.writer('task1')) => ({
    writer,
    tail: new OutputTail({ dir, log: writer, clock, logger: silentLogger(), ...bounds }),
  });
  const read = async (): Promise<LogLine[]> => {
    const out: LogLine[] = [];
    for await (const l of store.read('task1', {})) out.push(l);
    return out;
  };
  const texts = async () => (await read()).map((l) => `${l.stream}:${l.text}`);
  return { dir, clock, store, tail, read, texts, out: (s: string) => appendFileSync(join(dir, 'stdout'), s), err: (s: string) => appendFileSync(join(dir, 'stderr'), s) };
}

t.test('openTaskOutput creates both files for appending', async (t) => {
  const { dir } = setup(t);
  const fds = openTaskOutput(dir);
  writeSync(fds.stdout, 'a\n');
  writeSync(fds.stderr, 'b\n');
  fds.close();
  const again = openTaskOutput(dir);
  writeSync(again.stdout, 'c\n');
  again.close();
  t.equal(readFileSync(join(dir, 'stdout'), 'utf8'), 'a\nc\n');
  t.equal(readFileSync(join(dir, 'stderr'), 'utf8'), 'b\n');
});

t.test('drain moves new output into the log with the time of the read, each line once', async (t) => {
  const s = setup(t);
  const { tail, writer } = s.tail();
  s.out('one\ntw');
  s.err('e1\n');
  tail.drain();
  s.clock.advance(5);
  s.out('o\n');
  tail.drain();
  tail.drain();
  writer.end();
  t.same(await s.read(), [
    { stream: 'stdout', time: 1000, text: 'one' },
    { stream: 'stderr', time: 1000, text: 'e1' },
    { stream: 'stdout', time: 1005, text: 'two' },
  ]);
});

t.test('a tail started later continues after the last complete line the old one read', async (t) => {
  const s = setup(t);
  const first = s.tail();
  s.out('a\nb\npart');
  first.tail.drain(); // the old driver "dies" here: 'part' was only in its memory
  s.out('ial\nc\n');
  const second = s.tail();
  second.tail.drain();
  second.writer.end();
  t.same(await s.texts(), ['stdout:a', 'stdout:b', 'stdout:partial', 'stdout:c'], 'nothing lost, nothing repeated');
  t.same(JSON.parse(readFileSync(join(s.dir, 'offsets.json'), 'utf8')), { stdout: 'a\nb\npartial\nc\n'.length, stderr: 0 });
});

t.test('a raw file is truncated once read past truncateBytes when the task was quiet, or at maxBytes', async (t) => {
  const s = setup(t, { truncateBytes: 64, maxBytes: 256 });
  const { tail, writer } = s.tail();
  const fds = openTaskOutput(s.dir); // the "child": O_APPEND, so it writes at the new end after a truncate
  const size = () => statSync(join(s.dir, 'stdout')).size;
  for (let i = 0; i < 10; i++) writeSync(fds.stdout, `line ${i}\n`);
  tail.drain();
  t.equal(size(), 70, 'not truncated while the task is writing');
  tail.drain();
  t.equal(size(), 0, 'truncated at the next read that finds nothing new');
  for (let i = 10; i < 15; i++) writeSync(fds.stdout, `line ${i}\n`);
  tail.drain();
  tail.drain();
  t.equal(size(), 40, 'below truncateBytes: kept');
  for (let i = 15; i < 40; i++) {
    writeSync(fds.stdout, `line ${i}\n`);
    tail.drain(); // never quiet
    t.ok(size() < 256, 'the hard limit bounds a task that never pauses') || t.bailout();
  }
  fds.close();
  tail.stop();
  writer.end();
  t.same(await s.texts(), Array.from({ length: 40 }, (_, i) => `stdout:line ${i}`), 'every line once, in order');
});

t.test('a file shorter than the saved offset (truncated, offsets not saved) is read from the start', async (t) => {
  const s = setup(t);
  const first = s.tail();
  s.out('x'.repeat(50) + '\n');
  first.tail.drain();
  first.writer.end();
  const fd = openSync(join(s.dir, 'stdout'), 'r+');
  ftruncateSync(fd, 0);
  closeSync(fd);
  s.out('new\n');
  const second = s.tail();
  second.tail.drain();
  second.writer.end();
  t.same((await s.texts()).slice(1), ['stdout:new']);
});

t.test('start follows the files (fs.watch, debounced on the clock); stop reads the rest', async (t) => {
  const s = setup(t);
  const { tail, writer } = s.tail();
  s.out('before\n');
  tail.start();
  t.same(await s.texts(), ['stdout:before'], 'start reads what is there');
  s.out('watched\n');
  const deadline = Date.now() + 5000;
  while (s.clock.pending() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  s.clock.advance(20);
  t.same(await s.texts(), ['stdout:before', 'stdout:watched'], 'a change notification schedules a read');
  s.out('polled\n');
  s.clock.advance(1000);
  t.ok((await s.texts()).includes('stdout:polled'), 'the poll reads without notifications');
  s.out('last');
  tail.stop();
  t.equal(s.clock.pending(), 0, 'no timer left after stop');
  writer.end();
  t.equal((await s.texts()).at(-1), 'stdout:last', 'stop reads the rest; end flushes the partial line');
  t.ok(existsSync(join(s.dir, 'offsets.json')));
});
