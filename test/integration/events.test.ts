/**
 * GET /events on a real local cluster (2 nodes on 127.0.0.101-102, API on 127.0.0.101): the event
 * sequence of create / scale / update / drain / remove as a subscriber sees it, `since` replays,
 * `until` ending the stream, filters in both JSON forms, and the typed client/library streams.
 */
import t from 'tap';
import { request } from 'undici';
import { createCluster, events, type Cluster } from '../../lib/index.js';
import { createClient } from '../../lib/client/client.js';
import { decodeEvent, type EventMessage } from '../../lib/events/event-message.js';
import { formatUnixNanos } from '../../lib/events/event-time.js';

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Subscription {
  status: number;
  contentType: string | undefined;
  events: EventMessage[];
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** A raw HTTP subscriber: each line must be one complete JSON event. */
async function subscribe(base: string, query: Record<string, string> = {}): Promise<Subscription> {
  const abort = new AbortController();
  const qs = new URLSearchParams(query).toString();
  const res = await request(`${base}/events${qs ? `?${qs}` : ''}`, { signal: abort.signal });
  const got: EventMessage[] = [];
  const ended = (async () => {
    let pending = '';
    try {
      for await (const chunk of res.body) {
        pending += Buffer.from(chunk).toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const l of lines) got.push(decodeEvent(l));
      }
    } catch { /* aborted by us */ }
  })();
  const ct = res.headers['content-type'];
  return { status: res.statusCode, contentType: Array.isArray(ct) ? ct[0] : ct, events: got, ended, close: () => abort.abort() };
}

const describe = (e: EventMessage) => {
  const a = e.Actor.Attributes;
  const pairs = Object.keys(a).filter((k) => k.endsWith('.new')).sort().map((k) => `${k.slice(0, -4)}=${a[`${k.slice(0, -4)}.old`] ?? ''}→${a[k]}`);
  return `${e.Type} ${e.Action} ${a.name}${pairs.length ? ` ${pairs.join(' ')}` : ''}`;
};

t.test('events of a real cluster over HTTP', async (t) => {
  const cluster: Cluster = await createCluster({ addresses: ['127.0.0.101', '127.0.0.102'], listen: '127.0.0.101:0', gateway: false });
  let closed = false;
  t.teardown(async () => { if (!closed) await cluster.close(); });
  const base = cluster.url!;
  const [n1, n2] = (await cluster.nodes()).map((n) => n.ID) as [string, string];
  const start = formatUnixNanos(BigInt(Date.now()) * 1_000_000n - 1n);

  const all = await subscribe(base);
  t.equal(all.status, 200);
  t.equal(all.contentType, 'application/json');
  const services = await subscribe(base, { filters: JSON.stringify({ type: { service: true } }) });
  const nodesOnly = await subscribe(base, { filters: JSON.stringify({ type: ['node'] }) });
  const client = createClient({ host: base });
  t.teardown(() => client.close());
  const typedAbort = new AbortController();
  const typed: EventMessage[] = [];
  const typedDone = (async () => {
    // since: the request may connect after the first change; the replay covers that gap
    try { for await (const e of client.events({ since: start, filters: { service: ['ev'] }, signal: typedAbort.signal })) typed.push(e); } catch { /* aborted */ }
  })();
  const libAbort = new AbortController();
  const lib: EventMessage[] = [];
  const libDone = (async () => { for await (const e of events(cluster, { filters: { type: ['service'] }, signal: libAbort.signal })) lib.push(e); })();
  await new Promise((r) => setImmediate(r));

  await cluster.createService({ name: 'ev', image: 'whoami:1', replicas: 1 });
  await cluster.waitForConvergence('ev', { timeoutMs: 20_000 });
  await until('a task create event arrives at once', () => all.events.find((e) => e.Type === 'task' && e.Action === 'create'));
  await cluster.scaleService('ev', 3);
  await cluster.waitForConvergence('ev', { timeoutMs: 20_000 });
  await cluster.updateService('ev', { image: 'whoami:2', updateParallelism: 3 });
  await cluster.waitForConvergence('ev', { timeoutMs: 30_000 });
  await cluster.updateNode(n2, { availability: 'drain' });
  await until('tasks off node-2', async () => (await cluster.tasks({ service: ['ev'] })).every((x) => x.NodeID !== n2 || x.Status.State !== 'running'));
  await cluster.removeService('ev');
  await until('the remove event', () => services.events.find((e) => e.Action === 'remove'));

  await t.test('service events: create, scale, image update (updatestate), remove, in order', async (t) => {
    const seq = services.events.map(describe);
    t.equal(seq[0], 'service create ev');
    t.ok(seq.includes('service update ev replicas=1→3'), seq.join('\n'));
    const img = seq.findIndex((s) => s.includes('image=whoami:1→whoami:2'));
    t.ok(img > seq.indexOf('service update ev replicas=1→3'), 'image change after the scale');
    const starts = services.events.findIndex((e) => e.Actor.Attributes['updatestate.new'] === 'updating');
    t.ok(starts >= img, 'the rolling update starts with the image change');
    t.notOk('updatestate.old' in services.events[starts]!.Actor.Attributes, 'first update status: only updatestate.new, like moby');
    t.ok(seq.some((s) => s.includes('updatestate=updating→completed')), 'update completes');
    t.equal(seq[seq.length - 1], 'service remove ev');
    t.ok(services.events.every((e) => e.Type === 'service' && e.scope === 'swarm'));
    t.ok(services.events.every((e, i) => i === 0 || e.timeNano > services.events[i - 1]!.timeNano), 'timeNano increases');
  });

  await t.test('node events: the drain, and nothing else through type=node (array form)', async (t) => {
    t.strictSame(nodesOnly.events.map(describe), ['node update node-2 availability=active→drain']);
    t.equal(nodesOnly.events[0]!.Actor.ID, n2);
  });

  await t.test('task events: created, running, moved off the drained node, removed or shut down', async (t) => {
    const tasks = all.events.filter((e) => e.Type === 'task');
    t.ok(tasks.filter((e) => e.Action === 'create').length >= 6, '3 replicas + 3 updated replicas (+ drain replacements)');
    t.ok(tasks.some((e) => e.Actor.Attributes['state.new'] === 'running' && e.Actor.Attributes.service === 'ev'));
    t.ok(tasks.every((e) => /^ev\.[1-3]$/.test(e.Actor.Attributes.name ?? '')), 'named ev.<slot>');
    t.ok(tasks.some((e) => e.Actor.Attributes['node.id'] === n2 && e.Actor.Attributes['desiredstate.new'] === 'shutdown'), 'drained tasks are told to shut down');
    t.ok(tasks.some((e) => e.Actor.Attributes.node === 'node-1' && e.Actor.Attributes['node.id'] === n1));
    const kinds = new Set(all.events.map((e) => e.Type));
    t.strictSame([...kinds].sort(), ['node', 'service', 'task']);
  });

  await t.test('typed client stream (service=ev) and the library stream see the same service events', async (t) => {
    await until('typed streams caught up', () => typed.some((e) => e.Type === 'service' && e.Action === 'remove') && lib.some((e) => e.Action === 'remove'));
    t.strictSame(typed.filter((e) => e.Type === 'service').map(describe), services.events.map(describe));
    t.ok(typed.some((e) => e.Type === 'task'), 'service=ev also keeps its task events');
    t.ok(typed.every((e) => e.Type !== 'node'));
    t.strictSame(lib.map(describe), services.events.map(describe));
    t.strictSame(typed.filter((e) => e.Type === 'service').map((e) => e.timeNano), services.events.map((e) => e.timeNano), 'exact timeNano over the wire');
  });

  await t.test('since + until (past): the same events replayed, then the stream ends by itself', async (t) => {
    const replay = await subscribe(base, { since: start, until: formatUnixNanos(BigInt(Date.now()) * 1_000_000n), filters: '{"type":{"service":true}}' });
    await replay.ended;
    t.strictSame(replay.events.map(describe), services.events.map(describe));
    const rfc = await subscribe(base, { since: new Date(Date.now() - 60_000).toISOString(), until: '0s', filters: '{"event":["remove"],"type":["service"]}' });
    await rfc.ended;
    t.strictSame(rfc.events.map(describe), ['service remove ev'], 'RFC 3339 since and a duration until');
  });

  await t.test('until (future) ends the live stream on time', async (t) => {
    const t0 = Date.now();
    const live = await subscribe(base, { until: String((Date.now() + 800) / 1000) });
    await live.ended;
    const took = Date.now() - t0;
    t.ok(took >= 700 && took < 5000, `ended after ${took} ms`);
    // moby: `until` without `since` replays every kept event up to it
    t.strictSame(live.events.map(describe), all.events.map(describe), 'the kept events, and nothing new');
    const plain = await subscribe(base, { filters: '{"type":["service"]}' });
    await new Promise((r) => setTimeout(r, 200));
    plain.close();
    await plain.ended;
    t.strictSame(plain.events, [], 'no replay without since/until');
  });

  await t.test('bad parameters are 400 with docker-style messages', async (t) => {
    for (const [query, message] of [
      [{ since: 'whenever' }, /invalid since time "whenever"/],
      [{ since: '20', until: '10' }, /`since` time \(20\) cannot be after `until` time \(10\)/],
      [{ filters: '{"tpye":["service"]}' }, /invalid filter 'tpye'/],
      [{ filters: 'nope' }, /invalid filter/],
    ] as const) {
      const res = await request(`${base}/events?${new URLSearchParams(query)}`);
      t.equal(res.statusCode, 400, JSON.stringify(query));
      t.match(((await res.body.json()) as { message: string }).message, message);
    }
  });

  await t.test('a client going away and the server closing both end streams', async (t) => {
    services.close();
    await services.ended;
    typedAbort.abort();
    await typedDone;
    libAbort.abort();
    await libDone;
    const closing = cluster.close();
    closed = true;
    await Promise.all([all.ended, nodesOnly.ended]);
    await closing;
    t.pass('close() resolved with subscribers connected');
  });
});
