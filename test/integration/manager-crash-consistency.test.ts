/**
 * Crash consistency: 20 rounds of `kill -9` of a `swarmlet manager` at random moments while a client
 * creates and updates services. Every change the API acknowledged must be there after the restart,
 * and the store must always open.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { swarmletArgs } from '../fixtures/swarmlet-command.js';

const ROOT = new URL('../../', import.meta.url).pathname;

// 20 manager processes killed and restarted: 27 s on a quiet machine, 172 s once at load 15 (tap's default is 120 s).
t.setTimeout(300_000);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

async function ready(url: string, child: ChildProcess): Promise<void> {
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`the manager exited with ${child.exitCode}`);
    const ok = await request(`${url}/_ping`).then(async (r) => { await r.body.dump(); return r.statusCode === 200; }).catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the manager did not start');
}

t.test('acknowledged changes survive 20 kill -9 of the manager', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-crash-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  t.teardown(() => { child?.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); });
  /** name → the replicas the API last acknowledged */
  const acked = new Map<string, number>();
  let n = 0;
  for (let round = 0; round < 20; round++) {
    child = spawn(process.execPath, swarmletArgs('manager', '--listen', `127.0.0.1:${port}`, '--data', dir), { cwd: ROOT, stdio: 'ignore' });
    await ready(url, child);
    const services = await (await request(`${url}/services`)).body.json() as Array<{ ID: string; Version: { Index: number }; Spec: { Name: string; Mode: { Replicated: { Replicas: number } } } }>;
    const byName = new Map(services.map((s) => [s.Spec.Name, s]));
    for (const [name, replicas] of acked) {
      const s = byName.get(name);
      if (!s) { t.fail(`round ${round}: acknowledged service ${name} is missing`); continue; }
      if (s.Spec.Mode.Replicated.Replicas < replicas) t.fail(`round ${round}: ${name} lost an acknowledged update (${s.Spec.Mode.Replicated.Replicas} < ${replicas})`);
    }
    const killAt = Date.now() + 50 + Math.random() * 300;
    const victim = child;
    const killer = new Promise<void>((resolve) => setTimeout(() => { victim.kill('SIGKILL'); resolve(); }, killAt - Date.now()));
    while (Date.now() < killAt + 20) {
      const name = `s${n++}`;
      const body = { Name: name, TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 1 } } };
      const created = await request(`${url}/services/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
        .then(async (r) => { await r.body.dump(); return r.statusCode === 201; }).catch(() => false);
      if (!created) break;
      acked.set(name, 1);
      const cur = await request(`${url}/services/${name}`).then((r) => r.body.json() as Promise<{ ID: string; Version: { Index: number } }>).catch(() => undefined);
      if (!cur) break;
      const updated = await request(`${url}/services/${cur.ID}/update?version=${cur.Version.Index}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, Mode: { Replicated: { Replicas: 2 } } }),
      }).then(async (r) => { await r.body.dump(); return r.statusCode === 200; }).catch(() => false);
      if (updated) acked.set(name, 2);
      else break;
    }
    await killer;
    await new Promise<void>((r) => (victim.exitCode !== null || victim.signalCode !== null ? r() : victim.once('exit', () => r())));
  }
  child = spawn(process.execPath, swarmletArgs('manager', '--listen', `127.0.0.1:${port}`, '--data', dir), { cwd: ROOT, stdio: 'ignore' });
  await ready(url, child);
  const final = await (await request(`${url}/services`)).body.json() as Array<{ Spec: { Name: string; Mode: { Replicated: { Replicas: number } } } }>;
  const names = new Set(final.map((s) => s.Spec.Name));
  t.ok(acked.size > 20, `${acked.size} services acknowledged over 20 crashes`);
  t.same([...acked.keys()].filter((k) => !names.has(k)), [], 'every acknowledged service is there');
  const lost = final.filter((s) => (acked.get(s.Spec.Name) ?? 0) > s.Spec.Mode.Replicated.Replicas).map((s) => s.Spec.Name);
  t.same(lost, [], 'every acknowledged update is there');
  child.kill('SIGINT');
});
