/**
 * limitPlan: a budget of task writes per pass. Stops (setDesired), observed-state marks and
 * removals come before creates; a plan within budget is returned as is; replanning the rest
 * slice after slice applies exactly the plan.
 */
import t from 'tap';
import fc from 'fast-check';
import { limitPlan } from '../../lib/orchestrator/limit-plan.js';
import { emptyPlan, type OrchestratorPlan } from '../../lib/orchestrator/plan.js';

const size = (p: OrchestratorPlan) => p.create.length + p.setDesired.length + p.remove.length + p.markState.length;

function plan(n: { create?: number; setDesired?: number; remove?: number; markState?: number }): OrchestratorPlan {
  const p = emptyPlan();
  for (let i = 0; i < (n.create ?? 0); i++) p.create.push({ serviceId: 's', slot: i + 1, nodeId: '', desiredState: 'running', reason: `c${i}` });
  for (let i = 0; i < (n.setDesired ?? 0); i++) p.setDesired.push({ taskId: `d${i}`, desiredState: 'shutdown', reason: 'scale down' });
  for (let i = 0; i < (n.remove ?? 0); i++) p.remove.push(`r${i}`);
  for (let i = 0; i < (n.markState ?? 0); i++) p.markState.push({ taskId: `m${i}`, state: 'shutdown', message: 'gone' });
  return p;
}

const counts = (p: OrchestratorPlan) => ({ setDesired: p.setDesired.length, markState: p.markState.length, remove: p.remove.length, create: p.create.length });

t.test('a plan within the budget is returned as is', async (t) => {
  for (const [p, budget] of [[plan({ create: 3, setDesired: 2 }), 5], [plan({ create: 3 }), 10], [emptyPlan(), 0], [emptyPlan(), 5], [plan({ remove: 1 }), 1]] as const) {
    const r = limitPlan(p, budget);
    t.equal(r.plan, p, `size ${size(p)}, budget ${budget}: the same object`);
    t.equal(r.truncated, false);
  }
});

t.test('a plan over budget is cut in order: setDesired, markState, remove, then create', async (t) => {
  const rows: Array<[string, OrchestratorPlan, number, ReturnType<typeof counts>]> = [
    ['creates only', plan({ create: 10 }), 4, { setDesired: 0, markState: 0, remove: 0, create: 4 }],
    ['stops fill the budget: no create', plan({ create: 5, setDesired: 5 }), 5, { setDesired: 5, markState: 0, remove: 0, create: 0 }],
    ['stops then some creates', plan({ create: 5, setDesired: 2 }), 4, { setDesired: 2, markState: 0, remove: 0, create: 2 }],
    ['marks after stops', plan({ setDesired: 2, markState: 3, create: 1 }), 4, { setDesired: 2, markState: 2, remove: 0, create: 0 }],
    ['removals after marks', plan({ markState: 1, remove: 3, create: 2 }), 3, { setDesired: 0, markState: 1, remove: 2, create: 0 }],
    ['everything, creates last', plan({ setDesired: 1, markState: 1, remove: 1, create: 9 }), 5, { setDesired: 1, markState: 1, remove: 1, create: 2 }],
    ['budget 0: nothing', plan({ create: 2, setDesired: 1 }), 0, { setDesired: 0, markState: 0, remove: 0, create: 0 }],
    ['negative budget: nothing', plan({ create: 2 }), -3, { setDesired: 0, markState: 0, remove: 0, create: 0 }],
  ];
  for (const [name, p, budget, want] of rows) {
    const r = limitPlan(p, budget);
    t.equal(r.truncated, true, `${name}: truncated`);
    t.same(counts(r.plan), want, name);
    t.ok(size(r.plan) <= Math.max(0, budget), `${name}: within budget`);
  }
});

t.test('a slice takes the first items of each list, unchanged, and leaves the input alone', async (t) => {
  const p = plan({ setDesired: 3, create: 3 });
  const copy = structuredClone(p);
  const r = limitPlan(p, 4);
  t.same(r.plan.setDesired, p.setDesired);
  t.same(r.plan.create, p.create.slice(0, 1));
  t.same(p, copy, 'input not modified');
});

// ---- property: slicing and replanning the rest gives back the plan ---------------------------

const arbPlan = fc.record({
  create: fc.nat(40), setDesired: fc.nat(40), remove: fc.nat(40), markState: fc.nat(40),
}).map(plan);

/** What a replan after applying `slice` would give: the plan without what was applied. */
function rest(p: OrchestratorPlan, slice: OrchestratorPlan): OrchestratorPlan {
  return {
    create: p.create.slice(slice.create.length), setDesired: p.setDesired.slice(slice.setDesired.length),
    remove: p.remove.slice(slice.remove.length), markState: p.markState.slice(slice.markState.length),
  };
}

t.test('property: successive slices are within budget, stop before creating, and add up to the plan', async (t) => {
  fc.assert(fc.property(arbPlan, fc.integer({ min: 1, max: 50 }), (whole, budget) => {
    const applied = emptyPlan();
    let left = whole;
    let slices = 0;
    for (;;) {
      const { plan: slice, truncated } = limitPlan(left, budget);
      slices += 1;
      if (size(slice) > budget) throw new Error(`slice of ${size(slice)} over budget ${budget}`);
      if (truncated && size(slice) !== budget) throw new Error('a truncated slice should use the whole budget');
      const after = rest(left, slice);
      if (slice.create.length > 0 && (after.setDesired.length + after.markState.length + after.remove.length) > 0) {
        throw new Error('created while stops/marks/removals were left for later');
      }
      applied.create.push(...slice.create);
      applied.setDesired.push(...slice.setDesired);
      applied.remove.push(...slice.remove);
      applied.markState.push(...slice.markState);
      left = after;
      if (!truncated) break;
      if (slices > 1000) throw new Error('no progress');
    }
    if (JSON.stringify(applied) !== JSON.stringify(whole)) throw new Error('slices do not add up to the plan');
    const expected = Math.max(1, Math.ceil(size(whole) / budget));
    if (slices !== expected) throw new Error(`${slices} slices, expected ${expected}`);
  }), { numRuns: 300 });
  t.pass('300 random plans and budgets');
});
