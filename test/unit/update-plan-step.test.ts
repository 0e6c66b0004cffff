import t, { type Test } from 'tap';
import fc from 'fast-check';
import { FakeClock } from '../../lib/clock.js';
import { isTerminal, stateRank, TASK_STATES, type TaskState } from '../../lib/model/task-state.js';
import type { Service, Task, UpdateConfig } from '../../lib/model/types.js';
import { isUpdateFailure, planUpdateStep, type UpdateStep } from '../../lib/update/plan-update-step.js';
import { NS, SEC, T0, iso, oldTasks, rollingBack, updSvc, updTask, updating } from '../fixtures/update-fixtures.js';

const S = T0; // the update's StartedAt in most cases

interface Expect {
  replace?: number[];
  order?: 'stop-first' | 'start-first';
  shutdown?: string[];
  status?: Record<string, unknown> | null; // null: no status change
  rollback?: boolean;
  wakeAt?: number | null; // null: none
}

interface Case { name: string; service: Service; tasks: Task[]; now: number; expect: Expect }

function check(t: Test, c: Case): UpdateStep {
  const step = planUpdateStep({ service: c.service, tasks: c.tasks, now: c.now });
  const e = c.expect;
  if (e.replace) t.same(step.replace.map((r) => r.slot), e.replace, 'replaced slots');
  if (e.order) t.ok(step.replace.every((r) => r.order === e.order), `order ${e.order}`);
  if (e.shutdown) t.same([...step.shutdown].sort(), [...e.shutdown].sort(), 'shut down');
  if (e.status === null) t.equal(step.status, undefined, 'no status change');
  else if (e.status) t.match(step.status, e.status, 'status');
  if (e.rollback !== undefined) t.equal(step.rollback === true, e.rollback, 'rollback flag');
  if (e.wakeAt === null) t.equal(step.wakeAt, undefined, 'no wake-up');
  else if (e.wakeAt !== undefined) t.equal(step.wakeAt, e.wakeAt, 'wake-up time');
  return step;
}

/** A v2 task of this update in `slot`, created at S + `at`. */
const fresh = (slot: number, o: Parameters<typeof updTask>[0] = {}) =>
  updTask({ id: `new${slot}`, slot, node: `n${slot}`, version: 2, created: S, ...o });
/** The old v1 task of `slot`, already told to stop (stop-first). */
const stopped = (slot: number) => updTask({ id: `old${slot}`, slot, node: `n${slot}`, desired: 'shutdown', state: 'shutdown', ts: S + 1 });

t.test('starting an update', async (t) => {
  const clock = new FakeClock();
  const now = clock.now();
  const cases: Case[] = [
    {
      name: 'no UpdateStatus + outdated tasks: updating, the first slot replaced (parallelism 1, stop-first)',
      service: updSvc(), tasks: oldTasks(3), now,
      expect: { replace: [1], order: 'stop-first', shutdown: [], status: { State: 'updating', StartedAt: iso(now), Message: 'update in progress' } },
    },
    { name: 'parallelism 2: two slots', service: updSvc({ update: { Parallelism: 2 } }), tasks: oldTasks(3), now, expect: { replace: [1, 2], status: { State: 'updating' } } },
    { name: 'parallelism 0: every slot', service: updSvc({ update: { Parallelism: 0 } }), tasks: oldTasks(5), now, expect: { replace: [1, 2, 3, 4, 5] } },
    {
      name: 'an UpdateConfig without Parallelism means 0 (all) as the Engine API decodes it; start-first order kept',
      service: updSvc({ update: { Order: 'start-first' } }), tasks: oldTasks(3), now, expect: { replace: [1, 2, 3], order: 'start-first' },
    },
    { name: 'nothing outdated: no UpdateStatus at all', service: updSvc({ version: 1 }), tasks: oldTasks(3), now, expect: { replace: [], shutdown: [], status: null } },
    {
      name: 'a completed update stays completed when nothing is outdated',
      service: updSvc({ status: { State: 'completed', StartedAt: iso(S - 60 * SEC), CompletedAt: iso(S - 50 * SEC) } }),
      tasks: [fresh(1, { ran: S - 55 * SEC, created: S - 58 * SEC })], now, expect: { replace: [], status: null },
    },
  ];
  for (const c of cases) await t.test(c.name, async (t) => { check(t, c); });

  await t.test('replacements name the old tasks of their slot; global slots name their node', async (t) => {
    const leftover = updTask({ id: 'older1', slot: 1, created: T0 - 90 * SEC });
    const step = planUpdateStep({ service: updSvc({ update: { Parallelism: 0 } }), tasks: [...oldTasks(2), leftover], now });
    t.same(step.replace.find((r) => r.slot === 1)!.oldTaskIds.sort(), ['old1', 'older1']);
    t.same(step.replace.map((r) => r.nodeId), ['', '']);
    const g = [updTask({ id: 'g1', slot: 0, node: 'n1' }), updTask({ id: 'g2', slot: 0, node: 'n2' })];
    const gs = planUpdateStep({ service: updSvc({ global: true, update: { Parallelism: 0 } }), tasks: g, now });
    t.same(gs.replace.map((r) => [r.slot, r.nodeId, r.oldTaskIds]), [[0, 'n1', ['g1']], [0, 'n2', ['g2']]]);
  });
});

t.test('busy workers block further hand-outs', async (t) => {
  const clock = new FakeClock(S);
  clock.advance(2 * SEC);
  const now = clock.now();
  const waiting = fresh(1, { state: 'pending', desired: 'ready', node: '' });
  const cases: Case[] = [
    { name: 'a new task not yet running (parallelism 1)', service: updSvc({ status: updating(S) }), tasks: [stopped(1), waiting, ...oldTasks(3).slice(1)], now, expect: { replace: [], shutdown: [], status: null } },
    { name: 'a new task not yet running (parallelism 2)', service: updSvc({ status: updating(S), update: { Parallelism: 2 } }), tasks: [stopped(1), waiting, ...oldTasks(3).slice(1)], now, expect: { replace: [2] } },
    {
      name: 'a new task running for less than Delay, with a wake-up when it is done',
      service: updSvc({ status: updating(S), update: { Parallelism: 1, Delay: 10 * SEC * NS } }),
      tasks: [stopped(1), fresh(1, { ran: S + 1 * SEC }), ...oldTasks(3).slice(1)], now, expect: { replace: [], wakeAt: S + 11 * SEC },
    },
    {
      name: 'a new task running for Delay frees its worker',
      service: updSvc({ status: updating(S), update: { Parallelism: 1, Delay: 10 * SEC * NS } }),
      tasks: [stopped(1), fresh(1, { ran: S + 1 * SEC }), ...oldTasks(3).slice(1)], now: S + 11 * SEC, expect: { replace: [2] },
    },
    {
      name: 'Delay 0: the next slot as soon as the new task runs',
      service: updSvc({ status: updating(S) }), tasks: [stopped(1), fresh(1, { ran: S + 1 * SEC }), ...oldTasks(3).slice(1)], now, expect: { replace: [2], shutdown: [] },
    },
  ];
  for (const c of cases) await t.test(c.name, async (t) => { check(t, c); });
});

t.test('start-first: the old task is shut down only once the new one runs', async (t) => {
  const service = updSvc({ status: updating(S), update: { Parallelism: 1, Order: 'start-first' } });
  const old = oldTasks(3);
  const cases: Case[] = [
    { name: 'new task starting', service, tasks: [...old, fresh(1, { state: 'starting' })], now: S + SEC, expect: { replace: [], shutdown: [] } },
    { name: 'new task running', service, tasks: [...old, fresh(1, { ran: S + SEC })], now: S + 2 * SEC, expect: { replace: [2], order: 'start-first', shutdown: ['old1'] } },
  ];
  for (const c of cases) await t.test(c.name, async (t) => { check(t, c); });
});

t.test('completion waits for the monitor window after the last task ran', async (t) => {
  const L = S + 3 * SEC; // the last new task ran at L
  const done = (status = updating(S), update?: UpdateConfig) => updSvc({ status, ...(update ? { update } : {}) });
  const all = [stopped(1), fresh(1, { ran: S + SEC }), stopped(2), fresh(2, { ran: S + 2 * SEC }), stopped(3), fresh(3, { ran: L })];
  const completed = { State: 'completed', Message: 'update completed', StartedAt: iso(S) };
  const cases: Case[] = [
    { name: 'monitor 5s: not at L+4999', service: done(), tasks: all, now: L + 4999, expect: { status: null, replace: [], wakeAt: L + 5000 } },
    { name: 'monitor 5s: completed at L+5000', service: done(), tasks: all, now: L + 5000, expect: { status: { ...completed, CompletedAt: iso(L + 5000) } } },
    { name: 'delay 10s ≥ monitor 5s: not at L+10999', service: done(updating(S), { Parallelism: 1, Delay: 10 * SEC * NS }), tasks: all, now: L + 10999, expect: { status: null, wakeAt: L + 11000 } },
    { name: 'delay 10s ≥ monitor 5s: completed at delay+1s', service: done(updating(S), { Parallelism: 1, Delay: 10 * SEC * NS }), tasks: all, now: L + 11000, expect: { status: completed } },
    { name: 'delay 3s < monitor 20s: not at L+19999', service: done(updating(S), { Parallelism: 1, Delay: 3 * SEC * NS, Monitor: 20 * SEC * NS }), tasks: all, now: L + 19999, expect: { status: null, wakeAt: L + 20000 } },
    { name: 'delay 3s < monitor 20s: completed at L+20000', service: done(updating(S), { Parallelism: 1, Delay: 3 * SEC * NS, Monitor: 20 * SEC * NS }), tasks: all, now: L + 20000, expect: { status: completed } },
    {
      name: 'a rollback completes as rollback_completed',
      service: done(rollingBack(S)), tasks: all, now: L + 5000,
      expect: { status: { State: 'rollback_completed', Message: 'rollback completed', StartedAt: iso(S), CompletedAt: iso(L + 5000) } },
    },
    {
      name: 'not while an old task still has to be shut down (start-first)',
      service: done(updating(S), { Parallelism: 1, Order: 'start-first' }),
      tasks: [...oldTasks(1), fresh(1, { ran: S + SEC })], now: L + 60 * SEC, expect: { status: null, shutdown: ['old1'] },
    },
  ];
  for (const c of cases) await t.test(c.name, async (t) => { check(t, c); });
});

t.test('failures', async (t) => {
  const now = S + 20 * SEC;
  const rest = oldTasks(4).slice(1); // slots 2..4 not yet updated
  const failedEarly = fresh(1, { id: 'bad1', state: 'failed', ts: S + SEC });
  const pausedMsg = 'update paused due to failure or early termination of task bad1';
  const cases: Case[] = [
    {
      name: 'a new task that failed before running, FailureAction pause → paused',
      service: updSvc({ status: updating(S) }), tasks: [stopped(1), failedEarly, ...rest], now,
      expect: { status: { State: 'paused', Message: pausedMsg, StartedAt: iso(S) }, replace: [], shutdown: [], rollback: false },
    },
    {
      name: 'a new task that failed within Monitor of running → paused',
      service: updSvc({ status: updating(S) }), tasks: [stopped(1), fresh(1, { id: 'bad1', state: 'failed', ran: S + SEC, ts: S + 4 * SEC }), ...rest], now,
      expect: { status: { State: 'paused', Message: pausedMsg } },
    },
    {
      name: 'a new task that completed (exit 0) before running counts too',
      service: updSvc({ status: updating(S) }), tasks: [stopped(1), fresh(1, { id: 'bad1', state: 'complete', ts: S + SEC }), ...rest], now,
      expect: { status: { State: 'paused', Message: pausedMsg } },
    },
    {
      name: 'a new task that failed after the Monitor window is not an update failure',
      service: updSvc({ status: updating(S) }), tasks: [stopped(1), fresh(1, { state: 'failed', ran: S + SEC, ts: S + 7 * SEC }), ...rest], now,
      expect: { status: null, replace: [2] },
    },
    {
      name: 'a new task shut down by the system is not a failure',
      service: updSvc({ status: updating(S) }), tasks: [stopped(1), fresh(1, { state: 'shutdown', desired: 'shutdown', ts: S + SEC }), fresh(1, { id: 'new1b', ran: S + 2 * SEC }), ...rest], now,
      expect: { status: null, replace: [2] },
    },
    {
      name: 'a failure of a task older than the update does not count',
      service: updSvc({ status: updating(S) }), tasks: [updTask({ id: 'x', slot: 1, version: 2, state: 'failed', created: S - 10 * SEC, ts: S - 5 * SEC }), ...rest], now,
      expect: { status: null },
    },
    {
      name: 'MaxFailureRatio 0.5, 1 failure of 4 slots → continues',
      service: updSvc({ status: updating(S), update: { Parallelism: 1, MaxFailureRatio: 0.5 } }), tasks: [stopped(1), failedEarly, ...rest], now,
      expect: { status: null, replace: [2] },
    },
    {
      name: 'MaxFailureRatio 0.5, 2 failures of 4 slots → continues (strictly greater)',
      service: updSvc({ status: updating(S), update: { Parallelism: 2, MaxFailureRatio: 0.5 } }),
      tasks: [stopped(1), failedEarly, stopped(2), fresh(2, { id: 'bad2', state: 'failed', ts: S + SEC }), ...oldTasks(4).slice(2)], now,
      expect: { status: null, replace: [3, 4] },
    },
    {
      name: 'MaxFailureRatio 0.5, 3 failures of 4 slots → paused',
      service: updSvc({ status: updating(S), update: { Parallelism: 3, MaxFailureRatio: 0.5 } }),
      tasks: [stopped(1), failedEarly, stopped(2), fresh(2, { id: 'bad2', state: 'failed', ts: S + SEC }), stopped(3), fresh(3, { id: 'bad3', state: 'rejected', ts: S + 2 * SEC }), ...oldTasks(4).slice(3)], now,
      expect: { status: { State: 'paused', Message: /update paused due to failure or early termination of task bad[123]/ }, replace: [] },
    },
    {
      name: 'FailureAction continue never stops the update',
      service: updSvc({ status: updating(S), update: { Parallelism: 1, FailureAction: 'continue' } }), tasks: [stopped(1), failedEarly, ...rest], now,
      expect: { status: null, replace: [2] },
    },
    {
      name: 'FailureAction rollback → rollback_started + rollback flag',
      service: updSvc({ status: updating(S), update: { Parallelism: 1, FailureAction: 'rollback' } }), tasks: [stopped(1), failedEarly, ...rest], now,
      expect: { status: { State: 'rollback_started', Message: 'update rolled back due to failure or early termination of task bad1' }, rollback: true, replace: [], shutdown: [] },
    },
    {
      name: 'a failure during rollback_started → rollback_paused (never a second rollback)',
      service: updSvc({ status: rollingBack(S), update: { FailureAction: 'rollback' }, rollback: { Parallelism: 1, FailureAction: 'pause' } }), tasks: [stopped(1), failedEarly, ...rest], now,
      expect: { status: { State: 'rollback_paused', Message: 'rollback paused due to failure or early termination of task bad1' }, rollback: false, replace: [] },
    },
    {
      name: 'during a rollback the RollbackConfig applies (FailureAction continue)',
      service: updSvc({ status: rollingBack(S), update: { Parallelism: 1 }, rollback: { Parallelism: 1, FailureAction: 'continue' } }), tasks: [stopped(1), failedEarly, ...rest], now,
      expect: { status: null, replace: [2] },
    },
  ];
  for (const c of cases) await t.test(c.name, async (t) => { check(t, c); });
});

t.test('a paused update hands out nothing (it only retires old tasks whose replacement runs)', async (t) => {
  for (const State of ['paused', 'rollback_paused'] as const) {
    const step = planUpdateStep({
      service: updSvc({ status: { State, StartedAt: iso(S), Message: 'x' } }),
      tasks: [...oldTasks(3), fresh(1, { ran: S + SEC })], now: S + 60 * SEC,
    });
    t.same(step, { replace: [], shutdown: ['old1'] }, State);
  }
});

t.test('start-first: the worker of a slot whose new task runs still retires the old task when the update pauses', async (t) => {
  const cfg = { Parallelism: 2, Order: 'start-first' as const };
  const tasks = [...oldTasks(3), fresh(1, { ran: S + SEC }), fresh(2, { id: 'bad2', state: 'failed', ran: S + SEC, ts: S + 2 * SEC })];
  const failing = planUpdateStep({ service: updSvc({ status: updating(S), update: cfg }), tasks, now: S + 3 * SEC });
  t.equal(failing.status?.State, 'paused');
  t.same(failing.shutdown, ['old1'], 'the step that pauses retires old1');
  const paused = planUpdateStep({ service: updSvc({ status: { State: 'paused', StartedAt: iso(S) }, update: cfg }), tasks, now: S + 4 * SEC });
  t.same(paused.shutdown, ['old1'], 'and so does a step while paused');
  t.same(paused.replace, [], 'no new hand-out while paused');
});

t.test('during rollback_started the RollbackConfig sets the parallelism', async (t) => {
  const step = planUpdateStep({
    service: updSvc({ status: rollingBack(S), update: { Parallelism: 1 }, rollback: { Parallelism: 0 } }),
    tasks: oldTasks(4), now: S,
  });
  t.same(step.replace.map((r) => r.slot), [1, 2, 3, 4]);
  t.equal(step.status, undefined, 'the status stays rollback_started');
});

t.test('a rollback leaves alone the slots that already run the restored spec', async (t) => {
  // The update to whoami:2 (version 2) was paused after slot 1; rolling back restores whoami:1 as version 3.
  const service = updSvc({ version: 3, image: 'whoami:1', status: rollingBack(S), rollback: { Parallelism: 0 } });
  const tasks = [stopped(1), fresh(1, { ran: S - 30 * SEC, created: S - 40 * SEC }), ...oldTasks(3).slice(1)];
  const step = planUpdateStep({ service, tasks, now: S });
  t.same(step.replace.map((r) => r.slot), [1], 'only the slot running whoami:2 is replaced');
});

t.test('isUpdateFailure', async (t) => {
  const monitor = 5 * SEC;
  const rows: Array<[string, Task, boolean]> = [
    ['running', updTask({ ran: S }), false],
    ['failed before running', updTask({ state: 'failed', ts: S }), true],
    ['rejected', updTask({ state: 'rejected', ts: S }), true],
    ['complete before running', updTask({ state: 'complete', ts: S }), true],
    ['failed within monitor', updTask({ state: 'failed', ran: S, ts: S + monitor }), true],
    ['failed after monitor', updTask({ state: 'failed', ran: S, ts: S + monitor + 1 }), false],
    ['shut down', updTask({ state: 'shutdown', ts: S }), false],
    ['removed', updTask({ state: 'remove', ts: S }), false],
    ['pending', updTask({ state: 'pending', ts: S }), false],
  ];
  for (const [name, task, want] of rows) t.equal(isUpdateFailure(task, monitor), want, name);
});

// ---- property: hand-outs never push busy workers over Parallelism ----

const LIVE_STATES: TaskState[] = ['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running'];

interface SlotGen {
  oldDesired: TaskState; oldState: TaskState;
  next?: { state: TaskState; desired: TaskState; createdOffset: number; ranOffset: number };
}

const slotArb: fc.Arbitrary<SlotGen> = fc.record({
  oldDesired: fc.constantFrom<TaskState>('running', 'shutdown'),
  oldState: fc.constantFrom<TaskState>('running', 'shutdown', 'failed'),
  next: fc.option(fc.record({
    state: fc.constantFrom<TaskState>(...TASK_STATES),
    desired: fc.constantFrom<TaskState>('ready', 'running', 'shutdown'),
    createdOffset: fc.integer({ min: -5 * SEC, max: 20 * SEC }),
    ranOffset: fc.integer({ min: 0, max: 20 * SEC }),
  }), { nil: undefined }),
}, { requiredKeys: ['oldDesired', 'oldState'] });

/** Slots whose newest live task of the current version has not run yet, or ran less than Delay ago. */
function busyWorkers(tasks: Task[], version: number, startedAt: number, delayMs: number, now: number): number {
  let busy = 0;
  for (const slot of new Set(tasks.map((x) => x.Slot))) {
    const mine = tasks.filter((x) => x.Slot === slot && x.SpecVersion?.Index === version && stateRank(x.DesiredState) <= stateRank('running'))
      .sort((a, b) => (a.CreatedAt < b.CreatedAt ? 1 : a.CreatedAt > b.CreatedAt ? -1 : a.ID < b.ID ? 1 : -1));
    const newest = mine[0];
    if (!newest) continue;
    if (newest.Status.State === 'running') {
      const ran = newest.RunningAt ? Date.parse(newest.RunningAt) : now;
      if (Date.parse(newest.CreatedAt) >= startedAt && now < ran + delayMs) busy++;
    } else if (!isTerminal(newest.Status.State)) busy++;
  }
  return busy;
}

t.test('property: replacements never make busy workers exceed Parallelism', async (t) => {
  fc.assert(fc.property(
    fc.array(slotArb, { minLength: 1, maxLength: 8 }),
    fc.integer({ min: 1, max: 4 }),
    fc.constantFrom(0, 3 * SEC),
    fc.integer({ min: 0, max: 30 * SEC }),
    fc.constantFrom<'pause' | 'continue'>('pause', 'continue'),
    (slots, parallelism, delayMs, elapsed, failureAction) => {
      const tasks: Task[] = [];
      slots.forEach((s, i) => {
        const slot = i + 1;
        tasks.push(updTask({ id: `o${slot}`, slot, desired: s.oldDesired, state: s.oldState, ran: S - 60 * SEC, ts: S - SEC }));
        if (s.next) {
          const created = S + s.next.createdOffset;
          const ran = s.next.state === 'running' || isTerminal(s.next.state) ? created + s.next.ranOffset : undefined;
          tasks.push(updTask({
            id: `n${slot}`, slot, version: 2, created, state: s.next.state, desired: s.next.desired,
            ...(ran !== undefined ? { ran } : {}), ts: (ran ?? created) + 10,
          }));
        }
      });
      const now = S + elapsed;
      const service = updSvc({ status: updating(S), update: { Parallelism: parallelism, Delay: delayMs * NS, FailureAction: failureAction } });
      const step = planUpdateStep({ service, tasks, now });
      const busy = busyWorkers(tasks, 2, S, delayMs, now);
      const slotsReplaced = new Set(step.replace.map((r) => r.slot));
      if (slotsReplaced.size !== step.replace.length) return false; // a slot at most once
      if (step.replace.length > 0 && busy + step.replace.length > parallelism) return false;
      // only slots without a live task of the new version are replaced
      return step.replace.every((r) => !tasks.some((x) => x.Slot === r.slot && x.SpecVersion?.Index === 2 && stateRank(x.DesiredState) <= stateRank('running')));
    },
  ), { numRuns: 500 });
  t.pass('held');
});

t.test('property: LIVE_STATES are all at most running (fixture sanity)', async (t) => {
  t.ok(LIVE_STATES.every((s) => stateRank(s) <= stateRank('running')));
});
