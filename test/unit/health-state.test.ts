import t from 'tap';
import fc from 'fast-check';
import { healthSettings, initialHealth, nextHealthState, type HealthState } from '../../lib/health/health-state.js';

const s = { retries: 3, startPeriodMs: 10_000 };

function run(results: Array<[boolean, number]>, settings = s): HealthState {
  return results.reduce((st, [ok, at]) => nextHealthState(st, ok, at, settings), initialHealth());
}

t.test('one success makes the task healthy', async (t) => {
  t.equal(run([[true, 1]]).status, 'healthy');
});

t.test('retries consecutive failures make it unhealthy; a success resets the streak', async (t) => {
  const after = (xs: boolean[]) => run(xs.map((ok, i) => [ok, 20_000 + i * 1000] as [boolean, number])).status;
  t.equal(after([false, false]), 'starting');
  t.equal(after([false, false, false]), 'unhealthy');
  t.equal(after([true, false, false]), 'healthy');
  t.equal(after([true, false, false, false]), 'unhealthy');
  t.equal(after([true, false, false, true, false, false]), 'healthy');
});

t.test('failures in the start period do not count, until a first success', async (t) => {
  t.equal(run([[false, 1000], [false, 2000], [false, 3000], [false, 4000]]).status, 'starting');
  t.equal(run([[false, 1000], [false, 2000], [false, 3000], [false, 11_000]]).failingStreak, 1);
  t.equal(run([[true, 1000], [false, 2000], [false, 3000], [false, 4000]]).status, 'unhealthy', 'after a success every failure counts');
});

t.test('healthSettings reads Docker HealthConfig with engine defaults', async (t) => {
  t.equal(healthSettings(undefined), undefined);
  t.equal(healthSettings({ Test: ['NONE'] }), undefined);
  t.same(healthSettings({ Test: ['CMD-SHELL', 'curl -f localhost'] }), { kind: 'shell', target: 'curl -f localhost', intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0 });
  t.same(healthSettings({ Test: ['HTTP', '/health'], Interval: 1e9, Timeout: 5e8, Retries: 2, StartPeriod: 3e9 }),
    { kind: 'http', target: '/health', intervalMs: 1000, timeoutMs: 500, retries: 2, startPeriodMs: 3000 });
  t.same(healthSettings({ Test: ['CMD', 'true', 'x'] })!.target, ['true', 'x']);
});

t.test('property: never unhealthy with fewer than `retries` failures after start', async (t) => {
  fc.assert(fc.property(fc.array(fc.boolean(), { maxLength: 30 }), fc.integer({ min: 1, max: 5 }), (oks, retries) => {
    let st = initialHealth();
    let streak = 0;
    for (const ok of oks) {
      st = nextHealthState(st, ok, 1e9, { retries, startPeriodMs: 0 });
      streak = ok ? 0 : streak + 1;
      if (st.status === 'unhealthy' && streak < retries) return false;
      if (ok && st.status !== 'healthy') return false;
    }
    return true;
  }));
  t.pass('holds');
});
