/**
 * A node joined with runNode (`swarmlet node join`) serves the services' virtual IPs: a manager
 * without VIP gateways of its own (`gateway: false`, as `swarmlet manager`), a service on a network,
 * and a request to its VIP is answered by its task through the joined node's VIP gateway child.
 * A second joined node on the same machine binds the same VIP:port: its gateway gets EADDRINUSE,
 * breaks nothing, holds up no drain, and takes the VIP over when the first node goes away.
 * The VIP gateway goes when the service is removed.
 * Nodes on 127.0.0.236-237; a pool of its own (127.93.0.0/16) keeps its VIP apart from other files'.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createCluster } from '../../lib/cluster/create-cluster.js';
import { runNode, type NodeProcess } from '../../lib/node/run-node.js';
import { until } from '../fixtures/up-process.js';

async function get(url: string): Promise<{ status: number; body: string }> {
  const r = await request(url, { headersTimeout: 5_000, bodyTimeout: 5_000 });
  return { status: r.statusCode, body: await r.body.text() };
}

t.test('a joined node serves the VIPs; a second node on the same machine gets EADDRINUSE harmlessly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-nodevip-'));
  const cluster = await createCluster({ nodes: 0, dataDir: join(dir, 'manager'), listen: '127.0.0.1:0', gateway: false,
    dispatcher: { heartbeatMs: 500 }, defaultAddrPool: ['127.93.0.0/16'] });
  const nodes: NodeProcess[] = [];
  t.teardown(async () => {
    for (const n of nodes) await n.close().catch(() => undefined);
    await cluster.close();
    rmSync(dir, { recursive: true, force: true });
  });
  t.equal(cluster.vipGateways, undefined, 'the manager serves no VIP itself');
  const token = (await (await request(`${cluster.url}/swarmlet/v1/join-token/worker`)).body.json() as { Token: string }).Token;
  const join1 = (n: number) => runNode({ manager: cluster.url!, token, address: `127.0.0.23${n}`, hostname: `vipnode-${n}`,
    dataDir: join(dir, `node-${n}`), gateway: { adminPort: false } });
  const a = await join1(6);
  nodes.push(a);
  await until('node a ready', async () => (await cluster.nodes()).some((n) => n.ID === a.nodeId && n.Status.State === 'ready'));

  cluster.control.networks!.create({ Name: 'vipnet' });
  await cluster.createService({ name: 'vapi', image: 'whoami:1', replicas: 1, networks: ['vipnet'] });
  await cluster.waitForConvergence('vapi', { timeoutMs: 30_000 });
  const vip = await until('the VIP in the endpoint table', () => {
    const s = cluster.feed.current().services.find((x) => x.name === 'vapi');
    const v = s?.vips?.[0];
    return v && v.ports.length > 0 ? { addr: v.addr, port: v.ports[0]! } : undefined;
  });
  t.match(vip.addr, /^127\.93\./, 'the VIP comes from the pool');
  const url = `http://${vip.addr}:${vip.port}/`;
  const [task] = (await cluster.tasks({ service: ['vapi'] })).filter((x) => x.Status.State === 'running');

  await t.test('the joined node answers on the VIP', async (t) => {
    await until('node a\'s VIP gateway listens', () => a.vipGateways!.ports(vip.addr).includes(vip.port), 30_000);
    const r = await until('the VIP answers', async () => { const x = await get(url); return x.status === 200 ? x : undefined; }, 20_000);
    t.equal(r.status, 200);
    t.match(r.body, task!.ID.slice(0, 12), 'answered by the service\'s task');
    const id = `vip.${a.nodeId}.${vip.addr}`;
    await until('node a\'s VIP gateway acks the current version', () => (cluster.feed.gateways().get(id) ?? -1) >= cluster.feed.current().version);
    t.pass('it is in the drain barrier under its own ID');
    t.same([...cluster.feed.gateways().keys()].sort(), [a.nodeId, id].sort(),
      'the barrier holds the node gateway and the VIP gateway only (the node\'s observer stream is not in it)');
  });

  await t.test('a second node on this machine: EADDRINUSE breaks nothing and holds up no drain', async (t) => {
    const b = await join1(7);
    nodes.push(b);
    await until('node b ready', async () => (await cluster.nodes()).some((n) => n.ID === b.nodeId && n.Status.State === 'ready'));
    await until('node b runs a VIP gateway child', () => b.vipGateways!.pid(vip.addr) !== undefined, 30_000);
    // A table change reaches both children: b's reports no port (a holds it), and acks all the same.
    await cluster.scaleService('vapi', 2);
    await cluster.waitForConvergence('vapi', { timeoutMs: 30_000 });
    const bid = `vip.${b.nodeId}.${vip.addr}`;
    await until('node b\'s VIP gateway acks the current version', () => (cluster.feed.gateways().get(bid) ?? -1) >= cluster.feed.current().version, 20_000);
    t.same(b.vipGateways!.ports(vip.addr), [], 'node b\'s VIP gateway does not listen: node a holds the VIP');
    t.same(a.vipGateways!.ports(vip.addr), [vip.port], 'node a still serves it');
    const started = Date.now();
    t.equal(await cluster.feed.drained('no-such-task'), true, 'a drain is confirmed by every gateway');
    t.ok(Date.now() - started < 3_000, `without waiting for the drain timeout (${Date.now() - started} ms)`);
    for (let i = 0; i < 5; i++) t.equal((await get(url)).status, 200, `request ${i + 1} through the VIP`);

    // Node a goes away: node b's gateway takes the VIP over (its bind is retried every 3 s).
    await a.close();
    nodes.splice(nodes.indexOf(a), 1);
    await until('node b serves the VIP', async () => (await get(url)).status === 200 && b.vipGateways!.ports(vip.addr).includes(vip.port), 40_000);
    t.pass('the VIP stays served on this machine');
  });

  await t.test('the VIP gateway goes with the service', async (t) => {
    const b = nodes[0]!;
    await cluster.removeService('vapi');
    await until('node b\'s VIP gateway stopped', () => b.vipGateways!.addresses().length === 0, 20_000);
    const err = await until('the VIP no longer answers', () => get(url).then(() => undefined, (e: Error & { code?: string }) => e), 10_000);
    t.ok(err, `nothing listens on ${url} (${err.code ?? err.message})`);
    t.notOk([...cluster.feed.gateways().keys()].some((k) => k.startsWith('vip.')), 'no VIP gateway left in the drain barrier');
  });
});
