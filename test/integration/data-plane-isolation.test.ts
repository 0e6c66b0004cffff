/**
 * A data plane the control plane cannot stall (issue 13, item 1). The gateways of `swarmlet up`
 * are child processes of it, fed the table over IPC: a bounded 200 req/s load through node-2's
 * gateway gets no failed request and p99 < 100 ms while the manager takes a huge unplaceable
 * service, and while the `up` process is SIGSTOPped for 5 s; a gateway process that dies is started
 * again; Ctrl-C leaves no process. The gateway of `swarmlet node join` is its own process too: it
 * keeps serving while its agent is stopped and after its manager is killed.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import type { Task } from '../../lib/model/types.js';
import { quantile, runLoad, type LoadResult } from '../fixtures/load.js';
import { ROOT, alive, cli, freePort, getJson, lockLocalNodes, startUp, until } from '../fixtures/up-process.js';
import { swarmletArgs } from '../fixtures/swarmlet-command.js';

t.setTimeout(900_000); // a busy manager (100,000 pending tasks to create and remove) on a loaded machine may take minutes

/** Replicas of the unplaceable service (the default --max-replicas limit). */
const HUGE = Number(process.env.SWARMLET_TEST_HUGE_REPLICAS ?? 100_000);
const RATE = 200;
const P99_MS = 100;

/** The gateway child processes of `ppid` (their command line runs gateway-worker), with the node each serves. */
function gatewayChildren(ppid: number): Map<number, string> {
  const out = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== ppid) continue;
      if (!readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('gateway-worker')) continue;
      const env = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').find((e) => e.startsWith('SWARMLET_GATEWAY_WORKER='));
      const cfg = JSON.parse(env!.slice(env!.indexOf('=') + 1)) as { gateway: { hostname: string } };
      out.set(Number(name), cfg.gateway.hostname);
    } catch { /* gone meanwhile */ }
  }
  return out;
}

/** A bounded load at RATE req/s for `ms` while `during` runs (started after 300 ms). */
async function loadWhile(url: string, ms: number, during: () => Promise<void>): Promise<LoadResult> {
  let finish!: () => void;
  const load = runLoad(url, RATE, new Promise<void>((r) => { finish = r; }), ms + 60_000);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 300));
  await during();
  await new Promise((r) => setTimeout(r, Math.max(0, ms - (Date.now() - t0))));
  finish();
  return load;
}

/** The worst latency in each second of the load (ms), to see when a stall happened. */
function timeline(r: LoadResult): string {
  const worst: number[] = [];
  r.sentAtMs.forEach((at, i) => { const s = Math.floor(at / 1000); worst[s] = Math.max(worst[s] ?? 0, r.latenciesMs[i]!); });
  return Array.from(worst, (w) => (w ?? 0).toFixed(0)).join(' ');
}

/**
 * The p99 bound: 100 ms on a machine with spare CPU (1-minute load average at most its cores).
 * On a loaded one (others' processes on few cores) a manager that takes a core also slows the
 * backends and the load generator, so the bound is 3× the p99 of the same load just before, and at
 * least 500 ms: a gateway stalled with its manager still shows seconds, far beyond it.
 */
function p99Bound(baselineP99: number): { bound: number; why?: string } {
  const load = os.loadavg()[0]!;
  const cores = os.availableParallelism();
  if (load <= cores) return { bound: P99_MS };
  const bound = Math.max(P99_MS, 3 * baselineP99, 500);
  return { bound, why: `the machine is loaded (load average ${load.toFixed(1)} on ${cores} cores; baseline p99 ${baselineP99.toFixed(1)} ms): bound ${bound.toFixed(0)} ms, the strict ${P99_MS} ms is not checked` };
}

function checkLoad(t: Test, r: LoadResult, what: string, baselineP99?: number): void {
  const p99 = quantile(r.latenciesMs, 0.99);
  t.comment(`${what}: sent ${r.sent}, ok ${r.ok}, p50 ${quantile(r.latenciesMs, 0.5).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${quantile(r.latenciesMs, 1).toFixed(1)} ms; worst per second: ${timeline(r)}`);
  t.ok(r.sent >= RATE * 3, `${what}: a real load was sent (${r.sent})`);
  t.equal(r.non2xx + r.errors, 0, `${what}: 0 failed requests ${r.samples.join(' | ')}`);
  t.equal(r.ok, r.sent, `${what}: every request answered`);
  if (baselineP99 === undefined) return;
  const { bound, why } = p99Bound(baselineP99);
  if (why !== undefined) t.comment(why);
  t.ok(p99 < bound, `${what}: p99 ${p99.toFixed(1)} ms < ${bound.toFixed(0)} ms`);
}

/**
 * The same load with nothing going on, just before a disruption and as long (the machine's load
 * changes from minute to minute): every request answered; returns its p99.
 */
async function baseline(t: Test, url: string, ms: number): Promise<number> {
  const r = await loadWhile(url, ms, async () => {});
  checkLoad(t, r, 'baseline (nothing going on)');
  return quantile(r.latenciesMs, 0.99);
}

/** A baseline, then the load while `during` runs; checks both. */
async function underLoad(t: Test, url: string, what: string, ms: number, during: () => Promise<void>): Promise<void> {
  const base = await baseline(t, url, ms);
  const r = await loadWhile(url, ms, during);
  checkLoad(t, r, what, base);
}

/** Warms the path up (connections, JIT): 2 s of the load, every request answered. */
async function warmUp(t: Test, url: string): Promise<void> {
  const warm = await loadWhile(url, 2_000, async () => {});
  t.equal(warm.non2xx + warm.errors, 0, `warm-up: 0 failed requests ${warm.samples.join(' | ')}`);
}

t.test('swarmlet up: the gateways run outside the manager; a busy or stopped manager delays no request', async (t) => {
  const release = await lockLocalNodes();
  t.teardown(release);
  const up = await startUp({ nodes: 3, extraArgs: ['--metrics-port', '19324'] });
  const taskPids = new Set<number>();
  t.teardown(async () => {
    await up.stop('SIGINT', 60_000).catch(() => up.kill9());
    for (const pid of taskPids) if (alive(pid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    rmSync(up.dataDir, { recursive: true, force: true });
  });
  const PORT = 19613;
  const target = `http://127.0.0.2:${PORT}/`;
  const created = await cli(up.url, 'service', 'create', '-d', '--name', 'web', '--replicas', '2', '-p', `${PORT}:8080`, 'whoami');
  t.equal(created.code, 0, created.stderr);
  const runningWeb = async () => (await getJson<Task[]>(up.url, '/tasks'))
    .filter((x) => x.DesiredState === 'running' && x.Status.State === 'running' && x.Spec.ContainerSpec?.Image?.startsWith('whoami'));
  await until('web: 2 running, answering through node-2', async () => {
    for (const x of await runningWeb()) if (x.Status.ContainerStatus?.PID) taskPids.add(x.Status.ContainerStatus.PID);
    const r = await request(target);
    await r.body.dump();
    return r.statusCode === 200 && (await runningWeb()).length === 2;
  }, 30_000);
  const gateways = gatewayChildren(up.pid);
  t.same([...gateways.values()].sort(), ['node-1', 'node-2', 'node-3'], 'one gateway child process per node');
  await warmUp(t, target);

  await t.test(`service create --replicas ${HUGE} (unplaceable) while node-2's gateway serves ${RATE} req/s`, async (t) => {
    let answeredAfter = 0;
    await underLoad(t, target, 'during the huge create', 8_000, async () => {
      const t0 = Date.now();
      const huge = await cli(up.url, 'service', 'create', '-d', '--name', 'huge', '--replicas', String(HUGE), '--constraint', 'node.labels.zone==mars', 'whoami');
      answeredAfter = Date.now() - t0;
      t.equal(huge.code, 0, huge.stderr);
    });
    t.comment(`service create answered after ${answeredAfter} ms`);
    // Back to a quiet manager for what follows.
    await until('the manager answers again', async () => (await cli(up.url, 'service', 'ls', '-q')).code === 0, 300_000, 1_000);
    const rm = await cli(up.url, 'service', 'rm', 'huge');
    t.equal(rm.code, 0, rm.stderr);
    await until('huge is gone', async () => !(await getJson<Array<{ Spec: { Name: string } }>>(up.url, '/services')).some((s) => s.Spec.Name === 'huge'), 300_000, 1_000);
  });

  await t.test(`SIGSTOP of swarmlet up for 5 s while node-2's gateway serves ${RATE} req/s`, async (t) => {
    await underLoad(t, target, 'while the manager was stopped', 7_000, async () => {
      process.kill(up.pid, 'SIGSTOP');
      try {
        await new Promise((res) => setTimeout(res, 5_000));
      } finally {
        process.kill(up.pid, 'SIGCONT');
      }
    });
    const scaled = await cli(up.url, 'service', 'scale', '-d', 'web=3');
    t.equal(scaled.code, 0, `after SIGCONT the manager works: ${scaled.stderr}`);
    const seen = new Set<string>();
    await until('the third task answers through node-2\'s gateway', async () => {
      for (const x of await runningWeb()) if (x.Status.ContainerStatus?.PID) taskPids.add(x.Status.ContainerStatus.PID);
      const res = await request(target, { headers: { accept: 'application/json' } });
      seen.add((await res.body.json() as { task: string }).task);
      return seen.size === 3;
    }, 30_000, 50);
    t.equal(seen.size, 3, 'the gateway follows the new table');
  });

  await t.test('a gateway process that dies is started again and fed the current table', async (t) => {
    const [pid] = [...gatewayChildren(up.pid)].find(([, host]) => host === 'node-2')!;
    process.kill(pid, 'SIGKILL');
    const again = await until('a new node-2 gateway process', () => [...gatewayChildren(up.pid)].find(([p, host]) => host === 'node-2' && p !== pid), 20_000);
    t.not(again[0], pid);
    const seen = new Set<string>();
    await until('it routes to all 3 tasks', async () => {
      const res = await request(target, { headers: { accept: 'application/json' } });
      if (res.statusCode !== 200) { await res.body.dump(); return false; }
      seen.add((await res.body.json() as { task: string }).task);
      return seen.size === 3;
    }, 20_000, 20);
    const metrics = await request('http://127.0.0.2:19324/metrics');
    t.match(await metrics.body.text(), /swarmlet_gateway_requests_total\{node="node-2",service="web"/, 'its /metrics on the admin port');
  });

  await t.test('Ctrl-C (to every process of the group) drains through swarmlet up and leaves no process behind', async (t) => {
    const children = [...gatewayChildren(up.pid).keys()];
    t.equal(children.length, 3);
    for (const x of await runningWeb()) if (x.Status.ContainerStatus?.PID) taskPids.add(x.Status.ContainerStatus.PID);
    // A terminal's Ctrl-C reaches the whole process group: the gateways leave it to their parent.
    for (const pid of children) process.kill(pid, 'SIGINT');
    const r = await up.stop('SIGINT', 60_000);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /swarmlet stopped/);
    t.same(children.filter((p) => alive(p)), [], 'no gateway process is left');
    t.same([...taskPids].filter((p) => alive(p)), [], 'no task process is left');
  });
});

function swarmlet(args: string[]): ChildProcess & { out: () => string } {
  const child = spawn(process.execPath, swarmletArgs(...args), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  return Object.assign(child, { out: () => out });
}

t.test('swarmlet node join: its gateway process serves while the agent is stopped and after the manager is killed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-dpi-'));
  const ADDRS = ['127.0.0.146', '127.0.0.147'];
  const PORT = 19614;
  const ADMIN = 19325;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const procs: ChildProcess[] = [];
  const taskPids = new Set<number>();
  t.teardown(() => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) { p.kill('SIGCONT'); p.kill('SIGKILL'); }
    for (const pid of taskPids) if (alive(pid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  });
  const manager = swarmlet(['manager', '--listen', `127.0.0.1:${port}`, '--data', join(dir, 'manager')]);
  procs.push(manager);
  await until('manager', async () => { const r = await request(`${url}/_ping`); await r.body.dump(); return r.statusCode === 200; }, 30_000);
  const token = (await getJson<{ Token: string }>(url, '/swarmlet/v1/join-token/worker')).Token;
  const nodes = ADDRS.map((addr, i) => {
    const p = swarmlet(['node', 'join', '--manager', url, '--token', token, '--address', addr, '--hostname', `dp${i + 1}`,
      '--state', join(dir, `node${i + 1}`), '--metrics-port', String(ADMIN)]);
    procs.push(p);
    return p;
  });
  const created = await cli(url, 'service', 'create', '-d', '--name', 'dpweb', '--replicas', '2', '-p', `${PORT}:8080`, 'whoami');
  t.equal(created.code, 0, created.stderr);
  const target = `http://${ADDRS[0]}:${PORT}/`;
  await until('dpweb answers through dp1\'s gateway', async () => {
    for (const x of await getJson<Task[]>(url, '/tasks')) if (x.Status.ContainerStatus?.PID) taskPids.add(x.Status.ContainerStatus.PID);
    const r = await request(target);
    await r.body.dump();
    return r.statusCode === 200;
  }, 60_000);
  const gw = [...gatewayChildren(nodes[0]!.pid!).keys()];
  t.equal(gw.length, 1, 'the node\'s gateway is a child process of node join');
  await warmUp(t, target);

  await t.test('SIGSTOP of the node process (its agent) for 3 s', async (t) => {
    await underLoad(t, target, 'while the agent was stopped', 5_000, async () => {
      nodes[0]!.kill('SIGSTOP');
      try {
        await new Promise((res) => setTimeout(res, 3_000));
      } finally {
        nodes[0]!.kill('SIGCONT');
      }
    });
  });

  await t.test('kill -9 of the manager: the gateway keeps serving its last table', async (t) => {
    await underLoad(t, target, 'after the manager died', 6_000, async () => {
      manager.kill('SIGKILL');
      await new Promise((res) => manager.once('exit', res));
    });
    const health = await request(`http://${ADDRS[0]}:${ADMIN}/healthz`);
    t.equal(health.statusCode, 200, 'its /healthz still answers');
    t.match(await health.body.json(), { status: 'ok', ports: [PORT] });
  });

  for (const p of nodes) p.kill('SIGINT');
  await Promise.all(nodes.map((p) => (p.exitCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
  await until('the gateway processes exited with their nodes', () => gw.every((p) => !alive(p)), 20_000);
  t.pass('no gateway process is left');
});
