/**
 * Service-to-service traffic through a VIP loses nothing while the called service changes (issue
 * 15's Done means): a caller on the shared network sends to API_SERVICE_HOST:API_SERVICE_PORT at a
 * fixed rate during a rolling update of api and during a drain of a node running api's tasks; every
 * request is answered 2xx. The VIP's gateway is a child process; the load runs in this process,
 * which also runs the manager (its event loop is busy while the cluster changes).
 * A pool of its own (127.89.0.0/16) keeps this VIP apart from the other test files' VIPs.
 */
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { createCluster, type Cluster } from '../../lib/cluster/create-cluster.js';
import type { Task } from '../../lib/model/types.js';
import { runLoad, type LoadResult } from '../fixtures/load.js';
import { until as waitFor } from '../fixtures/up-process.js';

const ADDRS = ['127.0.0.211', '127.0.0.212', '127.0.0.213'];
const RATE = 150;

/** The shared poll (test/fixtures/up-process.ts) with this file's 40 s default. */
const until = (what: string, fn: () => Promise<boolean>, timeoutMs = 40_000): Promise<unknown> => waitFor(what, fn, timeoutMs, 50);

function envOf(pid: number): Record<string, string> {
  return Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

/** Runs `change` under a fixed-rate load to `url`; the load goes on 500 ms after it. */
async function underLoad(url: string, change: () => Promise<void>): Promise<LoadResult> {
  let finish!: () => void;
  const done = new Promise<void>((r) => { finish = r; });
  const load = runLoad(url, RATE, done, 90_000);
  await new Promise((r) => setTimeout(r, 300));
  try { await change(); } finally { setTimeout(finish, 500); }
  return load;
}

function report(t: Test, r: LoadResult): void {
  t.ok(r.sent > 100, `sent ${r.sent} requests`);
  t.equal(r.non2xx, 0, `non-2xx answers through the VIP: ${r.samples.join(' | ')}`);
  t.equal(r.errors, 0, `failed requests through the VIP: ${r.samples.join(' | ')}`);
  t.comment(`sent ${r.sent}, ok ${r.ok}`);
}

const running = async (cluster: Cluster, name: string): Promise<Task[]> =>
  (await cluster.tasks({ service: [name] })).filter((x) => x.DesiredState === 'running' && x.Status.State === 'running');

t.test('calls through the VIP: 0 failed requests during a rolling update and a node drain of the called service', async (t) => {
  const cluster = await createCluster({ nodes: 3, addresses: ADDRS, gateway: { adminPort: false }, defaultAddrPool: ['127.89.0.0/16'] });
  t.teardown(() => cluster.close());
  cluster.control.networks!.create({ Name: 'backend' });
  await cluster.createService({ name: 'api', image: 'whoami:1', replicas: 3, networks: ['backend'],
    updateParallelism: 1, updateDelay: '200ms', stopGracePeriod: '5s' });
  await cluster.createService({ name: 'caller', image: 'whoami:1', replicas: 1, networks: ['backend'] });
  await cluster.waitForConvergence('api', { timeoutMs: 30_000 });
  await until('caller running', async () => (await running(cluster, 'caller')).length === 1);

  // Where the caller reaches api: its discovery variables name the VIP.
  const caller = (await running(cluster, 'caller'))[0]!;
  const env = envOf(caller.Status.ContainerStatus!.PID!);
  t.equal(env.API_SERVICE_HOST, '127.89.0.2', 'the VIP comes from the configured pool');
  const url = `http://${env.API_SERVICE_HOST}:${env.API_SERVICE_PORT}/`;
  await until('the VIP answers', async () => (await fetch(url)).status === 200);

  await t.test('rolling update of api (stop-first, one at a time)', async (t) => {
    const r = await underLoad(url, async () => {
      await cluster.updateService('api', { image: 'whoami:2' });
      await cluster.waitForConvergence('api', { timeoutMs: 60_000 });
    });
    report(t, r);
    t.equal((await cluster.service('api')).UpdateStatus?.State, 'completed');
    const body = await (await fetch(url, { headers: { accept: 'application/json' } })).json() as { image?: string; tag?: string };
    t.match(String(body.image ?? body.tag ?? ''), /2/, 'api answers from whoami:2 through the VIP');
  });

  await t.test('drain of a node running an api task', async (t) => {
    const before = await running(cluster, 'api');
    const victimNode = before[0]!.NodeID;
    const onVictim = before.filter((x) => x.NodeID === victimNode).length;
    t.ok(onVictim >= 1, `the drained node runs ${onVictim} api task(s)`);
    const r = await underLoad(url, async () => {
      await cluster.updateNode(victimNode, { availability: 'drain' });
      await until('api drained off the node', async () => {
        const now = await running(cluster, 'api');
        return now.length === 3 && now.every((x) => x.NodeID !== victimNode);
      });
    });
    report(t, r);
    await cluster.updateNode(victimNode, { availability: 'active' });
  });
});
