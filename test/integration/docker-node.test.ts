/**
 * A `swarmlet node join --driver docker` process: its containers outlive a kill -9 of the node
 * process and are adopted when it comes back (same task IDs, same containers); in a cluster with a
 * process-driver node too, each task goes where its image exists for the node's driver.
 * Manager in this process; nodes 127.0.0.185 (docker, a child process) and 127.0.0.186 (process).
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createCluster } from '../../lib/cluster/create-cluster.js';
import { runNode } from '../../lib/node/run-node.js';
import type { Task } from '../../lib/model/types.js';
import { TEST_IMAGES, testEngine } from '../fixtures/dockerd.js';
import { until } from '../fixtures/up-process.js';
import { swarmletArgs } from '../fixtures/swarmlet-command.js';

const ROOT = new URL('../../', import.meta.url).pathname;

const engine = await testEngine(t, 'docker node tests');
if (!engine) {
  t.pass('skipped: no Docker engine');
} else {
  const { host, docker } = engine;
  const containersOf = (serviceId: string, all = false) =>
    docker('ps', ...(all ? ['-a'] : []), '-q', '--no-trunc', '--filter', `label=swarmlet.service.id=${serviceId}`).split('\n').filter(Boolean).sort();
  const body = async (x: Task) => { const r = await request(`http://${x.Endpoint!.Addr}:${x.Endpoint!.Port}/`); return (await r.body.text()).trim(); };

  t.test('docker node process: kill -9, restart, containers adopted', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'swarmlet-dnode-'));
    const cluster = await createCluster({ nodes: 0, dataDir: join(dir, 'manager'), listen: '127.0.0.1:0', gateway: false, dispatcher: { heartbeatMs: 1000 } });
    const children: ChildProcess[] = [];
    const closers: Array<() => Promise<void>> = [];
    t.teardown(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      for (const c of closers) await c().catch(() => undefined);
      await cluster.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const token = (await (await request(`${cluster.url}/swarmlet/v1/join-token/worker`)).body.json() as { Token: string }).Token;
    const startDockerNode = () => {
      const child = spawn(process.execPath, swarmletArgs('node', 'join', '--manager', cluster.url!, '--token', token,
        '--address', '127.0.0.185', '--hostname', 'dn-docker', '--driver', 'docker', '--docker-host', host, '--state', join(dir, 'dn-docker'),
        '--no-gateway'), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
      child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
      children.push(child);
      return Object.assign(child, { out: () => out });
    };
    let node = startDockerNode();
    const proc = await runNode({ manager: cluster.url!, token, address: '127.0.0.186', hostname: 'dn-process', stateDir: join(dir, 'dn-process'), noGateway: true });
    closers.push(() => proc.close());
    const nodes = await until('both nodes ready with their drivers', async () => {
      const ns = await cluster.nodes();
      const d = ns.find((n) => n.Description.Hostname === 'dn-docker');
      const p = ns.find((n) => n.Description.Hostname === 'dn-process');
      return d?.Status.State === 'ready' && d.Description.Images?.includes(TEST_IMAGES.v1) && p?.Status.State === 'ready' ? { d, p } : undefined;
    });
    t.equal(nodes.d.Description.Driver, 'docker');
    t.equal(nodes.p.Description.Driver, 'process');

    const web = await cluster.createService({ name: 'dweb', image: TEST_IMAGES.v1, replicas: 2, publish: ['9185:80'],
      command: ['/bin/sh', '-c', 'echo "started dweb"; exec /bin/httpd -f -v -p 80 -h /www'] });
    const who = await cluster.createService({ name: 'dwho', image: 'whoami', replicas: 2, publish: ['9186:8080'] });
    await cluster.waitForConvergence('dweb', { timeoutMs: 60_000 });
    await cluster.waitForConvergence('dwho', { timeoutMs: 60_000 });
    const before = (await cluster.tasks({ service: ['dweb'], 'desired-state': ['running'] })).sort((a, b) => a.Slot - b.Slot);
    t.ok(before.every((x) => x.NodeID === nodes.d.ID), 'the docker image\'s tasks run on the docker node only');
    t.ok((await cluster.tasks({ service: ['dwho'], 'desired-state': ['running'] })).every((x) => x.NodeID === nodes.p.ID), 'whoami (catalog image) runs on the process node only');
    const containers = containersOf(web.ID);
    t.equal(containers.length, 2, '2 containers');

    node.kill('SIGKILL');
    await new Promise((r) => node.once('exit', r));
    t.same(containersOf(web.ID), containers, 'the containers outlive their node process');
    for (const x of before) t.equal(await body(x), 'v1', `task ${x.Slot} still serves while its agent is down`);

    node = startDockerNode();
    await until('the node to be back', async () => ((await cluster.nodes()).find((n) => n.ID === nodes.d.ID)?.Status.State === 'ready' ? true : undefined));
    await new Promise((r) => setTimeout(r, 2500));
    const after = (await cluster.tasks({ service: ['dweb'], 'desired-state': ['running'] })).sort((a, b) => a.Slot - b.Slot);
    t.same(after.map((x) => x.ID), before.map((x) => x.ID), `same task IDs after the restart (${node.out().slice(0, 200)})`);
    t.ok(after.every((x) => x.Status.State === 'running'), 'still running');
    t.same(containersOf(web.ID), containers, 'the same containers: adopted, not restarted');
    t.same(after.map((x) => x.Endpoint), before.map((x) => x.Endpoint), 'same endpoints');

    // logs of a container task come up the node's session from the Docker API
    const lines: Array<{ text: string; taskId: string; stream: string }> = [];
    for await (const e of cluster.logs(web.ID)) lines.push(e);
    for (const x of before) {
      t.ok(lines.some((l) => l.taskId === x.ID && l.stream === 'stdout' && l.text === 'started dweb'), `task ${x.Slot}: its stdout came up from the node (${lines.length} lines)`);
      t.ok(lines.some((l) => l.taskId === x.ID && l.stream === 'stderr' && /response:200/.test(l.text)), `task ${x.Slot}: its stderr (httpd -v) too`);
    }

    await cluster.removeService('dweb');
    await cluster.removeService(who.ID);
    await until('no container left', async () => (containersOf(web.ID, true).length === 0 ? true : undefined), 60_000);
    t.pass('service rm: no container left');
  });
}
