/**
 * Scenario 5, scheduler scale, in-process (no real processes): 1,000,000 tasks of 1,000 services
 * placed on 5,000 simulated nodes with planPlacements, in batches as the manager's scheduler loop
 * sees them (each pass plans the pending tasks against every task already placed, then the
 * assignments are applied); placements per second and peak memory (RSS: the kernel's high-water
 * mark and samples; heap used: samples). Then, over the same state with every task running: one
 * reconcile pass (reconcileReplicated over all services, which must plan nothing) and one update
 * step (planUpdateStep over all services after a new image, which must start parallelism slots
 * of each).
 *
 *   node --import tsx perf/scheduler-scale.ts [--json] [--quick] [--nodes 5000] [--services 1000]
 *        [--tasks-per-service 1000] [--batch-services 100]
 * --quick: 100 tasks per service (100,000 tasks).
 */
import { performance } from 'node:perf_hooks';
import type { Node, Service, Task } from '../lib/model/types.js';
import { reconcileReplicated } from '../lib/orchestrator/reconcile-replicated.js';
import { planPlacements } from '../lib/scheduler/plan-placements.js';
import { planUpdateStep } from '../lib/update/plan-update-step.js';
import { parseArgs } from './lib/args.js';
import { Report } from './lib/report.js';
import { SIM_NOW, SIM_T0, simNode, simPendingTask, simService, withNewImage } from './lib/sim-cluster.js';

const MiB = 1024 ** 2;

interface Memory { peakRssMiB: number; peakHeapMiB: number; sample(): void }

function memoryTracker(): Memory {
  const m: Memory = {
    peakRssMiB: 0,
    peakHeapMiB: 0,
    sample() {
      const u = process.memoryUsage();
      m.peakRssMiB = Math.max(m.peakRssMiB, u.rss / MiB, process.resourceUsage().maxRSS / 1024);
      m.peakHeapMiB = Math.max(m.peakHeapMiB, u.heapUsed / MiB);
    },
  };
  return m;
}

interface Placement { tasks: Task[]; placed: number; unplaced: number; planMs: number; applyMs: number; passes: number }

/** Creates the services' tasks batch by batch and places each batch as one scheduler pass would. */
function placeAll(nodes: Node[], services: Service[], perService: number, batch: number, mem: Memory, log: (l: string) => void): Placement {
  const byId = new Map(services.map((s) => [s.ID, s]));
  const tasks: Task[] = [];
  let planMs = 0;
  let applyMs = 0;
  let placed = 0;
  let unplaced = 0;
  let passes = 0;
  for (let first = 0; first < services.length; first += batch) {
    const pending: Task[] = [];
    for (let j = first; j < Math.min(services.length, first + batch); j++) {
      for (let slot = 1; slot <= perService; slot++) pending.push(simPendingTask(services[j]!, j, slot));
    }
    const before = tasks.length;
    const t0 = performance.now();
    const plan = planPlacements({ nodes, services: byId, tasks: tasks.concat(pending), pending, now: SIM_NOW });
    const t1 = performance.now();
    const index = new Map(pending.map((t) => [t.ID, t]));
    for (const a of plan.assignments) {
      const t = index.get(a.taskId)!;
      tasks.push({ ...t, NodeID: a.nodeId, Status: { Timestamp: SIM_T0, State: 'assigned', Message: 'scheduler assigned task to node' } });
    }
    const t2 = performance.now();
    planMs += t1 - t0;
    applyMs += t2 - t1;
    placed += plan.assignments.length;
    unplaced += plan.unplaced.length;
    passes++;
    mem.sample();
    log(`  pass ${passes}: ${pending.length.toLocaleString('en-US')} pending against ${before.toLocaleString('en-US')} placed: plan ${(t1 - t0).toFixed(0)} ms, apply ${(t2 - t1).toFixed(0)} ms, rss ${Math.round(process.memoryUsage().rss / MiB)} MiB`);
  }
  return { tasks, placed, unplaced, planMs, applyMs, passes };
}

function groupByService(tasks: Task[]): Map<string, Task[]> {
  const out = new Map<string, Task[]>();
  for (const t of tasks) {
    let list = out.get(t.ServiceID);
    if (!list) out.set(t.ServiceID, (list = []));
    list.push(t);
  }
  return out;
}

function reconcilePass(services: Service[], byService: Map<string, Task[]>, nodes: ReadonlyMap<string, Node>): { ms: number; actions: number } {
  const t0 = performance.now();
  let actions = 0;
  for (const service of services) {
    const plan = reconcileReplicated({ service, tasks: byService.get(service.ID) ?? [], nodes, now: SIM_NOW });
    actions += plan.create.length + plan.setDesired.length;
  }
  return { ms: performance.now() - t0, actions };
}

function updateStep(services: Service[], byService: Map<string, Task[]>, nodes: ReadonlyMap<string, Node>): { ms: number; replace: number } {
  const next = services.map(withNewImage);
  const t0 = performance.now();
  let replace = 0;
  for (const service of next) replace += planUpdateStep({ service, tasks: byService.get(service.ID) ?? [], nodes, now: SIM_NOW }).replace.length;
  return { ms: performance.now() - t0, replace };
}

function main(): void {
  const args = parseArgs();
  const nodeCount = args.num('nodes', 5000);
  const serviceCount = args.num('services', 1000);
  const perService = args.num('tasks-per-service', args.quick ? 100 : 1000);
  const batch = args.num('batch-services', 100);
  const total = serviceCount * perService;
  const report = new Report('scheduler-scale');
  const mem = memoryTracker();
  const nodes = Array.from({ length: nodeCount }, (_, i) => simNode(i));
  const services = Array.from({ length: serviceCount }, (_, j) => simService(j, perService, nodeCount));
  console.log(`scheduler-scale: ${total.toLocaleString('en-US')} tasks of ${serviceCount} services on ${nodeCount} nodes, ${Math.ceil(serviceCount / batch)} passes of ${batch} services`);
  mem.sample();
  const p = placeAll(nodes, services, perService, batch, mem, (l) => console.log(l));
  const seconds = p.planMs / 1000;
  report.heading('placement');
  report.figure('tasks', 'tasks to place', total, 'tasks');
  report.figure('placed', 'tasks placed', p.placed, 'tasks', { target: { op: '==', value: total } });
  report.figure('unplaced', 'tasks left pending (no suitable node)', p.unplaced, 'tasks');
  report.figure('placementSeconds', `planPlacements time over ${p.passes} passes`, seconds, 's', { target: { op: '<=', value: (20 * total) / 1_000_000 } });
  report.figure('placementsPerSecond', 'placements per second', p.placed / seconds, 'tasks/s', { digits: 3, target: { op: '>=', value: 50_000 } });
  report.figure('applySeconds', 'applying the assignments (new task objects)', p.applyMs / 1000, 's');
  for (const t of p.tasks) { t.Status = { Timestamp: SIM_T0, State: 'running' }; t.RunningAt = SIM_T0; }
  const byService = groupByService(p.tasks);
  const nodeMap = new Map(nodes.map((n) => [n.ID, n]));
  mem.sample();
  report.heading('over the same state, every task running');
  const rec = reconcilePass(services, byService, nodeMap);
  mem.sample();
  report.figure('reconcileSeconds', `reconcileReplicated over ${serviceCount} services`, rec.ms / 1000, 's');
  report.figure('reconcileActions', 'reconcile actions planned (converged: none)', rec.actions, 'actions', { target: { op: '==', value: 0 } });
  const up = updateStep(services, byService, nodeMap);
  mem.sample();
  report.figure('updateStepSeconds', `planUpdateStep over ${serviceCount} services (new image)`, up.ms / 1000, 's');
  report.figure('updateStepReplacements', 'slots the first update step replaces (parallelism 2)', up.replace, 'slots', { target: { op: '==', value: Math.min(2, perService) * serviceCount } });
  report.heading('memory');
  report.figure('peakRss', 'peak RSS (kernel high-water mark)', mem.peakRssMiB, 'MiB', { digits: 4, target: { op: '<=', value: 2048 } });
  report.figure('peakHeapUsed', 'peak heap used (sampled after each step)', mem.peakHeapMiB, 'MiB', { digits: 4 });
  report.finish(args.json);
}

main();
