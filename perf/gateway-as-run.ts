/**
 * The gateway's CPU per request as the cluster runs it (issue 16 item 5), against the standalone
 * gateway process that gateway-throughput measures, with the same closed load and the same three
 * minimal backends:
 *   1. standalone: perf/lib/gateway-server.ts (one gateway process, static table);
 *   2. gateway process: createGatewayProcess fed over IPC by this process (the mechanism of
 *      `swarmlet up` and createCluster), same backends;
 *   3. createCluster: a real one-node cluster at 127.0.0.98 (manager, agent, 3 whoami tasks), its
 *      node's gateway child process.
 * Each proxy is pinned to core 0 (taskset, ≥ 2 cores); its CPU is read from /proc.
 *
 *   node --import tsx perf/gateway-as-run.ts [--json] [--quick] [--duration 5] [--connections 32]
 */
import { createGatewayProcess } from '../gateway/gateway-process.js';
import type { EndpointSource, EndpointTable } from '../gateway/endpoint-table.js';
import { createCluster } from '../lib/cluster/create-cluster.js';
import { parseArgs } from './lib/args.js';
import { PROXY_ADDR, perfLib, startBackends } from './lib/backends.js';
import { hasWrk, runThroughput, type Generator, type ThroughputResult } from './lib/closed-load.js';
import { createPinning, type Pinning } from './lib/pinning.js';
import { cpuMeter, procAvailable } from './lib/proc-cpu.js';
import { ProcessGroup, tsxCommand } from './lib/processes.js';
import { Report } from './lib/report.js';

const PORTS = { standalone: 18690, process: 18691, cluster: 18692 } as const;

interface Bench { group: ProcessGroup; pinning: Pinning; generator: Generator; seconds: number; connections: number }
interface Run extends ThroughputResult { cpuUsPerRequest: number }

async function measure(b: Bench, url: string, pid: number, tree: boolean): Promise<Run> {
  await runThroughput(b.generator, b.group, url, 1, b.connections, b.pinning);
  const meter = cpuMeter(pid, tree);
  const r = await runThroughput(b.generator, b.group, url, b.seconds, b.connections, b.pinning);
  return { ...r, cpuUsPerRequest: (meter.stop() / Math.max(1, r.requests)) * 1e6 };
}

function figures(report: Report, key: string, label: string, r: Run): void {
  report.figure(`${key}Rps`, `${label}: throughput`, r.rps, 'req/s');
  report.figure(`${key}P99`, `${label}: p99 latency`, r.p99Ms, 'ms', { digits: 3 });
  report.figure(`${key}Errors`, `${label}: errors`, r.errors, 'requests', { target: { op: '<=', value: 0 } });
  report.figure(`${key}CpuPerRequest`, `${label}: gateway CPU per request`, r.cpuUsPerRequest, 'µs', { digits: 3 });
}

async function main(): Promise<void> {
  const args = parseArgs();
  const report = new Report('gateway-as-run');
  if (!procAvailable()) throw new Error('this scenario reads CPU times from /proc');
  const pinning = createPinning(true);
  const group = new ProcessGroup();
  process.once('exit', () => group.killAll());
  const b: Bench = {
    group, pinning, generator: hasWrk() ? 'wrk' : 'undici',
    seconds: args.num('duration', args.quick ? 2 : 5), connections: args.num('connections', 32),
  };
  pinning.pin('other', process.pid);
  try {
    const { backends } = await startBackends(group, pinning);
    const c = tsxCommand(perfLib('gateway-server.ts'), [JSON.stringify({ listen: { addr: PROXY_ADDR, port: PORTS.standalone }, backends })]);
    const w = pinning.wrap('proxy', c.cmd, c.args);
    const proc = await group.start(w.cmd, w.args, { name: 'gateway-server' });
    const standalone = await measure(b, `http://${PROXY_ADDR}:${PORTS.standalone}/`, proc.pid, true);
    await proc.stop();
    figures(report, 'standalone', 'standalone gateway process', standalone);

    const table: EndpointTable = { version: 1, services: [{ serviceId: 'perf', name: 'perf', ports: [{ published: PORTS.process, target: 8080, protocol: 'tcp' }],
      endpoints: backends.map((e, i) => ({ taskId: `perf-${i + 1}`, slot: i + 1, nodeId: 'node-1', addr: e.addr, port: e.port, state: 'active' as const })) }] };
    const source: EndpointSource = { subscribe: (on) => { on(table); return () => {}; }, ack: () => {} };
    const gw = createGatewayProcess({ gateway: { id: 'perf', nodeId: 'node-1', hostname: 'node-1', addr: PROXY_ADDR, staggerRoundRobin: true }, source });
    await gw.start();
    pinning.pin('proxy', gw.pid()!);
    const child = await measure(b, `http://${PROXY_ADDR}:${PORTS.process}/`, gw.pid()!, false);
    await gw.close();
    figures(report, 'process', 'gateway child process fed over IPC', child);

    const cluster = await createCluster({ addresses: [PROXY_ADDR], gateway: { adminPort: false } });
    try {
      await cluster.createService({ name: 'cpu', image: 'whoami', replicas: 3, publish: [`${PORTS.cluster}:8080`] });
      await cluster.waitForConvergence('cpu', { timeoutMs: 60_000 });
      const pid = cluster.gateways[0]!.pid()!;
      pinning.pin('proxy', pid);
      figures(report, 'cluster', 'createCluster node gateway (whoami tasks)', await measure(b, `http://${PROXY_ADDR}:${PORTS.cluster}/`, pid, false));
    } finally {
      await cluster.close();
    }
    report.figure('processOverStandaloneCpu', 'gateway child / standalone CPU per request', child.cpuUsPerRequest / standalone.cpuUsPerRequest, '×', { digits: 3 });
    report.note(`load generator: ${b.generator}, ${b.connections} connections, ${b.seconds} s after 1 s of warm-up; ${pinning.description}`);
  } finally {
    await group.stopAll();
  }
  report.finish(args.json);
}

await main();
