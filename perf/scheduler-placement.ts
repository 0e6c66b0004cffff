/**
 * Scheduler scale: time planPlacements on a large cluster.
 *
 *   node --import tsx perf/scheduler-placement.ts [--json] [--quick] [--no-large]
 *
 * Main scenario: 1,000 nodes, 100 services, 10,000 pending tasks (a mix of
 * reservations, constraints, max-replicas, host ports and spread preferences,
 * plus 2,000 tasks already running). Large scenario: 5,000 nodes, 1,000
 * services, 100,000 pending tasks (not with --quick or --no-large). With --json
 * the last stdout line is one JSON object: {scenario, figures, targets, pass}.
 */
import { performance } from 'node:perf_hooks';
import type { Node, Service, Task } from '../lib/model/types.js';
import { planPlacements, type PlacementInput } from '../lib/scheduler/plan-placements.js';
import { parseArgs } from './lib/args.js';
import { Report } from './lib/report.js';

const T0 = '2024-01-01T00:00:00Z';
const NOW = Date.parse('2024-01-01T12:00:00Z');
const GiB = 1024 ** 3;
const ZONES = ['a', 'b', 'c', 'd'];

function node(i: number): Node {
  return {
    ID: `node-${i}`, Version: { Index: 1 }, CreatedAt: T0, UpdatedAt: T0,
    Spec: { Role: 'worker', Availability: i % 97 === 0 ? 'drain' : 'active', Labels: { zone: ZONES[i % ZONES.length]! } },
    Description: {
      Hostname: `host-${String(i).padStart(5, '0')}`,
      Platform: { OS: 'linux', Architecture: 'x86_64' },
      Resources: { NanoCPUs: 16e9, MemoryBytes: 64 * GiB },
    },
    Status: { State: i % 89 === 0 ? 'down' : 'ready', Addr: '127.0.0.1' },
  };
}

function service(j: number): Service {
  const placement = {
    ...(j % 10 === 3 ? { Constraints: ['node.labels.zone!=d'] } : {}),
    ...(j % 5 === 1 ? { MaxReplicas: 3 } : {}),
    ...(j % 7 === 2 ? { Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] } : {}),
  };
  const ports = j % 25 === 4 ? [{ Protocol: 'tcp' as const, TargetPort: 80, PublishedPort: 20000 + j, PublishMode: 'host' as const }] : [];
  return {
    ID: `svc-${String(j).padStart(5, '0')}`, Version: { Index: 1 }, CreatedAt: T0, UpdatedAt: T0,
    Spec: {
      Name: `svc${j}`,
      TaskTemplate: {
        ContainerSpec: { Image: `img${j % 10}:1` },
        Resources: { Reservations: { NanoCPUs: 1e8, MemoryBytes: 128 * 1024 ** 2 } },
        Placement: placement,
      },
      Mode: { Replicated: { Replicas: 0 } },
      EndpointSpec: { Ports: ports },
    },
    Endpoint: { Spec: { Ports: ports } },
    SpecVersion: { Index: 1 },
  };
}

function task(s: Service, slot: number, nodeId: string): Task {
  return {
    ID: `${s.ID}-t${slot}`, Version: { Index: 1 }, CreatedAt: T0, UpdatedAt: T0,
    Spec: s.Spec.TaskTemplate, ServiceID: s.ID, Slot: slot, NodeID: nodeId,
    Status: { Timestamp: T0, State: nodeId ? 'running' : 'pending' },
    DesiredState: 'running', SpecVersion: { Index: 1 },
  };
}

function buildInput(nodeCount: number, serviceCount: number, tasksPerService: number, existing: number): PlacementInput {
  const nodes = Array.from({ length: nodeCount }, (_, i) => node(i));
  const services = Array.from({ length: serviceCount }, (_, j) => service(j));
  const pending: Task[] = [];
  const running: Task[] = [];
  for (const [j, s] of services.entries()) {
    for (let k = 1; k <= tasksPerService; k++) pending.push(task(s, existing + k, ''));
    for (let k = 1; k <= existing / serviceCount; k++) running.push(task(s, k, nodes[(j * 31 + k * 7) % nodeCount]!.ID));
  }
  return { nodes, services: new Map(services.map((s) => [s.ID, s])), tasks: [...running, ...pending], pending, now: NOW };
}

interface Run { name: string; nodes: number; services: number; tasks: number; bestMs: number; medianMs: number; placed: number; unplaced: number; perSecond: number; heapMiB: number }

function measure(name: string, input: PlacementInput, reps: number): Run {
  const times: number[] = [];
  let placed = 0;
  let unplaced = 0;
  planPlacements(input); // warm-up
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    const plan = planPlacements(input);
    times.push(performance.now() - start);
    placed = plan.assignments.length;
    unplaced = plan.unplaced.length;
  }
  times.sort((a, b) => a - b);
  const medianMs = times[Math.floor(times.length / 2)]!;
  return {
    name, nodes: input.nodes.length, services: input.services.size, tasks: input.pending.length,
    bestMs: round(times[0]!), medianMs: round(medianMs), placed, unplaced,
    perSecond: Math.round((input.pending.length / medianMs) * 1000),
    heapMiB: round(process.memoryUsage().heapUsed / 1024 ** 2),
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

function printTable(runs: Run[]): void {
  const cols: Array<[string, (r: Run) => string]> = [
    ['scenario', (r) => r.name], ['nodes', (r) => String(r.nodes)], ['services', (r) => String(r.services)],
    ['tasks', (r) => String(r.tasks)], ['placed', (r) => String(r.placed)], ['unplaced', (r) => String(r.unplaced)],
    ['best ms', (r) => r.bestMs.toFixed(1)], ['median ms', (r) => r.medianMs.toFixed(1)],
    ['tasks/s', (r) => String(r.perSecond)], ['heap MiB', (r) => r.heapMiB.toFixed(1)],
  ];
  const rows = [cols.map(([h]) => h), ...runs.map((r) => cols.map(([, f]) => f(r)))];
  const widths = cols.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) console.log(row.map((cell, i) => cell.padStart(widths[i]!)).join('  '));
}

function main(): void {
  const args = parseArgs();
  const runs = [measure('10k tasks / 1k nodes', buildInput(1000, 100, 100, 2000), 5)];
  if (!process.argv.includes('--no-large') && !args.quick) runs.push(measure('100k tasks / 5k nodes', buildInput(5000, 1000, 100, 10000), 3));
  printTable(runs);
  const report = new Report('scheduler-placement');
  for (const [i, r] of runs.entries()) {
    const key = i === 0 ? '' : 'large';
    const name = (n: string) => (key ? `${key}${n.charAt(0).toUpperCase()}${n.slice(1)}` : n);
    report.heading(`${r.name}: ${r.services} services, ${r.tasks} pending tasks`);
    report.figure(name('placed'), `${r.name}: placed`, r.placed, 'tasks');
    report.figure(name('unplaced'), `${r.name}: left pending`, r.unplaced, 'tasks');
    report.figure(name('placeMsMedian'), `${r.name}: planPlacements, median`, r.medianMs, 'ms', i === 0 ? { target: { op: '<=', value: 1000 } } : {});
    report.figure(name('placeMsBest'), `${r.name}: planPlacements, best`, r.bestMs, 'ms');
    report.figure(name('placementsPerSecond'), `${r.name}: placements per second`, r.perSecond, 'tasks/s', { digits: 3 });
    report.figure(name('heapUsedMiB'), `${r.name}: heap used after`, r.heapMiB, 'MiB');
  }
  report.finish(args.json);
}

main();
