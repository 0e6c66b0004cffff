/**
 * Scenario 2, rolling update under load: a fixed-rate open-model load (50 % of a capacity measured
 * just before, closed loop) through node-1's gateway while 10 replicas update with parallelism 2
 * and delay 1 s, once stop-first and once start-first. Figures: errors (non-2xx + connection
 * errors: must be 0), p50/p99/max latency before vs during, update duration vs the theoretical
 * minimum ceil(N/p) × (start + monitor + delay).
 *
 *   node --import tsx perf/rolling-update.ts [--json] [--quick] [--load-share 0.5] [--max-rate 5000]
 */
import type { Cluster, Task } from '../lib/index.js';
import { parseArgs, type PerfArgs } from './lib/args.js';
import { measureCapacity, startLoad } from './lib/load-process.js';
import type { LoadReport } from './lib/open-load.js';
import { PERF_NODE_ADDRESSES, median, sleep, startPerfCluster, startSeconds, until } from './lib/perf-cluster.js';
import { ProcessGroup } from './lib/processes.js';
import { Report } from './lib/report.js';
import { loadFigures } from './lib/load-figures.js';
import { loadChartSvg, writeChart } from './lib/chart-svg.js';
import { phaseMarkers, updateStepMarkers } from './lib/update-steps.js';

const REPLICAS = 10;
const PARALLELISM = 2;
const DELAY_S = 1;
const MONITOR_S = 1;
/** The update may take this many times the theoretical minimum. */
const DURATION_SLACK = 1.5;

type Order = 'stop-first' | 'start-first';

interface Setup { cluster: Cluster; group: ProcessGroup; report: Report; args: PerfArgs; rate?: number }

function newTasks(tasks: Task[], image: string): Task[] {
  return tasks.filter((t) => t.Spec.ContainerSpec?.Image === image);
}

async function capacityRate(s: Setup, url: string): Promise<number> {
  const seconds = s.args.quick ? 1.5 : 3;
  const cap = await measureCapacity(s.group, url, seconds, 32);
  const share = s.args.num('load-share', 0.5);
  const rate = Math.max(50, Math.min(s.args.num('max-rate', 5000), Math.round(cap.rps * share)));
  s.report.heading(`capacity through the gateway (closed loop, 32 connections, ${seconds} s): ${Math.round(cap.rps)} req/s; load: ${rate} req/s (${share * 100} %)`);
  s.report.figure('capacity', 'capacity through node-1\'s gateway (closed loop)', cap.rps, 'req/s');
  s.report.figure('loadRate', 'open-model load rate during the updates', rate, 'req/s');
  return rate;
}

async function runOrder(s: Setup, order: Order, port: number): Promise<void> {
  const { cluster, report } = s;
  const name = order === 'stop-first' ? 'ru-stop' : 'ru-start';
  const url = `http://${PERF_NODE_ADDRESSES[0]}:${port}/`;
  await cluster.createService({
    name, image: 'whoami:1', replicas: REPLICAS, publish: [`${port}:8080`], updateOrder: order,
    updateParallelism: PARALLELISM, updateDelay: `${DELAY_S}s`, updateMonitor: `${MONITOR_S}s`, stopGracePeriod: '5s',
  });
  await cluster.waitForConvergence(name, { timeoutMs: 60_000 });
  s.rate ??= await capacityRate(s, url);
  const load = await startLoad(s.group, { url, mode: 'open', rate: s.rate, connections: 64, maxSeconds: 180, whoami: true, phase: 'warmup' });
  let result: LoadReport;
  let wallSeconds: number;
  try {
    await sleep(1_000);
    load.phase('before');
    await sleep(s.args.quick ? 2_000 : 4_000);
    load.phase('during');
    const t0 = Date.now();
    await cluster.updateService(name, { image: 'whoami:2' });
    await until(`${name} update completed`, async () => (await cluster.service(name)).UpdateStatus?.State === 'completed', 120_000);
    wallSeconds = (Date.now() - t0) / 1000;
    load.phase('after');
    await sleep(1_000);
  } finally {
    result = await load.stop();
  }
  const service = await cluster.service(name);
  const st = service.UpdateStatus!;
  const engineSeconds = (Date.parse(st.CompletedAt!) - Date.parse(st.StartedAt!)) / 1000;
  const fresh = newTasks(await cluster.tasks({ service: [name] }), 'whoami:2');
  const start = median(startSeconds(fresh));
  const minimum = Math.ceil(REPLICAS / PARALLELISM) * (start + MONITOR_S + DELAY_S);
  const key = order === 'stop-first' ? 'stopFirst' : 'startFirst';
  report.heading(`${order}: ${REPLICAS} replicas, parallelism ${PARALLELISM}, delay ${DELAY_S} s, monitor ${MONITOR_S} s, load ${s.rate} req/s`);
  loadFigures(report, key, order, result, ['before', 'during'], s.rate!);
  report.figure(`${key}TaskStart`, `${order}: new task start (created → running), median`, start, 's');
  report.figure(`${key}TheoreticalMinimum`, `${order}: ceil(N/p) × (start + monitor + delay)`, minimum, 's');
  report.figure(`${key}UpdateDuration`, `${order}: update duration (UpdateStatus started → completed)`, engineSeconds, 's', { target: { op: '<=', value: Math.round(minimum * DURATION_SLACK * 100) / 100 } });
  report.figure(`${key}UpdateWall`, `${order}: update call → completed seen`, wallSeconds, 's');
  const chart = writeChart(`rolling-update-${order}`, loadChartSvg({
    title: `rolling update (${order}) under ${s.rate} req/s: ${REPLICAS} replicas whoami:1 → whoami:2`,
    subtitle: `parallelism ${PARALLELISM}, delay ${DELAY_S} s, monitor ${MONITOR_S} s; numbered lines: update steps`,
    timeline: result.timeline,
    markers: [...phaseMarkers(result.phases), ...updateStepMarkers(name, fresh, st)],
  }));
  report.note(`${order}: chart ${chart}`);
  report.figure(`${key}NewTasksRunning`, `${order}: tasks running the new image`, fresh.filter((t) => t.DesiredState === 'running' && t.Status.State === 'running').length, 'tasks', { target: { op: '==', value: REPLICAS } });
  await cluster.removeService(name);
}

async function main(): Promise<void> {
  const args = parseArgs();
  const report = new Report('rolling-update');
  const group = new ProcessGroup();
  process.once('exit', () => group.killAll());
  const cluster = await startPerfCluster(3);
  const setup: Setup = { cluster, group, report, args };
  try {
    await runOrder(setup, 'stop-first', 19701);
    await runOrder(setup, 'start-first', 19702);
  } finally {
    await group.stopAll();
    await cluster.close();
  }
  report.note(`the minimum counts the monitor period once per step, as the issue's formula does; like Swarm, swarmlet watches a new task for failures while the next step goes on, so a run can beat it`);
  report.finish(args.json);
}

await main();
