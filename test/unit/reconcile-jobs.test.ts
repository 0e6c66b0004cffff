import t from 'tap';
import fc from 'fast-check';
import { reconcileGlobalJob, reconcileReplicatedJob, type JobInput } from '../../lib/orchestrator/reconcile-jobs.js';
import { reconcileService } from '../../lib/orchestrator/reconcile-service.js';
import { isEmptyPlan, type OrchestratorPlan } from '../../lib/orchestrator/plan.js';
import { stateRank, type TaskState } from '../../lib/model/task-state.js';
import type { Node, RestartPolicy, Service, Task } from '../../lib/model/types.js';
import { T0, node, nodeMap, service, task } from '../fixtures/orchestrator-fixtures.js';

const nodes = nodeMap(node('n1'), node('n2'), node('n3'));

interface JobOver { total?: number; concurrent?: number; global?: boolean; iteration?: number; restart?: RestartPolicy; constraints?: string[] }

function job(over: JobOver = {}): Service {
  const base = service({ ...(over.restart ? { restart: over.restart } : {}), ...(over.constraints ? { constraints: over.constraints } : {}) });
  const Mode = over.global ? { GlobalJob: {} } : { ReplicatedJob: { MaxConcurrent: over.concurrent ?? 2, TotalCompletions: over.total ?? 5 } };
  return { ...base, Spec: { ...base.Spec, Mode }, JobStatus: { JobIteration: { Index: over.iteration ?? 0 } } };
}

function jt(slot: number, nodeId: string, over: { state?: TaskState; desired?: TaskState; iteration?: number; ts?: number } = {}): Task {
  const { iteration, ...rest } = over;
  return { ...task(slot, nodeId, rest), JobIteration: { Index: iteration ?? 0 } };
}

const creates = (p: OrchestratorPlan) => p.create.map((c) => [c.slot, c.nodeId, c.desiredState]);
const desires = (p: OrchestratorPlan, tasks: Task[]) => p.setDesired.map((s) => [tasks.findIndex((x) => x.ID === s.taskId), s.desiredState]);

t.test('replicated job: table', async (t) => {
  interface Case { name: string; svc: Service; tasks: Task[]; create: unknown[]; desired: unknown[]; now?: number; n?: Map<string, Node> }
  const cases: Case[] = [
    { name: 'a new job starts MaxConcurrent tasks in the lowest slots (0-based)', svc: job(), tasks: [],
      create: [[0, '', 'running'], [1, '', 'running']], desired: [] },
    { name: 'MaxConcurrent above TotalCompletions starts TotalCompletions', svc: job({ total: 2, concurrent: 5 }), tasks: [],
      create: [[0, '', 'running'], [1, '', 'running']], desired: [] },
    { name: 'two running: nothing to do', svc: job(), tasks: [jt(0, 'n1'), jt(1, 'n2')], create: [], desired: [] },
    { name: 'a completion settles its slot (desired complete) and frees a place', svc: job(),
      tasks: [jt(0, 'n1', { state: 'complete' }), jt(1, 'n2')], create: [[2, '', 'running']], desired: [[0, 'complete']] },
    { name: 'all slots complete: done', svc: job({ total: 3 }),
      tasks: [0, 1, 2].map((s) => jt(s, 'n1', { state: 'complete', desired: 'complete' })), create: [], desired: [] },
    { name: 'the last slots are not over-started', svc: job({ total: 3, concurrent: 2 }),
      tasks: [jt(0, 'n1', { state: 'complete', desired: 'complete' }), jt(1, 'n1', { state: 'complete', desired: 'complete' })],
      create: [[2, '', 'running']], desired: [] },
    { name: 'a failed task restarts in its slot after the restart delay (default policy: on-failure)', svc: job(),
      tasks: [jt(0, 'n1', { state: 'failed' }), jt(1, 'n2')], create: [[0, '', 'ready']], desired: [[0, 'shutdown']] },
    { name: 'restart any behaves like on-failure: a completion is not rerun', svc: job({ total: 1, concurrent: 1, restart: { Condition: 'any', Delay: 0 } }),
      tasks: [jt(0, 'n1', { state: 'complete' })], create: [], desired: [[0, 'complete']] },
    { name: 'restart none leaves a failed task failed; other slots still run', svc: job({ total: 2, concurrent: 1, restart: { Condition: 'none' } }),
      tasks: [jt(0, 'n1', { state: 'failed' })], create: [[1, '', 'running']], desired: [] },
    { name: 'max attempts reached: no restart', svc: job({ total: 1, concurrent: 1, restart: { Condition: 'on-failure', Delay: 0, MaxAttempts: 1 } }),
      tasks: [jt(0, 'n1', { state: 'failed', desired: 'shutdown' }), jt(0, 'n1', { state: 'failed' })], create: [], desired: [] },
    { name: 'a task on a down node is replaced at once', svc: job({ total: 1, concurrent: 1 }),
      n: nodeMap(node('n1', { state: 'down' }), node('n2')),
      tasks: [jt(0, 'n1')], create: [[0, '', 'running']], desired: [[0, 'shutdown']] },
    { name: 'a new iteration shuts down the old one and starts from zero', svc: job({ iteration: 1, total: 2, concurrent: 2 }),
      tasks: [jt(0, 'n1', { state: 'complete', desired: 'complete' }), jt(1, 'n2', { iteration: 0 })],
      create: [[0, '', 'running'], [1, '', 'running']], desired: [[1, 'shutdown']] },
    { name: 'a task of an old iteration that completed is history: left alone', svc: job({ iteration: 3, total: 1, concurrent: 1 }),
      tasks: [jt(0, 'n1', { state: 'complete', desired: 'complete', iteration: 2 }), jt(0, 'n1', { iteration: 3 })], create: [], desired: [] },
    { name: 'MaxConcurrent 0 runs nothing', svc: job({ concurrent: 0 }), tasks: [], create: [], desired: [] },
  ];
  for (const c of cases) {
    const plan = reconcileReplicatedJob({ service: c.svc, tasks: c.tasks, nodes: c.n ?? nodes, now: T0 });
    t.same(creates(plan), c.create, `${c.name}: creates`);
    t.same(desires(plan, c.tasks), c.desired, `${c.name}: desired states`);
  }
});

t.test('replicated job: the restart waits the restart delay', async (t) => {
  const plan = reconcileReplicatedJob({ service: job({ restart: { Condition: 'on-failure', Delay: 3e9 } }), tasks: [jt(0, 'n1', { state: 'failed' }), jt(1, 'n1')], nodes, now: T0 });
  t.equal(plan.create[0]!.startAfter, T0 + 3000);
});

t.test('global job: table', async (t) => {
  interface Case { name: string; svc?: Service; n?: Map<string, Node>; tasks: Task[]; create: unknown[]; desired: unknown[] }
  const cases: Case[] = [
    { name: 'one task per eligible node', tasks: [], create: [[0, 'n1', 'running'], [0, 'n2', 'running'], [0, 'n3', 'running']], desired: [] },
    { name: 'complete settles, running stays, failed restarts on its node',
      svc: job({ global: true, restart: { Condition: 'on-failure', Delay: 0 } }),
      tasks: [jt(0, 'n1', { state: 'complete' }), jt(0, 'n2'), jt(0, 'n3', { state: 'failed' })],
      create: [[0, 'n3', 'running']], desired: [[0, 'complete'], [2, 'shutdown']] },
    { name: 'a completed node is not rerun; a node that joined later gets one',
      tasks: [jt(0, 'n1', { state: 'complete', desired: 'complete' }), jt(0, 'n2', { state: 'complete', desired: 'complete' })],
      create: [[0, 'n3', 'running']], desired: [] },
    { name: 'drained, paused and down nodes get none; a drained node loses its running task',
      n: nodeMap(node('n1', { availability: 'drain' }), node('n2', { availability: 'pause' }), node('n3', { state: 'down' })),
      tasks: [jt(0, 'n1')], create: [], desired: [[0, 'shutdown']] },
    { name: 'a task that fails on a paused node stays failed', n: nodeMap(node('n1', { availability: 'pause' })),
      tasks: [jt(0, 'n1', { state: 'failed' })], create: [], desired: [] },
    { name: 'constraints pick the nodes', svc: job({ global: true, constraints: ['node.labels.zone==a'] }),
      n: nodeMap(node('n1', { labels: { zone: 'a' } }), node('n2', { labels: { zone: 'b' } })),
      tasks: [], create: [[0, 'n1', 'running']], desired: [] },
    { name: 'a new iteration reruns every node', svc: job({ global: true, iteration: 4 }), n: nodeMap(node('n1')),
      tasks: [jt(0, 'n1', { iteration: 3 })], create: [[0, 'n1', 'running']], desired: [[0, 'shutdown']] },
  ];
  for (const c of cases) {
    const plan = reconcileGlobalJob({ service: c.svc ?? job({ global: true }), tasks: c.tasks, nodes: c.n ?? nodes, now: T0 });
    t.same(creates(plan), c.create, `${c.name}: creates`);
    t.same(desires(plan, c.tasks), c.desired, `${c.name}: desired states`);
  }
});

t.test('reconcileService dispatches on the mode', async (t) => {
  t.equal(reconcileService({ service: job(), tasks: [], nodes, now: T0 }).create.length, 2);
  t.equal(reconcileService({ service: job({ global: true }), tasks: [], nodes, now: T0 }).create[0]!.nodeId, 'n1');
  t.equal(reconcileService({ service: service({ replicas: 1 }), tasks: [], nodes, now: T0 }).create[0]!.slot, 1);
});

/** Applies a plan as the manager does: forward-only desired states; new tasks of the current iteration, placed on n1.. */
function apply(svc: Service, tasks: Task[], plan: OrchestratorPlan): Task[] {
  const out = tasks.map((x) => {
    const s = plan.setDesired.find((d) => d.taskId === x.ID);
    return s && stateRank(s.desiredState) > stateRank(x.DesiredState) ? { ...x, DesiredState: s.desiredState } : x;
  });
  for (const c of plan.create) out.push(jt(c.slot, c.nodeId || 'n1', { state: 'pending', desired: c.desiredState, iteration: svc.JobStatus!.JobIteration.Index }));
  return out.filter((x) => !plan.remove.includes(x.ID));
}

const isActive = (x: Task) => stateRank(x.DesiredState) <= stateRank('running') && stateRank(x.Status.State) <= stateRank('running');

/** Runs a job through events (the k-th active task runs/completes/fails), checking the invariants after every pass. */
function simulate(svc: Service, reconcile: (i: JobInput) => OrchestratorPlan, events: Array<[number, 'running' | 'complete' | 'failed']>, check: (tasks: Task[]) => boolean): Task[] | undefined {
  let tasks: Task[] = [];
  const pass = (): boolean => {
    const plan = reconcile({ service: svc, tasks, nodes, now: T0 });
    tasks = apply(svc, tasks, plan);
    return check(tasks) && isEmptyPlan(reconcile({ service: svc, tasks, nodes, now: T0 }));
  };
  const world = (k: number, state: TaskState) => {
    const active = tasks.filter(isActive);
    if (active.length === 0) return;
    const pick = active[k % active.length]!;
    tasks = tasks.map((x) => (x.ID === pick.ID ? { ...x, Status: { ...x.Status, State: state } } : x));
  };
  for (const [k, state] of events) {
    if (!pass()) return undefined;
    world(k, state);
  }
  for (let i = 0; i < 200; i++) { // the world completes whatever runs
    if (!pass()) return undefined;
    if (!tasks.some(isActive)) return tasks;
    world(0, 'complete');
  }
  return undefined;
}

const events = fc.array(fc.tuple(fc.nat(10), fc.constantFrom('running' as const, 'complete' as const, 'failed' as const)), { maxLength: 40 });
const condition = fc.constantFrom<'any' | 'on-failure' | 'none'>('any', 'on-failure', 'none');

t.test('property (replicated job): ≤ MaxConcurrent active, ≤ TotalCompletions completions in slots 0..N-1, one pass converges, completes', async (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 4 }), condition, events, (total, concurrent, cond, evs) => {
    const svc = job({ total, concurrent, restart: { Condition: cond, Delay: 0 } });
    const end = simulate(svc, reconcileReplicatedJob, evs, (tasks) => {
      const complete = tasks.filter((x) => x.Status.State === 'complete');
      return tasks.filter(isActive).length <= concurrent
        && complete.length <= total && new Set(complete.map((x) => x.Slot)).size === complete.length
        && tasks.every((x) => x.Slot >= 0 && x.Slot < total);
    });
    if (!end) return false;
    const done = new Set(end.filter((x) => x.Status.State === 'complete').map((x) => x.Slot)).size;
    const stuck = new Set(end.filter((x) => x.Status.State === 'failed' && x.DesiredState === 'running').map((x) => x.Slot)).size;
    return cond === 'none' ? done + stuck === total : done === total && stuck === 0;
  }), { numRuns: 300 });
  t.pass('property holds');
});

t.test('property (global job): one active task per node, one completion per node, one pass converges', async (t) => {
  fc.assert(fc.property(condition, events, (cond, evs) => {
    const svc = job({ global: true, restart: { Condition: cond, Delay: 0 } });
    const end = simulate(svc, reconcileGlobalJob, evs, (tasks) => {
      const perNode = (f: (x: Task) => boolean) => new Set(tasks.filter(f).map((x) => x.NodeID)).size === tasks.filter(f).length;
      return perNode(isActive) && perNode((x) => x.Status.State === 'complete');
    });
    if (!end) return false;
    const done = end.filter((x) => x.Status.State === 'complete').length;
    return cond === 'none' ? done <= 3 : done === 3;
  }), { numRuns: 300 });
  t.pass('property holds');
});
