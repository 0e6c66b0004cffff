/**
 * Issue 3's update invariants as fast-check properties over the whole manager on a fake clock
 * (test/fixtures/manager-harness.ts). Each run creates a service, starts an update to a new image
 * and drives it through a random interleaving of single reconcile rounds and clock jumps; the
 * invariants are checked at every store commit, which is finer than "after each settle step":
 *   - stop-first: tasks serving (desired and observed running) never fall below replicas − parallelism;
 *   - start-first: tasks serving never exceed replicas + parallelism (and never fall below replicas).
 *     Processes still stopping are not counted: like Swarm's worker, a start-first worker is free
 *     once its new task runs and the old one is told to stop, so an old process that is still
 *     draining may overlap the next slot's new one;
 *   - at the commit where UpdateStatus becomes `completed` (or `rollback_completed`), every slot runs
 *     one task of the service's current spec, even with new tasks crashing at random.
 * Runs are bounded (numRuns, steps, simulated minutes), so the file stays fast.
 */
import t from 'tap';
import fc from 'fast-check';
import { applyUpdateOptions, specFromOptions } from '../../lib/model/spec-from-options.js';
import { stateRank } from '../../lib/model/task-state.js';
import type { FailureAction, Task, UpdateOrder } from '../../lib/model/types.js';
import { isUpToDate } from '../../lib/update/up-to-date.js';
import { startHarness, type Harness } from '../fixtures/manager-harness.js';

const live = (x: Task) => stateRank(x.DesiredState) <= stateRank('running');
const serving = (x: Task) => x.DesiredState === 'running' && x.Status.State === 'running';

interface Scenario {
  nodes: number;
  replicas: number;
  parallelism: number;
  delayMs: number;
  order: UpdateOrder;
  action: FailureAction;
  /** 'tick': one reconcile round; 'jump': the clock moves a second; 'crash': a running new task dies. */
  steps: Array<'tick' | 'jump' | { crash: number }>;
}

const tickOrJump = fc.constantFrom<'tick' | 'jump'>('tick', 'tick', 'tick', 'jump');

function scenario(withCrashes: boolean, order?: UpdateOrder): fc.Arbitrary<Scenario> {
  const step = withCrashes ? fc.oneof(tickOrJump, fc.record({ crash: fc.nat({ max: 20 }) })) : tickOrJump;
  return fc.record({
    nodes: fc.integer({ min: 1, max: 3 }),
    replicas: fc.integer({ min: 1, max: 6 }),
    parallelism: fc.integer({ min: 0, max: 3 }),
    delayMs: fc.constantFrom(0, 1000, 3000),
    order: order ? fc.constant(order) : fc.constantFrom<UpdateOrder>('stop-first', 'start-first'),
    action: withCrashes ? fc.constantFrom<FailureAction>('pause', 'continue', 'rollback') : fc.constant<FailureAction>('pause'),
    steps: fc.array(step, { maxLength: 40 }),
  });
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/** Runs one scenario; `onCommit` sees the harness at every store commit once the update was requested. */
async function run(s: Scenario, onCommit: (h: Harness) => void): Promise<Harness> {
  const h = await startHarness({ nodes: s.nodes });
  try {
    h.control.createService(specFromOptions({
      name: 'web', image: 'whoami:1', replicas: s.replicas,
      updateParallelism: s.parallelism, updateDelay: s.delayMs, updateOrder: s.order, updateFailureAction: s.action,
    }));
    for (let i = 0; i < 10; i++) await h.settle();
    h.store.watch(() => onCommit(h));
    const svc = h.service('web');
    h.control.updateService(svc.ID, svc.Version.Index, applyUpdateOptions(svc.Spec, { image: 'whoami:2' }));
    for (const step of s.steps) {
      if (step === 'tick') { h.clock.resetBudget(); h.clock.advance(0); await tick(); }
      else if (step === 'jump') await h.advance(1000);
      else {
        const victims = h.tasks('web').filter((x) => serving(x) && x.Spec.ContainerSpec.Image === 'whoami:2');
        const v = victims[step.crash % Math.max(1, victims.length)];
        if (v) h.drivers.get(v.NodeID)!.crash(v.ID);
      }
    }
    // let the update run to its end (or its pause): two simulated minutes
    for (let i = 0; i < 24; i++) await h.advance(5000);
    if (h.clock.runaway) throw new Error('runaway reconcile loop');
    return h;
  } catch (e) {
    await h.close();
    throw e;
  }
}

function describe(h: Harness): string {
  return JSON.stringify({ status: h.service('web').UpdateStatus, tasks: h.tasks('web').map((x) => [x.Slot, x.Spec.ContainerSpec.Image, x.DesiredState, x.Status.State]) });
}

/** Without failures, the update must end `completed` with every slot on the new image. */
function assertCompleted(h: Harness, replicas: number): void {
  const st = h.service('web').UpdateStatus?.State;
  const liveTasks = h.tasks('web').filter(live);
  const ok = st === 'completed' && liveTasks.length === replicas && liveTasks.every((x) => serving(x) && x.Spec.ContainerSpec.Image === 'whoami:2');
  if (!ok) throw new Error(`update did not complete cleanly: ${describe(h)}`);
}

t.test('property: stop-first never leaves fewer than replicas − parallelism tasks serving', async (t) => {
  await fc.assert(fc.asyncProperty(scenario(false, 'stop-first'), async (s) => {
    const workers = s.parallelism === 0 ? s.replicas : Math.min(s.parallelism, s.replicas);
    let low: string | undefined;
    const h = await run(s, (h) => {
      const n = h.tasks('web').filter(serving).length;
      if (n < s.replicas - workers && !low) low = `${n} serving < ${s.replicas} − ${workers}: ${describe(h)}`;
    });
    try {
      if (low) throw new Error(low);
      assertCompleted(h, s.replicas);
    } finally { await h.close(); }
  }), { numRuns: 40 });
  t.pass('held');
});

t.test('property: start-first never has more than replicas + parallelism tasks serving', async (t) => {
  await fc.assert(fc.asyncProperty(scenario(false, 'start-first'), async (s) => {
    const workers = s.parallelism === 0 ? s.replicas : Math.min(s.parallelism, s.replicas);
    let high: string | undefined;
    let low: string | undefined;
    const h = await run(s, (h) => {
      const n = h.tasks('web').filter(serving).length;
      if (n > s.replicas + workers && !high) high = `${n} serving > ${s.replicas} + ${workers}: ${describe(h)}`;
      // and, start-first, the service never loses a serving task to the update
      if (n < s.replicas && !low) low = `${n} serving < ${s.replicas}: ${describe(h)}`;
    });
    try {
      if (high) throw new Error(high);
      if (low) throw new Error(low);
      assertCompleted(h, s.replicas);
    } finally { await h.close(); }
  }), { numRuns: 40 });
  t.pass('held');
});

t.test('property: an update is `completed` only when every slot runs the current spec', async (t) => {
  let completions = 0;
  await fc.assert(fc.asyncProperty(scenario(true), async (s) => {
    let bad: string | undefined;
    let seen = false;
    const h = await run(s, (h) => {
      const svc = h.service('web');
      const st = svc.UpdateStatus?.State;
      const done = st === 'completed' || st === 'rollback_completed';
      if (!done) { seen = false; return; }
      if (seen) return; // check the commit that made it complete
      seen = true;
      completions++;
      const liveTasks = h.tasks('web').filter(live);
      const slots = new Set(liveTasks.map((x) => x.Slot));
      const ok = slots.size === s.replicas && liveTasks.length === s.replicas
        && liveTasks.every((x) => serving(x) && isUpToDate(svc, x));
      if (!ok && !bad) bad = `${st} while not every slot runs the current spec: ${describe(h)}`;
    });
    try {
      if (bad) throw new Error(bad);
    } finally { await h.close(); }
  }), { numRuns: 60 });
  t.ok(completions > 0, `the property was exercised (${completions} completions)`);
});
