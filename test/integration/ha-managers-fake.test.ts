/**
 * Three managers in one process sharing the fake HA backend (test/fixtures/fake-ha-backend.ts): only
 * the leader runs the loops, any manager answers the API (followers forward to the leader), writes
 * are answered once durable, the managers are listed as nodes, tokens work against every manager,
 * and without a leader reads are served from the mirror while writes answer 503.
 */
import t from 'tap';
import { request } from 'undici';
import { createCluster, type Cluster } from '../../lib/cluster/create-cluster.js';
import { systemClock } from '../../lib/clock.js';
import { createFakeHa } from '../fixtures/fake-ha-backend.js';
import { freePort, until as waitFor } from '../fixtures/up-process.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HOST = '127.0.0.241'; // 241-249: the ha tests

async function api<T>(url: string, path: string, init: Parameters<typeof request>[1] = {}): Promise<{ status: number; body: T }> {
  const r = await request(`${url}${path}`, init);
  const text = await r.body.text();
  let body: unknown = text;
  try { body = text ? JSON.parse(text) : undefined; } catch { /* text */ }
  return { status: r.statusCode, body: body as T };
}

/** The shared poll (test/fixtures/up-process.ts) with this file's 10 s default. */
const until = <T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> => waitFor(what, fn, timeoutMs, 50);

const json = (body: unknown) => ({ method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

t.test('three managers on one fake backend', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-ha-fake-'));
  const fake = createFakeHa(systemClock());
  const managers: Cluster[] = [];
  t.teardown(async () => {
    for (const m of managers) await m.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 3; i++) {
    const port = await freePort(HOST);
    managers.push(await createCluster({ nodes: 0, gateway: false, listen: `${HOST}:${port}`, dataDir: join(dir, `m${i}`), dispatcher: { heartbeatMs: 500 },
      ha: { open: (self) => fake.join(self), dataKeyFile: join(dir, 'data.key') } }));
  }
  const [a, b, c] = managers as [Cluster, Cluster, Cluster];
  await until('a leader', () => fake.leaderId() !== undefined);
  t.equal(a.ha?.isLeader(), true, 'the first manager leads');
  t.equal(b.ha?.isLeader(), false);

  const ls = await api<Array<{ Addr: string; Leader: boolean; Reachable: boolean }>>(c.url!, '/swarmlet/v1/managers');
  t.equal(ls.status, 200);
  t.equal(ls.body.length, 3, 'three managers listed');
  t.same(ls.body.filter((m) => m.Leader).map((m) => m.Addr), [a.url], 'the leader is the first one');

  const nodes = await api<Array<{ Spec: { Role: string }; ManagerStatus?: { Leader: boolean; Reachability: string } }>>(b.url!, '/nodes');
  t.equal(nodes.body.filter((n) => n.Spec.Role === 'manager').length, 3, 'node ls shows the managers');
  t.equal(nodes.body.filter((n) => n.ManagerStatus?.Leader).length, 1, 'one of them Leader');
  const info = await api<{ Swarm: { Managers: number } }>(c.url!, '/info');
  t.equal(info.body.Swarm.Managers, 3, 'docker info: Managers: 3');

  // A write through a follower lands on the leader (and in every mirror).
  const created = await api<{ ID: string }>(b.url!, '/services/create', json({ Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 2 } } }));
  t.equal(created.status, 201, `create through a follower: ${JSON.stringify(created.body)}`);
  await until('web in every mirror', () => managers.every((m) => m.store.view((tx) => tx.getService(created.body.ID) !== undefined)));
  // Only the leader runs the orchestrator: the tasks exist (written by a), pending without nodes.
  await until('two tasks', () => a.store.view((tx) => tx.tasksOfService(created.body.ID).length === 2));
  t.equal(c.manager.backlog().dirtyServices, -1, 'a follower\'s manager loop never ran');

  // Tokens work against every manager: the join token read through c is the leader's.
  const tok = await api<{ Token: string }>(c.url!, '/swarmlet/v1/join-token/worker');
  t.equal(tok.status, 200);
  t.match(tok.body.Token, /^SWLTKN-1-/);
  const tokA = await api<{ Token: string }>(a.url!, '/swarmlet/v1/join-token/worker');
  t.equal(tokA.body.Token, tok.body.Token, 'the same token on every manager');
  const cmd = (await api<{ Command: string }>(b.url!, '/swarmlet/v1/join-token/worker')).body.Command;
  t.match(cmd, /--manager (\S+)/, 'the join command names the managers');
  t.same(/--manager (\S+)/.exec(cmd)![1]!.split(',').sort(), [a.url!, b.url!, c.url!].sort(), `the join command lists every manager (${cmd.slice(0, 160)})`);

  // The swarm's settings live in the shared store: updated through a follower, served and applied by the next leader.
  const sw = await api<{ Version: { Index: number }; Spec: Record<string, unknown> }>(c.url!, '/swarm');
  const upd = await api(c.url!, `/swarm/update?version=${sw.body.Version.Index}`, json({ ...sw.body.Spec, Labels: { ha: 'yes' }, Orchestration: { TaskHistoryRetentionLimit: 4 }, Dispatcher: { HeartbeatPeriod: 2e9 } }));
  t.equal(upd.status, 200, `swarm update through a follower: ${JSON.stringify(upd.body)}`);
  // Autolock through a follower: the leader keeps the unlock key (sealed) in the store, every manager wraps its data key file with it.
  const spec1 = { ...sw.body.Spec, Labels: { ha: 'yes' }, Orchestration: { TaskHistoryRetentionLimit: 4 }, Dispatcher: { HeartbeatPeriod: 2e9 } };
  const lock = await api<{ message: string }>(c.url!, `/swarm/update?version=${sw.body.Version.Index + 1}`, json({ ...spec1, EncryptionConfig: { AutoLockManagers: true } }));
  t.equal(lock.status, 200, `autolock on through a follower: ${JSON.stringify(lock.body)}`);
  const key = await until('every manager has the unlock key', () => { const k = managers.map((m) => m.unlockKey()); return k[0] && k.every((x) => x === k[0]) ? k[0] : undefined; });
  t.match(key, /^SWMKEY-1-/, 'one unlock key on every manager');
  const keyOnApi = await api<{ UnlockKey: string }>(b.url!, '/swarm/unlockkey');
  t.equal(keyOnApi.body.UnlockKey, key, 'GET /swarm/unlockkey through a follower: the same key');
  t.match(readFileSync(join(dir, 'data.key'), 'utf8'), /"wrapped"/, 'the shared data key file is wrapped');
  t.notMatch(JSON.stringify(a.store.view((tx) => tx.listSecrets())), key.slice('SWMKEY-1-'.length), 'the unlock key is nowhere in the store in the clear');
  for (const m of managers) t.equal((await api<{ Spec: { EncryptionConfig: { AutoLockManagers: boolean } } }>(m.url!, '/swarm')).body.Spec.EncryptionConfig.AutoLockManagers, true);
  const unlock = await api<{ message: string }>(b.url!, '/swarm/unlock', json({ UnlockKey: key }));
  t.same([unlock.status, unlock.body.message], [409, 'swarm is not locked'], 'an unlocked follower answers "not locked" itself');
  const off = await api(a.url!, `/swarm/update?version=${sw.body.Version.Index + 2}`, json({ ...spec1, EncryptionConfig: { AutoLockManagers: false } }));
  t.equal(off.status, 200, 'autolock off');
  await until('every manager off', () => managers.every((m) => m.unlockKey() === '') || undefined);
  t.match(readFileSync(join(dir, 'data.key'), 'utf8'), /"key"/, 'the data key file back in the clear');

  // The leader loses its lease: b leads, a's loops stop, writes through a are forwarded to b.
  fake.depose();
  t.equal(b.ha?.isLeader(), true, 'b leads');
  t.equal(a.ha?.isLeader(), false, 'a follows');
  const swB = await api<{ Version: { Index: number }; Spec: { Labels: Record<string, string>; Dispatcher: { HeartbeatPeriod: number } } }>(b.url!, '/swarm');
  t.same([swB.body.Version.Index, swB.body.Spec.Labels, swB.body.Spec.Dispatcher.HeartbeatPeriod], [sw.body.Version.Index + 3, { ha: 'yes' }, 2e9], 'the new leader serves the saved swarm');
  t.equal(b.manager.taskHistoryLimit, 4, 'and runs with its history limit');
  t.equal(b.heartbeatMs(), 2000, 'and its heartbeat');
  await until('a forwards to b', async () => (await api(a.url!, '/services/web/update?version=' + a.store.view((tx) => tx.getService(created.body.ID)!.Version.Index),
    json({ Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 3 } } }))).status === 200 || undefined);
  await until('three tasks (b orchestrates)', () => b.store.view((tx) => tx.tasksOfService(created.body.ID).filter((x) => x.DesiredState === 'running' || x.DesiredState === 'ready').length === 3));

  // Quorum lost: the leader answers writes 503 after trying; reads still work.
  fake.setAvailable(false);
  const refused = await api<{ message: string }>(c.url!, '/services/create', json({ Name: 'api', TaskTemplate: { ContainerSpec: { Image: 'whoami' } } }));
  t.equal(refused.status, 503, 'a write without quorum: 503');
  t.match(refused.body.message, /cluster store unavailable/);
  t.equal((await api(c.url!, '/services')).status, 200, 'reads still answered');
  fake.setAvailable(true);

  // Nobody leads: reads from the mirror, writes 503 (no leader).
  fake.depose({ nobody: true });
  const list = await api<unknown[]>(c.url!, '/services');
  t.equal(list.status, 200, 'a read with no leader: served from the mirror');
  t.equal(list.body.length, 1);
  const noLeader = await api<{ message: string }>(c.url!, '/services/create', json({ Name: 'api', TaskTemplate: { ContainerSpec: { Image: 'whoami' } } }));
  t.equal(noLeader.status, 503);
  t.match(noLeader.body.message, /no manager leads/);
  t.equal((await api(c.url!, '/_ping')).status, 200);
  fake.elect((await api<Array<{ ID: string; Addr: string }>>(c.url!, '/swarmlet/v1/managers')).body.find((m) => m.Addr === c.url)!.ID);
  t.equal(c.ha?.isLeader(), true, 'c leads');
  const ok = await api<{ ID: string }>(a.url!, '/services/create', json({ Name: 'api', TaskTemplate: { ContainerSpec: { Image: 'whoami' } } }));
  t.equal(ok.status, 201, 'writes through a reach the new leader c');
});
