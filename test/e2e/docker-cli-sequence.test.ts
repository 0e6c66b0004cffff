/**
 * The notes' sequence, typed with the real docker 28.x client against one real `swarmlet up`
 * (DOCKER_HOST=tcp://127.0.0.1:PORT): version, info, create (docker's own progress), ls, ps, inspect,
 * logs by service / task ID / display name, scale, pause, drain, rolling update, rollback both ways,
 * global mode and its refused scale, nodes, and docker and the swarmlet CLI seeing the same objects.
 * Every step checks what docker printed and its exit code.
 */
import t, { type Test } from 'tap';
import type { Node, Service, UpdateStatus } from '../../lib/model/types.js';
import { dockerAvailable, dockerSession, jsonLines, lines, type DockerCli } from '../fixtures/docker-cli.js';
import { cli, getJson, parseTable, until, type UpProcess } from '../fixtures/up-process.js';

interface PsRow { ID: string; Name: string; Image: string; Node: string; DesiredState: string; CurrentState: string; Error: string }

const LOG_LINE = /^(toms)\.(\d+)\.([0-9a-z]{12})@(node-\d) +\| (.*)$/;

const skip = dockerAvailable() ? false : 'docker CLI not on PATH: the docker 28.x client drives this suite';

t.test('the stock docker CLI drives swarmlet through the notes\' sequence', { skip }, async (t) => {
  t.setTimeout(240_000);
  const { up, docker } = await dockerSession(t);
  const nodes = await getJson<Node[]>(up.url, '/nodes');
  const nodeId = (host: string) => nodes.find((n) => n.Description.Hostname === host)!.ID;
  const s: Steps = { t, up, docker, nodeId, serviceId: '' };

  await t.test('docker version and docker info', (t) => versionAndInfo({ ...s, t }));
  await t.test('service create (converges with docker\'s progress), ls, ps, inspect', (t) => createAndLook({ ...s, t }));
  await t.test('service logs: by service, task ID, display name, --tail -t, -f', (t) => logs({ ...s, t }));
  await t.test('scale, pause, drain, active', (t) => scaleAndNodes({ ...s, t }));
  await t.test('rolling update, rollback, update --rollback', (t) => updateAndRollback({ ...s, t }));
  await t.test('global mode: create, refused scale, update --force', (t) => globalMode({ ...s, t }));
  await t.test('node ls, inspect --pretty, ps, update --label-add', (t) => nodeCommands({ ...s, t }));
  await t.test('docker and the swarmlet CLI see the same objects', (t) => sameObjects({ ...s, t }));
  await t.test('service rm', async (t) => {
    const rm = await docker.run('service', 'rm', 'toms', 'g');
    t.equal(rm.code, 0, rm.stderr);
    t.same(lines(rm.stdout), ['toms', 'g']);
    t.same(await getJson(up.url, '/services'), [], 'no service left');
    const ls = await docker.run('service', 'ls');
    t.same(parseTable(ls.stdout), [], 'docker service ls is empty');
    const ps = await docker.run('service', 'ps', 'toms');
    t.equal(ps.code, 1);
    t.match(ps.stderr, /no such service: toms/);
  });
});

interface Steps { t: Test; up: UpProcess; docker: DockerCli; nodeId: (host: string) => string; serviceId: string }

async function psRows(docker: DockerCli, ...args: string[]): Promise<PsRow[]> {
  const r = await docker.run('service', 'ps', '--format', '{{json .}}', ...args);
  if (r.code !== 0) throw new Error(`docker service ps ${args.join(' ')}: ${r.code} ${r.stderr}`);
  return jsonLines<PsRow>(r.stdout);
}

const running = (docker: DockerCli, svc: string, ...more: string[]) =>
  psRows(docker, '--no-trunc', '--filter', 'desired-state=running', ...more, svc);

async function updateStatus(docker: DockerCli, svc: string): Promise<UpdateStatus | null> {
  const r = await docker.run('service', 'inspect', svc, '--format', '{{json .UpdateStatus}}');
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as UpdateStatus | null;
}

/** Docker's non-TTY progress: the N of every `overall progress: N out of M tasks` line, in order. */
function progressCounts(stdout: string): number[] {
  return [...stdout.matchAll(/overall progress: (?:rolling back update: )?(\d+) out of \d+ tasks/g)].map((m) => Number(m[1]));
}

function assertConverged(t: Test, r: { code: number; stdout: string; stderr: string }, ref: string, total: number): void {
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, '', 'nothing on stderr (no digest warning)');
  t.ok(progressCounts(r.stdout).includes(total), `overall progress reaches ${total}`);
  t.match(r.stdout, /verify: Waiting \d seconds to verify that tasks are stable/);
  t.equal(lines(r.stdout).at(-1), `verify: Service ${ref} converged`, 'ends with docker\'s converged line', { stdout: r.stdout });
}

async function versionAndInfo({ t, docker, nodeId }: Steps): Promise<void> {
  const v = await docker.run('version');
  t.equal(v.code, 0, v.stderr);
  t.match(v.stdout, /^Client:\n Version:\s+28\./m);
  t.match(v.stdout, /API version:\s+1\.41 \(downgraded from 1\.\d+\)/, 'the client negotiated down to 1.41');
  t.match(v.stdout, /^Server: swarmlet$/m);
  t.match(v.stdout, /API version:\s+1\.41 \(minimum version 1\.24\)/);

  const info = await docker.run('info');
  t.equal(info.code, 0, info.stderr);
  t.match(info.stdout, /^ Swarm: active$/m);
  t.match(info.stdout, new RegExp(`^  NodeID: ${nodeId('node-1')}$`, 'm'));
  t.match(info.stdout, /^  Is Manager: true$/m);
  t.match(info.stdout, /^  Managers: 1$/m);
  t.match(info.stdout, /^  Nodes: 3$/m);
  const swarm = await docker.run('info', '--format', '{{json .Swarm}}');
  t.match(JSON.parse(swarm.stdout), { NodeID: nodeId('node-1'), LocalNodeState: 'active', ControlAvailable: true, Managers: 1, Nodes: 3 });
}

async function createAndLook(s: Steps): Promise<void> {
  const { t, docker } = s;
  const create = await docker.run('service', 'create', '--name', 'toms', '--replicas', '3', '-p', '9000:8080',
    '--update-monitor', '1s', '--rollback-monitor', '1s', 'whoami:1');
  s.serviceId = lines(create.stdout)[0] ?? '';
  t.match(s.serviceId, /^[0-9a-z]{25}$/, 'the service ID comes first');
  assertConverged(t, create, s.serviceId, 3);
  t.same(progressCounts(create.stdout).filter((n, i, all) => n < (all[i - 1] ?? 0)), [], 'progress never goes back');

  const ls = parseTable((await docker.run('service', 'ls')).stdout);
  t.same(ls, [{ ID: s.serviceId.slice(0, 12), NAME: 'toms', MODE: 'replicated', REPLICAS: '3/3', IMAGE: 'whoami:1', PORTS: '*:9000->8080/tcp' }]);

  const ps = await docker.run('service', 'ps', 'toms');
  t.equal(ps.code, 0, ps.stderr);
  const rows = parseTable(ps.stdout);
  t.same(rows.map((r) => r.NAME), ['toms.1', 'toms.2', 'toms.3']);
  t.same(rows.map((r) => r.NODE).sort(), ['node-1', 'node-2', 'node-3'], 'spread over the three nodes');
  t.ok(rows.every((r) => r.IMAGE === 'whoami:1' && r['DESIRED STATE'] === 'Running' && /^Running \S/.test(r['CURRENT STATE']!)), ps.stdout);

  const inspect = await docker.run('service', 'inspect', 'toms');
  t.equal(inspect.code, 0, inspect.stderr);
  const [svc, ...more] = JSON.parse(inspect.stdout) as Service[];
  t.equal(more.length, 0);
  t.match(svc, {
    ID: s.serviceId,
    Spec: { Name: 'toms', Mode: { Replicated: { Replicas: 3 } }, TaskTemplate: { ContainerSpec: { Image: 'whoami:1' } }, UpdateConfig: { Monitor: 1e9 } },
  });
  t.same(svc!.Endpoint.Ports, [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 9000, PublishMode: 'ingress' }]);

  const pretty = await docker.run('service', 'inspect', '--pretty', 'toms');
  t.equal(pretty.code, 0, pretty.stderr);
  for (const re of [/^Name:\s+toms$/m, /^Service Mode:\s+Replicated$/m, /^ Replicas:\s+3$/m, /^ Image:\s+whoami:1$/m,
    /^ Monitoring Period: 1s$/m, /^ PublishedPort = 9000$/m, /^  TargetPort = 8080$/m]) t.match(pretty.stdout, re);
}

async function logs({ t, docker }: Steps): Promise<void> {
  // requests through the routing mesh give every task more lines than its "listening" one
  for (let i = 0; i < 9; i++) await (await fetch(`http://127.0.0.1:9000/seq-${i}`)).text();
  const tasks = await running(docker, 'toms');
  const byService = await until('every task\'s request lines in docker service logs toms', async () => {
    const r = await docker.run('service', 'logs', 'toms');
    const parsed = lines(r.stdout).map((l) => LOG_LINE.exec(l));
    return r.code === 0 && parsed.filter((m) => m?.[5]?.startsWith('GET /seq-')).length === 9 ? { r, parsed } : undefined;
  });
  t.equal(byService.r.stderr, '');
  t.ok(byService.parsed.every((m) => m !== null), byService.r.stdout);
  const perTask = new Map<string, string[]>();
  for (const m of byService.parsed) {
    const task = tasks.find((x) => x.ID.startsWith(m![3]!));
    t.ok(task && task.Name === `toms.${m![2]}` && task.Node === m![4], `${m![0]} names a running task, its slot and node`);
    perTask.set(m![3]!, [...(perTask.get(m![3]!) ?? []), m![0]!]);
  }
  t.equal(perTask.size, 3, 'lines from the 3 tasks');
  t.ok([...perTask.values()].every((l) => /\| whoami listening on http:\/\/127\.0\.0\.\d:\d+ as toms\.\d$/.test(l[0]!)));

  const t1 = tasks.find((x) => x.Name === 'toms.1')!;
  const own = perTask.get(t1.ID.slice(0, 12))!;
  const byId = await docker.run('service', 'logs', t1.ID);
  t.equal(byId.code, 0, byId.stderr);
  t.same(lines(byId.stdout), own, 'docker service logs <task-id>: that task\'s lines');
  const byName = await docker.run('service', 'logs', 'toms.1');
  t.equal(byName.code, 0, byName.stderr);
  t.same(lines(byName.stdout), own, 'docker service logs toms.1 (swarmlet accepts display names)');

  const tail = await docker.run('service', 'logs', '--tail', '1', '-t', 'toms');
  t.equal(tail.code, 0, tail.stderr);
  const tailLines = lines(tail.stdout);
  t.ok(tailLines.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z toms\.\d\./.test(l)), tail.stdout);
  t.same(tailLines.map((l) => l.slice(l.indexOf(' ') + 1)).sort(), [...perTask.values()].map((l) => l.at(-1)!).sort(),
    '--tail 1: the last line of each task');

  const follow = docker.start('service', 'logs', '-f', '--tail', '0', 'toms');
  try {
    await new Promise((r) => setTimeout(r, 500)); // let docker open the stream
    await until('a new request line in docker service logs -f', async () => {
      await (await fetch('http://127.0.0.1:9000/followed')).text();
      return /^toms\.\d\.[0-9a-z]{12}@node-\d +\| GET \/followed 200$/m.test(follow.stdout());
    }, 15_000, 500);
    t.notMatch(follow.stdout(), /seq-/, '--tail 0: no old lines');
  } finally {
    const r = await follow.stop();
    t.equal(r.stderr, '', 'follow printed no error');
  }
}

async function scaleAndNodes({ t, docker }: Steps): Promise<void> {
  const before = await running(docker, 'toms');
  const scale = await docker.run('service', 'scale', 'toms=7');
  t.equal(lines(scale.stdout)[0], 'toms scaled to 7');
  assertConverged(t, scale, 'toms', 7);
  const seven = await running(docker, 'toms');
  t.same(seven.map((r) => r.Name).sort(), ['toms.1', 'toms.2', 'toms.3', 'toms.4', 'toms.5', 'toms.6', 'toms.7']);
  t.ok(seven.every((r) => r.CurrentState.startsWith('Running')), 'all 7 Running');
  t.ok(before.every((b) => seven.some((r) => r.ID === b.ID)), 'scaling up restarted none of the first 3');

  const pause = await docker.run('node', 'update', '--availability', 'pause', 'node-2');
  t.equal(pause.code, 0, pause.stderr);
  t.equal(pause.stdout, 'node-2\n');
  const onNode2 = seven.filter((r) => r.Node === 'node-2').map((r) => r.ID).sort();
  const scale8 = await docker.run('service', 'scale', '-d', 'toms=8');
  t.equal(scale8.code, 0, scale8.stderr);
  t.equal(scale8.stdout, 'toms scaled to 8\n');
  const eight = await until('toms.8 running', async () => {
    const rows = await running(docker, 'toms');
    return rows.find((r) => r.Name === 'toms.8')?.CurrentState.startsWith('Running') ? rows : undefined;
  });
  t.not(eight.find((r) => r.Name === 'toms.8')!.Node, 'node-2', 'no new task on the paused node');
  t.same(eight.filter((r) => r.Node === 'node-2').map((r) => r.ID).sort(), onNode2, 'the paused node keeps its tasks');

  const drain = await docker.run('node', 'update', '--availability', 'drain', 'node-3');
  t.equal(drain.code, 0, drain.stderr);
  await until('no task meant to run on node-3', async () => {
    const r = await docker.run('node', 'ps', '-q', 'node-3', '--filter', 'desired-state=running');
    return r.code === 0 && r.stdout.trim() === '';
  });
  const drained = eight.filter((r) => r.Node === 'node-3');
  t.ok(drained.length > 0, 'node-3 had tasks');
  const after = await until('8 running tasks again', async () => {
    const rows = await running(docker, 'toms');
    return rows.length === 8 && rows.every((r) => r.CurrentState.startsWith('Running')) ? rows : undefined;
  });
  for (const old of drained) {
    const now = after.find((r) => r.Name === old.Name)!;
    t.ok(now.ID !== old.ID && now.Node === 'node-1', `${old.Name} came back on node-1 (node-2 paused, node-3 drained) with a new ID`);
  }
  const nodeLs = parseTable((await docker.run('node', 'ls')).stdout);
  t.same(nodeLs.map((n) => n.AVAILABILITY), ['Active', 'Pause', 'Drain']);

  for (const n of ['node-2', 'node-3']) {
    const r = await docker.run('node', 'update', '--availability', 'active', n);
    t.equal(r.code, 0, r.stderr);
  }
  t.same(parseTable((await docker.run('node', 'ls')).stdout).map((n) => n.AVAILABILITY), ['Active', 'Active', 'Active']);
}

async function updateAndRollback({ t, docker }: Steps): Promise<void> {
  const started = Date.now();
  const update = await docker.run('service', 'update', '--image', 'whoami:2', '--update-parallelism', '2', '--update-delay', '1s', 'toms');
  const took = Date.now() - started;
  t.equal(lines(update.stdout)[0], 'toms');
  assertConverged(t, update, 'toms', 8);
  t.ok(new Set(progressCounts(update.stdout).filter((n) => n > 0 && n < 8)).size >= 2, 'docker showed the rollout step by step');
  t.ok(took >= 3000, `4 batches of 2 with 1 s between them take >= 3 s (took ${took} ms)`);
  const updated = await running(docker, 'toms');
  t.equal(updated.length, 8);
  t.ok(updated.every((r) => r.Image === 'whoami:2' && r.CurrentState.startsWith('Running')), 'every running task is whoami:2');
  t.match(await until('update completed', async () => ((await updateStatus(docker, 'toms'))?.State === 'completed'
    ? updateStatus(docker, 'toms') : undefined)), { State: 'completed', Message: 'update completed' });

  const rollback = await docker.run('service', 'rollback', 'toms');
  t.equal(lines(rollback.stdout)[0], 'toms');
  t.match(rollback.stdout, /^rollback: manually requested rollback$/m);
  t.match(rollback.stdout, /overall progress: rolling back update: 8 out of 8 tasks/);
  assertConverged(t, rollback, 'toms', 8);
  t.ok((await running(docker, 'toms')).every((r) => r.Image === 'whoami:1'), 'rolled back to whoami:1');
  t.match(await until('rollback completed', async () => ((await updateStatus(docker, 'toms'))?.State === 'rollback_completed'
    ? updateStatus(docker, 'toms') : undefined)), { State: 'rollback_completed', Message: 'rollback completed' });

  const forward = await docker.run('service', 'update', '--rollback', 'toms');
  t.match(forward.stdout, /^rollback: manually requested rollback$/m);
  assertConverged(t, forward, 'toms', 8);
  const again = await running(docker, 'toms');
  t.ok(again.length === 8 && again.every((r) => r.Image === 'whoami:2'), 'update --rollback rolled forward to whoami:2');
  const status = await updateStatus(docker, 'toms');
  t.match(status, { State: /^rollback_(started|completed)$/, Message: /^(manually requested rollback|rollback completed)$/ });
}

async function globalMode({ t, docker, nodeId }: Steps): Promise<void> {
  const create = await docker.run('service', 'create', '--name', 'g', '--mode', 'global', '-p', '9100:8080', '--update-monitor', '1s', 'whoami:1');
  const id = lines(create.stdout)[0]!;
  assertConverged(t, create, id, 3);
  const row = parseTable((await docker.run('service', 'ls')).stdout).find((r) => r.NAME === 'g');
  t.match(row, { MODE: 'global', REPLICAS: '3/3', PORTS: '*:9100->8080/tcp' });
  const tasks = await running(docker, 'g');
  t.same(tasks.map((r) => r.Name).sort(), ['node-1', 'node-2', 'node-3'].map((h) => `g.${nodeId(h)}`).sort(), 'one task per node, named g.<nodeID>');

  const scale = await docker.run('service', 'scale', 'g=3');
  t.equal(scale.code, 1);
  t.equal(scale.stderr.trim(), 'g: scale can only be used with replicated or replicated-job mode');
  t.same(JSON.parse((await docker.run('service', 'inspect', 'g', '--format', '{{json .Spec.Mode}}')).stdout), { Global: {} });

  const force = await docker.run('service', 'update', '--force', 'g');
  t.equal(lines(force.stdout)[0], 'g');
  assertConverged(t, force, 'g', 3);
  const redeployed = await running(docker, 'g');
  t.equal(redeployed.length, 3);
  t.ok(redeployed.every((r) => !tasks.some((old) => old.ID === r.ID)), '--force replaced every task');
}

async function nodeCommands({ t, docker, nodeId }: Steps): Promise<void> {
  const ls = await docker.run('node', 'ls');
  t.equal(ls.code, 0, ls.stderr);
  const rows = parseTable(ls.stdout);
  t.same(rows.map((r) => [r.ID, r.HOSTNAME, r.STATUS, r['MANAGER STATUS']]), [
    [`${nodeId('node-1')} *`, 'node-1', 'Ready', 'Leader'], [nodeId('node-2'), 'node-2', 'Ready', ''], [nodeId('node-3'), 'node-3', 'Ready', ''],
  ]);

  const pretty = await docker.run('node', 'inspect', '--pretty', 'node-2');
  t.equal(pretty.code, 0, pretty.stderr);
  for (const re of [new RegExp(`^ID:\\s+${nodeId('node-2')}$`, 'm'), /^Hostname:\s+node-2$/m, /^ State:\s+Ready$/m,
    /^ Availability:\s+Active$/m, /^ Address:\s+127\.0\.0\.2$/m, /^ Operating System:\s+linux$/m]) t.match(pretty.stdout, re);
  t.notMatch(pretty.stdout, /Manager Status/, 'a worker has no manager status');
  const self = await docker.run('node', 'inspect', '--pretty', 'self');
  t.match(self.stdout, /^Hostname:\s+node-1$/m);
  t.match(self.stdout, /^ Leader:\s+Yes$/m);

  const ps = await docker.run('node', 'ps');
  t.equal(ps.code, 0, ps.stderr);
  const mine = parseTable(ps.stdout);
  t.ok(mine.length > 0 && mine.every((r) => r.NODE === 'node-1'), 'docker node ps: the tasks of self (node-1)');
  t.ok(mine.some((r) => r.NAME === `g.${nodeId('node-1')}` && r['DESIRED STATE'] === 'Running'));

  const label = await docker.run('node', 'update', '--label-add', 'zone=eu', 'node-2');
  t.equal(label.code, 0, label.stderr);
  const spec = await docker.run('node', 'inspect', 'node-2', '--format', '{{json .Spec}}');
  t.same(JSON.parse(spec.stdout), { Labels: { zone: 'eu' }, Role: 'worker', Availability: 'active' });
}

async function sameObjects({ t, docker, up }: Steps): Promise<void> {
  const sw = (...args: string[]) => cli(up.url, ...args);
  const [dps, sps] = await Promise.all([docker.run('service', 'ps', '-q', '--no-trunc', 'toms'), sw('service', 'ps', '-q', '--no-trunc', 'toms')]);
  t.equal(sps.code, 0, sps.stderr);
  t.same(lines(sps.stdout).sort(), lines(dps.stdout).sort(), 'swarmlet service ps shows docker\'s tasks');

  const update = await sw('service', 'update', '-d', '--env-add', 'MODE=fast', '--update-start-timeout', '30s', 'toms');
  t.equal(update.code, 0, update.stderr);
  await until('swarmlet\'s update completed', async () => (await updateStatus(docker, 'toms'))?.State === 'completed', 30_000, 250);
  const env = await docker.run('service', 'inspect', 'toms', '--format', '{{json .Spec.TaskTemplate.ContainerSpec.Env}}');
  t.same(JSON.parse(env.stdout), ['MODE=fast'], 'docker service inspect shows swarmlet\'s update');
  const before = await running(docker, 'toms');
  t.ok(before.length === 8 && before.every((r) => r.CurrentState.startsWith('Running')));

  const scale = await docker.run('service', 'scale', '-d', 'toms=9');
  t.equal(scale.code, 0, scale.stderr);
  const after = await until('toms.9 running', async () => {
    const rows = await running(docker, 'toms');
    return rows.find((r) => r.Name === 'toms.9')?.CurrentState.startsWith('Running') ? rows : undefined;
  });
  t.same(after.filter((r) => r.Name !== 'toms.9').map((r) => r.ID).sort(), before.map((r) => r.ID).sort(),
    'docker service scale after a swarmlet update restarted nothing');
  t.equal(await updateStatus(docker, 'toms'), null, 'a scale starts no rolling update');
  const stored = await getJson<Service>(up.url, '/services/toms');
  t.equal(stored.Spec.UpdateConfig?.StartTimeout, 30e9, 'docker\'s round trip kept swarmlet\'s --update-start-timeout');
  t.equal(stored.Spec.Mode.Replicated?.Replicas, 9);
}
