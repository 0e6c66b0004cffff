/**
 * `swarmlet gateway --manager URL --node NODE` as its own process: it follows the manager's routing
 * table over HTTP, serves the published port on the node's address round-robin, exports /metrics,
 * keeps routing while the manager is gone, and exits 0 on SIGTERM.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { request } from 'undici';
import { cli, lockLocalNodes, ROOT, startUp, until } from '../fixtures/up-process.js';
import { swarmletArgs } from '../fixtures/swarmlet-command.js';

t.setTimeout(300_000);
let releaseNodes = () => {};
t.before(async () => { releaseNodes = await lockLocalNodes(); t.setTimeout(300_000); }); // the wait for the lock does not count
t.teardown(() => releaseNodes());

async function get(url: string): Promise<{ status: number; task?: string }> {
  const r = await request(url, { headers: { accept: 'application/json' } });
  const text = await r.body.text();
  try { return { status: r.statusCode, task: (JSON.parse(text) as { task: string }).task }; } catch { return { status: r.statusCode }; }
}

t.test('a standalone gateway routes a published port for its node', async (t) => {
  const up = await startUp({ nodes: 3, extraArgs: ['--no-gateway'] });
  t.teardown(() => up.stop());
  const created = await cli(up.url, 'service', 'create', '-d', '--name', 'sg', '--replicas', '3', '-p', '9050:8080', 'whoami');
  t.equal(created.code, 0, created.stderr);
  const gw = spawn(process.execPath, swarmletArgs('gateway', '--manager', up.url, '--node', 'node-2', '--admin', '127.0.0.2:9390'), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  gw.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  gw.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<number | null>((r) => gw.once('exit', (code) => r(code)));
  t.teardown(() => { if (gw.exitCode === null) gw.kill('SIGKILL'); });

  const seen = await until('3 tasks behind 127.0.0.2:9050', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await get('http://127.0.0.2:9050/').catch(() => ({ status: 0 }) as { status: number; task?: string });
      if (r.status !== 200 || !r.task) return undefined;
      names.add(r.task);
    }
    return names.size === 3 ? names : undefined;
  }, 30_000);
  t.same([...seen].sort(), ['sg.1', 'sg.2', 'sg.3'], 'round-robin over the 3 tasks, wherever they run');
  t.match(out, /gateway for node-2 \(127\.0\.0\.2\)/);

  const metrics = await request('http://127.0.0.2:9390/metrics');
  const text = await metrics.body.text();
  t.match(text, /swarmlet_gateway_requests_total\{node="node-2",service="sg",method="GET",code="2xx"\} \d+/);

  // The data plane outlives the control plane: kill -9 the manager (its task processes survive, as
  // containers would); the gateway keeps routing by the last table it had.
  const tasks = await (await request(`${up.url}/tasks`)).body.json() as Array<{ Status: { ContainerStatus?: { PID?: number } } }>;
  const pids = tasks.map((x) => x.Status.ContainerStatus?.PID).filter((p): p is number => typeof p === 'number');
  t.teardown(() => { for (const p of pids) { try { process.kill(-p, 'SIGKILL'); } catch { /* gone */ } } });
  await up.kill9();
  const names = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const r = await get('http://127.0.0.2:9050/');
    t.equal(r.status, 200, 'still routed with the manager gone');
    if (r.task) names.add(r.task);
  }
  t.equal(names.size, 3, 'over the same 3 tasks');

  gw.kill('SIGTERM');
  t.equal(await exited, 0, 'exits 0 on SIGTERM');
});

t.test('swarmlet gateway --workers 2: both workers serve the port, /metrics sums them, SIGTERM drains both', async (t) => {
  const up = await startUp({ nodes: 3, extraArgs: ['--no-gateway'] });
  t.teardown(() => up.stop());
  const created = await cli(up.url, 'service', 'create', '-d', '--name', 'sw', '--replicas', '2', '-p', '9051:8080', 'whoami');
  t.equal(created.code, 0, created.stderr);
  const gw = spawn(process.execPath, swarmletArgs('gateway', '--manager', up.url, '--node', 'node-3', '--admin', '127.0.0.3:9391', '--workers', '2'), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  gw.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  gw.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<number | null>((r) => gw.once('exit', (code) => r(code)));
  t.teardown(() => { if (gw.exitCode === null) gw.kill('SIGKILL'); });
  await until('the gateway answers on 127.0.0.3:9051', async () => ((await get('http://127.0.0.3:9051/').catch(() => ({ status: 0 }))).status === 200 ? true : undefined), 30_000);
  await until('the gateway says it runs', () => (/gateway for node-3/.test(out) ? true : undefined), 30_000).catch(() => t.comment(out));
  t.match(out, /gateway for node-3 \(127\.0\.0\.3\) following .* with 2 workers/);
  const N = 20;
  for (let i = 0; i < N; i++) {
    // A new connection each time (undici's request would reuse one): the workers take turns.
    const r = await request('http://127.0.0.3:9051/', { reset: true, headers: { accept: 'application/json' } });
    t.equal(r.statusCode, 200);
    await r.body.dump();
  }
  const text = await (await request('http://127.0.0.3:9391/metrics')).body.text();
  const line = text.split('\n').find((l) => l.startsWith('swarmlet_gateway_requests_total{node="node-3",service="sw",method="GET",code="2xx"}'));
  t.ok(line !== undefined && Number(line.split(' ').pop()) >= N + 1, `/metrics counts the requests of both workers: ${line}`);
  gw.kill('SIGTERM');
  t.equal(await exited, 0, 'exits 0 on SIGTERM');
  await t.rejects(request('http://127.0.0.3:9051/'), 'both workers are gone');
});
