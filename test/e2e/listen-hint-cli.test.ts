/**
 * A task whose program never listens on its $HOST:$PORT: the user sees why it stays STARTING, in
 * `service create`'s progress and in `service ps`. A real `swarmlet manager` and one `swarmlet node
 * join` process on 127.0.0.201 (not the 127.0.0.1-3 of `swarmlet up`), the real CLI, and the stock
 * docker CLI when it is installed.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Node, Task } from '../../lib/model/types.js';
import { ROOT, cli, cliWith, freePort, getJson, killedAtTeardown, parseTable, tempDataDir, until } from '../fixtures/up-process.js';
import { swarmletArgs } from '../fixtures/swarmlet-command.js';
import { dockerAvailable, dockerCli } from '../fixtures/docker-cli.js';

const ADDR = '127.0.0.201';
t.setTimeout(240_000);

function swarmlet(args: string[]): ChildProcess & { out: () => string } {
  const child = spawn(process.execPath, swarmletArgs(...args), { cwd: ROOT, env: { ...process.env, SWARMLET_HOST: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  return Object.assign(child, { out: () => out });
}

t.test('a task that never listens: create\'s progress and service ps say what it waits for', async (t) => {
  const dir = tempDataDir('swarmlet-listen-hint-');
  const port = await freePort(ADDR);
  const url = `http://${ADDR}:${port}`;
  const { procs, pids } = killedAtTeardown(t, dir);
  const manager = swarmlet(['manager', '--listen', `${ADDR}:${port}`, '--data', join(dir, 'manager')]);
  procs.push(manager);
  await until('the manager', async () => (await fetch(`${url}/_ping`)).ok || undefined, 30_000);
  const token = (await getJson<{ Token: string }>(url, '/swarmlet/v1/join-token/worker')).Token;
  const node = swarmlet(['node', 'join', '--manager', url, '--token', token, '--address', ADDR, '--hostname', 'hint1',
    '--state', join(dir, 'node'), '--metrics-port', 'off']);
  procs.push(node);
  await until('the node', async () => (await getJson<Node[]>(url, '/nodes')).some((n) => n.Status.State === 'ready') || undefined, 60_000,
  ).catch((e: Error) => { throw new Error(`${e.message}\nmanager: ${manager.out()}\nnode: ${node.out()}`); });

  const sw = (...args: string[]) => cli(url, ...args);
  const added = await sw('image', 'add', 'silent:1', '--cmd', 'sh -c "sleep 600"');
  t.equal(added.code, 0, added.stderr);
  const published = await freePort(ADDR);

  // create waits for convergence (plain progress lines: not a terminal) and gives up after --timeout
  // (the command's own deadline is generous: a loaded machine may take seconds to start the CLI)
  const create = await cliWith({ url, timeoutMs: 120_000 }, 'service', 'create', '--name', 'silent', '-p', `${published}:8080`, '--timeout', '20s', 'silent:1');
  t.equal(create.code, 1, `it never converges: the --timeout error (stderr: ${create.stderr})`);
  t.match(create.stderr, /timed out waiting for service \S+ to converge/);
  const tasks = await getJson<Task[]>(url, '/tasks');
  const task = tasks.find((x) => x.DesiredState === 'running');
  t.ok(task, 'the task exists');
  if (task?.Status.ContainerStatus?.PID) pids.add(task.Status.ContainerStatus.PID);
  const endpoint = `${ADDR.replace(/\./g, '\\.')}:\\d{5}`; // its PORT (the endpoint is reported once it runs)
  const hintLines = create.stdout.split('\n').filter((l) => l.startsWith('1/1: waiting for the task to listen on '));
  t.ok(hintLines.length >= 1, `create's progress says what the task waits for:\n${create.stdout}`);
  t.match(hintLines[0] ?? '', new RegExp(`^1/1: waiting for the task to listen on ${endpoint} \\(PORT\\); started \\d+s ago$`));
  t.ok(hintLines.length <= 6, `a few lines in 20 s, not one per probe (${hintLines.length})`);

  // service ps: still STARTING, the reason in the ERROR column (docker's 30-character cut; whole with --no-trunc)
  const ps = await until('the reason in service ps', async () => {
    const r = await sw('service', 'ps', '--no-trunc', 'silent');
    const row = parseTable(r.stdout)[0];
    return row?.ERROR?.includes('waiting for the task to listen') ? row : undefined;
  }, 30_000);
  t.match(ps['CURRENT STATE'] ?? '', /^Starting /, 'still starting');
  t.match(ps.ERROR ?? '', new RegExp(`^"waiting for the task to listen on ${endpoint} \\(PORT\\); started \\d+(s|m|m\\d+s) ago"$`));
  const portOf = (text: string) => /listen on [\d.]+:(\d+) /.exec(text)?.[1];
  t.equal(portOf(ps.ERROR ?? ''), portOf(hintLines[0] ?? ''), 'the same PORT in both');
  const short = parseTable((await sw('service', 'ps', 'silent')).stdout)[0];
  t.equal(short?.ERROR, '"waiting for the task to liste…"', 'cut like docker\'s ERROR column');

  // the stock docker CLI shows Status.Err in its ERROR column: the same reason
  if (!dockerAvailable()) {
    t.comment('no docker CLI on PATH: docker service ps not checked');
  } else {
    const docker = dockerCli(port, ADDR);
    t.teardown(() => docker.cleanup());
    const full = await docker.run('service', 'ps', '--no-trunc', 'silent');
    const row = parseTable(full.stdout)[0];
    t.match(row?.['CURRENT STATE'] ?? '', /^Starting /, `docker service ps: starting (${full.stderr})`);
    t.match(row?.ERROR ?? '', new RegExp(`^"waiting for the task to listen on ${endpoint} \\(PORT\\); started \\d+(s|m|m\\d+s) ago"$`), 'docker service ps --no-trunc: the reason');
    t.equal(parseTable((await docker.run('service', 'ps', 'silent')).stdout)[0]?.ERROR, '"waiting for the task to liste…"', 'docker service ps: cut at 30');
  }

  const rm = await sw('service', 'rm', 'silent');
  t.equal(rm.code, 0, rm.stderr);
  await until('the task gone', async () => (await getJson<Task[]>(url, '/tasks')).every((x) => x.Status.State !== 'starting') || undefined, 60_000);
});
