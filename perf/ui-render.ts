/**
 * Scenario: the dashboard's rendering cost in chromium (Debian's, via playwright-core) with 1,000
 * tasks on 50 nodes (20 services × 50), against a stand-in API (perf/lib/ui-stub-api.ts) so only
 * the page is measured. Figures: time to first render (navigation → the board drawn, with the
 * loads) and the first render alone; the page's main-thread cost per event (applying it, the
 * renders it causes, the fetch of the changed task) one event at a time; then a burst — every
 * task replaced as in a fast rolling update (3,000 events) — its cost per event and the time until
 * the board shows every new card. Skips (not measured) without /usr/bin/chromium.
 *
 *   node --import tsx perf/ui-render.ts [--json] [--quick]
 */
import type { Page } from 'playwright-core';
import { CHROMIUM, buildUi, launchChromium } from '../test/browser/chromium.js';
import { parseArgs } from './lib/args.js';
import { quantile } from './lib/latency.js';
import { Report } from './lib/report.js';
import { startStubApi, stubCluster, type StubTask } from './lib/ui-stub-api.js';

const NODES = 50;
const SERVICES = 20;
const PER_SERVICE = 50;
const TASKS = SERVICES * PER_SERVICE;

interface Stats { firstRenderMs: number; events: number; eventMs: number; renders: number; renderMs: number; lastRenderMs: number; fetches: number }
const stats = (page: Page) => page.evaluate('window.swarmletUi.stats') as Promise<Stats>;
const cardCount = (page: Page, sel: string) => page.evaluate(`document.querySelectorAll(${JSON.stringify(sel)}).length`) as Promise<number>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000, everyMs = 5): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

let nano = BigInt(Date.now()) * 1_000_000n;
function taskEvent(action: string, t: StubTask, attrs: Record<string, string>): object {
  nano += 1000n;
  return { Type: 'task', Action: action, Actor: { ID: t.ID, Attributes: { 'service.id': t.ServiceID, 'node.id': t.NodeID, slot: String(t.Slot), ...attrs } }, scope: 'swarm', time: Math.floor(Date.now() / 1000), timeNano: Number(nano) };
}

async function main(): Promise<void> {
  const args = parseArgs();
  const report = new Report('ui-render');
  if (!CHROMIUM) {
    report.notMeasured('firstRender', 'time to first render (1,000 tasks, 50 nodes)', 'ms', 'no /usr/bin/chromium (apt-get install chromium)');
    report.finish(args.json);
    return;
  }
  const cluster = stubCluster(NODES, SERVICES, PER_SERVICE);
  const api = await startStubApi(cluster, buildUi());
  const browser = await launchChromium({ width: 1600, height: 1000 });
  try {
    const page = await browser.context.newPage();
    report.heading(`the dashboard in ${CHROMIUM}: ${TASKS} tasks (${SERVICES} services × ${PER_SERVICE}) on ${NODES} nodes, stand-in API`);
    await page.goto(`${api.url}/ui/`);
    await until('the first render with every card', async () => (await cardCount(page, '#board .card')) === TASKS);
    const first = await stats(page);
    report.figure('firstRender', 'navigation → first render (loads included)', first.firstRenderMs, 'ms', { target: { op: '<=', value: 2000 } });
    report.figure('firstRenderOnly', 'the first render alone (1,000 cards, 50 columns)', first.renderMs, 'ms');

    // One event at a time: a task goes starting → running (its card changes state twice).
    const n = args.quick ? 20 : 60;
    const tasks = [...cluster.tasks.values()];
    const costs: number[] = [];
    const shown: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = tasks[(i * 37) % tasks.length]!;
      const next = t.Status.State === 'running' ? 'starting' : 'running';
      const before = await stats(page);
      t.Status = { State: next, Timestamp: new Date().toISOString() };
      t.Version = { Index: t.Version.Index + 1 };
      const t0 = performance.now();
      await api.emit([taskEvent('update', t, { 'state.old': next === 'running' ? 'starting' : 'running', 'state.new': next })]);
      await until('the card updated', async () => (await page.evaluate(`document.querySelector('.card[data-id="${t.ID}"]').dataset.state`)) === next);
      shown.push(performance.now() - t0);
      await until('the fetch and its render', async () => { const s = await stats(page); return s.fetches > before.fetches && s.renders >= before.renders + 2; });
      const after = await stats(page);
      costs.push(after.eventMs - before.eventMs + after.renderMs - before.renderMs);
    }
    costs.sort((a, b) => a - b);
    shown.sort((a, b) => a - b);
    report.figure('eventCostMedian', `one event: page main-thread cost (apply + renders), median of ${n}`, quantile(costs, 0.5), 'ms', { target: { op: '<=', value: 16 } });
    report.figure('eventCostP95', 'one event: page main-thread cost, p95', quantile(costs, 0.95), 'ms');
    report.figure('eventShownMedian', 'one event: stream write → card changed (as polled), median', quantile(shown, 0.5), 'ms');

    // A burst: every task replaced (old: desired shutdown, new: created with whoami:2, old: shutdown).
    const before = await stats(page);
    const t0 = performance.now();
    const batches = 10;
    const per = TASKS / batches;
    let k = 0;
    for (let b = 0; b < batches; b++) {
      const events: object[] = [];
      for (const old of tasks.slice(b * per, (b + 1) * per)) {
        old.DesiredState = 'shutdown';
        events.push(taskEvent('update', old, { 'desiredstate.old': 'running', 'desiredstate.new': 'shutdown', state: old.Status.State }));
        const fresh: StubTask = { ...old, ID: `new${String(++k).padStart(6, '0')}`, Version: { Index: 1 }, CreatedAt: new Date().toISOString(), DesiredState: 'running',
          Status: { State: 'running', Timestamp: new Date().toISOString() }, Spec: { ContainerSpec: { Image: 'whoami:2' } }, SpecVersion: { Index: 2 } };
        cluster.tasks.set(fresh.ID, fresh);
        events.push(taskEvent('create', fresh, { state: 'running', desiredstate: 'running' }));
        old.Status = { State: 'shutdown', Timestamp: new Date().toISOString() };
        old.Version = { Index: old.Version.Index + 1 };
        events.push(taskEvent('update', old, { 'state.old': 'running', 'state.new': 'shutdown' }));
      }
      await api.emit(events);
      await sleep(100);
    }
    await until('every new card shown', async () => (await cardCount(page, '#board .card[data-tag="2"]')) === TASKS && (await cardCount(page, '#board .card')) === TASKS, 60_000, 20);
    const settled = performance.now() - t0;
    await sleep(300);
    const after = await stats(page);
    const events = after.events - before.events;
    const busy = after.eventMs - before.eventMs + after.renderMs - before.renderMs;
    report.figure('burstEvents', 'burst: events (1,000 tasks replaced in 10 batches, 100 ms apart)', events, 'events');
    report.figure('burstCostPerEvent', 'burst: page main-thread cost per event', busy / events, 'ms', { target: { op: '<=', value: 1 } });
    report.figure('burstRenders', 'burst: renders (at most one per frame)', after.renders - before.renders, 'renders');
    report.figure('burstSettled', 'burst: first write → every new card shown', settled, 'ms');
    report.note('costs are the page\'s own timings (performance.now around applying events and rendering); the fetches of changed tasks are batched (50 ms) and not counted as main-thread time while in flight');
  } finally {
    await browser.close();
    await api.close();
  }
  report.finish(args.json);
}

await main();
