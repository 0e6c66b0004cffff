/** `service logs --follow` also follows the tasks the service starts after the follow began. */
import t from 'tap';
import { createCluster } from '../../lib/cluster/create-cluster.js';
import type { LogEntry } from '../../lib/manager/control.js';

t.test('following a service picks up its later tasks', async (t) => {
  const cluster = await createCluster({ addresses: ['127.0.0.177'], gateway: false });
  t.teardown(() => cluster.close());
  await cluster.createService({ name: 'fl', image: 'whoami', replicas: 1, publish: ['9177:8080'] });
  await cluster.waitForConvergence('fl', { timeoutMs: 30_000 });
  const first = (await cluster.tasks({ service: ['fl'] }))[0]!;
  const ac = new AbortController();
  const seen: LogEntry[] = [];
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; ac.abort(); }, 20_000);
  const following = (async () => {
    for await (const e of cluster.logs('fl', { follow: true, signal: ac.signal })) {
      seen.push(e);
      if (e.taskId !== first.ID && e.text.includes('listening')) ac.abort();
    }
  })();
  await new Promise((r) => setTimeout(r, 200));
  await cluster.scaleService('fl', 2);
  await following;
  clearTimeout(timer);
  const later = (await cluster.tasks({ service: ['fl'] })).find((x) => x.ID !== first.ID)!;
  t.ok(seen.some((e) => e.taskId === first.ID), 'the first task\'s lines');
  t.ok(seen.some((e) => e.taskId === later.ID && e.text.includes('listening')), 'the task started after the follow began, from its first line');
  t.notOk(timedOut, 'ended by the new task\'s line, not by the deadline');
});
