import t from 'tap';
import { initialWaitState, stepWait, type WaitState } from '../../cmd/progress-wait.js';
import { trackGlobalJob, trackReplicatedJob } from '../../cmd/progress-jobs.js';
import { initialTracker } from '../../cmd/progress-slots.js';
import { renderPlain } from '../../cmd/format/progress-render.js';
import { serviceReplicas, buildServiceRow } from '../../cmd/format/service-table.js';
import type { Service, Task } from '../../lib/model/types.js';
import type { TaskState } from '../../lib/model/task-state.js';
import { NOW, node, service, task } from './cli-fixtures.js';

const NODES = [node('node1', 'node-1'), node('node2', 'node-2')];

function replicatedJob(total: number, concurrent: number, iteration = 0, status?: Service['ServiceStatus']): Service {
  const s = service();
  return { ...s, Spec: { ...s.Spec, Mode: { ReplicatedJob: { MaxConcurrent: concurrent, TotalCompletions: total } } },
    JobStatus: { JobIteration: { Index: iteration } }, ...(status ? { ServiceStatus: status } : {}) };
}
function globalJob(iteration = 0, status?: Service['ServiceStatus']): Service {
  const s = service();
  return { ...s, Spec: { ...s.Spec, Mode: { GlobalJob: {} } }, JobStatus: { JobIteration: { Index: iteration } }, ...(status ? { ServiceStatus: status } : {}) };
}
const jt = (id: string, slot: number, state: TaskState, over: Partial<Task> = {}) =>
  task({ ID: id, Slot: slot, state, desired: state === 'complete' ? 'complete' : 'running', JobIteration: { Index: 0 }, ...over });

function run(svc: Service, polls: Task[][]) {
  let state: WaitState = initialWaitState();
  let printed: Record<string, string> = {};
  const log: string[] = [];
  const outcomes: string[] = [];
  for (const [i, tasks] of polls.entries()) {
    const step = stepWait(state, { service: svc, tasks, nodes: NODES, now: NOW + i * 200 }, { ref: 'web', expectRollback: false });
    state = step.state;
    const plain = renderPlain(step.emitted, printed);
    printed = plain.printed;
    log.push(...plain.lines);
    outcomes.push(step.outcome.kind);
  }
  return { log, outcomes };
}

t.test('replicated job: docker\'s progress lines, done on "job complete" without a stability wait', async (t) => {
  const svc = replicatedJob(3, 2);
  const { log, outcomes } = run(svc, [
    [],
    [jt('a', 0, 'running'), jt('b', 1, 'running')],
    [jt('a', 0, 'complete'), jt('b', 1, 'complete'), jt('c', 2, 'running')],
    [jt('a', 0, 'complete'), jt('b', 1, 'complete'), jt('c', 2, 'complete')],
  ]);
  t.same(outcomes, ['waiting', 'waiting', 'waiting', 'converged']);
  t.same(log, [
    'job progress: 0 out of 3 complete',
    'active tasks: 0 out of 2 tasks',
    '1/3: running',
    '2/3: running',
    'active tasks: 2 out of 2 tasks',
    '1/3: complete',
    '2/3: complete',
    '3/3: running',
    'job progress: 2 out of 3 complete',
    'active tasks: 1 out of 1 tasks',
    '3/3: complete',
    'job progress: 3 out of 3 complete',
    'active tasks: 0 out of 0 tasks',
    'job complete',
  ]);
});

t.test('replicated job: tasks of other iterations do not count; the lower state wins within a slot', async (t) => {
  const svc = replicatedJob(2, 2, 1);
  const old = [jt('o1', 0, 'complete'), jt('o2', 1, 'complete')];
  const r = trackReplicatedJob(initialTracker(), svc, [...old, jt('n1', 0, 'failed', { JobIteration: { Index: 1 } }), jt('n2', 0, 'running', { JobIteration: { Index: 1 } })]);
  t.notOk(r.converged);
  t.match(r.items.findLast((i) => i.id === 'job progress'), { action: '0 out of 2 complete' }, 'old completions ignored');
  t.match(r.items.findLast((i) => i.id === '1/2'), { action: /^running/ }, 'running (lower) wins over failed');
  t.match(r.items.findLast((i) => i.id === 'active tasks'), { action: '1 out of 2 tasks' });
});

t.test('global job: waits for tasks, then for the nodes it started on', async (t) => {
  const svc = globalJob();
  const waiting = trackGlobalJob(initialTracker(), svc, [], new Set(['node1']));
  t.same(waiting.items, [{ id: 'job progress', action: 'waiting for tasks' }]);
  t.notOk(waiting.converged);
  const first = trackGlobalJob(initialTracker(), svc, [jt('a', 0, 'running', { NodeID: 'node1' }), jt('b', 0, 'complete', { NodeID: 'node2' })], new Set(['node1', 'node2']));
  t.same(first.state.jobNodes, ['node1', 'node2']);
  t.notOk(first.converged);
  const later = trackGlobalJob(first.state, svc,
    [jt('a', 0, 'complete', { NodeID: 'node1' }), jt('b', 0, 'complete', { NodeID: 'node2' }), jt('c', 0, 'running', { NodeID: 'node3' })],
    new Set(['node1', 'node2', 'node3']));
  t.ok(later.converged, 'a node that joined after the start is not waited for');
  t.match(later.items.at(-1), { id: 'job progress', action: '2 out of 2 complete' });
});

t.test('a job without JobStatus is an error, not an endless wait', async (t) => {
  const { JobStatus: _js, ...svc } = replicatedJob(1, 1);
  void _js;
  const step = stepWait(initialWaitState(), { service: svc, tasks: [], nodes: NODES, now: NOW }, { ref: 'web', expectRollback: false });
  t.equal(step.outcome.kind, 'failed');
});

t.test('service ls: MODE and REPLICAS of jobs as docker prints them', async (t) => {
  const cases: Array<[Service, string, string]> = [
    [replicatedJob(5, 2, 0, { RunningTasks: 2, DesiredTasks: 2, CompletedTasks: 3 }), 'replicated job', '2/2 (3/5 completed)'],
    [replicatedJob(5, 2, 0, { RunningTasks: 0, DesiredTasks: 2, CompletedTasks: 5 }), 'replicated job', '0/2 (5/5 completed)'],
    [globalJob(0, { RunningTasks: 1, DesiredTasks: 1, CompletedTasks: 2 }), 'global job', '1/1 (2/3 completed)'],
    [globalJob(0, { RunningTasks: 0, DesiredTasks: 0, CompletedTasks: 3 }), 'global job', '0/0 (3/3 completed)'],
  ];
  for (const [svc, mode, replicas] of cases) {
    t.equal(buildServiceRow(svc).Mode, mode);
    t.equal(serviceReplicas(svc), replicas);
  }
});
