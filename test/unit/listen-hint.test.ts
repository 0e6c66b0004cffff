/**
 * A task that does not listen yet says so in its status, at a steady low rate: the hint's cadence
 * on the fake clock, the runner's reports around it, and how the manager applies them.
 */
import t from 'tap';
import { createServer } from 'node:net';
import { FakeClock } from '../../lib/clock.js';
import { FIRST_HINT_MS, listenHintText, nextHintAt, shortDuration, startListenHints } from '../../lib/agent/listen-hint.js';
import { TaskRunner } from '../../lib/agent/task-runner.js';
import type { ExitInfo, RunningTask, TaskDriver } from '../../lib/agent/task-driver.js';
import { applyReport } from '../../lib/manager/apply-report.js';
import { MemoryStore } from '../../lib/store/memory-store.js';
import { silentLogger } from '../../lib/logger.js';
import type { TaskReport } from '../../lib/protocol/task-report.js';
import type { Task } from '../../lib/model/types.js';
import { nd, svc, tsk } from '../fixtures/store-objects.js';

const T0 = Date.UTC(2026, 0, 1);
const tick = () => new Promise<void>((r) => setImmediate(r));

t.test('cadence: first after 2 s, then every 10 s, every minute after the first; never per probe', async (t) => {
  t.equal(nextHintAt(0), FIRST_HINT_MS);
  t.equal(nextHintAt(1999), 2000);
  t.equal(nextHintAt(2000), 10_000);
  t.equal(nextHintAt(10_000), 20_000);
  t.equal(nextHintAt(59_999), 60_000);
  t.equal(nextHintAt(60_000), 120_000);
  t.equal(nextHintAt(61_000), 120_000);

  const clock = new FakeClock(T0);
  const hints: Array<{ at: number; text: string }> = [];
  const timer = startListenHints(clock, () => ({ addr: '127.0.0.201', port: 20001 }), (text) => hints.push({ at: clock.now() - T0, text }));
  // the runner probes every 50 ms: time moves in probe-sized steps, as it would
  for (let ms = 0; ms < 1950; ms += 50) clock.advance(50);
  t.same(hints, [], 'nothing in the first 2 s (most tasks listen well before)');
  for (let ms = 1950; ms < 300_000; ms += 50) clock.advance(50);
  t.same(hints.map((h) => h.at), [2000, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 120_000, 180_000, 240_000, 300_000],
    'in 5 minutes of 50 ms probes (6,000): 11 hints');
  t.equal(hints[0]!.text, 'waiting for the task to listen on 127.0.0.201:20001 (PORT); started 2s ago');
  t.equal(hints[6]!.text, 'waiting for the task to listen on 127.0.0.201:20001 (PORT); started 1m ago');
  timer.cancel();
  clock.advance(600_000);
  t.equal(hints.length, 11, 'none after cancel');
  t.equal(clock.pending(), 0, 'no timer left');
});

t.test('texts: durations; a container says its own port and the published one', async (t) => {
  t.same([0, 999, 2000, 59_999, 60_000, 90_000, 3_600_000, 3_900_000].map(shortDuration), ['0s', '0s', '2s', '59s', '1m', '1m30s', '1h', '1h5m']);
  t.equal(listenHintText({ addr: '127.0.0.201', port: 20001, containerPort: 80 }, 30_000),
    'waiting for the task to listen on port 80 in its container (published on 127.0.0.201:20001); started 30s ago');
  t.equal(listenHintText({ addr: '127.0.0.201', port: 20002, env: 'PORT_9090' }, 12_000),
    'waiting for the task to listen on 127.0.0.201:20002 (PORT_9090); started 12s ago', 'another target port: its own variable');
  t.ok(listenHintText({ addr: '127.0.0.201', port: 40123 }, 30_000).length <= 75, 'fits a progress bar (75 characters) whole');
});

/** A port on 127.0.0.201 nobody listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.201', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

function silentTask(port: number) {
  let exit!: (i: ExitInfo) => void;
  const rt: RunningTask = {
    endpoint: { addr: '127.0.0.201', port }, pid: 4242,
    exited: new Promise((r) => { exit = r; }),
    stop: async () => { exit({ exitCode: 143, signal: undefined, stopped: true }); },
  };
  return { rt, exit };
}

function runner(rt: RunningTask, clock: FakeClock) {
  const task = tsk('task-s', 'svc-s', 'node-1');
  const reports: TaskReport[] = [];
  const driver: TaskDriver = { name: 'fake', start: async () => rt, logs: async function* () {}, forget: async () => {}, close: async () => {} };
  const r = new TaskRunner(task, driver, { task, env: [] } as never, (x) => reports.push(x), silentLogger(), { target: 8080, protocol: 'tcp', udpOnly: false }, clock);
  return { reports, runner: r };
}

/** Lets the runner's probe (a real, refused connect on loopback) finish, then moves the fake clock. */
async function step(clock: FakeClock, ms: number): Promise<void> {
  for (let i = 0; i < 20; i++) await tick();
  clock.advance(ms);
  for (let i = 0; i < 20; i++) await tick();
}

t.test('runner: a task that never listens reports the hint while STARTING; its exit is the usual failure', async (t) => {
  const clock = new FakeClock(T0);
  const port = await closedPort();
  const h = silentTask(port);
  const { reports, runner: r } = runner(h.rt, clock);
  await step(clock, 0);
  t.same(reports.map((x) => x.State), ['accepted', 'preparing', 'starting']);
  for (let i = 0; i < 10; i++) await step(clock, 200); // 2 s in probe-ish steps
  const hints = reports.slice(3);
  t.equal(hints.length, 1, 'one hint after 2 s, not one per probe');
  t.same(hints[0], {
    State: 'starting',
    Message: `starting: waiting for the task to listen on 127.0.0.201:${port} (PORT); started 2s ago`,
    Err: `waiting for the task to listen on 127.0.0.201:${port} (PORT); started 2s ago`,
    ContainerStatus: { PID: 4242 },
  });
  h.exit({ exitCode: 1, signal: undefined, stopped: false });
  await r.done;
  t.same(reports.at(-1), { State: 'failed', Message: 'started', Err: 'task: non-zero exit (1)', ContainerStatus: { ExitCode: 1 } });
  const n = reports.length;
  await step(clock, 60_000);
  t.equal(reports.length, n, 'no hint after the exit');
});

t.test('runner: with several target ports, the hint names the one still waited on (PORT_<target>)', async (t) => {
  const clock = new FakeClock(T0);
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.201', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const first = (server.address() as { port: number }).port;
  const second = await closedPort();
  let exit!: (i: ExitInfo) => void;
  const rt: RunningTask = {
    endpoint: { addr: '127.0.0.201', port: first, ports: { 8080: first, 9090: second } }, pid: 4243,
    exited: new Promise((r) => { exit = r; }),
    stop: async () => { exit({ exitCode: 143, signal: undefined, stopped: true }); },
  };
  const task = tsk('task-m', 'svc-m', 'node-1');
  const reports: TaskReport[] = [];
  const driver: TaskDriver = { name: 'fake', start: async () => rt, logs: async function* () {}, forget: async () => {}, close: async () => {} };
  const r = new TaskRunner(task, driver, { task, env: [] } as never, (x) => reports.push(x), silentLogger(),
    { target: 8080, protocol: 'tcp', udpOnly: false, extra: [{ target: 9090, protocol: 'tcp' }] }, clock);
  for (let i = 0; i < 10; i++) await step(clock, 200);
  t.equal(reports.at(-1)?.Err, `waiting for the task to listen on 127.0.0.201:${second} (PORT_9090); started 2s ago`);
  await r.stop();
  t.equal(reports.at(-1)!.State, 'shutdown');
});

t.test('runner: a container (behind a proxy) is named by its target port', async (t) => {
  const clock = new FakeClock(T0);
  const port = await closedPort();
  const h = silentTask(port);
  h.rt.viaProxy = true;
  const { reports, runner: r } = runner(h.rt, clock);
  for (let i = 0; i < 10; i++) await step(clock, 200);
  t.equal(reports.at(-1)?.Err, `waiting for the task to listen on port 8080 in its container (published on 127.0.0.201:${port}); started 2s ago`);
  await r.stop();
});

t.test('runner: no hint once it is stopped while waiting', async (t) => {
  const clock = new FakeClock(T0);
  const h = silentTask(await closedPort());
  const { reports, runner: r } = runner(h.rt, clock);
  await step(clock, 100);
  await r.stop();
  await step(clock, 30_000);
  t.notOk(reports.some((x) => x.Err?.startsWith('waiting')), 'no hint');
  t.equal(reports.at(-1)!.State, 'shutdown');
});

t.test('manager: a STARTING task takes the hint (Timestamp kept); the next state replaces it', async (t) => {
  const clock = new FakeClock(T0);
  const store = new MemoryStore({ clock });
  const starting: Task = { ...tsk('task-s', 'svc-s', 'node-1'), Status: { Timestamp: '2026-01-01T00:00:00.000Z', State: 'starting', Message: 'starting' } };
  store.update((tx) => { tx.putService(svc('svc-s')); tx.putNode(nd('node-1')); tx.putTask(starting); });
  const get = () => store.view((tx) => tx.getTask('task-s')!);
  const hint = { State: 'starting', Message: 'starting: waiting for the task to listen on 127.0.0.201:1 (PORT); started 2s ago', Err: 'waiting for the task to listen on 127.0.0.201:1 (PORT); started 2s ago' } as const;
  store.update((tx) => applyReport(tx, 'node-2', 'task-s', hint, '2026-01-01T00:00:02.000Z'));
  t.same(get().Status, starting.Status, 'from another node: ignored');
  store.update((tx) => applyReport(tx, 'node-1', 'task-s', hint, '2026-01-01T00:00:02.000Z'));
  t.same(get().Status, { Timestamp: '2026-01-01T00:00:00.000Z', State: 'starting', Message: hint.Message, Err: hint.Err }, 'reason shown, "Starting N seconds ago" unchanged');
  const version = get().Version.Index;
  store.update((tx) => applyReport(tx, 'node-1', 'task-s', hint, '2026-01-01T00:00:03.000Z'));
  t.equal(get().Version.Index, version, 'the same hint again writes nothing');
  store.update((tx) => applyReport(tx, 'node-1', 'task-s', { State: 'running', Message: 'started' }, '2026-01-01T00:00:04.000Z'));
  t.same(get().Status, { Timestamp: '2026-01-01T00:00:04.000Z', State: 'running', Message: 'started' }, 'running: the reason is gone');
  store.update((tx) => applyReport(tx, 'node-1', 'task-s', hint, '2026-01-01T00:00:05.000Z'));
  t.equal(get().Status.State, 'running', 'a late hint does not move it back');
  t.notOk(get().Status.Err);
  store.update((tx) => applyReport(tx, 'node-1', 'task-s', { State: 'running', Message: 'other' }, '2026-01-01T00:00:06.000Z'));
  t.equal(get().Status.Message, 'started', 'another state than starting: a same-state report still changes nothing');
});
