/**
 * A real cluster of processes: one `swarmlet manager` and three `swarmlet node join` processes on
 * loopback addresses. Node failure (kill -9) with a 1 s heartbeat, the manager's own failure and
 * restart, and join tokens.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { runLoad } from '../fixtures/load.js';
import { swarmletArgs } from '../fixtures/swarmlet-command.js';
import { killedAtTeardown, until } from '../fixtures/up-process.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const ADDRS = ['127.0.0.131', '127.0.0.132', '127.0.0.133'];

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

function swarmlet(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess & { out: () => string } {
  const child = spawn(process.execPath, swarmletArgs(...args), { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  return Object.assign(child, { out: () => out });
}

async function api<T>(url: string, path: string, init: Parameters<typeof request>[1] = {}): Promise<{ status: number; body: T }> {
  const r = await request(`${url}${path}`, init);
  const text = await r.body.text();
  return { status: r.statusCode, body: (text ? JSON.parse(text) : undefined) as T };
}

interface TaskJ { ID: string; NodeID: string; Slot: number; DesiredState: string; Status: { State: string; ContainerStatus?: { PID?: number } } }
interface NodeJ { ID: string; Description: { Hostname: string }; Status: { State: string; Message?: string } }

t.test('manager + 3 node processes: node failure, manager failure, tokens', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-procs-'));
  const port = await freePort('127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  const { procs, pids } = killedAtTeardown(t, dir);
  const startManager = async () => {
    const m = swarmlet(['manager', '--listen', `127.0.0.1:${port}`, '--data', join(dir, 'manager'), '--dispatcher-heartbeat', '1s']);
    procs.push(m);
    await until('manager', async () => {
      const r = await request(`${url}/_ping`);
      await r.body.dump();
      return r.statusCode === 200 ? true : undefined;
    });
    return m;
  };
  let manager = await startManager();
  let token = (await api<{ Token: string }>(url, '/swarmlet/v1/join-token/worker')).body.Token;
  t.match(token, /^SWLTKN-1-/);

  await t.test('tokens: a wrong, a rotated (old) and 1,000 random tokens are refused; node credentials are not manager credentials', async (t) => {
    const join1 = (tok: string) => api<{ message: string }>(url, '/swarmlet/v1/join', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Token: tok, Hostname: 'intruder', Addr: '127.0.0.139' }) });
    t.equal((await join1('SWLTKN-1-nope')).status, 400);
    let refused = 0;
    for (let i = 0; i < 1000; i++) if ((await join1(`SWLTKN-1-${Math.random().toString(36).slice(2)}${i}`)).status === 400) refused++;
    t.equal(refused, 1000, '1,000 random tokens refused');
    const nodes = (await api<NodeJ[]>(url, '/nodes')).body;
    t.notOk(nodes.some((n) => n.Description.Hostname === 'intruder'), 'nothing joined');
    const cred = await api<{ message: string }>(url, '/swarmlet/v1/join-token/worker', { headers: { authorization: 'Bearer SWLCRED-x' } });
    t.equal(cred.status, 403, 'a node credential cannot call a manager-only route');
    const rotated = (await api<{ Token: string }>(url, '/swarmlet/v1/join-token/worker?rotate=1')).body.Token;
    t.not(rotated, token);
    t.equal((await join1(token)).status, 400, 'the old token stops working at once');
    token = rotated;
  });

  const nodes = ADDRS.map((addr, i) => {
    const p = swarmlet(['node', 'join', '--manager', url, '--token', token, '--address', addr, '--hostname', `pn${i + 1}`,
      '--state', join(dir, `node${i + 1}`), '--metrics-port', 'off']);
    procs.push(p);
    return p;
  });
  await until('3 nodes ready', async () => {
    const ns = (await api<NodeJ[]>(url, '/nodes')).body;
    return ns.filter((n) => n.Status.State === 'ready').length === 3 ? true : undefined;
  });

  const spec = { Name: 'pweb', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 6 } },
    EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 9130, PublishMode: 'ingress' }] } };
  t.equal((await api(url, '/services/create', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) })).status, 201);
  const running = async () => (await api<TaskJ[]>(url, '/tasks')).body.filter((x) => x.DesiredState === 'running' && x.Status.State === 'running');
  await until('6 running', async () => ((await running()).length === 6 ? true : undefined));
  for (const x of await running()) if (x.Status.ContainerStatus?.PID) pids.add(x.Status.ContainerStatus.PID);

  await t.test('kill -9 of a node process: down within 3.5 s, tasks elsewhere within 2 s more, 0 failed requests via another node', async (t) => {
    const victimNode = (await api<NodeJ[]>(url, '/nodes')).body.find((n) => n.Description.Hostname === 'pn3')!;
    let finish!: () => void;
    const load = runLoad(`http://${ADDRS[0]}:9130/`, 200, new Promise<void>((r) => { finish = r; }));
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    nodes[2]!.kill('SIGKILL');
    await until('node down', async () => ((await api<NodeJ>(url, `/nodes/${victimNode.ID}`)).body.Status.State === 'down' ? true : undefined), 10_000);
    const downAfter = Date.now() - t0;
    t.ok(downAfter <= 3500, `down after ${downAfter} ms (≤ 3.5 s)`);
    t.equal((await api<NodeJ>(url, `/nodes/${victimNode.ID}`)).body.Status.Message, 'heartbeat failure');
    await until('6 running elsewhere', async () => {
      const r = await running();
      return r.length === 6 && r.every((x) => x.NodeID !== victimNode.ID) ? true : undefined;
    }, 10_000);
    const replacedAfter = Date.now() - t0 - downAfter;
    t.ok(replacedAfter <= 2000, `tasks running elsewhere ${replacedAfter} ms after the node went down (≤ 2 s)`);
    for (const x of await running()) if (x.Status.ContainerStatus?.PID) pids.add(x.Status.ContainerStatus.PID);
    setTimeout(finish, 300);
    const r = await load;
    t.ok(r.sent > 100, `sent ${r.sent}`);
    t.equal(r.non2xx + r.errors, 0, `failed requests: ${r.samples.join(' | ')}`);
    const up = await api<{ message: string }>(url, '/nodes/pn1', { method: 'DELETE' });
    t.equal(up.status, 400);
    t.equal(up.body.message, "node pn1 is not down and can't be removed");
    t.equal((await api(url, '/nodes/pn3', { method: 'DELETE' })).status, 200, 'a down node can be removed');
    t.notOk((await api<NodeJ[]>(url, '/nodes')).body.some((n) => n.Description.Hostname === 'pn3'));
  });

  await t.test('kill -9 of the manager: gateways keep routing; after a restart the same tasks run and nodes reconnect', async (t) => {
    const before = (await running()).map((x) => x.ID).sort();
    let finish!: () => void;
    const load = runLoad(`http://${ADDRS[1]}:9130/`, 200, new Promise<void>((r) => { finish = r; }));
    await new Promise((r) => setTimeout(r, 300));
    manager.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    manager = await startManager();
    await until('nodes back', async () => {
      const ns = (await api<NodeJ[]>(url, '/nodes')).body;
      return ns.filter((n) => n.Status.State === 'ready').length === 2 ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 1500));
    setTimeout(finish, 100);
    const r = await load;
    t.equal(r.non2xx + r.errors, 0, `failed requests while the manager was down: ${r.samples.join(' | ')}`);
    t.same((await running()).map((x) => x.ID).sort(), before, 'the same task IDs run after the restart');
  });
  const alive = (p: ChildProcess) => p.exitCode === null && p.signalCode === null;
  for (const p of procs) if (alive(p)) p.kill('SIGINT');
  await Promise.all(procs.map((p) => (alive(p) ? new Promise((r) => p.once('exit', r)) : undefined)));
});
