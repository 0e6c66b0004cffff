/**
 * Scenario 3, failover under load: the same fixed-rate open-model load as rolling-update (50 % of
 * a capacity measured just before) through node-1's gateway while one task is `kill -9`'d.
 * Figures: errors (must be 0), time from the kill until the task is seen failed, until its
 * replacement runs and until the replacement answers a request through the gateway, and the
 * latency spike (p99/max during vs before). Then the same for a whole node: a cluster of processes
 * (`swarmlet manager` with a 1 s heartbeat and three `swarmlet node join`), 10 replicas, the load
 * through node 1's gateway, and node 3 dies as a machine would: its `node join` process and every
 * task process it ran get `kill -9` at once. Figures: errors, kill → node down, kill → its tasks
 * running elsewhere, kill → the last replacement answers through the gateway, latency.
 *
 *   node --import tsx perf/failover.ts [--json] [--quick] [--load-share 0.5] [--max-rate 5000]
 */
import type { Task } from '../lib/index.js';
import { parseArgs } from './lib/args.js';
import { loadFigures } from './lib/load-figures.js';
import { measureCapacity, startLoad, type LoadHandle } from './lib/load-process.js';
import type { LoadReport } from './lib/open-load.js';
import { PERF_NODE_ADDRESSES, runningTasks, sleep, startPerfCluster, until } from './lib/perf-cluster.js';
import { killTaskProcess, startProcessCluster, type ApiNode, type ApiTask } from './lib/process-cluster.js';
import { ProcessGroup } from './lib/processes.js';
import { Report } from './lib/report.js';
import { loadChartSvg, writeChart, type ChartMarker } from './lib/chart-svg.js';
import { phaseMarkers } from './lib/update-steps.js';

function chartFailover(report: Report, name: string, title: string, result: LoadReport, markers: ChartMarker[]): void {
  const path = writeChart(name, loadChartSvg({ title, timeline: result.timeline, markers: [...phaseMarkers(result.phases), ...markers] }));
  report.note(`${title}: chart ${path}`);
}

const REPLICAS = 10;
const PORT = 19720;
const NODE_KILL_PORT = 19721;

function secondsSince(from: number, iso: string | undefined): number | undefined {
  return iso === undefined ? undefined : (Date.parse(iso) - from) / 1000;
}

/**
 * The load's phases around a failure: 1 s of warm-up, 2–4 s `before` ending with `prepare`
 * (choosing the victim), then `during` from `strike` until it returns and 1.5 s more, then 1 s
 * `after`. The load always stops; an error of `prepare` or `strike` is thrown after that.
 */
async function phased(load: LoadHandle, quick: boolean, prepare: () => Promise<void>, strike: () => Promise<void>): Promise<LoadReport> {
  let failure: { error: unknown } | undefined;
  try {
    await sleep(1_000);
    load.phase('before');
    await sleep(quick ? 2_000 : 4_000);
    await prepare();
    load.phase('during');
    await strike();
    await sleep(1_500);
    load.phase('after');
    await sleep(1_000);
  } catch (error) {
    failure = { error };
  }
  const report = await load.stop();
  if (failure) throw failure.error;
  return report;
}

/** kill -9 of a node process and of its tasks (a node's machine dying) under load through another node. */
async function nodeKill(args: ReturnType<typeof parseArgs>, report: Report): Promise<void> {
  const group = new ProcessGroup();
  process.once('exit', () => group.killAll());
  const cluster = await startProcessCluster(group, PERF_NODE_ADDRESSES[3]!, PERF_NODE_ADDRESSES.slice(0, 3));
  const url = `http://${PERF_NODE_ADDRESSES[0]}:${NODE_KILL_PORT}/`;
  let result: LoadReport;
  let rate: number;
  let killAt = 0;
  let downAt: number | undefined;
  let replacedAt: number | undefined;
  let victims: ApiTask[] = [];
  let replacements: ApiTask[] = [];
  try {
    const spec = {
      Name: 'fonode',
      TaskTemplate: { ContainerSpec: { Image: 'whoami' }, RestartPolicy: { Condition: 'any', Delay: 0 } },
      Mode: { Replicated: { Replicas: REPLICAS } },
      EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: NODE_KILL_PORT, PublishMode: 'ingress' }] },
    };
    const created = await cluster.post('/services/create', spec);
    if (created !== 201) throw new Error(`service create answered ${created}`);
    await until(`${REPLICAS} tasks running`, async () => (await cluster.running('fonode')).length === REPLICAS, 60_000);
    const pn3 = (await cluster.get<ApiNode[]>('/nodes')).find((n) => n.Description.Hostname === 'pn3');
    if (pn3 === undefined) throw new Error('node pn3 is not in the cluster');
    const capSeconds = args.quick ? 1.5 : 3;
    const cap = await measureCapacity(group, url, capSeconds, 32);
    rate = Math.max(50, Math.min(args.num('max-rate', 5000), Math.round(cap.rps * args.num('load-share', 0.5))));
    report.heading(`kill -9 of a node: manager + 3 node processes (1 s heartbeat), capacity ${Math.round(cap.rps)} req/s through node 1's gateway, load ${rate} req/s`);
    report.figure('nodeKillCapacity', 'node kill: capacity through node 1\'s gateway (closed loop)', cap.rps, 'req/s');
    const load = await startLoad(group, { url, mode: 'open', rate, connections: 64, maxSeconds: 120, whoami: true, phase: 'warmup' });
    let before: ApiTask[] = [];
    result = await phased(load, args.quick, async () => {
      before = await cluster.running('fonode');
      victims = before.filter((t) => t.NodeID === pn3.ID);
      if (victims.length === 0) throw new Error('node pn3 runs none of the tasks');
    }, async () => {
      killAt = Date.now();
      cluster.nodes[2]!.child.kill('SIGKILL');
      for (const t of victims) if (t.Status.ContainerStatus?.PID) killTaskProcess(t.Status.ContainerStatus.PID);
      await until('node pn3 down', async () => {
        if ((await cluster.get<ApiNode>(`/nodes/${pn3.ID}`)).Status.State !== 'down') return false;
        downAt = Date.now();
        return true;
      }, 30_000);
      const seen = new Set(before.map((t) => t.ID));
      await until('its tasks running elsewhere', async () => {
        const now = await cluster.running('fonode');
        if (now.length !== REPLICAS || now.some((t) => t.NodeID === pn3.ID)) return false;
        replacedAt = Date.now();
        replacements = now.filter((t) => !seen.has(t.ID));
        return true;
      }, 30_000);
    });
  } finally {
    await cluster.close();
  }
  loadFigures(report, 'nodeKill', 'node kill -9', result, ['before', 'during'], rate);
  chartFailover(report, 'failover-node-kill', `kill -9 of a node (${victims.length} tasks) under ${rate} req/s`, result, [
    { atMs: killAt, kind: 'kill', short: 'kill', label: `kill -9 of node pn3 and its ${victims.length} tasks` },
    ...(downAt !== undefined ? [{ atMs: downAt, kind: 'event' as const, short: 'down', label: 'node seen down' }] : []),
    ...(replacedAt !== undefined ? [{ atMs: replacedAt, kind: 'event' as const, short: 'replaced', label: 'its tasks running elsewhere' }] : []),
  ]);
  report.figure('nodeKillTasks', 'node kill -9: tasks the node ran', victims.length, 'tasks');
  if (downAt !== undefined) report.figure('nodeKillDown', 'node kill -9: kill → node seen down (heartbeat 1 s)', (downAt - killAt) / 1000, 's', { digits: 3 });
  if (replacedAt !== undefined) report.figure('nodeKillReplacementsRunning', 'node kill -9: kill → its tasks running elsewhere', (replacedAt - killAt) / 1000, 's', { digits: 3 });
  const served = replacements.map((t) => result.firstSeen[t.ID]).filter((x): x is number => x !== undefined);
  report.figure('nodeKillReplacementsServed', 'node kill -9: replacements that answered through the gateway', served.length, 'tasks', { target: { op: '==', value: replacements.length } });
  if (served.length > 0) report.figure('nodeKillReplacementsServe', 'node kill -9: kill → the last replacement serves', (Math.max(...served) - killAt) / 1000, 's', { digits: 3 });
  report.note('node kill -9: until the node is seen down, requests the gateway sends to the dead tasks are refused and retried on another task (passive health ejects them); the errors figure counts what the client saw');
}

async function main(): Promise<void> {
  const args = parseArgs();
  const report = new Report('failover');
  const group = new ProcessGroup();
  process.once('exit', () => group.killAll());
  const cluster = await startPerfCluster(3);
  const url = `http://${PERF_NODE_ADDRESSES[0]}:${PORT}/`;
  let result: LoadReport;
  let killAt = 0;
  let victim: Task;
  let replacement: Task | undefined;
  let rate: number;
  try {
    await cluster.createService({ name: 'fo', image: 'whoami', replicas: REPLICAS, publish: [`${PORT}:8080`], restartDelay: '0s' });
    await cluster.waitForConvergence('fo', { timeoutMs: 60_000 });
    const capSeconds = args.quick ? 1.5 : 3;
    const cap = await measureCapacity(group, url, capSeconds, 32);
    rate = Math.max(50, Math.min(args.num('max-rate', 5000), Math.round(cap.rps * args.num('load-share', 0.5))));
    report.heading(`capacity (closed loop, 32 connections, ${capSeconds} s): ${Math.round(cap.rps)} req/s; load ${rate} req/s; ${REPLICAS} replicas, restart delay 0 s (Swarm's default of 5 s would add 5 s to the replacement times)`);
    report.figure('capacity', 'capacity through node-1\'s gateway (closed loop)', cap.rps, 'req/s');
    report.figure('loadRate', 'open-model load rate', rate, 'req/s');
    const load = await startLoad(group, { url, mode: 'open', rate, connections: 64, maxSeconds: 120, whoami: true, phase: 'warmup' });
    let pid = 0;
    result = await phased(load, args.quick, async () => {
      victim = (await runningTasks(cluster, 'fo'))[0]!;
      pid = victim.Status.ContainerStatus?.PID ?? 0;
      if (!pid) throw new Error(`task ${victim.ID} reports no PID`);
    }, async () => {
      killAt = Date.now();
      process.kill(pid, 'SIGKILL');
      await until('the replacement running', async () => {
        replacement = (await runningTasks(cluster, 'fo')).find((t) => t.Slot === victim.Slot && t.ID !== victim.ID);
        return replacement !== undefined;
      }, 60_000);
    });
    victim = (await cluster.tasks({ id: [victim!.ID] }))[0] ?? victim!;
  } finally {
    await group.stopAll();
    await cluster.close();
  }
  report.heading(`kill -9 of task ${victim.ID.slice(0, 12)} (${'fo'}.${victim.Slot}) under ${rate} req/s`);
  loadFigures(report, 'taskKill', 'task kill -9', result, ['before', 'during'], rate);
  chartFailover(report, 'failover-task-kill', `kill -9 of task fo.${victim.Slot} under ${rate} req/s`, result, [
    { atMs: killAt, kind: 'kill', short: 'kill', label: `kill -9 of fo.${victim.Slot} (${victim.ID.slice(0, 12)})` },
    ...(replacement?.RunningAt ? [{ atMs: Date.parse(replacement.RunningAt), kind: 'event' as const, short: 'running', label: 'replacement running' }] : []),
  ]);
  const failedAfter = secondsSince(killAt, victim.Status.State === 'running' ? undefined : victim.Status.Timestamp);
  if (failedAfter !== undefined) report.figure('taskKillDetected', 'task kill -9: kill → old task seen ended', failedAfter, 's', { digits: 3 });
  else report.notMeasured('taskKillDetected', 'task kill -9: kill → old task seen ended', 's', 'the old task still shows running');
  const runningAfter = secondsSince(killAt, replacement?.RunningAt);
  if (runningAfter !== undefined) report.figure('taskKillReplacementRunning', 'task kill -9: kill → replacement running', runningAfter, 's', { digits: 3 });
  else report.notMeasured('taskKillReplacementRunning', 'task kill -9: kill → replacement running', 's', 'no replacement ran');
  const seen = replacement ? result.firstSeen[replacement.ID] : undefined;
  report.figure('taskKillReplacementServed', 'task kill -9: replacement answered through the gateway', seen === undefined ? 0 : 1, 'tasks', { target: { op: '==', value: 1 } });
  if (seen !== undefined) report.figure('taskKillReplacementServes', 'task kill -9: kill → replacement serves', (seen - killAt) / 1000, 's', { digits: 3 });
  await nodeKill(args, report);
  report.finish(args.json);
}

await main();
