import t from 'tap';
import fc from 'fast-check';
import { FakeClock } from '../../lib/clock.js';
import { planStarts } from '../../lib/manager/plan-starts.js';
import type { TaskState } from '../../lib/model/task-state.js';
import type { Task } from '../../lib/model/types.js';
import { SEC, T0, updTask } from '../fixtures/update-fixtures.js';

const WAIT = { 'swarmlet.waitForOld': 'true' };

/** A replacement waiting in desired `ready`. */
const ready = (id: string, o: Parameters<typeof updTask>[0] = {}) => updTask({ id, desired: 'ready', state: 'assigned', version: 2, created: T0, ...o });
/** The old task of the slot, in `state`, told to stop. */
const old = (state: TaskState, o: Parameters<typeof updTask>[0] = {}) =>
  updTask({ id: `old-${state}`, desired: 'shutdown', state, ts: T0, ...o });

t.test('a ready task starts once its StartAfter has passed', async (t) => {
  const clock = new FakeClock(T0);
  const restart = ready('r1', { startAfter: T0 + 5 * SEC });
  const history = updTask({ id: 'dead', state: 'failed', desired: 'shutdown', ts: T0 });
  t.same(planStarts([history, restart], clock.now()), { start: [], wakeAt: T0 + 5 * SEC });
  clock.advance(4999);
  t.same(planStarts([history, restart], clock.now()), { start: [], wakeAt: T0 + 5 * SEC }, 'not at 4999 ms');
  clock.advance(1);
  t.same(planStarts([history, restart], clock.now()), { start: ['r1'] }, 'at 5000 ms');
  clock.advance(60 * SEC);
  t.same(planStarts([history, restart], clock.now()), { start: ['r1'] }, 'and later');
});

t.test('a ready task without StartAfter starts at once', async (t) => {
  t.same(planStarts([ready('r1')], T0), { start: ['r1'] });
});

t.test('only desired ready is considered', async (t) => {
  const tasks = (['running', 'shutdown', 'remove', 'complete'] as TaskState[]).map((d, i) => updTask({ id: `x${i}`, desired: d, startAfter: T0 - SEC }));
  t.same(planStarts(tasks, T0), { start: [] });
});

t.test('a restart delay applies even though the old task is gone (no waitForOld label)', async (t) => {
  const restart = ready('r1', { startAfter: T0 + 5 * SEC });
  t.same(planStarts([old('failed'), restart], T0), { start: [], wakeAt: T0 + 5 * SEC });
});

t.test('stop-first: starts as soon as every other task of its slot is terminal', async (t) => {
  const after = T0 + 60 * SEC;
  const rows: Array<[string, Task[], boolean]> = [
    ['old still running', [old('running')], false],
    ['old preparing', [old('preparing')], false],
    ['old shut down', [old('shutdown')], true],
    ['old failed', [old('failed')], true],
    ['old never left pending', [old('pending', { node: '' })], true],
    ['old never placed', [old('assigned', { node: '' })], true],
    ['history plus a stopped old task', [updTask({ id: 'h', state: 'failed', desired: 'shutdown' }), old('shutdown')], true],
    ['history plus a running old task', [updTask({ id: 'h', state: 'failed', desired: 'shutdown' }), old('running')], false],
    ['a running task of another slot does not block', [old('running', { slot: 2 }), old('shutdown', { id: 'o1' })], true],
    ['a running task of another service in the same slot does not block', [old('running', { serviceId: 'other' })], true],
  ];
  for (const [name, others, starts] of rows) {
    const r = ready('r1', { startAfter: after, labels: WAIT });
    const plan = planStarts([...others, r], T0);
    t.same(plan, starts ? { start: ['r1'] } : { start: [], wakeAt: after }, name);
  }
});

t.test('stop-first on a global service: the old task on the same node', async (t) => {
  const r = ready('g', { slot: 0, node: 'n1', startAfter: T0 + 60 * SEC, labels: WAIT });
  t.same(planStarts([old('running', { slot: 0, node: 'n2' }), r], T0).start, ['g'], 'another node does not block');
  t.same(planStarts([old('running', { slot: 0, node: 'n1' }), r], T0).start, [], 'the same node does');
});

t.test('stop-first: the one-minute timeout starts it anyway', async (t) => {
  const r = ready('r1', { startAfter: T0 + 60 * SEC, labels: WAIT });
  t.same(planStarts([old('running'), r], T0 + 60 * SEC), { start: ['r1'] });
});

t.test('wakeAt is the earliest pending StartAfter', async (t) => {
  const tasks = [
    ready('a', { slot: 1, startAfter: T0 + 9 * SEC }),
    ready('b', { slot: 2, startAfter: T0 + 3 * SEC }),
    ready('c', { slot: 3, startAfter: T0 + 60 * SEC, labels: WAIT }),
    old('running', { slot: 3 }),
    ready('d', { slot: 4, startAfter: T0 - SEC }),
  ];
  t.same(planStarts(tasks, T0), { start: ['d'], wakeAt: T0 + 3 * SEC });
});

t.test('property: a started task is due or waits for old tasks that are gone; wakeAt is in the future', async (t) => {
  const states: TaskState[] = ['pending', 'assigned', 'running', 'shutdown', 'failed'];
  fc.assert(fc.property(
    fc.array(fc.record({
      slot: fc.integer({ min: 1, max: 3 }),
      desired: fc.constantFrom<TaskState>('ready', 'running', 'shutdown'),
      state: fc.constantFrom(...states),
      startAfter: fc.option(fc.integer({ min: -10, max: 10 }), { nil: undefined }),
      wait: fc.boolean(),
    }), { maxLength: 10 }),
    (rows) => {
      const tasks = rows.map((r, i) => updTask({
        id: `t${i}`, slot: r.slot, desired: r.desired, state: r.state,
        ...(r.startAfter !== undefined ? { startAfter: T0 + r.startAfter * SEC } : {}),
        ...(r.wait ? { labels: WAIT } : {}),
      }));
      const plan = planStarts(tasks, T0);
      for (const id of plan.start) {
        const x = tasks.find((y) => y.ID === id)!;
        if (x.DesiredState !== 'ready') return false;
        const due = x.StartAfter === undefined || x.StartAfter <= T0;
        const others = tasks.filter((y) => y.Slot === x.Slot && y.ID !== x.ID);
        const gone = others.every((y) => ['shutdown', 'failed', 'pending'].includes(y.Status.State));
        if (!due && !(x.Labels?.['swarmlet.waitForOld'] === 'true' && gone)) return false;
      }
      const waiting = tasks.filter((x) => x.DesiredState === 'ready' && !plan.start.includes(x.ID) && x.StartAfter !== undefined);
      const earliest = waiting.length > 0 ? Math.min(...waiting.map((x) => x.StartAfter!)) : undefined;
      return plan.wakeAt === earliest && (earliest === undefined || earliest > T0);
    },
  ));
  t.pass('held');
});
