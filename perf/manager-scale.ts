/**
 * Manager scale: the real manager (MemoryStore on the file journal, the Manager loops, the control
 * API over HTTP, all on the real clock) with simulated node agents in-process (a store watcher that
 * reports assigned tasks running and stopped tasks shut down, in batches; no task processes).
 *
 *   1. fits:        1,000 nodes, a 100,000-replica service: time until every task is assigned;
 *                   API latency (GET /_ping, /services) meanwhile.
 *   2. unplaceable: a fresh manager, 1,000 nodes, 100,000 replicas that fit no node
 *                   (node.labels.zone==mars): `service ls` / `service inspect` p99 over HTTP while
 *                   the tasks are created and after; CPU while nothing changes; data directory
 *                   size; a restart brings every task back and writes nothing.
 *   3. large:       5,000 nodes, 1,000 services × 1,000 replicas (1,000,000 tasks) running: 200
 *                   task failures one after another, each until its replacement is assigned (p99);
 *                   a one-service update until its first step starts.
 *
 *   node --import tsx perf/manager-scale.ts [--json] [--quick] [--nodes 1000] [--replicas 100000]
 *        [--large-nodes 5000] [--large-services 1000] [--large-per-service 1000] [--no-large]
 *        [--phase unplaceable|fits|large]
 * --quick: 20,000 replicas in 1-2, and 100 services × 1,000 on 1,000 nodes in 3.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent as UndiciAgent, request } from 'undici';
import { createApiServer, type ApiServer } from '../lib/api/server.js';
import { systemClock } from '../lib/clock.js';
import { randomIds } from '../lib/ids.js';
import { createControl, type ControlOptions } from '../lib/manager/create-control.js';
import type { Control } from '../lib/manager/control.js';
import { Manager } from '../lib/manager/manager.js';
import type { TaskReport } from '../lib/protocol/task-report.js';
import { isTerminal, stateRank } from '../lib/model/task-state.js';
import type { Node, Task } from '../lib/model/types.js';
import { FileJournal } from '../lib/store/file-journal.js';
import { MemoryStore } from '../lib/store/memory-store.js';
import type { Store } from '../lib/store/store.js';
import { parseArgs } from './lib/args.js';
import { quantile } from './lib/latency.js';
import { Report } from './lib/report.js';

const GiB = 1024 ** 3;
const args = parseArgs();
const quick = args.quick;
const NODES = args.num('nodes', 1000);
const REPLICAS = args.num('replicas', quick ? 20_000 : 100_000);
const LARGE_NODES = args.num('large-nodes', quick ? 1000 : 5000);
const LARGE_SERVICES = args.num('large-services', quick ? 100 : 1000);
const LARGE_PER_SERVICE = args.num('large-per-service', 1000);
const report = new Report('manager-scale');
const log = (l: string) => console.log(l);
const percentile = (xs: number[], p: number) => (xs.length === 0 ? NaN : quantile([...xs].sort((a, b) => a - b), p / 100));

interface Rig { dir: string; store: MemoryStore; journal: FileJournal; manager: Manager; control: Control; api: ApiServer; url: string; fleet: () => void }

function simNodes(n: number): Node[] {
  const ts = new Date().toISOString();
  return Array.from({ length: n }, (_, i) => ({
    ID: `simnode${String(i).padStart(18, '0')}`, Version: { Index: 0 }, CreatedAt: ts, UpdatedAt: ts,
    Spec: { Role: 'worker', Availability: 'active', Labels: { zone: ['a', 'b', 'c', 'd'][i % 4]! } },
    Description: { Hostname: `sim-${i + 1}`, Platform: { OS: 'linux', Architecture: 'x86_64' }, Resources: { NanoCPUs: 64e9, MemoryBytes: 256 * GiB } },
    Status: { State: 'ready', Addr: '127.0.0.1' },
  }));
}

/** Simulated agents: assigned tasks of sim nodes start running, stopped ones shut down; reported in batches. */
function simulateFleet(store: Store, manager: Manager): () => void {
  const due = new Map<string, { nodeId: string; taskId: string; report: TaskReport }>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const batch = [...due.values()];
    due.clear();
    for (let i = 0; i < batch.length; i += 1000) manager.applyReports(batch.slice(i, i + 1000));
  };
  return store.watch((events) => {
    for (const e of events) {
      if (e.kind !== 'task' || e.action === 'delete') continue;
      const t = e.object as Task;
      if (!t.NodeID) continue;
      if (t.DesiredState === 'running' && t.Status.State === 'assigned') {
        due.set(t.ID, { nodeId: t.NodeID, taskId: t.ID, report: { State: 'running', Endpoint: { Addr: '127.0.0.1', Port: 10000 } } });
      } else if (stateRank(t.DesiredState) > stateRank('running') && !isTerminal(t.Status.State)) {
        due.set(t.ID, { nodeId: t.NodeID, taskId: t.ID, report: { State: 'shutdown', Message: 'shutdown' } });
      } else continue;
      if (!scheduled) { scheduled = true; setImmediate(flush); }
    }
  });
}

async function startRig(nodes: number, dir = mkdtempSync(join(tmpdir(), 'swarmlet-mscale-'))): Promise<Rig> {
  const clock = systemClock();
  const ids = randomIds();
  const journal = new FileJournal({ dir: join(dir, 'store') });
  const store = new MemoryStore({ clock, journal });
  if (store.view((tx) => tx.listNodes().length) === 0) {
    const list = simNodes(nodes);
    store.update((tx) => { for (const n of list) tx.putNode(n); });
  }
  const manager = new Manager({ store, clock, ids });
  const opts: ControlOptions = {
    store, clock, ids, clusterId: 'perf', createdAt: new Date().toISOString(), selfNodeId: () => '',
    logs: () => (async function* () { /* no logs */ })(), checkImage: () => {}, maxReplicas: 1_000_000,
  };
  const control = createControl(opts);
  const api = createApiServer({ control });
  const bound = await api.listen('127.0.0.1', 0);
  const fleet = simulateFleet(store, manager);
  manager.start();
  return { dir, store, journal, manager, control, api, url: `http://127.0.0.1:${bound.port}`, fleet };
}

async function stopRig(r: Rig, keep = false): Promise<void> {
  r.manager.stop();
  r.fleet();
  await r.api.close();
  await r.journal.flush();
  r.store.close();
  if (!keep) rmSync(r.dir, { recursive: true, force: true });
}

const dispatcher = new UndiciAgent({ connections: 4 });
async function timedGet(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await request(url, { dispatcher });
  await res.body.dump();
  if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode}`);
  return performance.now() - t0;
}

/** Polls every `everyMs` until `done()` or the deadline; returns the elapsed ms or null. */
async function waitFor(done: () => boolean, deadlineMs: number, everyMs = 20): Promise<number | null> {
  const t0 = performance.now();
  while (performance.now() - t0 < deadlineMs) {
    if (done()) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return null;
}

/** Samples GET latencies of `paths` every `everyMs` until stopped. */
function probe(url: string, paths: string[], everyMs: number): { stop(): Promise<Map<string, number[]>> } {
  const samples = new Map(paths.map((p) => [p, [] as number[]]));
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const p of paths) samples.get(p)!.push(await timedGet(url + p));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return { async stop() { stopped = true; await loop; return samples; } };
}

const count = (store: Store, serviceId: string, pred: (t: Task) => boolean) =>
  store.view((tx) => { let n = 0; for (const t of tx.tasksOfService(serviceId)) if (pred(t)) n++; return n; });

const spec = (name: string, replicas: number, extra: Record<string, unknown> = {}) => ({
  Name: name, TaskTemplate: { ContainerSpec: { Image: 'whoami' }, ...extra }, Mode: { Replicated: { Replicas: replicas } },
});

function dirMiB(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]) / 1024 ** 2;
}

async function phaseFits(): Promise<void> {
  log(`\n1. fits: ${NODES} nodes, one service of ${REPLICAS} replicas`);
  const rig = await startRig(NODES);
  const p = probe(rig.url, ['/_ping', '/services'], 50);
  const t0 = performance.now();
  const { ID } = rig.control.createService(spec('big', REPLICAS));
  // Polled every 250 ms: counting 100,000 tasks more often would load the manager being measured.
  const assigned = await waitFor(() => count(rig.store, ID, (t) => t.NodeID !== '') === REPLICAS, 120_000, 250);
  const running = await waitFor(() => count(rig.store, ID, (t) => t.Status.State === 'running') === REPLICAS, 120_000, 250);
  const lat = await p.stop();
  report.figure('fits_all_assigned_s', `${REPLICAS} replicas: every task assigned`, assigned === null ? 'not within 120 s' : assigned / 1000, 's', { target: { op: '<=', value: 10 } });
  if (running !== null) report.figure('fits_all_running_s', '… and reported running by the simulated nodes', (performance.now() - t0) / 1000, 's');
  report.figure('fits_ping_p99_ms', 'GET /_ping p99 meanwhile', percentile(lat.get('/_ping')!, 99), 'ms');
  report.figure('fits_ls_p99_ms', 'GET /services (service ls) p99 meanwhile', percentile(lat.get('/services')!, 99), 'ms');
  await stopRig(rig);
}

async function phaseUnplaceable(): Promise<void> {
  log(`\n2. unplaceable: ${NODES} nodes, ${REPLICAS} replicas constrained to node.labels.zone==mars`);
  const rig = await startRig(NODES);
  const p = probe(rig.url, ['/_ping', '/services', '/services/huge'], 20);
  const t0 = performance.now();
  const { ID } = rig.control.createService(spec('huge', REPLICAS, { Placement: { Constraints: ['node.labels.zone==mars'] } }));
  const settled = await waitFor(() => {
    const b = rig.manager.backlog();
    return b.dirtyServices === 0 && b.readyTasks === 0 && b.parkedTasks === REPLICAS;
  }, 300_000, 250);
  const during = await p.stop();
  report.figure('unplaceable_settled_s', `${REPLICAS} tasks created and parked (no suitable node)`, settled === null ? 'not within 300 s' : (performance.now() - t0) / 1000, 's');
  report.figure('unplaceable_ls_during_p99_ms', 'service ls p99 while they are created', percentile(during.get('/services')!, 99), 'ms', { target: { op: '<=', value: 100 } });
  report.figure('unplaceable_inspect_during_p99_ms', 'service inspect p99 while they are created', percentile(during.get('/services/huge')!, 99), 'ms', { target: { op: '<=', value: 100 } });
  report.figure('unplaceable_ping_during_p99_ms', '/_ping p99 while they are created', percentile(during.get('/_ping')!, 99), 'ms');
  await rig.journal.flush();
  const ls: number[] = [];
  const inspect: number[] = [];
  for (let i = 0; i < 200; i++) { ls.push(await timedGet(`${rig.url}/services`)); inspect.push(await timedGet(`${rig.url}/services/huge`)); }
  report.figure('unplaceable_ls_p99_ms', 'service ls p99 (200 requests, settled)', percentile(ls, 99), 'ms', { target: { op: '<=', value: 100 } });
  report.figure('unplaceable_inspect_p99_ms', 'service inspect p99 (200 requests, settled)', percentile(inspect, 99), 'ms', { target: { op: '<=', value: 100 } });
  const passes = rig.manager.passCount;
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, 10_000));
  const cpu = process.cpuUsage(cpu0);
  const idlePct = ((cpu.user + cpu.system) / 1000) / (performance.now() - w0) * 100;
  report.figure('unplaceable_idle_cpu_pct', 'manager CPU while nothing changes (10 s)', idlePct, '% of a core', { target: { op: '<=', value: 5 } });
  report.figure('unplaceable_idle_passes', 'reconcile passes while nothing changes', rig.manager.passCount - passes, '');
  report.figure('unplaceable_data_mib', 'data directory', dirMiB(rig.dir), 'MiB', { target: { op: '<=', value: 100 } });
  const tasksBefore = count(rig.store, ID, () => true);
  const indexBefore = rig.store.view((tx) => tx.index());
  const dir = rig.dir;
  await stopRig(rig, true);
  report.figure('unplaceable_data_closed_mib', 'data directory after a clean stop', dirMiB(dir), 'MiB', { target: { op: '<=', value: 100 } });
  const r0 = performance.now();
  const again = await startRig(NODES, dir);
  const loadMs = performance.now() - r0;
  const back = count(again.store, ID, () => true);
  await waitFor(() => { const b = again.manager.backlog(); return b.dirtyServices === 0 && b.readyTasks === 0; }, 120_000);
  report.figure('unplaceable_restart_s', 'restart: state loaded', loadMs / 1000, 's');
  report.figure('unplaceable_restart_tasks', `restart: tasks back (of ${tasksBefore})`, back, 'tasks', { target: { op: '>=', value: tasksBefore } });
  report.figure('unplaceable_restart_writes', 'restart: objects written by the first passes', again.store.view((tx) => tx.index()) - indexBefore, 'writes', { target: { op: '<=', value: 0 } });
  await stopRig(again);
}

async function phaseLarge(): Promise<void> {
  const total = LARGE_SERVICES * LARGE_PER_SERVICE;
  log(`\n3. large: ${LARGE_NODES} nodes, ${LARGE_SERVICES} services × ${LARGE_PER_SERVICE} replicas (${total.toLocaleString('en-US')} tasks)`);
  const rig = await startRig(LARGE_NODES);
  const t0 = performance.now();
  const services: string[] = [];
  for (let j = 0; j < LARGE_SERVICES; j++) services.push(rig.control.createService(spec(`svc${j}`, LARGE_PER_SERVICE)).ID);
  let running = 0;
  const up = await waitFor(() => {
    running = rig.store.view((tx) => { let n = 0; for (const t of tx.listTasks()) if (t.Status.State === 'running') n++; return n; });
    return running === total;
  }, 30 * 60_000, 1000);
  report.figure('large_all_running_s', `${total.toLocaleString('en-US')} tasks created, placed and running`, up === null ? `not within 30 min (${running} running)` : (performance.now() - t0) / 1000, 's');
  report.figure('large_rss_mib', 'manager process RSS', process.memoryUsage().rss / 1024 ** 2, 'MiB');
  await rig.journal.flush();
  const latencies: number[] = [];
  for (let i = 0; i < 200; i++) {
    const sid = services[(i * 7919) % services.length]!;
    const victim = rig.store.view((tx) => tx.tasksOfService(sid).find((t) => t.Status.State === 'running' && t.DesiredState === 'running'));
    if (!victim) continue;
    let replacementAt: number | undefined;
    const unwatch = rig.store.watch((events) => {
      if (replacementAt !== undefined) return;
      for (const e of events) {
        const t = e.object as Task;
        if (e.kind === 'task' && t.ServiceID === sid && t.Slot === victim.Slot && t.ID !== victim.ID && t.NodeID !== '') { replacementAt = performance.now(); return; }
      }
    });
    const f0 = performance.now();
    rig.manager.reportTask(victim.NodeID, victim.ID, { State: 'failed', Err: 'task: non-zero exit (1)' });
    await waitFor(() => replacementAt !== undefined, 10_000, 1);
    unwatch();
    if (replacementAt !== undefined) latencies.push(replacementAt - f0);
    await new Promise((r) => setTimeout(r, 5));
  }
  report.figure('large_replacement_p99_ms', `failed task → replacement assigned, p99 of ${latencies.length}`, percentile(latencies, 99), 'ms', { target: { op: '<=', value: 50 } });
  report.figure('large_replacement_p50_ms', '… p50', percentile(latencies, 50), 'ms');
  const sid = services[1]!;
  const current = rig.store.view((tx) => tx.getService(sid))!;
  let stepAt: number | undefined;
  const unwatch = rig.store.watch((events) => {
    if (stepAt === undefined && events.some((e) => e.kind === 'task' && (e.object as Task).ServiceID === sid && (e.object as Task).SpecVersion?.Index === 2)) stepAt = performance.now();
  });
  const u0 = performance.now();
  rig.control.updateService(sid, current.Version.Index, { ...current.Spec, TaskTemplate: { ...current.Spec.TaskTemplate, ContainerSpec: { Image: 'whoami:2' } } });
  await waitFor(() => stepAt !== undefined, 10_000, 1);
  unwatch();
  report.figure('large_update_first_step_ms', 'one-service update: first step started', stepAt === undefined ? 'not within 10 s' : stepAt - u0, 'ms', { target: { op: '<=', value: 50 } });
  await stopRig(rig);
}

async function main(): Promise<void> {
  log(`manager-scale${quick ? ' (quick)' : ''}: real manager, file journal, simulated nodes`);
  const only = args.get('phase', '');
  if (!only || only === 'unplaceable') await phaseUnplaceable();
  if (!only || only === 'fits') await phaseFits();
  if ((!only && args.get('no-large', 'false') !== 'true') || only === 'large') await phaseLarge();
  await dispatcher.close();
  report.finish(args.json);
  process.exit(process.exitCode ?? 0);
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
