/**
 * Autolock and the persisted swarm object with the stock docker CLI and the swarmlet CLI against a real
 * `swarmlet up` restarted on the same data directory: `docker swarm update --autolock=true` prints the
 * unlock key, settings survive the restart, the restarted manager refuses `docker service ls` with
 * Docker's locked text, a wrong key is refused, `docker swarm unlock` (key on stdin) unlocks; the key
 * rotates with `swarmlet swarm unlock-key --rotate` and `swarmlet swarm unlock` takes the new one;
 * `--autolock=false` makes the next restart unlocked.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import t from 'tap';
import { dockerAvailable, dockerCli } from '../fixtures/docker-cli.js';
import { cli, freePort, lockLocalNodes, ROOT, startUp, tempDataDir, until, type CliResult, type UpProcess } from '../fixtures/up-process.js';

const skip = dockerAvailable() ? false : 'docker CLI not on PATH: the docker 28.x client drives this suite';
const LOCKED = 'Error response from daemon: Swarm is encrypted and needs to be unlocked before it can be used. Please use "docker swarm unlock" to unlock it.';
const WRONG = 'SWMKEY-1-' + 'A'.repeat(43);

/** Runs a command with `input` on its standard input. */
function runWithInput(file: string, args: string[], env: NodeJS.ProcessEnv, input: string, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => { clearTimeout(timer); resolve({ code: code ?? 124, stdout, stderr }); });
    child.stdin.end(input);
  });
}

t.test('autolock with the docker CLI and the swarmlet CLI across swarmlet up restarts', { skip }, async (t) => {
  t.setTimeout(240_000);
  const release = await lockLocalNodes();
  const dataDir = tempDataDir('swarmlet-autolock-');
  const port = await freePort();
  const docker = dockerCli(port);
  let up: UpProcess | undefined;
  t.teardown(async () => {
    await up?.stop('SIGINT').catch(() => up?.kill9());
    rmSync(dataDir, { recursive: true, force: true });
    docker.cleanup();
    release();
  });
  const restart = async () => {
    await up?.stop('SIGINT');
    up = await startUp({ nodes: 1, dataDir, port, timeoutMs: 60_000 }); // a loaded machine starts slowly
    return up;
  };
  const dockerUnlock = (key: string) => runWithInput('docker', ['swarm', 'unlock'], docker.env, `${key}\n`);
  const swarmletUnlock = (key: string) => runWithInput(process.execPath, ['--import', 'tsx', 'cmd/swarmlet.ts', 'swarm', 'unlock'],
    { ...process.env, SWARMLET_HOST: up!.url }, `${key}\n`);
  const info = async (format: string) => (await docker.run('info', '--format', format)).stdout.trim();

  await restart();
  const created = await docker.run('service', 'create', '-d', '--name', 'web', 'whoami:1');
  t.equal(created.code, 0, created.stderr);
  const on = await docker.run('swarm', 'update', '--autolock=true', '--task-history-limit', '3', '--dispatcher-heartbeat', '10s');
  t.equal(on.code, 0, on.stderr);
  t.match(on.stdout, /Swarm updated\./);
  const key = /SWMKEY-1-\S+/.exec(on.stdout)?.[0];
  t.ok(key, `docker prints the unlock key: ${on.stdout}`);
  const shown = await docker.run('swarm', 'unlock-key', '-q');
  t.equal(shown.stdout.trim(), key, 'docker swarm unlock-key -q prints the same key');
  const notLocked = await dockerUnlock(key!);
  t.same([notLocked.code, notLocked.stderr.trim()], [1, 'Error: swarm is not locked'], 'the docker CLI checks the state first');

  await t.test('restarted: locked until docker swarm unlock gets the right key', async (t) => {
    const u = await restart();
    const said = await until('swarmlet up says how to unlock', () => (/swarmlet swarm unlock --host/.test(u.stdout()) ? u.stdout() : undefined), 10_000);
    t.match(said, /the swarm is locked \(autolock is on\)/, 'swarmlet up says it is locked');
    const ls = await docker.run('service', 'ls');
    t.same([ls.code, ls.stderr.trim()], [1, LOCKED], "docker service ls: Docker's locked refusal");
    t.equal(await info('{{.Swarm.LocalNodeState}}'), 'locked', 'docker info: Swarm locked');
    const wrong = await dockerUnlock(WRONG);
    t.same([wrong.code, wrong.stderr.trim()], [1, 'Error response from daemon: swarm could not be unlocked: invalid key provided']);
    const wrongSwarmlet = await swarmletUnlock(WRONG);
    t.equal(wrongSwarmlet.code, 1, 'swarmlet swarm unlock refuses it too');
    t.match(wrongSwarmlet.stderr, /swarm could not be unlocked: invalid key provided/);
    t.equal((await docker.run('service', 'ls')).code, 1, 'still locked');
    const ok = await dockerUnlock(key!);
    t.equal(ok.code, 0, ok.stderr);
    const after = await docker.run('service', 'ls', '--format', '{{.Name}}');
    t.same([after.code, after.stdout.trim()], [0, 'web'], 'unlocked: the services are there');
    t.equal(await info('{{.Swarm.Cluster.Spec.Dispatcher.HeartbeatPeriod}}'), '10s', 'the heartbeat survived the restart');
    t.equal(await info('{{.Swarm.Cluster.Spec.Orchestration.TaskHistoryRetentionLimit}}'), '3', 'the history limit too');
    t.equal(await info('{{.Swarm.Cluster.Spec.EncryptionConfig.AutoLockManagers}}'), 'true');
  });

  await t.test('swarmlet swarm unlock-key --rotate; swarmlet swarm unlock takes the new key', async (t) => {
    const rotated = await cli(up!.url, 'swarm', 'unlock-key', '--rotate', '-q');
    t.equal(rotated.code, 0, rotated.stderr);
    const newKey = rotated.stdout.trim();
    t.match(newKey, /^SWMKEY-1-/);
    t.not(newKey, key);
    t.equal((await docker.run('swarm', 'unlock-key', '-q')).stdout.trim(), newKey, 'docker sees the new key');
    await restart();
    t.equal((await docker.run('service', 'ls')).code, 1, 'locked again');
    t.equal((await swarmletUnlock(key!)).code, 1, 'the old key no longer unlocks');
    const ok = await swarmletUnlock(newKey);
    t.equal(ok.code, 0, ok.stderr);
    t.match(ok.stdout, /Swarm unlocked/);
    t.equal((await docker.run('service', 'ls', '-q')).code, 0);
  });

  await t.test('--autolock=false: the next restart is not locked', async (t) => {
    const off = await docker.run('swarm', 'update', '--autolock=false');
    t.equal(off.code, 0, off.stderr);
    const none = await docker.run('swarm', 'unlock-key');
    t.equal(none.code, 1);
    t.match(none.stderr, /no unlock key is set/);
    const u = await restart();
    await until('swarmlet up printed its start lines', () => (/Try: /.test(u.stdout()) ? true : undefined), 10_000);
    t.notMatch(u.stdout(), /locked/);
    const ls = await docker.run('service', 'ls', '--format', '{{.Name}}');
    t.same([ls.code, ls.stdout.trim()], [0, 'web']);
    t.equal(await info('{{.Swarm.Cluster.Spec.Dispatcher.HeartbeatPeriod}}'), '10s');
  });
});
