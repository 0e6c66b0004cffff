/**
 * The real `swarmlet` CLI against a real `swarmlet up` (a child process), as a user would run the
 * commands of issue 2 in a second terminal. State is polled through the HTTP API (fast); the
 * assertions a user would make are made on the CLI's output.
 */
import t from 'tap';
import { rmSync } from 'node:fs';
import type { Node, Service, Task } from '../../lib/model/types.js';
import { alive, cli, getJson, lockLocalNodes, parseTable, startUp, tempDataDir, until, type UpProcess } from '../fixtures/up-process.js';

// `swarmlet up` owns 127.0.0.1-3 (gateway ports, :9323): one such test file at a time (see lockLocalNodes)
t.setTimeout(300_000);
let releaseNodes = () => {};
t.before(async () => { releaseNodes = await lockLocalNodes(); t.setTimeout(300_000); }); // the wait for the lock does not count
t.teardown(() => releaseNodes());

const running = (tasks: Task[]) => tasks.filter((x) => x.DesiredState === 'running' && x.Status.State === 'running');

function countBy<T>(items: T[], key: (x: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of items) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
}

/** API views of one cluster, remembering every task pid ever seen (to check none outlives the cluster). */
function apiOf(up: UpProcess) {
  const pids = new Set<number>();
  return {
    pids,
    async tasks(service?: string): Promise<Task[]> {
      const all = await getJson<Task[]>(up.url, '/tasks');
      for (const x of all) if (x.Status.ContainerStatus?.PID) pids.add(x.Status.ContainerStatus.PID);
      if (!service) return all;
      const id = (await getJson<Service>(up.url, `/services/${service}`)).ID;
      return all.filter((x) => x.ServiceID === id);
    },
    async nodes(): Promise<Map<string, string>> { // hostname → ID
      return new Map((await getJson<Node[]>(up.url, '/nodes')).map((n) => [n.Description.Hostname, n.ID]));
    },
  };
}

/** Kills (by pid) task processes a failed run may have left behind. */
function reapLeftovers(pids: Iterable<number>): void {
  for (const pid of pids) if (alive(pid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
}

const ENDPOINT_RE = /^127\.0\.0\.(\d+):(\d+)$/;

t.test('a user drives `swarmlet up` with the swarmlet CLI', async (t) => {
  const up = await startUp({ nodes: 3 });
  const api = apiOf(up);
  t.teardown(async () => {
    await up.stop('SIGINT').catch(() => up.kill9());
    reapLeftovers(api.pids);
    rmSync(up.dataDir, { recursive: true, force: true });
  });
  const sw = (...args: string[]) => cli(up.url, ...args);
  const nodeId = await api.nodes(); // hostname → node ID
  const hostOf = new Map([...nodeId].map(([h, id]) => [id, h])); // node ID → hostname
  let tomsId = '';

  await t.test('service create: 3 replicas spread 1/1/1, ls/ps/inspect/logs show them', async (t) => {
    const created = await sw('service', 'create', '-d', '--name', 'toms', '--replicas', '3', '-p', '9000:8080', 'whoami');
    t.equal(created.code, 0, created.stderr);
    tomsId = created.stdout.trim();
    t.match(tomsId, /^[0-9a-z]{25}$/, 'prints the new service ID');
    const tasks = await until('3 toms tasks running', async () => {
      const r = running(await api.tasks('toms'));
      return r.length === 3 ? r : undefined;
    });
    const prefixed = /^toms\.(\d+)\.([0-9a-z]{12})@(node-\d) +\| /;
    const logsOfAll = () => until('a log line from every task', async () => {
      const r = await sw('service', 'logs', 'toms');
      const seen = new Set(r.stdout.split('\n').map((l) => prefixed.exec(l)?.[2]));
      return r.code !== 0 || tasks.every((x) => seen.has(x.ID.slice(0, 12))) ? r : undefined;
    }, 10_000);
    const [ls, ps, inspect, inspectTask, logs, taskLogs] = await Promise.all([
      sw('service', 'ls'), sw('service', 'ps', 'toms'), sw('service', 'inspect', 'toms'),
      sw('service', 'inspect', tasks[0]!.ID), logsOfAll(), sw('service', 'logs', tasks[1]!.ID),
    ]);

    t.equal(ls.code, 0, ls.stderr);
    const lsRow = parseTable(ls.stdout).find((r) => r.NAME === 'toms');
    t.match(lsRow, { ID: tomsId.slice(0, 12), MODE: 'replicated', REPLICAS: '3/3', IMAGE: 'whoami:latest', PORTS: '*:9000->8080/tcp' });

    t.equal(ps.code, 0, ps.stderr);
    const rows = parseTable(ps.stdout);
    t.equal(rows.length, 3, ps.stdout);
    t.ok(rows.every((r) => r['DESIRED STATE'] === 'Running' && /^Running /.test(r['CURRENT STATE']!)), 'all 3 running');
    t.same(rows.map((r) => r.NODE).sort(), ['node-1', 'node-2', 'node-3'], 'spread 1/1/1');
    t.same(rows.map((r) => r.NAME).sort(), ['toms.1', 'toms.2', 'toms.3']);
    for (const r of rows) {
      t.equal(r.PORTS, '', 'PORTS is empty for a task of an ingress-published service, as Swarm prints it');
      const ep = tasks.find((x) => x.ID.startsWith(r.ID!))?.Endpoint;
      const m = ep ? ENDPOINT_RE.exec(`${ep.Addr}:${ep.Port}`) : null;
      t.ok(m, `the task's endpoint stays in inspect (127.0.0.K:PORT): ${JSON.stringify(ep)}`);
      if (!m) continue;
      t.equal(`node-${m[1]}`, r.NODE, 'the endpoint is on the node\'s address');
      const res = await fetch(`http://127.0.0.${m[1]}:${m[2]}/`);
      t.equal(res.status, 200);
      const body = await res.text();
      t.match(body, new RegExp(`^Task: ${r.NAME!.replace('.', '\\.')}$`, 'm'), `${r.NAME} answers on its endpoint`);
      t.match(body, new RegExp(`^TaskID: ${r.ID}`, 'm'));
    }

    const viaMesh = await until('the published port answers on node-2', async () => {
      const res = await fetch('http://127.0.0.2:9000/');
      return res.ok ? res.text() : undefined;
    }, 10_000);
    t.match(viaMesh, /^Task: toms\.[123]$/m, 'the routing mesh serves -p 9000 on every node');

    t.equal(inspect.code, 0, inspect.stderr);
    const services = JSON.parse(inspect.stdout) as Service[];
    t.equal(services.length, 1);
    t.equal(services[0]!.Spec.Name, 'toms');
    t.equal(services[0]!.ID, tomsId);

    t.equal(inspectTask.code, 1, 'a task ID is not a service');
    t.match(inspectTask.stderr, `no such service: ${tasks[0]!.ID}`);

    t.equal(logs.code, 0, logs.stderr);
    const lines = logs.stdout.split('\n').filter(Boolean);
    t.ok(lines.length >= 3, 'at least a line per task');
    t.ok(lines.every((l) => prefixed.test(l)), `every line is prefixed name.slot.id@node | \n${logs.stdout}`);
    const seen = new Set(lines.map((l) => prefixed.exec(l)?.slice(1).join(' ')));
    for (const x of tasks) t.ok(seen.has(`${x.Slot} ${x.ID.slice(0, 12)} ${hostOf.get(x.NodeID)}`), `logs of toms.${x.Slot}`);

    t.equal(taskLogs.code, 0, taskLogs.stderr);
    const own = taskLogs.stdout.split('\n').filter(Boolean);
    t.ok(own.length >= 1, 'the task has logs');
    t.ok(own.every((l) => l.startsWith(`toms.${tasks[1]!.Slot}.${tasks[1]!.ID.slice(0, 12)}@`)), `only that task's lines:\n${taskLogs.stdout}`);
  });

  await t.test('service scale toms=7 waits for convergence; no node holds more than 3', async (t) => {
    const r = await sw('service', 'scale', 'toms=7');
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /^toms scaled to 7$/m);
    t.ok(r.stdout.trimEnd().endsWith('verify: Service toms converged'), `ends with the verify line:\n${r.stdout}`);
    const ps = await sw('service', 'ps', 'toms');
    const rows = parseTable(ps.stdout).filter((x) => x['DESIRED STATE'] === 'Running' && x['CURRENT STATE']!.startsWith('Running'));
    t.equal(rows.length, 7, ps.stdout);
    t.ok(Math.max(...countBy(rows, (x) => x.NODE!).values()) <= 3, 'at most 3 per node');
    t.same(rows.map((x) => x.NAME).sort(), [1, 2, 3, 4, 5, 6, 7].map((n) => `toms.${n}`));
  });

  await t.test('service update --replicas 4: tasks come off the most crowded nodes', async (t) => {
    const before = running(await api.tasks('toms'));
    const r = await sw('service', 'update', '-d', '--replicas', '4', 'toms');
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout.trim(), 'toms');
    const after = await until('4 running toms', async () => {
      const all = await api.tasks('toms');
      return running(all).length === 4 && all.filter((x) => x.DesiredState === 'running').length === 4 ? running(all) : undefined;
    });
    t.ok(after.every((x) => before.some((b) => b.ID === x.ID)), 'no new task, only removals');
    t.same([...countBy(after, (x) => x.NodeID).values()].sort(), [1, 1, 2], 'balanced: 2/1/1');
  });

  let node2Tasks: string[] = [];
  await t.test('pause node-2, scale to 6: node-2 keeps its tasks and gets no new one', async (t) => {
    node2Tasks = running(await api.tasks('toms')).filter((x) => x.NodeID === nodeId.get('node-2')).map((x) => x.ID).sort();
    const pause = await sw('node', 'update', '--availability', 'pause', 'node-2');
    t.equal(pause.code, 0, pause.stderr);
    t.equal(pause.stdout.trim(), 'node-2');
    const scale = await sw('service', 'scale', '-d', 'toms=6');
    t.equal(scale.code, 0, scale.stderr);
    const now = await until('6 running toms', async () => {
      const r = running(await api.tasks('toms'));
      return r.length === 6 ? r : undefined;
    });
    t.same(now.filter((x) => x.NodeID === nodeId.get('node-2')).map((x) => x.ID).sort(), node2Tasks, 'node-2: same tasks as before the pause');
  });

  await t.test('drain node-3: its slots run elsewhere with new task IDs; ps shows the old ones as \\_ Shutdown', async (t) => {
    const n3 = nodeId.get('node-3')!;
    const old = running(await api.tasks('toms')).filter((x) => x.NodeID === n3);
    t.ok(old.length > 0, 'node-3 has tasks to drain');
    const drain = await sw('node', 'update', '--availability', 'drain', 'node-3');
    t.equal(drain.code, 0, drain.stderr);
    const now = await until('node-3 drained and its tasks stopped', async () => {
      const all = await api.tasks('toms');
      const r = running(all);
      const oldStopped = old.every((o) => all.find((x) => x.ID === o.ID)?.Status.State === 'shutdown');
      return r.length === 6 && r.every((x) => x.NodeID !== n3) && oldStopped ? r : undefined;
    });
    for (const o of old) {
      const repl = now.find((x) => x.Slot === o.Slot);
      t.ok(repl, `slot ${o.Slot} runs again`);
      t.not(repl?.ID, o.ID, `slot ${o.Slot} has a new task ID`);
      t.not(repl?.NodeID, nodeId.get('node-2'), 'not on the paused node either');
    }
    const ps = await sw('service', 'ps', 'toms');
    t.equal(ps.code, 0, ps.stderr);
    const rows = parseTable(ps.stdout);
    for (const o of old) {
      const row = rows.find((r) => r.ID === o.ID.slice(0, 12));
      t.match(row, { NAME: `\\_ toms.${o.Slot}`, NODE: 'node-3', 'DESIRED STATE': 'Shutdown', 'CURRENT STATE': /^Shutdown / }, `history row of toms.${o.Slot}`);
    }
    t.match(ps.stdout, / \\_ toms\.\d/, 'the literal " \\_ " prefix');
  });

  await t.test('node-3 back to active moves nothing back; label-add shows in node inspect', async (t) => {
    const before = running(await api.tasks('toms')).map((x) => x.ID).sort();
    const active = await sw('node', 'update', '--availability', 'active', 'node-3');
    t.equal(active.code, 0, active.stderr);
    const label = await sw('node', 'update', '--label-add', 'zone=eu', 'node-1');
    t.equal(label.code, 0, label.stderr);
    const inspect = await sw('node', 'inspect', 'node-1');
    t.equal(inspect.code, 0, inspect.stderr);
    const [n1] = JSON.parse(inspect.stdout) as Node[];
    t.same(n1?.Spec.Labels, { zone: 'eu' });
    t.equal(n1?.Spec.Availability, 'active');
    t.same(running(await api.tasks('toms')).map((x) => x.ID).sort(), before, 'no task moved back to node-3');
    t.equal(running(await api.tasks('toms')).filter((x) => x.NodeID === nodeId.get('node-3')).length, 0);
  });

  await t.test('global service: one task per node that takes new tasks; scale refused', async (t) => {
    const r = await sw('service', 'create', '-d', '--name', 'g', '--mode', 'global', '-p', '9100:8080', 'whoami');
    t.equal(r.code, 0, r.stderr);
    const paused = await until('g on the two active nodes', async () => {
      const x = running(await api.tasks('g'));
      return x.length === 2 ? x : undefined;
    });
    t.same(paused.map((x) => hostOf.get(x.NodeID)).sort(), ['node-1', 'node-3'], 'the paused node-2 gets no new (global) task');
    const active = await sw('node', 'update', '--availability', 'active', 'node-2');
    t.equal(active.code, 0, active.stderr);
    const all = await until('g on every node', async () => {
      const x = running(await api.tasks('g'));
      return x.length === 3 ? x : undefined;
    });
    t.same(all.map((x) => hostOf.get(x.NodeID)).sort(), ['node-1', 'node-2', 'node-3'], 'one task per node');
    const scale = await sw('service', 'scale', 'g=3');
    t.equal(scale.code, 1);
    t.match(scale.stderr, 'scale can only be used with replicated or replicated-job mode');
    t.equal((await getJson<Service>(up.url, '/services/g')).Spec.Mode.Global !== undefined, true, 'still global');
  });

  await t.test('node ls, node ps, node ps node-2, node inspect node-2', async (t) => {
    const tasksBefore = await api.tasks();
    const [ls, ps, ps2, inspect] = await Promise.all([
      sw('node', 'ls'), sw('node', 'ps'), sw('node', 'ps', 'node-2'), sw('node', 'inspect', 'node-2'),
    ]);
    const tasksAfter = await api.tasks();
    t.equal(ls.code, 0, ls.stderr);
    const nodes = parseTable(ls.stdout);
    t.same(nodes.map((n) => n.HOSTNAME), ['node-1', 'node-2', 'node-3']);
    t.same(nodes.map((n) => n.ID!.endsWith(' *')), [true, false, false], '`*` marks node-1, the node the CLI talks to');
    t.ok(nodes.every((n) => n.STATUS === 'Ready' && n.AVAILABILITY === 'Active'), ls.stdout);
    t.equal(nodes[0]!['MANAGER STATUS'], 'Leader');
    for (const [res, host] of [[ps, 'node-1'], [ps2, 'node-2']] as const) {
      t.equal(res.code, 0, res.stderr);
      const rows = parseTable(res.stdout);
      t.ok(rows.length > 0, `${host} has tasks`);
      t.ok(rows.every((r) => r.NODE === host), `node ps lists only ${host}'s tasks`);
      // the reaper may delete old tasks meanwhile: every running task is listed, nothing unknown is
      const ids = new Set(rows.map((r) => r.ID));
      const onNode = (x: Task) => x.NodeID === nodeId.get(host);
      const missing = running(tasksAfter).filter(onNode).filter((x) => !ids.has(x.ID.slice(0, 12)));
      t.same(missing.map((x) => x.ID), [], `every running task of ${host} is listed`);
      const known = new Set([...tasksBefore, ...tasksAfter].filter(onNode).map((x) => x.ID.slice(0, 12)));
      t.same([...ids].filter((id) => !known.has(id!)), [], `only tasks of ${host}`);
    }
    t.equal(inspect.code, 0, inspect.stderr);
    const [n2] = JSON.parse(inspect.stdout) as Node[];
    t.equal(n2?.Description.Hostname, 'node-2');
    t.equal(n2?.ID, nodeId.get('node-2'));
    t.equal(n2?.Status.Addr, '127.0.0.2');
  });

  await t.test('image add / ls / rm with a service using it', async (t) => {
    const cmd = `node -e "require('http').createServer((q,s)=>s.end('hi')).listen(process.env.PORT, process.env.HOST)"`;
    const add = await sw('image', 'add', 'myapp:1', '--cmd', cmd);
    t.equal(add.code, 0, add.stderr);
    t.equal(add.stdout.trim(), 'myapp:1');
    const create = await sw('service', 'create', '-d', '--name', 'hi', 'myapp:1');
    t.equal(create.code, 0, create.stderr);
    const [task] = await until('hi running', async () => {
      const x = running(await api.tasks('hi'));
      return x.length === 1 ? x : undefined;
    });
    // no published port, so "running" means started, not yet listening: poll the endpoint
    const body = await until('myapp answers', async () => (await fetch(`http://${task!.Endpoint!.Addr}:${task!.Endpoint!.Port}/`)).text(), 10_000);
    t.equal(body, 'hi', 'the registered command runs');
    const [ls, inUse] = await Promise.all([sw('image', 'ls'), sw('image', 'rm', 'myapp:1')]);
    t.equal(ls.code, 0, ls.stderr);
    t.ok(parseTable(ls.stdout).some((r) => r.NAME === 'myapp:1'), ls.stdout);
    t.equal(inUse.code, 1, 'refused while a service uses it');
    t.match(inUse.stderr, /myapp:1 .*used by service hi/);
    const rm = await sw('service', 'rm', 'hi');
    t.equal(rm.code, 0, rm.stderr);
    const rmImage = await sw('image', 'rm', 'myapp:1');
    t.equal(rmImage.code, 0, rmImage.stderr);
    t.equal(rmImage.stdout.trim(), 'myapp:1');
    const ls2 = await sw('image', 'ls');
    t.notOk(parseTable(ls2.stdout).some((r) => r.NAME === 'myapp:1'), 'gone from image ls');
  });

  await t.test('service rm toms g, then Ctrl-C: exit 0 and no task process left', async (t) => {
    await api.tasks();
    const rm = await sw('service', 'rm', 'toms', 'g');
    t.equal(rm.code, 0, rm.stderr);
    t.same(rm.stdout.split('\n').filter(Boolean), ['toms', 'g']);
    const ls = await sw('service', 'ls');
    t.same(parseTable(ls.stdout), [], 'no service left');
    t.ok(api.pids.size >= 10, `tracked ${api.pids.size} task pids`);
    const stopped = await up.stop('SIGINT');
    t.equal(stopped.code, 0, stopped.stderr);
    t.match(stopped.stdout, /swarmlet stopped/);
    t.same([...api.pids].filter((p) => alive(p)), [], 'every task process is gone');
  });
});

t.test('restart: services come back from --data; kill -9 leaves no orphan behind', async (t) => {
  const dataDir = tempDataDir();
  const pids = new Set<number>();
  let up = await startUp({ dataDir });
  t.teardown(async () => {
    await up.stop('SIGINT').catch(() => up.kill9());
    reapLeftovers(pids);
    rmSync(dataDir, { recursive: true, force: true });
  });
  const converged = async (what: string) => until(what, async () => {
    const api = apiOf(up);
    const r = running(await api.tasks('web'));
    for (const p of api.pids) pids.add(p);
    return r.length === 3 ? r : undefined;
  }, 30_000);

  const created = await cli(up.url, 'service', 'create', '-d', '--name', 'web', '--replicas', '3', 'whoami');
  t.equal(created.code, 0, created.stderr);
  const first = await converged('web converged on the first run');
  const stopped = await up.stop('SIGINT');
  t.equal(stopped.code, 0, 'Ctrl-C exits 0');
  t.same(first.map((x) => x.Status.ContainerStatus!.PID!).filter((p) => alive(p)), [], 'no task outlives Ctrl-C');

  up = await startUp({ dataDir });
  const ls = await cli(up.url, 'service', 'ls');
  t.equal(ls.code, 0, ls.stderr);
  t.match(parseTable(ls.stdout), [{ ID: created.stdout.trim().slice(0, 12), NAME: 'web', REPLICAS: /\/3$/ }], 'the service is back');
  const second = await converged('web converged after the restart');
  t.ok(second.every((x) => !first.some((f) => f.ID === x.ID)), 'fresh tasks');

  const victimPids = second.map((x) => x.Status.ContainerStatus!.PID!);
  const killed = await up.kill9();
  t.equal(killed.signal, 'SIGKILL');
  t.comment(`after kill -9, ${victimPids.filter(alive).length} of ${victimPids.length} task processes are still alive`);

  up = await startUp({ dataDir });
  const third = await converged('web converged after kill -9');
  t.equal(third.length, 3);
  const key = (xs: typeof second) => xs.map((x) => `${x.ID} ${x.Status.ContainerStatus!.PID}`).sort();
  t.same(key(third), key(second), 'the tasks that kept running are adopted: same task IDs, same processes');
  t.ok(victimPids.every(alive), 'not restarted');
  const ps = await cli(up.url, 'service', 'ps', 'web', '--filter', 'desired-state=running');
  t.equal(ps.code, 0, ps.stderr);
  t.equal(parseTable(ps.stdout).filter((r) => r['CURRENT STATE']!.startsWith('Running')).length, 3, ps.stdout);
  const last = await up.stop('SIGINT');
  t.equal(last.code, 0);
  t.same(third.map((x) => x.Status.ContainerStatus!.PID!).filter((p) => alive(p)), [], 'no task outlives the last Ctrl-C');
});
