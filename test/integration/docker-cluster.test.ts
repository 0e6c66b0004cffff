/**
 * The docker driver in a cluster: tasks are containers on a real engine (the shared test dockerd,
 * images built by `docker import`), published on the nodes' loopback addresses and served by the
 * gateways. create/scale/update/rollback/drain, a missing image, `docker kill`, `service rm`, and
 * a rolling update under load through a gateway with 0 errors. Nodes: 127.0.0.181-183.
 */
import t from 'tap';
import { request } from 'undici';
import { createCluster, type Cluster } from '../../lib/cluster/create-cluster.js';
import type { Task } from '../../lib/model/types.js';
import { TEST_IMAGES, testEngine } from '../fixtures/dockerd.js';
import { runLoad } from '../fixtures/load.js';
import { until } from '../fixtures/up-process.js';

const ADDRS = ['127.0.0.181', '127.0.0.182', '127.0.0.183'];
const PORT = 9181;

const engine = await testEngine(t, 'docker cluster tests');
if (!engine) {
  t.pass('skipped: no Docker engine');
} else {
  const { host, docker } = engine;
  const containersOf = (serviceId: string, all = false) =>
    docker('ps', ...(all ? ['-a'] : []), '-q', '--filter', `label=swarmlet.service.id=${serviceId}`).split('\n').filter(Boolean);
  const body = async (url: string) => { const r = await request(url); return (await r.body.text()).trim(); };
  const runningTasks = async (c: Cluster, name: string): Promise<Task[]> =>
    (await c.tasks({ service: [name], 'desired-state': ['running'] })).filter((x) => x.Status.State === 'running');

  t.test('services as containers', async (t) => {
    const cluster = await createCluster({ addresses: ADDRS, driver: { kind: 'docker', dockerHost: host }, gateway: { adminPort: false } });
    t.teardown(() => cluster.close());
    const nodes = await cluster.nodes();
    t.ok(nodes.every((n) => n.Description.Driver === 'docker'), 'nodes run the docker driver');
    await until('nodes to report the engine\'s images', async () =>
      (await cluster.nodes()).every((n) => n.Description.Images?.includes(TEST_IMAGES.v1)) ? true : undefined);

    const svc = await cluster.createService({
      name: 'web', image: TEST_IMAGES.v1, replicas: 3, publish: [`${PORT}:80`],
      updateParallelism: 1, updateDelay: '0s', updateMonitor: '500ms', stopGracePeriod: '2s',
    });
    await cluster.waitForConvergence('web', { timeoutMs: 60_000 });
    let tasks = await runningTasks(cluster, 'web');
    t.equal(tasks.length, 3, '3 tasks running');
    t.equal(new Set(tasks.map((x) => x.NodeID)).size, 3, 'spread over the 3 nodes');
    t.equal(containersOf(svc.ID).length, 3, '3 containers on the engine');
    for (const x of tasks) {
      t.ok(ADDRS.includes(x.Endpoint!.Addr), `task ${x.Slot} is reached at its node's address, not a bridge IP`);
      t.equal(await body(`http://${x.Endpoint!.Addr}:${x.Endpoint!.Port}/`), 'v1', `task ${x.Slot} answers v1 on its host port`);
    }
    const labels = JSON.parse(docker('inspect', '--format', '{{json .Config.Labels}}', containersOf(svc.ID)[0]!)) as Record<string, string>;
    t.equal(labels['swarmlet.service.id'], svc.ID, 'containers carry the service label');
    t.ok(tasks.some((x) => x.ID === labels['swarmlet.task.id']), 'and their task ID');
    for (const addr of ADDRS) t.equal(await body(`http://${addr}:${PORT}/`), 'v1', `the gateway of ${addr} serves the published port`);

    await cluster.scaleService('web', 5);
    await cluster.waitForConvergence('web', { timeoutMs: 60_000 });
    t.equal(containersOf(svc.ID).length, 5, 'scale 5: 5 containers');
    await cluster.scaleService('web', 3);
    await cluster.waitForConvergence('web', { timeoutMs: 60_000 });
    await until('2 containers to go', async () => (containersOf(svc.ID).length === 3 ? true : undefined));
    t.pass('scale 3: the 2 extra containers are stopped');

    // rolling update under load through a gateway: 0 errors
    let stopLoad!: () => void;
    const load = runLoad(`http://${ADDRS[0]}:${PORT}/`, 100, new Promise<void>((r) => { stopLoad = r; }), 120_000);
    await new Promise((r) => setTimeout(r, 500));
    await cluster.updateService('web', { image: TEST_IMAGES.v2 });
    await until('the update to complete', async () => ((await cluster.service('web')).UpdateStatus?.State === 'completed' ? true : undefined), 90_000);
    await new Promise((r) => setTimeout(r, 300));
    stopLoad();
    const result = await load;
    t.ok(result.sent > 100, `load ran (${result.sent} requests)`);
    t.equal(result.errors, 0, `0 connection errors during the rolling update (${result.sent} sent)`);
    t.equal(result.non2xx, 0, '0 non-2xx during the rolling update');
    tasks = await runningTasks(cluster, 'web');
    t.same((await Promise.all(tasks.map((x) => body(`http://${x.Endpoint!.Addr}:${x.Endpoint!.Port}/`)))).sort(), ['v2', 'v2', 'v2'], 'every task serves v2');

    await cluster.rollbackService('web');
    await until('the rollback to complete', async () => ((await cluster.service('web')).UpdateStatus?.State === 'rollback_completed' ? true : undefined), 90_000);
    tasks = await runningTasks(cluster, 'web');
    t.same((await Promise.all(tasks.map((x) => body(`http://${x.Endpoint!.Addr}:${x.Endpoint!.Port}/`)))).sort(), ['v1', 'v1', 'v1'], 'rolled back: every task serves v1');

    // drain a node: its container goes, the task runs elsewhere
    const drained = nodes[2]!;
    await cluster.updateNode(drained.ID, { availability: 'drain' });
    await until('the drained node to run nothing', async () => {
      const ts = await runningTasks(cluster, 'web');
      return ts.length === 3 && ts.every((x) => x.NodeID !== drained.ID) ? true : undefined;
    }, 60_000);
    await until('the drained node\'s container to go', async () =>
      (docker('ps', '-q', '--filter', `label=swarmlet.node.id=${drained.ID}`) === '' ? true : undefined));
    t.pass('drain: the task moved and its container is gone');
    await cluster.updateNode(drained.ID, { availability: 'active' });

    // docker kill: the restart policy replaces the task
    const victim = (await runningTasks(cluster, 'web'))[0]!;
    const cid = docker('ps', '-q', '--filter', `label=swarmlet.task.id=${victim.ID}`);
    docker('kill', cid);
    const replacement = await until('a replacement task', async () => {
      const ts = await runningTasks(cluster, 'web');
      return ts.length === 3 && !ts.some((x) => x.ID === victim.ID) ? ts.find((x) => x.Slot === victim.Slot) : undefined;
    }, 60_000);
    const killed = (await cluster.tasks({ service: ['web'] })).find((x) => x.ID === victim.ID)!;
    t.equal(killed.Status.State, 'failed', 'the killed task failed');
    t.match(killed.Status.Err ?? '', /exit|signal/, `with the reason (${killed.Status.Err})`);
    t.equal(await body(`http://${replacement.Endpoint!.Addr}:${replacement.Endpoint!.Port}/`), 'v1', 'the replacement serves');

    // service rm: no container left, running or stopped
    await cluster.removeService('web');
    await until('every container of the service to be removed', async () => (containersOf(svc.ID, true).length === 0 ? true : undefined), 60_000);
    t.pass('service rm leaves no container behind');
  });

  t.test('a container that listens late is running only once it serves', async (t) => {
    const cluster = await createCluster({ addresses: ADDRS.slice(0, 1), driver: { kind: 'docker', dockerHost: host }, gateway: false });
    t.teardown(() => cluster.close());
    const created = Date.now();
    await cluster.createService({ name: 'late', image: TEST_IMAGES.v1, replicas: 1, publish: ['9182:80'], stopGracePeriod: '1s',
      command: ['/bin/sh', '-c', 'sleep 2; exec /bin/httpd -f -p 80 -h /www'] });
    const task = await until('the task to run', async () => (await runningTasks(cluster, 'late'))[0], 30_000);
    t.ok(Date.now() - created >= 1900, `not running before the app listens (${Date.now() - created} ms)`);
    t.equal(await body(`http://${task.Endpoint!.Addr}:${task.Endpoint!.Port}/`), 'v1', 'running means it answers (docker-proxy alone does not count)');
    // a service health command runs inside the container (/www exists only there)
    await cluster.createService({ name: 'hc', image: TEST_IMAGES.v1, replicas: 1, stopGracePeriod: '1s',
      healthCmd: 'test -f /www/index.html', healthInterval: '300ms', healthRetries: 2 });
    const healthy = await until('the health-checked task to be healthy', async () => (await runningTasks(cluster, 'hc')).find((x) => x.Status.Health === 'healthy'), 30_000);
    t.ok(healthy, 'healthy by a check that can only pass inside the container');
  });

  t.test('an image no node has: tasks stay pending with the reason, no crash loop', async (t) => {
    const cluster = await createCluster({ addresses: ADDRS.slice(0, 2), driver: { kind: 'docker', dockerHost: host }, gateway: false });
    t.teardown(() => cluster.close());
    await until('nodes to report images', async () => (await cluster.nodes()).every((n) => (n.Description.Images ?? []).length > 0) ? true : undefined);
    await cluster.createService({ name: 'ghost', image: 'swarmlet-test/nope:9', replicas: 2 });
    const pending = await until('pending tasks with a reason', async () => {
      const ts = await cluster.tasks({ service: ['ghost'] });
      return ts.length === 2 && ts.every((x) => x.Status.State === 'pending' && /image/.test(x.Status.Err ?? '')) ? ts : undefined;
    });
    t.match(pending[0]!.Status.Err, /swarmlet-test\/nope:9/, `the reason names the image (${pending[0]!.Status.Err})`);
    await new Promise((r) => setTimeout(r, 1500));
    t.equal((await cluster.tasks({ service: ['ghost'] })).length, 2, 'still 2 tasks: nothing is started and failed over and over');
  });
}
