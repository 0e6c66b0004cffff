/**
 * A job that cannot complete fails instead of waiting forever (Swarm's `service create` for such a
 * job never returns): the pure check, and what `checkConvergence` (the library's wait) makes of it.
 */
import t from 'tap';
import type { RestartPolicy, Service, Task } from '../../lib/model/types.js';
import type { TaskState } from '../../lib/model/task-state.js';
import { jobCannotComplete } from '../../lib/orchestrator/job-stuck.js';
import { checkConvergence } from '../../lib/update/converged.js';
import { T0, task } from '../fixtures/orchestrator-fixtures.js';

function job(mode: 'replicated' | 'global', restart: RestartPolicy | undefined, iteration = 1): Service {
  return {
    ID: 'svc', Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '',
    Spec: {
      Name: 'migrate',
      TaskTemplate: { ContainerSpec: { Image: 'migrate:1' }, ...(restart ? { RestartPolicy: restart } : {}) },
      Mode: mode === 'replicated' ? { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 2 } } : { GlobalJob: {} },
    },
    Endpoint: { Spec: {} },
    JobStatus: { JobIteration: { Index: iteration } },
  };
}
function jt(slot: number, node: string, state: TaskState, at: number, over: { iteration?: number; err?: string } = {}): Task {
  const x = task(slot, node, { state, createdAt: T0 + at, ts: T0 + at });
  return { ...x, JobIteration: { Index: over.iteration ?? 1 }, Status: { ...x.Status, ...(over.err ? { Err: over.err } : {}) } };
}

t.test('table: stuck or not', async (t) => {
  const none = { Condition: 'none' } as const;
  const cases: Array<[string, Service, Task[], RegExp | undefined]> = [
    ['condition none, a failed slot', job('replicated', none), [jt(0, 'n1', 'complete', 1), jt(1, 'n1', 'failed', 2, { err: 'task: non-zero exit (1)' })],
      /^job cannot complete: task \S+ failed \(task: non-zero exit \(1\)\) and will not be restarted \(restart condition is none\)$/],
    ['condition none, still running', job('replicated', none), [jt(0, 'n1', 'complete', 1), jt(1, 'n1', 'running', 2)], undefined],
    ['condition none, every slot complete', job('replicated', none), [jt(0, 'n1', 'complete', 1), jt(1, 'n1', 'complete', 2)], undefined],
    ['default policy (on-failure): restarted, not stuck', job('replicated', undefined), [jt(1, 'n1', 'failed', 2)], undefined],
    ['max attempts 1 used up (no window)', job('replicated', { Condition: 'on-failure', MaxAttempts: 1 }), [jt(1, 'n1', 'failed', 1), jt(1, 'n1', 'failed', 2)],
      /will not be restarted \(restart max attempts \(1\) reached\)/],
    ['max attempts 2, one failure so far', job('replicated', { Condition: 'on-failure', MaxAttempts: 2 }), [jt(1, 'n1', 'failed', 1)], undefined],
    ['max attempts with a window: attempts age out, never called stuck', job('replicated', { Condition: 'on-failure', MaxAttempts: 1, Window: 60e9 }),
      [jt(1, 'n1', 'failed', 1), jt(1, 'n1', 'failed', 2)], undefined],
    ['a failure of an earlier iteration does not count', job('replicated', none, 2), [jt(1, 'n1', 'failed', 1, { iteration: 1 }), jt(1, 'n1', 'running', 2, { iteration: 2 })], undefined],
    ['global job: a node whose task failed', job('global', none), [jt(0, 'n1', 'complete', 1), jt(0, 'n2', 'failed', 2)], /task \S+ failed/],
  ];
  for (const [name, svc, tasks, want] of cases) {
    const got = jobCannotComplete(svc, tasks);
    if (want === undefined) t.equal(got, undefined, name);
    else t.match(got, want, name);
  }
});

t.test('checkConvergence: a stuck job fails the wait; a completed one converges', async (t) => {
  const svc = job('replicated', { Condition: 'none' });
  const stuck = checkConvergence(svc, [jt(0, 'n1', 'complete', 1), jt(1, 'n1', 'failed', 2)], []);
  t.equal(stuck.state, 'failed');
  t.match((stuck as { message: string }).message, /^job cannot complete/);
  t.equal(checkConvergence(svc, [jt(0, 'n1', 'complete', 1), jt(1, 'n1', 'complete', 2)], []).state, 'converged');
  t.equal(checkConvergence(svc, [jt(0, 'n1', 'complete', 1), jt(1, 'n1', 'running', 2)], []).state, 'progressing');
  const global = job('global', { Condition: 'none' });
  t.equal(checkConvergence(global, [jt(0, 'n1', 'complete', 1), jt(0, 'n2', 'failed', 2)], []).state, 'failed', 'a global job too');
});
