import t from 'tap';
import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import type { LogLine, RunningTask, StartRequest, TaskDriver } from '../../lib/agent/task-driver.js';
import { TaskRunner } from '../../lib/agent/task-runner.js';
import { watchNativeHealth } from '../../lib/agent/watch-native-health.js';
import { FakeClock } from '../../lib/clock.js';
import type { TaskReport } from '../../lib/protocol/task-report.js';
import { silentLogger } from '../../lib/logger.js';
import type { Task } from '../../lib/model/types.js';
import { containerConfig, stopTimeoutSeconds } from '../../lib/drivers/docker/container-config.js';
import { exitInfoOf, healthOf, OOM_ERROR } from '../../lib/drivers/docker/container-exit.js';
import { dockerConnection } from '../../lib/drivers/docker/docker-api.js';
import { createDockerDriver, endpointOf } from '../../lib/drivers/docker/docker-driver.js';
import { DockerLogParser, FrameDecoder, parseDockerTime } from '../../lib/drivers/docker/docker-logs.js';
import { tsk } from '../fixtures/store-objects.js';
import { FakeDockerApi, frame } from '../fixtures/fake-docker-api.js';

const NODE = { id: 'node-1', hostname: 'worker-1', addr: '127.0.0.1' };
// Below the ephemeral port range (32768-60999): an outgoing connection of another test never holds one of these.
const RANGE: [number, number] = [31310, 31319];
const T0 = Date.UTC(2026, 0, 1);
const TS = '2026-01-01T00:00:00.123456789Z';

function task(id: string, spec: Partial<Task['Spec']> = {}, container: Partial<Task['Spec']['ContainerSpec']> = {}): Task {
  const t0 = tsk(id, 'svc-1', NODE.id, 2);
  return { ...t0, Spec: { ...t0.Spec, ...spec, ContainerSpec: { Image: 'web:1', ...container } } };
}

function request(tk: Task, over: Partial<StartRequest> = {}): StartRequest {
  return { task: tk, serviceName: 'web', taskName: `web.${tk.Slot}`, node: NODE, image: undefined, env: ['A=1'], ...over };
}

function setup(nodeId = NODE.id) {
  const api = new FakeDockerApi();
  api.addImage('web:1');
  const clock = new FakeClock(T0);
  const driver = createDockerDriver({ api, clock, nodeId, hostname: NODE.hostname, portRange: RANGE });
  return { api, clock, driver };
}

async function collect(it: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of it) out.push(l);
  return out;
}

const tick = () => new Promise((r) => setImmediate(r));

t.test('container config: name, image, command, env, labels, limits, stop settings, publishing', async (t) => {
  const tk = task('task-a', { Resources: { Limits: { NanoCPUs: 500_000_000, MemoryBytes: 64 * 1024 * 1024, Pids: 50 } } }, {
    Command: ['/bin/httpd'], Args: ['-f', '-p', '80'], Labels: { team: 'x', 'swarmlet.task.id': 'spoofed' },
    StopGracePeriod: 1_500_000_000, StopSignal: 'SIGQUIT', Dir: '/www', User: 'nobody', Hostname: 'web-host', Init: true,
  });
  const body = containerConfig(request(tk, { targetPort: 80 }), [{ target: 80, addr: '127.0.0.9', hostPort: 20001 }]);
  t.same(body, {
    name: 'web.2.task-a', Image: 'web:1', Entrypoint: ['/bin/httpd'], Cmd: ['-f', '-p', '80'],
    Env: ['A=1', 'PORT=80', 'PORT_80=80'],
    Labels: {
      team: 'x', 'swarmlet.service.id': 'svc-1', 'swarmlet.service.name': 'web', 'swarmlet.task.id': 'task-a',
      'swarmlet.task.name': 'web.2', 'swarmlet.slot': '2', 'swarmlet.node.id': 'node-1',
    },
    StopTimeout: 2, StopSignal: 'SIGQUIT', WorkingDir: '/www', User: 'nobody', Hostname: 'web-host',
    ExposedPorts: { '80/tcp': {} },
    HostConfig: {
      RestartPolicy: { Name: 'no' }, Init: true, NanoCpus: 500_000_000, Memory: 64 * 1024 * 1024, PidsLimit: 50,
      PortBindings: { '80/tcp': [{ HostIp: '127.0.0.9', HostPort: '20001' }] },
    },
  });
});

t.test('container config: command/args mapping and no publishing (table)', async (t) => {
  const cases: Array<[string, Partial<Task['Spec']['ContainerSpec']>, string[] | undefined, string[] | undefined]> = [
    ['image defaults', {}, undefined, undefined],
    ['args replace the image Cmd', { Args: ['-v'] }, undefined, ['-v']],
    ['command replaces the entrypoint, no args', { Command: ['sh'] }, ['sh'], []],
    ['command and args', { Command: ['sh', '-c'], Args: ['echo hi'] }, ['sh', '-c'], ['echo hi']],
  ];
  for (const [name, spec, entrypoint, cmd] of cases) {
    const body = containerConfig(request(task('t1', {}, spec)), []);
    t.same(body.Entrypoint, entrypoint, `${name}: entrypoint`);
    t.same(body.Cmd, cmd, `${name}: cmd`);
    t.same(body.Env, ['A=1'], `${name}: no PORT without a target port`);
    t.equal(body.HostConfig.PortBindings, undefined, `${name}: nothing published`);
    t.equal(body.StopTimeout, 10, `${name}: default grace 10 s`);
  }
  t.same([0, 1, 999, 1000, 1001, 10_000].map(stopTimeoutSeconds), [0, 1, 1, 1, 2, 10]);
  const hc = (Healthcheck: Task['Spec']['ContainerSpec']['Healthcheck']) => containerConfig(request(task('t3', {}, { Healthcheck })), []).Healthcheck;
  t.equal(hc(undefined), undefined, 'no service health check: the image HEALTHCHECK applies');
  t.equal(hc({ Test: [] }), undefined, 'an empty test inherits the image HEALTHCHECK');
  t.same(hc({ Test: ['NONE'] }), { Test: ['NONE'] }, '--no-healthcheck disables the image HEALTHCHECK');
  t.same(hc({ Test: ['CMD', 'true'] }), { Test: ['NONE'] }, "swarmlet probes the service's own check; the image's is off");
  t.throws(() => containerConfig(request(task('t2', { Resources: { Limits: { MemoryBytes: 1.5 } } })), []), { code: 'invalid_argument', message: /MemoryBytes/ });
});

t.test('container config: ContainerSpec.Mounts become HostConfig.Mounts (bind, volume, tmpfs), next to the secret binds', async (t) => {
  const Mounts = [
    { Type: 'bind', Source: '/data', Target: '/b', ReadOnly: true, BindOptions: { Propagation: 'rslave' } },
    { Type: 'volume', Source: 'app_vol', Target: '/v', VolumeOptions: { NoCopy: true, Labels: { 'com.docker.stack.namespace': 'app' } } },
    { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576 } },
  ];
  const body = containerConfig(request(task('t4', {}, { Mounts })), [], ['/run/x:/run/secrets/pw:ro']);
  t.same(body.HostConfig.Mounts, Mounts);
  t.same(body.HostConfig.Binds, ['/run/x:/run/secrets/pw:ro']);
  t.equal(containerConfig(request(task('t5', {}, {})), []).HostConfig.Mounts, undefined, 'none without Mounts');
});

t.test('start: creates and starts the container, published on the node address at an allocated port', async (t) => {
  const { api, driver } = setup();
  const rt = await driver.start(request(task('task-a', {}, { StopGracePeriod: 3_000_000_000 }), { targetPort: 8080 }));
  const c = api.byTask('task-a')!;
  t.ok(c, 'one container for the task');
  t.equal(c.name, 'web.2.task-a');
  t.equal(c.state.Running, true);
  const port = Number(c.body.HostConfig.PortBindings?.['8080/tcp']?.[0]?.HostPort);
  t.ok(port >= RANGE[0] && port <= RANGE[1], 'host port from the range');
  t.same(c.body.HostConfig.PortBindings?.['8080/tcp']?.[0]?.HostIp, NODE.addr);
  t.same(rt.endpoint, { addr: NODE.addr, port }, 'endpoint = node address + host port');
  t.equal(rt.pid, c.state.Pid);
  t.same(c.body.Env, ['A=1', 'PORT=8080', 'PORT_8080=8080']);
  t.equal(c.body.StopTimeout, 3);
  await t.rejects(driver.start(request(task('task-a'))), { code: 'conflict' }, 'a task starts once');
  const plain = await driver.start(request(task('task-b')));
  t.equal(plain.endpoint, undefined, 'no target port: no endpoint');
  await driver.close();
});

t.test('host mode: the container port is bound on the published port itself (udp too); a second task with that port on the node is refused', async (t) => {
  const { api, driver } = setup();
  const rt = await driver.start(request(task('task-h'), { targetPort: 8080, hostPort: 8088 }));
  const c = api.byTask('task-h')!;
  t.same(c.body.HostConfig.PortBindings, { '8080/tcp': [{ HostIp: NODE.addr, HostPort: '8088' }] });
  t.same(rt.endpoint, { addr: NODE.addr, port: 8088 }, 'the task listens on the published port at the node address');
  await t.rejects(driver.start(request(task('task-i'), { targetPort: 8080, hostPort: 8088 })), {
    code: 'failed_precondition', message: 'host-mode port 8088/tcp is already in use on node worker-1',
  });
  t.notOk(api.byTask('task-i'), 'nothing created for the refused task');
  await driver.start(request(task('task-u'), { targetPort: 53, hostPort: 5353, protocol: 'udp' }));
  t.same(api.byTask('task-u')!.body.HostConfig.PortBindings, { '53/udp': [{ HostIp: NODE.addr, HostPort: '5353' }] });
  t.same(api.byTask('task-u')!.body.ExposedPorts, { '53/udp': {} });
  await driver.close();
});

t.test('a missing image is a rejection naming the image and the node; nothing is created', async (t) => {
  const { api, driver } = setup();
  await t.rejects(driver.start(request(task('task-a', {}, { Image: 'web:9' }), { targetPort: 80 })), {
    code: 'failed_precondition', message: 'image web:9 not found on node worker-1',
  });
  t.equal(api.containers.size, 0);
  t.notOk(api.calls.some((c) => c.startsWith('create')), 'no create call (no pull either)');
  const rt = await driver.start(request(task('task-a'), { targetPort: 80 }));
  t.equal(rt.endpoint?.port, RANGE[0], 'the rejected start gave its port back; the task can be started later');
  await driver.close();
});

t.test('a container that cannot start fails the task (not a rejection)', async (t) => {
  const { api, driver } = setup();
  api.failStart = 'OCI runtime create failed: exec: "nope": executable file not found in $PATH';
  const rt = await driver.start(request(task('task-a'), { targetPort: 80 }));
  t.same(await rt.exited, { exitCode: undefined, signal: undefined, stopped: false, error: `starting container failed: ${api.failStart}` });
  await driver.forget('task-a');
  t.equal(api.containers.size, 0);
});

t.test('through the runner, a container that cannot start is never reported running', async (t) => {
  const { api, driver, clock } = setup();
  api.failStart = 'port is already allocated';
  const tk = task('task-a');
  const reports: TaskReport[] = [];
  const runner = new TaskRunner(tk, driver, request(tk, { targetPort: 80 }), (r) => reports.push(r), silentLogger(), { target: 80, protocol: 'tcp', udpOnly: false }, clock);
  await runner.done;
  t.same(reports.map((r) => r.State), ['accepted', 'preparing', 'starting', 'failed']);
  t.equal(reports.at(-1)!.Err, 'starting container failed: port is already allocated');
  await driver.close();
});

t.test('exit info from the container State (table)', async (t) => {
  const state = (o: Partial<Parameters<typeof exitInfoOf>[0] & object>) => ({ Status: 'exited', Running: false, Pid: 0, ExitCode: 0, OOMKilled: false, ...o });
  const cases: Array<[string, Parameters<typeof exitInfoOf>[0], boolean, ReturnType<typeof exitInfoOf>]> = [
    ['clean exit', state({}), false, { exitCode: 0, signal: undefined, stopped: false }],
    ['exit 3', state({ ExitCode: 3 }), false, { exitCode: 3, signal: undefined, stopped: false }],
    ['docker kill', state({ ExitCode: 137 }), false, { exitCode: 137, signal: 'SIGKILL', stopped: false }],
    ['OOM', state({ ExitCode: 137, OOMKilled: true }), false, { exitCode: 137, signal: 'SIGKILL', stopped: false, error: OOM_ERROR }],
    ['engine error', state({ ExitCode: 128, Error: 'no such file' }), false, { exitCode: 128, signal: undefined, stopped: false, error: 'task: no such file' }],
    ['stopped', state({ ExitCode: 143 }), true, { exitCode: 143, signal: 'SIGTERM', stopped: true }],
    ['stopped, OOM ignored', state({ ExitCode: 137, OOMKilled: true }), true, { exitCode: 137, signal: 'SIGKILL', stopped: true }],
    ['gone', undefined, false, { exitCode: undefined, signal: undefined, stopped: false, error: 'task: container removed' }],
    ['gone after stop', undefined, true, { exitCode: undefined, signal: undefined, stopped: true }],
  ];
  for (const [name, s, stopped, want] of cases) t.same(exitInfoOf(s, stopped), want, name);
  t.same(['starting', 'healthy', 'unhealthy', 'none', 'weird', undefined].map((s) => healthOf(s === undefined ? undefined : { Health: { Status: s } })),
    ['starting', 'healthy', 'unhealthy', 'none', 'none', 'none']);
  t.equal(healthOf({ Health: null }), 'none');
});

t.test('exited: exit code, OOM kill, and stop (docker stop -t ceil(grace))', async (t) => {
  const { api, driver } = setup();
  const a = await driver.start(request(task('task-a'), { targetPort: 80 }));
  api.exit(api.byTask('task-a')!.id, 3);
  t.same(await a.exited, { exitCode: 3, signal: undefined, stopped: false });

  const b = await driver.start(request(task('task-b')));
  api.exit(api.byTask('task-b')!.id, 137, true);
  t.same(await b.exited, { exitCode: 137, signal: 'SIGKILL', stopped: false, error: OOM_ERROR });

  const c = await driver.start(request(task('task-c'), { targetPort: 80 }));
  await c.stop(1500);
  t.same(api.byTask('task-c')!.stops, [2], 'docker stop with t = ceil(1500 ms)');
  t.same(await c.exited, { exitCode: 143, signal: 'SIGTERM', stopped: true });
  await c.stop(1500);
  t.same(api.byTask('task-c')!.stops, [2], 'stop is idempotent');
  t.ok(api.byTask('task-c'), 'the stopped container stays (its logs) until the task is forgotten');
  const again = await driver.start(request(task('task-d'), { targetPort: 80 }));
  t.equal(again.endpoint?.port, c.endpoint!.port + 1, 'ports rotate');
  await driver.close();
});

t.test('adoption: a running container with the task and node labels is taken over', async (t) => {
  const { api, driver } = setup();
  const labels = (taskId: string, nodeId = NODE.id) => ({ 'swarmlet.task.id': taskId, 'swarmlet.node.id': nodeId });
  const left = api.addContainer({ labels: labels('task-a'), running: true, binding: { target: 80, HostIp: NODE.addr, HostPort: String(RANGE[0]) } });
  api.addContainer({ labels: labels('task-b', 'node-2'), running: true });
  api.addContainer({ labels: labels('task-c'), running: false });
  const rt = await driver.adopt!(task('task-a'));
  t.ok(rt, 'adopted');
  t.same(rt!.endpoint, { addr: NODE.addr, port: RANGE[0] }, 'same endpoint');
  t.equal(rt!.pid, left.state.Pid, 'pid of the container');
  t.equal(await driver.adopt!(task('task-a')), undefined, 'adopted once');
  t.equal(await driver.adopt!(task('task-b')), undefined, "another node's container is not ours");
  t.equal(await driver.adopt!(task('task-c')), undefined, 'an exited container is not adopted');
  t.equal(await driver.adopt!(task('task-z')), undefined, 'nothing to adopt');
  const fresh = await driver.start(request(task('task-n'), { targetPort: 80 }));
  t.not(fresh.endpoint?.port, RANGE[0], 'the adopted port is reserved');
  api.exit(left.id, 0);
  t.same(await rt!.exited, { exitCode: 0, signal: undefined, stopped: false }, 'the exit code of an adopted container is known');
  t.same(endpointOf({ HostConfig: { PortBindings: null } }), undefined);
  t.same(endpointOf({ HostConfig: { PortBindings: { '80/tcp': null, '81/tcp': [{ HostIp: '127.0.0.5', HostPort: '2' }] } } }), { addr: '127.0.0.5', port: 2 });
  await driver.close();
});

t.test('stopUnadopted stops and removes every container of the node nobody adopted', async (t) => {
  const { api, driver } = setup();
  const labels = (taskId: string, nodeId = NODE.id) => ({ 'swarmlet.task.id': taskId, 'swarmlet.node.id': nodeId });
  const kept = api.addContainer({ labels: labels('task-a'), running: true });
  const stray = api.addContainer({ labels: labels('task-b'), running: true });
  const exited = api.addContainer({ labels: labels('task-c'), running: false });
  const other = api.addContainer({ labels: labels('task-d', 'node-2'), running: true });
  await driver.adopt!(task('task-a'));
  await driver.start(request(task('task-e')));
  await driver.stopUnadopted!();
  t.same([...api.containers.keys()].sort(), [kept.id, other.id, api.byTask('task-e')!.id].sort());
  t.same(stray.stops, [undefined], 'the running stray was stopped with its own timeout first');
  t.ok(api.calls.includes(`remove ${exited.id}`));
  await driver.close();
  t.same([...api.containers.keys()], [other.id], 'close removes what this driver ran');
});

t.test('forget removes the container (stopping it first) and any other of the task; nothing is left', async (t) => {
  const { api, driver } = setup();
  const rt = await driver.start(request(task('task-a'), { targetPort: 80 }));
  await rt.stop(1000);
  await driver.forget('task-a');
  t.equal(api.containers.size, 0);
  const running = await driver.start(request(task('task-b'), { targetPort: 80 }));
  api.addContainer({ labels: { 'swarmlet.task.id': 'task-b', 'swarmlet.node.id': NODE.id }, running: false });
  await driver.forget('task-b');
  t.equal((await running.exited).stopped, true, 'a running task is stopped, not killed');
  t.equal(api.containers.size, 0, 'no container left');
  t.same(await collect(driver.logs('task-b', {})), [], 'no logs after forget');
  await driver.forget('never-seen');
});

t.test('listImages: the engine tags, sorted, untagged ones left out', async (t) => {
  const { api, driver } = setup();
  api.addImage('b:2');
  api.images.set('dangling', { Id: 'sha256:x', RepoTags: ['<none>:<none>'] });
  t.same(await driver.listImages(), ['b:2', 'web:1']);
});

t.test('frames are decoded whatever the chunking (table)', async (t) => {
  const all = Buffer.concat([frame('stdout', 'ab'), frame('stderr', ''), frame('stderr', 'cde')]);
  const splits: Array<[string, number[]]> = [
    ['one chunk', []], ['inside a header', [3]], ['between frames', [10]], ['inside a payload', [9]], ['every byte', [...all.keys()].slice(1)],
  ];
  for (const [name, cuts] of splits) {
    const dec = new FrameDecoder();
    const got: string[] = [];
    let prev = 0;
    for (const cut of [...cuts, all.length]) {
      for (const f of dec.push(all.subarray(prev, cut))) got.push(`${f.stream}:${f.payload.toString()}`);
      prev = cut;
    }
    t.same(got, ['stdout:ab', 'stderr:', 'stderr:cde'], name);
    t.equal(dec.leftover(), 0, `${name}: nothing left over`);
  }
});

t.test('log lines: timestamps, streams, pieces of long lines, CRLF, UTF-8 split between frames (table)', async (t) => {
  const ms = Date.parse('2026-01-01T00:00:00.123Z');
  const cases: Array<[string, Buffer[], Array<[LogLine['stream'], number, string]>]> = [
    ['one line each', [frame('stdout', `${TS} hello\n`), frame('stderr', `${TS} oops\n`)], [['stdout', ms, 'hello'], ['stderr', ms, 'oops']]],
    ['a long line in pieces', [frame('stdout', `${TS} abc`), frame('stderr', `${TS} x\n`), frame('stdout', '2026-01-01T00:00:01Z def\n')], [['stderr', ms, 'x'], ['stdout', ms, 'abcdef']]],
    ['CRLF and empty lines', [frame('stdout', `${TS} a\r\n`), frame('stdout', `${TS} \n`)], [['stdout', ms, 'a'], ['stdout', ms, '']]],
    ['UTF-8 cut between pieces', [frame('stdout', Buffer.concat([Buffer.from(`${TS} h`), Buffer.from('é').subarray(0, 1)])), frame('stdout', Buffer.concat([Buffer.from(`${TS} `), Buffer.from('é').subarray(1), Buffer.from('!\n')]))], [['stdout', ms, 'hé!']]],
    ['no timestamp: the time of reading', [frame('stdout', 'plain\n')], [['stdout', T0, 'plain']]],
    ['unterminated last line', [frame('stdout', `${TS} tail`)], [['stdout', ms, 'tail']]],
  ];
  for (const [name, frames, want] of cases) {
    const p = new DockerLogParser(() => T0);
    const bytes = Buffer.concat(frames);
    const lines = [...p.push(bytes.subarray(0, 5)), ...p.push(bytes.subarray(5)), ...p.flush()];
    t.same(lines.map((l) => [l.stream, l.time, l.text]), want, name);
  }
  t.equal(parseDockerTime('2026-01-01T00:00:00Z'), Date.parse('2026-01-01T00:00:00Z'));
  t.equal(parseDockerTime('2026-01-01T01:00:00.5+01:00'), Date.parse('2026-01-01T00:00:00.500Z'));
  t.equal(parseDockerTime('yesterday'), undefined);
});

t.test('property: the parsed lines do not depend on how the stream is chunked', async () => {
  const line = fc.record({ stream: fc.constantFrom('stdout' as const, 'stderr' as const), text: fc.string({ maxLength: 30 }).filter((s) => !/[\n\r]/.test(s)) });
  fc.assert(fc.property(fc.array(line, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), (lines, cutsRaw) => {
    const bytes = Buffer.concat(lines.map((l) => frame(l.stream, `${TS} ${l.text}\n`)));
    const cuts = [...new Set(cutsRaw.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    const p = new DockerLogParser(() => T0);
    const got: LogLine[] = [];
    let prev = 0;
    for (const cut of [...cuts, bytes.length]) { got.push(...p.push(bytes.subarray(prev, cut))); prev = cut; }
    got.push(...p.flush());
    const key = (ls: Array<{ stream: string; text: string }>, s: string) => ls.filter((l) => l.stream === s).map((l) => l.text);
    return JSON.stringify(key(got, 'stdout')) === JSON.stringify(key(lines, 'stdout'))
      && JSON.stringify(key(got, 'stderr')) === JSON.stringify(key(lines, 'stderr'));
  }));
});

t.test('logs: read from the engine with timestamps; since to the millisecond; follow ends with the container or the signal', async (t) => {
  const { api, driver } = setup();
  await driver.start(request(task('task-a')));
  const id = api.byTask('task-a')!.id;
  api.appendLog(id, frame('stdout', '2026-01-01T00:00:01.000Z one\n'));
  api.appendLog(id, Buffer.concat([frame('stderr', '2026-01-01T00:00:02.500Z two\n'), frame('stdout', '2026-01-01T00:00:03Z th')]));
  api.appendLog(id, frame('stdout', '2026-01-01T00:00:03Z ree\n'));
  const all = await collect(driver.logs('task-a', {}));
  t.same(all.map((l) => `${l.stream}:${l.text}`), ['stdout:one', 'stderr:two', 'stdout:three']);
  const since = await collect(driver.logs('task-a', { since: Date.parse('2026-01-01T00:00:02.400Z'), tail: 5 }));
  t.same(since.map((l) => l.text), ['two', 'three']);
  t.match(api.calls.at(-1), /follow=false tail=5 since=1767225602$/, 'tail and whole seconds go to the engine');

  const seen: string[] = [];
  const follow = (async () => { for await (const l of driver.logs('task-a', { follow: true })) seen.push(l.text); })();
  await tick();
  api.appendLog(id, frame('stdout', '2026-01-01T00:00:04Z four\n'));
  await tick();
  api.exit(id, 0);
  await follow;
  t.same(seen, ['one', 'two', 'three', 'four'], 'follow ends when the container ends');

  await driver.start(request(task('task-b')));
  const ac = new AbortController();
  const aborted = collect(driver.logs('task-b', { follow: true, signal: ac.signal }));
  await tick();
  ac.abort();
  t.same(await aborted, [], 'follow ends when the signal aborts');
  t.same(await collect(driver.logs('unknown', { follow: true })), [], 'no container: no lines');
  await driver.close();
});

t.test('logs: following many containers with one signal adds one abort listener to it, not one per container', async (t) => {
  const api = new FakeDockerApi();
  api.addImage('web:1');
  const driver = createDockerDriver({ api, clock: new FakeClock(T0), nodeId: NODE.id, hostname: NODE.hostname, portRange: [31330, 31359] }); // below the ephemeral range, apart from the other files' ranges
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  t.teardown(() => { process.off('warning', onWarning); });
  const n = 15; // Node warns at 11 listeners on one signal
  const ids: string[] = [];
  for (let i = 1; i <= n; i++) {
    await driver.start(request(task(`task-${i}`)));
    ids.push(api.byTask(`task-${i}`)!.id);
  }
  const ac = new AbortController();
  const seen = ids.map(() => [] as string[]);
  const follows = ids.map(async (_, i) => { for await (const l of driver.logs(`task-${i + 1}`, { follow: true, signal: ac.signal })) seen[i]!.push(l.text); });
  for (let i = 0; i < 5; i++) await tick();
  t.equal(getEventListeners(ac.signal, 'abort').length, 1, 'one listener on the shared signal');
  const requestSignals = api.logSignals.slice(-n);
  t.equal(new Set(requestSignals).size, n, 'each engine request has a signal of its own');
  t.notOk(requestSignals.includes(ac.signal), 'none is the shared one');
  ids.forEach((id, i) => api.appendLog(id, frame('stdout', `2026-01-01T00:00:01Z line ${i + 1}\n`)));
  for (let i = 0; i < 5; i++) await tick();
  t.same(seen, ids.map((_, i) => [`line ${i + 1}`]), 'every follow gets its lines');
  ac.abort();
  await Promise.all(follows);
  t.ok(requestSignals.every((s) => s?.aborted), 'the abort reaches every request');
  t.equal(getEventListeners(ac.signal, 'abort').length, 0, 'nothing left on the shared signal');
  await new Promise((r) => setImmediate(r));
  t.same(warnings.filter((w) => w === 'MaxListenersExceededWarning'), [], 'no MaxListenersExceededWarning');

  // a follow that ends on its own (its container stops) lets go of the shared signal
  const ac2 = new AbortController();
  const one = collect(driver.logs('task-1', { follow: true, signal: ac2.signal }));
  for (let i = 0; i < 5; i++) await tick();
  t.equal(getEventListeners(ac2.signal, 'abort').length, 1);
  api.exit(ids[0]!, 0);
  t.same((await one).map((l) => l.text), ['line 1']);
  t.equal(getEventListeners(ac2.signal, 'abort').length, 0, 'the listener goes with the last follow');
  await driver.close();
});

t.test('logs of a container started by an earlier driver are found by label', async (t) => {
  const { api, driver } = setup();
  const c = api.addContainer({ labels: { 'swarmlet.task.id': 'task-a', 'swarmlet.node.id': NODE.id }, running: false });
  api.appendLog(c.id, frame('stdout', `${TS} before the restart\n`));
  t.same((await collect(driver.logs('task-a', {}))).map((l) => l.text), ['before the restart']);
});

t.test('health(): the image HEALTHCHECK status from inspect', async (t) => {
  const { api, driver } = setup();
  const rt = await driver.start(request(task('task-a')));
  t.equal(await rt.health!(), 'none');
  api.setHealth(api.byTask('task-a')!.id, 'starting');
  t.equal(await rt.health!(), 'starting');
  api.setHealth(api.byTask('task-a')!.id, 'healthy');
  t.equal(await rt.health!(), 'healthy');
  await api.removeContainer(api.byTask('task-a')!.id);
  await t.rejects(rt.health!(), { code: 'not_found' }, 'a removed container has no health (not "none")');
  await driver.close();
});

t.test('dockerConnection: host URLs (table)', async (t) => {
  t.same(dockerConnection('unix:///run/docker.sock'), { socketPath: '/run/docker.sock' });
  t.same(dockerConnection(undefined), { socketPath: '/var/run/docker.sock' });
  t.same(dockerConnection('tcp://127.0.0.1:2375'), { protocol: 'http', host: '127.0.0.1', port: 2375 });
  t.same(dockerConnection('http://localhost:2376/'), { protocol: 'http', host: 'localhost', port: 2376 });
  t.same(dockerConnection('tcp://[::1]:2375'), { protocol: 'http', host: '::1', port: 2375 });
  t.throws(() => dockerConnection('unix://relative.sock'), { code: 'invalid_argument', message: /must be absolute/ });
  t.throws(() => dockerConnection('ssh://me@host'), { code: 'invalid_argument', message: /expected unix:\/\/\/path, tcp:\/\/host:port or http:\/\/host:port/ });
});

/** A RunningTask whose native health the test sets. */
function healthTask(clock: FakeClock) {
  let status: 'starting' | 'healthy' | 'unhealthy' | 'none' = 'starting';
  let exit!: (i: { exitCode: number | undefined; signal: undefined; stopped: boolean }) => void;
  const stops: number[] = [];
  const rt: RunningTask = {
    endpoint: undefined, pid: 42,
    exited: new Promise((r) => { exit = r; }),
    stop: async (g) => { stops.push(g); exit({ exitCode: 143, signal: undefined, stopped: true }); },
    health: async () => status,
  };
  return { rt, stops, set: (s: typeof status) => { status = s; }, exit, clock };
}

function runnerWith(rt: RunningTask, clock: FakeClock, tk = task('task-h')) {
  const reports: TaskReport[] = [];
  const driver: TaskDriver = { name: 'fake', start: async () => rt, logs: async function* () {}, forget: async () => {}, close: async () => {} };
  const runner = new TaskRunner(tk, driver, request(tk), (r) => reports.push(r), silentLogger(), undefined, clock);
  return { reports, runner };
}

async function settle(clock: FakeClock, ms: number): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
  clock.advance(ms);
  for (let i = 0; i < 5; i++) await tick();
}

t.test('native health gates RUNNING: starting → healthy reports running with Health healthy', async (t) => {
  const clock = new FakeClock(T0);
  const h = healthTask(clock);
  const { reports } = runnerWith(h.rt, clock);
  await settle(clock, 500);
  await settle(clock, 500);
  t.notOk(reports.some((r) => r.State === 'running'), 'not running while starting');
  h.set('healthy');
  await settle(clock, 500);
  const running = reports.filter((r) => r.State === 'running');
  t.equal(running.length, 1);
  t.equal(running[0]!.Health, 'healthy');
  await settle(clock, 500);
  t.equal(reports.filter((r) => r.State === 'running').length, 1, 'reported once');
  h.exit({ exitCode: 0, signal: undefined, stopped: false });
  await settle(clock, 0);
  t.equal(reports.at(-1)!.State, 'complete');
});

t.test('native health: unhealthy stops the task and fails it with "task: unhealthy container"', async (t) => {
  const clock = new FakeClock(T0);
  const h = healthTask(clock);
  const { reports, runner } = runnerWith(h.rt, clock, task('task-u', {}, { StopGracePeriod: 2_000_000_000 }));
  h.set('healthy');
  await settle(clock, 500);
  h.set('unhealthy');
  await settle(clock, 500);
  await runner.done;
  t.same(h.stops, [2000], 'stopped with its grace period');
  t.match(reports.at(-1), { State: 'failed', Err: 'task: unhealthy container', Health: 'unhealthy' });
});

t.test('native health: an image without HEALTHCHECK is running at once; a service Healthcheck takes precedence', async (t) => {
  const clock = new FakeClock(T0);
  const h = healthTask(clock);
  h.set('none');
  const { reports } = runnerWith(h.rt, clock);
  await settle(clock, 0);
  t.match(reports.at(-1), { State: 'running' });
  t.equal(reports.at(-1)!.Health, undefined);

  let asked = 0;
  const h2 = healthTask(clock);
  h2.rt.health = async () => { asked += 1; return 'healthy'; };
  runnerWith(h2.rt, clock, task('task-p', {}, { Healthcheck: { Test: ['NONE'] } }));
  await settle(clock, 1000);
  t.equal(asked, 0, 'the image health check is not read when the service has a Healthcheck');
});

t.test('watchNativeHealth polls on the clock until aborted; read errors are asked again', async (t) => {
  const clock = new FakeClock(T0);
  const seq: Array<'starting' | 'healthy' | Error> = ['starting', new Error('engine hiccup'), 'healthy', 'healthy'];
  const events: string[] = [];
  const ac = new AbortController();
  const done = watchNativeHealth({
    health: async () => { const s = seq.shift() ?? 'healthy'; if (s instanceof Error) throw s; return s; },
    clock, signal: ac.signal, intervalMs: 100,
    onNone: () => events.push('none'), onHealthy: () => events.push('healthy'), onUnhealthy: () => events.push('unhealthy'),
  });
  for (let i = 0; i < 5; i++) await settle(clock, 100);
  t.same(events, ['healthy']);
  t.equal(seq.length, 0, 'kept polling after healthy');
  ac.abort();
  await done;
  t.equal(clock.pending(), 0, 'no timer left');
});

t.test('exec: health commands run inside the container (docker exec), exit code and output', async (t) => {
  const { api, driver } = setup();
  const rt = await driver.start(request(task('task-x')));
  api.execResults.set('/bin/sh -c test -f /www/index.html', { exitCode: 0, output: 'fine' });
  api.execResults.set('/bin/sh -c false', { exitCode: 1, output: 'nope' });
  api.execResults.set('sleep 10', { exitCode: undefined, output: '' });
  t.same(await rt.exec!(['/bin/sh', '-c', 'test -f /www/index.html'], 1000), { exitCode: 0, output: 'fine' });
  t.same(await rt.exec!(['/bin/sh', '-c', 'false'], 1000), { exitCode: 1, output: 'nope' });
  t.same(await rt.exec!(['sleep', '10'], 1000), { exitCode: undefined, output: '' }, 'a timed-out exec has no exit code');
  t.ok(api.calls.includes(`exec ${api.byTask('task-x')!.id} /bin/sh -c false`), 'asked of the engine for that container');
  await driver.close();
});

t.test('a service shell health check is probed through exec, in the container', async (t) => {
  const { runProbe } = await import('../../lib/health/probes.js');
  const { healthSettings } = await import('../../lib/health/health-state.js');
  const s = healthSettings({ Test: ['CMD-SHELL', 'test -f /only/in/the/container'], Interval: 1e9, Timeout: 1e9, Retries: 1 })!;
  const asked: string[][] = [];
  const exec = async (argv: string[]) => { asked.push(argv); return { exitCode: 0, output: 'ok\n' }; };
  const r = await runProbe(s, { addr: undefined, port: undefined, env: {}, exec }, new FakeClock(T0));
  t.same(r, { ok: true, output: 'ok' });
  t.same(asked, [['/bin/sh', '-c', 'test -f /only/in/the/container']]);
  const onHost = await runProbe(s, { addr: undefined, port: undefined, env: {} }, new FakeClock(T0));
  t.equal(onHost.ok, false, 'the same command on the node fails: there is no such file here');
  const late = await runProbe(s, { addr: undefined, port: undefined, env: {}, exec: async () => ({ exitCode: undefined, output: '' }) }, new FakeClock(T0));
  t.match(late, { ok: false, output: /exceeded timeout/ });
});
