import t from 'tap';
import { spawnSync } from 'node:child_process';
import { request } from 'undici';
import { createCluster } from '../../lib/index.js';

function hasPromtool(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

t.test('the manager exports cluster state and update progress on GET /metrics', async (t) => {
  const cluster = await createCluster({ nodes: 2, addresses: ['127.0.0.36', '127.0.0.37'], listen: '127.0.0.36:0', gateway: false });
  t.teardown(() => cluster.close());
  await cluster.createService({ name: 'm', image: 'whoami', replicas: 2, publish: ['8080'] });
  await cluster.waitForConvergence('m', { timeoutMs: 15_000 });
  await cluster.updateService('m', { envAdd: ['X=1'], updateMonitor: '200ms' });
  await cluster.waitForConvergence('m', { timeoutMs: 15_000 });
  const res = await request(`${cluster.url}/metrics`);
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/plain/);
  const text = await res.body.text();
  t.match(text, /swarmlet_service_desired_tasks\{service="m"\} 2/);
  t.match(text, /swarmlet_service_running_tasks\{service="m"\} 2/);
  t.match(text, /swarmlet_service_updated_tasks\{service="m"\} 2/);
  t.match(text, /swarmlet_service_update_state\{service="m",state="completed"\} 1/);
  t.match(text, /swarmlet_service_updates_total\{service="m"\} 1/);
  t.match(text, /swarmlet_nodes\{state="ready",availability="active"\} 2/);
  t.match(text, /swarmlet_build_info\{version="\d+\.\d+\.\d+",nodejs="v\d+/);
  t.notMatch(text, /task_?id|[0-9a-z]{25}/, 'no task IDs in labels');
  if (!hasPromtool()) { t.comment('promtool not installed: lint skipped'); return; }
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  t.equal(lint.status, 0, `promtool: ${lint.stdout}${lint.stderr}`);
});
