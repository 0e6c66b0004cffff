/**
 * The swarm object across a real restart of a durable cluster: what `swarm update` answered 200 for is
 * there again (Version, Labels, history limit, heartbeat, cert expiry, autolock); with autolock on the
 * restarted manager is locked (Docker's 503 texts, no task started), a wrong key is refused, the right
 * one unlocks and the secrets open again; autolock off makes the next restart unlocked. And a joined
 * node keeps its task and its gateway keeps routing while the manager is locked.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createCluster, type Cluster, type ClusterOptions } from '../../lib/cluster/create-cluster.js';
import { SWARM_LOCKED } from '../../lib/secrets/manager-keys.js';
import { runNode, type NodeProcess } from '../../lib/node/run-node.js';
import { freePort, until } from '../fixtures/up-process.js';

const ADDR = '127.0.0.176';
const NODE_ADDR = '127.0.0.177';
const PUBLISHED = 19177;
const b64 = (s: string) => Buffer.from(s).toString('base64');

async function call(url: string, path: string, method = 'GET', body?: unknown): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const res = await request(`${url}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  const text = await res.body.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.statusCode, body: parsed, headers: res.headers };
}

t.test('swarm settings persist; autolock locks a restarted manager until the right unlock key', async (t) => {
  t.setTimeout(90_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'swarmlet-swarm-persist-'));
  const opts: ClusterOptions = { nodes: 1, addresses: [ADDR], dataDir, listen: '127.0.0.1:0', gateway: false, dispatcher: { heartbeatMs: 1000 } };
  let cluster: Cluster | undefined;
  t.teardown(async () => { await cluster?.close(); rmSync(dataDir, { recursive: true, force: true }); });
  const restart = async () => { await cluster!.close(); cluster = await createCluster(opts); return cluster.url!; };

  cluster = await createCluster(opts);
  let url = cluster.url!;
  const plain = `PW-${Math.random().toString(36).slice(2)}`;
  const secret = cluster.control.secrets!.create({ Name: 'pw', Data: b64(plain) });
  await cluster.createService({ name: 'web', image: 'whoami:1', replicas: 1 });
  await until('web running', async () => (await cluster!.tasks({ service: ['web'] })).find((x) => x.Status.State === 'running'));
  const before = (await call(url, '/swarm')).body;
  const spec = {
    ...before.Spec, Labels: { team: 'blue' }, Orchestration: { TaskHistoryRetentionLimit: 7 },
    Dispatcher: { HeartbeatPeriod: 2e9 }, CAConfig: { NodeCertExpiry: 48 * 3600e9 }, EncryptionConfig: { AutoLockManagers: true },
  };

  await t.test('a stale version or a bad field is refused and changes nothing', async (t) => {
    const stale = await call(url, `/swarm/update?version=${before.Version.Index - 1}`, 'POST', spec);
    t.same([stale.status, stale.body.message], [500, 'update out of sequence']);
    const negative = await call(url, `/swarm/update?version=${before.Version.Index}`, 'POST', { ...spec, Dispatcher: { HeartbeatPeriod: -1 } });
    t.same([negative.status, negative.body.message], [400, 'heartbeat time period cannot be a negative duration']);
    const expiry = await call(url, `/swarm/update?version=${before.Version.Index}`, 'POST', { ...spec, CAConfig: { NodeCertExpiry: 60e9 } });
    t.same([expiry.status, expiry.body.message], [400, 'minimum certificate expiry time is: 1h0m0s']);
    t.same((await call(url, '/swarm')).body, before, 'nothing changed');
    t.equal((await call(url, '/swarm/unlockkey')).body.UnlockKey, '', 'autolock still off');
  });

  const update = await call(url, `/swarm/update?version=${before.Version.Index}`, 'POST', spec);
  t.equal(update.status, 200, JSON.stringify(update.body));
  const key: string = (await call(url, '/swarm/unlockkey')).body.UnlockKey;
  t.match(key, /^SWMKEY-1-/);
  const after = (await call(url, '/swarm')).body;
  t.equal(after.Version.Index, before.Version.Index + 1);
  t.equal(after.Spec.Dispatcher.HeartbeatPeriod, 2e9, 'the dispatcher runs at the new period');
  t.notMatch(readFileSync(join(dataDir, 'secrets.json'), 'utf8'), after.JoinTokens.Worker, 'the tokens file is sealed');
  const tasksBefore = (await cluster.tasks()).map((x) => x.ID).sort();

  url = await restart();
  await t.test('restarted: locked, with Docker\'s texts', async (t) => {
    t.equal(cluster!.isLocked(), true);
    const ls = await call(url, '/services');
    t.same([ls.status, ls.body.message], [503, SWARM_LOCKED]);
    t.same([(await call(url, '/swarm')).status, (await call(url, '/swarm/unlockkey')).status], [503, 503]);
    const ping = await call(url, '/_ping');
    t.same([ping.status, ping.headers.swarm], [200, 'locked']);
    t.equal((await call(url, '/info')).body.Swarm.LocalNodeState, 'locked', 'docker info shows Swarm: locked');
    const wrong = await call(url, '/swarm/unlock', 'POST', { UnlockKey: 'SWMKEY-1-' + 'A'.repeat(43) });
    t.same([wrong.status, wrong.body.message], [401, 'swarm could not be unlocked: invalid key provided']);
    const malformed = await call(url, '/swarm/unlock', 'POST', { UnlockKey: 'not-a-key' });
    t.same([malformed.status, malformed.body.message], [400, 'invalid key string']);
    t.throws(() => cluster!.control.secrets!.content(secret.ID), { message: SWARM_LOCKED }, 'secret content does not open');
    await new Promise((r) => setTimeout(r, 1500));
    t.same((await cluster!.tasks()).map((x) => x.ID).sort(), tasksBefore, 'no task was created or removed while locked');
    t.equal(cluster!.isLocked(), true, 'still locked');
  });

  await t.test('the right key unlocks: every setting is back, the manager runs', async (t) => {
    const ok = await call(url, '/swarm/unlock', 'POST', { unlockkey: `${key}\n` });
    t.equal(ok.status, 200, JSON.stringify(ok.body));
    t.equal(cluster!.isLocked(), false);
    const s = (await call(url, '/swarm')).body;
    t.same({ v: s.Version.Index, id: s.ID, labels: s.Spec.Labels, limit: s.Spec.Orchestration.TaskHistoryRetentionLimit, hb: s.Spec.Dispatcher.HeartbeatPeriod,
      expiry: s.Spec.CAConfig.NodeCertExpiry, lock: s.Spec.EncryptionConfig.AutoLockManagers, updated: s.UpdatedAt, tokens: s.JoinTokens },
    { v: after.Version.Index, id: after.ID, labels: { team: 'blue' }, limit: 7, hb: 2e9, expiry: 48 * 3600e9, lock: true, updated: after.UpdatedAt, tokens: after.JoinTokens });
    t.equal((await call(url, '/swarm/unlockkey')).body.UnlockKey, key);
    t.equal(cluster!.control.secrets!.content(secret.ID)!.toString(), plain, 'the secret opens again');
    t.equal(cluster!.manager.taskHistoryLimit, 7);
    const again = await call(url, '/swarm/unlock', 'POST', { UnlockKey: key });
    t.same([again.status, again.body.message], [409, 'swarm is not locked']);
    await until('web running after the unlock', async () => (await cluster!.tasks({ service: ['web'] })).find((x) => x.DesiredState === 'running' && x.Status.State === 'running'));
  });

  await t.test('autolock off: the next restart is not locked and keeps the settings', async (t) => {
    const s = (await call(url, '/swarm')).body;
    const off = await call(url, `/swarm/update?version=${s.Version.Index}`, 'POST', { ...s.Spec, EncryptionConfig: { AutoLockManagers: false } });
    t.equal(off.status, 200, JSON.stringify(off.body));
    t.equal((await call(url, '/swarm/unlockkey')).body.UnlockKey, '');
    url = await restart();
    t.equal(cluster!.isLocked(), false);
    const r = (await call(url, '/swarm')).body;
    t.same([r.Version.Index, r.Spec.Labels, r.Spec.Orchestration.TaskHistoryRetentionLimit, r.Spec.Dispatcher.HeartbeatPeriod, r.Spec.EncryptionConfig.AutoLockManagers],
      [s.Version.Index + 1, { team: 'blue' }, 7, 2e9, false]);
    t.equal(cluster!.control.secrets!.content(secret.ID)!.toString(), plain);
  });
});

t.test('while the manager is locked, a joined node keeps its task and its gateway keeps routing; nothing is judged down', async (t) => {
  t.setTimeout(90_000);
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-swarm-locked-node-'));
  const port = await freePort();
  const opts: ClusterOptions = { nodes: 0, dataDir: join(dir, 'manager'), listen: `127.0.0.1:${port}`, gateway: false, dispatcher: { heartbeatMs: 300 }, autolock: true };
  let cluster: Cluster | undefined = await createCluster(opts);
  let node: NodeProcess | undefined;
  t.teardown(async () => { await node?.close(); await cluster?.close(); rmSync(dir, { recursive: true, force: true }); });
  const key = cluster.unlockKey();
  t.match(key, /^SWMKEY-1-/, 'createCluster({ autolock: true }) gives an unlock key');
  const token = (await call(cluster.url!, '/swarmlet/v1/join-token/worker')).body.Token as string;
  node = await runNode({ manager: cluster.url!, token, address: NODE_ADDR, hostname: 'locked-1', dataDir: join(dir, 'node'), gateway: { adminPort: false } });
  await cluster.createService({ name: 'web', image: 'whoami:1', replicas: 1, publish: [`${PUBLISHED}:8080`] });
  const task = await until('web running on the node', async () => (await cluster!.tasks({ service: ['web'] })).find((x) => x.Status.State === 'running'));
  const viaGateway = async () => { const r = await request(`http://${NODE_ADDR}:${PUBLISHED}/`); await r.body.text(); return r.statusCode; };
  await until('the node gateway routes', async () => ((await viaGateway()) === 200 ? true : undefined));

  await cluster.close();
  cluster = undefined;
  cluster = await createCluster(opts);
  t.equal(cluster.isLocked(), true);
  await new Promise((r) => setTimeout(r, 2_000)); // more than 3 heartbeat periods
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push(await viaGateway());
  t.same(statuses, [200, 200, 200, 200, 200], 'the node\'s gateway keeps routing while the manager is locked');
  t.throws(() => cluster!.unlock('SWMKEY-1-' + 'B'.repeat(43)), { message: 'swarm could not be unlocked: invalid key provided' });
  cluster.unlock(key);
  await new Promise((r) => setTimeout(r, 1_500));
  const nodes = await cluster.nodes();
  t.same(nodes.map((n) => [n.Description.Hostname, n.Status.State]), [['locked-1', 'ready']], 'the node was not judged down');
  const running = (await cluster.tasks({ service: ['web'] })).filter((x) => x.DesiredState === 'running');
  t.same(running.map((x) => [x.ID, x.Status.State]), [[task.ID, 'running']], 'the same task, never replaced');
  t.equal(await viaGateway(), 200);
});
