import t from 'tap';
import fc from 'fast-check';
import { pickEndpoint, isPickable, type PickCandidate } from '../../gateway/pick-endpoint.js';

const NOW = 1_000;
const ep = (taskId: string, state: 'active' | 'draining' = 'active', ejectedUntil = 0): PickCandidate => ({ taskId, state, ejectedUntil });

t.test('table: the first pickable endpoint at or after the cursor, wrapping', async (t) => {
  const cases: Array<{ name: string; cursor: number; eps: PickCandidate[]; exclude?: string[]; want: number }> = [
    { name: 'empty', cursor: 0, eps: [], want: -1 },
    { name: 'one active', cursor: 0, eps: [ep('a')], want: 0 },
    { name: 'cursor past the end wraps', cursor: 5, eps: [ep('a'), ep('b')], want: 1 },
    { name: 'negative cursor wraps', cursor: -1, eps: [ep('a'), ep('b')], want: 1 },
    { name: 'skips draining', cursor: 0, eps: [ep('a', 'draining'), ep('b')], want: 1 },
    { name: 'skips ejected', cursor: 1, eps: [ep('a'), ep('b', 'active', NOW + 1), ep('c')], want: 2 },
    { name: 'ejection over at now', cursor: 1, eps: [ep('a'), ep('b', 'active', NOW), ep('c')], want: 1 },
    { name: 'skips excluded and wraps', cursor: 2, eps: [ep('a'), ep('b'), ep('c')], exclude: ['c'], want: 0 },
    { name: 'all draining', cursor: 0, eps: [ep('a', 'draining'), ep('b', 'draining')], want: -1 },
    { name: 'all ejected or excluded', cursor: 0, eps: [ep('a', 'active', NOW + 5), ep('b')], exclude: ['b'], want: -1 },
  ];
  for (const c of cases) {
    t.equal(pickEndpoint(c.cursor, c.eps, c.exclude ? new Set(c.exclude) : undefined, NOW), c.want, c.name);
  }
});

t.test('isPickable: active and not ejected at now', async (t) => {
  t.ok(isPickable(ep('a'), NOW));
  t.notOk(isPickable(ep('a', 'draining'), NOW));
  t.notOk(isPickable(ep('a', 'active', NOW + 1), NOW));
});

/** Runs n picks the way ServiceEndpoints does (cursor = picked index + 1). */
function spread(eps: PickCandidate[], n: number, exclude?: Set<string>): Map<string, number> {
  const counts = new Map<string, number>();
  let cursor = 0;
  for (let i = 0; i < n; i++) {
    const at = pickEndpoint(cursor, eps, exclude, NOW);
    if (at < 0) break;
    cursor = at + 1;
    counts.set(eps[at]!.taskId, (counts.get(eps[at]!.taskId) ?? 0) + 1);
  }
  return counts;
}

const arbEndpoints = fc.array(
  fc.record({ state: fc.constantFrom<'active' | 'draining'>('active', 'active', 'draining'), ejected: fc.boolean(), excluded: fc.boolean() }),
  { minLength: 1, maxLength: 12 },
);

t.test('property: over N picks each of k usable endpoints gets N/k ± 1', async (t) => {
  fc.assert(fc.property(arbEndpoints, fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 50 }), (spec, n, startCursor) => {
    const eps = spec.map((s, i) => ep(`t${i}`, s.state, s.ejected ? NOW + 10 : 0));
    const exclude = new Set(spec.flatMap((s, i) => (s.excluded ? [`t${i}`] : [])));
    const usable = eps.filter((e) => isPickable(e, NOW) && !exclude.has(e.taskId));
    const counts = new Map<string, number>();
    let cursor = startCursor;
    for (let i = 0; i < n; i++) {
      const at = pickEndpoint(cursor, eps, exclude, NOW);
      if (usable.length === 0) { if (at !== -1) return false; continue; }
      const picked = eps[at]!;
      if (!usable.includes(picked)) return false; // never draining, ejected or excluded
      cursor = at + 1;
      counts.set(picked.taskId, (counts.get(picked.taskId) ?? 0) + 1);
    }
    if (usable.length === 0) return true;
    const k = usable.length;
    return usable.every((e) => Math.abs((counts.get(e.taskId) ?? 0) - n / k) <= 1);
  }), { numRuns: 500 });
  t.pass('held for 500 runs');
});

t.test('3,000 picks over 3 active endpoints: exactly 1,000 each', async (t) => {
  const counts = spread([ep('a'), ep('b'), ep('c')], 3000);
  t.same([...counts.values()], [1000, 1000, 1000]);
});

t.test('a draining endpoint gets nothing, the others share evenly', async (t) => {
  const counts = spread([ep('a'), ep('b', 'draining'), ep('c')], 1000);
  t.equal(counts.get('b'), undefined);
  t.equal(counts.get('a'), 500);
  t.equal(counts.get('c'), 500);
});
