import t, { type Test } from 'tap';
import { createCluster, type Cluster } from '../../lib/index.js';
import { runLoad, type LoadResult } from '../fixtures/load.js';

const ADDRS = ['127.0.0.71', '127.0.0.72', '127.0.0.73'];
const RATE = 300;

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `change` under a fixed-rate load through node-1's gateway; the load stops 500 ms after it. */
async function underLoad(port: number, change: () => Promise<void>): Promise<LoadResult> {
  let finish!: () => void;
  const done = new Promise<void>((r) => { finish = r; });
  const load = runLoad(`http://${ADDRS[0]}:${port}/`, RATE, done);
  await new Promise((r) => setTimeout(r, 300));
  try { await change(); } finally { setTimeout(finish, 500); }
  return load;
}

function report(t: Test, r: LoadResult): void {
  t.ok(r.sent > 100, `sent ${r.sent} requests`);
  t.equal(r.non2xx, 0, `non-2xx responses: ${r.samples.join(' | ')}`);
  t.equal(r.errors, 0, `connection errors: ${r.samples.join(' | ')}`);
  t.comment(`sent ${r.sent}, ok ${r.ok}, spread ${JSON.stringify(Object.fromEntries(r.byTask))}`);
}

t.test('zero dropped requests under change, at a fixed 300 req/s', async (t) => {
  const cluster: Cluster = await createCluster({ nodes: 3, addresses: ADDRS, gateway: { adminPort: false } });
  t.teardown(() => cluster.close());
  const running = async (name: string) => (await cluster.tasks({ service: [name] })).filter((x) => x.DesiredState === 'running' && x.Status.State === 'running');

  for (const order of ['stop-first', 'start-first'] as const) {
    await t.test(`rolling update of 6 replicas, ${order}`, async (t) => {
      const name = `ru-${order}`;
      const port = order === 'stop-first' ? 9701 : 9702;
      await cluster.createService({ name, image: 'whoami:1', replicas: 6, publish: [`${port}:8080`], updateOrder: order, updateParallelism: 2, updateMonitor: '300ms', stopGracePeriod: '5s' });
      await cluster.waitForConvergence(name, { timeoutMs: 20_000 });
      const r = await underLoad(port, async () => {
        await cluster.updateService(name, { image: 'whoami:2' });
        await cluster.waitForConvergence(name, { timeoutMs: 40_000 });
      });
      report(t, r);
      t.equal((await cluster.service(name)).UpdateStatus?.State, 'completed');
    });
  }

  await t.test('drain of a node with 2 tasks', async (t) => {
    await cluster.createService({ name: 'dr', image: 'whoami', replicas: 6, publish: ['9703:8080'] });
    await cluster.waitForConvergence('dr', { timeoutMs: 20_000 });
    const node3 = (await cluster.nodes()).find((n) => n.Description.Hostname === 'node-3')!;
    t.equal((await running('dr')).filter((x) => x.NodeID === node3.ID).length, 2);
    const r = await underLoad(9703, async () => {
      await cluster.updateNode('node-3', { availability: 'drain' });
      await until('drained', async () => {
        const tasks = await running('dr');
        return tasks.length === 6 && tasks.every((x) => x.NodeID !== node3.ID);
      });
    });
    report(t, r);
    await cluster.updateNode('node-3', { availability: 'active' });
  });

  await t.test('scale down from 6 to 2', async (t) => {
    await cluster.createService({ name: 'sd', image: 'whoami', replicas: 6, publish: ['9704:8080'] });
    await cluster.waitForConvergence('sd', { timeoutMs: 20_000 });
    const r = await underLoad(9704, async () => {
      await cluster.scaleService('sd', 2);
      await until('scaled down', async () => (await cluster.tasks({ service: ['sd'] })).filter((x) => x.Status.State === 'running').length === 2);
    });
    report(t, r);
  });

  await t.test('kill -9 of a task', async (t) => {
    await cluster.createService({ name: 'k9', image: 'whoami', replicas: 3, publish: ['9705:8080'], restartDelay: '200ms' });
    await cluster.waitForConvergence('k9', { timeoutMs: 20_000 });
    const victim = (await running('k9'))[0]!;
    const r = await underLoad(9705, async () => {
      process.kill(victim.Status.ContainerStatus!.PID!, 'SIGKILL');
      await until('replaced', async () => (await running('k9')).length === 3 && !(await running('k9')).some((x) => x.ID === victim.ID));
      await new Promise((res) => setTimeout(res, 500));
    });
    report(t, r);
  });
});
