/**
 * Job modes with real processes: the swarmlet CLI (and the stock docker CLI when on PATH) against a
 * real `swarmlet up`. A job image is a node one-liner that exits after 300 ms with $CODE (default 0).
 */
import t from 'tap';
import { rmSync } from 'node:fs';
import type { Service, Task } from '../../lib/model/types.js';
import { dockerAvailable, dockerCli } from '../fixtures/docker-cli.js';
import { cli, cliWith, getJson, lockLocalNodes, parseTable, startUp, until } from '../fixtures/up-process.js';

// `swarmlet up` owns 127.0.0.1-3 (gateway ports, :9323): one such test file at a time (see lockLocalNodes)
t.setTimeout(300_000);
let releaseNodes = () => {};
t.before(async () => { releaseNodes = await lockLocalNodes(); t.setTimeout(300_000); }); // the wait for the lock does not count
t.teardown(() => releaseNodes());

const JOB_CMD = `${JSON.stringify(process.execPath)} -e "setTimeout(() => process.exit(Number(process.env.CODE || 0)), 300)"`;

t.test('jobs run to completion under `swarmlet up`', async (t) => {
  const up = await startUp({ nodes: 3 });
  t.teardown(async () => {
    await up.stop('SIGINT').catch(() => up.kill9());
    rmSync(up.dataDir, { recursive: true, force: true });
  });
  const sw = (...args: string[]) => cli(up.url, ...args);
  const tasksOf = async (name: string) => {
    const id = (await getJson<Service>(up.url, `/services/${name}`)).ID;
    return (await getJson<Task[]>(up.url, '/tasks')).filter((x) => x.ServiceID === id);
  };
  const lsRow = async (name: string) => parseTable((await sw('service', 'ls')).stdout).find((r) => r.NAME === name);
  const added = await sw('image', 'add', 'job:1', '--cmd', JOB_CMD);
  t.equal(added.code, 0, added.stderr);

  await t.test('replicated job: create waits until the job is complete', async (t) => {
    const created = await cliWith({ url: up.url, timeoutMs: 60_000 },
      'service', 'create', '--name', 'batch', '--mode', 'replicated-job', '--replicas', '5', '--max-concurrent', '2', 'job:1');
    t.equal(created.code, 0, created.stderr);
    t.match(created.stdout, /job complete/, 'progress ends on "job complete"');
    t.match(created.stdout, /5 out of 5 complete/);
    const tasks = await tasksOf('batch');
    t.same(tasks.map((x) => x.Slot).sort(), [0, 1, 2, 3, 4], 'one task per slot 0..4');
    t.ok(tasks.every((x) => x.Status.State === 'complete' && x.JobIteration?.Index === 0), 'all complete, iteration 0');
    const starts = tasks.map((x) => Date.parse(x.CreatedAt)).sort((a, b) => a - b);
    t.ok(starts[2]! > starts[1]!, 'the third task was created after the first two (2 at a time)');
    t.match(await lsRow('batch'), { MODE: 'replicated job', REPLICAS: '0/2 (5/5 completed)' });
    const ps = parseTable((await sw('service', 'ps', 'batch')).stdout);
    t.equal(ps.length, 5);
    t.ok(ps.every((r) => r['DESIRED STATE'] === 'Complete' && r['CURRENT STATE']!.startsWith('Complete')), JSON.stringify(ps));
  });

  await t.test('update --force runs the job again (a new iteration)', async (t) => {
    const updated = await cliWith({ url: up.url, timeoutMs: 60_000 }, 'service', 'update', '--force', 'batch');
    t.equal(updated.code, 0, updated.stderr);
    const svc = await getJson<Service>(up.url, '/services/batch');
    t.same(svc.JobStatus?.JobIteration, { Index: 1 });
    const current = (await tasksOf('batch')).filter((x) => x.JobIteration?.Index === 1);
    t.equal(current.filter((x) => x.Status.State === 'complete').length, 5, 'five completions in iteration 1');
    t.match(await lsRow('batch'), { REPLICAS: '0/2 (5/5 completed)' });
    const refused = await sw('service', 'update', '--update-parallelism', '2', 'batch');
    t.not(refused.code, 0);
    t.match(refused.stderr, /update and rollback configuration is not supported for jobs/);
  });

  await t.test('a failing job with restart-condition none stays failed', async (t) => {
    const created = await sw('service', 'create', '-d', '--name', 'failing', '--mode', 'replicated-job', '--restart-condition', 'none', '-e', 'CODE=3', 'job:1');
    t.equal(created.code, 0, created.stderr);
    const [failed] = await until('the task failed', async () => {
      const tasks = await tasksOf('failing');
      return tasks.some((x) => x.Status.State === 'failed') ? tasks : undefined;
    });
    t.match(failed?.Status.Err, /non-zero exit \(3\)/);
    t.match(await lsRow('failing'), { REPLICAS: '0/1 (0/1 completed)' });
    t.equal((await tasksOf('failing')).length, 1, 'not restarted');
    // Without -d the create waits for the job, which can never complete: it says so and exits 1
    // instead of waiting forever (docker's does).
    const started = Date.now();
    const waited = await sw('service', 'create', '--name', 'failing-wait', '--mode', 'replicated-job', '--restart-condition', 'none', '-e', 'CODE=3', 'job:1');
    t.equal(waited.code, 1, 'exit 1');
    t.match(waited.stderr, /Error: job cannot complete: task \S+ failed \(task: non-zero exit \(3\)\) and will not be restarted \(restart condition is none\)/);
    t.ok(Date.now() - started < 20_000, `returned after ${Date.now() - started} ms`);
  });

  await t.test('global job: one completion per node', async (t) => {
    const created = await cliWith({ url: up.url, timeoutMs: 60_000 }, 'service', 'create', '--name', 'everywhere', '--mode', 'global-job', 'job:1');
    t.equal(created.code, 0, created.stderr);
    t.match(created.stdout, /job complete/);
    const tasks = await tasksOf('everywhere');
    t.equal(new Set(tasks.map((x) => x.NodeID)).size, 3, 'one task on each of the 3 nodes');
    t.ok(tasks.every((x) => x.Status.State === 'complete'));
    t.match(await lsRow('everywhere'), { MODE: 'global job', REPLICAS: '0/0 (3/3 completed)' });
  });

  await t.test('the stock docker CLI creates and lists jobs', { skip: dockerAvailable() ? false : 'docker CLI not on PATH' }, async (t) => {
    const docker = dockerCli(up.port);
    t.teardown(() => docker.cleanup());
    const created = await docker.runWith(60_000, 'service', 'create', '--name', 'dj', '--mode', 'replicated-job', '--replicas', '3', '--max-concurrent', '2', 'job:1');
    t.equal(created.code, 0, created.stderr);
    t.match(created.stdout, /job complete/, 'docker\'s job progress finishes');
    const row = parseTable((await docker.run('service', 'ls')).stdout).find((r) => r.NAME === 'dj');
    t.match(row, { MODE: 'replicated job', REPLICAS: '0/2 (3/3 completed)' });
    const ps = await docker.run('service', 'ps', 'dj');
    t.equal(ps.code, 0, ps.stderr);
    t.equal(parseTable(ps.stdout).filter((r) => r['CURRENT STATE']!.startsWith('Complete')).length, 3, ps.stdout);
    const scaled = await docker.runWith(60_000, 'service', 'scale', 'dj=4');
    t.equal(scaled.code, 0, scaled.stderr);
    t.match(scaled.stdout, /job complete/, 'scale waits for the new iteration');
    const dj = await getJson<Service>(up.url, '/services/dj');
    t.same([dj.Spec.Mode.ReplicatedJob?.TotalCompletions, dj.JobStatus?.JobIteration.Index], [4, 1], 'scale sets TotalCompletions and starts iteration 1');
    const forced = await docker.runWith(60_000, 'service', 'update', '--force', 'dj');
    t.equal(forced.code, 0, forced.stderr);
    t.match(parseTable((await docker.run('service', 'ls')).stdout).find((r) => r.NAME === 'dj'), { REPLICAS: '0/2 (4/4 completed)' });
    const global = await docker.runWith(60_000, 'service', 'create', '--name', 'dg', '--mode', 'global-job', 'job:1');
    t.equal(global.code, 0, global.stderr);
    t.match(global.stdout, /job complete/);
    const bad = await docker.run('service', 'create', '-d', '--name', 'dbad', '--max-concurrent', '2', 'job:1');
    t.not(bad.code, 0);
    t.match(bad.stderr, /max-concurrent can only be used with replicated-job mode/);
  });
});
