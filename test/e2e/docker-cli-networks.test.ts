/**
 * `docker network create -d overlay/ls/inspect/rm` and `docker service create --network`,
 * `service update --network-rm` with the stock docker CLI against `swarmlet up`: the service gets a
 * VIP on the network, a task on the same network reaches it by `<NAME>_SERVICE_HOST/PORT`.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import type { Service, Task } from '../../lib/model/types.js';
import { dockerAvailable, dockerSession, lines } from '../fixtures/docker-cli.js';
import { getJson, parseTable, until } from '../fixtures/up-process.js';

const skip = dockerAvailable() ? false : 'docker CLI not on PATH: the docker 28.x client drives this suite';

function envOf(pid: number): Record<string, string> {
  return Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

t.test('docker network and service --network against swarmlet', { skip }, async (t) => {
  t.setTimeout(180_000);
  const { up, docker } = await dockerSession(t);
  const created = await docker.run('network', 'create', '-d', 'overlay', '--attachable', '--label', 'tier=back', 'net1');
  t.equal(created.code, 0, created.stderr);
  const id = created.stdout.trim();
  t.match(id, /^[0-9a-z]{25}$/);
  const dup = await docker.run('network', 'create', '-d', 'overlay', 'net1');
  t.equal(dup.code, 1);
  t.match(dup.stderr, /network with name net1 already exists/);
  const ls = await docker.run('network', 'ls');
  t.equal(ls.code, 0, ls.stderr);
  t.same(parseTable(ls.stdout).map((r) => [r.NAME, r.DRIVER, r.SCOPE]), [['net1', 'overlay', 'swarm']]);
  t.same(lines((await docker.run('network', 'ls', '--filter', 'label=tier=back', '-q')).stdout), [id.slice(0, 12)]);
  const inspect = await docker.run('network', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Attachable}} {{(index .IPAM.Config 0).Subnet}}', 'net1');
  t.equal(inspect.code, 0, inspect.stderr);
  t.same(lines(inspect.stdout), ['net1 overlay true 127.77.0.0/24']);

  for (const [name, extra] of [['api', ['-p', '9000:8080']], ['web', []]] as const) {
    const r = await docker.run('service', 'create', '-d', '--name', name, '--network', 'net1', ...extra, 'whoami:1');
    t.equal(r.code, 0, r.stderr);
  }
  const api = await getJson<Service>(up.url, '/services/api');
  t.same(api.Endpoint.VirtualIPs, [{ NetworkID: id, Addr: '127.77.0.2/24' }]);
  const vip = await docker.run('service', 'inspect', '-f', '{{(index .Endpoint.VirtualIPs 0).Addr}}', 'api');
  t.same(lines(vip.stdout), ['127.77.0.2/24'], 'docker shows the VIP');
  const web = await until('the web task', async () => (await getJson<Task[]>(up.url, '/tasks?filters=' + encodeURIComponent('{"service":["web"]}')))
    .find((x) => x.Status.State === 'running' && x.Status.ContainerStatus?.PID));
  const env = envOf(web.Status.ContainerStatus!.PID!);
  t.equal(env.API_SERVICE_HOST, '127.77.0.2');
  t.equal(env.API_SERVICE_PORT, '8080');
  const body = await until('api through its VIP', async () => {
    const res = await request(`http://${env.API_SERVICE_HOST}:${env.API_SERVICE_PORT}/`).catch(() => undefined);
    return res && res.statusCode === 200 ? res.body.text() : undefined;
  });
  t.match(body, /api\.\d/, 'an api task answers');

  const inUse = await docker.run('network', 'rm', 'net1');
  t.equal(inUse.code, 1);
  t.match(inUse.stderr, /network net1 is in use by service (api|web)/);
  for (const s of ['api', 'web']) t.equal((await docker.run('service', 'update', '-d', '--network-rm', 'net1', s)).code, 0);
  t.same((await getJson<Service>(up.url, '/services/api')).Endpoint.VirtualIPs, undefined, 'detached: no VIP');
  const rm = await docker.run('network', 'rm', 'net1');
  t.equal(rm.code, 0, rm.stderr);
  t.same(parseTable((await docker.run('network', 'ls')).stdout), []);
});
