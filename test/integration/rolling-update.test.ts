/**
 * Rolling updates with real processes (the built-in whoami image) on 127.0.0.41-43: the notes'
 * example scaled for CI (10 replicas, parallelism 2, delay 1 s instead of 3 s), and a broken image
 * rolled back by the update's failure action.
 */
import t from 'tap';
import { request } from 'undici';
import { createCluster } from '../../lib/index.js';
import type { Service, Task } from '../../lib/model/types.js';

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const serving = (x: Task) => x.DesiredState === 'running' && x.Status.State === 'running';
const image = (x: Task) => x.Spec.ContainerSpec.Image;

/** The whoami `tag` each serving task answers with, from its own endpoint. */
async function tags(tasks: Task[]): Promise<string[]> {
  return Promise.all(tasks.filter(serving).map(async (x) => {
    const res = await request(`http://${x.Endpoint!.Addr}:${x.Endpoint!.Port}/`, { headers: { accept: 'application/json' } });
    const body = await res.body.json() as { tag: string; taskId: string };
    if (body.taskId !== x.ID) throw new Error(`${x.Endpoint!.Addr}:${x.Endpoint!.Port} answered as ${body.taskId}, not ${x.ID}`);
    return body.tag;
  }));
}

t.test('rolling updates with real processes', async (t) => {
  const cluster = await createCluster({ addresses: ['127.0.0.41', '127.0.0.42', '127.0.0.43'] });
  t.teardown(() => cluster.close());
  const tasksOf = async (name: string) => cluster.tasks({ service: [name] });
  const status = async (name: string, states: string[]): Promise<Service | undefined> => {
    const s = await cluster.service(name);
    return s.UpdateStatus && states.includes(s.UpdateStatus.State) ? s : undefined;
  };

  await t.test('10 replicas whoami:1 → whoami:2, parallelism 2, delay 1 s: in waves, then completed', async (t) => {
    await cluster.createService({
      name: 'toms', image: 'whoami:1', replicas: 10, publish: ['8080'],
      updateParallelism: 2, updateDelay: '1s', healthHttp: '/health', healthInterval: '200ms',
    });
    await cluster.waitForConvergence('toms', { timeoutMs: 30_000 });
    t.same(await tags(await tasksOf('toms')), Array(10).fill('1'), 'ten tasks answer as whoami:1');

    let maxInFlight = 0;
    let minServing = Infinity;
    const unsubscribe = cluster.subscribe((e) => {
      if (e.type !== 'task') return;
      const all = cluster.control.listTasks({ service: ['toms'] });
      const inFlight = all.filter((x) => image(x) === 'whoami:2' && x.DesiredState === 'running' && x.Status.State !== 'running');
      maxInFlight = Math.max(maxInFlight, inFlight.length);
      minServing = Math.min(minServing, all.filter(serving).length);
    });
    t.teardown(unsubscribe);

    const t0 = Date.now();
    await cluster.updateService('toms', { image: 'whoami:2' });
    const rolled = await until('every slot on whoami:2', async () => {
      const tasks = (await tasksOf('toms')).filter(serving);
      return tasks.length === 10 && tasks.every((x) => image(x) === 'whoami:2') ? Date.now() - t0 : undefined;
    }, 40_000);
    const done = await until('completed', () => status('toms', ['completed', 'paused', 'rollback_started']), 30_000);
    const completedAfter = Date.now() - t0;
    unsubscribe();

    t.equal(done.UpdateStatus?.State, 'completed');
    t.equal(done.UpdateStatus?.Message, 'update completed');
    const fresh = (await tasksOf('toms')).filter((x) => image(x) === 'whoami:2');
    const startMs = fresh.reduce((sum, x) => sum + (Date.parse(x.RunningAt!) - Date.parse(x.CreatedAt)), 0) / fresh.length;
    const expected = Math.ceil(10 / 2) * (startMs + 1000);
    t.comment(`rolled in ${rolled} ms (≈ ${Math.round(expected)} ms expected: 5 waves × (start ${Math.round(startMs)} ms + delay 1 s)), completed after ${completedAfter} ms`);
    t.ok(rolled >= 4000, `five waves with 1 s between them take at least 4 s (${rolled} ms)`);
    t.ok(rolled < 20_000, `and well under 20 s (${rolled} ms)`);
    t.ok(Math.abs(rolled - expected) < Math.max(3000, expected / 2), 'close to ceil(10 / 2) × (start + delay)');
    t.ok(completedAfter >= rolled + 4000, 'completed only after the 5 s monitor window');
    t.ok(maxInFlight <= 2, `never more than 2 new tasks starting at once (${maxInFlight})`);
    t.ok(minServing >= 8, `never fewer than 10 − 2 tasks serving (${minServing})`);
    const created = fresh.map((x) => Date.parse(x.CreatedAt)).sort((a, b) => a - b);
    t.ok(created[9]! - created[0]! >= 4000, 'the last slot was handed out ≥ 4 delays after the first');

    const now = await tasksOf('toms');
    t.equal(now.filter(serving).length, 10);
    t.ok(now.filter(serving).every((x) => x.Status.Health === 'healthy'), 'every new task is running (healthy)');
    t.same(await tags(now), Array(10).fill('2'), 'every endpoint answers as whoami:2');
  });

  await t.test('whoami:broken with update-failure-action rollback ends rollback_completed on whoami:1', async (t) => {
    await cluster.createService({ name: 'frail', image: 'whoami:1', replicas: 4, publish: ['8080'], updateFailureAction: 'rollback' });
    await cluster.waitForConvergence('frail', { timeoutMs: 30_000 });
    const originals = (await tasksOf('frail')).map((x) => x.ID);
    await cluster.updateService('frail', { image: 'whoami:broken' });
    const started = await until('rollback_started', () => status('frail', ['rollback_started', 'rollback_completed', 'paused']), 20_000);
    t.match(started.UpdateStatus?.Message, /^update rolled back due to failure or early termination of task \w+$/);
    const s = await until('rollback_completed', () => status('frail', ['rollback_completed', 'rollback_paused']), 30_000);
    t.equal(s.UpdateStatus?.State, 'rollback_completed');
    t.equal(s.UpdateStatus?.Message, 'rollback completed');
    t.equal(s.Spec.TaskTemplate.ContainerSpec.Image, 'whoami:1');
    t.equal(s.PreviousSpec, undefined, 'an automatic rollback clears PreviousSpec');
    const tasks = await tasksOf('frail');
    const failed = tasks.filter((x) => image(x) === 'whoami:broken');
    t.ok(failed.length >= 1 && failed.every((x) => x.Status.State === 'failed' && x.Status.Err === 'task: non-zero exit (1)'), 'the broken task failed');
    t.equal(tasks.filter(serving).length, 4);
    t.same(await tags(tasks), Array(4).fill('1'), 'all four answer as whoami:1');
    t.ok(tasks.filter(serving).filter((x) => originals.includes(x.ID)).length >= 3, 'the slots the update never reached kept their tasks');
  });

  await t.test('updates gate on health: a new spec whose check fails is rolled back', async (t) => {
    const before = (await tasksOf('frail')).map((x) => x.ID);
    await cluster.updateService('frail', { healthCmd: 'exit 1', healthInterval: '100ms', healthRetries: 2 });
    const s = await until('rollback_completed', () => status('frail', ['rollback_completed', 'rollback_paused', 'paused']), 30_000);
    t.equal(s.UpdateStatus?.State, 'rollback_completed');
    t.equal(s.Spec.TaskTemplate.ContainerSpec.Healthcheck, undefined, 'back on the spec without the check');
    const tasks = await tasksOf('frail');
    const sick = tasks.filter((x) => !before.includes(x.ID) && x.Spec.ContainerSpec.Healthcheck !== undefined);
    t.ok(sick.length >= 1, 'the update started a task with the failing check');
    t.ok(sick.every((x) => x.RunningAt === undefined), 'an unhealthy task is never RUNNING');
    t.ok(sick.some((x) => x.Status.Err === 'task: unhealthy container'), 'it failed as an unhealthy container');
    t.equal(tasks.filter(serving).length, 4);
    t.same(await tags(tasks), Array(4).fill('1'));
  });
});
