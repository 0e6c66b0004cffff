/**
 * Job modes end to end on a fake clock (Manager + createControl + agents on FakeDrivers): a replicated
 * job of 5 completions 2 at a time, a failing task restarted after the delay, an update starting a new
 * iteration, a global job on 3 nodes and on a node that joins later, ServiceStatus, the reaper.
 */
import t from 'tap';
import { registerNode } from '../../lib/dispatcher/register-node.js';
import { sequentialIds } from '../../lib/ids.js';
import { reapTasks } from '../../lib/orchestrator/task-reaper.js';
import type { Service, Task } from '../../lib/model/types.js';
import { assertConverged, harness, type Harness } from '../fixtures/manager-harness.js';
import { T0, service as svcFixture, task } from '../fixtures/orchestrator-fixtures.js';

const replicatedJob = (name: string, total: number, concurrent: number, extra: Record<string, unknown> = {}) =>
  ({ Name: name, TaskTemplate: { ContainerSpec: { Image: 'whoami:1' } }, Mode: { ReplicatedJob: { MaxConcurrent: concurrent, TotalCompletions: total } }, ...extra });
const globalJob = (name: string) => ({ Name: name, TaskTemplate: { ContainerSpec: { Image: 'whoami:1' } }, Mode: { GlobalJob: {} } });

function status(h: Harness, name: string): Service['ServiceStatus'] {
  return h.control.listServices(undefined, true).find((s) => s.Spec.Name === name)!.ServiceStatus;
}

/** Ends every running process of the service with `code`; returns how many. */
async function finish(h: Harness, name: string, code = 0): Promise<number> {
  const procs = h.processes(name);
  for (const p of procs) h.drivers.get(p.NodeID)!.exit(p.ID, { exitCode: code });
  await h.settle();
  return procs.length;
}

t.test('replicated job: 5 completions, at most 2 at a time, then done', async (t) => {
  const h = await harness(t);
  h.control.createService(replicatedJob('batch', 5, 2));
  await h.settle();
  t.same(h.service('batch').JobStatus?.JobIteration, { Index: 0 }, 'iteration 0 at create');
  t.same(h.processes('batch').map((x) => x.Slot).sort(), [0, 1], 'two tasks, slots 0 and 1');
  t.ok(h.tasks('batch').every((x) => x.JobIteration?.Index === 0), 'tasks carry the iteration');
  t.same(status(h, 'batch'), { RunningTasks: 2, DesiredTasks: 2, CompletedTasks: 0 });
  let rounds = 0;
  while (h.processes('batch').length > 0 && rounds++ < 10) {
    t.ok(h.processes('batch').length <= 2, `round ${rounds}: never more than 2 running`);
    await finish(h, 'batch');
  }
  const tasks = h.tasks('batch');
  t.equal(tasks.length, 5, 'five tasks, no extra');
  t.same(tasks.map((x) => x.Slot), [0, 1, 2, 3, 4]);
  t.ok(tasks.every((x) => x.Status.State === 'complete' && x.DesiredState === 'complete'), 'all complete (desired complete)');
  t.same(status(h, 'batch'), { RunningTasks: 0, DesiredTasks: 2, CompletedTasks: 5 });
  t.equal(h.service('batch').UpdateStatus, undefined, 'the updater never touches a job');
  await assertConverged(t, h);
});

t.test('replicated job: a failed task is restarted in its slot after the restart delay', async (t) => {
  const h = await harness(t);
  h.control.createService(replicatedJob('once', 1, 1));
  await h.settle();
  t.equal(await finish(h, 'once', 3), 1, 'the task fails (exit 3)');
  t.equal(h.processes('once').length, 0, 'not restarted before the delay');
  await h.advance(5000);
  const [again] = h.processes('once');
  t.equal(again?.Slot, 0, 'restarted in slot 0');
  await finish(h, 'once');
  t.same(h.tasks('once').map((x) => x.Status.State), ['complete', 'failed']);
  t.same(status(h, 'once'), { RunningTasks: 0, DesiredTasks: 1, CompletedTasks: 1 });
  await assertConverged(t, h);
});

t.test('restart condition none: a failed task stays failed', async (t) => {
  const h = await harness(t);
  h.control.createService(replicatedJob('strict', 1, 1, { TaskTemplate: { ContainerSpec: { Image: 'whoami:1' }, RestartPolicy: { Condition: 'none' } } }));
  await h.settle();
  await finish(h, 'strict', 1);
  await h.advance(60_000);
  t.equal(h.tasks('strict').length, 1, 'no new task');
  t.same(status(h, 'strict'), { RunningTasks: 0, DesiredTasks: 1, CompletedTasks: 0 });
  await assertConverged(t, h);
});

t.test('an update starts a new iteration: old running tasks stop, the job runs again from zero', async (t) => {
  const h = await harness(t);
  h.control.createService(replicatedJob('again', 3, 3));
  await h.settle();
  const [first] = h.processes('again');
  h.drivers.get(first!.NodeID)!.exit(first!.ID, { exitCode: 0 });
  await h.settle();
  t.equal(status(h, 'again')?.CompletedTasks, 1);
  const old = h.processes('again').map((x) => x.ID);
  const s = h.service('again');
  h.control.updateService(s.ID, s.Version.Index, { ...s.Spec, TaskTemplate: { ...s.Spec.TaskTemplate, ForceUpdate: 1 } });
  await h.settle();
  t.same(h.service('again').JobStatus?.JobIteration, { Index: 1 }, 'iteration 1');
  const stops = [...h.drivers.values()].flatMap((d) => d.stops);
  t.same(old.filter((id) => stops.includes(id)).sort(), [...old].sort(), 'the old iteration\'s running tasks were stopped');
  const current = h.processes('again');
  t.equal(current.length, 3, 'three new tasks run');
  t.ok(current.every((x) => x.JobIteration?.Index === 1));
  t.same(status(h, 'again'), { RunningTasks: 3, DesiredTasks: 3, CompletedTasks: 0 }, 'completions count the current iteration only');
  t.ok(h.tasks('again').some((x) => x.ID === first!.ID), 'the old completion is kept as history');
  await finish(h, 'again');
  t.equal(status(h, 'again')?.CompletedTasks, 3);
  await assertConverged(t, h);
});

t.test('jobs refuse update configs and mode changes; scale sets TotalCompletions', async (t) => {
  const h = await harness(t);
  t.throws(() => h.control.createService(replicatedJob('bad', 1, 1, { UpdateConfig: { Parallelism: 1 } })), /Jobs may not have an update config/);
  h.control.createService(replicatedJob('j', 1, 1));
  await h.settle();
  let s = h.service('j');
  t.throws(() => h.control.updateService(s.ID, s.Version.Index, { ...s.Spec, Mode: { Replicated: { Replicas: 1 } } }), /service mode change is not allowed/);
  t.throws(() => h.control.updateService(s.ID, s.Version.Index, { ...s.Spec, UpdateConfig: { Parallelism: 1 } }), /Jobs may not have an update config/);
  h.control.updateService(s.ID, s.Version.Index, { ...s.Spec, Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 3 } } });
  await h.settle();
  s = h.service('j');
  t.same(s.JobStatus?.JobIteration, { Index: 1 });
  t.equal(s.Spec.Mode.ReplicatedJob?.TotalCompletions, 3);
  t.equal(h.control.getService('j', true).Spec.UpdateConfig, undefined, 'inspect shows no update config for a job');
  t.equal(h.control.getService('j', true).Spec.TaskTemplate.RestartPolicy?.Condition, 'on-failure', 'job restart default');
});

t.test('global job: one task per node; a node that joins later gets one; completed nodes are not rerun', async (t) => {
  const h = await harness(t);
  h.control.createService(globalJob('everywhere'));
  await h.settle();
  const procs = h.processes('everywhere');
  t.same(procs.map((x) => x.NodeID).sort(), h.nodes.map((n) => n.ID).sort(), 'one per node');
  t.ok(procs.every((x) => x.Slot === 0));
  t.same(status(h, 'everywhere'), { RunningTasks: 3, DesiredTasks: 3, CompletedTasks: 0 });
  await finish(h, 'everywhere');
  t.same(status(h, 'everywhere'), { RunningTasks: 0, DesiredTasks: 0, CompletedTasks: 3 });
  await h.advance(60_000);
  t.equal(h.tasks('everywhere').length, 3, 'nothing reruns');
  const late = h.store.update((tx) => registerNode(tx, { hostname: 'node-4', addr: '127.0.0.4', role: 'worker', driver: 'fake', managerAddr: '127.0.0.1:2377' }, sequentialIds('late'), h.clock.now()));
  await h.settle();
  const onLate = h.tasks('everywhere').filter((x) => x.NodeID === late.ID);
  t.equal(onLate.length, 1, 'the new node gets a task');
  t.equal(onLate[0]!.JobIteration?.Index, 0, 'of the current iteration');
  t.same(status(h, 'everywhere'), { RunningTasks: 0, DesiredTasks: 1, CompletedTasks: 3 });
});

t.test('the reaper keeps a job\'s completions of the current iteration; old iterations are history', async (t) => {
  const base = svcFixture();
  const job: Service = { ...base, Spec: { ...base.Spec, Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 3 } } }, JobStatus: { JobIteration: { Index: 1 } } };
  const it = (x: Task, i: number): Task => ({ ...x, JobIteration: { Index: i } });
  const done = it(task(2, 'n1', { state: 'complete', desired: 'complete', createdAt: T0 + 1 }), 1);
  const newer = it(task(2, 'n1', { state: 'shutdown', desired: 'shutdown', createdAt: T0 + 2 }), 1);
  const oldDone = it(task(1, 'n1', { state: 'complete', desired: 'complete', createdAt: T0 }), 0);
  const oldNewer = it(task(1, 'n1', { state: 'shutdown', desired: 'shutdown', createdAt: T0 + 3 }), 1);
  const plan = reapTasks({ service: job, tasks: [done, newer, oldDone, oldNewer], historyLimit: 1 });
  t.notOk(plan.remove.includes(done.ID), 'a completion of the current iteration stays');
  t.ok(plan.remove.includes(oldDone.ID), 'a completion of an old iteration is reaped as history');
});
