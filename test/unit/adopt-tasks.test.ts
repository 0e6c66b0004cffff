import t from 'tap';
import { Agent } from '../../lib/agent/agent.js';
import type { AgentLink } from '../../lib/agent/agent-link.js';
import { NOT_ADOPTED_REPORT, adoptTasks, inFlight } from '../../lib/agent/adopt-tasks.js';
import type { ExitInfo, LogLine, RunningTask, StartRequest, TaskDriver } from '../../lib/agent/task-driver.js';
import { FakeClock } from '../../lib/clock.js';
import { silentLogger } from '../../lib/logger.js';
import type { TaskReport } from '../../lib/protocol/task-report.js';
import type { TaskState } from '../../lib/model/task-state.js';
import type { Task } from '../../lib/model/types.js';

const TS = '2026-01-01T00:00:00.000Z';

function task(id: string, state: TaskState, desired: TaskState = 'running'): Task {
  return {
    ID: id, Version: { Index: 1 }, CreatedAt: TS, UpdatedAt: TS, Spec: { ContainerSpec: { Image: 'whoami' } },
    ServiceID: 'svc', Slot: 1, NodeID: 'n1', DesiredState: desired, Status: { Timestamp: TS, State: state },
  };
}

/** A driver whose "processes" are promises; `leftovers` are what an earlier agent left running. */
class AdoptingDriver implements TaskDriver {
  readonly name = 'fake';
  readonly trace: string[] = [];
  readonly live = new Map<string, (e: ExitInfo) => void>();
  /** When set, adopt() waits for it (to deliver assignments while the agent adopts). */
  gate: Promise<void> | undefined;

  constructor(readonly leftovers: Set<string>, readonly failing = new Set<string>()) {}

  private running(id: string, pid: number): RunningTask {
    let resolve!: (e: ExitInfo) => void;
    const exited = new Promise<ExitInfo>((r) => { resolve = r; });
    this.live.set(id, (e) => { this.live.delete(id); resolve(e); });
    return {
      endpoint: { addr: '127.0.0.1', port: pid }, pid, exited,
      stop: async () => { this.trace.push(`stop ${id}`); this.live.get(id)?.({ exitCode: 0, signal: undefined, stopped: true }); await exited; },
    };
  }

  async adopt(t: Task): Promise<RunningTask | undefined> {
    await this.gate;
    this.trace.push(`adopt ${t.ID}`);
    if (this.failing.has(t.ID)) throw new Error('record unreadable');
    return this.leftovers.delete(t.ID) ? this.running(t.ID, 1000 + this.trace.length) : undefined;
  }

  async stopUnadopted(): Promise<void> { this.trace.push(`stopUnadopted ${[...this.leftovers].join(',')}`); }
  async start(req: StartRequest): Promise<RunningTask> { this.trace.push(`start ${req.task.ID}`); return this.running(req.task.ID, 2000); }
  // eslint-disable-next-line require-yield
  async *logs(): AsyncIterable<LogLine> { /* none */ }
  async forget(): Promise<void> {}
  async close(): Promise<void> {}
}

function fakeLink() {
  let deliver: (tasks: Task[]) => void = () => {};
  const reports: Array<[string, TaskReport]> = [];
  const link: AgentLink = {
    watchAssignments: (_node, fn) => { deliver = fn; return () => {}; },
    report: (_node, id, r) => { reports.push([id, r]); },
    resolveImage: (name) => ({ Name: name, Cmd: ['x'], CreatedAt: TS }),
    serviceInfo: () => ({ name: 'web' }),
  };
  return { link, reports, deliver: (tasks: Task[]) => deliver(tasks), of: (id: string) => reports.filter(([x]) => x === id).map(([, r]) => r) };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

t.test('inFlight: accepted … running', async (t) => {
  const want: Record<string, boolean> = { new: false, assigned: false, accepted: true, preparing: true, starting: true, running: true, complete: false, shutdown: false, failed: false };
  for (const [state, yes] of Object.entries(want)) t.equal(inFlight(task('x', state as TaskState)), yes, state);
});

t.test('adoptTasks adopts what still runs, reports the rest, then stops the unadopted', async (t) => {
  const driver = new AdoptingDriver(new Set(['run', 'starting', 'stray']), new Set(['broken']));
  const reports: Array<[string, TaskReport]> = [];
  const tasks = [task('run', 'running'), task('starting', 'starting'), task('gone', 'running'), task('broken', 'preparing'), task('new', 'assigned'), task('done', 'complete')];
  const got = await adoptTasks({
    tasks, driver, logger: silentLogger(), report: (id, r) => reports.push([id, r]),
    supervise: (tk, rt) => `${tk.ID}@${rt.pid}`,
  });
  t.same([...got.keys()], ['run', 'starting']);
  t.match([...got.values()], [/^run@\d+$/, /^starting@\d+$/]);
  t.same(reports, [['gone', NOT_ADOPTED_REPORT], ['broken', NOT_ADOPTED_REPORT]], 'not adoptable (or failing): shut down, so the manager replaces it');
  t.same(driver.trace.filter((l) => l.startsWith('adopt')).sort(), ['adopt broken', 'adopt gone', 'adopt run', 'adopt starting'], 'only tasks in flight');
  t.equal(driver.trace.at(-1), 'stopUnadopted stray', 'leftovers nobody adopted are stopped last');
  t.same(NOT_ADOPTED_REPORT, { State: 'shutdown', Message: 'shutdown', Err: 'task: stopped because its agent restarted' });
});

t.test('a driver that cannot adopt: every task in flight is reported shut down (as before)', async (t) => {
  const driver = new AdoptingDriver(new Set());
  const bare: TaskDriver = { name: 'bare', start: (r) => driver.start(r), logs: () => driver.logs(), forget: async () => {}, close: async () => {} };
  const reports: string[] = [];
  const got = await adoptTasks({ tasks: [task('a', 'running'), task('b', 'new')], driver: bare, logger: silentLogger(), report: (id) => reports.push(id), supervise: () => 1 });
  t.equal(got.size, 0);
  t.same(reports, ['a']);
});

t.test('the agent adopts on its first sync, then syncs the latest assignments', async (t) => {
  const driver = new AdoptingDriver(new Set(['keep', 'drop', 'later']));
  let open!: () => void;
  driver.gate = new Promise((r) => { open = r; });
  const l = fakeLink();
  const agent = new Agent({ nodeId: 'n1', hostname: 'node-1', addr: '127.0.0.1', driver, link: l.link, clock: new FakeClock(), logger: silentLogger() });
  agent.start();
  const first = [task('keep', 'running'), task('drop', 'running', 'shutdown'), task('later', 'running'), task('gone', 'starting'), task('fresh', 'assigned')];
  l.deliver(first);
  // While adopting, the manager changes its mind about `later`: the sync after adoption uses this.
  l.deliver(first.map((x) => (x.ID === 'later' ? { ...x, DesiredState: 'shutdown' as TaskState } : x)));
  await settle();
  t.same(driver.trace, [], 'nothing happens before adoption finished');
  open();
  await settle();
  const keep = l.of('keep');
  t.equal(keep.length, 1, 'one report: no accepted/preparing/starting for an adopted task');
  t.match(keep[0], { State: 'running', Message: 'started', ContainerStatus: { PID: Number }, Endpoint: { Addr: '127.0.0.1', Port: Number } }, 'reported running again');
  t.notOk(driver.trace.includes('start keep'), 'not started again');
  t.ok(driver.trace.includes('stop drop') && driver.trace.includes('stop later'), 'adopted tasks the manager no longer wants are stopped');
  t.match(l.of('drop').at(-1), { State: 'shutdown' });
  t.match(l.of('later').at(-1), { State: 'shutdown' });
  t.same(l.of('gone'), [NOT_ADOPTED_REPORT]);
  t.ok(driver.trace.includes('start fresh'), 'new tasks start after adoption');
  t.ok(driver.trace.indexOf('start fresh') > driver.trace.indexOf('stopUnadopted '), 'after the leftovers were handled');
  t.equal(agent.runningCount, 2, 'keep and fresh');
  await agent.close();
  t.equal(driver.live.size, 0, 'close stops the adopted task too');
  t.match(l.of('keep').at(-1), { State: 'shutdown' });
});

t.test('closing the agent while it adopts stops what it adopted', async (t) => {
  const driver = new AdoptingDriver(new Set(['keep']));
  let open!: () => void;
  driver.gate = new Promise((r) => { open = r; });
  const l = fakeLink();
  const agent = new Agent({ nodeId: 'n1', hostname: 'node-1', addr: '127.0.0.1', driver, link: l.link, clock: new FakeClock(), logger: silentLogger() });
  agent.start();
  l.deliver([task('keep', 'running')]);
  await settle();
  const closed = agent.close();
  open();
  await closed;
  t.same(driver.trace.filter((x) => x.startsWith('stop ')), ['stop keep']);
  t.equal(driver.live.size, 0);
});
