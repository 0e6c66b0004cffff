import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createCluster, type Cluster } from '../../lib/index.js';
import type { Task } from '../../lib/model/types.js';

async function until<T>(what: string, fn: () => Promise<T | undefined | boolean> | T | undefined | boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const running = (tasks: Task[]) => tasks.filter((x) => x.DesiredState === 'running' && x.Status.State === 'running');

function perNode(tasks: Task[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of running(tasks)) m.set(x.NodeID, (m.get(x.NodeID) ?? 0) + 1);
  return m;
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

t.test('a local cluster runs, scales, drains and restarts services', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'swarmlet-it-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  let cluster: Cluster = await createCluster({ nodes: 3, dataDir, addresses: ['127.0.0.11', '127.0.0.12', '127.0.0.13'] });
  t.teardown(() => cluster.close());
  const nodes = await cluster.nodes();
  const [n1, n2, n3] = nodes.map((n) => n.ID) as [string, string, string];
  const pids = new Set<number>();
  const track = (tasks: Task[]) => { for (const x of tasks) if (x.Status.ContainerStatus?.PID) pids.add(x.Status.ContainerStatus.PID); };

  await t.test('create: 3 replicas spread 1/1/1 and each answers on its endpoint', async (t) => {
    await cluster.createService({ name: 'toms', image: 'whoami', replicas: 3, publish: ['9000:8080'] });
    await cluster.waitForConvergence('toms', { timeoutMs: 20_000 });
    const tasks = await cluster.tasks({ service: ['toms'] });
    track(tasks);
    t.same([...perNode(tasks).values()].sort(), [1, 1, 1]);
    for (const x of running(tasks)) {
      t.ok(x.Endpoint, 'task has an endpoint');
      const res = await request(`http://${x.Endpoint!.Addr}:${x.Endpoint!.Port}/`, { headers: { accept: 'application/json' } });
      const body = await res.body.json() as { task: string; taskId: string };
      t.equal(body.task, `toms.${x.Slot}`);
      t.equal(body.taskId, x.ID);
    }
  });

  await t.test('scale to 7: no node holds more than 3', async (t) => {
    await cluster.scaleService('toms', 7);
    await cluster.waitForConvergence('toms');
    const tasks = await cluster.tasks({ service: ['toms'] });
    track(tasks);
    t.equal(running(tasks).length, 7);
    t.ok(Math.max(...perNode(tasks).values()) <= 3);
    t.same(running(tasks).map((x) => x.Slot).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7]);
  });

  await t.test('drain node-3: same slots, new IDs, elsewhere', async (t) => {
    const before = running(await cluster.tasks({ service: ['toms'] })).filter((x) => x.NodeID === n3);
    await cluster.updateNode(n3, { availability: 'drain' });
    await until('drain', async () => {
      const now = await cluster.tasks({ service: ['toms'] });
      return running(now).length === 7 && running(now).every((x) => x.NodeID !== n3) ? now : undefined;
    });
    const after = running(await cluster.tasks({ service: ['toms'] }));
    track(after);
    for (const old of before) {
      const repl = after.find((x) => x.Slot === old.Slot)!;
      t.ok(repl, `slot ${old.Slot} still served`);
      t.not(repl.ID, old.ID, 'replacement has a new ID');
    }
    const old = await until('drained tasks stopped', async () => {
      const list = await cluster.tasks({ node: [n3], service: ['toms'] });
      return list.every((x) => x.Status.State === 'shutdown') ? list : undefined;
    });
    t.ok(old.every((x) => x.DesiredState === 'shutdown'), 'drained tasks are shut down');
  });

  await t.test('pause node-2 and reactivate node-3: scale-up lands on node-1 and node-3 only', async (t) => {
    await cluster.updateNode(n2, { availability: 'pause' });
    await cluster.updateNode(n3, { availability: 'active' });
    const onN2 = running(await cluster.tasks({ service: ['toms'] })).filter((x) => x.NodeID === n2).length;
    await cluster.scaleService('toms', 9);
    await cluster.waitForConvergence('toms');
    const tasks = running(await cluster.tasks({ service: ['toms'] }));
    track(tasks);
    t.equal(tasks.filter((x) => x.NodeID === n2).length, onN2, 'paused node kept its tasks and got no new one');
    t.equal(tasks.length, 9);
    await cluster.updateNode(n2, { availability: 'active' });
  });

  await t.test('global service: one task per node; scale refused', async (t) => {
    await cluster.createService({ name: 'g', image: 'whoami', mode: 'global', publish: ['9100:8080'] });
    await cluster.waitForConvergence('g');
    const tasks = running(await cluster.tasks({ service: ['g'] }));
    track(tasks);
    t.same(tasks.map((x) => x.NodeID).sort(), [n1, n2, n3].sort());
    await t.rejects(cluster.scaleService('g', 3), /scale can only be used with replicated or replicated-job mode/);
  });

  await t.test('restart with the same data dir brings every service back', async (t) => {
    const before = (await cluster.services()).map((s) => s.Spec.Name).sort();
    await cluster.close();
    t.ok([...pids].every((p) => !alive(p)), 'no task process outlives close()');
    cluster = await createCluster({ nodes: 3, dataDir, addresses: ['127.0.0.11', '127.0.0.12', '127.0.0.13'] });
    t.same((await cluster.services()).map((s) => s.Spec.Name).sort(), before);
    await cluster.waitForConvergence('toms', { timeoutMs: 20_000 });
    await cluster.waitForConvergence('g', { timeoutMs: 20_000 });
    t.equal(running(await cluster.tasks({ service: ['toms'] })).length, 9);
  });

  await t.test('remove: tasks stop and are reaped', async (t) => {
    const id = (await cluster.service('toms')).ID;
    t.ok((await cluster.tasks()).some((x) => x.ServiceID === id));
    await cluster.removeService('toms');
    await until('reaped', async () => (await cluster.tasks()).every((x) => x.ServiceID !== id) || undefined);
    await t.rejects(cluster.service('toms'), /service toms not found/);
  });
});
