/**
 * Issue 17 with managers serving their API over TLS (`--tls-cert/--tls-key`, client-token auth on), a
 * real 3-member etcd and one node joined with the https list: the client token is bootstrapped with
 * `swarmlet client-token --data DIR` on any manager's machine, followers forward reads, writes and
 * streams to the https leader (trusting it with the global `--tlscacert`), a rotation through a follower
 * reaches every manager, and after kill -9 of the leader a follower forwards to the new https leader.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { etcdMissing } from '../fixtures/etcd-cluster.js';
import { post, startHaCluster, swarmlet, until, type HaCluster } from '../fixtures/ha-cluster.js';
import { makeTestCerts, opensslAvailable, type TestCerts } from '../fixtures/tls-certs.js';

const BASE = 238; // managers on 127.0.0.238 (https), the node on .239

t.setTimeout(240_000);

interface TaskJ { ID: string; DesiredState: string; Status: { State: string } }

const skip = etcdMissing() || (opensslAvailable() ? false : 'openssl is not installed: skipped');

t.test('three managers on etcd serving https: forwarding to an https leader', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-hat-'));
  let c!: HaCluster;
  let certs: TestCerts | undefined;
  const agents: Agent[] = [];
  t.teardown(async () => {
    await c?.stop();
    for (const a of agents) await a.close();
    certs?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  certs = makeTestCerts([`127.0.0.${BASE}`]);
  c = await startHaCluster({ dir, base: BASE, nodes: 1, tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile } });
  t.ok(c.urls.every((u) => u.startsWith('https://')), 'the managers serve https');

  // Every manager keeps the shared token where `swarmlet client-token --data DIR` reads it.
  for (let i = 0; i < 3; i++) {
    const out = swarmlet(['client-token', '--data', c.managers[i]!.dataDir, '-q']);
    await out.exited();
    t.equal(out.out().trim(), c.token, `swarmlet client-token --data <manager ${i}'s data> prints the cluster's client token`);
  }

  const leader = (await until('a leader', () => c.leader()))!;
  const [f, g] = [0, 1, 2].filter((i) => i !== leader) as [number, number];
  t.equal((await c.call(c.urls[f]!, '/services', { headers: { authorization: 'Bearer wrong' } })).status, 401, 'a follower forwards a request with a wrong token: the leader refuses it (401)');
  const created = await c.call<{ ID: string }>(c.urls[f]!, '/services/create', post({ Name: 'tweb', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 1 } } }));
  t.equal(created.status, 201, 'a create through a follower reaches the https leader');
  t.equal((await c.call<{ ID: string }>(c.urls[g]!, '/services/tweb')).body.ID, created.body.ID, 'read through the other follower');
  await until('the task runs on the node joined with the https list', async () => (await c.call<TaskJ[]>(c.urls[g]!, '/tasks')).body.some((x) => x.DesiredState === 'running' && x.Status.State === 'running'), 60_000);
  t.pass('the task runs on the node joined with --manager https://…,https://…,https://…');

  // A stream through a follower over https.
  const ca = readFileSync(certs.caFile, 'utf8');
  const agent = new Agent({ connect: { ca } });
  agents.push(agent);
  const ev = await request(`${c.urls[f]}/events`, { dispatcher: agent, headers: { authorization: `Bearer ${c.token}` }, headersTimeout: 20_000, bodyTimeout: 0 });
  t.equal(ev.statusCode, 200, 'GET /events on a follower over https: 200');
  let text = '';
  const reading = (async () => { try { for await (const chunk of ev.body) text += (chunk as Buffer).toString(); } catch { /* ended */ } })();
  t.equal((await c.call(c.urls[g]!, '/services/create', post({ Name: 'tmark', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 0 } } }))).status, 201, 'a create through the other follower');
  await until('the create event on the stream', () => text.includes('"tmark"'), 30_000);
  t.pass('an event arrives on the https stream asked of a follower');
  ev.body.destroy();
  await reading;

  // A rotation through a follower: every manager takes the new token and refuses the old one.
  const old = c.token!;
  const rotated = await c.call<{ Token: string }>(c.urls[f]!, '/swarmlet/v1/client-token?rotate=1');
  t.equal(rotated.status, 200, 'rotated through a follower');
  const fresh = rotated.body.Token;
  t.not(fresh, old, 'a new token');
  c.token = fresh;
  for (let i = 0; i < 3; i++) {
    await until(`manager ${i} takes the new token`, async () => (await c.call(c.urls[i]!, '/services')).status === 200, 15_000);
    await until(`manager ${i} refuses the old one`, async () => (await c.call(c.urls[i]!, '/services', { headers: { authorization: `Bearer ${old}` } })).status === 401, 15_000);
    await until(`manager ${i}'s client-token file`, () => readFileSync(join(c.managers[i]!.dataDir, 'client-token'), 'utf8').trim() === fresh, 15_000);
  }
  t.pass('after the rotation every manager takes the new token, refuses the old one and keeps the new one in <data>/client-token');

  // kill -9 of the leader: a follower forwards to the new https leader.
  c.managers[leader]!.proc.child.kill('SIGKILL');
  const next = await until('a new leader', async () => { const l = await c.leader([f, g]); return l !== undefined && l !== leader ? l : undefined; }, 30_000);
  const asked = next === f ? g : f; // the follower now
  const upd = await until('a write through the follower after the failover', async () => {
    const s = (await c.call<{ Version: { Index: number } }>(c.urls[asked]!, '/services/tweb')).body;
    const r = await c.call(c.urls[asked]!, `/services/tweb/update?version=${s.Version.Index}`, post({ Name: 'tweb', Labels: { after: 'failover' }, TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 1 } } }));
    return r.status === 200 ? r : undefined;
  }, 30_000, 200);
  t.equal(upd.status, 200, `a write through follower ${asked} reaches the new https leader (manager ${next})`);
  const ls = swarmlet(['--host', c.urls[asked]!, '--tlscacert', certs.caFile, '--token', fresh, 'manager', 'ls', '--format', 'json']);
  await ls.exited();
  const rows = ls.out().trim().split('\n').map((l) => JSON.parse(l) as { Addr: string; Leader: boolean });
  t.same(rows.filter((r) => r.Leader).map((r) => r.Addr), [c.urls[next]], 'swarmlet manager ls over https names the new leader');
});
