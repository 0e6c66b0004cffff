/**
 * Autolock with three managers on a real 3-member etcd (lib/ha/shared-autolock.ts): turned on through a
 * follower, every manager answers the same unlock key and the data key file is wrapped with it; a
 * manager killed (-9) and restarted is locked (Docker's 503, nothing forwarded) while the other two
 * serve; a wrong key is refused, the right one (`swarmlet swarm unlock` on stdin) makes it serve and
 * follow; a rotated key unlocks a restarted manager and the old one does not; after a restart of all
 * three, the first one unlocked leads; off: the files in the clear.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdMissing } from '../fixtures/etcd-cluster.js';
import { api, post, startHaCluster, swarmlet, until, type HaCluster, type ManagerEntry } from '../fixtures/ha-cluster.js';
import { ROOT } from '../fixtures/up-process.js';
import { dockerAvailable, dockerCli } from '../fixtures/docker-cli.js';
import { CLIENT_TOKEN_FILE, clientTokenFileSealed, readClientTokenFile } from '../../lib/ha/client-token-file.js';
import { ManagerKeys, SWARM_LOCKED } from '../../lib/secrets/manager-keys.js';
import { formatUnlockKey, INVALID_UNLOCK_KEY, newUnlockKey } from '../../lib/secrets/unlock-key.js';

const BASE = 225; // managers on 127.0.0.225, nodes on .226-.228
/** The real docker client for the unlock after the rotation, when installed (else the API). */
const docker = dockerAvailable() ? dockerCli(0) : undefined;
t.teardown(() => docker?.cleanup());

t.setTimeout(300_000);

interface SwarmJ { Version: { Index: number }; Spec: Record<string, unknown> & { EncryptionConfig?: { AutoLockManagers?: boolean } } }

/** What the data key file holds: 'clear', or whether `key` opens it (read only: nothing is written). */
function fileOpensWith(file: string, key: string): 'clear' | 'opens' | 'refuses' {
  const keys = new ManagerKeys(file);
  if (!keys.isLocked()) return 'clear';
  try {
    keys.unlock(key);
    return 'opens';
  } catch {
    return 'refuses';
  }
}

/** `swarmlet --host URL swarm unlock` (or `docker -H … swarm unlock`) with the key on standard input. */
async function cliUnlock(url: string, key: string, cli: 'swarmlet' | 'docker' = 'swarmlet'): Promise<{ code: number | null; out: string }> {
  const child = cli === 'swarmlet'
    ? spawn(process.execPath, ['--import', 'tsx', 'cmd/swarmlet.ts', '--host', url, 'swarm', 'unlock'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn('docker', ['-H', url.replace(/^http:/, 'tcp:'), 'swarm', 'unlock'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: docker!.env });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  child.stdin.end(`${key}\n`);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { code, out };
}

t.test('autolock with three managers on etcd', { skip: etcdMissing() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-ha-autolock-'));
  let c!: HaCluster;
  t.teardown(async () => { await c?.stop(); rmSync(dir, { recursive: true, force: true }); });
  c = await startHaCluster({ dir, base: BASE, dataKeyPerManager: true }); // each its own copy of the data key
  const files = c.managers.map((m) => m.dataKey);
  const allFiles = (key: string, want: 'clear' | 'opens') => files.every((f) => fileOpensWith(f, key) === want);
  const leader0 = await until('a leader', () => c.leader(), 30_000);
  const follower = [0, 1, 2].find((i) => i !== leader0)!;
  const unlockKeys = async () => Promise.all(c.urls.map(async (u) => (await api<{ UnlockKey: string }>(u, '/swarm/unlockkey')).body.UnlockKey));
  const swarmOf = async (url: string) => (await api<SwarmJ>(url, '/swarm')).body;
  /** A swarm update through `url`, retried on an out-of-sequence version or a leader change. */
  const updateSwarm = async (url: string, change: (s: SwarmJ) => Record<string, unknown>, rotate = false) => until('the swarm update', async () => {
    const s = await swarmOf(url);
    const r = await api(url, `/swarm/update?version=${s.Version.Index}${rotate ? '&rotateManagerUnlockKey=true' : ''}`, post(change(s)));
    return r.status === 200 ? r : undefined;
  }, 30_000, 250);
  const locked503 = async (url: string) => {
    const r = await api<{ message: string }>(url, '/services');
    return r.status === 503 && r.body.message === SWARM_LOCKED;
  };
  /** kill -9 of manager i and a restart on the same files: resolves once it answers /_ping. */
  const restart = async (i: number) => {
    c.managers[i]!.proc.child.kill('SIGKILL');
    await c.managers[i]!.proc.exited();
    await c.managers[i]!.start();
  };

  // On through a follower (forwarded to the leader).
  await updateSwarm(c.urls[follower]!, (s) => ({ ...s.Spec, EncryptionConfig: { AutoLockManagers: true } }));
  const key = await until('the same unlock key on every manager', async () => {
    const ks = await unlockKeys();
    return ks[0]?.startsWith('SWMKEY-1-') && ks.every((k) => k === ks[0]) ? ks[0] : undefined;
  }, 30_000, 200);
  t.pass(`GET /swarm/unlockkey: one key on the three managers`);
  const cli = swarmlet(['--host', c.urls[follower]!, 'swarm', 'unlock-key', '-q']);
  await cli.exited();
  t.equal(cli.out().trim(), key, 'swarmlet swarm unlock-key -q on a follower prints it');
  for (const [i, u] of c.urls.entries()) t.equal((await swarmOf(u)).Spec.EncryptionConfig?.AutoLockManagers, true, `GET /swarm on manager ${i}: AutoLockManagers true`);
  await until('every data key file wrapped with the key', () => allFiles(key, 'opens'), 30_000, 200);
  t.pass('each manager\'s data key file is wrapped (followers too), and the unlock key opens it');
  for (const f of files) t.notMatch(readFileSync(f, 'utf8'), /"key":/, `${f}: no data key in the clear`);
  await until('every manager\'s client token file sealed', () => c.managers.every((m) => clientTokenFileSealed(join(m.dataDir, CLIENT_TOKEN_FILE))), 30_000, 200);
  t.pass('each manager\'s <data>/client-token is sealed with the data key');
  const ct = swarmlet(['client-token', '--data', c.managers[follower]!.dataDir]);
  await ct.exited();
  t.match(ct.out(), /client token file .* is sealed \(autolock is on\)/, 'swarmlet client-token --data DIR: refused, the file is sealed');
  const body = key.slice('SWMKEY-1-'.length);
  const inEtcd = JSON.stringify(await c.etcdValues<unknown>('/swarmlet/'));
  t.ok(inEtcd.includes('swarmlet-cluster-autolock'), 'etcd holds the autolock object');
  t.notOk(inEtcd.includes(body) || inEtcd.includes(Buffer.from(body, 'base64').toString('base64')), 'etcd holds no unlock key in the clear');

  // kill -9 of the leader and a restart: locked; the other two elect and serve.
  const victim = (await until('a leader', () => c.leader(), 30_000))!;
  const others = [0, 1, 2].filter((i) => i !== victim);
  await restart(victim);
  await until('the restarted manager answers the locked 503', () => locked503(c.urls[victim]!), 30_000, 200);
  t.pass('the restarted manager: 503 "Swarm is encrypted and needs to be unlocked…"');
  const info = await api<{ Swarm: { LocalNodeState: string } }>(c.urls[victim]!, '/info');
  t.equal(info.body.Swarm.LocalNodeState, 'locked', 'docker info on it: locked');
  const created = await until('a write through the others', async () => {
    const r = await api(c.urls[others[0]!]!, '/services/create', post({ Name: 'while-locked', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 0 } } }));
    return r.status === 201 || r.status === 409 ? r : undefined;
  }, 30_000, 250);
  t.ok(created, 'the other two take writes meanwhile');
  t.equal((await api(c.urls[others[1]!]!, '/services/while-locked')).status, 200, 'and serve reads');
  const leaderNow = await until('a leader among the others', () => c.leader(others), 30_000);
  t.ok(others.includes(leaderNow), 'a leader among the unlocked managers');
  t.ok(await locked503(c.urls[victim]!), 'still locked (it did not campaign)');

  // A wrong key is refused with Docker's text; the right one unlocks it and it follows.
  const wrong = await api<{ message: string }>(c.urls[victim]!, '/swarm/unlock', post({ UnlockKey: formatUnlockKey(newUnlockKey()) }));
  t.same([wrong.status, wrong.body.message], [401, INVALID_UNLOCK_KEY], 'a wrong key: 401 "invalid key provided"');
  t.ok(await locked503(c.urls[victim]!), 'still locked after the wrong key');
  const ok = await cliUnlock(c.urls[victim]!, key);
  t.equal(ok.code, 0, `swarmlet swarm unlock (key on stdin): ${ok.out.trim()}`);
  await until('the unlocked manager serves', async () => (await api(c.urls[victim]!, '/services/while-locked')).status === 200, 30_000, 200);
  t.pass('it serves (and mirrors what was written while it was locked)');
  const ls = await until('it follows: 3 reachable managers, one leader (another)', async () => {
    const r = await api<ManagerEntry[]>(c.urls[victim]!, '/swarmlet/v1/managers');
    return r.status === 200 && r.body.length === 3 && r.body.every((m) => m.Reachable) && r.body.filter((m) => m.Leader).length === 1 ? r.body : undefined;
  }, 30_000, 200);
  t.not(ls.find((m) => m.Leader)!.Addr, c.urls[victim], 'it follows the leader elected while it was locked');

  // Rotation: a new key in the store, the file rewrapped; the old key no longer unlocks a restarted manager.
  await updateSwarm(c.urls[victim]!, (s) => s.Spec, true);
  const key2 = await until('the rotated key on every manager', async () => {
    const ks = await unlockKeys();
    return ks[0] && ks[0] !== key && ks.every((k) => k === ks[0]) ? ks[0] : undefined;
  }, 30_000, 200);
  await until('every data key file rewrapped with the new key', () => allFiles(key2, 'opens'), 30_000, 200);
  t.same(files.map((f) => fileOpensWith(f, key)), ['refuses', 'refuses', 'refuses'], 'the old key no longer opens any manager\'s file');
  const victim2 = others[0]!;
  await restart(victim2);
  await until('the restarted manager is locked', () => locked503(c.urls[victim2]!), 30_000, 200);
  if (docker) {
    const old = await cliUnlock(c.urls[victim2]!, key, 'docker');
    t.ok(old.code !== 0 && old.out.includes(INVALID_UNLOCK_KEY), `docker swarm unlock with the old key: refused (${old.out.trim()})`);
    const fresh = await cliUnlock(c.urls[victim2]!, key2, 'docker');
    t.equal(fresh.code, 0, `docker swarm unlock with the rotated key: ${fresh.out.trim()}`);
  } else {
    const old = await api<{ message: string }>(c.urls[victim2]!, '/swarm/unlock', post({ UnlockKey: key }));
    t.same([old.status, old.body.message], [401, INVALID_UNLOCK_KEY], 'the old key: refused');
    const fresh = await api(c.urls[victim2]!, '/swarm/unlock', post({ UnlockKey: key2 }));
    t.equal(fresh.status, 200, 'the rotated key unlocks it');
  }
  await until('it serves', async () => (await api(c.urls[victim2]!, '/services')).status === 200, 30_000, 200);
  t.equal((await api<{ UnlockKey: string }>(c.urls[victim2]!, '/swarm/unlockkey')).body.UnlockKey, key2, 'and answers the rotated key');

  // The whole control plane restarts (a power cut): all three locked, nobody leads; the first one unlocked leads, the others follow.
  for (const m of c.managers) m.proc.child.kill('SIGKILL');
  await Promise.all(c.managers.map((m) => m.proc.exited()));
  for (const m of c.managers) await m.start();
  await until('all three locked', async () => (await Promise.all(c.urls.map(locked503))).every(Boolean), 30_000, 200);
  t.pass('after a restart of every manager all three are locked');
  const first = (await api(c.urls[2]!, '/swarm/unlock', post({ UnlockKey: key2 }))).status;
  t.equal(first, 200, 'one unlocked');
  await until('the unlocked one leads (nobody else can)', async () => (await c.leader([2])) === 2, 30_000, 200);
  t.pass('it leads');
  for (const i of [0, 1]) t.equal((await api(c.urls[i]!, '/swarm/unlock', post({ UnlockKey: key2 }))).status, 200, `manager ${i} unlocked`);
  await until('the others follow it', async () => {
    const r = await api<ManagerEntry[]>(c.urls[0]!, '/swarmlet/v1/managers');
    return r.status === 200 && r.body.length === 3 && r.body.every((m) => m.Reachable) && r.body.find((m) => m.Leader)?.Addr === c.urls[2];
  }, 30_000, 200);
  t.pass('three reachable managers, the first unlocked one leads');

  // Off: every manager writes its file back in the clear; a restart is not locked.
  await updateSwarm(c.urls[leader0 === victim2 ? victim : victim2]!, (s) => ({ ...s.Spec, EncryptionConfig: { AutoLockManagers: false } }));
  await until('no unlock key on any manager', async () => (await unlockKeys()).every((k) => k === ''), 30_000, 200);
  await until('every data key file in the clear', () => allFiles(key2, 'clear'), 30_000, 200);
  t.pass('autolock off: every manager\'s data key file is in the clear');
  const clear = files.map((f) => (JSON.parse(readFileSync(f, 'utf8')) as { key?: string }).key);
  t.ok(clear[0] && clear.every((k) => k === clear[0]), 'each holds the same data key itself');
  await until('every client token file in the clear', () => c.managers.every((m) => readClientTokenFile(join(m.dataDir, CLIENT_TOKEN_FILE)) !== undefined), 30_000, 200);
  t.pass('and its <data>/client-token in the clear');
  for (const [i, u] of c.urls.entries()) t.equal((await swarmOf(u)).Spec.EncryptionConfig?.AutoLockManagers, false, `GET /swarm on manager ${i}: AutoLockManagers false`);
  await restart(victim);
  await until('the restarted manager serves at once (not locked)', async () => (await api(c.urls[victim]!, '/services')).status === 200, 30_000, 200);
  t.pass('a restart after autolock off is not locked');
});
