/** The real CLI process against the fake Engine-API server (test/fixtures/fake-engine.ts). */
import t from 'tap';

// Many CLI processes one after another: under load (2 cores) the file outlasts tap's default 120 s.
t.setTimeout(300_000);
import { startFakeEngine, type FakeEngine } from '../fixtures/fake-engine.js';
import { runSwarmlet } from './cli-run.js';

let fake: FakeEngine;
const cli = (...args: string[]) => runSwarmlet(['--host', fake.url, ...args]);
const lines = (text: string) => text.split('\n').filter((l) => l !== '');

t.before(async () => { fake = await startFakeEngine(); });
t.teardown(async () => { await fake.close(); });

t.test('service create -d prints the ID; the spec carries the flags', async (t) => {
  const r = await cli('service', 'create', '-d', '--name', 'toms', '--replicas', '3', '-p', '9000:8080', '-e', 'A=1', 'whoami:1');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^[0-9a-z]{25}\n$/);
  const s = fake.state.services.find((x) => x.Spec.Name === 'toms')!;
  t.equal(s.ID, r.stdout.trim());
  t.same(s.Spec.Mode, { Replicated: { Replicas: 3 } });
  t.same(s.Spec.TaskTemplate.ContainerSpec.Env, ['A=1']);
  t.match(s.Spec.EndpointSpec?.Ports, [{ TargetPort: 8080, PublishedPort: 9000 }]);
});

t.test('service create waits for convergence (plain output when not a TTY)', async (t) => {
  const r = await cli('service', 'create', '--name', 'quick', '--replicas', '2', '--update-monitor', '300ms', 'whoami:1');
  t.equal(r.code, 0, r.stderr);
  const out = lines(r.stdout);
  const id = out[0]!;
  t.match(id, /^[0-9a-z]{25}$/);
  t.ok(out.includes('overall progress: 2 out of 2 tasks'));
  t.ok(out.includes('1/2: running'));
  t.equal(out.at(-1), `verify: Service ${id} converged`);
  t.notOk(r.stdout.includes('\x1b['), 'no cursor movement when not a TTY');
});

t.test('service ls: table, -q and --format json', async (t) => {
  const r = await cli('service', 'ls');
  t.equal(r.code, 0, r.stderr);
  const out = lines(r.stdout);
  t.match(out[0], /^ID {13}NAME {6}MODE {9}REPLICAS {3}IMAGE {6}PORTS$/);
  t.match(out.find((l) => l.includes(' toms ')), /^[0-9a-z]{12} {3}toms {6}replicated {3}3\/3 {8}whoami:1 {3}\*:9000->8080\/tcp$/);
  const q = await cli('service', 'ls', '-q');
  t.same(lines(q.stdout).map((l) => l.length), [12, 12]);
  const j = await cli('service', 'ls', '--format', 'json');
  const rows = lines(j.stdout).map((l) => JSON.parse(l));
  t.same(Object.keys(rows[0]), ['ID', 'Image', 'Mode', 'Name', 'Ports', 'Replicas']);
  t.match(rows.find((x) => x.Name === 'toms'), { Mode: 'replicated', Replicas: '3/3', Ports: '*:9000->8080/tcp' });
});

t.test('service update --image replaces tasks; ps shows the history tree', async (t) => {
  const u = await cli('service', 'update', '-d', '--image', 'whoami:2', 'toms');
  t.equal(u.code, 0, u.stderr);
  t.equal(u.stdout, 'toms\n');
  const r = await cli('service', 'ps', 'toms');
  t.equal(r.code, 0, r.stderr);
  const out = lines(r.stdout);
  t.match(out[0], /^ID +NAME +IMAGE +NODE +DESIRED STATE +CURRENT STATE +ERROR +PORTS$/);
  t.same(out.slice(1).map((l) => l.slice(15).replace(/ {3,}.*$/, '')), ['toms.1', ' \\_ toms.1', 'toms.2', ' \\_ toms.2', 'toms.3', ' \\_ toms.3']);
  t.match(out[1], /whoami:2 +node-\d +Running +Running (less than a second|\d+ seconds?) ago$/, 'PORTS is empty for a task of an ingress-published service, as Swarm prints it');
  t.match(out[2], /whoami:1 +node-\d +Shutdown +Shutdown /);
  const j = await cli('service', 'ps', '--format', 'json', 'toms');
  const rows = lines(j.stdout).map((l) => JSON.parse(l));
  t.same(Object.keys(rows[0]), ['CurrentState', 'DesiredState', 'Error', 'ID', 'Image', 'Name', 'Node', 'Ports']);
  t.same(rows.map((x) => x.Name), ['toms.1', 'toms.1', 'toms.2', 'toms.2', 'toms.3', 'toms.3'], 'json names are not indented');
  const f = await cli('service', 'ps', '-q', '--filter', 'desired-state=running', 'toms');
  t.equal(lines(f.stdout).length, 3);
});

t.test('service ps / inspect on unknown references', async (t) => {
  const ps = await cli('service', 'ps', 'nosuch');
  t.equal(ps.code, 1);
  t.equal(ps.stderr, 'Error: no such service: nosuch\n');
  const taskId = fake.state.tasks[0]!.ID;
  const ins = await cli('service', 'inspect', taskId);
  t.equal(ins.code, 1);
  t.equal(ins.stdout, '[]\n');
  t.equal(ins.stderr, `Error: no such service: ${taskId}\n`);
});

t.test('service inspect prints a JSON array with 4-space indent; --pretty is readable', async (t) => {
  const r = await cli('service', 'inspect', 'toms');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^\[\n {4}\{\n {8}"ID": "/);
  const [svc] = JSON.parse(r.stdout);
  t.equal(svc.Spec.Name, 'toms');
  const p = await cli('service', 'inspect', '--pretty', 'toms');
  t.match(p.stdout, /^ID: +[0-9a-z]{25}\nName: +toms\nService Mode: +Replicated\n Replicas: +3\n/);
  t.match(p.stdout, /PublishedPort = 9000/);
});

t.test('service scale: replicated, global refused, bad specifiers', async (t) => {
  const r = await cli('service', 'scale', '-d', 'toms=5');
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'toms scaled to 5\n');
  t.same(fake.state.services.find((s) => s.Spec.Name === 'toms')!.Spec.Mode, { Replicated: { Replicas: 5 } });
  const g = await cli('service', 'create', '-d', '--name', 'agent', '--mode', 'global', 'whoami:1');
  t.equal(g.code, 0, g.stderr);
  const sg = await cli('service', 'scale', '-d', 'agent=2');
  t.equal(sg.code, 1);
  t.equal(sg.stderr, 'Error: agent: scale can only be used with replicated or replicated-job mode\n');
  const abc = await cli('service', 'scale', 'web=abc');
  t.equal(abc.code, 1);
  t.match(abc.stderr, /^Error: web: invalid replicas value abc: /);
  const spec = await cli('service', 'scale', 'web');
  t.equal(spec.code, 1);
  t.match(spec.stderr, /^Error: invalid scale specifier 'web'\./);
});

t.test('service update --replicas, and --rollback refuses other flags', async (t) => {
  const r = await cli('service', 'update', '-d', '--replicas', '2', 'toms');
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'toms\n');
  const s = fake.state.services.find((x) => x.Spec.Name === 'toms')!;
  t.same(s.Spec.Mode, { Replicated: { Replicas: 2 } });
  t.equal(s.Spec.TaskTemplate.ContainerSpec.Image, 'whoami:2', 'the rest of the spec round-trips');
  const bad = await cli('service', 'update', '--rollback', '--replicas', '3', 'toms');
  t.equal(bad.code, 1);
  t.equal(bad.stderr, 'Error: other flags may not be combined with --rollback\n');
});

t.test('service rollback waits and reports the rollback', async (t) => {
  const c = await cli('service', 'create', '-d', '--name', 'rb', '--replicas', '1', '--update-monitor', '200ms', 'whoami:1');
  t.equal(c.code, 0, c.stderr);
  t.equal((await cli('service', 'update', '-d', '--image', 'whoami:2', 'rb')).code, 0);
  const r = await cli('service', 'rollback', 'rb');
  t.equal(r.code, 0, r.stderr);
  const out = lines(r.stdout);
  t.equal(out[0], 'rb');
  t.ok(out.includes('overall progress: rolling back update: 1 out of 1 tasks'));
  t.same(out.slice(-2), ['verify: Service rb converged', 'rollback: rollback completed']);
  t.equal(fake.state.services.find((s) => s.Spec.Name === 'rb')!.Spec.TaskTemplate.ContainerSpec.Image, 'whoami:1');
});

t.test('a paused update ends the wait with exit 1 and the daemon message', async (t) => {
  await cli('service', 'create', '-d', '--name', 'pz', 'whoami:1');
  fake.state.onUpdate = (s) => { s.UpdateStatus = { State: 'paused', Message: 'update paused due to failure or early termination of task abc' }; };
  const r = await cli('service', 'update', '--image', 'whoami:9', 'pz');
  fake.state.onUpdate = undefined;
  t.equal(r.code, 1);
  t.equal(r.stdout.split('\n')[0], 'pz');
  t.equal(r.stderr, 'Error: service update paused: update paused due to failure or early termination of task abc\n');
});

t.test('--timeout ends a wait that cannot converge', async (t) => {
  await cli('service', 'create', '-d', '--name', 'stuck', 'whoami:1');
  fake.state.onUpdate = (s, st) => {
    for (const task of st.tasks) if (task.ServiceID === s.ID && task.DesiredState === 'running') task.Status = { ...task.Status, State: 'pending', Err: 'no suitable node (insufficient resources on 3 nodes)' };
  };
  const r = await cli('service', 'update', '--timeout', '600ms', '--image', 'whoami:3', 'stuck');
  fake.state.onUpdate = undefined;
  t.equal(r.code, 1);
  t.ok(r.stdout.includes('1/1: no suitable node (insufficient resources on 3 nodes)'));
  t.match(r.stderr, /^Error: timed out waiting for service stuck to converge/);
});

t.test('service logs: prefixed lines, stderr to stderr, task display names, unknown refs', async (t) => {
  const r = await cli('service', 'logs', 'quick');
  t.equal(r.code, 0, r.stderr.slice(0, 500));
  const out = lines(r.stdout);
  t.equal(out.length, 2);
  t.match(out[0], /^quick\.1\.[0-9a-z]{12}@node-\d {4}\| hello from quick slot 1$/);
  t.match(lines(r.stderr)[0], /^quick\.\d\.[0-9a-z]{12}@node-\d {4}\| warning from quick slot \d$/);
  const slot = await cli('service', 'logs', '--no-task-ids', 'quick.2');
  t.equal(slot.code, 0, slot.stderr);
  t.match(slot.stdout, /^quick\.2@node-\d {4}\| hello from quick slot 2\n$/);
  const task = fake.state.tasks.find((x) => x.Slot === 1 && x.DesiredState === 'running' && fake.state.services.some((s) => s.ID === x.ServiceID && s.Spec.Name === 'quick'))!;
  const byId = await cli('service', 'logs', '--raw', task.ID.slice(0, 12));
  t.equal(byId.stdout, 'hello from quick slot 1\n');
  const none = await cli('service', 'logs', 'nosuch');
  t.equal(none.code, 1);
  t.equal(none.stderr, 'Error: no such task or service: nosuch\n');
});

t.test('service rm continues past errors', async (t) => {
  const r = await cli('service', 'rm', 'nosuch', 'agent');
  t.equal(r.code, 1);
  t.equal(r.stdout, 'agent\n');
  t.equal(r.stderr, 'Error response from daemon: service nosuch not found\n');
  t.notOk(fake.state.services.some((s) => s.Spec.Name === 'agent'));
});

t.test('node ls marks self with *, sorted by hostname; json has Self', async (t) => {
  const r = await cli('node', 'ls');
  t.equal(r.code, 0, r.stderr);
  const out = lines(r.stdout);
  t.match(out[0], /^ID {29}HOSTNAME {3}STATUS {4}AVAILABILITY {3}MANAGER STATUS {3}ENGINE VERSION$/);
  t.match(out[1], /^node1id0000000000000000001 \* {3}node-1 {5}Ready {5}Active {9}Leader {11}0\.1\.0$/);
  t.match(out[2], /^node2id0000000000000000002 {5}node-2 /);
  const j = await cli('node', 'ls', '--format', 'json');
  const rows = lines(j.stdout).map((l) => JSON.parse(l));
  t.same(rows.map((x) => [x.Hostname, x.Self]), [['node-1', true], ['node-2', false], ['node-3', false]]);
});

t.test('node update: bad availability refused before calling the server; drain works', async (t) => {
  const before = fake.requests.length;
  const bad = await cli('node', 'update', '--availability', 'bogus', 'node-2');
  t.equal(bad.code, 1);
  t.equal(bad.stderr, 'Error: invalid Availability: "bogus"\n');
  t.notOk(fake.requests.slice(before).some((r) => r.startsWith('POST') || r.startsWith('GET /nodes')));
  const ok = await cli('node', 'update', '-d', '--availability', 'drain', '--label-add', 'zone=a', 'node-2');
  t.equal(ok.code, 0, ok.stderr);
  t.equal(ok.stdout, 'node-2\n');
  t.match(fake.state.nodes.find((n) => n.Description.Hostname === 'node-2')!.Spec, { Availability: 'drain', Labels: { zone: 'a' } });
  const ps = await cli('node', 'ps');
  t.equal(ps.code, 0, ps.stderr);
  t.ok(lines(ps.stdout).slice(1).every((l) => / node-1 /.test(l)), 'node ps defaults to self');
  const ins = await cli('node', 'inspect', 'nosuch');
  t.equal(ins.code, 1);
  t.equal(ins.stderr, 'Error response from daemon: node nosuch not found\n');
});

t.test('image add/ls/rm', async (t) => {
  const add = await cli('image', 'add', 'app:1', '--cmd', `node server.js --greeting "hi there"`, '--cwd', '/srv/app');
  t.equal(add.code, 0, add.stderr);
  t.same(fake.state.images.find((i) => i.Name === 'app:1')!.Cmd, ['node', 'server.js', '--greeting', 'hi there']);
  const ls = await cli('image', 'ls');
  t.match(ls.stdout, /^NAME +CMD +CWD +CREATED +BUILT-IN\n/);
  t.match(ls.stdout, /app:1 +node server\.js --greeting 'hi there' +\/srv\/app +(Less than a second|\d+ seconds?) ago +no\n/);
  const rm = await cli('image', 'rm', 'app:1', 'nope:1');
  t.equal(rm.code, 1);
  t.equal(rm.stdout, 'app:1\n');
  t.equal(rm.stderr, 'Error response from daemon: image nope:1 not found\n');
});

t.test('SWARMLET_HOST is used; an unreachable manager is one clear error', async (t) => {
  const viaEnv = await runSwarmlet(['service', 'ls', '-q'], { SWARMLET_HOST: fake.url.replace('http://', 'tcp://') });
  t.equal(viaEnv.code, 0, viaEnv.stderr);
  const down = await runSwarmlet(['--host', '127.0.0.1:1', 'service', 'ls']);
  t.equal(down.code, 1);
  t.match(down.stderr, /^Error: cannot connect to the swarmlet manager at http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/);
  t.equal(lines(down.stderr).length, 1);
});

t.test('usage errors and help', async (t) => {
  const help = await cli('service', 'create', '--help');
  t.equal(help.code, 0);
  t.match(help.stdout, /Examples:/);
  const unknown = await cli('service', 'frobnicate');
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /unknown command 'frobnicate'/);
});
