/**
 * Opt-in rebalancing with real processes: a node that comes back (paused → active) gets its share
 * of a service labelled `swarmlet.rebalance=true`, one start-first move at a time, with no failed
 * request at a fixed 300 req/s through another node's gateway.
 */
import t from 'tap';
import { createCluster, type Cluster } from '../../lib/index.js';
import { runLoad } from '../fixtures/load.js';

const ADDRS = ['127.0.0.201', '127.0.0.202', '127.0.0.203'];

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('a node that comes back gets its share of a rebalancing service, with no failed request', async (t) => {
  const cluster: Cluster = await createCluster({ nodes: 3, addresses: ADDRS, gateway: { adminPort: false } });
  t.teardown(() => cluster.close());
  const node3 = (await cluster.nodes()).find((n) => n.Description.Hostname === 'node-3')!;
  await cluster.updateNode('node-3', { availability: 'pause' });
  await cluster.createService({ name: 'rb', image: 'whoami', replicas: 6, publish: ['9801:8080'], labels: { 'swarmlet.rebalance': 'true' } });
  await cluster.waitForConvergence('rb', { timeoutMs: 20_000 });
  const running = async () => (await cluster.tasks({ service: ['rb'] })).filter((x) => x.DesiredState === 'running' && x.Status.State === 'running');
  const onNode3 = async () => (await running()).filter((x) => x.NodeID === node3.ID).length;
  t.equal(await onNode3(), 0, 'nothing on the paused node');

  let finish!: () => void;
  const load = runLoad(`http://${ADDRS[0]}:9801/`, 300, new Promise<void>((r) => { finish = r; }));
  await new Promise((r) => setTimeout(r, 300));
  let fewest = 6;
  try {
    await cluster.updateNode('node-3', { availability: 'active' });
    await until('2 tasks on node-3', async () => {
      const n = (await running()).length;
      fewest = Math.min(fewest, n);
      return (await onNode3()) === 2;
    }, 30_000);
    await cluster.waitForConvergence('rb', { timeoutMs: 20_000 });
  } finally {
    setTimeout(finish, 500);
  }
  const r = await load;
  t.ok(r.sent > 100, `sent ${r.sent} requests`);
  t.equal(r.non2xx + r.errors, 0, `failed requests: ${r.samples.join(' | ')}`);
  t.ok(fewest >= 6, `never fewer than 6 running (fewest seen ${fewest})`);
  const perNode = new Map<string, number>();
  for (const x of await running()) perNode.set(x.NodeID, (perNode.get(x.NodeID) ?? 0) + 1);
  t.same([...perNode.values()].sort(), [2, 2, 2], 'balanced: 2 per node');
  const moved = (await cluster.tasks({ service: ['rb'] })).filter((x) => x.Labels?.['swarmlet.rebalance-to'] === node3.ID);
  t.equal(moved.length, 2, 'two tasks were moved there, by rebalancing');
});
