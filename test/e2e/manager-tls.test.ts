/**
 * `swarmlet manager` over TLS with real processes on 127.0.0.161-169: the refusal without TLS on a
 * non-loopback address, the CLI with --tlscacert/--token, a node joining over https and running a
 * task, its gateway and a standalone gateway following the authenticated endpoint stream, the stock
 * docker CLI with HttpHeaders, client-token rotation, and no secret in any process output.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { cliWith, freePort, ROOT, until, type CliResult } from '../fixtures/up-process.js';
import { makeTestCerts, opensslAvailable } from '../fixtures/tls-certs.js';
import { dockerAvailable, dockerCli } from '../fixtures/docker-cli.js';
import { swarmletArgs } from '../fixtures/swarmlet-command.js';

const MANAGER = '127.0.0.161';
const N1 = '127.0.0.162';
const N2 = '127.0.0.163';

t.setTimeout(240_000);

interface Proc { child: ChildProcess; out(): string }

function swarmlet(args: string[]): Proc {
  const child = spawn(process.execPath, swarmletArgs(...args), {
    cwd: ROOT, env: { ...process.env, SWARMLET_HOST: '', SWARMLET_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  return { child, out: () => out };
}

const running = (p: Proc) => p.child.exitCode === null && p.child.signalCode === null;

async function stopAll(procs: Proc[]): Promise<void> {
  for (const p of procs) if (running(p)) p.child.kill('SIGINT');
  await Promise.all(procs.map((p) => (running(p) ? new Promise((r) => p.child.once('exit', r)) : undefined)));
}

if (!opensslAvailable()) {
  t.test('TLS', { skip: 'openssl is not installed: no certificates for the TLS tests' }, () => {});
} else {
  t.test('a TLS manager, its CLI, nodes over https and gateways', async (t) => {
    const certs = makeTestCerts([MANAGER]);
    const dir = mkdtempSync(join(tmpdir(), 'swarmlet-tls-e2e-'));
    const procs: Proc[] = [];
    const pids = new Set<number>();
    t.teardown(async () => {
      await Promise.race([stopAll(procs), new Promise((r) => setTimeout(r, 15_000))]);
      for (const p of procs) if (running(p)) p.child.kill('SIGKILL');
      for (const pid of pids) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
      rmSync(dir, { recursive: true, force: true });
      certs.cleanup();
    });
    const trust = new Agent({ connect: { ca: certs.ca } });
    t.teardown(() => trust.close());

    await t.test('without TLS, a non-loopback --listen is refused with the flags to pass', async (t) => {
      for (const addr of ['0.0.0.0', '10.1.2.3']) {
        const r = await cliWith({ url: '' }, 'manager', '--listen', `${addr}:2377`, '--data', join(dir, 'refused'));
        t.equal(r.code, 1, addr);
        t.equal(r.stderr.trim(), `Error: refusing to serve the management API on ${addr} without TLS: on a non-loopback address it requires TLS and a client token; pass --tls-cert FILE and --tls-key FILE, or listen on a loopback address such as 127.0.0.1`);
      }
      const half = await cliWith({ url: '' }, 'manager', '--listen', `${MANAGER}:2377`, '--tls-cert', certs.certFile, '--data', join(dir, 'refused'));
      t.equal(half.code, 1);
      t.match(half.stderr, /--tls-cert and --tls-key go together/);
    });

    const port = await freePort(MANAGER);
    const url = `https://${MANAGER}:${port}`;
    const data = join(dir, 'manager');
    // docker's spellings of the flags, as aliases
    const manager = swarmlet(['manager', '--listen', `${MANAGER}:${port}`, '--data', data, '--tlscert', certs.certFile, '--tlskey', certs.keyFile,
      '--dispatcher-heartbeat', '1s', '--log-level', 'debug']);
    procs.push(manager);
    await until('the TLS manager', async () => {
      const r = await request(`${url}/_ping`, { dispatcher: trust });
      await r.body.dump();
      return r.statusCode === 200;
    }, 30_000);
    t.match(manager.out(), new RegExp(`API at ${url.replace(/\./g, '\\.')}`));

    const boot = await cliWith({ url: '' }, 'client-token', '--data', data, '-q');
    t.equal(boot.code, 0, boot.stderr);
    let token = boot.stdout.trim();
    t.match(token, /^SWLCTK-1-[0-9a-z]{50}$/);
    const swl = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> => cliWith({ url: '', env }, '-H', url, '--tlscacert', certs.caFile, ...args);

    await t.test('the CLI: no token → 401, wrong CA → refused, --token and SWARMLET_TOKEN work', async (t) => {
      const none = await swl(['service', 'ls']);
      t.equal(none.code, 1);
      t.match(none.stderr, /^Error response from daemon: unauthorized: this manager requires a client token/);
      const wrong = await swl(['--token', 'SWLCTK-1-wrong', 'service', 'ls']);
      t.equal(wrong.stderr.trim(), 'Error response from daemon: unauthorized: invalid client token');
      const otherCa = await cliWith({ url: '' }, '-H', url, '--tlscacert', certs.otherCaFile, '--token', token, 'service', 'ls');
      t.equal(otherCa.code, 1);
      t.match(otherCa.stderr, /cannot connect to the swarmlet manager at https:\/\/127\.0\.0\.161:\d+ \(/);
      const created = await swl(['--token', token, 'service', 'create', '-d', '--name', 'tweb', '--replicas', '2', '-p', `${port + 1}:8080`, 'whoami']);
      t.equal(created.code, 0, created.stderr);
      const ls = await cliWith({ url: '', env: { SWARMLET_TOKEN: token } }, '-H', `tcp://${MANAGER}:${port}`, '--tlsverify', '--tlscacert', certs.caFile, 'service', 'ls');
      t.equal(ls.code, 0, ls.stderr);
      t.match(ls.stdout, /tweb\s+replicated\s+0\/2/, 'tcp:// + --tlsverify + SWARMLET_TOKEN');
    });

    const joinToken = (await swl(['--token', token, 'join-token', 'worker', '-q'])).stdout.trim();
    t.match(joinToken, /^SWLTKN-1-/);
    const published = port + 1;

    await t.test('nodes join over https, run the tasks; both gateways follow the authenticated endpoint stream', async (t) => {
      const n1 = swarmlet(['node', 'join', '--manager', url, '--tlscacert', certs.caFile, '--token', joinToken, '--address', N1, '--hostname', 'tls1',
        '--state', join(dir, 'tls1'), '--metrics-port', 'off']);
      const n2 = swarmlet(['node', 'join', '--manager', url, '--tlscacert', certs.caFile, '--token', joinToken, '--address', N2, '--hostname', 'tls2',
        '--state', join(dir, 'tls2'), '--metrics-port', 'off', '--no-gateway']);
      procs.push(n1, n2);
      type TaskJ = { DesiredState: string; Status: { State: string; ContainerStatus?: { PID?: number } } };
      const tasks = await until('2 tasks running', async () => {
        const r = await request(`${url}/tasks`, { dispatcher: trust, headers: { authorization: `Bearer ${token}` } });
        const all = await r.body.json() as TaskJ[];
        const up = all.filter((x) => x.DesiredState === 'running' && x.Status.State === 'running');
        return up.length === 2 ? up : undefined;
      }, 60_000).catch((e: Error) => { throw new Error(`${e.message}\n${n1.out()}\n${n2.out()}`); });
      for (const x of tasks) if (x.Status.ContainerStatus?.PID) pids.add(x.Status.ContainerStatus.PID);
      // The node's own gateway (node credential) on N1; a standalone gateway (client token) for tls2 on N2.
      const gw = swarmlet(['gateway', '--manager', url, '--tlscacert', certs.caFile, '--token', token, '--node', 'tls2', '--admin', 'off']);
      procs.push(gw);
      for (const addr of [N1, N2]) {
        const seen = await until(`both tasks behind ${addr}:${published}`, async () => {
          const names = new Set<string>();
          for (let i = 0; i < 6; i++) {
            const r = await request(`http://${addr}:${published}/`, { headers: { accept: 'application/json' } });
            const body = await r.body.text();
            if (r.statusCode !== 200) return undefined;
            names.add((JSON.parse(body) as { task: string }).task);
          }
          return names.size === 2 ? names : undefined;
        }, 30_000);
        t.same([...seen].sort(), ['tweb.1', 'tweb.2'], `${addr} routes to both tasks`);
      }
      t.match(gw.out(), /gateway for tls2 \(127\.0\.0\.163\) following https:\/\/127\.0\.0\.161/);
    });

    await t.test('the stock docker CLI with --tlsverify --tlscacert and HttpHeaders', { skip: dockerAvailable() ? false : 'no docker CLI' }, async (t) => {
      const docker = dockerCli(port);
      t.teardown(() => docker.cleanup());
      const tlsArgs = ['--tlsverify', '--tlscacert', certs.caFile, '-H', `tcp://${MANAGER}:${port}`];
      const refused = await docker.run(...tlsArgs, 'service', 'ls');
      t.not(refused.code, 0, 'no token: refused');
      t.match(refused.stderr, /unauthorized/);
      writeFileSync(join(docker.env.DOCKER_CONFIG!, 'config.json'), JSON.stringify({ HttpHeaders: { Authorization: `Bearer ${token}` } }));
      const ls = await docker.run(...tlsArgs, 'service', 'ls', '--format', '{{.Name}} {{.Replicas}}');
      t.equal(ls.code, 0, ls.stderr);
      t.equal(ls.stdout.trim(), 'tweb 2/2');
      const nodes = await docker.run(...tlsArgs, 'node', 'ls', '--format', '{{.Hostname}} {{.Status}}');
      t.equal(nodes.code, 0, nodes.stderr);
      t.same(nodes.stdout.trim().split('\n').sort(), ['tls1 Ready', 'tls2 Ready']);
    });

    await t.test('rotating the client token: the old one is refused at once, nodes keep working', async (t) => {
      const rotated = await swl(['--token', token, 'client-token', '--rotate', '-q']);
      t.equal(rotated.code, 0, rotated.stderr);
      const old = token;
      token = rotated.stdout.trim();
      t.not(token, old);
      const refused = await swl(['--token', old, 'service', 'ls']);
      t.equal(refused.stderr.trim(), 'Error response from daemon: unauthorized: invalid client token');
      t.equal((await swl(['--token', token, 'service', 'ls'])).code, 0);
      const fromFile = await cliWith({ url: '' }, 'client-token', '--data', data, '-q');
      t.equal(fromFile.stdout.trim(), token, 'the secrets file has the new one');
      await new Promise((r) => setTimeout(r, 2500)); // > 2 heartbeats
      const r = await request(`${url}/nodes`, { dispatcher: trust, headers: { authorization: `Bearer ${token}` } });
      const nodes = await r.body.json() as Array<{ Description: { Hostname: string }; Status: { State: string } }>;
      t.same(nodes.map((n) => `${n.Description.Hostname} ${n.Status.State}`).sort(), ['tls1 ready', 'tls2 ready'], 'node sessions are unaffected');
    });

    await t.test('no token or credential in any process output', async (t) => {
      const creds = ['tls1', 'tls2'].map((n) => (JSON.parse(readFileSync(join(dir, n, 'node.json'), 'utf8')) as { Credential: string }).Credential);
      const all = procs.map((p) => p.out()).join('\n');
      t.match(manager.out(), /"msg":"node joined"/, 'the manager logged at debug level');
      for (const secret of [token, joinToken, ...creds]) t.notOk(all.includes(secret), `${secret.slice(0, 9)}… never printed`);
      t.notOk(/SWLTKN-1-[0-9a-z]{10}|SWLCTK-1-[0-9a-z]{10}|SWLCRED-[0-9a-z]{10}/.test(all), 'nothing token-shaped');
    });

    await stopAll(procs);
    t.equal(manager.child.exitCode, 0, 'the manager stops cleanly');
  });
}
