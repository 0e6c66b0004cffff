/**
 * The VIP address pool as Docker's `swarm init --default-addr-pool … --default-addr-pool-mask-length …`:
 * networks' subnets come from it, GET /swarm shows it (DefaultAddrPool, SubnetSize), the data
 * directory keeps it across a restart, and a pool outside 127.0.0.0/8 is refused before anything starts.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createCluster } from '../../lib/cluster/create-cluster.js';

async function swarm(url: string): Promise<{ DefaultAddrPool: string[]; SubnetSize: number }> {
  const res = await request(`${url}/swarm`);
  if (res.statusCode !== 200) throw new Error(`GET /swarm: HTTP ${res.statusCode}`);
  return await res.body.json() as { DefaultAddrPool: string[]; SubnetSize: number };
}

t.test('a configured pool: subnets from it, shown by GET /swarm, kept across a restart', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'swarmlet-addr-pool-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const opts = { nodes: 1, addresses: ['127.0.0.186'], gateway: false as const, listen: '127.0.0.186:0', dataDir };
  let cluster = await createCluster({ ...opts, defaultAddrPool: ['127.88.0.0/16'], subnetSize: 26 });
  const first = await swarm(cluster.url!);
  t.same([first.DefaultAddrPool, first.SubnetSize], [['127.88.0.0/16'], 26], 'GET /swarm shows the pool');
  cluster.control.networks!.create({ Name: 'n1' });
  t.same(cluster.control.networks!.get('n1').IPAM.Config, [{ Subnet: '127.88.0.0/26', Gateway: '127.88.0.1' }], 'a /26 of the pool');
  // A swarm update (saved beside the pool in cluster.json) keeps the pool.
  const before = await (await request(`${cluster.url}/swarm`)).body.json() as { Version: { Index: number }; Spec: Record<string, unknown> };
  const upd = await request(`${cluster.url}/swarm/update?version=${before.Version.Index}`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...before.Spec, Labels: { team: 'a' } }) });
  t.equal(upd.statusCode, 200, await upd.body.text());
  await cluster.close();

  cluster = await createCluster(opts); // no pool given: the one given before stays
  t.teardown(() => cluster.close());
  const s = await swarm(cluster.url!);
  t.same([s.DefaultAddrPool, s.SubnetSize], [['127.88.0.0/16'], 26], 'kept in the data directory (with the swarm update)');
  cluster.control.networks!.create({ Name: 'n2' });
  t.equal(cluster.control.networks!.get('n2').IPAM.Config[0]!.Subnet, '127.88.0.64/26');
});

t.test('the default pool is 127.77.0.0/16 with /24 subnets', async (t) => {
  const cluster = await createCluster({ nodes: 1, addresses: ['127.0.0.186'], gateway: false, listen: '127.0.0.186:0' });
  t.teardown(() => cluster.close());
  const s = await swarm(cluster.url!);
  t.same([s.DefaultAddrPool, s.SubnetSize], [['127.77.0.0/16'], 24]);
});

t.test('a pool outside 127.0.0.0/8 or a mask shorter than the pool: refused naming the option, nothing written', async (t) => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'swarmlet-addr-pool-')), 'data');
  t.teardown(() => rmSync(join(dataDir, '..'), { recursive: true, force: true }));
  await t.rejects(createCluster({ nodes: 1, gateway: false, dataDir, defaultAddrPool: ['10.0.0.0/8'] }),
    { message: 'invalid defaultAddrPool 10.0.0.0/8: swarmlet\'s virtual IPs live in 127.0.0.0/8 (loopback)' });
  await t.rejects(createCluster({ nodes: 1, gateway: false, dataDir, defaultAddrPool: ['127.88.0.0/16'], subnetSize: 8 }),
    /^invalid subnetSize 8: expected 16-30/);
  t.notOk(existsSync(dataDir) && readdirSync(dataDir).length > 0, 'no data directory content');
});
