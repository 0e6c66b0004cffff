/**
 * The etcd store against the file journal (issue 17), printed and not asserted.
 *
 *   1. task writes per second: one task per commit, each acknowledged (durable) before the next;
 *      10,000 one-task commits in a row, then durable (coalesced into transactions of ≤128 ops);
 *      10,000 tasks in commits of 1,000.
 *   2. a 10,000-replica service placed by the real Manager loops (orchestrator, scheduler) on 100
 *      simulated nodes: time until every task is assigned in memory, until all of it is durable, and
 *      (etcd) until a follower manager's mirror shows every task assigned.
 *
 * etcd: a 3-member cluster on loopback (Debian's etcd-server, the test fixture's settings), data on
 * tmpfs or disk as tmpdir() is; the file journal fsyncs every commit in tmpdir() too.
 *
 *   node --import tsx perf/etcd-store.ts [--json] [--quick] [--replicas 10000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../lib/clock.js';
import { openEtcdBackend } from '../lib/ha/etcd-backend.js';
import type { HaBackend } from '../lib/ha/ha-types.js';
import { randomIds } from '../lib/ids.js';
import { createControl } from '../lib/manager/create-control.js';
import { Manager } from '../lib/manager/manager.js';
import type { Node, Task } from '../lib/model/types.js';
import { FileJournal } from '../lib/store/file-journal.js';
import { MemoryStore } from '../lib/store/memory-store.js';
import type { Store } from '../lib/store/store.js';
import { etcdMissing, startEtcdCluster, type EtcdCluster } from '../test/fixtures/etcd-cluster.js';
import { parseArgs } from './lib/args.js';
import { Report } from './lib/report.js';

const args = parseArgs();
const report = new Report('etcd-store');
const clock = systemClock();
const REPLICAS = args.num('replicas', args.quick ? 2000 : 10_000);
const SEQUENTIAL = args.quick ? 100 : 300;
const PIPELINED = args.quick ? 2000 : 10_000;
const NODES = 100;
const TS = new Date().toISOString();

interface Backend { name: string; store: Store; durable(): Promise<void>; close(): Promise<void> }

function task(i: number, tag: string): Task {
  return {
    ID: `${tag}-task-${String(i).padStart(6, '0')}`, Version: { Index: 0 }, CreatedAt: TS, UpdatedAt: TS,
    Spec: { ContainerSpec: { Image: 'whoami:latest', Env: ['A=1', 'B=2'] }, Resources: {} },
    ServiceID: `${tag}-svc`, Slot: i + 1, NodeID: '', Status: { Timestamp: TS, State: 'pending', Message: 'pending task scheduling' },
    DesiredState: 'running', SpecVersion: { Index: 1 },
  };
}

function simNodes(n: number): Node[] {
  return Array.from({ length: n }, (_, i) => ({
    ID: `simnode${String(i).padStart(18, '0')}`, Version: { Index: 0 }, CreatedAt: TS, UpdatedAt: TS,
    Spec: { Role: 'worker', Availability: 'active', Labels: {} },
    Description: { Hostname: `sim-${i + 1}`, Platform: { OS: 'linux', Architecture: 'x86_64' }, Resources: { NanoCPUs: 64e9, MemoryBytes: 256 * 1024 ** 3 } },
    Status: { State: 'ready', Addr: '127.0.0.1' },
  }));
}

async function waitFor(done: () => boolean, deadlineMs: number, everyMs = 20): Promise<number | null> {
  const t0 = performance.now();
  while (performance.now() - t0 < deadlineMs) {
    if (done()) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return null;
}

function journalBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-perf-journal-'));
  const journal = new FileJournal({ dir });
  const store = new MemoryStore({ clock, journal });
  return {
    name: 'file journal', store, durable: async () => {},
    async close() { await journal.flush(); store.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

let prefixes = 0;
async function etcdBackend(etcd: EtcdCluster, id = 'perf-1', prefix = `/perf-${process.pid}-${++prefixes}`): Promise<Backend & { ha: HaBackend; prefix: string }> {
  const ha = await openEtcdBackend({ endpoints: etcd.endpoints, prefix, self: { id, addr: `http://${id}.perf:2377` }, clock });
  if (id === 'perf-1' && (await waitFor(() => ha.election.isLeader(), 15_000)) === null) throw new Error('the etcd backend did not lead');
  return { name: 'etcd', store: ha.store, durable: () => ha.store.durable(), close: () => ha.close(), ha, prefix };
}

async function writesPerSecond(b: Backend): Promise<void> {
  const tag = b.name === 'etcd' ? 'e' : 'j';
  let t0 = performance.now();
  for (let i = 0; i < SEQUENTIAL; i++) {
    b.store.update((tx) => tx.putTask(task(i, `${tag}seq`)));
    await b.durable();
  }
  report.figure(`${tag}_sequential_per_s`, `${b.name}: one task per commit, each acknowledged`, SEQUENTIAL / ((performance.now() - t0) / 1000), 'writes/s', { digits: 3 });
  t0 = performance.now();
  for (let i = 0; i < PIPELINED; i++) b.store.update((tx) => tx.putTask(task(i, `${tag}pipe`)));
  const inMemory = performance.now() - t0;
  await b.durable();
  report.figure(`${tag}_pipelined_per_s`, `${b.name}: ${PIPELINED} one-task commits, then durable`, PIPELINED / ((performance.now() - t0) / 1000), 'tasks/s', { digits: 3 });
  report.figure(`${tag}_pipelined_commit_ms`, `${b.name}: … of which the commits themselves`, inMemory, 'ms');
  t0 = performance.now();
  for (let i = 0; i < PIPELINED; i += 1000) {
    b.store.update((tx) => { for (let k = i; k < Math.min(PIPELINED, i + 1000); k++) tx.putTask(task(k, `${tag}batch`)); });
  }
  await b.durable();
  report.figure(`${tag}_batched_per_s`, `${b.name}: ${PIPELINED} tasks in commits of 1,000, then durable`, PIPELINED / ((performance.now() - t0) / 1000), 'tasks/s', { digits: 3 });
}

/** The real Manager places a REPLICAS-replica service; simulated nodes only (no task processes, no reports). */
async function place(b: Backend, follower?: Backend): Promise<void> {
  const tag = b.name === 'etcd' ? 'e' : 'j';
  const ids = randomIds();
  b.store.update((tx) => { for (const n of simNodes(NODES)) tx.putNode(n); });
  await b.durable();
  const manager = new Manager({ store: b.store, clock, ids });
  const control = createControl({
    store: b.store, clock, ids, clusterId: 'perf', createdAt: TS, selfNodeId: () => '',
    logs: () => (async function* () { /* no logs */ })(), checkImage: () => {}, maxReplicas: 1_000_000,
  });
  manager.start();
  const t0 = performance.now();
  const { ID } = control.createService({ Name: 'big', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: REPLICAS } } });
  const assignedIn = (s: Store) => s.view((tx) => { let n = 0; for (const t of tx.tasksOfService(ID)) if (t.NodeID !== '') n++; return n; });
  const assigned = await waitFor(() => assignedIn(b.store) === REPLICAS, 120_000, 50);
  if (assigned === null) { report.notMeasured(`${tag}_place_assigned_s`, `${b.name}: ${REPLICAS} replicas assigned`, 's', 'not within 120 s'); manager.stop(); return; }
  report.figure(`${tag}_place_assigned_s`, `${b.name}: ${REPLICAS} replicas assigned (in memory)`, assigned / 1000, 's');
  await b.durable();
  report.figure(`${tag}_place_durable_s`, `${b.name}: … and all of it durable`, (performance.now() - t0) / 1000, 's');
  if (follower) {
    const seen = await waitFor(() => assignedIn(follower.store) === REPLICAS, 60_000, 50);
    if (seen !== null) report.figure(`${tag}_place_follower_s`, `${b.name}: … and every task assigned on a follower's mirror`, (performance.now() - t0) / 1000, 's');
    else report.notMeasured(`${tag}_place_follower_s`, `${b.name}: a follower's mirror`, 's', 'not within 60 s');
  }
  manager.stop();
}

async function main(): Promise<void> {
  report.note(`${SEQUENTIAL} acknowledged writes, ${PIPELINED} pipelined and batched, a ${REPLICAS}-replica service on ${NODES} simulated nodes`);
  report.heading('file journal (fsync per commit)');
  const j = journalBackend();
  await writesPerSecond(j);
  await j.close();
  const j2 = journalBackend();
  await place(j2);
  await j2.close();

  const missing = etcdMissing();
  report.heading('etcd (3 members on loopback, HTTP/JSON gateway, fenced transactions of ≤128 ops)');
  if (missing) {
    report.notMeasured('e_sequential_per_s', 'etcd', 'writes/s', missing);
    report.finish(args.json);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-perf-etcd-'));
  const etcd = await startEtcdCluster({ members: 3, baseDir: dir });
  try {
    const e = await etcdBackend(etcd);
    await writesPerSecond(e);
    await e.close();
    const leader = await etcdBackend(etcd);
    const follower = await etcdBackend(etcd, 'perf-2', leader.prefix);
    await place(leader, follower);
    await follower.close();
    await leader.close();
  } finally {
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  report.finish(args.json);
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
