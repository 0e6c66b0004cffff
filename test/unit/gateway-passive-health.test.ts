import t from 'tap';
import fc from 'fast-check';
import { FakeClock } from '../../lib/clock.js';
import {
  HEALTHY, backoffFor, defaultEjectionPolicy, isEjected, recordConnectFailure, recordSuccess, type HealthRecord,
} from '../../gateway/passive-health.js';

const policy = defaultEjectionPolicy({ consecutiveFailures: 3, backoffMs: 5_000 });

function fail(h: HealthRecord, now: number): HealthRecord { return recordConnectFailure(h, policy, now).record; }

t.test('defaults: 3 failures, 5 s backoff, capped at 8x', async (t) => {
  t.same(defaultEjectionPolicy(), { consecutiveFailures: 3, backoffMs: 5_000, maxBackoffMs: 40_000 });
  t.equal(defaultEjectionPolicy({ consecutiveFailures: 0 }).consecutiveFailures, 1, 'at least one failure');
  t.same([1, 2, 3, 4, 5, 10].map((n) => backoffFor(policy, n)), [5_000, 10_000, 20_000, 40_000, 40_000, 40_000]);
});

t.test('consecutive connect failures eject for the backoff, on a fake clock', async (t) => {
  const clock = new FakeClock(0);
  let h = HEALTHY;
  h = fail(h, clock.now());
  h = fail(h, clock.now());
  t.notOk(isEjected(h, clock.now()), 'two failures: still in rotation');
  const out = recordConnectFailure(h, policy, clock.now());
  t.ok(out.ejected, 'the third ejects');
  h = out.record;
  t.ok(isEjected(h, clock.now()));
  clock.advance(4_999);
  t.ok(isEjected(h, clock.now()), 'still out just before the backoff ends');
  t.equal(recordSuccess(h, clock.now()), h, 'a late success on an old connection does not bring it back');
  t.notOk(recordConnectFailure(h, policy, clock.now()).ejected, 'failures while ejected do not eject again');
  clock.advance(1);
  t.notOk(isEjected(h, clock.now()), 'back after the backoff');
});

t.test('half-open: one failure after an ejection ejects again with a doubled backoff', async (t) => {
  const clock = new FakeClock(0);
  let h = fail(fail(fail(HEALTHY, 0), 0), 0);
  clock.advance(5_000);
  const out = recordConnectFailure(h, policy, clock.now());
  t.ok(out.ejected);
  t.equal(out.record.ejectedUntil, 5_000 + 10_000);
  h = out.record;
  clock.advance(10_000);
  h = recordSuccess(h, clock.now());
  t.equal(h, HEALTHY, 'a success clears the record');
  h = fail(h, clock.now());
  t.notOk(isEjected(h, clock.now()), 'after a success it takes the full streak again');
});

t.test('a success resets the streak', async (t) => {
  let h = fail(fail(HEALTHY, 0), 0);
  h = recordSuccess(h, 0);
  h = fail(fail(h, 0), 0);
  t.notOk(isEjected(h, 0));
  t.equal(recordSuccess(HEALTHY, 0), HEALTHY, 'no allocation when already clear');
});

t.test('property: ejected only after `consecutiveFailures` failures in a row', async (t) => {
  fc.assert(fc.property(fc.array(fc.boolean(), { maxLength: 40 }), fc.integer({ min: 1, max: 5 }), (outcomes, n) => {
    const p = defaultEjectionPolicy({ consecutiveFailures: n, backoffMs: 1_000 });
    let h = HEALTHY;
    let streak = 0;
    for (const ok of outcomes) {
      if (ok) { h = recordSuccess(h, 0); streak = 0; continue; }
      const out = recordConnectFailure(h, p, 0);
      if (!isEjected(h, 0)) streak++;
      if (out.ejected !== (streak === n && !isEjected(h, 0))) return false;
      h = out.record;
      if (out.ejected) return true; // time does not move here: the rest would be failures while ejected
    }
    return !isEjected(h, 0);
  }), { numRuns: 300 });
  t.pass('held for 300 runs');
});
