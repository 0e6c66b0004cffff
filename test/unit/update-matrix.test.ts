/**
 * Issue 3's "Done means" matrix for rolling updates, on the fake-clock manager harness (Manager +
 * createControl + agents with a FakeDriver) unless a row is about arithmetic only (pure planner).
 * Specs come from the friendly options (specFromOptions / applyUpdateOptions), as the CLI builds them.
 * Every row watches every store commit (see `track`) and asserts times in ms from the update.
 */
import t, { type Test } from 'tap';
import { applyUpdateOptions, specFromOptions, type ServiceUpdateOptions } from '../../lib/model/spec-from-options.js';
import type { ServiceOptions } from '../../lib/model/service-options.js';
import { isTerminal, stateRank } from '../../lib/model/task-state.js';
import type { NodeAvailability, ServiceSpec, Task } from '../../lib/model/types.js';
import { planUpdateStep } from '../../lib/update/plan-update-step.js';
import { assertConverged, harness, type Harness } from '../fixtures/manager-harness.js';
import { SEC, T0, oldTasks, updSvc, updTask, updating } from '../fixtures/update-fixtures.js';

const image = (x: Task) => x.Spec.ContainerSpec.Image;
const live = (x: Task) => stateRank(x.DesiredState) <= stateRank('running');
const serving = (x: Task) => x.DesiredState === 'running' && x.Status.State === 'running';

async function create(h: Harness, opts: ServiceOptions): Promise<string> {
  const { ID } = h.control.createService(specFromOptions({ name: 'web', ...opts }));
  await quiesce(h);
  return ID;
}

/** `swarmlet service update` with friendly options on the current spec. */
function update(h: Harness, opts: ServiceUpdateOptions, name = 'web'): void {
  const s = h.service(name);
  h.control.updateService(s.ID, s.Version.Index, applyUpdateOptions(s.Spec, opts));
}

function rawUpdate(h: Harness, edit: (spec: ServiceSpec) => ServiceSpec, name = 'web'): void {
  const s = h.service(name);
  h.control.updateService(s.ID, s.Version.Index, edit(structuredClone(s.Spec)));
}

function rollback(h: Harness, name = 'web'): void {
  const s = h.service(name);
  h.control.updateService(s.ID, s.Version.Index, {}, { rollback: true });
}

function setAvailability(h: Harness, hostname: string, availability: NodeAvailability): void {
  const n = h.nodeOf(hostname);
  h.control.updateNode(n.ID, n.Version.Index, { ...n.Spec, Availability: availability });
}

/** Settles until a settle round commits nothing (many slots take many rounds). */
async function quiesce(h: Harness): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const n = h.events.length;
    await h.settle();
    if (h.events.length === n) return;
  }
  throw new Error('the harness did not quiesce');
}

interface Trace {
  /** Tasks that did not exist when tracking began: slot (or node for global) and creation time. */
  created: Map<string, { slot: number; node: string; image: string; at: number }>;
  ran: Map<string, number>;
  statuses: Array<{ state: string; at: number; message: string }>;
  /** Most new tasks meant to run but not running yet, at any commit. */
  maxInFlight: number;
  /** Fewest / most tasks with desired and observed state running, at any commit. */
  minServing: number;
  maxServing: number;
  /** Most tasks observed running (whatever their desired state), at any commit. */
  maxObserved: number;
  t0: number;
  /** Time (ms from t0) of the first commit with UpdateStatus.State === state, or -1. */
  when(state: string): number;
  newTasks(): Task[];
}

/** Records, at every commit from now on, what the update does to service `name`. */
function track(h: Harness, name = 'web'): Trace {
  const t0 = h.clock.now();
  const baseline = new Set(h.tasks(name).map((x) => x.ID));
  const tr: Trace = {
    created: new Map(), ran: new Map(), statuses: [], maxInFlight: 0, minServing: Infinity, maxServing: 0, maxObserved: 0, t0,
    when: (state) => tr.statuses.find((s) => s.state === state)?.at ?? -1,
    newTasks: () => h.tasks(name).filter((x) => !baseline.has(x.ID)),
  };
  const sample = () => {
    const s = h.service(name);
    if (!s) return;
    const at = h.clock.now() - t0;
    const st = s.UpdateStatus;
    const last = tr.statuses[tr.statuses.length - 1];
    if (st && (!last || last.state !== st.State || last.message !== (st.Message ?? ''))) tr.statuses.push({ state: st.State, at, message: st.Message ?? '' });
    const tasks = h.tasks(name);
    for (const x of tasks) {
      if (baseline.has(x.ID)) continue;
      if (!tr.created.has(x.ID)) tr.created.set(x.ID, { slot: x.Slot, node: x.NodeID, image: image(x), at });
      if (x.Status.State === 'running' && !tr.ran.has(x.ID)) tr.ran.set(x.ID, at);
    }
    const fresh = tasks.filter((x) => !baseline.has(x.ID));
    tr.maxInFlight = Math.max(tr.maxInFlight, fresh.filter((x) => live(x) && !isTerminal(x.Status.State) && x.Status.State !== 'running').length);
    const n = tasks.filter(serving).length;
    tr.minServing = Math.min(tr.minServing, n);
    tr.maxServing = Math.max(tr.maxServing, n);
    tr.maxObserved = Math.max(tr.maxObserved, tasks.filter((x) => x.Status.State === 'running').length);
  };
  h.store.watch(sample);
  return tr;
}

/** Moves the clock to t0 + ms in steps of at most `step` ms, quiescing after each. */
async function runUntil(h: Harness, tr: Trace, ms: number, step = 1000): Promise<void> {
  while (h.clock.now() - tr.t0 < ms) {
    await h.advance(Math.min(step, ms - (h.clock.now() - tr.t0)));
    await quiesce(h);
  }
}

/** Creation times of the new tasks by slot (replicated) — the order slots were handed out. */
function handouts(tr: Trace): Array<[number, number]> {
  return [...tr.created.values()].map((c) => [c.slot, c.at] as [number, number]).sort((a, b) => a[0] - b[0]);
}

function servingImages(h: Harness, name = 'web'): string[] {
  return h.tasks(name).filter(serving).map(image).sort();
}

/** One serving task per slot in n slots (1..n unless `anySlots`), each on `img`, and nothing else meant to run. */
function assertSlotsOn(t: Test, h: Harness, n: number, img: string, anySlots = false): void {
  const liveTasks = h.tasks('web').filter(live);
  const slots = liveTasks.map((x) => x.Slot).sort((a, b) => a - b);
  if (anySlots) t.ok(slots.length === n && new Set(slots).size === n, `one live task in each of ${n} slots`);
  else t.same(slots, Array.from({ length: n }, (_, i) => i + 1), `one live task per slot 1..${n}`);
  t.ok(liveTasks.every((x) => serving(x) && image(x) === img), `every slot runs ${img}`);
}

/** The fake driver of the node running task `x`. */
function crash(h: Harness, x: Task): void { h.drivers.get(x.NodeID)!.crash(x.ID); }

const newOf = (h: Harness, slot: number, img = 'whoami:2') => h.tasks('web').find((x) => x.Slot === slot && image(x) === img && live(x))!;

// ---------------------------------------------------------------------------------------------------

t.test('parallelism: a pool of N workers (0 = every slot at once), stop-first', async (t) => {
  const rows = [
    { parallelism: 1, firstPass: 1 },
    { parallelism: 2, firstPass: 2 },
    { parallelism: 0, firstPass: 6 },
  ];
  for (const r of rows) {
    await t.test(`parallelism ${r.parallelism}, 6 replicas`, async (t) => {
      const h = await harness(t);
      await create(h, { image: 'whoami:1', replicas: 6, updateParallelism: r.parallelism });
      const tr = track(h);
      update(h, { image: 'whoami:2' });
      h.clock.advance(0); // one manager pass, no agent work yet
      t.equal(tr.newTasks().length, r.firstPass, 'the first pass hands out min(parallelism, slots) slots');
      await quiesce(h);
      t.equal(tr.maxInFlight, r.firstPass, 'never more new tasks in flight than workers');
      t.equal(tr.minServing, 6 - r.firstPass, 'stop-first: at most `parallelism` slots down at once');
      t.equal(tr.maxObserved, 6, 'stop-first: never more processes than replicas');
      assertSlotsOn(t, h, 6, 'whoami:2');
      await runUntil(h, tr, 5000);
      t.equal(tr.when('completed'), 5000, 'completed once the 5 s monitor window passed');
      await assertConverged(t, h);
    });
  }
});

t.test('delay: each worker waits Delay after its slot runs before taking the next', async (t) => {
  const rows = [
    // delay ≥ monitor: the updater verifies for delay + 1 s after the last slot
    { name: 'p1, 3 slots, delay 10s', replicas: 3, parallelism: 1, delay: '10s', handouts: [[1, 0], [2, 10_000], [3, 20_000]], completed: 31_000 },
    { name: 'p2, 4 slots, delay 10s', replicas: 4, parallelism: 2, delay: '10s', handouts: [[1, 0], [2, 0], [3, 10_000], [4, 10_000]], completed: 21_000 },
    // delay < monitor: the monitor window (5 s) after the last slot
    { name: 'p1, 3 slots, delay 2s', replicas: 3, parallelism: 1, delay: '2s', handouts: [[1, 0], [2, 2000], [3, 4000]], completed: 9000 },
  ];
  for (const r of rows) {
    await t.test(r.name, async (t) => {
      const h = await harness(t);
      await create(h, { image: 'whoami:1', replicas: r.replicas, updateParallelism: r.parallelism, updateDelay: r.delay });
      const tr = track(h);
      update(h, { image: 'whoami:2' });
      await runUntil(h, tr, r.completed - 1);
      t.same(handouts(tr), r.handouts, 'slot hand-out times (ms)');
      t.equal(tr.when('completed'), -1, 'not completed 1 ms early');
      await runUntil(h, tr, r.completed);
      t.equal(tr.when('completed'), r.completed, 'completed on time');
      assertSlotsOn(t, h, r.replicas, 'whoami:2');
      await assertConverged(t, h);
    });
  }
});

t.test('order: stop-first stops the old task before starting the new one; start-first overlaps them', async (t) => {
  // serving = desired and observed running. Processes still stopping are only bounded for stop-first:
  // a start-first worker is free once the old task is told to stop (as in Swarm), so it may overlap the next slot.
  const rows = [
    { order: 'stop-first' as const, minServing: 2, maxServing: 4 },
    { order: 'start-first' as const, minServing: 4, maxServing: 6 },
  ];
  for (const r of rows) {
    await t.test(`${r.order}, parallelism 2, 4 replicas`, async (t) => {
      const h = await harness(t);
      await create(h, { image: 'whoami:1', replicas: 4, updateParallelism: 2, updateOrder: r.order });
      const originals = h.tasks('web');
      const tr = track(h);
      const from = h.trace.length;
      update(h, { image: 'whoami:2' });
      await quiesce(h);
      t.equal(tr.minServing, r.minServing, 'fewest serving tasks');
      t.equal(tr.maxServing, r.maxServing, 'most serving tasks');
      if (r.order === 'stop-first') t.equal(tr.maxObserved, 4, 'stop-first: never two processes for one slot');
      else t.ok(tr.maxObserved > 4, 'start-first: old and new processes overlap');
      const trace = h.trace.slice(from);
      for (const old of originals) {
        const repl = newOf(h, old.Slot);
        const exitOld = trace.indexOf(`exit ${old.ID}`);
        const startNew = trace.indexOf(`start ${repl.ID}`);
        t.ok(exitOld >= 0 && startNew >= 0, `slot ${old.Slot}: both seen`);
        if (r.order === 'stop-first') t.ok(exitOld < startNew, `slot ${old.Slot}: old exited before the new one started`);
        else t.ok(startNew < trace.indexOf(`stop ${old.ID}`), `slot ${old.Slot}: new started before the old one was stopped`);
      }
      assertSlotsOn(t, h, 4, 'whoami:2');
    });
  }
});

t.test('monitor window: a new task that dies within Monitor of running is a failure, later it is not', async (t) => {
  const rows = [
    { crashAt: 2000, final: 'paused' },
    { crashAt: 4000, final: 'completed' },
  ];
  for (const r of rows) {
    await t.test(`monitor 3s, crash at +${r.crashAt} ms → ${r.final}`, async (t) => {
      const h = await harness(t);
      await create(h, { image: 'whoami:1', replicas: 3, updateParallelism: 1, updateDelay: '10s', updateMonitor: '3s' });
      const tr = track(h);
      update(h, { image: 'whoami:2' });
      await runUntil(h, tr, r.crashAt);
      const victim = newOf(h, 1);
      crash(h, victim);
      await runUntil(h, tr, 120_000, 5000);
      t.equal(h.service('web').UpdateStatus?.State, r.final);
      if (r.final === 'paused') {
        t.equal(h.service('web').UpdateStatus?.Message, `update paused due to failure or early termination of task ${victim.ID}`);
        t.same(servingImages(h), ['whoami:1', 'whoami:1', 'whoami:2'], 'slots 2 and 3 never handed out; slot 1 restarted');
      } else {
        t.equal(tr.when('paused'), -1, 'never paused');
        assertSlotsOn(t, h, 3, 'whoami:2');
      }
    });
  }
});

t.test('max failure ratio: the action fires when failures / slots is strictly greater', async (t) => {
  const rows = [
    { ratio: 0, crashes: 1, final: 'paused' },
    { ratio: 0.2, crashes: 2, final: 'completed' },
    { ratio: 0.2, crashes: 3, final: 'paused' },
  ];
  for (const r of rows) {
    await t.test(`ratio ${r.ratio}, 10 slots, ${r.crashes} failures → ${r.final}`, async (t) => {
      const h = await harness(t);
      await create(h, { image: 'whoami:1', replicas: 10, updateParallelism: 0, updateMaxFailureRatio: r.ratio });
      const tr = track(h);
      update(h, { image: 'whoami:2' });
      await quiesce(h);
      t.equal(tr.newTasks().filter(serving).length, 10, 'all ten new tasks run (parallelism 0)');
      const victims = tr.newTasks().filter(serving).slice(0, r.crashes);
      for (const v of victims) crash(h, v); // within the monitor window
      await runUntil(h, tr, 60_000, 5000);
      const st = h.service('web').UpdateStatus!;
      t.equal(st.State, r.final);
      if (r.final === 'paused') t.match(st.Message, /^update paused due to failure or early termination of task /);
      else assertSlotsOn(t, h, 10, 'whoami:2');
    });
  }

  await t.test('pure planner: 2 of 10 slots failed continues, 3 of 10 pauses (ratio 0.2)', async (t) => {
    const S = T0;
    for (const [failures, want] of [[2, undefined], [3, 'paused']] as const) {
      const tasks = oldTasks(10);
      for (let slot = 1; slot <= failures; slot++) {
        tasks[slot - 1] = { ...tasks[slot - 1]!, DesiredState: 'shutdown', Status: { State: 'shutdown', Timestamp: new Date(S + 1).toISOString() } };
        tasks.push(updTask({ id: `bad${slot}`, slot, version: 2, created: S, state: 'failed', ts: S + SEC }));
      }
      const step = planUpdateStep({
        service: updSvc({ status: updating(S), update: { Parallelism: 5, MaxFailureRatio: 0.2 } }), tasks, now: S + 2 * SEC,
      });
      t.equal(step.status?.State, want, `${failures} failures`);
      t.equal(step.replace.length, want ? 0 : 5, want ? 'no hand-out once paused' : 'five workers take the next slots');
    }
  });
});

t.test('failure actions: pause, continue, rollback', async (t) => {
  const rows = ['pause', 'continue', 'rollback'] as const;
  for (const action of rows) {
    await t.test(action, async (t) => {
      const h = await harness(t);
      await create(h, { image: 'whoami:1', replicas: 3, updateParallelism: 1, updateDelay: '10s', updateFailureAction: action });
      const originals = h.tasks('web');
      const tr = track(h);
      update(h, { image: 'whoami:2' });
      await runUntil(h, tr, 1000);
      const victim = newOf(h, 1);
      crash(h, victim);
      await runUntil(h, tr, 120_000, 5000);
      const s = h.service('web');
      const untouched = () => originals.filter((x) => x.Slot !== 1).every((x) => serving(h.store.view((tx) => tx.getTask(x.ID)!)));
      if (action === 'pause') {
        t.match(s.UpdateStatus, { State: 'paused', Message: `update paused due to failure or early termination of task ${victim.ID}` });
        t.ok(untouched(), 'slots 2 and 3 keep their original tasks');
        t.equal(s.Spec.TaskTemplate.ContainerSpec.Image, 'whoami:2', 'the spec stays on the new image');
      } else if (action === 'continue') {
        t.same(tr.statuses.map((x) => x.state), ['updating', 'completed'], 'failures are not even watched');
        assertSlotsOn(t, h, 3, 'whoami:2');
      } else {
        t.same(tr.statuses.map((x) => x.state), ['updating', 'rollback_started', 'rollback_completed']);
        t.equal(tr.statuses[1]!.message, `update rolled back due to failure or early termination of task ${victim.ID}`);
        t.equal(s.Spec.TaskTemplate.ContainerSpec.Image, 'whoami:1');
        t.equal(s.PreviousSpec, undefined, 'an automatic rollback clears PreviousSpec');
        t.ok(untouched(), 'the slots the update never reached keep their tasks');
        assertSlotsOn(t, h, 3, 'whoami:1');
      }
      await assertConverged(t, h);
    });
  }
});

t.test('a rollback runs with the RollbackConfig of the restored spec', async (t) => {
  const rows = [
    { name: 'restored: parallelism 0, monitor 20s', restored: { rollbackParallelism: 0, rollbackMonitor: '20s' }, other: { rollbackParallelism: 1, rollbackMonitor: '5s' }, firstPass: 3, completed: 20_000 },
    { name: 'restored: parallelism 1, monitor 5s', restored: { rollbackParallelism: 1, rollbackMonitor: '5s' }, other: { rollbackParallelism: 0, rollbackMonitor: '20s' }, firstPass: 1, completed: 5000 },
  ];
  for (const r of rows) {
    await t.test(`manual rollback, ${r.name}`, async (t) => {
      const h = await harness(t);
      await create(h, { image: 'whoami:1', replicas: 3, updateParallelism: 0, ...r.restored });
      update(h, { image: 'whoami:2', ...r.other });
      await quiesce(h);
      await h.advance(30_000);
      t.equal(h.service('web').UpdateStatus?.State, 'completed');
      const tr = track(h);
      rollback(h);
      h.clock.advance(0);
      t.equal(tr.newTasks().length, r.firstPass, 'slots handed out by the first rollback pass');
      await runUntil(h, tr, r.completed - 1);
      t.equal(tr.when('rollback_completed'), -1, 'not completed 1 ms early');
      await runUntil(h, tr, r.completed);
      t.equal(tr.when('rollback_completed'), r.completed, 'the restored spec\'s monitor window');
      assertSlotsOn(t, h, 3, 'whoami:1');
    });
  }
  for (const [restoredMonitor, otherMonitor] of [['30s', '5s'], ['5s', '30s']] as const) {
    await t.test(`automatic rollback: restored monitor ${restoredMonitor}, failing spec's ${otherMonitor}`, async (t) => {
      const h = await harness(t, { crashImages: new Map([['whoami:bad', 1]]) });
      await create(h, { image: 'whoami:1', replicas: 3, rollbackMonitor: restoredMonitor });
      const tr = track(h);
      update(h, { image: 'whoami:bad', updateFailureAction: 'rollback', rollbackMonitor: otherMonitor });
      await runUntil(h, tr, 60_000);
      t.ok(tr.when('rollback_started') >= 0, 'rolled back');
      // the failed slot is restarted on the restored spec after the restart delay; the rollback then watches it
      const lastRan = Math.max(...[...tr.ran.entries()].filter(([id]) => tr.created.get(id)?.image === 'whoami:1').map(([, at]) => at));
      t.equal(tr.when('rollback_completed') - lastRan, Number.parseInt(restoredMonitor, 10) * 1000, 'completion after the restored monitor');
      assertSlotsOn(t, h, 3, 'whoami:1');
    });
  }
});

t.test('a manual rollback in the middle of an update reverts only the slots already updated', async (t) => {
  const h = await harness(t);
  await create(h, { image: 'whoami:1', replicas: 4, updateParallelism: 1, updateDelay: '10s' });
  const originals = h.tasks('web');
  const tr = track(h);
  update(h, { image: 'whoami:2' });
  await runUntil(h, tr, 11_000); // slots 1 and 2 updated, 3 and 4 not yet
  t.same(servingImages(h), ['whoami:1', 'whoami:1', 'whoami:2', 'whoami:2']);
  rollback(h);
  await runUntil(h, tr, 120_000, 5000);
  t.same(tr.statuses.map((x) => x.state), ['updating', 'rollback_started', 'rollback_completed']);
  t.equal(tr.statuses[1]!.message, 'manually requested rollback');
  assertSlotsOn(t, h, 4, 'whoami:1');
  const kept = originals.filter((x) => x.Slot >= 3);
  t.ok(kept.every((x) => serving(h.store.view((tx) => tx.getTask(x.ID)!))), 'slots 3 and 4 keep their original tasks');
  t.equal(h.service('web').PreviousSpec?.TaskTemplate.ContainerSpec.Image, 'whoami:2', 'swapped: a second rollback rolls forward');
  await assertConverged(t, h);
});

t.test('a failure during a rollback pauses it (rollback_paused), never a second rollback', async (t) => {
  await t.test('automatic rollback to a spec that fails too', async (t) => {
    const h = await harness(t, { crashImages: new Map([['whoami:bad1', 1], ['whoami:bad2', 1]]) });
    await create(h, { image: 'whoami:bad1', replicas: 3 });
    rawUpdate(h, (s) => ({ ...s, RollbackConfig: { Parallelism: 1, FailureAction: 'rollback' } })); // even a rollback-on-failure RollbackConfig
    await quiesce(h);
    const tr = track(h);
    update(h, { image: 'whoami:bad2', updateFailureAction: 'rollback' });
    await runUntil(h, tr, 180_000, 5000);
    t.same(tr.statuses.map((x) => x.state), ['updating', 'rollback_started', 'rollback_paused']);
    t.match(tr.statuses[2]!.message, /^rollback paused due to failure or early termination of task [0-9a-z]+$/);
    const s = h.service('web');
    t.equal(s.Spec.TaskTemplate.ContainerSpec.Image, 'whoami:bad1', 'still on the restored spec');
    t.equal(s.PreviousSpec, undefined);
    const rolledBackAt = tr.when('rollback_started');
    t.notOk([...tr.created.values()].some((c) => c.at > rolledBackAt && c.image === 'whoami:bad2'), 'no task of the failed spec after the rollback started');
  });

  await t.test('manual rollback to a spec that fails', async (t) => {
    const h = await harness(t, { crashImages: new Map([['whoami:bad1', 1]]) });
    await create(h, { image: 'whoami:bad1', replicas: 3 });
    update(h, { image: 'whoami:2', updateParallelism: 0, updateFailureAction: 'rollback' });
    await quiesce(h);
    await h.advance(10_000);
    t.equal(h.service('web').UpdateStatus?.State, 'completed');
    const tr = track(h);
    rollback(h);
    await runUntil(h, tr, 180_000, 5000);
    t.same(tr.statuses.map((x) => x.state), ['rollback_started', 'rollback_paused']);
    const s = h.service('web');
    t.equal(s.Spec.TaskTemplate.ContainerSpec.Image, 'whoami:bad1');
    t.equal(s.PreviousSpec?.TaskTemplate.ContainerSpec.Image, 'whoami:2', 'a manual rollback swapped the specs');
    t.notOk(tr.newTasks().some((x) => image(x) === 'whoami:2'), 'not rolled forward by itself');
    t.equal(servingImages(h).filter((x) => x === 'whoami:2').length, 2, 'the slots the rollback did not reach keep running');
  });
});

t.test('a paused update resumes with the next `service update`, even one that changes nothing', async (t) => {
  const h = await harness(t);
  await create(h, { image: 'whoami:1', replicas: 3, updateParallelism: 1, updateDelay: '10s' });
  const tr = track(h);
  update(h, { image: 'whoami:2' });
  await runUntil(h, tr, 1000);
  crash(h, newOf(h, 1));
  await runUntil(h, tr, 60_000, 5000);
  t.equal(h.service('web').UpdateStatus?.State, 'paused');
  const paused = h.service('web');
  const before = h.service('web').SpecVersion?.Index;
  update(h, {}); // `swarmlet service update web`
  t.equal(h.service('web').UpdateStatus, undefined, 'the update resets UpdateStatus');
  t.equal(h.service('web').SpecVersion?.Index, before, 'no spec change');
  t.same(h.service('web').PreviousSpec, paused.Spec, 'PreviousSpec is one level deep: overwritten by the resume');
  await quiesce(h);
  t.equal(h.service('web').UpdateStatus?.State, 'updating');
  await runUntil(h, tr, 120_000, 5000);
  t.equal(h.service('web').UpdateStatus?.State, 'completed');
  assertSlotsOn(t, h, 3, 'whoami:2');
  await assertConverged(t, h);
});

t.test('start timeout: a replacement that cannot be placed fails the slot instead of hanging the update', async (t) => {
  const rows = [
    { name: 'stop-first, timeout 10s, pause', opts: { updateStartTimeout: '10s' }, at: 10_000, state: 'paused', serving: 2 },
    { name: 'start-first, timeout 10s, pause', opts: { updateStartTimeout: '10s', updateOrder: 'start-first' as const }, at: 10_000, state: 'paused', serving: 3 },
    { name: 'default timeout (60s)', opts: {}, at: 60_000, state: 'paused', serving: 2 },
    { name: 'timeout 10s, rollback', opts: { updateStartTimeout: '10s', updateFailureAction: 'rollback' as const }, at: 10_000, state: 'rollback_started', serving: 2 },
  ];
  for (const r of rows) {
    await t.test(r.name, async (t) => {
      const h = await harness(t);
      await create(h, { image: 'whoami:1', replicas: 3, ...r.opts });
      const tr = track(h);
      update(h, { image: 'whoami:2', constraintAdd: ['node.hostname==nowhere'] });
      await runUntil(h, tr, r.at - 1);
      const stuck = tr.newTasks().filter(live);
      t.equal(stuck.length, 1, 'one slot handed out');
      t.match(stuck[0]!.Status, { State: 'pending', Err: /^no suitable node \(/ });
      t.equal(h.service('web').UpdateStatus?.State, 'updating', 'still updating 1 ms before the timeout');
      t.equal(h.tasks('web').filter(serving).length, r.serving);
      await runUntil(h, tr, r.at);
      const why = `due to start timeout (${r.at / 1000}s) of task ${stuck[0]!.ID}`;
      t.match(h.service('web').UpdateStatus, { State: r.state, Message: r.state === 'paused' ? `update paused ${why}` : `update rolled back ${why}` });
      await runUntil(h, tr, r.at + 120_000, 10_000);
      if (r.state === 'paused') {
        t.equal(h.service('web').UpdateStatus?.State, 'paused', 'stays paused');
        t.equal(h.tasks('web').filter(serving).length, r.serving, 'nothing more was taken down');
      } else {
        t.equal(h.service('web').UpdateStatus?.State, 'rollback_completed');
        assertSlotsOn(t, h, 3, 'whoami:1');
        await assertConverged(t, h);
      }
    });
  }
});

t.test('rollback start timeout: a restored task that cannot be placed pauses the rollback', async (t) => {
  const h = await harness(t);
  await create(h, { image: 'whoami:1', replicas: 2, constraints: ['node.hostname==node-3'], rollbackStartTimeout: '10s' });
  update(h, { image: 'whoami:2', constraintRm: ['node.hostname==node-3'], updateParallelism: 0 });
  await quiesce(h);
  await h.advance(10_000);
  t.equal(h.service('web').UpdateStatus?.State, 'completed');
  setAvailability(h, 'node-3', 'drain'); // the restored spec can only run on node-3
  await quiesce(h);
  const tr = track(h);
  rollback(h);
  await runUntil(h, tr, 9999);
  t.equal(h.service('web').UpdateStatus?.State, 'rollback_started', 'still rolling back before the timeout');
  const stuck = tr.newTasks().find(live)!;
  t.match(stuck.Status, { State: 'pending', Err: /^no suitable node \(/ });
  await runUntil(h, tr, 10_000);
  t.match(h.service('web').UpdateStatus, { State: 'rollback_paused', Message: `rollback paused due to start timeout (10s) of task ${stuck.ID}` });
  t.equal(h.tasks('web').filter(serving).length, 1, 'the other slot keeps serving');
});

t.test('start timeout after a resume: the still-stuck replacement fails again instead of hanging', async (t) => {
  const h = await harness(t);
  await create(h, { image: 'whoami:1', replicas: 3, updateStartTimeout: '10s' });
  const tr = track(h);
  update(h, { image: 'whoami:2', constraintAdd: ['node.hostname==nowhere'] });
  await runUntil(h, tr, 10_000);
  t.equal(h.service('web').UpdateStatus?.State, 'paused');
  const stuck = tr.newTasks().find(live)!;
  update(h, {}); // `swarmlet service update web`: resume, same spec, the task still cannot be placed
  await quiesce(h);
  t.equal(h.service('web').UpdateStatus?.State, 'updating', 'resumed');
  await runUntil(h, tr, 19_999);
  t.equal(h.service('web').UpdateStatus?.State, 'updating', 'not before the start timeout');
  await runUntil(h, tr, 20_000);
  t.match(h.service('web').UpdateStatus, { State: 'paused', Message: `update paused due to start timeout (10s) of task ${stuck.ID}` });
});

t.test('scale during an update', async (t) => {
  const rows = [
    { replicas: 8, newSlotsAtOnce: [7, 8] },
    { replicas: 2, newSlotsAtOnce: [] as number[] },
  ];
  for (const r of rows) {
    await t.test(`6 → ${r.replicas} replicas while slot 1 of 6 is done (p1, delay 10s)`, async (t) => {
      const h = await harness(t);
      await create(h, { image: 'whoami:1', replicas: 6, updateParallelism: 1, updateDelay: '10s' });
      const tr = track(h);
      update(h, { image: 'whoami:2' });
      await runUntil(h, tr, 1000);
      update(h, { replicas: r.replicas });
      await quiesce(h);
      for (const slot of r.newSlotsAtOnce) t.ok(serving(newOf(h, slot)), `new slot ${slot} runs the new image at once`);
      t.equal(new Set(h.tasks('web').filter(live).map((x) => x.Slot)).size, r.replicas, 'scaled at once');
      await runUntil(h, tr, 200_000, 5000);
      t.equal(h.service('web').UpdateStatus?.State, 'completed');
      assertSlotsOn(t, h, r.replicas, 'whoami:2', true);
      t.ok(tr.maxInFlight <= 1 + r.newSlotsAtOnce.length, 'scale-up slots aside, one slot at a time');
      await assertConverged(t, h);
    });
  }
});

t.test('a newer spec supersedes an update in progress', async (t) => {
  const h = await harness(t);
  await create(h, { image: 'whoami:1', replicas: 3, updateParallelism: 1, updateDelay: '10s' });
  const tr = track(h);
  update(h, { image: 'whoami:2' });
  await runUntil(h, tr, 1000);
  t.same(servingImages(h), ['whoami:1', 'whoami:1', 'whoami:2']);
  update(h, { image: 'whoami:3' });
  await runUntil(h, tr, 120_000, 5000);
  t.equal(h.service('web').UpdateStatus?.State, 'completed');
  assertSlotsOn(t, h, 3, 'whoami:3');
  t.equal([...tr.created.values()].filter((c) => c.image === 'whoami:2').length, 1, 'no further slot went to the superseded spec');
  await assertConverged(t, h);
});

t.test('update of a global service: node by node, stop-first', async (t) => {
  const h = await harness(t);
  await create(h, { image: 'whoami:1', mode: 'global', updateParallelism: 1, updateDelay: '10s' });
  const originals = h.tasks('web');
  const tr = track(h);
  const from = h.trace.length;
  update(h, { image: 'whoami:2' });
  await runUntil(h, tr, 31_000);
  t.same([...tr.created.values()].map((c) => c.at), [0, 10_000, 20_000], 'one node every Delay');
  t.same(new Set([...tr.created.values()].map((c) => c.node)).size, 3, 'each node once');
  t.equal(tr.when('completed'), 31_000);
  const trace = h.trace.slice(from);
  for (const old of originals) {
    const repl = h.tasks('web').find((x) => x.NodeID === old.NodeID && serving(x))!;
    t.equal(image(repl), 'whoami:2');
    t.ok(trace.indexOf(`exit ${old.ID}`) < trace.indexOf(`start ${repl.ID}`), 'stop, then start, on the same node');
  }
  t.equal(h.tasks('web').filter(live).length, 3, 'one task per node');
  await assertConverged(t, h);
});

t.test('nodes paused or drained during an update', async (t) => {
  await t.test('replicated: the slot on a paused node is replaced on another node', async (t) => {
    const h = await harness(t);
    await create(h, { image: 'whoami:1', replicas: 3, updateParallelism: 0 });
    const n2 = h.nodeOf('node-2').ID;
    const onPaused = h.tasks('web').find((x) => x.NodeID === n2)!;
    setAvailability(h, 'node-2', 'pause');
    await quiesce(h);
    const tr = track(h);
    update(h, { image: 'whoami:2' });
    await runUntil(h, tr, 5000);
    t.equal(h.service('web').UpdateStatus?.State, 'completed');
    t.equal(h.store.view((tx) => tx.getTask(onPaused.ID)!.Status.State), 'shutdown', 'the old task on the paused node stopped');
    t.notOk(h.tasks('web').some((x) => x.NodeID === n2 && live(x)), 'nothing new on the paused node');
    assertSlotsOn(t, h, 3, 'whoami:2');
  });

  for (const mode of ['replicated', 'global'] as const) {
    await t.test(`${mode}: node-3 drained in the middle of the update`, async (t) => {
      const h = await harness(t);
      await create(h, { image: 'whoami:1', ...(mode === 'global' ? { mode } : { replicas: 3 }), updateParallelism: 1, updateDelay: '10s' });
      const n3 = h.nodeOf('node-3').ID;
      const tr = track(h);
      update(h, { image: 'whoami:2' });
      await runUntil(h, tr, 1000);
      setAvailability(h, 'node-3', 'drain');
      await runUntil(h, tr, 120_000, 5000);
      t.equal(h.service('web').UpdateStatus?.State, 'completed');
      t.notOk(h.tasks('web').some((x) => x.NodeID === n3 && live(x)), 'nothing left on the drained node');
      t.equal(h.drivers.get(n3)!.running().length, 0);
      if (mode === 'replicated') {
        assertSlotsOn(t, h, 3, 'whoami:2');
        t.ok(tr.maxInFlight <= 1, 'the drain replacement shares the update\'s single worker');
      }
      else t.same(servingImages(h), ['whoami:2', 'whoami:2'], 'the two active nodes run the new image');
      await assertConverged(t, h);
    });
  }
});

t.test('what restarts tasks and what does not', async (t) => {
  type Row = { name: string; change: (h: Harness) => void; restarts: boolean; replicas?: number };
  const rows: Row[] = [
    { name: 'an update that changes nothing', change: (h) => update(h, {}), restarts: false },
    {
      name: 'a spec equal once normalised (explicit empties)', restarts: false,
      change: (h) => rawUpdate(h, (s) => {
        s.TaskTemplate.ContainerSpec = { ...s.TaskTemplate.ContainerSpec, Env: [], Args: [], Labels: {} };
        s.TaskTemplate.Placement = { ...s.TaskTemplate.Placement, Constraints: [] };
        return s;
      }),
    },
    { name: 'scale only (3 → 5)', change: (h) => update(h, { replicas: 5 }), restarts: false, replicas: 5 },
    { name: 'service labels only (--label-add)', change: (h) => update(h, { labelAdd: ['team=a'] }), restarts: false },
    { name: 'update config only', change: (h) => update(h, { updateParallelism: 2, updateDelay: '5s' }), restarts: false },
    { name: '--force (ForceUpdate + 1)', change: (h) => update(h, { force: true }), restarts: true },
    { name: '--env-add', change: (h) => update(h, { envAdd: ['GREETING=hi'] }), restarts: true },
    { name: '--container-label-add', change: (h) => update(h, { containerLabelAdd: ['tier=web'] }), restarts: true },
  ];
  for (const r of rows) {
    await t.test(r.name, async (t) => {
      const h = await harness(t);
      await create(h, { image: 'whoami:1', replicas: 3 });
      const originals = h.tasks('web').map((x) => x.ID);
      const version = h.service('web').SpecVersion?.Index ?? 0;
      const starts = h.trace.filter((l) => l.startsWith('start')).length;
      const tr = track(h);
      r.change(h);
      await quiesce(h);
      await runUntil(h, tr, 10_000);
      const s = h.service('web');
      const replicas = r.replicas ?? 3;
      t.equal(h.tasks('web').filter(serving).length, replicas);
      if (r.restarts) {
        t.equal(s.SpecVersion?.Index, version + 1, 'a new spec version');
        t.equal(s.UpdateStatus?.State, 'completed');
        t.notOk(h.tasks('web').some((x) => originals.includes(x.ID) && live(x)), 'every task replaced');
        if (r.name.startsWith('--force')) t.equal(s.Spec.TaskTemplate.ForceUpdate, 1);
      } else {
        t.equal(s.SpecVersion?.Index, version, 'the same spec version');
        t.equal(s.UpdateStatus, undefined, 'no UpdateStatus: not a rolling update');
        t.ok(originals.every((id) => h.tasks('web').some((x) => x.ID === id && serving(x))), 'the original tasks still run');
        t.equal(h.trace.filter((l) => l.startsWith('start')).length - starts, replicas - 3, 'only new slots started');
      }
      await assertConverged(t, h);
    });
  }
});
