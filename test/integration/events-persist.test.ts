/** Events survive a manager restart: the event log is kept in the data directory and replayed. */
import t from 'tap';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCluster } from '../../lib/cluster/create-cluster.js';
import { events } from '../../lib/events/events.js';
import { EventFile } from '../../lib/events/event-file.js';
import { EventLog } from '../../lib/events/event-log.js';
import type { EventMessage } from '../../lib/events/event-message.js';
import { FakeClock } from '../../lib/clock.js';

async function replay(source: Parameters<typeof events>[0], since: string): Promise<EventMessage[]> {
  const ac = new AbortController();
  const out: EventMessage[] = [];
  const it = events(source, { since, until: String(Math.ceil(Date.now() / 1000) + 1), signal: ac.signal });
  for await (const e of it) out.push(e);
  return out;
}

t.test('events from before a restart are replayed after it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-evp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const opts = { nodes: 1, addresses: ['127.0.0.175'], dataDir: dir, gateway: false as const };
  const first = await createCluster(opts);
  const started = String(Math.floor(Date.now() / 1000) - 1);
  await first.createService({ name: 'ev1', image: 'whoami', replicas: 1 });
  const before = await replay(first, started);
  t.ok(before.some((e) => e.Type === 'service' && e.Action === 'create' && e.Actor.Attributes.name === 'ev1'), 'the create is in the live log');
  await first.close();

  const second = await createCluster(opts);
  t.teardown(() => second.close());
  const after = await replay(second, started);
  const create = after.find((e) => e.Type === 'service' && e.Action === 'create' && e.Actor.Attributes.name === 'ev1');
  t.ok(create, 'the create from before the restart is replayed');
  t.same(create, before.find((e) => e.Type === 'service' && e.Action === 'create'), 'unchanged, timeNano included');
  await second.createService({ name: 'ev2', image: 'whoami', replicas: 1 });
  const later = await replay(second, started);
  const times = later.map((e) => e.timeNano);
  t.ok(times.every((x, i) => i === 0 || times[i - 1]! < x), 'timeNano keeps increasing across the restart');
  t.ok(later.some((e) => e.Actor.Attributes.name === 'ev2'), 'new events follow');
});

t.test('event file: a torn last line is skipped; the file is compacted past twice the capacity', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-evf-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'events.jsonl');
  const clock = new FakeClock();
  const log = new EventLog({ clock, capacity: 5, file: new EventFile(path, 5) });
  for (let i = 0; i < 12; i++) {
    clock.advance(1000);
    log.append([{ Type: 'service', Action: 'create', Actor: { ID: `s${i}`, Attributes: { name: `s${i}` } }, scope: 'swarm' }]);
  }
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  t.ok(lines.length <= 10, `compacted: ${lines.length} lines for capacity 5`);
  appendFileSync(path, '{"Type":"service","Action":"cre');
  const again = new EventLog({ clock, capacity: 5, file: new EventFile(path, 5) });
  t.same(again.replay({}).map((e) => e.Actor.ID), ['s7', 's8', 's9', 's10', 's11'], 'the newest 5, the torn line skipped');
  t.equal(again.lastTimeNano, log.lastTimeNano, 'continues after the last recorded time');
  again.append([{ Type: 'service', Action: 'remove', Actor: { ID: 's12', Attributes: {} }, scope: 'swarm' }]);
  const third = new EventLog({ clock, capacity: 5, file: new EventFile(path, 5) });
  t.same(third.replay({}).map((e) => e.Actor.ID), ['s8', 's9', 's10', 's11', 's12'], 'an event appended after a torn line is kept');
});
