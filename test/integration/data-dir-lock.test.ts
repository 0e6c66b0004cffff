/** Two clusters on one data directory: the second is refused before it reads or writes anything. */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCluster } from '../../lib/index.js';

t.test('a data directory in use is refused; once closed it opens with everything in it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-ddl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const opts = { nodes: 1, addresses: ['127.0.0.204'], dataDir: dir, gateway: false as const };
  const first = await createCluster(opts);
  await first.createService({ name: 'kept', image: 'whoami', replicas: 1 });
  await t.rejects(createCluster(opts), { message: `data directory ${dir} is already open in this process (close that cluster first)` });
  t.same((await first.services()).map((s) => s.Spec.Name), ['kept'], 'the first cluster is untouched');
  await first.close();
  const second = await createCluster(opts);
  t.teardown(() => second.close());
  t.same((await second.services()).map((s) => s.Spec.Name), ['kept'], 'state survived, and the directory opens again');
});

t.test('a start that fails half-way (API port in use) releases the directory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-ddl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const holder = await createCluster({ nodes: 1, addresses: ['127.0.0.205'], gateway: false, listen: '127.0.0.205:0' });
  t.teardown(() => holder.close());
  const port = new URL(holder.url!).port;
  const opts = { nodes: 1, addresses: ['127.0.0.204'], dataDir: dir, gateway: false as const };
  await t.rejects(createCluster({ ...opts, listen: `127.0.0.205:${port}` }), /127\.0\.0\.205:\d+: it is already in use/);
  const again = await createCluster(opts);
  t.teardown(() => again.close());
  t.pass('opened after the failed start');
});
