import t from 'tap';
import { Agent, request } from 'undici';
import { createCluster } from '../../lib/index.js';

t.test('routing mesh: 3,000 requests through a node without tasks reach each of 3 replicas 1,000 ± 10 times', async (t) => {
  const cluster = await createCluster({ nodes: 4, addresses: ['127.0.0.81', '127.0.0.82', '127.0.0.83', '127.0.0.84'], gateway: { adminPort: false } });
  t.teardown(() => cluster.close());
  await cluster.createService({ name: 'sp', image: 'whoami', replicas: 3, publish: ['9800:8080'], constraints: ['node.hostname!=node-1'] });
  await cluster.waitForConvergence('sp', { timeoutMs: 20_000 });
  const node1 = (await cluster.nodes()).find((n) => n.Description.Hostname === 'node-1')!;
  const tasks = (await cluster.tasks({ service: ['sp'], 'desired-state': ['running'] }));
  t.notOk(tasks.some((x) => x.NodeID === node1.ID), 'node-1 runs none of the tasks');

  for (const mode of ['keep-alive', 'new connection'] as const) {
    const agent = new Agent({ connections: 8, pipelining: 1, ...(mode === 'new connection' ? { keepAliveTimeout: 1, keepAliveMaxTimeout: 1 } : {}) });
    const counts = new Map<string, number>();
    const send = async () => {
      const res = await request('http://127.0.0.81:9800/', { dispatcher: agent, headers: { accept: 'application/json', ...(mode === 'new connection' ? { connection: 'close' } : {}) } });
      const body = await res.body.json() as { task: string };
      counts.set(body.task, (counts.get(body.task) ?? 0) + 1);
    };
    for (let i = 0; i < 3000; i += 10) await Promise.all(Array.from({ length: 10 }, send));
    await agent.close();
    t.same([...counts.keys()].sort(), ['sp.1', 'sp.2', 'sp.3'], `${mode}: every replica`);
    for (const [task, n] of counts) t.ok(Math.abs(n - 1000) <= 10, `${mode}: ${task} got ${n}`);
  }
});
