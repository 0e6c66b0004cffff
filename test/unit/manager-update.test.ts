/**
 * Rolling updates and rollbacks through the whole manager on a fake clock (Manager + createControl +
 * agents with a FakeDriver): one slot at a time, stop-first / start-first, completion after the
 * monitor window, out-of-sequence versions, manual and automatic rollback, pause on failure.
 */
import t, { type Test } from 'tap';
import { isSwarmletError } from '../../lib/errors.js';
import { isTerminal, stateRank } from '../../lib/model/task-state.js';
import type { Task } from '../../lib/model/types.js';
import type { StoreEvent } from '../../lib/store/store.js';
import { assertConverged, harness, spec, type Harness } from '../fixtures/manager-harness.js';

const iso = (ms: number) => new Date(ms).toISOString();
const image = (x: Task) => x.Spec.ContainerSpec.Image;
const live = (x: Task) => stateRank(x.DesiredState) <= stateRank('running');

async function create(h: Harness, replicas = 3, extra: Record<string, unknown> = {}): Promise<string> {
  const { ID } = h.control.createService(spec('web', 'whoami:1', replicas, extra));
  await h.settle();
  return ID;
}

function update(h: Harness, id: string, img: string, extra: Record<string, unknown> = {}, replicas = 3): void {
  h.control.updateService(id, h.service('web').Version.Index, spec('web', img, replicas, extra));
}

/**
 * Watches every commit while an update runs and records: the most new-image tasks in flight at once,
 * slots where an old and a new task ran together, and the order in which new tasks were created and ran.
 */
function watchUpdate(h: Harness, newImage: string) {
  const seen = { maxInFlight: 0, overlaps: new Set<number>(), order: [] as string[], maxProcesses: 0 };
  const created = new Set<string>();
  const ran = new Set<string>();
  h.store.watch((events: StoreEvent[]) => {
    const tasks = h.tasks('web');
    const fresh = tasks.filter((x) => image(x) === newImage);
    seen.maxInFlight = Math.max(seen.maxInFlight, fresh.filter((x) => live(x) && !isTerminal(x.Status.State) && x.Status.State !== 'running').length);
    for (const slot of new Set(tasks.map((x) => x.Slot))) {
      const running = tasks.filter((x) => x.Slot === slot && x.Status.State === 'running');
      if (new Set(running.map(image)).size > 1) seen.overlaps.add(slot);
    }
    seen.maxProcesses = Math.max(seen.maxProcesses, tasks.filter((x) => x.Status.State === 'running').length);
    for (const e of events) {
      if (e.kind !== 'task') continue;
      const x = e.object as Task;
      if (image(x) !== newImage) continue;
      if (!created.has(x.ID)) { created.add(x.ID); seen.order.push(`create ${x.Slot}`); }
      if (x.Status.State === 'running' && !ran.has(x.ID)) { ran.add(x.ID); seen.order.push(`run ${x.Slot}`); }
    }
  });
  return seen;
}

t.test('an image update replaces tasks one at a time (stop-first), then completes after the 5 s monitor', async (t) => {
  const h = await harness(t);
  const id = await create(h);
  const originals = h.tasks('web').map((x) => x.ID);
  const seen = watchUpdate(h, 'whoami:2');
  const traceFrom = h.trace.length;
  const t0 = h.clock.now();
  update(h, id, 'whoami:2');
  const s = h.service('web');
  t.equal(s.PreviousSpec?.TaskTemplate.ContainerSpec.Image, 'whoami:1', 'PreviousSpec keeps the old spec');
  t.equal(s.UpdateStatus, undefined, 'the status is the updater\'s to set');

  h.clock.advance(0); // exactly one manager pass, no agent work yet
  t.match(h.service('web').UpdateStatus, { State: 'updating', StartedAt: iso(t0), Message: 'update in progress' });
  const first = h.tasks('web').filter((x) => image(x) === 'whoami:2');
  t.equal(first.length, 1, 'one slot handed out (parallelism 1)');
  t.equal(first[0]!.DesiredState, 'ready', 'stop-first: waits for the old task');

  await h.settle();
  t.equal(h.running('web').length, 3);
  t.ok(h.running('web').every((x) => image(x) === 'whoami:2'), 'every slot runs the new image');
  t.ok(h.tasks('web').filter((x) => originals.includes(x.ID)).every((x) => x.Status.State === 'shutdown'), 'the old tasks stopped');
  t.equal(seen.maxInFlight, 1, 'never more than one new task in flight');
  t.same([...seen.overlaps], [], 'stop-first: old and new never ran together in a slot');
  t.equal(seen.order.length, 6);
  for (let i = 0; i < seen.order.length; i += 2) {
    const slot = seen.order[i]!.split(' ')[1];
    t.same(seen.order.slice(i, i + 2), [`create ${slot}`, `run ${slot}`], 'the next slot only after this one runs');
  }
  // per slot, the old task's process stopped before the new one started
  const trace = h.trace.slice(traceFrom);
  for (const x of h.running('web')) {
    const old = originals.find((o) => h.store.view((tx) => tx.getTask(o)!.Slot) === x.Slot)!;
    t.ok(trace.indexOf(`exit ${old}`) >= 0 && trace.indexOf(`exit ${old}`) < trace.indexOf(`start ${x.ID}`), `slot ${x.Slot}: stop, then start`);
  }

  t.equal(h.service('web').UpdateStatus?.State, 'updating', 'still watching the monitor window');
  await h.advance(4999);
  t.equal(h.service('web').UpdateStatus?.State, 'updating', 'not at 4999 ms');
  await h.advance(1);
  t.match(h.service('web').UpdateStatus, { State: 'completed', Message: 'update completed', StartedAt: iso(t0), CompletedAt: iso(t0 + 5000) });
  await assertConverged(t, h);
});

t.test('start-first: the new task starts before the old one stops, one slot at a time', async (t) => {
  const h = await harness(t);
  const id = await create(h, 3, { UpdateConfig: { Parallelism: 1, Order: 'start-first' } });
  const originals = h.tasks('web');
  const seen = watchUpdate(h, 'whoami:2');
  const from = h.trace.length;
  update(h, id, 'whoami:2', { UpdateConfig: { Parallelism: 1, Order: 'start-first' } });
  await h.settle();
  t.equal(h.running('web').length, 3);
  t.ok(h.running('web').every((x) => image(x) === 'whoami:2'));
  t.ok(seen.maxProcesses <= 4, `at most one extra task at a time (saw ${seen.maxProcesses})`);
  t.equal(seen.maxInFlight, 1);
  const trace = h.trace.slice(from);
  for (const x of h.running('web')) {
    const old = originals.find((o) => o.Slot === x.Slot)!;
    t.ok(trace.indexOf(`start ${x.ID}`) < trace.indexOf(`stop ${old.ID}`), `slot ${x.Slot}: start, then stop the old one`);
  }
  await h.advance(5000);
  t.equal(h.service('web').UpdateStatus?.State, 'completed');
  await assertConverged(t, h);
});

t.test('parallelism 2 over 5 replicas: two slots at a time', async (t) => {
  const h = await harness(t);
  const cfg = { UpdateConfig: { Parallelism: 2 } };
  const id = await create(h, 5, cfg);
  const seen = watchUpdate(h, 'whoami:2');
  update(h, id, 'whoami:2', cfg, 5);
  h.clock.advance(0);
  t.equal(h.tasks('web').filter((x) => image(x) === 'whoami:2').length, 2, 'the first pass hands out two slots');
  await h.settle();
  t.equal(seen.maxInFlight, 2);
  t.same([...seen.overlaps], []);
  t.equal(h.running('web').length, 5);
  t.ok(h.running('web').every((x) => image(x) === 'whoami:2'));
  await h.advance(5000);
  t.equal(h.service('web').UpdateStatus?.State, 'completed');
  await assertConverged(t, h);
});

t.test('a stale version is "update out of sequence" and changes nothing', async (t) => {
  const h = await harness(t);
  const id = await create(h);
  const before = h.service('web');
  const events = h.events.length;
  let err: unknown;
  try { h.control.updateService(id, before.Version.Index - 1, spec('web', 'whoami:2', 3)); } catch (e) { err = e; }
  t.ok(isSwarmletError(err));
  t.equal((err as Error).message, 'update out of sequence');
  t.equal(isSwarmletError(err) ? err.code : undefined, 'out_of_sequence');
  await h.settle();
  t.equal(h.events.length, events, 'no event');
  t.same(h.service('web'), before, 'the service is as it was');
});

t.test('a scale or label change is not a rolling update', async (t) => {
  const h = await harness(t);
  const id = await create(h);
  const before = h.tasks('web').map((x) => x.ID);
  h.control.updateService(id, h.service('web').Version.Index, spec('web', 'whoami:1', 3, { Labels: { team: 'a' } }));
  await h.settle();
  t.equal(h.service('web').UpdateStatus, undefined, 'no UpdateStatus');
  t.same(h.tasks('web').map((x) => x.ID), before, 'no task replaced');
  await assertConverged(t, h);
});

t.test('rollback (opts.rollback) swaps Spec and PreviousSpec and ends rollback_completed', async (t) => {
  const h = await harness(t);
  const id = await create(h);
  update(h, id, 'whoami:2');
  await h.advance(5000);
  t.equal(h.service('web').UpdateStatus?.State, 'completed');
  const t1 = h.clock.now();
  h.control.updateService(id, h.service('web').Version.Index, {}, { rollback: true });
  const s = h.service('web');
  t.equal(s.Spec.TaskTemplate.ContainerSpec.Image, 'whoami:1');
  t.equal(s.PreviousSpec?.TaskTemplate.ContainerSpec.Image, 'whoami:2', 'swapped, so a second rollback rolls forward');
  t.match(s.UpdateStatus, { State: 'rollback_started', Message: 'manually requested rollback', StartedAt: iso(t1) });
  await h.settle();
  t.equal(h.running('web').length, 3);
  t.ok(h.running('web').every((x) => image(x) === 'whoami:1'));
  await h.advance(4999);
  t.equal(h.service('web').UpdateStatus?.State, 'rollback_started');
  await h.advance(1);
  t.match(h.service('web').UpdateStatus, { State: 'rollback_completed', Message: 'rollback completed', CompletedAt: iso(t1 + 5000) });
  await assertConverged(t, h);
});

t.test('rollback without a previous spec is refused', async (t) => {
  const h = await harness(t);
  const id = await create(h);
  let err: unknown;
  try { h.control.updateService(id, h.service('web').Version.Index, {}, { rollback: true }); } catch (e) { err = e; }
  t.equal((err as Error).message, `service ${id} does not have a previous spec`);
  t.equal(isSwarmletError(err) ? err.code : undefined, 'failed_precondition');
});

t.test('a new task that fails pauses the update; no more slots are handed out', async (t) => {
  const h = await harness(t, { crashImages: new Map([['whoami:bad', 1]]) });
  const id = await create(h);
  const originals = h.tasks('web');
  update(h, id, 'whoami:bad');
  await h.settle();
  const bad = h.tasks('web').filter((x) => image(x) === 'whoami:bad');
  t.equal(bad.length >= 1, true);
  const firstBad = bad[bad.length - 1]!;
  const st = h.service('web').UpdateStatus;
  t.equal(st?.State, 'paused');
  t.equal(st?.Message, `update paused due to failure or early termination of task ${firstBad.ID}`);
  await h.advance(60_000);
  t.equal(h.service('web').UpdateStatus?.State, 'paused', 'the pause is sticky');
  const badSlots = new Set(h.tasks('web').filter((x) => image(x) === 'whoami:bad').map((x) => x.Slot));
  t.equal(badSlots.size, 1, 'only the first slot was touched');
  const untouched = originals.filter((x) => !badSlots.has(x.Slot));
  t.ok(untouched.every((x) => h.store.view((tx) => tx.getTask(x.ID)!.Status.State) === 'running'), 'the other slots keep their tasks');
  t.notOk(h.clock.runaway);

  // a new update resumes
  update(h, id, 'whoami:2');
  await h.settle();
  t.equal(h.service('web').UpdateStatus?.State, 'updating');
  await h.advance(5000);
  t.equal(h.service('web').UpdateStatus?.State, 'completed');
  t.ok(h.running('web').length === 3 && h.running('web').every((x) => image(x) === 'whoami:2'));
});

t.test('FailureAction rollback: the spec goes back, PreviousSpec is cleared, rollback_completed', async (t) => {
  const h = await harness(t, { crashImages: new Map([['whoami:bad', 1]]) });
  const cfg = { UpdateConfig: { Parallelism: 1, FailureAction: 'rollback' } };
  const id = await create(h, 3, cfg);
  update(h, id, 'whoami:bad', cfg);
  await h.settle();
  const s = h.service('web');
  t.equal(s.UpdateStatus?.State, 'rollback_started');
  t.match(s.UpdateStatus?.Message, /^update rolled back due to failure or early termination of task [0-9a-z]{25}$/);
  t.equal(s.Spec.TaskTemplate.ContainerSpec.Image, 'whoami:1');
  t.equal(s.PreviousSpec, undefined, 'an automatic rollback clears PreviousSpec');
  await h.advance(5000);
  await h.advance(5000);
  t.equal(h.service('web').UpdateStatus?.State, 'rollback_completed');
  t.equal(h.running('web').length, 3);
  t.ok(h.running('web').every((x) => image(x) === 'whoami:1'));
  await assertConverged(t, h);
});

t.test('an automatic rollback restarts only the slots the update changed', async (t) => {
  const h = await harness(t, { crashImages: new Map([['whoami:bad', 1]]) });
  const cfg = { UpdateConfig: { Parallelism: 1, FailureAction: 'rollback' } };
  const id = await create(h, 3, cfg);
  const originals = h.tasks('web');
  update(h, id, 'whoami:bad', cfg);
  await h.settle();
  await h.advance(10_000);
  const badSlots = new Set(h.tasks('web').filter((x) => image(x) === 'whoami:bad').map((x) => x.Slot));
  const untouched = originals.filter((x) => !badSlots.has(x.Slot));
  t.equal(untouched.length, 2);
  t.ok(untouched.every((x) => h.store.view((tx) => tx.getTask(x.ID)?.Status.State) === 'running'), 'the two untouched tasks still run');
});

t.test('a rolling update of a global service leaves the task on a paused node alone', async (t) => {
  const h = await harness(t);
  const global = (img: string) => ({ Name: 'web', TaskTemplate: { ContainerSpec: { Image: img } }, Mode: { Global: {} } });
  const { ID } = h.control.createService(global('whoami:1'));
  await h.settle();
  const n2 = h.nodeOf('node-2');
  const onPaused = h.running('web').find((x) => x.NodeID === n2.ID)!;
  h.control.updateNode(n2.ID, n2.Version.Index, { ...n2.Spec, Availability: 'pause' });
  await h.settle();
  h.control.updateService(ID, h.service('web').Version.Index, global('whoami:2'));
  await h.settle();
  await h.advance(5000);
  t.equal(h.store.view((tx) => tx.getTask(onPaused.ID)!.Status.State), 'running', 'the task on the paused node still runs');
  t.notOk(h.tasks('web').some((x) => x.NodeID === n2.ID && image(x) === 'whoami:2'), 'no new task on the paused node');
  t.equal(h.running('web').filter((x) => image(x) === 'whoami:2').length, 2, 'the two active nodes are updated');
  t.equal(h.service('web').UpdateStatus?.State, 'completed');
});

t.test('start-first: a pause does not leave old and new tasks running side by side', async (t) => {
  const h = await harness(t);
  const cfg = { UpdateConfig: { Parallelism: 2, Order: 'start-first' } };
  const id = await create(h, 3, cfg);
  update(h, id, 'whoami:2', cfg);
  h.clock.advance(0); // one pass: slots 1 and 2 handed out, new tasks placed
  await new Promise((r) => setImmediate(r)); // agents start both; no manager pass yet
  const new2 = h.tasks('web').find((x) => x.Slot === 2 && image(x) === 'whoami:2')!;
  t.equal(new2.Status.State, 'running');
  h.drivers.get(new2.NodeID)!.crash(new2.ID); // slot 2's new task dies within the monitor window
  await new Promise((r) => setImmediate(r)); // its failure is reported before the next pass
  await h.settle();
  t.equal(h.service('web').UpdateStatus?.State, 'paused');
  await h.advance(60_000);
  t.equal(h.processes('web').length, 3, 'three processes for three replicas');
  for (const slot of [1, 2, 3]) {
    t.equal(h.tasks('web').filter((x) => x.Slot === slot && x.Status.State === 'running').length, 1, `slot ${slot}: one running task`);
  }
});
