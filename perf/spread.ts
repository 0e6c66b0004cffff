/**
 * Scenario 1, spread: requests through the gateway of a node that runs none of the tasks, to 3
 * and to 10 replicas, over keep-alive connections and over a new connection per request; counts
 * the answers of each replica (whoami tells who answered) and the largest deviation from an
 * even share.
 *
 *   node --import tsx perf/spread.ts [--json] [--quick] [--per-replica 1000] [--concurrency 10]
 */
import { Agent, request } from 'undici';
import type { Cluster } from '../lib/index.js';
import { parseArgs } from './lib/args.js';
import { PERF_NODE_ADDRESSES, startPerfCluster } from './lib/perf-cluster.js';
import { Report } from './lib/report.js';

type Mode = 'keep-alive' | 'new connection';

interface SpreadRun { counts: Map<string, number>; sent: number; failed: number; seconds: number }

const MAX_DEVIATION_PCT = 1;

async function send(url: string, mode: Mode, total: number, concurrency: number): Promise<SpreadRun> {
  const agent = new Agent({ connections: concurrency, pipelining: 1, ...(mode === 'new connection' ? { keepAliveTimeout: 1, keepAliveMaxTimeout: 1 } : {}) });
  const headers = { accept: 'application/json', ...(mode === 'new connection' ? { connection: 'close' } : {}) };
  const counts = new Map<string, number>();
  let sent = 0;
  let failed = 0;
  const started = Date.now();
  const deadline = started + 120_000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (sent < total && Date.now() < deadline) {
      sent++;
      try {
        const res = await request(url, { dispatcher: agent, headers });
        const body = await res.body.text();
        const task = /"task":"([^"]*)"/.exec(body)?.[1];
        if (res.statusCode !== 200 || task === undefined) { failed++; continue; }
        counts.set(task, (counts.get(task) ?? 0) + 1);
      } catch {
        failed++;
      }
    }
  }));
  await agent.close();
  return { counts, sent, failed, seconds: (Date.now() - started) / 1000 };
}

/** Largest |count − even share| over the replicas, in % of the even share (a replica never reached counts as 0). */
export function maxDeviationPercent(counts: ReadonlyMap<string, number>, replicas: string[], total: number): number {
  const share = total / replicas.length;
  return Math.max(...replicas.map((r) => Math.abs((counts.get(r) ?? 0) - share) / share * 100));
}

async function measure(report: Report, cluster: Cluster, name: string, replicas: number, port: number, perReplica: number, concurrency: number): Promise<void> {
  const url = `http://${PERF_NODE_ADDRESSES[0]}:${port}/`;
  const names = Array.from({ length: replicas }, (_, i) => `${name}.${i + 1}`);
  for (const mode of ['keep-alive', 'new connection'] as const) {
    const total = perReplica * replicas;
    const r = await send(url, mode, total, concurrency);
    const key = `r${replicas}${mode === 'keep-alive' ? 'KeepAlive' : 'NewConnection'}`;
    const label = `${replicas} replicas, ${mode}`;
    report.heading(`${label}: ${r.sent} requests in ${r.seconds.toFixed(1)} s (${Math.round(r.sent / r.seconds)} req/s), concurrency ${concurrency}`);
    const values = names.map((n) => r.counts.get(n) ?? 0);
    report.figure(`${key}Counts`, `${label}: answers per replica`, values.join(' '), '');
    report.figure(`${key}Failed`, `${label}: failed requests`, r.failed, 'requests', { target: { op: '<=', value: 0 } });
    report.figure(`${key}ReplicasReached`, `${label}: replicas that answered`, values.filter((v) => v > 0).length, 'replicas', { target: { op: '==', value: replicas } });
    report.figure(`${key}MinCount`, `${label}: fewest answers of a replica`, Math.min(...values), 'requests');
    report.figure(`${key}MaxCount`, `${label}: most answers of a replica`, Math.max(...values), 'requests');
    report.figure(`${key}MaxDeviation`, `${label}: max deviation from uniform`, maxDeviationPercent(r.counts, names, total), '%', { target: { op: '<=', value: MAX_DEVIATION_PCT } });
  }
}

async function main(): Promise<void> {
  const args = parseArgs();
  const perReplica = args.num('per-replica', args.quick ? 200 : 1000);
  const concurrency = args.num('concurrency', 10);
  const report = new Report('spread');
  console.log(`spread: ${perReplica} requests per replica through node-1 (${PERF_NODE_ADDRESSES[0]}), which runs none of the tasks`);
  const cluster = await startPerfCluster(4);
  try {
    const services = [{ name: 'sp3', replicas: 3, port: 19803 }, { name: 'sp10', replicas: 10, port: 19810 }];
    for (const s of services) {
      await cluster.createService({ name: s.name, image: 'whoami', replicas: s.replicas, publish: [`${s.port}:8080`], constraints: ['node.hostname!=node-1'] });
    }
    for (const s of services) await cluster.waitForConvergence(s.name, { timeoutMs: 60_000 });
    const node1 = (await cluster.nodes()).find((n) => n.Description.Hostname === 'node-1')!;
    const onNode1 = (await cluster.tasks({ 'desired-state': ['running'] })).filter((t) => t.NodeID === node1.ID).length;
    if (onNode1 > 0) throw new Error(`node-1 runs ${onNode1} task(s): the constraint was not honoured`);
    for (const s of services) await measure(report, cluster, s.name, s.replicas, s.port, perReplica, concurrency);
  } finally {
    await cluster.close();
  }
  report.finish(args.json);
}

await main();
