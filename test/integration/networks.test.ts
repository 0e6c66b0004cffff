/**
 * Networks and service discovery on a local cluster: services on a shared network get each other's
 * `<NAME>_SERVICE_HOST/PORT` (VIPs from 127.77.0.0/16) and reach each other through the VIP, served
 * by a gateway that balances over the called service's tasks; a service on no shared network sees
 * nothing; a rolling update of the called service keeps 0 failed requests through the VIP; the
 * network cannot be removed while in use.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { createCluster } from '../../lib/cluster/create-cluster.js';
import type { Task } from '../../lib/model/types.js';
import { until as waitFor } from '../fixtures/up-process.js';

/** The shared poll (test/fixtures/up-process.ts) with this file's 30 s default. */
const until = <T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> => waitFor(what, fn, timeoutMs, 50);

function envOf(pid: number): Record<string, string> {
  return Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

const runningOf = (tasks: Task[]) => tasks.filter((x) => x.DesiredState === 'running' && x.Status.State === 'running' && x.Endpoint);

async function whoami(url: string): Promise<{ taskId: string; image: string }> {
  const res = await request(url, { headers: { accept: 'application/json' } });
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
  const body = await res.body.json() as { taskId: string; image?: string; tag?: string };
  return { taskId: body.taskId, image: String(body.image ?? body.tag ?? '') };
}

t.test('services on a shared network reach each other by VIP; others see nothing', async (t) => {
  const cluster = await createCluster({ nodes: 2, addresses: ['127.0.0.181', '127.0.0.182'], gateway: { adminPort: false } });
  t.teardown(() => cluster.close());
  const net = cluster.control.networks!.create({ Name: 'net1', Driver: 'overlay', Attachable: true, Labels: { a: 'b' } });
  t.throws(() => cluster.control.networks!.create({ Name: 'net1' }), /^network with name net1 already exists$/);
  const n = cluster.control.networks!.get('net1');
  t.equal(n.Id, net.Id);
  t.same(n.IPAM.Config, [{ Subnet: '127.77.0.0/24', Gateway: '127.77.0.1' }], 'the first /24 of the pool');
  t.equal(cluster.control.networks!.create({ Name: 'net2' }) && cluster.control.networks!.get('net2').IPAM.Config[0]!.Subnet, '127.77.1.0/24');

  await cluster.createService({ name: 'api', image: 'whoami:1', replicas: 2, publish: ['9181:8080'], networks: ['name=net1,alias=backend'], updateOrder: 'start-first', updateDelay: '200ms' });
  await cluster.createService({ name: 'web-app', image: 'whoami:1', replicas: 1, networks: ['net1'] });
  await cluster.createService({ name: 'lonely', image: 'whoami:1', replicas: 1, networks: ['net2'] });
  await cluster.createService({ name: 'plain', image: 'whoami:1', replicas: 1 });
  const api = await cluster.service('api');
  t.same(api.Endpoint.VirtualIPs, [{ NetworkID: net.Id, Addr: '127.77.0.2/24' }], 'a VIP from net1\'s subnet');
  t.same((await cluster.service('web-app')).Endpoint.VirtualIPs, [{ NetworkID: net.Id, Addr: '127.77.0.3/24' }]);
  t.same((await cluster.service('plain')).Endpoint.VirtualIPs, undefined, 'no network, no VIP');
  t.same(api.Spec.TaskTemplate.Networks, [{ Target: net.Id, Aliases: ['backend'] }], 'the target is stored as the ID');

  const taskOf = (name: string) => until(`${name} running`, async () => runningOf(await cluster.tasks({ service: [name] }))[0]);
  const web = await taskOf('web-app');
  await until('api x2', async () => (runningOf(await cluster.tasks({ service: ['api'] })).length === 2 ? true : undefined));
  const env = envOf(web.Status.ContainerStatus!.PID!);
  t.equal(env.API_SERVICE_HOST, '127.77.0.2');
  t.equal(env.API_SERVICE_PORT, '8080');
  t.equal(env.BACKEND_SERVICE_HOST, '127.77.0.2', 'an alias gets its own variables');
  t.equal(env.WEB_APP_SERVICE_HOST, '127.77.0.3', 'its own service too, other characters as _');
  t.notOk('LONELY_SERVICE_HOST' in env, 'a service on another network is not seen');
  const lonelyEnv = envOf((await taskOf('lonely')).Status.ContainerStatus!.PID!);
  t.notOk('API_SERVICE_HOST' in lonelyEnv, 'nor does it see api');
  t.notOk(Object.keys(envOf((await taskOf('plain')).Status.ContainerStatus!.PID!)).some((k) => k.endsWith('_SERVICE_HOST')), 'no network: no variables');

  const vipUrl = `http://${env.API_SERVICE_HOST}:${env.API_SERVICE_PORT}/`;
  const seen = new Set<string>();
  await until('both api tasks answer through the VIP', async () => { seen.add((await whoami(vipUrl)).taskId); return seen.size === 2 ? true : undefined; });
  t.pass('round-robin over both api tasks through the VIP');

  t.throws(() => cluster.control.networks!.remove('net1'), /^network net1 is in use by service api$/);

  // A rolling update of api under a steady load through the VIP: no failed request.
  let failures = 0;
  let ok = 0;
  let stop = false;
  const load = (async () => {
    const deadline = Date.now() + 60_000;
    while (!stop && Date.now() < deadline) {
      try { await whoami(vipUrl); ok++; } catch { failures++; }
    }
  })();
  await cluster.updateService('api', { image: 'whoami:2' });
  await cluster.waitForConvergence('api', { timeoutMs: 40_000 }).catch(async (e: Error) => {
    const tasks = await cluster.tasks({ service: ['api'] });
    throw new Error(`${e.message}: ${JSON.stringify(tasks.map((x) => [x.Spec.ContainerSpec.Image, x.DesiredState, x.Status.State, x.Status.Err]))}`);
  });
  await until('api answers from whoami:2', async () => ((await whoami(vipUrl)).image.includes('2') ? true : undefined));
  stop = true;
  await load;
  t.ok(ok > 20, `requests went through during the update (${ok})`);
  t.equal(failures, 0, 'no failed request through the VIP during the rolling update');

  await cluster.removeService('api');
  await cluster.removeService('web-app');
  cluster.control.networks!.remove('net1');
  t.same(cluster.control.networks!.list().map((x) => x.Name), ['net2']);
});
