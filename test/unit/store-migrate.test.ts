/**
 * Objects stored by earlier versions are migrated as the store loads: `ContainerSpec.HealthCheck`
 * (swarmlet's old key) becomes Docker's `Healthcheck`, in journal records and snapshots alike.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../lib/clock.js';
import { FileJournal } from '../../lib/store/file-journal.js';
import { MemoryStore } from '../../lib/store/memory-store.js';
import { migrateObject } from '../../lib/store/migrate-objects.js';
import { svc, tsk } from '../fixtures/store-objects.js';

const HC = { Test: ['CMD', 'true'], Interval: 1e9, Retries: 3 };
const oldSpec = { ContainerSpec: { Image: 'whoami:1', HealthCheck: HC } };

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-migrate-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function oldService(id: string) {
  const s = svc(id);
  return { ...s, Spec: { ...s.Spec, TaskTemplate: oldSpec }, PreviousSpec: { ...s.Spec, TaskTemplate: oldSpec } };
}

const oldTask = (id: string) => ({ ...tsk(id, 'a', 'n1'), Spec: { $spec: 0 } });

t.test('a journal written in the old shape loads with Healthcheck, shared task specs stay shared', async (t) => {
  const dir = tempDir(t);
  const lines = [
    // the array record of the oldest journals, then an interned record as written before the rename
    JSON.stringify([{ op: 'put', kind: 'service', id: 'a', object: oldService('a'), version: 1 }]),
    JSON.stringify({ s: [oldSpec], o: [
      { op: 'put', kind: 'task', id: 't1', object: oldTask('t1'), version: 2 },
      { op: 'put', kind: 'task', id: 't2', object: oldTask('t2'), version: 3 },
    ] }),
  ];
  writeFileSync(join(dir, 'journal.jsonl'), lines.join('\n') + '\n');
  const store = new MemoryStore({ clock: new FakeClock(), journal: new FileJournal({ dir }) });
  t.teardown(() => store.close());
  const s = store.view((tx) => tx.getService('a'))!;
  t.same(s.Spec.TaskTemplate.ContainerSpec.Healthcheck, HC, 'the service spec has Docker\'s key');
  t.notOk('HealthCheck' in s.Spec.TaskTemplate.ContainerSpec, 'the old key is gone');
  t.same(s.PreviousSpec!.TaskTemplate.ContainerSpec.Healthcheck, HC, 'PreviousSpec too');
  const [t1, t2] = store.view((tx) => [tx.getTask('t1')!, tx.getTask('t2')!]);
  t.same(t1.Spec.ContainerSpec.Healthcheck, HC, 'a task spec too');
  t.notOk('HealthCheck' in t1.Spec.ContainerSpec);
  t.equal(t1.Spec, t2.Spec, 'tasks that shared a spec on disk share the migrated one');
  t.equal(store.view((tx) => tx.index()), 3, 'the version counter as written');
});

t.test('a snapshot in the old shape loads migrated; the next snapshot is written in the new shape', async (t) => {
  const dir = tempDir(t);
  const snap = [
    JSON.stringify({ version: 5, format: 2 }),
    JSON.stringify({ k: 'services', v: oldService('a') }),
    JSON.stringify({ k: '$spec', i: 0, v: oldSpec }),
    JSON.stringify({ k: 'tasks', v: oldTask('t1') }),
  ];
  writeFileSync(join(dir, 'snapshot.jsonl'), snap.join('\n') + '\n');
  const a = new MemoryStore({ clock: new FakeClock(), journal: new FileJournal({ dir }) });
  t.same(a.view((tx) => tx.getService('a'))!.Spec.TaskTemplate.ContainerSpec.Healthcheck, HC);
  t.same(a.view((tx) => tx.getTask('t1'))!.Spec.ContainerSpec.Healthcheck, HC);
  a.close(); // writes a snapshot of what is in memory
  const b = new MemoryStore({ clock: new FakeClock(), journal: new FileJournal({ dir }) });
  t.teardown(() => b.close());
  t.same(b.view((tx) => tx.getService('a'))!.Spec.TaskTemplate.ContainerSpec, { Image: 'whoami:1', Healthcheck: HC });
});

t.test('migrateObject: nothing to do gives the same object; both keys keep Docker\'s', async (t) => {
  const current = svc('x');
  t.equal(migrateObject('service', current), current, 'a current service is returned as is');
  const task = tsk('t', 'x', 'n');
  t.equal(migrateObject('task', task), task);
  const node = { ID: 'n', Spec: { ContainerSpec: { HealthCheck: HC } } };
  t.equal(migrateObject('node', node), node, 'other kinds are untouched');
  const both = { ...svc('y'), Spec: { ...svc('y').Spec, TaskTemplate: { ContainerSpec: { Image: 'i', HealthCheck: { Test: ['NONE'] }, Healthcheck: HC } } } };
  const out = migrateObject('service', both) as typeof both;
  t.same(out.Spec.TaskTemplate.ContainerSpec, { Image: 'i', Healthcheck: HC });
  t.not(out, both, 'a copy');
  t.ok('HealthCheck' in both.Spec.TaskTemplate.ContainerSpec, 'the input is not mutated');
});
