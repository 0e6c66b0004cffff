import t from 'tap';
import fc from 'fast-check';
import { FakeClock, isoTime } from '../../lib/clock.js';
import { MemoryStore } from '../../lib/store/memory-store.js';
import type { ReadTx, StoreEvent } from '../../lib/store/store.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileJournal } from '../../lib/store/file-journal.js';
import { RecordingJournal, img, nd, svc, tsk } from '../fixtures/store-objects.js';
import { storeSuite } from '../fixtures/store-suite.js';

function fresh(journal?: RecordingJournal) {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock, ...(journal ? { journal } : {}) });
  const batches: StoreEvent[][] = [];
  store.watch((e) => batches.push(e));
  return { clock, store, batches };
}

/** Everything a reader can see, as plain data. */
function dump(tx: ReadTx) {
  const ids = (xs: Array<{ ID: string }>) => xs.map((x) => x.ID).sort();
  const byId = <T extends { ID: string }>(xs: T[]) => [...xs].sort((a, b) => a.ID.localeCompare(b.ID));
  return {
    index: tx.index(),
    services: byId(tx.listServices()),
    tasks: byId(tx.listTasks()),
    nodes: byId(tx.listNodes()),
    images: tx.listImages().sort((a, b) => a.Name.localeCompare(b.Name)),
    byService: { a: ids(tx.tasksOfService('a')), b: ids(tx.tasksOfService('b')) },
    byNode: { n1: ids(tx.tasksOfNode('n1')), n2: ids(tx.tasksOfNode('n2')) },
  };
}

function seed(store: MemoryStore) {
  store.update((tx) => {
    tx.putService(svc('a'));
    tx.putService(svc('b'));
    tx.putNode(nd('n1'));
    tx.putNode(nd('n2'));
    tx.putTask(tsk('t1', 'a', 'n1'));
    tx.putTask(tsk('t2', 'a', 'n2', 2));
    tx.putImage(img('app:1'));
  });
}

t.test('a callback that throws changes nothing: no state, no version, no event, no journal record', async (t) => {
  const journal = new RecordingJournal();
  const { store, batches } = fresh(journal);
  seed(store);
  const before = store.view(dump);
  const batchesBefore = batches.length;
  const records = journal.appended.length;
  t.throws(() => store.update((tx) => {
    tx.putService({ ...svc('c') });
    tx.putTask({ ...tx.getTask('t1')!, NodeID: 'n2', ServiceID: 'b' });
    tx.deleteTask('t2');
    tx.deleteNode('n1');
    tx.putImage(img('app:2'));
    tx.deleteService('a');
    tx.putTask(tsk('t3', 'b', 'n1'));
    throw new Error('boom');
  }), /boom/);
  t.same(store.view(dump), before, 'state, indexes and version are as before');
  t.equal(batches.length, batchesBefore, 'no event');
  t.equal(journal.appended.length, records, 'nothing journaled');
  const next = store.update((tx) => tx.putService(svc('c')));
  t.equal(next.Version.Index, before.index + 1, 'the version counter was rolled back too');
});

t.test('a journal that fails to append rolls the transaction back', async (t) => {
  const journal = new RecordingJournal();
  const { store, batches } = fresh(journal);
  seed(store);
  const before = store.view(dump);
  const n = batches.length;
  journal.failAppend = true;
  t.throws(() => store.update((tx) => { tx.putService(svc('c')); tx.deleteTask('t1'); }), /disk full/);
  t.same(store.view(dump), before);
  t.equal(batches.length, n, 'no event for a transaction that did not commit');
});

t.test('Version.Index strictly increases over any sequence of writes', async (t) => {
  const op = fc.oneof(
    fc.record({ k: fc.constant('putTask' as const), id: fc.constantFrom('t1', 't2', 't3'), node: fc.constantFrom('n1', 'n2', '') }),
    fc.record({ k: fc.constant('deleteTask' as const), id: fc.constantFrom('t1', 't2', 't3') }),
    fc.record({ k: fc.constant('putService' as const), id: fc.constantFrom('a', 'b') }),
  );
  fc.assert(fc.property(fc.array(fc.array(op, { maxLength: 4 }), { maxLength: 12 }), (txs) => {
    const { store } = fresh();
    let last = 0;
    for (const ops of txs) {
      store.update((tx) => {
        for (const o of ops) {
          if (o.k === 'putTask') { const v = tx.putTask(tsk(o.id, 'a', o.node)).Version.Index; if (v <= last) return false; last = v; }
          else if (o.k === 'putService') { const v = tx.putService(svc(o.id)).Version.Index; if (v <= last) return false; last = v; }
          else tx.deleteTask(o.id);
        }
        return true;
      });
      if (store.view((tx) => tx.index()) < last) return false;
    }
    return true;
  }));
});

t.test('indexes always agree with a full scan (property)', async (t) => {
  const op = fc.oneof(
    fc.record({ k: fc.constant('put' as const), id: fc.constantFrom('t1', 't2', 't3', 't4'), s: fc.constantFrom('a', 'b'), n: fc.constantFrom('n1', 'n2', '') }),
    fc.record({ k: fc.constant('del' as const), id: fc.constantFrom('t1', 't2', 't3', 't4') }),
  );
  fc.assert(fc.property(fc.array(fc.record({ ops: fc.array(op, { maxLength: 5 }), fail: fc.boolean() }), { maxLength: 15 }), (txs) => {
    const { store } = fresh();
    for (const { ops, fail } of txs) {
      try {
        store.update((tx) => {
          for (const o of ops) {
            if (o.k === 'put') tx.putTask(tsk(o.id, o.s, o.n));
            else tx.deleteTask(o.id);
          }
          if (fail) throw new Error('abort');
        });
      } catch { /* rolled back */ }
    }
    return store.view((tx) => {
      const all = tx.listTasks();
      for (const key of ['a', 'b']) {
        const want = all.filter((x) => x.ServiceID === key).map((x) => x.ID).sort();
        if (JSON.stringify(tx.tasksOfService(key).map((x) => x.ID).sort()) !== JSON.stringify(want)) return false;
      }
      for (const key of ['n1', 'n2']) {
        const want = all.filter((x) => x.NodeID === key).map((x) => x.ID).sort();
        if (JSON.stringify(tx.tasksOfNode(key).map((x) => x.ID).sort()) !== JSON.stringify(want)) return false;
      }
      return true;
    });
  }));
});

t.test('a failed snapshot after commit does not fail the committed update nor swallow its events', async (t) => {
  const journal = new RecordingJournal(undefined, 1);
  const { store, batches } = fresh(journal);
  journal.failSnapshot = true;
  let threw = false;
  try { store.update((tx) => tx.putNode(nd('n1'))); } catch { threw = true; }
  t.equal(journal.appended.length, 1, 'journaled: the change is durable');
  t.notOk(threw, 'update() does not report a failure for a durable change');
  t.equal(batches.length, 1, 'watchers got the batch');
});

t.test('an update nested in an update callback cannot rewind the version counter', async (t) => {
  const journal = new RecordingJournal();
  const { store } = fresh(journal);
  try {
    store.update((tx) => {
      tx.putNode(nd('outer'));
      store.update((tx2) => tx2.putNode(nd('inner')));
      throw new Error('outer fails');
    });
  } catch { /* expected */ }
  const versions = journal.appended.flat().map((o) => o.version);
  const next = (() => { try { return store.update((tx) => tx.putNode(nd('next'))).Version.Index; } catch { return undefined; } })();
  if (next !== undefined) versions.push(next);
  t.same(versions, [...versions].sort((a, b) => a - b), 'journaled versions never go backwards');
  t.equal(new Set(versions).size, versions.length, 'no Version.Index is used twice');
  t.ok(store.view((tx) => tx.listNodes().every((n) => n.Version.Index <= tx.index())), 'index() is at least every stored Version.Index');
});

t.test('close() writes a snapshot, closes the journal and refuses later writes', async (t) => {
  const journal = new RecordingJournal();
  const { store } = fresh(journal);
  seed(store);
  const got: number[] = [];
  store.watch((e) => got.push(e.length));
  store.close();
  t.equal(journal.snapshots.length, 1);
  t.equal(journal.snapshots[0]!.version, 7);
  t.same(journal.snapshots[0]!.tasks.map((x) => x.ID).sort(), ['t1', 't2']);
  t.same(journal.snapshots[0]!.images.map((x) => x.Name), ['app:1']);
  t.ok(journal.closed);
  t.throws(() => store.update((tx) => tx.putNode(nd('n3'))), /store is closed/);
  t.same(got, []);
  store.close();
  t.equal(journal.snapshots.length, 1, 'close is idempotent');
  t.equal(store.view((tx) => tx.listTasks().length), 2, 'reads still work');
});

t.test('a snapshot is taken after commit when the journal asks for one', async (t) => {
  const journal = new RecordingJournal(undefined, 2);
  const { store } = fresh(journal);
  store.update((tx) => tx.putNode(nd('n1')));
  t.equal(journal.snapshots.length, 0);
  store.update((tx) => tx.putNode(nd('n2')));
  t.equal(journal.snapshots.length, 1);
  t.same(journal.snapshots[0]!.nodes.map((n) => n.ID).sort(), ['n1', 'n2']);
  t.equal(journal.snapshots[0]!.version, 2);
});

t.test('restores a snapshot plus later batches, indexes and the version counter', async (t) => {
  const source = fresh(new RecordingJournal());
  seed(source.store);
  const snap = source.store.snapshot();
  const journal = new RecordingJournal({
    snapshot: snap,
    ops: [
      [{ op: 'put', kind: 'task', id: 't1', object: { ...snap.tasks.find((x) => x.ID === 't1')!, NodeID: 'n2', Version: { Index: 8 } }, version: 8 }],
      [{ op: 'delete', kind: 'task', id: 't2', version: 9 }, { op: 'delete', kind: 'image', id: 'app:1', version: 10 }],
    ],
  });
  const { store } = fresh(journal);
  t.equal(store.view((tx) => tx.index()), 10);
  t.same(store.view((tx) => tx.tasksOfNode('n2').map((x) => x.ID)), ['t1']);
  t.same(store.view((tx) => tx.tasksOfNode('n1')), []);
  t.same(store.view((tx) => tx.tasksOfService('a').map((x) => x.ID)), ['t1']);
  t.same(store.view((tx) => tx.listImages()), []);
  t.equal(store.update((tx) => tx.putNode(nd('n3'))).Version.Index, 11);
});

t.test('applyCommitted: changes committed elsewhere, one batch with only what changed; indexes and version follow', async (t) => {
  const { store, batches } = fresh();
  seed(store);
  const n = batches.length;
  const t1 = store.view((tx) => tx.getTask('t1')!);
  store.applyCommitted([
    { kind: 'task', id: 't1', object: { ...t1, NodeID: 'n2', Version: { Index: 9 } } },
    { kind: 'task', id: 't2' },
    { kind: 'service', id: 'a', object: structuredClone(store.view((tx) => tx.getService('a'))) }, // the same content
    { kind: 'node', id: 'n3', object: { ...nd('n3'), Version: { Index: 10 } } },
    { kind: 'node', id: 'gone' }, // deleting nothing
  ], 10);
  t.equal(batches.length, n + 1, 'one batch');
  t.same(batches.at(-1)!.map((e) => `${e.kind}:${e.action}:${e.id}`), ['task:update:t1', 'task:delete:t2', 'node:create:n3']);
  t.equal((batches.at(-1)![0]!.old as { NodeID: string }).NodeID, 'n1');
  t.same(store.view((tx) => tx.tasksOfNode('n2').map((x) => x.ID)), ['t1']);
  t.same(store.view((tx) => tx.tasksOfService('a').map((x) => x.ID)), ['t1']);
  t.equal(store.view((tx) => tx.index()), 10);
  store.applyCommitted([], 3);
  t.equal(store.view((tx) => tx.index()), 10, 'the version never moves backwards');
  t.equal(batches.length, n + 1, 'no change, no batch');
});

t.test('replaceWith: the state becomes the snapshot, events for the differences only', async (t) => {
  const { store, batches } = fresh();
  seed(store);
  const snap = structuredClone(store.snapshot());
  store.update((tx) => { tx.putService(svc('local')); tx.deleteTask('t2'); tx.putTask({ ...tx.getTask('t1')!, NodeID: 'n2' }); });
  const n = batches.length;
  store.replaceWith(snap);
  t.same(batches.slice(n).map((b) => b.map((e) => `${e.kind}:${e.action}:${e.id}`).sort()), [['service:delete:local', 'task:create:t2', 'task:update:t1']]);
  t.same(store.snapshot(), snap, 'the same objects and version');
  t.same(store.view((tx) => tx.tasksOfNode('n1').map((x) => x.ID)), ['t1'], 'indexes follow');
  store.replaceWith(structuredClone(snap));
  t.equal(batches.length, n + 1, 'replacing with an equal state emits nothing');
});

storeSuite(t, {
  name: 'memory',
  async open() {
    const clock = new FakeClock();
    return { store: new MemoryStore({ clock }), durable: async () => {}, now: () => clock.now(), advance: (ms) => clock.advance(ms) };
  },
});

storeSuite(t, {
  name: 'file journal',
  async open(tt) {
    const dir = mkdtempSync(join(tmpdir(), 'swarmlet-store-suite-'));
    tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const clock = new FakeClock();
    const openOn = () => new MemoryStore({ clock, journal: new FileJournal({ dir }) });
    return {
      store: openOn(), durable: async () => {}, now: () => clock.now(), advance: (ms) => clock.advance(ms),
      reopen: async () => openOn(), // the first one is not closed: as after a crash
    };
  },
});
