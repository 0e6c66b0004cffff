/** The store suite (test/fixtures/store-suite.ts) on the etcd backend, against a real 3-member etcd on loopback. */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../lib/clock.js';
import { openEtcdBackend } from '../../lib/ha/etcd-backend.js';
import type { HaBackend } from '../../lib/ha/ha-types.js';
import { etcdMissing, startEtcdCluster, type EtcdCluster } from '../fixtures/etcd-cluster.js';
import { storeSuite } from '../fixtures/store-suite.js';

const skip = etcdMissing();
if (skip) {
  t.plan(0, skip);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-store-suite-etcd-'));
  let etcd: EtcdCluster | undefined;
  t.before(async () => { etcd = await startEtcdCluster({ members: 3, baseDir: dir }); });
  t.teardown(async () => { await etcd?.stop(); rmSync(dir, { recursive: true, force: true }); });
  const clock = systemClock();
  let n = 0;

  const leading = async (b: HaBackend): Promise<HaBackend> => {
    const deadline = Date.now() + 10_000;
    while (!b.election.isLeader()) {
      if (Date.now() > deadline) throw new Error('the backend did not become leader');
      await new Promise((r) => setTimeout(r, 20));
    }
    return b;
  };

  storeSuite(t, {
    name: 'etcd',
    async open(tt) {
      const prefix = `/suite-${process.pid}-${++n}`;
      const openOne = async (id: string) => {
        const b = await openEtcdBackend({ endpoints: etcd!.endpoints, prefix, self: { id, addr: `http://${id}.test:2377` }, clock, leaseTtlMs: 2000 });
        tt.teardown(() => b.close());
        return leading(b);
      };
      const first = await openOne('m1');
      return {
        store: first.store,
        durable: () => first.store.durable(),
        now: () => Date.now(),
        advance: () => {},
        async reopen() {
          await first.close(); // a manager restarting: its lease goes, the new process leads
          return (await openOne('m2')).store;
        },
      };
    },
  });
}
