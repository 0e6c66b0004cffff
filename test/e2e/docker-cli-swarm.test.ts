/**
 * The swarm commands of the stock docker CLI against one `swarmlet up`: join-token (its join command
 * joins a `swarmlet node join`), init/join/leave refused with Docker's texts, update, and a forced leave
 * followed by init; and `docker service create IMAGE ARGS` runs ARGS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import t from 'tap';
import type { Node, Service, Task } from '../../lib/model/types.js';
import { dockerAvailable, dockerSession } from '../fixtures/docker-cli.js';
import { getJson, ROOT, tempDataDir, until } from '../fixtures/up-process.js';
import { swarmletArgs } from '../fixtures/swarmlet-command.js';

const skip = dockerAvailable() ? false : 'docker CLI not on PATH: the docker 28.x client drives this suite';
const JOINED_ADDR = '127.0.0.174';
const ALREADY = 'Error response from daemon: This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.';

t.test('docker swarm … and service create IMAGE ARGS against swarmlet up', { skip }, async (t) => {
  t.setTimeout(180_000);
  const { up, docker } = await dockerSession(t);
  const procs: ChildProcess[] = [];
  const stateDir = tempDataDir('swarmlet-joined-');
  t.teardown(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)))));
    rmSync(stateDir, { recursive: true, force: true });
  });

  await t.test('docker swarm join-token worker prints a command whose token swarmlet node join accepts', async (t) => {
    const r = await docker.run('swarm', 'join-token', 'worker');
    t.equal(r.code, 0, r.stderr);
    const m = /docker swarm join --token (\S+) (\S+)/.exec(r.stdout);
    t.ok(m, `a join command: ${r.stdout}`);
    const [, token, addr] = m!;
    t.equal(addr, `127.0.0.1:${up.port}`, "the manager's address");
    const quiet = await docker.run('swarm', 'join-token', '-q', 'worker');
    t.equal(quiet.stdout.trim(), token, '-q prints the token alone');
    const node = spawn(process.execPath, swarmletArgs('node', 'join', '--manager', addr!, '--token', token!,
      '--address', JOINED_ADDR, '--hostname', 'joined1', '--state', stateDir, '--no-gateway', '--metrics-port', 'off'),
    { cwd: ROOT, env: { ...process.env, SWARMLET_HOST: '' }, stdio: 'ignore' });
    procs.push(node);
    const joined = await until('joined1 ready', async () => {
      const nodes = await getJson<Node[]>(up.url, '/nodes');
      return nodes.find((n) => n.Description.Hostname === 'joined1' && n.Status.State === 'ready');
    }, 30_000);
    t.equal(joined.Spec.Role, 'worker');
    const ls = await docker.run('node', 'ls', '--format', '{{.Hostname}} {{.Status}}');
    t.match(ls.stdout, /joined1 Ready/);

    const rotated = await docker.run('swarm', 'join-token', '--rotate', '-q', 'worker');
    t.equal(rotated.code, 0, rotated.stderr);
    t.not(rotated.stdout.trim(), token, 'a new worker token');
    const swarm = await getJson<{ JoinTokens: { Worker: string } }>(up.url, '/swarm');
    t.equal(swarm.JoinTokens.Worker, rotated.stdout.trim());
  });

  await t.test("init, join and leave answer with Docker's texts; update changes what it maps", async (t) => {
    const init = await docker.run('swarm', 'init');
    t.same({ code: init.code, stderr: init.stderr.trim() }, { code: 1, stderr: ALREADY });
    const join = await docker.run('swarm', 'join', '--token', 'SWMTKN-1-x', '127.0.0.1:2377');
    t.same({ code: join.code, stderr: join.stderr.trim() }, { code: 1, stderr: ALREADY });
    const leave = await docker.run('swarm', 'leave');
    t.equal(leave.code, 1);
    t.match(leave.stderr, /You are attempting to leave the swarm on a node that is participating as a manager/);
    const update = await docker.run('swarm', 'update', '--task-history-limit', '2');
    t.equal(update.code, 0, update.stderr);
    const limit = await docker.run('info', '--format', '{{.Swarm.Cluster.Spec.Orchestration.TaskHistoryRetentionLimit}}');
    t.equal(limit.stdout.trim(), '2');
    const key = await docker.run('swarm', 'unlock-key');
    t.equal(key.code, 1, 'no unlock key: autolock is off');
    t.match(key.stderr, /no unlock key is set/);
  });

  await t.test('docker service create IMAGE ARGS runs ARGS in place of the image command', async (t) => {
    const script = "require('http').createServer((q, s) => s.end('args ran')).listen(process.env.PORT, process.env.HOST)";
    const r = await docker.run('service', 'create', '-d', '--name', 'argsrun', 'whoami:1', 'node', '-e', script);
    t.equal(r.code, 0, r.stderr);
    const service = (await getJson<Service[]>(up.url, '/services')).find((s) => s.Spec.Name === 'argsrun')!;
    t.strictSame(service.Spec.TaskTemplate.ContainerSpec.Args, ['node', '-e', script]);
    const task = await until('argsrun running', async () => {
      const tasks = await getJson<Task[]>(up.url, `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: ['argsrun'] }))}`);
      return tasks.find((x) => x.Status.State === 'running' && x.Endpoint);
    }, 30_000);
    const body = await until('the task answers', async () => {
      try { return await (await fetch(`http://${task.Endpoint!.Addr}:${task.Endpoint!.Port}/`)).text(); } catch { return undefined; }
    }, 15_000).catch((e: Error) => `${e.message} (task ${JSON.stringify(task.Status)} on ${task.NodeID})`);
    t.equal(body, 'args ran', 'the task runs the arguments, not whoami');
  });

  await t.test('swarm leave --force ends the swarm; init makes a new one', async (t) => {
    const before = await getJson<{ ID: string; JoinTokens: { Worker: string } }>(up.url, '/swarm');
    const leave = await docker.run('swarm', 'leave', '--force');
    t.equal(leave.code, 0, leave.stderr);
    t.match(leave.stdout, /Node left the swarm/);
    const ls = await docker.run('service', 'ls');
    t.equal(ls.code, 1, 'no swarm: service ls refused');
    const init = await docker.run('swarm', 'init');
    t.equal(init.code, 0, init.stderr);
    t.match(init.stdout, /Swarm initialized/);
    const after = await getJson<{ ID: string; JoinTokens: { Worker: string } }>(up.url, '/swarm');
    t.not(after.ID, before.ID, 'a new swarm ID');
    t.not(after.JoinTokens.Worker, before.JoinTokens.Worker, 'new tokens');
    const services = await docker.run('service', 'ls', '-q');
    t.equal(services.stdout.trim(), '', 'the old services are gone');
  });
});
