import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import type { LogLine, RunningTask, StartRequest, TaskDriver } from '../../lib/agent/task-driver.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import type { ContainerSpec, Image, Task } from '../../lib/model/types.js';
import { builtinImage } from '../../lib/drivers/builtin-images.js';
import { createProcessDriver } from '../../lib/drivers/process-driver.js';

const dataDir = mkdtempSync(join(tmpdir(), 'swarmlet-process-driver-'));
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
const http = new Agent({ keepAliveTimeout: 30_000 });
t.teardown(() => http.close());
const CREATED = '2026-01-01T00:00:00.000Z';
const NODE2 = { id: 'node2id', hostname: 'node-2', addr: '127.0.0.2' };
let seq = 0;

function whoami(tag: string): Image {
  const img = builtinImage(`whoami:${tag}`, CREATED);
  if (!img) throw new Error('no whoami image');
  return img;
}

/** A small inline image: `node -e <script>`. */
function inline(name: string, script: string, extra: Partial<Image> = {}): Image {
  return { Name: name, Cmd: [process.execPath, '-e', script], CreatedAt: CREATED, ...extra };
}

function req(image: Image | undefined, spec: Partial<ContainerSpec> = {}, env: string[] = [], service = 'web'): StartRequest {
  seq += 1;
  const id = `task${String(seq).padStart(21, '0')}`;
  const task: Task = {
    ID: id, Version: { Index: 1 }, CreatedAt: CREATED, UpdatedAt: CREATED,
    Spec: { ContainerSpec: { Image: image?.Name ?? 'missing:1', ...spec } },
    ServiceID: 'svc1', Slot: seq, NodeID: NODE2.id, DesiredState: 'running',
    Status: { Timestamp: CREATED, State: 'assigned' },
  };
  return { task, serviceName: service, taskName: `${service}.${seq}`, node: NODE2, image, env };
}

function newDriver(extra: { clock?: Clock; maxLogBytes?: number; dir?: string } = {}): TaskDriver {
  const d = createProcessDriver({ dataDir: extra.dir ?? dataDir, clock: extra.clock ?? systemClock(), maxLogBytes: extra.maxLogBytes });
  t.teardown(() => d.close());
  return d;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function get(rt: RunningTask, path: string, headers: Record<string, string> = {}) {
  const res = await request(`http://${rt.endpoint!.addr}:${rt.endpoint!.port}${path}`, { dispatcher: http, headers });
  return { status: res.statusCode, body: await res.body.text() };
}

async function ready(rt: RunningTask): Promise<void> {
  await waitFor('whoami /health', () => get(rt, '/health').then((r) => r.status === 200, () => false));
}

async function lines(d: TaskDriver, id: string, q = {}): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of d.logs(id, q)) out.push(l);
  return out;
}

async function waitForLine(d: TaskDriver, id: string, re: RegExp): Promise<LogLine> {
  return waitFor(`log line ${re}`, async () => (await lines(d, id)).find((l) => re.test(l.text)));
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); } catch { return false; }
  try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
}

t.test('whoami answers with its identity and stops cleanly within the grace period', async (t) => {
  const d = newDriver();
  const r = req(whoami('1'), {}, [], 'toms');
  const rt = await d.start(r);
  t.equal(rt.endpoint?.addr, '127.0.0.2');
  t.ok(rt.endpoint!.port >= 20000 && rt.endpoint!.port <= 29999, 'port in the task range');
  t.type(rt.pid, 'number');
  await ready(rt);
  const json = await get(rt, '/hello?x=1', { accept: 'application/json', 'x-forwarded-for': '10.1.2.3' });
  const who = JSON.parse(json.body);
  t.match(who, {
    task: r.taskName, taskId: r.task.ID, node: 'node-2', service: 'toms', image: 'whoami:1', tag: '1',
    slot: String(r.task.Slot), request: { method: 'GET', url: '/hello?x=1', headers: { 'x-forwarded-for': '10.1.2.3' } },
  });
  const text = await get(rt, '/');
  t.match(text.body, new RegExp(`^Task: ${r.taskName.replace('.', '\\.')}\nTaskID: ${r.task.ID}\nNode: node-2\nService: toms\nImage: whoami:1\n`));
  await waitForLine(d, r.task.ID, /^GET \/ 200$/);
  const started = Date.now();
  await rt.stop(5000);
  t.ok(Date.now() - started < 3000, 'stopped well within the grace period despite a keep-alive connection');
  t.same(await rt.exited, { exitCode: 0, signal: undefined, stopped: true });
  t.ok(!alive(rt.pid!), 'process gone');
  const log = (await lines(d, r.task.ID)).map((l) => l.text);
  t.ok(log.includes(`whoami listening on http://127.0.0.2:${rt.endpoint!.port} as ${r.taskName}`), 'start line logged');
});

t.test('command, args, dir and the environment', async (t) => {
  const d = newDriver();
  process.env.SWARMLET_PARENT_SECRET = 'must-not-leak';
  t.teardown(() => { delete process.env.SWARMLET_PARENT_SECRET; });
  const script = 'console.log(JSON.stringify({ argv: process.argv.slice(1), cwd: process.cwd(), env: process.env }))';
  const img = inline('printer:2', 'process.exit(9)', { Env: ['A=img', 'B=img', 'GONE=x'] });
  const r = req(img, { Command: [process.execPath, '-e', script], Args: ['a1', 'a2'], Dir: tmpdir() }, ['B=req', 'C=req=with=equals', 'GONE']);
  const rt = await d.start(r);
  t.match(await rt.exited, { exitCode: 0, stopped: false });
  const [out] = await lines(d, r.task.ID);
  const got = JSON.parse(out!.text);
  t.same(got.argv, ['a1', 'a2'], 'Command replaces the image Cmd, Args appended');
  t.equal(got.cwd, tmpdir());
  // tap's processinfo patches child_process.spawn and adds its own variables; they are not the driver's.
  const env = Object.fromEntries(Object.entries(got.env as Record<string, string>)
    .filter(([k, v]) => !k.startsWith('_TAPJS_PROCESSINFO_') && !(k === 'NODE_OPTIONS' && v.includes('@tapjs/processinfo'))));
  t.same(env, {
    PATH: process.env.PATH, HOME: process.env.HOME, A: 'img', B: 'req', C: 'req=with=equals',
    PORT: String(rt.endpoint!.port), HOST: '127.0.0.2', SWARMLET_TASK_ID: r.task.ID, SWARMLET_TASK_NAME: r.taskName,
    SWARMLET_SERVICE: 'web', SWARMLET_SERVICE_ID: 'svc1', SWARMLET_NODE: 'node-2', SWARMLET_NODE_ID: 'node2id',
    SWARMLET_SLOT: String(r.task.Slot), SWARMLET_IMAGE: 'printer:2',
  }, 'exactly PATH, HOME, image env, request env and the task variables');
});

t.test('several target ports: PORT is the first, PORT_<target> each, every one its own host port (host mode: the published one)', async (t) => {
  const d = newDriver();
  const script = 'console.log(JSON.stringify(Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("PORT")))))';
  const r = { ...req(inline('ports:1', 'process.exit(9)'), { Command: [process.execPath, '-e', script] }), targetPort: 8080, extraPorts: [{ target: 6379 }, { target: 53 }, { target: 9999, hostPort: 29876 }] };
  const rt = await d.start(r);
  t.match(await rt.exited, { exitCode: 0 });
  const env = JSON.parse((await lines(d, r.task.ID))[0]!.text) as Record<string, string>;
  const ep = rt.endpoint!;
  t.same(env, { PORT: String(ep.port), PORT_8080: String(ep.port), PORT_6379: String(ep.ports!['6379']), PORT_53: String(ep.ports!['53']), PORT_9999: '29876' });
  t.same(Object.keys(ep.ports!).sort(), ['53', '6379', '8080', '9999']);
  t.equal(new Set(Object.values(ep.ports!)).size, 4, 'four distinct host ports');
  t.equal(ep.ports!['8080'], ep.port);
  const one = { ...req(inline('ports:1', 'process.exit(9)'), { Command: [process.execPath, '-e', script] }), targetPort: 8080 };
  const rt1 = await d.start(one);
  await rt1.exited;
  t.same(JSON.parse((await lines(d, one.task.ID))[0]!.text), { PORT: String(rt1.endpoint!.port), PORT_8080: String(rt1.endpoint!.port) }, 'one port: PORT and PORT_<target>');
  t.equal(rt1.endpoint!.ports, undefined, 'no ports map for a single port');
});

t.test('a process ignoring SIGTERM is SIGKILLed with its process group after the grace period', async (t) => {
  const d = newDriver();
  const script = `
    const { spawn } = require('node:child_process');
    const kid = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
    console.log('ready ' + kid.pid);
    setInterval(() => {}, 1000);`;
  const r = req(inline('stubborn:1', script));
  const rt = await d.start(r);
  const kid = Number((await waitForLine(d, r.task.ID, /^ready \d+$/)).text.split(' ')[1]);
  t.ok(alive(kid), 'grandchild running');
  const started = Date.now();
  await rt.stop(300);
  const took = Date.now() - started;
  t.ok(took >= 290 && took < 3000, `killed after the grace (${took} ms)`);
  t.same(await rt.exited, { exitCode: undefined, signal: 'SIGKILL', stopped: true });
  await waitForLine(d, r.task.ID, /^ignoring SIGTERM$/);
  await waitFor('grandchild gone', () => !alive(kid));
  t.pass('grandchild in the process group is gone too');
});

t.test('exit codes, a broken image and spawn failures', async (t) => {
  const d = newDriver();
  const r = req(whoami('latest'));
  const rt = await d.start(r);
  await ready(rt);
  t.equal((await get(rt, '/exit?code=3')).body, 'exiting with code 3\n');
  t.same(await rt.exited, { exitCode: 3, signal: undefined, stopped: false });
  await rt.stop(1000);
  t.pass('stop after exit resolves at once');

  const b = req(whoami('broken'));
  const brt = await d.start(b);
  t.same(await brt.exited, { exitCode: 1, signal: undefined, stopped: false });
  const err = (await lines(d, b.task.ID)).filter((l) => l.stream === 'stderr');
  t.match(err, [{ text: /broken/ }], 'stderr line kept');

  const missing = req(inline('nothing:1', '', { Cmd: ['/nonexistent/swarmlet-program'] }));
  const mrt = await d.start(missing);
  t.match(await mrt.exited, { exitCode: undefined, stopped: false, error: /^starting container failed: .*nonexistent/ });
  const baddir = req(whoami('1'), { Dir: '/nonexistent/dir' });
  t.match(await (await d.start(baddir)).exited, { error: /working directory \/nonexistent\/dir does not exist/ });

  const slow = req(whoami('slow'));
  const slowRt = await d.start(slow);
  await waitForLine(d, slow.task.ID, /starting slowly/);
  await slowRt.stop(2000);
  t.same(await slowRt.exited, { exitCode: 0, signal: undefined, stopped: true }, 'slow whoami exits 0 on SIGTERM before listening');

  await t.rejects(d.start(req(undefined)), { code: 'failed_precondition', message: 'image missing:1 not found' });
  await t.rejects(d.start(req(whoami('1'), { Mounts: [{ Type: 'tmpfs', Target: '/t' }] })),
    { code: 'failed_precondition', message: 'mounts (TaskTemplate.ContainerSpec.Mounts) are not supported by the process driver' }, 'never run without its mounts');
  await t.rejects(d.start(req(whoami('1'), { StopSignal: 'SIGNOPE' })), { code: 'invalid_argument', message: /Invalid signal: SIGNOPE/ });
});

t.test('logs: tail, since and follow (follow ends when the task exits)', async (t) => {
  const sys = systemClock();
  let now = 1_000_000;
  const clock: Clock = { now: () => now, setTimeout: (fn, ms) => sys.setTimeout(fn, ms) };
  const d = newDriver({ clock });
  const r = req(whoami('1'));
  const id = r.task.ID;
  const rt = await d.start(r);
  await ready(rt);
  await get(rt, '/a1');
  await get(rt, '/a2');
  await waitForLine(d, id, /^GET \/a2 200$/);
  now = 2_000_000;
  await get(rt, '/b1');
  await get(rt, '/b2');
  await waitForLine(d, id, /^GET \/b2 200$/);
  t.same((await lines(d, id, { since: 2_000_000 })).map((l) => l.text), ['GET /b1 200', 'GET /b2 200']);
  t.same((await lines(d, id, { tail: 2 })).map((l) => l.text), ['GET /b1 200', 'GET /b2 200']);
  t.same((await lines(d, id, { tail: 1, since: 1_000_000 })).map((l) => [l.text, l.time, l.stream]), [['GET /b2 200', 2_000_000, 'stdout']]);

  const followed = lines(d, id, { follow: true, tail: 1 });
  const aborted = new AbortController();
  const cut = lines(d, id, { follow: true, tail: 0, signal: aborted.signal });
  await get(rt, '/c');
  await get(rt, '/exit?code=0');
  t.same(await rt.exited, { exitCode: 0, signal: undefined, stopped: false });
  const texts = (await followed).map((l) => l.text);
  t.same(texts, ['GET /b2 200', 'GET /c 200', 'GET /exit?code=0 200'], 'follow yields the tail then new lines and ends at exit');
  aborted.abort();
  t.ok((await cut).length <= 2, 'aborted follower ends');
  t.same(await lines(d, id, { follow: true, tail: 1 }), (await lines(d, id)).slice(-1), 'follow on an exited task ends after the stored lines');
  t.same(await lines(d, 'never-ran', { follow: true }), [], 'unknown task yields nothing');
});

t.test('log rotation bounds the disk use; logs survive a new driver on the same dataDir', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-rotation-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const max = 4096;
  const d = newDriver({ dir, maxLogBytes: max });
  const r = req(inline('chatty:1', 'for (let i = 0; i < 3000; i++) console.log("line " + i); process.stdout.write("tail-no-newline")'));
  const rt = await d.start(r);
  t.match(await rt.exited, { exitCode: 0 });
  const files = readdirSync(join(dir, 'logs')).sort();
  t.same(files, [`${r.task.ID}.log`, `${r.task.ID}.log.1`]);
  for (const f of files) t.ok(statSync(join(dir, 'logs', f)).size <= max, `${f} within ${max} bytes`);
  const texts = (await lines(d, r.task.ID)).map((l) => l.text);
  t.equal(texts.at(-1), 'tail-no-newline', 'partial last line flushed at exit');
  const nums = texts.slice(0, -1).map((s) => Number(s.slice(5)));
  t.equal(nums.at(-1), 2999);
  t.same(nums, nums.map((_, i) => nums[0]! + i), 'consecutive lines across the rotated and current file');

  await d.close();
  const again = newDriver({ dir, maxLogBytes: max });
  t.same((await lines(again, r.task.ID, { tail: 2 })).map((l) => l.text), ['line 2999', 'tail-no-newline'], 'a new driver reads old logs');
  await again.forget(r.task.ID);
  t.same(readdirSync(join(dir, 'logs')), [], 'forget deletes the files');
  t.same(await lines(again, r.task.ID), []);
});

t.test('close() stops every task and leaves no child processes', async (t) => {
  const d = newDriver();
  const a = await d.start(req(whoami('1')));
  const stubborn = inline('stubborn:2', 'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)');
  const sr = req(stubborn, { StopGracePeriod: 300e6 });
  const b = await d.start(sr);
  await ready(a);
  await waitForLine(d, sr.task.ID, /^ready$/);
  const started = Date.now();
  await d.close();
  t.ok(Date.now() - started < 3000, 'closed in parallel within the graces');
  t.match(await a.exited, { exitCode: 0, stopped: true });
  t.match(await b.exited, { signal: 'SIGKILL', stopped: true });
  t.notOk(alive(a.pid!), 'whoami gone');
  t.notOk(alive(b.pid!), 'stubborn gone');
  await t.rejects(d.start(req(whoami('1'))), { code: 'unavailable' });
});
