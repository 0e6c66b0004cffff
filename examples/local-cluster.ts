/**
 * Embedding swarmlet: start a 3-node cluster in this process, run a service, scale it,
 * read a task's answer and its logs, then shut everything down.
 *
 *   npm run build && node --import tsx examples/local-cluster.ts
 *
 * It runs beside `npm start` (whose nodes are 127.0.0.1-3 with the demo on port 9000): its nodes are
 * 127.0.0.21-23, its service publishes port 9010, and its gateways serve no /metrics port.
 */
import { createCluster } from 'swarmlet';

const cluster = await createCluster({                       // state in a temp dir
  addresses: ['127.0.0.21', '127.0.0.22', '127.0.0.23'],
  gateway: { adminPort: false },
});
try {
  await cluster.createService({ name: 'web', image: 'whoami', replicas: 3, publish: ['9010:8080'] });
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
