import t, { type Test } from 'tap';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { createApiServer, type ApiServer } from '../../lib/api/server.js';
import type { Logger } from '../../lib/logger.js';
import type { LogQuery } from '../../lib/agent/task-driver.js';
import type { LogEntry } from '../../lib/manager/control.js';
import { API_ID, FakeControl, MGR_ID, WEB_ID, WEB_TASK_IDS, WRK_ID } from '../fixtures/fake-control.js';

const agent = new Agent({ keepAliveTimeout: 1000 });
t.teardown(() => agent.close());

interface Logged { level: string; obj: unknown; msg: string | undefined }
function recordingLogger(sink: Logged[]): Logger {
  const at = (level: string) => (obj: unknown, msg?: string) => { sink.push({ level, obj, msg }); };
  const l: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => l };
  return l;
}

interface Harness { base: string; control: FakeControl; api: ApiServer; logged: Logged[] }

async function start(t: Test, control = new FakeControl(), maxBodyBytes?: number): Promise<Harness> {
  const logged: Logged[] = [];
  const opts = { control, logger: recordingLogger(logged), version: '9.8.7', ...(maxBodyBytes ? { maxBodyBytes } : {}) };
  const api = createApiServer(opts);
  const { port } = await api.listen('127.0.0.1', 0);
  t.teardown(() => api.close());
  return { base: `http://127.0.0.1:${port}`, control, api, logged };
}

type Method = 'GET' | 'HEAD' | 'POST' | 'DELETE' | 'PUT';
async function call(h: Harness, method: Method, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const hasBody = body !== undefined;
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const res = await request(h.base + path, {
    method, dispatcher: agent,
    headers: hasBody ? { 'content-type': 'application/json', ...headers } : headers,
    ...(hasBody ? { body: payload } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as any };
}

const q = (v: unknown) => encodeURIComponent(JSON.stringify(v));

t.test('ping: HEAD and GET, versioned and not, with Docker headers', async (t) => {
  const h = await start(t);
  for (const path of ['/_ping', '/v1.41/_ping', '/v1.50/_ping']) {
    for (const method of ['HEAD', 'GET'] as const) {
      const r = await call(h, method, path);
      t.equal(r.status, 200, `${method} ${path}`);
      t.equal(r.headers['api-version'], '1.41');
      t.equal(r.headers['ostype'], 'linux');
      t.equal(r.headers['swarm'], 'active/manager');
      t.equal(r.headers['docker-experimental'], 'false');
      t.equal(r.headers['cache-control'], 'no-cache, no-store, must-revalidate');
      t.equal(r.headers['pragma'], 'no-cache');
      t.equal(r.headers['server'], 'swarmlet/9.8.7 (linux)');
      t.equal(r.text, method === 'GET' ? 'OK' : '');
    }
  }
});

t.test('version and info', async (t) => {
  const h = await start(t);
  for (const path of ['/version', '/v1.41/version']) {
    const r = await call(h, 'GET', path);
    t.equal(r.status, 200);
    t.equal(r.headers['content-type'], 'application/json');
    t.equal(r.headers['server'], 'swarmlet/9.8.7 (linux)');
    const v = r.json();
    t.match(v, { Version: '9.8.7', ApiVersion: '1.41', MinAPIVersion: '1.24', Os: 'linux', GoVersion: `node ${process.version}`,
      Platform: { Name: 'swarmlet' }, Components: [{ Name: 'Engine', Version: '9.8.7', Details: { ApiVersion: '1.41' } }] });
    t.type(v.Arch, 'string');
    t.type(v.KernelVersion, 'string');
  }
  const r = await call(h, 'GET', '/v1.41/info');
  t.equal(r.headers['content-type'], 'application/json');
  const info = r.json();
  t.match(info, {
    ServerVersion: '9.8.7', OperatingSystem: 'swarmlet', OSType: 'linux', NCPU: Number, MemTotal: Number, Architecture: String,
    Swarm: {
      NodeID: MGR_ID, NodeAddr: '127.0.0.1', LocalNodeState: 'active', ControlAvailable: true, Error: '',
      RemoteManagers: [{ NodeID: MGR_ID, Addr: '127.0.0.1' }], Nodes: 2, Managers: 1,
      Cluster: { ID: 'cluster00000000000000000c', CreatedAt: '2026-01-01T00:00:00.000Z', UpdatedAt: String, Version: { Index: Number },
        Spec: { Name: 'default', Orchestration: { TaskHistoryRetentionLimit: 5 }, Dispatcher: { HeartbeatPeriod: 5_000_000_000 },
          Raft: { ElectionTick: Number }, CAConfig: { NodeCertExpiry: 7776000000000000 }, EncryptionConfig: { AutoLockManagers: false } } },
    },
  });
});

t.test('unknown routes, wrong methods and errors are JSON with the exact content type', async (t) => {
  const h = await start(t);
  for (const path of ['/nosuch', '/v1.41/nosuch', '/services/a/b/c', '/']) {
    const r = await call(h, 'GET', path);
    t.equal(r.status, 404, path);
    t.equal(r.headers['content-type'], 'application/json');
    t.equal(r.text, '{"message":"page not found"}');
    t.equal(r.headers['api-version'], '1.41', 'common headers on errors too');
  }
  const m = await call(h, 'PUT', '/v1.41/services');
  t.equal(m.status, 405);
  t.equal(m.headers['content-type'], 'application/json');
  t.equal(m.headers['allow'], 'GET');
  t.match(m.json(), { message: /PUT/ });
  const nf = await call(h, 'GET', '/v1.41/services/nosuch');
  t.equal(nf.status, 404);
  t.equal(nf.headers['content-type'], 'application/json');
  t.equal(nf.text, '{"message":"service nosuch not found"}');
  const amb = await call(h, 'GET', '/services/webtask');
  t.equal(amb.status, 404, 'a task prefix is not a service');
  const ambTask = await call(h, 'GET', '/tasks/webtask');
  t.equal(ambTask.status, 400);
  t.equal(ambTask.text, '{"message":"task webtask is ambiguous (3 matches found)"}');
  const bad = await call(h, 'GET', '/services/%E0%A4%A');
  t.equal(bad.status, 400);
  t.match(bad.json(), { message: /invalid path segment/ });
});

t.test('non-SwarmletErrors become 500 with their message and are logged', async (t) => {
  const control = new FakeControl();
  control.listNodes = () => { throw new Error('kaboom'); };
  const h = await start(t, control);
  const r = await call(h, 'GET', '/nodes');
  t.equal(r.status, 500);
  t.equal(r.headers['content-type'], 'application/json');
  t.equal(r.text, '{"message":"kaboom"}');
  t.ok(h.logged.some((l) => l.level === 'error' && (l.obj as { err?: Error }).err?.message === 'kaboom'));
});

t.test('services: list with filters (both encodings) and status', async (t) => {
  const h = await start(t);
  const r = await call(h, 'GET', `/v1.41/services?status=true&filters=${q({ name: { web: true } })}`);
  t.equal(r.status, 200);
  t.equal(r.headers['content-type'], 'application/json');
  const list = r.json();
  t.equal(list.length, 1);
  t.match(list[0], { ID: WEB_ID, ServiceStatus: { RunningTasks: 3, DesiredTasks: 3 } });
  t.same(h.control.callsOf('listServices').at(-1)!.args, [{ name: ['web'] }, true]);
  await call(h, 'GET', `/services?filters=${q({ id: ['web', 'api'], label: ['a=b'] })}`);
  t.same(h.control.callsOf('listServices').at(-1)!.args, [{ id: ['web', 'api'], label: ['a=b'] }, false]);
  const all = await call(h, 'GET', '/services?status=0');
  t.equal(all.json().length, 2);
  t.notOk(all.json()[0].ServiceStatus);
  t.same(h.control.callsOf('listServices').at(-1)!.args, [{}, false]);
  const n = h.control.calls.length;
  const bad = await call(h, 'GET', '/services?filters=%7Bnope');
  t.equal(bad.status, 400);
  t.match(bad.json(), { message: /^invalid filter: / });
  t.equal(h.control.calls.length, n, 'control not called on a bad filter');
});

t.test('services: inspect with insertDefaults, create, conflict', async (t) => {
  const h = await start(t);
  const i = await call(h, 'GET', '/v1.41/services/web?insertDefaults=true');
  t.equal(i.status, 200);
  t.equal(i.json().ID, WEB_ID);
  t.same(h.control.callsOf('getService').at(-1)!.args, ['web', true]);
  await call(h, 'GET', '/services/websvc?insertDefaults=false');
  t.same(h.control.callsOf('getService').at(-1)!.args, ['websvc', false]);

  const spec = { Name: 'toms', TaskTemplate: { ContainerSpec: { Image: 'whoami:1' } }, Mode: { Replicated: { Replicas: 3 } }, Labels: {} };
  const c = await call(h, 'POST', '/v1.41/services/create', spec, { 'X-Registry-Auth': 'c2VjcmV0' });
  t.equal(c.status, 201);
  t.equal(c.headers['content-type'], 'application/json');
  t.match(c.json(), { ID: /^newsvc/, Warnings: null });
  t.same(h.control.callsOf('createService')[0]!.args, [spec]);
  const dup = await call(h, 'POST', '/services/create', spec);
  t.equal(dup.status, 409);
  t.equal(dup.json().message, 'rpc error: code = AlreadyExists desc = name conflicts with an existing object: service toms already exists');
});

t.test('services: update (version, rollback, registryAuthFrom) and delete', async (t) => {
  const h = await start(t);
  const spec = { Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'whoami:2' } }, Mode: { Replicated: { Replicas: 5 } } };
  const u = await call(h, 'POST', '/v1.41/services/web/update?version=10&registryAuthFrom=spec', spec);
  t.equal(u.status, 200);
  t.equal(u.headers['content-type'], 'application/json');
  t.equal(u.text, '{"Warnings":[]}'); // the v1.41 spec: an array
  t.same(h.control.callsOf('updateService')[0]!.args, ['web', 10, spec, { rollback: false }]);
  const stale = await call(h, 'POST', '/services/web/update?version=10', spec);
  t.equal(stale.status, 500);
  t.equal(stale.text, '{"message":"rpc error: code = Unknown desc = update out of sequence"}');
  const rb = await call(h, 'POST', '/services/web/update?version=11&rollback=previous&registryAuthFrom=previous-spec', spec);
  t.equal(rb.status, 200);
  t.same(h.control.callsOf('updateService').at(-1)!.args.slice(0, 2), ['web', 11]);
  t.same(h.control.callsOf('updateService').at(-1)!.args[3], { rollback: true });
  t.equal(h.control.services.find((s) => s.ID === WEB_ID)!.Spec.TaskTemplate.ContainerSpec.Image, 'whoami:1');
  const noPrev = await call(h, 'POST', `/services/${API_ID}/update?version=10&rollback=previous`, {});
  t.equal(noPrev.status, 400);
  t.match(noPrev.json().message, /does not have a previous spec/);

  const n = h.control.callsOf('updateService').length;
  const cases: Array<[string, string]> = [
    ['', "invalid service version '': "],
    ['?version=', "invalid service version '': "],
    ['?version=abc', "invalid service version 'abc': "],
    ['?version=-3', "invalid service version '-3': "],
    ['?version=12&rollback=bogus', 'unrecognized rollback option bogus'],
    ['?version=12&registryAuthFrom=x', 'unsupported registryAuthFrom value'],
  ];
  for (const [query, message] of cases) {
    const r = await call(h, 'POST', `/services/web/update${query}`, spec);
    t.equal(r.status, 400, query);
    t.equal(r.headers['content-type'], 'application/json');
    t.ok(r.json().message.startsWith(message), `${query}: ${r.json().message}`);
  }
  for (const [i, rollback] of ['', 'none'].entries()) {
    const r = await call(h, 'POST', `/services/web/update?version=${12 + i}&rollback=${rollback}`, spec);
    t.equal(r.status, 200, `rollback=${rollback}`);
  }
  t.equal(h.control.callsOf('updateService').length, n + 2, 'control saw only the valid updates');

  const d = await call(h, 'DELETE', '/v1.41/services/api');
  t.equal(d.status, 200);
  t.equal(d.text, '');
  t.same(h.control.callsOf('removeService')[0]!.args, ['api']);
  const again = await call(h, 'DELETE', '/services/api');
  t.equal(again.status, 404);
  t.equal(again.text, '{"message":"service api not found"}');
});

t.test('request bodies: malformed JSON, non-objects, too large', async (t) => {
  const h = await start(t);
  const bad = await call(h, 'POST', '/services/create', '{"Name": ');
  t.equal(bad.status, 400);
  t.equal(bad.headers['content-type'], 'application/json');
  t.match(bad.json().message, /^invalid JSON body: /);
  const arr = await call(h, 'POST', '/services/create', '[1,2]');
  t.equal(arr.status, 400);
  t.equal(arr.json().message, 'ServiceSpec must be a JSON object, got an array');
  const empty = await call(h, 'POST', '/v1.41/services/web/update?version=10', '');
  t.equal(empty.status, 400);
  t.equal(empty.json().message, 'ServiceSpec must be a JSON object, got an empty body');
  const nodeBad = await call(h, 'POST', '/nodes/wrk1/update?version=5', 'null');
  t.equal(nodeBad.status, 400);
  t.equal(nodeBad.json().message, 'NodeSpec must be a JSON object, got null');
  t.same(h.control.callsOf('createService'), [], 'the control saw no create');
  t.same(h.control.callsOf('updateService'), []);
  t.same(h.control.callsOf('updateNode'), []);

  const big = Buffer.alloc(1024 * 1024 + 100, 0x20);
  const tooLarge = await call(h, 'POST', '/services/create', big);
  t.equal(tooLarge.status, 413);
  t.equal(tooLarge.headers['content-type'], 'application/json');
  t.equal(tooLarge.text, '{"message":"request body too large (limit 1048576 bytes)"}');
  t.same(h.control.callsOf('createService'), []);
  // Without Content-Length (chunked): the cap applies while reading.
  async function* chunks() { for (let i = 0; i < 40; i++) yield Buffer.alloc(32 * 1024, 0x20); }
  const res = await request(`${h.base}/services/create`, { method: 'POST', body: Readable.from(chunks()), dispatcher: agent });
  t.equal(res.statusCode, 413);
  t.equal(await res.body.text(), '{"message":"request body too large (limit 1048576 bytes)"}');
  const ok = await call(h, 'GET', '/_ping');
  t.equal(ok.status, 200, 'server still serves after an oversized body');
});

t.test('a smaller body cap is honoured', async (t) => {
  const h = await start(t, new FakeControl(), 64);
  const r = await call(h, 'POST', '/swarmlet/v1/images', { Name: 'x'.repeat(100), Cmd: ['a'] });
  t.equal(r.status, 413);
  t.equal(r.json().message, 'request body too large (limit 64 bytes)');
});

t.test('tasks: list with filters, inspect by prefix', async (t) => {
  const h = await start(t);
  const f = { '_up-to-date': { true: true }, service: { web: true } };
  const r = await call(h, 'GET', `/v1.41/tasks?filters=${q(f)}`);
  t.equal(r.status, 200);
  t.equal(r.json().length, 3);
  t.same(h.control.callsOf('listTasks').at(-1)!.args, [{ '_up-to-date': ['true'], service: ['web'] }]);
  const legacy = await call(h, 'GET', `/tasks?filters=${q({ node: [WRK_ID] })}`);
  t.same(legacy.json().map((x: { ID: string }) => x.ID), [WEB_TASK_IDS[1]]);
  const one = await call(h, 'GET', `/tasks/${WEB_TASK_IDS[2]!.slice(0, -1)}3`);
  t.equal(one.json().ID, WEB_TASK_IDS[2]);
  const nf = await call(h, 'GET', '/v1.41/tasks/zzz');
  t.equal(nf.status, 404);
  t.equal(nf.text, '{"message":"task zzz not found"}');
});

t.test('nodes: list, inspect, update, remove', async (t) => {
  const h = await start(t);
  const l = await call(h, 'GET', `/v1.41/nodes?filters=${q({ role: { manager: true } })}`);
  t.same(l.json().map((n: { ID: string }) => n.ID), [MGR_ID]);
  t.same(h.control.callsOf('listNodes').at(-1)!.args, [{ role: ['manager'] }]);
  const i = await call(h, 'GET', '/nodes/wrk1');
  t.equal(i.json().ID, WRK_ID);
  const nf = await call(h, 'GET', '/nodes/nosuch');
  t.equal(nf.status, 404);
  t.equal(nf.text, '{"message":"node nosuch not found"}');
  const spec = { Labels: {}, Role: 'worker', Availability: 'drain' };
  const u = await call(h, 'POST', `/v1.41/nodes/${WRK_ID}/update?version=5`, spec);
  t.equal(u.status, 200);
  t.equal(u.text, '');
  t.same(h.control.callsOf('updateNode')[0]!.args, [WRK_ID, 5, spec]);
  t.equal(h.control.nodes[1]!.Spec.Availability, 'drain');
  const stale = await call(h, 'POST', `/nodes/${WRK_ID}/update?version=5`, spec);
  t.equal(stale.status, 500);
  const nov = await call(h, 'POST', `/nodes/${WRK_ID}/update`, spec);
  t.equal(nov.status, 400);
  t.match(nov.json().message, /^invalid node version '': /);
  const role = await call(h, 'POST', `/nodes/${WRK_ID}/update?version=6`, { ...spec, Role: 'boss' });
  t.equal(role.status, 400);
  const rm = await call(h, 'DELETE', '/nodes/wrk1');
  t.equal(rm.status, 501);
  t.equal(rm.headers['content-type'], 'application/json');
});

t.test('DELETE /nodes uses removeNode when the control has it', async (t) => {
  const control = new FakeControl() as FakeControl & { removeNode(ref: string, force: boolean): void };
  const removed: Array<[string, boolean]> = [];
  control.removeNode = (ref, force) => { removed.push([ref, force]); };
  const h = await start(t, control);
  const r = await call(h, 'DELETE', '/v1.41/nodes/wrk1?force=1');
  t.equal(r.status, 200);
  t.same(removed, [['wrk1', true]]);
});

t.test('distribution: silent no-op for a known image, Docker\'s 404 for an unknown one', async (t) => {
  const h = await start(t);
  h.control.images.push({ Name: 'ghcr.io/org/sub/img:1.2', Cmd: ['node'], CreatedAt: new Date(0).toISOString() });
  for (const name of ['whoami:1', 'whoami:latest', 'docker.io/library/whoami:7', 'ghcr.io/org/sub/img:1.2']) {
    const r = await call(h, 'GET', `/v1.41/distribution/${name}/json`);
    t.equal(r.status, 200, name);
    t.equal(r.headers['content-type'], 'application/json');
    t.equal(r.text, '{"Descriptor":{"mediaType":"","digest":"","size":0},"Platforms":[]}');
  }
  for (const [name, ref] of [['nginx:latest', 'nginx:latest'], ['docker.io/library/nginx', 'nginx:latest'], ['ghcr.io/org/sub/img:9', 'ghcr.io/org/sub/img:9'], ['localhost:5000/a/b@sha256:abc', 'localhost:5000/a/b@sha256:abc']] as const) {
    const r = await call(h, 'GET', `/v1.41/distribution/${name}/json`);
    t.equal(r.status, 404, name);
    t.same(JSON.parse(r.text), { message: `manifest for ${ref} not found: manifest unknown: manifest unknown` }, name);
  }
});

t.test('images: list, add, validate, remove (names with : and /)', async (t) => {
  const h = await start(t);
  const l = await call(h, 'GET', '/swarmlet/v1/images');
  t.same(l.json().map((i: { Name: string }) => i.Name), ['whoami:1']);
  const a = await call(h, 'POST', '/swarmlet/v1/images', { Name: 'ghcr.io/org/app:2', Cmd: ['node', 'app.js'], Cwd: '/srv', Env: ['A=1'] });
  t.equal(a.status, 201);
  t.equal(a.headers['content-type'], 'application/json');
  t.match(a.json(), { Name: 'ghcr.io/org/app:2', Cmd: ['node', 'app.js'], Cwd: '/srv', Env: ['A=1'] });
  const bad = await call(h, 'POST', '/swarmlet/v1/images', { Name: 'x', Cmd: 'node app.js' });
  t.equal(bad.status, 400);
  t.equal(bad.json().message, 'Image.Cmd must be an array of strings');
  const empty = await call(h, 'POST', '/swarmlet/v1/images', { Name: 'x', Cmd: [''] });
  t.equal(empty.json().message, 'Image.Cmd or Image.Entrypoint must name the program to run');
  const d = await call(h, 'DELETE', '/v1.41/swarmlet/v1/images/ghcr.io%2Forg%2Fapp%3A2');
  t.equal(d.status, 200);
  t.same(h.control.callsOf('removeImage')[0]!.args, ['ghcr.io/org/app:2']);
  await call(h, 'POST', '/swarmlet/v1/images', { Name: 'my/img:1', Cmd: ['x'] });
  const d2 = await call(h, 'DELETE', '/swarmlet/v1/images/my/img:1');
  t.equal(d2.status, 200);
  const nf = await call(h, 'DELETE', '/swarmlet/v1/images/nosuch:1');
  t.equal(nf.status, 404);
  t.equal(nf.text, '{"message":"image nosuch:1 not found"}');
});

// ---------------------------------------------------------------------------------- logs

function decodeFrames(buf: Buffer): Array<{ stream: number; payload: string }> {
  const out: Array<{ stream: number; payload: string }> = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const size = buf.readUInt32BE(off + 4);
    if (off + 8 + size > buf.length) break;
    if (buf[off + 1] !== 0 || buf[off + 2] !== 0 || buf[off + 3] !== 0) throw new Error('bad frame header padding');
    out.push({ stream: buf[off]!, payload: buf.subarray(off + 8, off + 8 + size).toString('utf8') });
    off += 8 + size;
  }
  return out;
}

const TS = Date.UTC(2026, 0, 1, 12, 0, 0);
function seedLogs(c: FakeControl): void {
  const e = (taskIdx: number, sec: number, text: string, stream: 'stdout' | 'stderr' = 'stdout'): LogEntry =>
    ({ stream, time: TS + sec * 1000 + 5, text, taskId: WEB_TASK_IDS[taskIdx]!, serviceId: WEB_ID, nodeId: taskIdx % 2 ? WRK_ID : MGR_ID });
  c.logs.push(e(0, 0, 'hello from web.1'), e(1, 1, 'hello from web.2'), e(0, 2, 'oops & fail', 'stderr'),
    e(2, 3, 'hello from web.3'), e(0, 4, 'bye from web.1'));
}

async function logs(h: Harness, path: string) {
  const res = await request(h.base + path, { dispatcher: agent });
  const buf = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, buf };
}

t.test('service logs: framing, details, timestamps, order, streams', async (t) => {
  const c = new FakeControl();
  seedLogs(c);
  const h = await start(t, c);
  const r = await logs(h, '/v1.41/services/web/logs?details=1&stderr=1&stdout=1&tail=all&timestamps=1');
  t.equal(r.status, 200);
  t.equal(r.headers['content-type'], 'application/vnd.docker.raw-stream', 'API 1.41 → raw-stream header');
  const frames = decodeFrames(r.buf);
  t.equal(frames.length, 5);
  t.same(frames.map((f) => f.stream), [1, 1, 2, 1, 1]);
  const d = (i: number) => `com.docker.swarm.node.id=${i % 2 ? WRK_ID : MGR_ID},com.docker.swarm.service.id=${WEB_ID},com.docker.swarm.task.id=${WEB_TASK_IDS[i]}`;
  t.equal(frames[0]!.payload, `2026-01-01T12:00:00.005000000Z ${d(0)} hello from web.1\n`);
  t.equal(frames[2]!.payload, `2026-01-01T12:00:02.005000000Z ${d(0)} oops & fail\n`);
  t.equal(frames[4]!.payload, `2026-01-01T12:00:04.005000000Z ${d(0)} bye from web.1\n`);
  t.same(frames.map((f) => f.payload.split(' ').at(-1)), ['web.1\n', 'web.2\n', 'fail\n', 'web.3\n', 'web.1\n'], 'order kept');
  t.same(c.callsOf('serviceLogs')[0]!.args, [WEB_ID, { follow: false, signal: 'signal' }]);

  const plain = await logs(h, '/services/web/logs?stdout=1');
  t.equal(plain.headers['content-type'], 'application/vnd.docker.multiplexed-stream', 'no prefix → latest → multiplexed');
  t.same(decodeFrames(plain.buf).map((f) => f.payload), ['hello from web.1\n', 'hello from web.2\n', 'hello from web.3\n', 'bye from web.1\n']);
  const errOnly = await logs(h, '/v1.42/services/web/logs?stderr=1&details=1');
  t.equal(errOnly.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
  t.same(decodeFrames(errOnly.buf), [{ stream: 2, payload: `${d(0)} oops & fail\n` }]);

  const tail = await logs(h, `/services/${WEB_ID}/logs?stdout=1&stderr=1&tail=1&since=${(TS + 500) / 1000}`);
  t.same(c.callsOf('serviceLogs').at(-1)!.args[1], { follow: false, tail: 1, since: TS + 500, signal: 'signal' });
  t.same(decodeFrames(tail.buf).map((f) => f.payload), ['hello from web.2\n', 'hello from web.3\n', 'bye from web.1\n']);
  await logs(h, '/services/web/logs?stdout=1&since=1767268800.250000000');
  t.equal((c.callsOf('serviceLogs').at(-1)!.args[1] as LogQuery).since, 1767268800250);
});

t.test('service logs: errors before the stream are JSON', async (t) => {
  const h = await start(t);
  const cases: Array<[string, number, string]> = [
    ['/services/web/logs?details=1', 400, 'Bad parameters: you must choose at least one stream'],
    ['/services/web/logs?stdout=1&tail=x', 400, 'tail value must be a positive integer or "all"'],
    ['/services/web/logs?stdout=1&tail=-1', 400, 'negative tail values not supported'],
    ['/services/nosuch/logs?stdout=1', 404, 'service nosuch not found'],
    ['/tasks/nosuch/logs?stdout=1', 404, 'task nosuch not found'],
  ];
  for (const [path, status, message] of cases) {
    const r = await call(h, 'GET', path);
    t.equal(r.status, status, path);
    t.equal(r.headers['content-type'], 'application/json');
    t.equal(r.json().message, message);
  }
  const since = await call(h, 'GET', '/services/web/logs?stdout=1&since=10m');
  t.equal(since.status, 400);
  t.match(since.json().message, /^could not parse since timestamp/);
  t.same(h.control.callsOf('serviceLogs'), []);
});

t.test('task logs', async (t) => {
  const c = new FakeControl();
  seedLogs(c);
  const h = await start(t, c);
  const r = await logs(h, `/v1.41/tasks/${WEB_TASK_IDS[0]}/logs?stdout=1&stderr=1&details=1`);
  t.equal(r.status, 200);
  const frames = decodeFrames(r.buf);
  t.same(frames.map((f) => f.stream), [1, 2, 1]);
  t.ok(frames.every((f) => f.payload.includes(`com.docker.swarm.task.id=${WEB_TASK_IDS[0]} `)));
  t.same(c.callsOf('taskLogs')[0]!.args[0], WEB_TASK_IDS[0]);
});

t.test('logs: an error after the headers goes in-band on stream 3', async (t) => {
  const c = new FakeControl();
  c.serviceLogs = async function* () {
    yield { stream: 'stdout', time: TS, text: 'one', taskId: 't', serviceId: 's', nodeId: 'n' } satisfies LogEntry;
    throw new Error('node went away');
  };
  const h = await start(t, c);
  const r = await logs(h, '/services/web/logs?stdout=1');
  t.equal(r.status, 200);
  t.same(decodeFrames(r.buf), [{ stream: 1, payload: 'one\n' }, { stream: 3, payload: 'Error grabbing logs: node went away\n' }]);
});

/** Reads frames from a streaming body until `count` have arrived. */
async function readFrames(it: AsyncIterator<Buffer>, state: { buf: Buffer }, count: number) {
  for (;;) {
    const frames = decodeFrames(state.buf);
    if (frames.length >= count) return frames;
    const n = await it.next();
    if (n.done) return frames;
    state.buf = Buffer.concat([state.buf, n.value]);
  }
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

t.test('logs follow: headers at once, live lines, abort on client disconnect', async (t) => {
  const c = new FakeControl();
  const h = await start(t, c);
  const ac = new AbortController();
  const res = await request(`${h.base}/v1.41/services/web/logs?stdout=1&stderr=1&follow=1&details=1`, { dispatcher: agent, signal: ac.signal });
  t.equal(res.statusCode, 200, 'headers arrive before any line');
  t.same(c.callsOf('serviceLogs')[0]!.args[1], { follow: true, signal: 'signal' });
  const it = res.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const state = { buf: Buffer.alloc(0) };
  c.pushLog({ stream: 'stderr', time: TS, text: 'live 1', taskId: WEB_TASK_IDS[0]!, serviceId: WEB_ID, nodeId: MGR_ID });
  c.pushLog({ stream: 'stdout', time: TS + 1, text: 'other service', taskId: 'x', serviceId: API_ID, nodeId: MGR_ID });
  c.pushLog({ stream: 'stdout', time: TS + 2, text: 'live 2', taskId: WEB_TASK_IDS[1]!, serviceId: WEB_ID, nodeId: WRK_ID });
  const frames = await readFrames(it, state, 2);
  t.same(frames.map((f) => [f.stream, f.payload.split(' ').slice(1).join(' ')]), [[2, 'live 1\n'], [1, 'live 2\n']]);
  t.equal(c.followAborts, 0);
  ac.abort();
  await it.return?.().catch(() => {});
  await until(() => c.followAborts === 1);
  t.equal(c.followAborts, 1, "the control's iterator saw the abort");
});

t.test('close() ends open follow streams', async (t) => {
  const c = new FakeControl();
  const h = await start(t, c);
  const res = await request(`${h.base}/services/web/logs?stdout=1&follow=1`, { dispatcher: agent });
  t.equal(res.statusCode, 200);
  const done = res.body.text();
  await h.api.close();
  t.equal(await done, '', 'the stream ended cleanly');
  await until(() => c.followAborts === 1);
  t.pass('closed');
});

t.test('request logging: debug lines without bodies or credentials', async (t) => {
  const h = await start(t);
  const secret = 'c2VjcmV0LXRva2Vu';
  await call(h, 'POST', '/services/create?x=1', { Name: 'bodysecret', TaskTemplate: { ContainerSpec: { Image: 'a' } }, Mode: {} },
    { Authorization: `Bearer ${secret}`, 'X-Registry-Auth': secret });
  await until(() => h.logged.some((l) => l.level === 'debug'));
  const dbg = h.logged.find((l) => l.level === 'debug')!;
  t.match(dbg.obj, { method: 'POST', path: '/services/create', status: 201 });
  const all = JSON.stringify(h.logged);
  t.notOk(all.includes(secret), 'no credentials logged');
  t.notOk(all.includes('bodysecret'), 'no body logged');
});
