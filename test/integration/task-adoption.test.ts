import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import type { LogLine, TaskDriver } from '../../lib/agent/task-driver.js';
import { systemClock } from '../../lib/clock.js';
import { createProcessDriver } from '../../lib/drivers/process-driver.js';
import { ADOPTED_EXIT_ERROR } from '../../lib/drivers/process-task.js';
import { adoptionRequest } from '../fixtures/driver-child.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const http = new Agent({ keepAliveTimeout: 30_000 });
t.teardown(() => http.close());

/** Every task pid a test saw: whatever a failing test leaves behind is killed at the end. */
const seen = new Set<number>();
t.teardown(() => {
  for (const pid of seen) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
});

function tmp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => {
    killRecorded(dir); // a failed run leaves no process behind
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); } catch { return false; }
  try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function get(ep: { addr: string; port: number }, path: string): Promise<{ status: number; body: string }> {
  const res = await request(`http://${ep.addr}:${ep.port}${path}`, { dispatcher: http });
  return { status: res.statusCode, body: await res.body.text() };
}

async function lines(d: TaskDriver, id: string, q = {}): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of d.logs(id, q)) out.push(l);
  return out;
}

/** A TypeScript script in a child node process (its pid is the script's), read line by line. */
interface Child { proc: ChildProcess; next(): Promise<string>; send(line: string): Promise<unknown>; kill9(): Promise<void> }

function startChild(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  t.teardown(() => { proc.kill('SIGKILL'); });
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  createInterface({ input: proc.stdout! }).on('line', (l) => { queue.push(l); wake?.(); });
  const next = async (): Promise<string> => {
    const deadline = Date.now() + 30_000;
    while (queue.length === 0) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${script} exited: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`no answer from ${script}: ${stderr}`);
      await new Promise<void>((r) => { wake = r; setTimeout(r, 200); });
    }
    return queue.shift()!;
  };
  return {
    proc, next,
    async send(line) {
      proc.stdin!.write(line + '\n');
      const reply = JSON.parse(await next()) as { error?: string };
      if (reply.error) throw new Error(`${line}: ${reply.error}`);
      return reply;
    },
    async kill9() { proc.kill('SIGKILL'); await exited; },
  };
}

interface Started { id: string; pid: number; addr: string; port: number }

/** Kills the process group of every task record under `dir` (any depth). */
function killRecorded(dir: string): void {
  let files: string[];
  try { files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('task.json')); } catch { return; }
  for (const f of files) {
    try { process.kill(-(JSON.parse(readFileSync(join(dir, f), 'utf8')) as { pgid: number }).pgid, 'SIGKILL'); } catch { /* gone */ }
  }
}

t.test('a task outlives its driver; a new driver on the same dataDir adopts it', async (t) => {
  const dataDir = tmp('swarmlet-adopt-driver-');
  const addr = '127.0.0.113';
  const ids = { a: 'adoptaaaaaaaaaaaaaaaaaaaa', tick: 'tickerbbbbbbbbbbbbbbbbbbb', b: 'unwantedcccccccccccccccccc', c: 'reusedddddddddddddddddddd', d: 'exitsdownrrrrrrrrrrrrrrrr', e: 'exitslaterzzzzzzzzzzzzzzz' };
  const order = [ids.a, ids.tick, ids.b, ids.c, ids.d, ids.e];
  const child = startChild('test/fixtures/driver-child.ts', [dataDir, addr, ...order]);
  const started = (JSON.parse(await child.next()) as { tasks: Started[] }).tasks;
  const by = Object.fromEntries(started.map((s) => [s.id, s])) as Record<string, Started>;
  for (const s of started) seen.add(s.pid);
  const whoamis = started.filter((s) => s.id !== ids.tick);
  for (const s of whoamis) await waitFor(`${s.id} answers`, () => get(s, '/health').then((r) => r.status === 200, () => false));
  t.equal((await get(by[ids.a]!, '/before')).status, 200);
  const task = (id: string) => adoptionRequest(id, addr, order.indexOf(id) + 1).task;
  const dirOf = (id: string) => join(dataDir, 'tasks', id);
  const record = JSON.parse(readFileSync(join(dirOf(ids.a), 'task.json'), 'utf8'));
  t.match(record, { taskId: ids.a, pid: by[ids.a]!.pid, pgid: by[ids.a]!.pid, startTime: /^\d+$/, endpoint: { addr, port: by[ids.a]!.port }, argv: [process.execPath, /whoami\.mjs$/] });

  await child.kill9();
  for (let i = 0; i < 20; i++) t.equal((await get(by[ids.a]!, `/during-${i}`)).status, 200) || t.bailout('the task died with its driver');
  t.equal((await get(by[ids.d]!, '/exit?code=0')).status, 200);
  await waitFor('task d gone while no driver runs', () => !alive(by[ids.d]!.pid));
  const rec = join(dirOf(ids.c), 'task.json');
  writeFileSync(rec, JSON.stringify({ ...JSON.parse(readFileSync(rec, 'utf8')), startTime: '1' }));
  t.ok(started.every((s) => s.id === ids.d || alive(s.pid)), 'every other task runs on without its driver (no EPIPE)');

  // The ticker does not listen on its port: only the driver's bookkeeping keeps it from being handed out again.
  const d = createProcessDriver({ dataDir, clock: systemClock(), portRange: [by[ids.tick]!.port, by[ids.tick]!.port] });
  t.teardown(() => d.close());
  const a = await d.adopt!(task(ids.a));
  t.ok(a, 'adopted');
  t.equal(a!.pid, by[ids.a]!.pid, 'same process');
  t.same(a!.endpoint, { addr, port: by[ids.a]!.port }, 'same endpoint');
  t.equal(a!.env?.SWARMLET_TASK_ID, ids.a, 'the environment it runs with');
  t.equal(await d.adopt!(task(ids.a)), undefined, 'a task is adopted once');
  const texts = async (id: string) => (await lines(d, id)).map((l) => l.text);
  await waitFor('lines written while no driver ran', async () => (await texts(ids.a)).includes('GET /during-19 200'));
  const aLog = await texts(ids.a);
  t.ok(aLog.includes(`whoami listening on http://${addr}:${by[ids.a]!.port} as web.1`) && aLog.includes('GET /before 200'), 'lines read by the first driver');
  t.same(aLog.filter((l) => l.startsWith('GET /during-')), Array.from({ length: 20 }, (_, i) => `GET /during-${i} 200`), 'each line once, in order');

  const tick = await d.adopt!(task(ids.tick));
  t.equal(tick?.pid, by[ids.tick]!.pid, 'a program that does not ignore EPIPE ran on too');
  const ticks = await waitFor('ticks', async () => {
    const n = (await texts(ids.tick)).map((l) => Number(l.slice(5)));
    return n.length > 10 ? n : undefined;
  });
  t.same(ticks, ticks.map((_, i) => i), 'ticks are consecutive across the driver restart');

  t.equal(await d.adopt!(task(ids.d)), undefined, 'a task that exited while no driver ran is not adopted');
  t.notOk(existsSync(dirOf(ids.d)), 'its record is removed');
  t.ok((await texts(ids.d)).includes('GET /exit?code=0 200'), 'its last output was kept');
  t.equal(await d.adopt!(task(ids.c)), undefined, 'a record whose start time does not match (pid reused) is not adopted');
  t.notOk(existsSync(dirOf(ids.c)), 'its record is removed');
  t.ok(alive(by[ids.c]!.pid), 'and the process it does not own is left alone');
  process.kill(-by[ids.c]!.pid, 'SIGKILL');

  const e = await d.adopt!(task(ids.e));
  await get(by[ids.e]!, '/exit?code=7');
  t.same(await e!.exited, { exitCode: undefined, signal: undefined, stopped: false, error: ADOPTED_EXIT_ERROR }, 'exit of an adopted task: code unknown');
  t.notOk(existsSync(dirOf(ids.e)), 'record removed when the task is gone');

  await d.stopUnadopted!();
  t.notOk(alive(by[ids.b]!.pid), 'a task nobody adopted is stopped');
  t.notOk(existsSync(dirOf(ids.b)), 'and its record removed');

  const follow = lines(d, ids.a, { follow: true, tail: 0 });
  t.equal((await get(by[ids.a]!, '/after')).status, 200);
  await waitFor('the line of /after', async () => (await texts(ids.a)).includes('GET /after 200'));
  await a!.stop(5000);
  t.same(await a!.exited, { exitCode: undefined, signal: undefined, stopped: true }, 'stopped through the adopted handle');
  t.notOk(alive(by[ids.a]!.pid), 'the process is gone');
  t.same((await follow).map((l) => l.text), ['GET /after 200', 'whoami web.1 got SIGTERM, shutting down'], 'follow yields new lines and ends with the task');
  const extra = adoptionRequest('portcheckxxxxxxxxxxxxxxxx', addr, 9);
  await t.rejects(d.start(extra), { code: 'unavailable', message: /no free port/ }, 'an adopted task\'s port is not handed out twice');
  await tick!.stop(2000);
  t.notOk(alive(by[ids.tick]!.pid));
  const reused = await d.start(extra);
  seen.add(reused.pid!);
  t.equal(reused.endpoint?.port, by[ids.tick]!.port, 'released once the adopted task is gone');
  await reused.stop(2000);
  t.same(readdirSync(join(dataDir, 'tasks')), [], 'no task record is left');
});

interface ChildTask { id: string; slot: number; state: string; desired: string; pid?: number; addr?: string; port?: number }
interface TasksReply { tasks: ChildTask[]; runners: number }

t.test('a cluster killed with -9 and started again adopts its tasks (same IDs, same processes)', async (t) => {
  const dataDir = tmp('swarmlet-adopt-cluster-');
  const args = [dataDir, '127.0.0.111,127.0.0.112'];
  const first = startChild('test/fixtures/cluster-child.ts', args);
  t.equal(await first.next(), 'ready');
  const created = (await first.send('create web 2')) as TasksReply;
  const before = created.tasks.filter((x) => x.state === 'running');
  t.equal(before.length, 2, 'two replicas running');
  for (const x of before) seen.add(x.pid!);
  const ls = await first.send('services');
  t.same(ls, { services: [{ name: 'web', running: 2, desired: 2 }] });
  await first.kill9();
  t.ok(before.every((x) => alive(x.pid!)), 'the tasks outlive the cluster process');

  const second = startChild('test/fixtures/cluster-child.ts', args);
  t.equal(await second.next(), 'ready');
  const after = await waitFor('both tasks adopted', async () => {
    const r = (await second.send('tasks web')) as TasksReply;
    return r.runners === 2 ? r : undefined;
  });
  const key = (xs: ChildTask[]) => xs.map((x) => `${x.id} ${x.pid} ${x.state} ${x.addr}:${x.port}`).sort();
  t.same(key(after.tasks), key(before), 'the same task IDs run with the same PIDs and endpoints, and no other task');
  for (const x of before) {
    const who = JSON.parse((await request(`http://${x.addr}:${x.port}/`, { dispatcher: http, headers: { accept: 'application/json' } }).then((r) => r.body.text())));
    t.equal(who.taskId, x.id, `task ${x.slot} answers`);
  }
  t.same(await second.send('services'), ls, 'service ls unchanged');

  await second.send('scale web 1');
  const kept = await waitFor('one task wanted', async () => {
    const wanted = ((await second.send('tasks web')) as TasksReply).tasks.filter((x) => x.desired === 'running');
    return wanted.length === 1 ? wanted[0]! : undefined;
  });
  const dropped = before.find((x) => x.id !== kept.id)!;
  t.ok(dropped && before.some((x) => x.id === kept.id && x.pid === kept.pid), 'an adopted task is kept, the other dropped');
  await waitFor('the dropped adopted task ends', () => !alive(dropped.pid!));
  await waitFor('the store sees it stopped', async () => {
    const r = (await second.send('tasks web')) as TasksReply;
    const x = r.tasks.find((y) => y.id === dropped.id);
    return r.runners === 1 && (x === undefined || x.state === 'shutdown');
  });
  t.ok(alive(kept.pid!), 'the other one runs on');
  t.same(await second.send('services'), { services: [{ name: 'web', running: 1, desired: 1 }] });
  t.same(await second.send('close'), { closed: true });
  await waitFor('no task process is left', () => before.every((x) => !alive(x.pid!)));
  const taskDirs = ['node-1', 'node-2'].flatMap((n) => {
    try { return readdirSync(join(dataDir, 'nodes', n, 'tasks')); } catch { return []; }
  });
  t.same(taskDirs, [], 'no task record is left');
});
