/** Jobs through the library: waitForConvergence waits for the job to complete; scale starts a new iteration. */
import t from 'tap';
import { createCluster } from '../../lib/cluster/create-cluster.js';

t.test('a replicated job and a global job in the library', async (t) => {
  const cluster = await createCluster({ addresses: ['127.0.0.195', '127.0.0.196'], gateway: false });
  t.teardown(() => cluster.close());
  await cluster.addImage({ Name: 'once:1', Cmd: [process.execPath, '-e', 'console.log("done"); setTimeout(() => process.exit(0), 100)'] });
  await cluster.createService({ name: 'batch', image: 'once:1', mode: 'replicated-job', replicas: 3, maxConcurrent: 2 });
  const done = await cluster.waitForConvergence('batch', { timeoutMs: 30_000 });
  const tasks = await cluster.tasks({ service: ['batch'] });
  t.equal(tasks.filter((x) => x.Status.State === 'complete').length, 3, '3 completions');
  t.equal(done.JobStatus?.JobIteration.Index, 0, 'first iteration');
  await cluster.scaleService('batch', 4);
  const again = await cluster.waitForConvergence('batch', { timeoutMs: 30_000 });
  t.ok((again.JobStatus?.JobIteration.Index ?? 0) > 0, 'scale started a new iteration');
  const current = (await cluster.tasks({ service: ['batch'] })).filter((x) => x.JobIteration?.Index === again.JobStatus?.JobIteration.Index);
  t.equal(current.filter((x) => x.Status.State === 'complete').length, 4, '4 completions in the new iteration');

  await cluster.createService({ name: 'everywhere', image: 'once:1', mode: 'global-job' });
  await cluster.waitForConvergence('everywhere', { timeoutMs: 30_000 });
  const g = await cluster.tasks({ service: ['everywhere'] });
  t.equal(g.filter((x) => x.Status.State === 'complete').length, 2, 'one completion per node');
  t.equal(new Set(g.map((x) => x.NodeID)).size, 2);
});
