/**
 * One scenario table, run against both implementations of SwarmletClient: the in-process cluster
 * (`createCluster`) and the HTTP client (`connect`) of a cluster that listens. Each step acts through
 * the interface and asserts the resulting state; the same steps must pass on both.
 */
import t, { type Test } from 'tap';
import { createCluster, type Cluster } from '../../lib/index.js';
import { connect } from '../../lib/client/index.js';
import type { SwarmletClient } from '../../lib/client/swarmlet-client.js';
import { SwarmletError } from '../../lib/errors.js';
import type { EventMessage } from '../../lib/events/event-message.js';
import type { LogRecord } from '../../lib/model/log-record.js';
import type { Task } from '../../lib/model/types.js';

t.setTimeout(240_000);

interface Ctx { c: SwarmletClient; start: number; ids: Record<string, string> }
type Step = [name: string, run: (t: Test, x: Ctx) => Promise<void>];

const fast = { updateMonitor: '100ms', rollbackMonitor: '100ms' };
const running = (tasks: Task[]) => tasks.filter((x) => x.DesiredState === 'running' && x.Status.State === 'running');

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The SwarmletError a call fails with (fails the test if it resolves or throws something else). */
async function failure(t: Test, p: Promise<unknown>): Promise<SwarmletError> {
  try {
    await p;
  } catch (e) {
    t.type(e, SwarmletError, `a SwarmletError (${(e as Error).message})`);
    return e as SwarmletError;
  }
  t.fail('expected an error');
  return new SwarmletError('internal', 'no error');
}

const env = (s: { Spec: { TaskTemplate: { ContainerSpec: { Env?: string[] } } } }) => s.Spec.TaskTemplate.ContainerSpec.Env ?? [];

const steps: Step[] = [
  ['create', async (t, { c, ids }) => {
    const s = await c.createService({ name: 'sc-web', image: 'whoami', replicas: 2, env: ['A=1'], labels: { team: 'x' }, ...fast });
    ids.web = s.ID;
    t.equal(s.Spec.Name, 'sc-web');
    t.equal(s.Spec.Mode.Replicated?.Replicas, 2);
    t.same(s.Spec.Labels, { team: 'x' });
    await c.waitForConvergence('sc-web', { timeoutMs: 30_000 });
    const tasks = running(await c.tasks({ service: ['sc-web'] }));
    t.equal(tasks.length, 2, 'two running tasks');
    t.ok(tasks.every((x) => x.ServiceID === s.ID && x.Spec.ContainerSpec.Env?.includes('A=1')), 'tasks of the spec');
  }],
  ['inspect', async (t, { c, ids }) => {
    const s = await c.service('sc-web');
    t.equal(s.ID, ids.web);
    t.equal((await c.service(ids.web!.slice(0, 8))).Spec.Name, 'sc-web', 'by ID prefix');
    const listed = await c.services({ name: ['sc-web'] });
    t.same(listed.map((x) => x.ID), [ids.web]);
    t.same(listed[0]?.ServiceStatus, { RunningTasks: 2, DesiredTasks: 2, CompletedTasks: 0 }, 'with its status');
  }],
  ['update', async (t, { c }) => {
    const before = await c.service('sc-web');
    const s = await c.updateService('sc-web', { envAdd: ['B=2'] });
    t.ok(s.Version.Index > before.Version.Index, 'a new version');
    t.same(env(s), ['A=1', 'B=2']);
    t.same(s.PreviousSpec && env({ Spec: s.PreviousSpec }), ['A=1'], 'the previous spec kept');
    await c.waitForConvergence('sc-web', { timeoutMs: 30_000 });
    const tasks = running(await c.tasks({ service: ['sc-web'] }));
    t.equal(tasks.length, 2);
    t.ok(tasks.every((x) => x.Spec.ContainerSpec.Env?.includes('B=2')), 'running tasks have B=2');
  }],
  ['scale', async (t, { c }) => {
    const s = await c.scaleService('sc-web', 3);
    t.equal(s.Spec.Mode.Replicated?.Replicas, 3);
    await c.waitForConvergence('sc-web', { timeoutMs: 30_000 });
    t.equal(running(await c.tasks({ service: ['sc-web'] })).length, 3, 'three running tasks');
  }],
  ['rollback', async (t, { c }) => {
    const s = await c.rollbackService('sc-web');
    t.equal(s.Spec.Mode.Replicated?.Replicas, 2, 'the count before the scale');
    t.same(env(s), ['A=1', 'B=2']);
    await c.waitForConvergence('sc-web', { timeoutMs: 30_000 });
    t.equal(running(await c.tasks({ service: ['sc-web'] })).length, 2, 'two running tasks again');
  }],
  ['nodes', async (t, { c, ids }) => {
    const nodes = await c.nodes();
    t.same(nodes.map((n) => n.Description.Hostname).sort(), ['node-1', 'node-2']);
    const n = await c.updateNode('node-2', { availability: 'drain', labelAdd: ['zone=b'] });
    t.equal(n.Spec.Availability, 'drain');
    t.same(n.Spec.Labels, { zone: 'b' });
    await until('no task on the drained node', async () => {
      const tasks = running(await c.tasks({ service: [ids.web!] }));
      return tasks.length === 2 && tasks.every((x) => x.NodeID !== n.ID);
    });
    const back = await c.updateNode('node-2', { availability: 'active', labelRm: ['zone'] });
    t.equal(back.Spec.Availability, 'active');
    t.same(back.Spec.Labels, {});
  }],
  ['tasks', async (t, { c, ids }) => {
    const all = await c.tasks({ service: ['sc-web'] });
    t.ok(all.length > 2, 'history kept');
    const live = await c.tasks({ service: ['sc-web'], 'desired-state': ['running'] });
    t.equal(live.length, 2);
    t.ok(live.every((x) => x.ServiceID === ids.web && x.Slot >= 1), 'slots of the service');
  }],
  ['logs', async (t, { c, ids, start }) => {
    const live = running(await c.tasks({ service: ['sc-web'] }));
    // a task's first line reaches its log shortly after it is reported running
    const records: LogRecord[] = await until('a line of each running task', async () => {
      const r = await collect(c.logs('sc-web', { tail: 1 }));
      return live.every((x) => r.some((l) => l.taskId === x.ID)) && r;
    });
    t.ok(records.length >= 2, `one line per task (${records.length})`);
    t.ok(records.every((r) => r.serviceId === ids.web && r.taskId !== '' && r.nodeId !== ''), 'IDs on each record');
    t.ok(records.every((r) => r.time >= start - 1000 && r.time <= Date.now() + 1000), 'time in ms since the epoch');
    const task = live[0]!;
    const one = await collect(c.logs(task.ID));
    t.ok(one.length >= 1 && one.every((r) => r.taskId === task.ID), 'a task\'s own lines');
    t.match(one[0]?.text, /^whoami listening on http:\/\/127\.0\.0\.\d+:\d+ as sc-web\.\d$/);
  }],
  ['events', async (t, { c, ids, start }) => {
    const seen: EventMessage[] = await collect(c.events({ since: new Date(start), until: new Date(), filters: { type: ['service'] } }));
    const mine = seen.filter((e) => e.Actor.ID === ids.web);
    t.equal(mine[0]?.Action, 'create', 'the create first');
    t.ok(mine.filter((e) => e.Action === 'update').length >= 3, 'the updates after it');
    t.ok(seen.every((e) => e.Type === 'service' && e.scope === 'swarm' && typeof e.timeNano === 'bigint'), 'Docker event shape');
  }],
  ['follow', async (t, { c, ids }) => {
    // logs and events followed live end quietly when their signal aborts, on both implementations
    const logsStop = new AbortController();
    const lines: LogRecord[] = [];
    for await (const r of c.logs('sc-web', { follow: true, tail: 1, signal: logsStop.signal })) {
      lines.push(r);
      logsStop.abort();
    }
    t.ok(lines.length >= 1, `lines (those already read may still come), then the loop ended on abort, no error (${lines.length})`);
    const evStop = new AbortController();
    const live: EventMessage[] = [];
    const reading = (async () => {
      for await (const e of c.events({ filters: { type: ['service'] }, signal: evStop.signal })) {
        live.push(e);
        if (e.Actor.ID === ids.web && e.Action === 'update') evStop.abort();
      }
    })();
    await until('the live update event', async () => {
      await c.updateService('sc-web', { labelAdd: [`seen=${Date.now()}`] });
      await new Promise((r) => setTimeout(r, 300));
      return live.some((e) => e.Actor.ID === ids.web && e.Action === 'update');
    }, 15_000);
    await reading;
    t.pass('the live event stream ended on abort');
    await c.waitForConvergence('sc-web', { timeoutMs: 30_000 });
  }],
  ['images', async (t, { c }) => {
    const img = await c.addImage({ name: 'sc-tool:1', cmd: 'node -e "console.log(1)"', env: ['X=1'] });
    t.same(img.Cmd, ['node', '-e', 'console.log(1)']);
    t.ok((await c.images()).some((i) => i.Name === 'sc-tool:1'), 'listed');
    await c.removeImage('sc-tool:1');
    t.notOk((await c.images()).some((i) => i.Name === 'sc-tool:1'), 'removed');
  }],
  ['errors', async (t, { c }) => {
    const bad = await failure(t, c.createService({ name: 'sc-bad', image: 'whoami', replicas: -1 }));
    t.equal(bad.code, 'invalid_argument');
    t.equal(bad.field, 'replicas', 'a bad spec names the field');
    const noImage = await failure(t, c.createService({ name: 'sc-bad' }));
    t.equal(noImage.field, 'image');
    t.same((await c.services({ name: ['sc-bad'] })).length, 0, 'nothing created');
    const dup = await failure(t, c.createService({ name: 'sc-web', image: 'whoami' }));
    t.equal(dup.code, 'conflict');
    t.equal(dup.field, 'Name', 'the server names the field too');
    t.equal((await failure(t, c.service('sc-nope'))).code, 'not_found');
    t.equal((await failure(t, c.removeService('sc-nope'))).code, 'not_found');
    t.equal((await failure(t, c.updateNode('node-9', { availability: 'drain' }))).code, 'not_found');
    t.equal((await failure(t, collect(c.logs('sc-nope')))).code, 'not_found', 'logs of nothing: not found when read');
    const since = await failure(t, (async () => c.events({ since: 'yesterday-ish' }))());
    t.same([since.code, since.field], ['invalid_argument', 'since'], 'a bad event time names its option');
    const avail = await failure(t, c.updateNode('node-1', { availability: 'bogus' as 'drain' }));
    t.same([avail.code, avail.field], ['invalid_argument', 'availability']);
    await c.createService({ name: 'sc-glob', image: 'whoami', mode: 'global' });
    const scale = await failure(t, c.scaleService('sc-glob', 2));
    t.same([scale.code, scale.field], ['invalid_argument', 'replicas']);
    t.equal((await failure(t, c.rollbackService('sc-glob'))).code, 'failed_precondition', 'no previous spec');
    await c.removeService('sc-glob');
  }],
  ['remove', async (t, { c, ids }) => {
    await c.removeService('sc-web');
    t.same(await c.services({ name: ['sc-web'] }), []);
    await until('its tasks gone', async () => (await c.tasks({ service: [ids.web!] })).length === 0);
    t.equal((await failure(t, c.service('sc-web'))).code, 'not_found');
  }],
];

interface Target { name: string; open(): Promise<{ c: SwarmletClient; close(): Promise<void> }> }

const targets: Target[] = [
  {
    name: 'in-process createCluster',
    async open() {
      const cluster: Cluster = await createCluster({ addresses: ['127.0.0.226', '127.0.0.227'], gateway: false });
      return { c: cluster, close: () => cluster.close() };
    },
  },
  {
    name: 'HTTP client (connect) to createCluster with listen',
    async open() {
      const cluster = await createCluster({ addresses: ['127.0.0.228', '127.0.0.229'], gateway: false, listen: '127.0.0.228:0' });
      const c = connect({ host: cluster.url!, pollMs: 100 });
      return { c, close: async () => { await c.close(); await cluster.close(); } };
    },
  },
];

for (const target of targets) {
  t.test(target.name, async (t) => {
    const { c, close } = await target.open();
    t.teardown(close);
    const x: Ctx = { c, start: Date.now(), ids: {} };
    for (const [name, run] of steps) {
      await t.test(name, (t) => run(t, x));
      if (!t.passing()) break; // later steps build on this one
    }
  });
}
