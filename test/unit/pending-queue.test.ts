/**
 * The scheduler's PendingQueue: ready vs parked tasks, which wake-ups unpark which tasks, and a
 * property over random operation sequences checked against a plain model.
 */
import t from 'tap';
import fc from 'fast-check';
import type { TaskState } from '../../lib/model/task-state.js';
import type { Task } from '../../lib/model/types.js';
import { PendingQueue, isSchedulable } from '../../lib/scheduler/pending-queue.js';
import { tsk } from '../fixtures/store-objects.js';

const waiting = (id: string, serviceId = 's1', over: Partial<Task> = {}): Task =>
  ({ ...tsk(id, serviceId, ''), Status: { Timestamp: 'x', State: 'pending' }, ...over });
const assigned = (id: string, serviceId = 's1'): Task => ({ ...tsk(id, serviceId, 'n1'), Status: { Timestamp: 'x', State: 'assigned' } });

/** Every ready task, in queue order. */
const readyOf = (q: PendingQueue) => q.peek(Number.MAX_SAFE_INTEGER);

t.test('isSchedulable: no node, wanted running (or ready), not past pending', async (t) => {
  const rows: Array<[string, Partial<Task>, TaskState, boolean]> = [
    ['new, desired running', {}, 'new', true],
    ['pending, desired running', {}, 'pending', true],
    ['pending, desired ready (restart delay)', { DesiredState: 'ready' }, 'pending', true],
    ['pending, desired shutdown', { DesiredState: 'shutdown' }, 'pending', false],
    ['pending, desired remove', { DesiredState: 'remove' }, 'pending', false],
    ['assigned with a node', { NodeID: 'n1' }, 'assigned', false],
    ['pending but has a node', { NodeID: 'n1' }, 'pending', false],
    ['no node but already assigned (inconsistent)', {}, 'assigned', false],
    ['no node, rejected', {}, 'rejected', false],
    ['no node, shutdown', {}, 'shutdown', false],
  ];
  for (const [name, over, state, want] of rows) {
    t.equal(isSchedulable(waiting('t', 's', { ...over, Status: { Timestamp: 'x', State: state } })), want, name);
  }
});

t.test('observe queues schedulable tasks and drops the rest', async (t) => {
  const q = new PendingQueue();
  q.observe('a', waiting('a'));
  q.observe('b', waiting('b'));
  q.observe('c', assigned('c'));
  q.observe('d', undefined);
  t.same(readyOf(q), ['a', 'b']);
  q.observe('a', waiting('a')); // seen again: still once, keeps its place
  t.same(readyOf(q), ['a', 'b'], 'no duplicate, oldest first');
  q.observe('a', assigned('a'));
  t.same(readyOf(q), ['b'], 'assigned elsewhere (another writer): dropped');
  q.observe('b', undefined);
  t.same(readyOf(q), [], 'deleted: dropped');
  t.equal(q.readyCount, 0);
  t.equal(q.parkedCount, 0);
});

t.test('peek returns at most limit, oldest first, without removing', async (t) => {
  const q = new PendingQueue();
  for (const id of ['a', 'b', 'c', 'd']) q.observe(id, waiting(id));
  t.same(q.peek(2), ['a', 'b']);
  t.same(q.peek(2), ['a', 'b'], 'peeking again gives the same');
  t.same(q.peek(0), []);
  t.same(q.peek(10), ['a', 'b', 'c', 'd']);
  q.placed('a');
  t.same(q.peek(2), ['b', 'c'], 'placed: gone');
});

t.test('a parked task stays out of peek even when observed again (its Err written)', async (t) => {
  const q = new PendingQueue();
  q.observe('a', waiting('a'));
  q.park('a', 's1', false);
  t.ok(q.isParked('a'));
  t.same(readyOf(q), []);
  q.observe('a', waiting('a', 's1', { Status: { Timestamp: 'y', State: 'pending', Err: 'no suitable node' } }));
  t.ok(q.isParked('a'), 'still parked');
  t.same(readyOf(q), [], 'not ready');
  t.equal(q.parkedCount, 1);
});

t.test('a parked task that stops being schedulable leaves the queue', async (t) => {
  const q = new PendingQueue();
  q.observe('a', waiting('a'));
  q.park('a', 's1', true);
  q.observe('a', waiting('a', 's1', { DesiredState: 'shutdown' }));
  t.notOk(q.isParked('a'));
  t.equal(q.parkedCount, 0);
  q.wakeAll();
  t.same(readyOf(q), [], 'a wake does not bring it back');
  q.observe('b', waiting('b'));
  q.park('b', 's1', true);
  q.observe('b', undefined);
  q.wakeService('s1');
  q.wakeResourceBound();
  t.same(readyOf(q), [], 'deleted while parked: gone for good');
});

t.test('wake-ups: which parked tasks each one readies', async (t) => {
  const setup = () => {
    const q = new PendingQueue();
    const parked: Array<[string, string, boolean]> = [['a1', 'sa', false], ['a2', 'sa', true], ['b1', 'sb', false], ['b2', 'sb', true]];
    for (const [id, s, rb] of parked) { q.observe(id, waiting(id, s)); q.park(id, s, rb); }
    q.observe('r', waiting('r', 'sc'));
    return q;
  };
  const rows: Array<[string, (q: PendingQueue) => void, string[], string[]]> = [
    ['nothing', () => {}, ['r'], ['a1', 'a2', 'b1', 'b2']],
    ['wakeAll', (q) => q.wakeAll(), ['a1', 'a2', 'b1', 'b2', 'r'], []],
    ['wakeService(sa)', (q) => q.wakeService('sa'), ['a1', 'a2', 'r'], ['b1', 'b2']],
    ['wakeService(unknown)', (q) => q.wakeService('zz'), ['r'], ['a1', 'a2', 'b1', 'b2']],
    ['wakeService(sc): a service with only ready tasks', (q) => q.wakeService('sc'), ['r'], ['a1', 'a2', 'b1', 'b2']],
    ['wakeResourceBound', (q) => q.wakeResourceBound(), ['a2', 'b2', 'r'], ['a1', 'b1']],
    ['wakeService(sa) then wakeResourceBound', (q) => { q.wakeService('sa'); q.wakeResourceBound(); }, ['a1', 'a2', 'b2', 'r'], ['b1']],
    ['clear', (q) => q.clear(), [], []],
  ];
  for (const [name, act, ready, parked] of rows) {
    const q = setup();
    act(q);
    t.same(readyOf(q).sort(), ready, `${name}: ready`);
    t.same(['a1', 'a2', 'b1', 'b2', 'r'].filter((id) => q.isParked(id)), parked, `${name}: parked`);
    t.equal(q.readyCount, ready.length, `${name}: readyCount`);
    t.equal(q.parkedCount, parked.length, `${name}: parkedCount`);
  }
});

t.test('re-parking under another service moves it', async (t) => {
  const q = new PendingQueue();
  q.observe('a', waiting('a'));
  q.park('a', 's1', false);
  q.park('a', 's2', false);
  t.equal(q.parkedCount, 1);
  q.wakeService('s1');
  t.ok(q.isParked('a'), 'no longer filed under s1');
  q.wakeService('s2');
  t.notOk(q.isParked('a'));
  t.same(readyOf(q), ['a']);
});

t.test('placed: neither ready nor parked', async (t) => {
  const q = new PendingQueue();
  q.observe('a', waiting('a'));
  q.observe('b', waiting('b'));
  q.park('b', 's1', true);
  q.placed('a');
  q.placed('b');
  t.same(readyOf(q), []);
  t.equal(q.parkedCount, 0);
  q.wakeAll();
  t.same(readyOf(q), [], 'placed tasks do not come back on a wake');
});

// ---- property: random operation sequences against a model ----------------------------------

type Op =
  | { op: 'observe'; id: string; variant: 'schedulable' | 'schedulable-err' | 'assigned' | 'stopping' | 'deleted' }
  | { op: 'park'; id: string; service: string; resourceBound: boolean }
  | { op: 'placed'; id: string }
  | { op: 'wakeAll' }
  | { op: 'wakeService'; service: string }
  | { op: 'wakeResourceBound' }
  | { op: 'clear' };

const IDS = ['t1', 't2', 't3', 't4', 't5'];
const SERVICES = ['s1', 's2', 's3'];
const arbId = fc.constantFrom(...IDS);
const arbService = fc.constantFrom(...SERVICES);
const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('observe' as const), id: arbId, variant: fc.constantFrom('schedulable' as const, 'schedulable-err' as const, 'assigned' as const, 'stopping' as const, 'deleted' as const) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('park' as const), id: arbId, service: arbService, resourceBound: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('placed' as const), id: arbId }) },
  { weight: 1, arbitrary: fc.constant({ op: 'wakeAll' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('wakeService' as const), service: arbService }) },
  { weight: 2, arbitrary: fc.constant({ op: 'wakeResourceBound' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
);

function taskFor(id: string, variant: Extract<Op, { op: 'observe' }>['variant'], service: string): Task | undefined {
  switch (variant) {
    case 'schedulable': return waiting(id, service);
    case 'schedulable-err': return waiting(id, service, { Status: { Timestamp: 'y', State: 'pending', Err: 'no suitable node' } });
    case 'assigned': return assigned(id, service);
    case 'stopping': return waiting(id, service, { DesiredState: 'shutdown' });
    case 'deleted': return undefined;
  }
}

t.test('property: ready and parked stay disjoint, only schedulable tasks are queued, wakes follow the model', async (t) => {
  fc.assert(fc.property(fc.array(arbOp, { maxLength: 60 }), (ops) => {
    const q = new PendingQueue();
    // The model: the latest version seen of each task, and what the queue should hold.
    const latest = new Map<string, Task | undefined>();
    const ready = new Set<string>();
    const parked = new Map<string, { service: string; rb: boolean }>();
    for (const o of ops) {
      switch (o.op) {
        case 'observe': {
          const task = taskFor(o.id, o.variant, 's1');
          latest.set(o.id, task);
          q.observe(o.id, task);
          if (task && isSchedulable(task)) { if (!parked.has(o.id)) ready.add(o.id); } else { ready.delete(o.id); parked.delete(o.id); }
          break;
        }
        case 'park': {
          // The manager parks only tasks it just read as schedulable (the scheduler's unplaced list).
          const task = latest.get(o.id);
          if (!task || !isSchedulable(task)) continue;
          q.park(o.id, o.service, o.resourceBound);
          ready.delete(o.id);
          parked.set(o.id, { service: o.service, rb: o.resourceBound });
          break;
        }
        case 'placed':
          q.placed(o.id);
          ready.delete(o.id);
          parked.delete(o.id);
          // The assignment commit follows: the task now has a node.
          latest.set(o.id, assigned(o.id));
          q.observe(o.id, latest.get(o.id));
          break;
        case 'wakeAll':
          q.wakeAll();
          for (const id of parked.keys()) ready.add(id);
          parked.clear();
          if (q.parkedCount !== 0) throw new Error('wakeAll left tasks parked');
          break;
        case 'wakeService':
          q.wakeService(o.service);
          for (const [id, p] of [...parked]) if (p.service === o.service) { parked.delete(id); ready.add(id); }
          break;
        case 'wakeResourceBound':
          q.wakeResourceBound();
          for (const [id, p] of [...parked]) if (p.rb) { parked.delete(id); ready.add(id); }
          break;
        case 'clear':
          q.clear();
          ready.clear();
          parked.clear();
          break;
      }
      const got = readyOf(q);
      if (new Set(got).size !== got.length) throw new Error(`duplicate in peek: ${got}`);
      for (const id of got) if (q.isParked(id)) throw new Error(`${id} both ready and parked`);
      for (const id of IDS) {
        const queued = got.includes(id) || q.isParked(id);
        const task = latest.get(id);
        if (queued && !(task && isSchedulable(task))) throw new Error(`${id} queued but not schedulable`);
      }
      if (q.readyCount !== got.length) throw new Error('readyCount disagrees with peek');
      if (q.parkedCount !== IDS.filter((id) => q.isParked(id)).length) throw new Error('parkedCount disagrees with isParked');
      const want = [...ready].sort().join(',');
      if ([...got].sort().join(',') !== want) throw new Error(`ready ${[...got].sort()} ≠ model ${want}`);
      const wantParked = [...parked.keys()].sort().join(',');
      if (IDS.filter((id) => q.isParked(id)).join(',') !== wantParked) throw new Error(`parked ≠ model ${wantParked}`);
    }
  }), { numRuns: 500 });
  t.pass('500 random sequences');
});
