/**
 * Scenario: the routing mesh at layer 4. A bounded redis-benchmark (PING, no pipelining: one round
 * trip per command) against three redis-server backends, in the same run, one after another:
 * direct to one backend, through the swarmlet gateway (the port is not told its protocol: the
 * gateway reads Redis's first bytes and pipes the connection at layer 4, round-robin per
 * connection), and through HAProxy `mode tcp` (Debian package) on the same core.
 *
 *   node --import tsx perf/l4-throughput.ts [--json] [--quick] [--requests 100000] [--clients 32] [--no-pin]
 *
 * Each proxy is pinned to core 0 (taskset, ≥ 2 cores); redis-benchmark, the redis servers and this
 * process to the others. Reported: round trips per second, p50/p99 from redis-benchmark, and the
 * proxy's CPU per round trip (/proc/<pid>/stat). Target: the gateway ≥ 0.5 × HAProxy's round trips
 * per second. Backends on 127.0.0.95-97 (ports 18690-18692), proxies on 127.0.0.98.
 *
 * Chart: after each measured benchmark, a short PING load from this process (8 connections, 5 s;
 * 2 s with --quick) records every round trip; perf/results/l4-throughput.svg shows round trips per
 * second and p50/p99 over time for direct, gateway and HAProxy, one after another (the time spent
 * between them starting proxies and benchmarking is left out).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseArgs } from './lib/args.js';
import { BACKEND_HOSTS, PROXY_ADDR, perfLib } from './lib/backends.js';
import { createPinning, type Pinning } from './lib/pinning.js';
import { cpuMeter, procAvailable } from './lib/proc-cpu.js';
import { ProcessGroup, tsxCommand, waitForPort } from './lib/processes.js';
import type { ProxyConfig } from './lib/proxy-config.js';
import { findBinary, prepareHaproxy } from './lib/ref-proxies.js';
import { parseBenchmarkCsv } from './lib/redis-benchmark.js';
import { Report } from './lib/report.js';
import { pingLoad, type PingSample } from './lib/redis-ping-load.js';
import { loadChartSvg, writeChart, type ChartMarker } from './lib/chart-svg.js';
import { TimelineRecorder } from './lib/timeline.js';

const PORTS = { gateway: 18693, haproxy: 18694 } as const;
const REDIS_PORT = 18690;

interface Bench {
  group: ProcessGroup; pinning: Pinning; requests: number; clients: number; benchmark: string;
  /** Seconds of the timed PING load per target (for the chart). */
  chartSeconds: number;
  /** Each target's timed PING load, in run order. */
  timed: Array<{ name: string; samples: PingSample[] }>;
}

const CHART_CONNECTIONS = 8;

async function timedLoad(b: Bench, name: string, addr: string, port: number): Promise<void> {
  b.timed.push({ name, samples: await pingLoad(addr, port, { connections: CHART_CONNECTIONS, seconds: b.chartSeconds }) });
}

/** The timed loads one after another on one time axis, a marker where each begins. */
function writeL4Chart(b: Bench): string {
  const startedAt = Date.now();
  const recorder = new TimelineRecorder(startedAt, 250);
  const markers: ChartMarker[] = [];
  let offset = 0;
  for (const run of b.timed) {
    markers.push({ atMs: startedAt + offset, kind: 'phase', short: run.name, label: `${run.name}: ${CHART_CONNECTIONS} connections, ${b.chartSeconds} s` });
    for (const x of run.samples) recorder.record(startedAt + offset + x.atMs, x.latencyMs, x.ok);
    offset += b.chartSeconds * 1000;
  }
  return writeChart('l4-throughput', loadChartSvg({
    title: 'layer 4: Redis PING round trips, direct vs swarmlet gateway vs HAProxy mode tcp',
    subtitle: `closed loop, ${CHART_CONNECTIONS} connections, one PING in flight each, ${b.chartSeconds} s per target (run one after another; the time between them left out)`,
    timeline: recorder.finish(),
    markers,
  }));
}
interface Run { rps: number; p50Ms: number; p99Ms: number; requests: number; cpuSeconds?: number }

async function benchmark(b: Bench, addr: string, port: number, requests: number, pid?: number): Promise<Run> {
  const w = b.pinning.wrap('other', b.benchmark, ['-h', addr, '-p', String(port), '-c', String(b.clients), '-n', String(requests), '-t', 'ping', '--csv']);
  const meter = pid !== undefined && procAvailable() ? cpuMeter(pid, true) : undefined;
  const { stdout } = await promisify(execFile)(w.cmd, w.args, { timeout: 300_000 });
  const cpuSeconds = meter?.stop();
  const r = parseBenchmarkCsv(stdout, 'PING_MBULK');
  if (r === undefined) throw new Error(`no PING_MBULK line in redis-benchmark's output: ${stdout}`);
  // -t ping runs PING_INLINE then PING_MBULK: the proxy's CPU covers both, so per round trip it is over 2 × requests.
  return { ...r, requests: requests * 2, ...(cpuSeconds !== undefined ? { cpuSeconds } : {}) };
}

function figures(report: Report, key: string, label: string, r: Run): void {
  report.figure(`${key}Rps`, `${label}: round trips per second`, r.rps, '/s');
  report.figure(`${key}P50`, `${label}: p50 latency`, r.p50Ms, 'ms', { digits: 3 });
  report.figure(`${key}P99`, `${label}: p99 latency`, r.p99Ms, 'ms', { digits: 3 });
  if (r.cpuSeconds !== undefined) report.figure(`${key}CpuPerRoundTrip`, `${label}: proxy CPU per round trip`, (r.cpuSeconds / r.requests) * 1e6, 'µs', { digits: 3 });
}

/** A proxy process pinned to core 0: warm-up, then the measured benchmark. */
async function viaProxy(b: Bench, name: string, cmd: string, args: string[], port: number): Promise<Run> {
  const w = b.pinning.wrap('proxy', cmd, args);
  const proc = await b.group.start(w.cmd, w.args, { name, waitForLine: name === 'gateway' });
  try {
    await waitForPort(PROXY_ADDR, port);
    await benchmark(b, PROXY_ADDR, port, Math.max(1000, Math.floor(b.requests / 10)));
    const run = await benchmark(b, PROXY_ADDR, port, b.requests, proc.pid);
    await timedLoad(b, name, PROXY_ADDR, port);
    return run;
  } finally {
    await proc.stop();
  }
}

async function main(): Promise<void> {
  const args = parseArgs();
  const report = new Report('l4-throughput');
  const redis = findBinary('redis-server');
  const bench = findBinary('redis-benchmark', 'redis-tools');
  if (redis.path === undefined || bench.path === undefined) {
    const why = redis.path === undefined ? redis.reason : (bench as { reason: string }).reason;
    report.notMeasured('gatewayOverHaproxy', 'gateway / HAProxy mode tcp round trips per second', '×', why, { op: '>=', value: 0.5 });
    report.finish(args.json);
    return;
  }
  const pinning = createPinning(args.get('no-pin', 'false') !== 'true');
  const group = new ProcessGroup();
  process.once('exit', () => group.killAll());
  const b: Bench = { group, pinning, benchmark: bench.path, requests: args.num('requests', args.quick ? 20_000 : 100_000), clients: args.num('clients', 32), chartSeconds: args.quick ? 2 : 5, timed: [] };
  pinning.pin('other', process.pid);
  console.log(`redis-benchmark PING, ${b.clients} clients, ${b.requests} requests per test, no pipelining; ${pinning.description}`);
  try {
    const backends = BACKEND_HOSTS.map((addr) => ({ addr, port: REDIS_PORT }));
    for (const be of backends) {
      const w = pinning.wrap('other', redis.path, ['--bind', be.addr, '--port', String(be.port), '--save', '', '--appendonly', 'no', '--protected-mode', 'no']);
      await group.start(w.cmd, w.args, { name: `redis ${be.addr}`, waitForLine: false });
      await waitForPort(be.addr, be.port);
    }
    const direct = await benchmark(b, backends[0]!.addr, backends[0]!.port, b.requests);
    figures(report, 'direct', 'direct (one redis-server)', direct);
    await timedLoad(b, 'direct', backends[0]!.addr, backends[0]!.port);
    const cfg = (port: number): ProxyConfig => ({ listen: { addr: PROXY_ADDR, port }, backends });
    const gw = tsxCommand(perfLib('gateway-server.ts'), [JSON.stringify(cfg(PORTS.gateway))]);
    const gateway = await viaProxy(b, 'gateway', gw.cmd, gw.args, PORTS.gateway);
    figures(report, 'gateway', 'swarmlet gateway (layer 4, detected)', gateway);
    const haproxy = findBinary('haproxy');
    if (haproxy.path !== undefined) {
      const prepared = prepareHaproxy(cfg(PORTS.haproxy), 'tcp', pinning.proxyCoreCount);
      let viaHaproxy: Run;
      try { viaHaproxy = await viaProxy(b, 'haproxy', haproxy.path, prepared.argv, PORTS.haproxy); } finally { prepared.cleanup(); }
      figures(report, 'haproxy', 'HAProxy (mode tcp)', viaHaproxy);
      report.heading('ratios');
      report.figure('gatewayOverHaproxy', 'gateway / HAProxy mode tcp round trips per second', gateway.rps / viaHaproxy.rps, '×', { digits: 3, target: { op: '>=', value: 0.5 } });
      if (gateway.cpuSeconds && viaHaproxy.cpuSeconds) {
        report.figure('gatewayOverHaproxyCpu', 'gateway / HAProxy CPU per round trip', (gateway.cpuSeconds / gateway.requests) / (viaHaproxy.cpuSeconds / viaHaproxy.requests), '×', { digits: 3 });
      }
    } else {
      report.notMeasured('gatewayOverHaproxy', 'gateway / HAProxy mode tcp round trips per second', '×', haproxy.reason, { op: '>=', value: 0.5 });
    }
    report.figure('gatewayOverDirect', 'gateway / direct round trips per second', gateway.rps / direct.rps, '×', { digits: 3 });
    const failed = b.timed.reduce((n, r) => n + r.samples.filter((x) => !x.ok).length, 0);
    report.note(`chart ${writeL4Chart(b)} (${failed} failed round trips in its PING loads)`);
  } finally {
    await group.stopAll();
  }
  report.finish(args.json);
}

await main();
