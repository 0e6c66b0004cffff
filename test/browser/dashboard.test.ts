/**
 * The dashboard in a real browser (Debian's chromium via playwright-core) following the user's
 * sequence on a real cluster (whoami processes on 127.0.0.181-183, API on 127.0.0.181:27181):
 * create 3 replicas → 3 cards on 3 nodes; scale to 7 (through the page, confirmed); drain node-3
 * (through the page): its cards move; a rolling update to whoami:2 (through the page): the cards
 * change tag batch by batch; rollback (through the page): back to tag 1; logs of a task; a manager
 * restart (close, createCluster again on the same data dir and port): the page reconnects and
 * shows the cluster again. Screenshots of each step: test/artefacts/dashboard/.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createCluster, type Cluster } from '../../lib/index.js';
import { CHROMIUM, NO_CHROMIUM, artefactDir, buildUi, launchChromium } from './chromium.js';

const ADDRESSES = ['127.0.0.181', '127.0.0.182', '127.0.0.183'];
const LISTEN = '127.0.0.181:27181';

interface CardView { task: string; tag: string; state: string; desired: string; service: string }
interface ColumnView { node: string; availability: string; cards: CardView[] }

// A string, not a function: playwright would send the function's compiled text, which tsx may decorate.
const BOARD = `[...document.querySelectorAll('#board .node')].map((col) => ({
  node: col.dataset.node, availability: col.dataset.availability,
  cards: [...col.querySelectorAll('.card')].map((c) => ({ task: c.dataset.task, tag: c.dataset.tag, state: c.dataset.state, desired: c.dataset.desired, service: c.dataset.service })),
}))`;

const board = (page: Page) => page.evaluate(BOARD) as Promise<ColumnView[]>;
const live = (cards: CardView[]) => cards.filter((c) => c.desired === 'running' && c.state === 'running');
const liveCards = (cols: ColumnView[]) => cols.flatMap((c) => live(c.cards).map((x) => ({ ...x, node: c.node })));
const stats = (page: Page) => page.evaluate('window.swarmletUi.stats') as Promise<{ status: string; loads: number; firstRenderMs: number }>;

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Clicks an action button, checks the confirmation names the target, fills the value, confirms. */
async function confirmAction(page: Page, selector: string, expectText: RegExp, value?: string): Promise<void> {
  await page.click(selector);
  const dialog = page.locator('dialog#confirm');
  await dialog.waitFor({ state: 'visible' });
  const text = await dialog.locator('.question').textContent() ?? '';
  if (!expectText.test(text)) throw new Error(`confirmation says "${text}", expected ${expectText}`);
  if (value !== undefined) await dialog.locator('input').fill(value);
  await dialog.locator('button[value=ok]').click();
  await dialog.waitFor({ state: 'hidden' });
}

/** Records the number of live cards with `tag` until all `n` have it: the batches as the page showed them. */
async function watchTags(page: Page, tag: string, n: number, timeoutMs = 30_000): Promise<number[]> {
  const seen: number[] = [];
  await until(`${n} cards with tag ${tag}`, async () => {
    const cards = liveCards(await board(page)).filter((c) => c.service === 'toms');
    const count = cards.filter((c) => c.tag === tag).length;
    if (seen[seen.length - 1] !== count) seen.push(count);
    return cards.length === n && count === n;
  }, timeoutMs, 25);
  return seen;
}

// About 35 s on an idle 2-core machine; a loaded one (CI's parallel jobs) can take 2-3 times that.
t.setTimeout(240_000);

t.test('the dashboard follows a cluster live in chromium', { skip: CHROMIUM ? false : NO_CHROMIUM }, async (t) => {
  buildUi();
  const shots = artefactDir('dashboard');
  const dataDir = mkdtempSync(join(tmpdir(), 'swarmlet-ui-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const start = () => createCluster({ nodes: 3, addresses: ADDRESSES, dataDir, listen: LISTEN, gateway: { adminPort: false } });
  let cluster: Cluster = await start();
  t.teardown(() => cluster.close());
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`) });

  await page.goto(`${cluster.url}/ui`);
  await until('the stream live', async () => (await stats(page)).status === 'live');

  await t.test('create 3 replicas: 3 cards on 3 nodes', async (t) => {
    await cluster.createService({
      name: 'toms', image: 'whoami:1', replicas: 3, publish: ['18180:8080'],
      updateParallelism: 2, updateDelay: '300ms', updateMonitor: '200ms', rollbackParallelism: 2, rollbackDelay: '300ms', rollbackMonitor: '200ms',
    });
    const cols = await until('3 running cards', async () => { const b = await board(page); return liveCards(b).length === 3 ? b : undefined; });
    t.same(cols.map((c) => live(c.cards).length), [1, 1, 1], 'one card per node');
    t.same(liveCards(cols).map((c) => c.task).sort(), ['toms.1', 'toms.2', 'toms.3']);
    t.ok(liveCards(cols).every((c) => c.tag === '1'), 'tag 1');
    t.equal(await page.locator('tr[data-service=toms] td.ports').textContent(), '18180:8080/tcp', 'published port shown');
    await shot('1-create');
  });

  await t.test('scale to 7 through the page (cancel changes nothing, confirm scales)', async (t) => {
    await page.click('tr[data-service=toms] button[data-action=scale]');
    await page.locator('dialog#confirm input').fill('9');
    await page.click('dialog#confirm button[value=cancel]');
    t.equal((await cluster.service('toms')).Spec.Mode.Replicated?.Replicas, 3, 'cancelled: still 3');
    await confirmAction(page, 'tr[data-service=toms] button[data-action=scale]', /^Scale toms$/, '7');
    const cols = await until('7 running cards', async () => { const b = await board(page); return liveCards(b).length === 7 ? b : undefined; });
    t.equal((await cluster.service('toms')).Spec.Mode.Replicated?.Replicas, 7, 'the service was scaled');
    t.ok(Math.max(...cols.map((c) => live(c.cards).length)) <= 3, 'spread: no node holds more than 3');
    await until('the row says 7/7', async () => (await page.locator('tr[data-service=toms] td.replicas').textContent()) === '7/7');
    await shot('2-scale-7');
  });

  await t.test('drain node-3 through the page: its cards move', async (t) => {
    const before = liveCards(await board(page)).filter((c) => c.node === 'node-3').map((c) => c.task);
    t.ok(before.length > 0, `node-3 had ${before.join(', ')}`);
    await confirmAction(page, '.node[data-node=node-3] button[data-value=drain]', /^Set node-3 to drain\?/);
    const cols = await until('node-3 empty, 7 running elsewhere', async () => {
      const b = await board(page);
      const cards = liveCards(b);
      return cards.length === 7 && cards.every((c) => c.node !== 'node-3') ? b : undefined;
    });
    t.equal(cols.find((c) => c.node === 'node-3')?.availability, 'drain', 'the column shows drain');
    const moved = liveCards(cols).filter((c) => before.includes(c.task));
    t.same(moved.map((c) => c.task).sort(), [...before].sort(), 'the same task names now run elsewhere');
    const nodes = await cluster.nodes();
    t.equal(nodes.find((n) => n.Description.Hostname === 'node-3')?.Spec.Availability, 'drain', 'the node was drained');
    await shot('3-drain-node-3');
  });

  await t.test('rolling update through the page: cards change tag batch by batch', async (t) => {
    const watching = watchTags(page, '2', 7);
    await confirmAction(page, 'tr[data-service=toms] button[data-action=image]', /^Update the image of toms/, 'whoami:2');
    let midShot = false;
    const seen = await Promise.race([watching, (async () => {
      await until('a card with tag 2', async () => liveCards(await board(page)).some((c) => c.tag === '2'), 20_000, 25);
      await shot('4-update-in-flight');
      midShot = true;
      return watching;
    })()]);
    t.ok(midShot || seen.length > 2, 'a screenshot mid-update');
    t.ok(seen.filter((n) => n > 0 && n < 7).length >= 2, `the page showed the update in steps: ${seen.join(' → ')}`);
    t.ok(seen.every((n, i) => i === 0 || n >= seen[i - 1]! - 0), `never went back: ${seen.join(' → ')}`);
    await until('update completed in the row', async () => (await page.locator('tr[data-service=toms]').getAttribute('data-update')) === 'completed');
    t.match(await page.locator('tr[data-service=toms] td.update').textContent(), /7\/7 on the new spec/);
    await shot('5-update-completed');
  });

  await t.test('rollback through the page: back to tag 1', async (t) => {
    const watching = watchTags(page, '1', 7);
    await confirmAction(page, 'tr[data-service=toms] button[data-action=rollback]', /^Roll toms back/);
    const seen = await watching;
    t.ok(seen.filter((n) => n > 0 && n < 7).length >= 1, `the page showed the rollback in steps: ${seen.join(' → ')}`);
    await until('rollback completed in the row', async () => (await page.locator('tr[data-service=toms]').getAttribute('data-update')) === 'rollback_completed');
    t.equal((await cluster.service('toms')).Spec.TaskTemplate.ContainerSpec.Image, 'whoami:1');
    await shot('6-rollback');
  });

  await t.test('logs of a task and of the service, followed', async (t) => {
    await page.click('.card[data-task="toms.1"][data-desired=running] button[data-action=task-logs]');
    await until('a log line', async () => /whoami listening .* as toms\.1/.test(await page.locator('#logs pre').textContent() ?? ''));
    t.match(await page.locator('#logs .title').textContent(), /logs of toms\.1 \(following\)/);
    await shot('7-task-logs');
    await page.click('#logs button[data-action=close-logs]');
    t.equal(await page.locator('#logs').isHidden(), true, 'closed');
    await page.click('tr[data-service=toms] button[data-action=service-logs]');
    await until('lines of several tasks', async () => new Set([...(await page.locator('#logs pre').textContent() ?? '').matchAll(/as (toms\.\d+)/g)].map((m) => m[1])).size >= 3);
    t.match(await page.locator('#logs .title').textContent(), /logs of toms \(following\)/);
    await page.click('#logs button[data-action=close-logs]');
  });

  await t.test('a manager restart: the page reconnects', async (t) => {
    const loads = (await stats(page)).loads;
    await cluster.close();
    await until('the page notices', async () => (await stats(page)).status === 'reconnecting');
    await shot('8-manager-down');
    cluster = await start();
    await until('live again', async () => { const s = await stats(page); return s.status === 'live' && s.loads > loads; }, 20_000);
    const cols = await until('7 running cards after the restart', async () => { const b = await board(page); return liveCards(b).length === 7 ? b : undefined; }, 30_000);
    t.ok(liveCards(cols).every((c) => c.node !== 'node-3' && c.tag === '1'), 'node-3 still drained, tag 1');
    t.equal(await page.locator('#conn').textContent(), 'live');
    await shot('9-reconnected');
  });

  t.same(errors, [], 'no errors in the page');
});

t.test('with a client token required, the page asks for it once per browser session', { skip: CHROMIUM ? false : NO_CHROMIUM }, async (t) => {
  buildUi();
  const cluster = await createCluster({ nodes: 1, addresses: ['127.0.0.184'], listen: '127.0.0.184:27181', requireClientToken: true, gateway: false });
  t.teardown(() => cluster.close());
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.context.newPage();
  await page.goto(`${cluster.url}/ui/`);
  await page.locator('#login').waitFor({ state: 'visible' });
  t.equal((await stats(page)).status, 'unauthorized');
  await page.fill('#login input', 'not-the-token');
  await page.click('#login button[type=submit]');
  await until('refused', async () => (await page.locator('#login-error').textContent()) !== '' && (await stats(page)).status === 'unauthorized');
  t.match(await page.locator('#login-error').textContent(), /invalid client token/);
  await page.fill('#login input', cluster.clientToken()!);
  await page.click('#login button[type=submit]');
  await until('live with the token', async () => (await stats(page)).status === 'live');
  await until('node-1 shown', async () => (await page.locator('.node[data-node=node-1]').count()) === 1);
  t.equal(await page.locator('#login').isHidden(), true);
  await page.reload();
  await until('live after a reload without asking again', async () => (await stats(page)).status === 'live');
  t.equal(await page.locator('#login').isHidden(), true, 'the token was kept for the session');
});
