import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createGateway } from '../../gateway/index.js';
import { FakeEndpointSource, endpoint, route } from '../fixtures/fake-endpoint-source.js';
import { refusedPort, startUpstream } from '../fixtures/upstream-servers.js';

const GW = '127.0.0.54';
const PORT = 18400;
const noPromtool = spawnSync('promtool', ['--version']).error !== undefined && 'promtool is not installed (apt-get install prometheus)';

t.test('admin address: /healthz and /metrics (promtool-clean), never on a published port', async (t) => {
  const u = await startUpstream('127.0.0.51', 'u1');
  t.teardown(() => u.close());
  const dead = await refusedPort('127.0.0.52');
  const source = new FakeEndpointSource([route('web', PORT, [
    endpoint(u.host, u.port, { taskId: 'task-u1', slot: 1 }),
    endpoint('127.0.0.52', dead, { taskId: 'task-dead', slot: 2 }),
  ])]);
  const gw = createGateway({ id: 'node-1', nodeId: 'node-1', hostname: 'node-1', addr: GW, source, admin: { host: GW, port: 0 }, ejection: { consecutiveFailures: 1 } });
  await gw.start();
  t.teardown(() => gw.close());
  const admin = gw.adminAddress()!;
  t.equal(admin.host, GW);
  const base = `http://${admin.host}:${admin.port}`;

  const health = await request(`${base}/healthz`);
  t.equal(health.statusCode, 200);
  t.same(await health.body.json(), { status: 'ok', tableVersion: 1, ports: [PORT] });

  for (let i = 0; i < 10; i++) await (await request(`http://${GW}:${PORT}/`, { method: i % 2 ? 'GET' : 'POST', body: i % 2 ? undefined : 'x' })).body.dump();
  const published = await request(`http://${GW}:${PORT}/metrics`);
  t.equal((await published.body.json() as { name: string }).name, 'u1', '/metrics on a published port is the service\'s, not the gateway\'s');

  const res = await request(`${base}/metrics`);
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const text = await res.body.text();
  t.match(text, /swarmlet_gateway_requests_total\{node="node-1",service="web",method="GET",code="2xx"\} 6/);
  t.match(text, /swarmlet_gateway_requests_total\{node="node-1",service="web",method="POST",code="2xx"\} 5/);
  t.match(text, /swarmlet_gateway_upstream_endpoints\{node="node-1",service="web",state="ejected"\} 1/);
  t.match(text, /swarmlet_gateway_ejections_total\{node="node-1",service="web"\} 1/);
  t.match(text, /swarmlet_gateway_retries_total\{node="node-1",service="web"\} 1/);
  t.match(text, /swarmlet_gateway_table_version\{node="node-1"\} 1/);
  t.match(text, /swarmlet_gateway_process_resident_memory_bytes\{node="node-1"\}/);
  t.notMatch(text, /task-u1|task-dead/);
  t.equal((await request(`${base}/nope`)).statusCode, 404);

  await t.test('promtool check metrics', { skip: noPromtool }, async (t) => {
    const file = join(mkdtempSync(join(tmpdir(), 'gw-admin-')), 'metrics.txt');
    writeFileSync(file, text);
    const r = spawnSync('sh', ['-c', `promtool check metrics < ${file}`], { encoding: 'utf8' });
    t.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    t.equal(`${r.stdout}${r.stderr}`.trim(), '');
  });
});
