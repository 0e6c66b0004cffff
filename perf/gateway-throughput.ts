/**
 * Scenario 4, gateway throughput: the same load generator and the same three minimal backends,
 * in the same run, one after another: direct to one backend, the swarmlet gateway, nginx (Debian
 * package: round-robin upstream with keepalive, worker_processes = the gateway's cores) and the
 * http-proxy package (the Node baseline), HAProxy (`mode http`) and Caddy (`reverse_proxy`), both
 * Debian packages, each proxy in front of all three backends; then the
 * floor of the gateway's own stack (node:http + an undici Pool per backend, nothing else), so the
 * run shows how much of the gateway's cost is its own work and how much its HTTP stack's.
 *
 *   node --import tsx perf/gateway-throughput.ts [--json] [--quick] [--duration 5] [--connections 32]
 *        [--generator wrk|undici] [--no-pin] [--no-two-cores]
 *
 * Each proxy runs alone in its own process; with taskset and ≥ 2 cores it is pinned to core 0 and
 * the load generator, the backends and this process to the others, so every proxy gets the same
 * share. Reported: req/s, p50/p99, errors, CPU seconds per request of the proxy process (from
 * /proc/<pid>/stat, nginx's master and workers together), how busy its core was, and the ratios
 * to direct and to nginx. Backends on 127.0.0.95-97, proxies on 127.0.0.98.
 *
 * Then, on a machine with 2 cores or more (unless --no-two-cores), a second comparison without
 * pinning the proxy: the gateway with `--workers 2` against nginx with `worker_processes 2`, each
 * free to use every core (the load generator and the backends stay where they were). Its figures
 * are informational (no targets: the proxies then share cores with the load generator).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from './lib/args.js';
import { PROXY_ADDR, perfLib, startBackends } from './lib/backends.js';
import { hasWrk, runThroughput, type Generator, type ThroughputResult } from './lib/closed-load.js';
import { findOrInstallNginx, prepareNginx } from './lib/nginx.js';
import { createPinning, type Pinning } from './lib/pinning.js';
import { cpuMeter, procAvailable } from './lib/proc-cpu.js';
import { ProcessGroup, tsxCommand, waitForPort } from './lib/processes.js';
import { findBinary, prepareCaddy, prepareHaproxy, type Prepared } from './lib/ref-proxies.js';
import type { ProxyConfig } from './lib/proxy-config.js';
import { Report } from './lib/report.js';

const PORTS = { gateway: 18590, httpProxy: 18591, nginx: 18592, undiciFloor: 18593, gateway2: 18594, nginx2: 18595, haproxy: 18596, caddy: 18597 } as const;
/** Every core of the machine (this process is pinned, and children inherit its affinity). */
const ALL_CORES = os.cpus().length;
const anyCore = (cmd: string, args: string[]) => ({ cmd: 'taskset', args: ['-c', `0-${ALL_CORES - 1}`, cmd, ...args] });

/** cpuSeconds: the proxy's CPU time over meteredSeconds of wall time (the run plus the generator's start and exit). */
interface Run extends ThroughputResult { cpuSeconds?: number; meteredSeconds?: number }

interface Bench {
  group: ProcessGroup;
  pinning: Pinning;
  generator: Generator;
  seconds: number;
  warmSeconds: number;
  connections: number;
}

/** Warm-up, then the measured run, metering the CPU of `pid` (and its children with `tree`). */
async function measure(b: Bench, url: string, pid?: number, tree = false): Promise<Run> {
  await runThroughput(b.generator, b.group, url, b.warmSeconds, b.connections, b.pinning);
  const meter = pid !== undefined && procAvailable() ? cpuMeter(pid, tree) : undefined;
  const t0 = performance.now();
  const r = await runThroughput(b.generator, b.group, url, b.seconds, b.connections, b.pinning);
  return meter ? { ...r, cpuSeconds: meter.stop(), meteredSeconds: (performance.now() - t0) / 1000 } : r;
}

/** A Node proxy in its own process (pinned unless `pinned` is false); its CPU is its process tree's (workers included). */
async function nodeProxy(b: Bench, script: string, cfg: ProxyConfig, pinned = true): Promise<Run> {
  const c = tsxCommand(perfLib(script), [JSON.stringify(cfg)]);
  const w = pinned || !b.pinning.enabled ? b.pinning.wrap('proxy', c.cmd, c.args) : anyCore(c.cmd, c.args);
  const proc = await b.group.start(w.cmd, w.args, { name: script });
  try {
    return await measure(b, `http://${cfg.listen.addr}:${cfg.listen.port}/`, proc.pid, true);
  } finally {
    await proc.stop();
  }
}

async function nginxProxy(b: Bench, path: string, cfg: ProxyConfig, workers: number, pinned = true): Promise<Run> {
  const prefix = prepareNginx(cfg, workers);
  const w = pinned || !b.pinning.enabled ? b.pinning.wrap('proxy', path, prefix.argv) : anyCore(path, prefix.argv);
  const proc = await b.group.start(w.cmd, w.args, { name: 'nginx', waitForLine: false });
  try {
    await waitForPort(cfg.listen.addr, cfg.listen.port);
    return await measure(b, `http://${cfg.listen.addr}:${cfg.listen.port}/`, proc.pid, true);
  } finally {
    await proc.stop();
    prefix.cleanup();
  }
}

/** A reference proxy binary (HAProxy, Caddy) pinned like the others; its CPU is its process tree's. */
async function refProxy(b: Bench, name: string, path: string, cfg: ProxyConfig, prepared: Prepared): Promise<Run> {
  const w = b.pinning.wrap('proxy', path, prepared.argv);
  const proc = await b.group.start(w.cmd, w.args, { name, waitForLine: false, ...(prepared.env ? { env: { ...process.env, ...prepared.env } } : {}) });
  try {
    await waitForPort(cfg.listen.addr, cfg.listen.port);
    return await measure(b, `http://${cfg.listen.addr}:${cfg.listen.port}/`, proc.pid, true);
  } finally {
    await proc.stop();
    prepared.cleanup();
  }
}

/** The proxy's CPU µs per request of a metered run. */
function cpuPerRequestUs(r: Run): number {
  return ((r.cpuSeconds ?? 0) / Math.max(1, r.requests)) * 1e6;
}

function runFigures(report: Report, key: string, label: string, r: Run): void {
  report.figure(`${key}Rps`, `${label}: throughput`, r.rps, 'req/s');
  report.figure(`${key}P50`, `${label}: p50 latency`, r.p50Ms, 'ms', { digits: 3 });
  report.figure(`${key}P99`, `${label}: p99 latency`, r.p99Ms, 'ms', { digits: 3 });
  report.figure(`${key}Errors`, `${label}: errors`, r.errors, 'requests', { target: { op: '<=', value: 0 } });
  if (r.cpuSeconds === undefined) return;
  report.figure(`${key}CpuPerRequest`, `${label}: proxy CPU per request`, cpuPerRequestUs(r), 'µs', key === 'gateway' ? { digits: 3, target: { op: '<=', value: 30 } } : { digits: 3 });
  report.figure(`${key}CpuBusy`, `${label}: proxy CPU used / wall time`, (r.cpuSeconds / (r.meteredSeconds ?? r.seconds)) * 100, '%', { digits: 3 });
}

/** The second comparison: gateway --workers 2 vs nginx worker_processes 2, free to use every core. */
async function twoCores(b: Bench, report: Report, nginxPath: string | undefined, cfg: (port: number) => ProxyConfig): Promise<void> {
  report.heading('2 cores, proxies not pinned: gateway --workers 2 vs nginx worker_processes 2 (informational)');
  const gateway = await nodeProxy(b, 'gateway-server.ts', { ...cfg(PORTS.gateway2), workers: 2 }, false);
  runFigures(report, 'gateway2w', 'swarmlet gateway, 2 workers', gateway);
  if (nginxPath === undefined) return;
  const viaNginx = await nginxProxy(b, nginxPath, cfg(PORTS.nginx2), 2, false);
  runFigures(report, 'nginx2w', 'nginx, 2 worker processes', viaNginx);
  report.figure('gateway2wOverNginx2w', '2 cores: gateway / nginx throughput', gateway.rps / viaNginx.rps, '×', { digits: 3 });
  report.figure('gateway2wP99OverNginx2wP99', '2 cores: gateway p99 / nginx p99', gateway.p99Ms / viaNginx.p99Ms, '×', { digits: 3 });
  report.note('2 cores: the proxy\'s workers share both cores with the load generator and the backends (pinned to core 1), so these figures mostly say how the proxies behave with less CPU each, not how they scale');
}

async function main(): Promise<void> {
  const args = parseArgs();
  const report = new Report('gateway-throughput');
  const pinning = createPinning(args.get('no-pin', 'false') !== 'true');
  const generator: Generator = args.get('generator', hasWrk() ? 'wrk' : 'undici') === 'wrk' ? 'wrk' : 'undici';
  const group = new ProcessGroup();
  process.once('exit', () => group.killAll());
  const b: Bench = {
    group, pinning, generator,
    seconds: args.num('duration', args.quick ? 2 : 5), warmSeconds: 1, connections: args.num('connections', 32),
  };
  pinning.pin('other', process.pid);
  console.log(`load generator: ${generator}, ${b.connections} connections, ${b.seconds} s per run after ${b.warmSeconds} s of warm-up; ${pinning.description}`);
  const nginx = findOrInstallNginx((l) => console.log(l));
  try {
    const { backends } = await startBackends(group, pinning);
    const cfg = (port: number): ProxyConfig => ({ listen: { addr: PROXY_ADDR, port }, backends });
    const direct = await measure(b, `http://${backends[0]!.addr}:${backends[0]!.port}/`);
    runFigures(report, 'direct', 'direct (one backend)', direct);
    const gateway = await nodeProxy(b, 'gateway-server.ts', cfg(PORTS.gateway));
    runFigures(report, 'gateway', 'swarmlet gateway', gateway);
    let viaNginx: Run | undefined;
    if (nginx.path !== undefined) {
      viaNginx = await nginxProxy(b, nginx.path, cfg(PORTS.nginx), pinning.proxyCoreCount);
      report.note(`nginx ${nginx.installed ? '(installed by this run) ' : ''}with worker_processes ${pinning.proxyCoreCount}, upstream keepalive 64`);
      runFigures(report, 'nginx', 'nginx', viaNginx);
    }
    const haproxyBin = findBinary('haproxy');
    let viaHaproxy: Run | undefined;
    if (haproxyBin.path !== undefined) {
      viaHaproxy = await refProxy(b, 'haproxy', haproxyBin.path, cfg(PORTS.haproxy), prepareHaproxy(cfg(PORTS.haproxy), 'http', pinning.proxyCoreCount));
      report.note(`HAProxy mode http with nbthread ${pinning.proxyCoreCount}, round-robin, http-reuse always`);
      runFigures(report, 'haproxy', 'HAProxy (mode http)', viaHaproxy);
    } else report.note(haproxyBin.reason);
    const caddyBin = findBinary('caddy');
    let viaCaddy: Run | undefined;
    if (caddyBin.path !== undefined) {
      viaCaddy = await refProxy(b, 'caddy', caddyBin.path, cfg(PORTS.caddy), prepareCaddy(cfg(PORTS.caddy), pinning.proxyCoreCount));
      report.note(`Caddy reverse_proxy with GOMAXPROCS ${pinning.proxyCoreCount}, round-robin, no access log`);
      runFigures(report, 'caddy', 'Caddy (reverse_proxy)', viaCaddy);
    } else report.note(caddyBin.reason);
    const httpProxy = await nodeProxy(b, 'http-proxy-server.ts', cfg(PORTS.httpProxy));
    runFigures(report, 'httpProxy', 'http-proxy (Node baseline)', httpProxy);
    const floor = await nodeProxy(b, 'undici-floor-server.ts', cfg(PORTS.undiciFloor));
    runFigures(report, 'undiciFloor', 'undici floor (node:http + undici Pool, nothing else)', floor);
    report.heading('ratios');
    report.figure('gatewayOverDirect', 'gateway / direct throughput', gateway.rps / direct.rps, '×', { digits: 3 });
    report.figure('httpProxyOverDirect', 'http-proxy / direct throughput', httpProxy.rps / direct.rps, '×', { digits: 3 });
    report.figure('gatewayOverUndiciFloor', 'gateway / undici floor throughput', gateway.rps / floor.rps, '×', { digits: 3 });
    if (gateway.cpuSeconds && floor.cpuSeconds) {
      report.figure('gatewayCpuOverUndiciFloor', 'gateway CPU per request − undici floor\'s', cpuPerRequestUs(gateway) - cpuPerRequestUs(floor), 'µs', { digits: 3 });
    }
    report.figure('gatewayOverHttpProxy', 'gateway / http-proxy throughput', gateway.rps / httpProxy.rps, '×', { digits: 3, target: { op: '>=', value: 1.5 } });
    const perCpu = (r: Run): number => r.requests / r.cpuSeconds!;
    if (viaCaddy?.cpuSeconds && gateway.cpuSeconds) {
      report.figure('gatewayOverCaddyPerCpu', 'gateway / Caddy requests per CPU second', perCpu(gateway) / perCpu(viaCaddy), '×', { digits: 3, target: { op: '>=', value: 1.5 } });
      report.figure('gatewayOverCaddy', 'gateway / Caddy throughput', gateway.rps / viaCaddy.rps, '×', { digits: 3 });
    } else {
      report.notMeasured('gatewayOverCaddyPerCpu', 'gateway / Caddy requests per CPU second', '×', caddyBin.path === undefined ? caddyBin.reason : 'no CPU figures (no /proc)', { op: '>=', value: 1.5 });
    }
    if (viaHaproxy?.cpuSeconds && gateway.cpuSeconds) {
      report.figure('gatewayOverHaproxyPerCpu', 'gateway / HAProxy requests per CPU second', perCpu(gateway) / perCpu(viaHaproxy), '×', { digits: 3 });
      report.figure('gatewayOverHaproxy', 'gateway / HAProxy throughput', gateway.rps / viaHaproxy.rps, '×', { digits: 3 });
    }
    if (viaNginx) {
      report.figure('gatewayOverNginx', 'gateway / nginx throughput', gateway.rps / viaNginx.rps, '×', { digits: 3, target: { op: '>=', value: 0.8 } });
      report.figure('gatewayP99OverNginxP99', 'gateway p99 / nginx p99', gateway.p99Ms / viaNginx.p99Ms, '×', { digits: 3, target: { op: '<=', value: 2 } });
      report.figure('httpProxyOverNginx', 'http-proxy / nginx throughput', httpProxy.rps / viaNginx.rps, '×', { digits: 3 });
      report.figure('nginxOverDirect', 'nginx / direct throughput', viaNginx.rps / direct.rps, '×', { digits: 3 });
      if (gateway.cpuSeconds && viaNginx.cpuSeconds) {
        report.figure('gatewayOverNginxPerCpu', 'gateway / nginx requests per CPU second', perCpu(gateway) / perCpu(viaNginx), '×', { digits: 3 });
        const busy = (viaNginx.cpuSeconds / (viaNginx.meteredSeconds ?? viaNginx.seconds)) * 100;
        if (busy < 80) report.note(`nginx kept its core only ${Math.round(busy)} % busy: the backends and the load generator on the other core(s) were the limit, so gateway / nginx throughput flatters the gateway; requests per CPU second compares the proxies themselves`);
      }
    } else {
      const why = nginx.path === undefined ? nginx.reason : 'nginx did not run';
      report.notMeasured('gatewayOverNginx', 'gateway / nginx throughput', '×', why, { op: '>=', value: 0.8 });
      report.notMeasured('gatewayP99OverNginxP99', 'gateway p99 / nginx p99', '×', why, { op: '<=', value: 2 });
    }
    if (args.get('no-two-cores', 'false') !== 'true' && ALL_CORES >= 2) {
      await twoCores(b, report, nginx.path, (port) => cfg(port));
    }
  } finally {
    await group.stopAll();
  }
  report.finish(args.json);
}

await main();
