import t from 'tap';
import { initialTracker, pickTasks, trackGlobal, trackReplicated, truncError } from '../../cmd/progress-slots.js';
import { initialWaitState, stepWait, type WaitState } from '../../cmd/progress-wait.js';
import { renderPlain } from '../../cmd/format/progress-render.js';
import type { Node, Service, Task } from '../../lib/model/types.js';
import { NOW, node, service, task } from './cli-fixtures.js';

const NODES = [node('node1', 'node-1'), node('node2', 'node-2')];
const ACTIVE = new Set(['node1', 'node2']);
const opts = { ref: 'web', expectRollback: false };

function running(n: number, over: Partial<Task> = {}): Task[] {
  return Array.from({ length: n }, (_, i) => task({ ID: `t${i + 1}`, Slot: i + 1, NodeID: i % 2 ? 'node2' : 'node1', ...over }));
}

/** Runs polls at the given times; returns the final state, the outcomes, the raw updates and the plain (non-TTY) output. */
function run(polls: Array<{ at: number; service: Service; tasks: Task[]; nodes?: Node[] }>, o = opts) {
  let state: WaitState = initialWaitState();
  let printed: Record<string, string> = {};
  const raw: string[] = [];
  const log: string[] = [];
  const outcomes = [];
  for (const p of polls) {
    const step = stepWait(state, { service: p.service, tasks: p.tasks, nodes: p.nodes ?? NODES, now: NOW + p.at }, o);
    state = step.state;
    for (const item of step.emitted) raw.push(`${item.id}: ${item.action.trim()}`);
    const plain = renderPlain(step.emitted, printed);
    printed = plain.printed;
    log.push(...plain.lines);
    outcomes.push(step.outcome);
  }
  return { state, raw, log, outcomes };
}

t.test('replicated: converges, waits the monitor window, then "verify: Service web converged"', async (t) => {
  const s = service({ replicas: 2 });
  const { log, raw, outcomes } = run([
    { at: 0, service: s, tasks: [task({ ID: 'a', Slot: 1, state: 'preparing' })] },
    { at: 200, service: s, tasks: running(2) },
    { at: 2000, service: s, tasks: running(2) },
    { at: 5199, service: s, tasks: running(2) },
    { at: 5200, service: s, tasks: running(2) },
  ]);
  t.same(outcomes.map((o) => o.kind), ['waiting', 'waiting', 'waiting', 'waiting', 'converged']);
  t.same(log, [
    'overall progress: 0 out of 2 tasks',
    '1/2: preparing',
    '1/2: running',
    '2/2: running',
    'overall progress: 2 out of 2 tasks',
    'verify: Waiting 5 seconds to verify that tasks are stable...',
    'verify: Service web converged',
  ]);
  t.same(raw.filter((l) => l.startsWith('verify')), [
    'verify: Waiting 5 seconds to verify that tasks are stable...',
    'verify: Waiting 4 seconds to verify that tasks are stable...',
    'verify: Waiting 1 seconds to verify that tasks are stable...',
    'verify: Service web converged',
  ], 'on a TTY the countdown is redrawn');
});

t.test('the monitor window comes from UpdateConfig.Monitor', async (t) => {
  const s = service({ replicas: 1, monitorNs: 1e9 });
  const { outcomes } = run([
    { at: 0, service: s, tasks: running(1) },
    { at: 999, service: s, tasks: running(1) },
    { at: 1000, service: s, tasks: running(1) },
  ]);
  t.same(outcomes.map((o) => o.kind), ['waiting', 'waiting', 'converged']);
});

t.test('losing convergence prints "Detected task failure" and restarts the window', async (t) => {
  const s = service({ replicas: 1, monitorNs: 1e9 });
  const { log, outcomes } = run([
    { at: 0, service: s, tasks: running(1) },
    { at: 500, service: s, tasks: [task({ Slot: 1, state: 'failed', desired: 'shutdown', err: 'task: non-zero exit (1)' })] },
    { at: 700, service: s, tasks: running(1) },
    { at: 1600, service: s, tasks: running(1) },
    { at: 1700, service: s, tasks: running(1) },
  ]);
  t.ok(log.includes('verify: Detected task failure'));
  t.ok(log.includes('1/1: task: non-zero exit (1)'));
  t.same(outcomes.map((o) => o.kind), ['waiting', 'waiting', 'waiting', 'waiting', 'converged']);
});

t.test('paused and rollback_paused end with the UpdateStatus message', async (t) => {
  const paused = service({ UpdateStatus: { State: 'paused', Message: 'update paused due to failure or early termination of task abc' } });
  t.same(run([{ at: 0, service: paused, tasks: [] }]).outcomes[0], {
    kind: 'failed', message: 'service update paused: update paused due to failure or early termination of task abc',
  });
  const rp = service({ UpdateStatus: { State: 'rollback_paused', Message: 'rollback paused due to x' } });
  t.same(run([{ at: 0, service: rp, tasks: [] }]).outcomes[0], { kind: 'failed', message: 'service rollback paused: rollback paused due to x' });
});

t.test('"completed" before we saw convergence exits at once (docker behaviour)', async (t) => {
  const s = service({ UpdateStatus: { State: 'completed', Message: 'update completed' } });
  t.same(run([{ at: 0, service: s, tasks: [] }]).outcomes[0], { kind: 'completed' });
});

t.test('automatic rollback of this update: rollback lines, then exit 1 with the reason', async (t) => {
  const msg = 'update rolled back due to failure or early termination of task t9';
  const started = service({ replicas: 1, monitorNs: 1e9, UpdateStatus: { State: 'rollback_started', Message: msg } });
  const completed = service({ replicas: 1, monitorNs: 1e9, UpdateStatus: { State: 'rollback_completed', Message: 'rollback completed' } });
  const { log, outcomes } = run([
    { at: 0, service: started, tasks: [] },
    { at: 200, service: completed, tasks: running(1) },
    { at: 1200, service: completed, tasks: running(1) },
  ]);
  t.same(log, [
    `rollback: ${msg}`,
    'overall progress: rolling back update: 0 out of 1 tasks',
    '1/1: running',
    'overall progress: rolling back update: 1 out of 1 tasks',
    'verify: Waiting 1 seconds to verify that tasks are stable...',
    'verify: Service web converged',
    'rollback: rollback completed',
  ]);
  t.same(outcomes.at(-1), { kind: 'failed', message: `service update failed: ${msg}` });
});

t.test('a rollback the user asked for ends with success and "rollback: rollback completed"', async (t) => {
  const started = service({ replicas: 1, monitorNs: 1e9, UpdateStatus: { State: 'rollback_started', Message: 'manually requested rollback' } });
  const completed = service({ replicas: 1, monitorNs: 1e9, UpdateStatus: { State: 'rollback_completed', Message: 'rollback completed' } });
  const o = { ref: 'web', expectRollback: true };
  const { log, outcomes } = run([
    { at: 0, service: started, tasks: [] },
    { at: 200, service: completed, tasks: running(1) },
    { at: 1200, service: completed, tasks: running(1) },
  ], o);
  t.equal(log[0], 'rollback: manually requested rollback');
  t.equal(log.at(-1), 'rollback: rollback completed');
  t.same(outcomes.at(-1), { kind: 'converged' });
});

t.test('rollback_completed seen without rollback_started while waiting for an update still fails', async (t) => {
  const s = service({ replicas: 1, monitorNs: 1e9, UpdateStatus: { State: 'rollback_completed', Message: 'rollback completed' } });
  const { outcomes } = run([{ at: 0, service: s, tasks: running(1) }, { at: 1000, service: s, tasks: running(1) }]);
  t.same(outcomes.at(-1), { kind: 'failed', message: 'service update failed and was rolled back' });
});

t.test('tasks on down nodes and unknown states are ignored; lowest desired state wins in a slot', async (t) => {
  const s = service({ replicas: 2 });
  const nodes = [node('node1', 'node-1'), node('node2', 'node-2', { Status: { State: 'down' } })];
  const tasks = [
    task({ ID: 'a', Slot: 1, NodeID: 'node1' }),
    task({ ID: 'b', Slot: 2, NodeID: 'node2' }),
    task({ ID: 'c', Slot: 2, NodeID: 'node1', state: 'orphaned' }),
  ];
  const step = stepWait(initialWaitState(), { service: s, tasks, nodes, now: NOW }, opts);
  t.equal(step.state.converged, false);
  t.equal(step.state.items.find((i) => i.id === 'overall progress')?.action, '1 out of 2 tasks');
  const picked = pickTasks([
    task({ ID: 'old', Slot: 1, desired: 'shutdown', state: 'running' }),
    task({ ID: 'new', Slot: 1, desired: 'running', state: 'starting' }),
    task({ ID: 'newer', Slot: 1, desired: 'running', state: 'running' }),
  ], (x) => x.Slot, () => false);
  t.equal(picked.get(1)?.ID, 'new', 'same desired: the lower observed state wins (start-first)');
});

t.test('replicated: no bars above 20 replicas; slots map to 1..N in slot order', async (t) => {
  const many = trackReplicated(initialTracker(), service({ replicas: 21 }), running(21), ACTIVE, false);
  t.same(many.items.map((i) => i.id), ['overall progress', 'overall progress']);
  t.equal(many.converged, true);
  const few = trackReplicated(initialTracker(), service({ replicas: 2 }), [task({ Slot: 7 }), task({ Slot: 3, state: 'pending' })], ACTIVE, false);
  t.same(few.state.slotMap, [[3, 1], [7, 2]]);
  t.same(few.items.filter((i) => i.id === '1/2').at(-1), { id: '1/2', action: 'pending  ', bar: { current: 3, total: 9 } });
  const zero = trackReplicated(initialTracker(), service({ replicas: 0 }), [], ACTIVE, false);
  t.equal(zero.converged, true, 'zero replicas converge at once');
});

t.test('global: waits for tasks, then one bar per node; drained/down nodes are not waited for', async (t) => {
  const empty = trackGlobal(initialTracker(), [], ACTIVE, false);
  t.same(empty.items, [{ id: 'overall progress', action: 'waiting for new tasks' }]);
  t.equal(empty.converged, false);
  const tasks = [
    task({ ID: 'g1', Slot: 0, NodeID: 'node1aaaaaaaaaaaaaaaaaaaa' }),
    task({ ID: 'g2', Slot: 0, NodeID: 'node2aaaaaaaaaaaaaaaaaaaa', state: 'starting' }),
    task({ ID: 'g3', Slot: 0, NodeID: 'node3aaaaaaaaaaaaaaaaaaaa', desired: 'shutdown' }),
  ];
  const active = new Set(['node1aaaaaaaaaaaaaaaaaaaa', 'node2aaaaaaaaaaaaaaaaaaaa', 'node3aaaaaaaaaaaaaaaaaaaa']);
  const r = trackGlobal(empty.state, tasks, active, false);
  t.same(r.items.map((i) => `${i.id}: ${i.action.trim()}`), [
    'overall progress: 0 out of 2 tasks', 'node1aaaaaaa: running', 'node2aaaaaaa: starting', 'overall progress: 1 out of 2 tasks',
  ]);
  const done = trackGlobal(r.state, tasks.map((x) => ({ ...x, Status: { ...x.Status, State: 'running' as const } })), active, false);
  t.equal(done.converged, true);
});

t.test('unknown service mode is an error', async (t) => {
  const s = service();
  s.Spec.Mode = {};
  t.same(run([{ at: 0, service: s, tasks: [] }]).outcomes[0], { kind: 'failed', message: 'unrecognized service mode' });
});

t.test('truncError flattens newlines and cuts at 75', async (t) => {
  t.equal(truncError('a\nb'), 'a b');
  t.equal(truncError('x'.repeat(80)), `${'x'.repeat(74)}…`);
});
