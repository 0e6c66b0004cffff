/**
 * The perf suite's chart of a real rolling update: whoami:1 → whoami:2 on 4 replicas (parallelism
 * 1, delay 300 ms) under an open-model load through node-1's gateway (127.0.0.187-189). The SVG
 * parses, and every update step (every replaced slot) is marked inside the update's time span.
 */
import t from 'tap';
import { createCluster } from '../../lib/index.js';
import { loadChartSvg } from '../../perf/lib/chart-svg.js';
import { LoadRun } from '../../perf/lib/open-load.js';
import { phaseMarkers, updateStepMarkers } from '../../perf/lib/update-steps.js';
import { chartMarkers } from '../fixtures/chart-markers.js';

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('a rolling update chart marks every step', async (t) => {
  const cluster = await createCluster({ nodes: 3, addresses: ['127.0.0.187', '127.0.0.188', '127.0.0.189'], gateway: { adminPort: false } });
  t.teardown(() => cluster.close());
  await cluster.createService({
    name: 'charted', image: 'whoami:1', replicas: 4, publish: ['18190:8080'], updateOrder: 'start-first',
    updateParallelism: 1, updateDelay: '300ms', updateMonitor: '200ms',
  });
  await cluster.waitForConvergence('charted', { timeoutMs: 20_000 });
  const load = new LoadRun({ url: 'http://127.0.0.187:18190/', mode: 'open', rate: 100, connections: 8, maxSeconds: 40, phase: 'before' });
  await new Promise((r) => setTimeout(r, 500));
  load.setPhase('during');
  await cluster.updateService('charted', { image: 'whoami:2' });
  await until('update completed', async () => (await cluster.service('charted')).UpdateStatus?.State === 'completed');
  load.setPhase('after');
  await new Promise((r) => setTimeout(r, 300));
  load.stop();
  const result = await load.done;
  const service = await cluster.service('charted');
  const fresh = (await cluster.tasks({ service: ['charted'] })).filter((x) => x.Spec.ContainerSpec.Image === 'whoami:2');
  t.equal(fresh.length, 4, 'four slots replaced');
  const markers = [...phaseMarkers(result.phases), ...updateStepMarkers('charted', fresh, service.UpdateStatus)];
  const svg = loadChartSvg({ title: 'charted', timeline: result.timeline, markers });
  const parsed = chartMarkers(svg);
  const steps = parsed.filter((m) => m.kind === 'update-step');
  t.equal(steps.length, 4, 'parallelism 1: one step per slot');
  for (const x of fresh) t.ok(steps.some((m) => m.title.includes(`charted.${x.Slot} `)), `charted.${x.Slot} is marked`);
  const started = Date.parse(service.UpdateStatus!.StartedAt!);
  const completed = Date.parse(service.UpdateStatus!.CompletedAt!);
  for (const m of steps) {
    const at = m.atMs;
    t.ok(at >= started - 5 && at <= completed, `step ${m.text} inside the update`);
  }
  t.same(parsed.filter((m) => m.kind === 'update').map((m) => m.text), ['start', 'done']);
  t.ok(result.timeline.buckets.length >= 4, 'the load drawn over time');
  t.ok(result.timeline.buckets.reduce((n, b) => n + b.ok, 0) > 100, 'requests answered during the run');
});
