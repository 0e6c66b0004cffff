import t from 'tap';
import { createCluster } from '../../lib/index.js';
import type { Task } from '../../lib/model/types.js';

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('health checks gate RUNNING and replace unhealthy tasks', async (t) => {
  const cluster = await createCluster({ nodes: 1, addresses: ['127.0.0.31'] });
  t.teardown(() => cluster.close());

  await t.test('an HTTP check: running (healthy) once /health answers', async (t) => {
    await cluster.createService({ name: 'ok', image: 'whoami', replicas: 1, publish: ['8080'], healthHttp: '/health', healthInterval: '100ms', healthRetries: 2 });
    await cluster.waitForConvergence('ok', { timeoutMs: 15_000 });
    const [task] = (await cluster.tasks({ service: ['ok'] })).filter((x) => x.Status.State === 'running');
    t.equal(task?.Status.Health, 'healthy');
  });

  await t.test('a failing command: the task never runs, fails unhealthy and is replaced', async (t) => {
    await cluster.createService({ name: 'sick', image: 'whoami', replicas: 1, healthCmd: 'test "$SWARMLET_SERVICE" = nope', healthInterval: '100ms', healthRetries: 2, restartDelay: '100ms' });
    const failed = await until('an unhealthy failure', async () => {
      const tasks = await cluster.tasks({ service: ['sick'] });
      t.notOk(tasks.some((x: Task) => x.Status.State === 'running'), 'never reported running');
      return tasks.find((x) => x.Status.State === 'failed');
    });
    t.equal(failed.Status.Err, 'task: unhealthy container');
    await until('a replacement', async () => ((await cluster.tasks({ service: ['sick'] })).length >= 2 ? true : undefined));
  });

  await t.test('the check command runs with the task environment', async (t) => {
    await cluster.createService({ name: 'envok', image: 'whoami', replicas: 1, env: ['GREETING=hi'], healthCmd: 'test "$GREETING" = hi && test -n "$PORT"', healthInterval: '100ms' });
    await cluster.waitForConvergence('envok', { timeoutMs: 15_000 });
    t.pass('converged: the command saw GREETING and PORT');
  });
});
