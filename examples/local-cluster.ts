/**
 * Embedding swarmlet: start a 3-node cluster in this process, run a service, scale it,
 * read a task's answer and its logs, then shut everything down.
 *
 *   npm run build && node --import tsx examples/local-cluster.ts
 */
import { createCluster } from 'swarmlet';

const cluster = await createCluster({ nodes: 3 });           // node-K at 127.0.0.K, state in a temp dir
try {
  await cluster.createService({ name: 'web', image: 'whoami', replicas: 3, publish: ['9000:8080'] });
  await cluster.waitForConvergence('web', { timeoutMs: 30_000 });

  await cluster.scaleService('web', 5);
  await cluster.waitForConvergence('web', { timeoutMs: 30_000 });

  const tasks = await cluster.tasks({ service: ['web'], 'desired-state': ['running'] });
  for (const t of tasks) console.log(`web.${t.Slot} on ${t.NodeID.slice(0, 12)} at ${t.Endpoint?.Addr}:${t.Endpoint?.Port}`);

  const first = tasks[0]!;
  const res = await fetch(`http://${first.Endpoint!.Addr}:${first.Endpoint!.Port}/`, { headers: { accept: 'application/json' } });
  console.log('answer:', await res.json());

  for await (const line of cluster.logs('web', { tail: 1 })) console.log(`log ${line.taskId.slice(0, 12)} | ${line.text}`);
} finally {
  await cluster.close();                                     // stops every task process
}
