import t from 'tap';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../lib/clock.js';
import { FileJournal } from '../../lib/store/file-journal.js';
import type { JournalOp } from '../../lib/store/journal.js';
import { MemoryStore } from '../../lib/store/memory-store.js';
import type { ReadTx } from '../../lib/store/store.js';
import { RecordingLogger } from '../fixtures/recording-logger.js';
import { img, nd, svc, tsk } from '../fixtures/store-objects.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(dir: string, snapshotEvery?: number) {
  const logger = new RecordingLogger();
  const journal = new FileJournal({ dir, logger, ...(snapshotEvery !== undefined ? { snapshotEvery } : {}) });
  const store = new MemoryStore({ clock: new FakeClock(), journal });
  return { store, logger, journal };
}

function state(tx: ReadTx) {
  const sorted = <T extends { ID: string }>(xs: T[]) => [...xs].sort((a, b) => a.ID.localeCompare(b.ID));
  return {
    index: tx.index(),
    services: sorted(tx.listServices()),
    tasks: sorted(tx.listTasks()),
    nodes: sorted(tx.listNodes()),
    images: tx.listImages().sort((a, b) => a.Name.localeCompare(b.Name)),
    onN1: tx.tasksOfNode('n1').map((x) => x.ID).sort(),
    onN2: tx.tasksOfNode('n2').map((x) => x.ID).sort(),
    ofA: tx.tasksOfService('a').map((x) => x.ID).sort(),
  };
}

/** A little history: creates, updates (NodeID moves), deletes of every kind. */
function writeHistory(store: MemoryStore): void {
  store.update((tx) => { tx.putService(svc('a')); tx.putService(svc('b')); tx.putNode(nd('n1')); tx.putNode(nd('n2')); });
  store.update((tx) => { tx.putTask(tsk('t1', 'a', 'n1')); tx.putTask(tsk('t2', 'a', 'n1', 2)); tx.putImage(img('app:1')); });
  store.update((tx) => tx.putTask({ ...tx.getTask('t2')!, NodeID: 'n2' }));
  store.update((tx) => { tx.deleteService('b'); tx.putImage(img('app:2')); tx.deleteImage('app:1'); });
  store.update((tx) => tx.putTask(tsk('t3', 'a', 'n2', 3)));
  store.update((tx) => tx.deleteTask('t1'));
}

const journalLines = (dir: string) => readFileSync(join(dir, 'journal.jsonl'), 'utf8').split('\n').filter((l) => l !== '');

t.test('a store reopened on the same directory has the same objects, indexes and version counter', async (t) => {
  const dir = tempDir(t);
  const a = open(dir);
  writeHistory(a.store);
  const before = a.store.view(state);
  t.equal(journalLines(dir).length, 6, 'one journal line per transaction');
  // no close(): a crash, the journal alone must do
  const b = open(dir);
  t.same(b.store.view(state), before);
  t.same(b.logger.at('warn'), []);
  t.equal(b.store.update((tx) => tx.putNode(nd('n3'))).Version.Index, before.index + 1, 'the counter continues');
});

t.test('snapshot + later journal records replay to the same state', async (t) => {
  const dir = tempDir(t);
  const a = open(dir, 2);
  writeHistory(a.store);
  await a.journal.flush();
  t.ok(existsSync(join(dir, 'snapshot.jsonl')), 'a snapshot was taken');
  t.notOk(existsSync(join(dir, 'journal.old.jsonl')), 'the rotated journal is gone once the snapshot is durable');
  t.ok(journalLines(dir).length < 6, 'the journal holds only what came after the snapshot');
  a.store.update((tx) => tx.putTask({ ...tx.getTask('t3')!, NodeID: 'n1' }));
  await a.journal.flush();
  const before = a.store.view(state);
  a.journal.close(); // a crash: no snapshot at close
  const b = open(dir, 2);
  t.same(b.store.view(state), before);
  t.same(b.store.view((tx) => tx.tasksOfNode('n1').map((x) => x.ID)), ['t3']);
  b.store.update((tx) => tx.deleteTask('t3'));
  await b.journal.flush();
  const after = b.store.view(state);
  b.journal.close();
  const c = open(dir, 2);
  t.same(c.store.view(state), after);
});

t.test('a crash while a snapshot is written: the rotated journal still replays', async (t) => {
  const dir = tempDir(t);
  const a = open(dir, 2);
  writeHistory(a.store); // a snapshot starts at the second record and is never awaited
  const before = a.store.view(state);
  t.ok(existsSync(join(dir, 'journal.old.jsonl')), 'the journal was rotated for the snapshot');
  const b = open(dir, 1000);
  t.same(b.store.view(state), before);
  await a.journal.flush();
});

t.test('large journals are compacted by size, and task specs are written once', async (t) => {
  const dir = tempDir(t);
  const logger = new RecordingLogger();
  const journal = new FileJournal({ dir, logger, snapshotEvery: 1_000_000, snapshotBytes: 64 * 1024 });
  const store = new MemoryStore({ clock: new FakeClock(), journal });
  store.update((tx) => { tx.putService(svc('a')); tx.putNode(nd('n1')); });
  for (let batch = 0; batch < 20; batch++) {
    store.update((tx) => { for (let i = 0; i < 100; i++) tx.putTask(tsk(`t${batch}-${i}`, 'a', 'n1', batch * 100 + i + 1)); });
    await journal.flush();
  }
  const line = journalLines(dir).at(-1) ?? '';
  t.ok(line === '' || (line.match(/"ContainerSpec"/g) ?? []).length <= 1, 'one copy of the shared task spec per record');
  const size = readFileSync(join(dir, 'journal.jsonl')).length;
  t.ok(size < 200 * 1024, `the journal stays bounded (${size} bytes)`);
  const before = store.view(state);
  journal.close();
  const again = open(dir);
  t.same(again.store.view(state), before);
  const tasks = again.store.view((tx) => tx.listTasks());
  t.equal(tasks[0]!.Spec, tasks[1]!.Spec, 'loaded tasks share one spec object');
});

t.test('records already in the snapshot are not replayed again (crash between snapshot and truncation)', async (t) => {
  const dir = tempDir(t);
  const a = open(dir);
  writeHistory(a.store);
  const oldJournal = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
  a.store.update((tx) => tx.putTask({ ...tx.getTask('t2')!, NodeID: 'n1' }));
  const before = a.store.view(state);
  a.store.close();
  // the snapshot is complete, but the old journal lines came back (the truncation was lost)
  writeFileSync(join(dir, 'journal.jsonl'), oldJournal);
  const b = open(dir);
  t.same(b.store.view(state), before, 'the deleted task t1 does not come back, t2 stays on n1');
});

t.test('close() writes a snapshot and empties the journal', async (t) => {
  const dir = tempDir(t);
  const a = open(dir);
  writeHistory(a.store);
  const before = a.store.view(state);
  a.store.close();
  const snap = JSON.parse(readFileSync(join(dir, 'snapshot.jsonl'), 'utf8').split('\n')[0]!) as { version: number };
  t.equal(snap.version, before.index);
  t.same(journalLines(dir), []);
  t.notOk(existsSync(join(dir, 'snapshot.jsonl.tmp')), 'no temp file left behind');
  t.same(open(dir).store.view(state), before);
});

const torn: Array<[string, (dir: string) => void]> = [
  ['garbage without a newline', (dir) => appendFileSync(join(dir, 'journal.jsonl'), 'xx garbage')],
  ['half a JSON line', (dir) => {
    const op: JournalOp = { op: 'put', kind: 'node', id: 'n9', object: nd('n9'), version: 99 };
    appendFileSync(join(dir, 'journal.jsonl'), JSON.stringify([op]).slice(0, 40));
  }],
  ['a whole record whose newline did not make it', (dir) => {
    const op: JournalOp = { op: 'put', kind: 'node', id: 'n9', object: nd('n9'), version: 99 };
    appendFileSync(join(dir, 'journal.jsonl'), JSON.stringify([op]));
  }],
];

for (const [name, tear] of torn) {
  t.test(`a torn last journal line is dropped with a warning: ${name}`, async (t) => {
    const dir = tempDir(t);
    const a = open(dir);
    writeHistory(a.store);
    const before = a.store.view(state);
    tear(dir);
    const b = open(dir);
    t.same(b.store.view(state), before, 'every whole record is there, the torn one is not');
    const warns = b.logger.at('warn');
    t.equal(warns.length, 1, 'one warning');
    t.match(warns[0]!.msg, /torn/);
    t.match(warns[0]!.obj, { file: join(dir, 'journal.jsonl') });
    // keeps appending correctly after the truncation
    b.store.update((tx) => tx.putNode(nd('n3')));
    b.store.update((tx) => tx.deleteNode('n2'));
    const after = b.store.view(state);
    t.equal(after.index, before.index + 2);
    t.ok(journalLines(dir).every((l) => { try { JSON.parse(l); return true; } catch { return false; } }), 'the file is clean JSON lines');
    const c = open(dir);
    t.same(c.store.view(state), after);
    t.same(c.logger.at('warn'), [], 'no warning the next time');
  });
}

t.test('a corrupt record in the middle drops it and everything after, with a warning', async (t) => {
  const dir = tempDir(t);
  const a = open(dir);
  a.store.update((tx) => tx.putNode(nd('n1')));
  const first = a.store.view(state);
  a.store.update((tx) => tx.putNode(nd('n2')));
  a.store.update((tx) => tx.putNode(nd('n3')));
  const lines = journalLines(dir);
  writeFileSync(join(dir, 'journal.jsonl'), `${lines[0]}\n{not json\n${lines[2]}\n`);
  const b = open(dir);
  t.same(b.store.view(state), first);
  t.equal(b.logger.at('warn').length, 1);
});

t.test('an empty directory opens an empty store', async (t) => {
  const dir = join(tempDir(t), 'nested', 'store');
  const a = open(dir);
  t.equal(a.store.view((tx) => tx.index()), 0);
  t.same(a.store.view((tx) => tx.listServices()), []);
  a.store.update((tx) => tx.putService(svc('a')));
  t.equal(open(dir).store.view((tx) => tx.getService('a')?.Version.Index), 1);
});

t.test('opening a full journal (2000 records, the default snapshotEvery) is linear, not quadratic', async (t) => {
  const dir = tempDir(t);
  const pad = 'x'.repeat(1500);
  const lines: string[] = [];
  for (let i = 1; i <= 2000; i++) {
    const node = { ...nd(`n${i % 50}`), Spec: { Role: 'worker' as const, Availability: 'active' as const, Labels: { pad } } };
    lines.push(JSON.stringify([{ op: 'put', kind: 'node', id: node.ID, object: { ...node, Version: { Index: i } }, version: i }]));
  }
  writeFileSync(join(dir, 'journal.jsonl'), lines.join('\n') + '\n');
  const started = process.hrtime.bigint();
  const { store } = open(dir);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.equal(store.view((tx) => tx.index()), 2000);
  t.ok(ms < 400, `opened in ${Math.round(ms)} ms (a linear scan takes a few tens of ms)`);
});
