import t from 'tap';
import os from 'node:os';
import { parseWorkers } from '../../cmd/commands/gateway.js';

t.test('--workers: a whole number ≥ 1, or auto (one per core)', async (t) => {
  const table: Array<[string, number | RegExp]> = [
    ['1', 1], ['2', 2], ['16', 16], ['auto', os.availableParallelism()],
    ['0', /invalid --workers "0": expected a whole number ≥ 1 or auto/], ['-1', /invalid --workers "-1"/],
    ['1.5', /invalid --workers "1.5"/], ['two', /invalid --workers "two"/], ['', /invalid --workers ""/],
  ];
  for (const [v, want] of table) {
    if (typeof want === 'number') t.equal(parseWorkers(v), want, v);
    else t.throws(() => parseWorkers(v), want, v);
  }
});
