/**
 * The manager loop end to end on a fake clock: Manager + createControl + agents with a FakeDriver,
 * linked in-process, no processes. Scenarios: create, crash and restart delay, scale down, drain,
 * unknown image, no suitable node, and convergence (a pass over a converged store writes nothing).
 */
import t, { type Test } from 'tap';
import { isTerminal } from '../../lib/model/task-state.js';
import type { Task } from '../../lib/model/types.js';
import { isSwarmletError } from '../../lib/errors.js';
import { assertConverged, harness, spec, type Harness } from '../fixtures/manager-harness.js';

/** Running tasks per hostname. */
function spread(h: Harness, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of h.store.view((tx) => tx.listNodes())) out[n.Description.Hostname] = 0;
  for (const x of h.running(name)) {
    const host = h.store.view((tx) => tx.getNode(x.NodeID)!.Description.Hostname);
    out[host] = (out[host] ?? 0) + 1;
  }
  return out;
}

async function create(h: Harness, name = 'web', replicas = 3, image = 'whoami:1'): Promise<string> {
  const { ID } = h.control.createService(spec(name, image, replicas));
  await h.settle();
  return ID;
}

t.test('create a service with 3 replicas → 3 tasks running, spread 1/1/1', async (t) => {
  const h = await harness(t);
  const id = await create(h);
  const running = h.running('web');
  t.equal(running.length, 3);
  t.same(running.map((x) => x.Slot).sort(), [1, 2, 3], 'slots 1..3');
  t.same(spread(h, 'web'), { 'node-1': 1, 'node-2': 1, 'node-3': 1 });
  t.equal(h.tasks('web').length, 3, 'no extra task');
  t.equal([...h.drivers.values()].reduce((n, d) => n + d.starts.length, 0), 3, 'three driver starts');
  for (const x of running) {
    t.equal(x.ServiceID, id);
    t.ok(x.RunningAt, 'RunningAt recorded');
    const driver = h.drivers.get(x.NodeID)!;
    t.same(x.Endpoint, { Addr: driver.run(x.ID)!.req.node.addr, Port: driver.run(x.ID)!.port }, 'endpoint from the agent');
    t.equal(driver.run(x.ID)!.req.taskName, `web.${x.Slot}`);
  }
  await assertConverged(t, h);
});

t.test('a crash (exit 1) is replaced in the same slot only after the 5 s restart delay', async (t) => {
  const h = await harness(t);
  await create(h);
  const victim = h.running('web').find((x) => x.Slot === 2)!;
  const startsBefore = h.trace.filter((l) => l.startsWith('start')).length;
  h.drivers.get(victim.NodeID)!.crash(victim.ID, 1);
  await h.settle();
  const dead = h.store.view((tx) => tx.getTask(victim.ID)!);
  t.equal(dead.Status.State, 'failed');
  t.equal(dead.Status.Err, 'task: non-zero exit (1)');
  t.equal(dead.Status.ContainerStatus?.ExitCode, 1);
  t.equal(dead.DesiredState, 'shutdown', 'the failed task is retired');
  const slot2 = () => h.tasks('web').filter((x) => x.Slot === 2 && x.ID !== victim.ID);
  t.equal(slot2().length, 1, 'a replacement exists at once (to be scheduled/prepared)');
  t.equal(slot2()[0]!.DesiredState, 'ready');
  await assertConverged(t, h, 'waiting for the delay');

  await h.advance(4999);
  t.equal(slot2()[0]!.DesiredState, 'ready', 'not started at 4999 ms');
  t.equal(h.trace.filter((l) => l.startsWith('start')).length, startsBefore, 'no driver start yet');
  t.equal(h.running('web').length, 2);

  await h.advance(1);
  const repl = slot2()[0]!;
  t.equal(repl.DesiredState, 'running', 'started at 5000 ms');
  t.equal(repl.Status.State, 'running');
  t.not(repl.ID, victim.ID, 'a new task ID');
  t.equal(h.running('web').length, 3);
  t.same(h.running('web').map((x) => x.Slot).sort(), [1, 2, 3]);
  await assertConverged(t, h, 'after the restart');
});

t.test('restart delays of several services each fire on time (one wake-up timer, re-armed)', async (t) => {
  const h = await harness(t);
  const withDelay = (name: string, ns: number) => spec(name, 'whoami:1', 1, { TaskTemplate: { ContainerSpec: { Image: 'whoami:1' }, RestartPolicy: { Delay: ns } } });
  h.control.createService(withDelay('a', 5e9));
  h.control.createService(withDelay('b', 8e9));
  await h.settle();
  for (const name of ['a', 'b']) { const x = h.running(name)[0]!; h.drivers.get(x.NodeID)!.crash(x.ID); }
  await h.settle();
  const counts = () => [h.running('a').length, h.running('b').length];
  await h.advance(4999);
  t.same(counts(), [0, 0], '4999 ms');
  await h.advance(1);
  t.same(counts(), [1, 0], '5000 ms: a restarted');
  await h.advance(2999);
  t.same(counts(), [1, 0], '7999 ms');
  await h.advance(1);
  t.same(counts(), [1, 1], '8000 ms: b restarted');
  await assertConverged(t, h);
});

t.test('scale 3 → 1: two tasks removed, and reaped once stopped', async (t) => {
  const h = await harness(t);
  const id = await create(h);
  const before = h.tasks('web');
  const eventsFrom = h.events.length;
  h.control.updateService(id, h.service('web').Version.Index, spec('web', 'whoami:1', 1));
  await h.settle();
  const after = h.tasks('web');
  t.equal(after.length, 1, 'only one task left in the store');
  t.equal(h.running('web').length, 1);
  t.ok(before.some((x) => x.ID === after[0]!.ID), 'the kept task is one of the originals (no restart)');
  const gone = before.filter((x) => x.ID !== after[0]!.ID).map((x) => x.ID);
  t.same([...h.drivers.values()].flatMap((d) => d.stops).sort(), [...gone].sort(), 'the removed tasks were stopped');
  const mine = h.events.slice(eventsFrom).filter((e) => e.kind === 'task' && gone.includes(e.id));
  for (const gid of gone) {
    const evs = mine.filter((e) => e.id === gid);
    const del = evs.find((e) => e.action === 'delete');
    t.ok(del, `${gid} deleted`);
    t.ok(isTerminal((del!.object as Task).Status.State), 'deleted only once stopped');
    t.ok(evs.some((e) => e.action === 'update' && (e.object as Task).DesiredState === 'remove'), 'told to go first (desired remove)');
  }
  await assertConverged(t, h);
});

t.test('the driver forgets the tasks the store deleted (log files …)', async (t) => {
  const h = await harness(t);
  const id = await create(h);
  const before = h.tasks('web').map((x) => x.ID);
  h.control.updateService(id, h.service('web').Version.Index, spec('web', 'whoami:1', 1));
  await h.settle();
  const deleted = before.filter((x) => !h.tasks('web').some((y) => y.ID === x));
  t.equal(deleted.length, 2);
  t.same([...h.drivers.values()].flatMap((d) => d.forgotten).sort(), deleted.sort());
});

t.test('drain a node → its task is replaced at once elsewhere', async (t) => {
  const h = await harness(t);
  await create(h);
  const n2 = h.nodeOf('node-2');
  const victim = h.running('web').find((x) => x.NodeID === n2.ID)!;
  const t0 = h.clock.now();
  h.control.updateNode(n2.ID, n2.Version.Index, { ...n2.Spec, Availability: 'drain' });
  await h.settle();
  t.equal(h.clock.now(), t0, 'no time passed');
  const old = h.store.view((tx) => tx.getTask(victim.ID)!);
  t.equal(old.DesiredState, 'shutdown');
  t.equal(old.Status.State, 'shutdown');
  t.ok(h.drivers.get(n2.ID)!.stops.includes(victim.ID));
  const running = h.running('web');
  t.equal(running.length, 3);
  t.ok(running.every((x) => x.NodeID !== n2.ID), 'nothing runs on the drained node');
  t.ok(running.some((x) => x.Slot === victim.Slot && x.ID !== victim.ID), 'the same slot, a new task');
  t.equal(h.drivers.get(n2.ID)!.running().length, 0);
  await assertConverged(t, h);
});

t.test('drain with update order start-first keeps the old task until its replacement runs', async (t) => {
  const h = await harness(t);
  h.control.createService(spec('web', 'whoami:1', 3, { UpdateConfig: { Parallelism: 1, Order: 'start-first' } }));
  await h.settle();
  const n2 = h.nodeOf('node-2');
  const victim = h.running('web').find((x) => x.NodeID === n2.ID)!;
  let replacementRanFirst: boolean | undefined;
  h.store.watch((events) => {
    const e = events.find((x) => x.id === victim.ID && (x.object as Task).DesiredState === 'shutdown');
    if (!e || replacementRanFirst !== undefined) return;
    replacementRanFirst = h.tasks('web').some((x) => x.Slot === victim.Slot && x.ID !== victim.ID && x.Status.State === 'running');
  });
  h.control.updateNode(n2.ID, n2.Version.Index, { ...n2.Spec, Availability: 'drain' });
  await h.settle();
  t.equal(replacementRanFirst, true);
});

t.test('drain replaces at most Parallelism tasks at a time (stop-first: old stops before the new starts)', async (t) => {
  const h = await harness(t);
  h.control.createService(spec('web', 'whoami:1', 6, { UpdateConfig: { Parallelism: 1 } }));
  await h.settle();
  const n2 = h.nodeOf('node-2');
  const victims = h.running('web').filter((x) => x.NodeID === n2.ID).map((x) => x.ID);
  t.equal(victims.length, 2);
  let maxInFlight = 0;
  let overlap = false;
  h.store.watch(() => {
    const tasks = h.tasks('web');
    const inFlight = tasks.filter((x) => x.Labels?.['swarmlet.drain'] === 'true' && x.Status.State !== 'running'
      && !['complete', 'shutdown', 'failed', 'rejected'].includes(x.Status.State) && x.DesiredState !== 'shutdown').length;
    maxInFlight = Math.max(maxInFlight, inFlight);
    for (const v of victims) {
      const old = tasks.find((x) => x.ID === v)!;
      const repl = tasks.find((x) => x.Slot === old.Slot && x.ID !== v && x.Labels?.['swarmlet.drain'] === 'true');
      if (repl && repl.Status.State === 'running' && old.Status.State === 'running') overlap = true;
    }
  });
  h.control.updateNode(n2.ID, n2.Version.Index, { ...n2.Spec, Availability: 'drain' });
  await h.settle();
  t.equal(maxInFlight, 1, 'one replacement at a time');
  t.notOk(overlap, 'stop-first: never old and new running together');
  t.equal(h.running('web').filter((x) => x.NodeID === n2.ID).length, 0);
  t.equal(h.running('web').length, 6);
  await assertConverged(t, h);
});

t.test('a node drained and re-activated before the replacement ran leaves one task in the slot', async (t) => {
  const h = await harness(t);
  const n2 = h.nodeOf('node-2');
  h.control.updateNode(n2.ID, n2.Version.Index, { ...n2.Spec, Labels: { pin: 'yes' } });
  await h.settle();
  h.control.createService(spec('web', 'whoami:1', 1, { TaskTemplate: { ContainerSpec: { Image: 'whoami:1' }, Placement: { Constraints: ['node.labels.pin==yes'] } } }));
  await h.settle();
  const drain = (availability: 'drain' | 'active') => {
    const n = h.nodeOf('node-2');
    h.control.updateNode(n.ID, n.Version.Index, { ...n.Spec, Availability: availability });
  };
  drain('drain'); // the replacement cannot be placed anywhere else: it stays pending
  await h.settle();
  drain('active'); // now the replacement lands on node-2 and runs
  await h.settle();
  await h.advance(60_000);
  t.equal(h.processes('web').length, 1, 'one process for one replica');
  t.equal(h.tasks('web').filter((x) => x.DesiredState === 'running').length, 1, 'one live task in slot 1');
  await assertConverged(t, h);
});

t.test('an unknown image: createService throws and the store is unchanged', async (t) => {
  const h = await harness(t);
  const before = h.events.length;
  const index = h.store.view((tx) => tx.index());
  let err: unknown;
  try { h.control.createService(spec('api', 'nosuch:1', 1)); } catch (e) { err = e; }
  t.ok(isSwarmletError(err));
  t.equal((err as Error).message, 'image nosuch:1 not found');
  t.equal(isSwarmletError(err) ? err.code : undefined, 'invalid_argument');
  await h.settle();
  t.equal(h.events.length, before, 'no event');
  t.equal(h.store.view((tx) => tx.index()), index);
  t.same(h.store.view((tx) => tx.listServices()), []);
  t.same(h.store.view((tx) => tx.listTasks()), []);
});

t.test('every node drained → tasks pending with "no suitable node (…)"; placed once a node is active again', async (t) => {
  const h = await harness(t);
  for (const n of h.store.view((tx) => tx.listNodes())) h.control.updateNode(n.ID, n.Version.Index, { ...n.Spec, Availability: 'drain' });
  await h.settle();
  await create(h, 'web', 2);
  const pending = h.tasks('web');
  t.equal(pending.length, 2);
  for (const x of pending) {
    t.equal(x.Status.State, 'pending');
    t.equal(x.NodeID, '');
    t.match(x.Status.Err, /^no suitable node \(.+\)$/);
  }
  await assertConverged(t, h, 'stuck pending');
  const n3 = h.nodeOf('node-3');
  h.control.updateNode(n3.ID, n3.Version.Index, { ...n3.Spec, Availability: 'active' });
  await h.settle();
  const running = h.running('web');
  t.equal(running.length, 2);
  t.ok(running.every((x) => x.NodeID === n3.ID), 'on the only active node');
  t.same(h.tasks('web').map((x) => x.ID).sort(), pending.map((x) => x.ID).sort(), 'the same tasks, placed');
  await assertConverged(t, h, 'placed');
});

t.test('removing a service stops and deletes its tasks', async (t) => {
  const h = await harness(t);
  const id = await create(h);
  const ids = h.tasks('web').map((x) => x.ID);
  h.control.removeService(id);
  await h.settle();
  t.same(h.store.view((tx) => tx.listTasks()), []);
  t.same([...h.drivers.values()].flatMap((d) => d.stops).sort(), ids.sort());
  await assertConverged(t, h);
});

t.test('a global service runs once per node; draining a node stops its task without a replacement', async (t) => {
  const h = await harness(t);
  h.control.createService({ Name: 'agent', TaskTemplate: { ContainerSpec: { Image: 'whoami:1' } }, Mode: { Global: {} } });
  await h.settle();
  t.same(spread(h, 'agent'), { 'node-1': 1, 'node-2': 1, 'node-3': 1 });
  const n1 = h.nodeOf('node-1');
  h.control.updateNode(n1.ID, n1.Version.Index, { ...n1.Spec, Availability: 'drain' });
  await h.settle();
  t.same(spread(h, 'agent'), { 'node-1': 0, 'node-2': 1, 'node-3': 1 });
  t.equal(h.tasks('agent').filter((x) => x.DesiredState === 'running').length, 2);
  await assertConverged(t, h);
});

t.test('a converged store: no timers left, passes write nothing, time can pass', async (t) => {
  const h = await harness(t);
  await create(h);
  await assertConverged(t, h);
  const before = h.events.length;
  await h.advance(10 * 60 * 1000);
  t.equal(h.events.length, before, 'ten quiet minutes');
  t.equal(h.clock.pending(), 1, 'no timer armed but the periodic resync');
});
