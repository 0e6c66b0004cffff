/**
 * The rolling updater run step by step against a store, with tasks progressing in a random order
 * (fast-check): planUpdateStep → applyUpdateStep → planStarts, then the "world" moves one task or
 * the clock. Invariants: never more than Parallelism new tasks in flight; stop-first never runs an
 * old and a new task of one slot together; and once everything settles, the update completes with
 * exactly one live, running, new task per slot.
 */
import t from 'tap';
import fc from 'fast-check';
import { FakeClock, isoTime } from '../../lib/clock.js';
import { sequentialIds } from '../../lib/ids.js';
import { planStarts } from '../../lib/manager/plan-starts.js';
import { isTerminal, stateRank } from '../../lib/model/task-state.js';
import type { Service, Task, UpdateConfig } from '../../lib/model/types.js';
import { MemoryStore } from '../../lib/store/memory-store.js';
import type { WriteTx } from '../../lib/store/store.js';
import { applyUpdateStep } from '../../lib/update/apply-update-step.js';
import { planUpdateStep } from '../../lib/update/plan-update-step.js';
import { NS, SEC, T0, iso, updSvc, updTask } from '../fixtures/update-fixtures.js';

const live = (x: Task) => stateRank(x.DesiredState) <= stateRank('running');

function setup(slots: number, update: UpdateConfig) {
  const clock = new FakeClock(T0);
  const store = new MemoryStore({ clock });
  const ids = sequentialIds('sim');
  store.update((tx) => {
    const s = updSvc({ update, version: 2 });
    tx.putService(s);
    for (let i = 1; i <= slots; i++) tx.putTask(updTask({ id: `old${i}`, slot: i, node: `n${i}`, ran: T0 - 60 * SEC }));
  });
  return { clock, store, ids };
}

/** One manager-like round: updater step, then delayed starts. */
function round(store: MemoryStore, clock: FakeClock, ids: ReturnType<typeof sequentialIds>): void {
  const now = clock.now();
  store.update((tx) => {
    const service = tx.getService('svc')!;
    applyUpdateStep(tx, service, planUpdateStep({ service, tasks: tx.tasksOfService('svc'), now }), now, ids);
  });
  store.update((tx) => {
    for (const id of planStarts(tx.listTasks(), now).start) {
      const x = tx.getTask(id)!;
      tx.putTask({ ...x, DesiredState: 'running' });
    }
  });
}

/** The world: a task with desired running starts; a task told to stop stops; unplaced tasks get a node. */
function progress(tx: WriteTx, x: Task, now: number): boolean {
  const ts = isoTime(now);
  if (isTerminal(x.Status.State)) return false;
  if (stateRank(x.DesiredState) > stateRank('running')) {
    tx.putTask({ ...x, Status: { State: 'shutdown', Timestamp: ts } });
    return true;
  }
  if (x.NodeID === '') { tx.putTask({ ...x, NodeID: `n${x.Slot}`, Status: { State: 'assigned', Timestamp: ts } }); return true; }
  if (x.DesiredState === 'running' && x.Status.State !== 'running') {
    tx.putTask({ ...x, Status: { State: 'running', Timestamp: ts }, RunningAt: ts });
    return true;
  }
  return false;
}

function violations(service: Service, tasks: Task[], parallelism: number): string[] {
  const out: string[] = [];
  const version = service.SpecVersion!.Index;
  const inFlight = tasks.filter((x) => x.SpecVersion!.Index === version && live(x) && !isTerminal(x.Status.State) && x.Status.State !== 'running');
  if (parallelism > 0 && inFlight.length > parallelism) out.push(`${inFlight.length} new tasks in flight > ${parallelism}`);
  if ((service.Spec.UpdateConfig?.Order ?? 'stop-first') === 'stop-first') {
    for (const slot of new Set(tasks.map((x) => x.Slot))) {
      const running = tasks.filter((x) => x.Slot === slot && x.Status.State === 'running');
      const versions = new Set(running.map((x) => x.SpecVersion!.Index));
      if (versions.size > 1) out.push(`slot ${slot}: old and new running together (stop-first)`);
    }
  }
  return out;
}

t.test('property: random progress never exceeds Parallelism, and the update completes', async (t) => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 6 }),
    fc.integer({ min: 0, max: 3 }),
    fc.constantFrom<'stop-first' | 'start-first'>('stop-first', 'start-first'),
    fc.constantFrom(0, 2 * SEC),
    fc.array(fc.oneof(fc.nat({ max: 40 }), fc.constant(-1)), { maxLength: 60 }),
    (slots, parallelism, order, delayMs, moves) => {
      const update: UpdateConfig = { Parallelism: parallelism, Order: order, Delay: delayMs * NS, FailureAction: 'continue' };
      const { clock, store, ids } = setup(slots, update);
      const check = () => {
        const [service, tasks] = store.view((tx) => [tx.getService('svc')!, tx.tasksOfService('svc')] as const);
        const v = violations(service, tasks, parallelism);
        if (v.length > 0) throw new Error(v.join('; '));
      };
      round(store, clock, ids);
      check();
      for (const m of moves) {
        if (m < 0) clock.advance(SEC);
        else store.update((tx) => {
          const candidates = tx.tasksOfService('svc').filter((x) => !isTerminal(x.Status.State)).sort((a, b) => a.ID.localeCompare(b.ID));
          const x = candidates[m % Math.max(1, candidates.length)];
          if (x) progress(tx, x, clock.now());
        });
        round(store, clock, ids);
        check();
      }
      // let everything settle
      for (let i = 0; i < 200; i++) {
        store.update((tx) => { for (const x of tx.tasksOfService('svc')) progress(tx, tx.getTask(x.ID)!, clock.now()); });
        round(store, clock, ids);
        check();
        clock.advance(SEC);
        if (store.view((tx) => tx.getService('svc')!.UpdateStatus?.State) === 'completed') break;
      }
      const [service, tasks] = store.view((tx) => [tx.getService('svc')!, tx.tasksOfService('svc')] as const);
      if (service.UpdateStatus?.State !== 'completed') throw new Error(`update did not complete: ${JSON.stringify(service.UpdateStatus)}`);
      for (let slot = 1; slot <= slots; slot++) {
        const l = tasks.filter((x) => x.Slot === slot && live(x));
        if (l.length !== 1 || l[0]!.SpecVersion!.Index !== 2 || l[0]!.Status.State !== 'running') {
          throw new Error(`slot ${slot}: ${JSON.stringify(l.map((x) => [x.ID, x.SpecVersion, x.Status.State]))}`);
        }
      }
      if (tasks.some((x) => x.SpecVersion!.Index === 1 && !isTerminal(x.Status.State))) throw new Error('an old task is still running');
      return true;
    },
  ), { numRuns: 200 });
  t.pass('held');
});

t.test('a stop-first replacement starts without waiting a minute once the old task stopped', async (t) => {
  const { clock, store, ids } = setup(1, { Parallelism: 1 });
  round(store, clock, ids);
  const fresh = () => store.view((tx) => tx.tasksOfService('svc').find((x) => x.SpecVersion!.Index === 2)!);
  t.equal(fresh().DesiredState, 'ready');
  t.equal(fresh().StartAfter, T0 + 60 * SEC, 'started anyway after one minute');
  store.update((tx) => progress(tx, tx.getTask('old1')!, clock.now()));
  round(store, clock, ids);
  t.equal(fresh().DesiredState, 'running');
  t.equal(clock.now(), T0);
  t.equal(store.view((tx) => tx.getService('svc')!.UpdateStatus?.StartedAt), iso(T0));
});
