import t, { type Test } from 'tap';
import { Readable } from 'node:stream';
import { Client, Pool, request } from 'undici';
import { createGateway, type Gateway, type GatewayOptions } from '../../gateway/index.js';
import type { RouteEndpoint } from '../../lib/protocol/endpoint-table.js';
import { FakeEndpointSource, endpoint, route } from '../fixtures/fake-endpoint-source.js';
import {
  enableUpgradeEcho, rawExchange, refusedPort, startUpstream, until, type Upstream,
} from '../fixtures/upstream-servers.js';

const GW = '127.0.0.54';
const HOSTS = ['127.0.0.51', '127.0.0.52', '127.0.0.53'];
let nextPort = 18100;

interface Rig { gw: Gateway; source: FakeEndpointSource; port: number; url: string }

async function rig(t: Test, endpoints: RouteEndpoint[], over: Partial<GatewayOptions> = {}): Promise<Rig> {
  const port = nextPort++;
  const source = new FakeEndpointSource([route('web', port, endpoints)]);
  const gw = createGateway({ id: 'node-1', nodeId: 'node-1', hostname: 'node-1', addr: GW, source, processMetrics: false, ...over });
  await gw.start();
  t.teardown(() => gw.close());
  return { gw, source, port, url: `http://${GW}:${port}` };
}

async function upstreams(t: Test, n = 3): Promise<Upstream[]> {
  const ups = await Promise.all(HOSTS.slice(0, n).map((h, i) => startUpstream(h, `u${i + 1}`)));
  t.teardown(() => Promise.all(ups.map((u) => u.close())));
  return ups;
}

const eps = (ups: Upstream[]) => ups.map((u, i) => endpoint(u.host, u.port, { taskId: `task-${u.name}`, slot: i + 1 }));

async function metric(gw: Gateway, prefix: string): Promise<number | undefined> {
  const line = (await gw.registry.metrics()).split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

t.test('round-robin: 3,000 requests over a keep-alive client reach each of 3 upstreams 1,000 ± 10 times', async (t) => {
  const ups = await upstreams(t);
  const { url, gw } = await rig(t, eps(ups));
  const client = new Pool(url, { connections: 4 });
  t.teardown(() => client.close());
  let next = 0;
  const statuses = new Map<number, number>();
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < 3000) {
      next++;
      const r = await client.request({ path: '/spread', method: 'GET' });
      await r.body.dump();
      statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
    }
  }));
  t.same([...statuses], [[200, 3000]], 'every request answered 200');
  for (const u of ups) t.ok(Math.abs(u.hits - 1000) <= 10, `${u.name} got ${u.hits}`);
  t.equal(await metric(gw, 'swarmlet_gateway_upstream_requests_total{node="node-1",service="web",slot="2"}'), ups[1]!.hits, 'spread per slot in metrics');
  t.equal(await metric(gw, 'swarmlet_gateway_requests_total{node="node-1",service="web",method="GET",code="2xx"}'), 3000);
  t.ok((await metric(gw, 'swarmlet_gateway_open_connections{node="node-1"}'))! <= 4, 'the client kept its connections alive');
});

t.test('X-Forwarded-* headers, the client IP, Host kept', async (t) => {
  const [u] = await upstreams(t, 1);
  const { port } = await rig(t, eps([u!]));
  const client = new Client(`http://${GW}:${port}`, { localAddress: '127.0.0.77' });
  t.teardown(() => client.close());
  const r = await client.request({ path: '/who?x=1', method: 'GET', headers: { host: 'app.example:9000', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' } });
  const body = await r.body.json() as { url: string; headers: Record<string, string> };
  t.equal(body.url, '/who?x=1', 'path and query unchanged');
  t.equal(body.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.77', 'client IP appended');
  t.equal(body.headers['x-forwarded-proto'], 'http');
  t.equal(body.headers['x-forwarded-host'], 'app.example:9000');
  t.equal(body.headers.host, 'app.example:9000');
});

t.test('hop-by-hop headers are stripped both ways', async (t) => {
  const [u] = await upstreams(t, 1);
  u!.handler = (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'keep-alive, X-Internal', 'x-internal': 'secret', 'keep-alive': 'timeout=5', 'x-app': 'yes' }).end('ok');
  };
  const { port } = await rig(t, eps([u!]));
  const reply = await rawExchange(GW, port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Drop\r\nX-Drop: 1\r\nKeep-Alive: 300\r\n'
    + 'TE: trailers\r\nProxy-Authorization: Basic eA==\r\nProxy-Connection: keep-alive\r\nX-Keep: 2\r\n\r\n', { waitMs: 300 });
  t.equal(reply.status, 200);
  const seen = u!.requests[0]!.headers;
  for (const h of ['x-drop', 'keep-alive', 'te', 'proxy-authorization', 'proxy-connection']) t.equal(seen[h], undefined, `${h} not forwarded`);
  t.equal(seen['x-keep'], '2');
  const head = reply.text.split('\r\n\r\n')[0]!.toLowerCase();
  t.notMatch(head, /x-internal/, 'a header the upstream named in Connection is not passed on');
  t.match(head, /x-app: yes/);
  t.match(head, /keep-alive: timeout=65/, 'the gateway speaks its own keep-alive to the client');
});

t.test('bodies stream both ways without buffering (20 MB each way)', async (t) => {
  const [u] = await upstreams(t, 1);
  const MB = 1024 * 1024;
  let firstUpstreamByteAt = 0;
  let releaseDownload: () => void = () => {};
  const downloadGate = new Promise<void>((r) => { releaseDownload = r; });
  u!.handler = (req, res) => {
    if (req.url === '/upload') {
      let n = 0;
      req.on('data', (c: Buffer) => { if (n === 0) firstUpstreamByteAt = Date.now(); n += c.length; });
      req.on('end', () => res.end(String(n)));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(20 * MB) });
    res.write(Buffer.alloc(64 * 1024, 1));
    void downloadGate.then(async () => {
      const chunk = Buffer.alloc(64 * 1024, 2);
      for (let sent = 64 * 1024; sent < 20 * MB; sent += chunk.length) {
        if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
      }
      res.end();
    });
  };
  const { url } = await rig(t, eps([u!]));

  // Upload: the upstream sees the first bytes while the client still holds back the rest.
  let releaseUpload: () => void = () => {};
  const uploadGate = new Promise<void>((r) => { releaseUpload = r; });
  async function* body() {
    yield Buffer.alloc(64 * 1024, 1);
    await uploadGate;
    for (let i = 1; i < 320; i++) yield Buffer.alloc(64 * 1024, 1);
  }
  const upload = request(`${url}/upload`, { method: 'POST', body: Readable.from(body()) });
  await until('the first upload bytes upstream', () => (firstUpstreamByteAt > 0 ? true : undefined));
  t.pass('upstream got bytes before the client sent the rest');
  releaseUpload();
  const up = await upload;
  t.equal(await up.body.text(), String(20 * MB), 'all 20 MB arrived upstream');

  // Download: the client reads the first bytes while the upstream still holds back the rest.
  const down = await request(`${url}/download`);
  let received = 0;
  for await (const chunk of down.body) {
    if (received === 0) releaseDownload();
    received += (chunk as Buffer).length;
  }
  t.equal(down.statusCode, 200);
  t.equal(received, 20 * MB, 'all 20 MB arrived at the client');
});

t.test('503 with a short text when the service has no healthy task', async (t) => {
  const { url, source, port } = await rig(t, []);
  const r = await request(url);
  t.equal(r.statusCode, 503);
  t.match(r.headers['content-type'], /^text\/plain/);
  t.equal((await r.body.text()).trim(), 'no healthy task for service web');
  source.publish([route('web', port, [endpoint('127.0.0.51', 1, { state: 'draining' })])]);
  t.equal((await request(url)).statusCode, 503, 'draining endpoints do not count');
});

t.test('502 when the only upstream refuses connections', async (t) => {
  const dead = await refusedPort('127.0.0.51');
  const { url } = await rig(t, [endpoint('127.0.0.51', dead)]);
  const r = await request(url);
  t.equal(r.statusCode, 502);
  t.equal((await r.body.text()).trim(), 'bad gateway: connection refused');
});

t.test('a refused endpoint: retried on another, ejected, skipped, back after the backoff', async (t) => {
  const ups = await upstreams(t, 2);
  const deadPort = await refusedPort('127.0.0.53');
  const dead = endpoint('127.0.0.53', deadPort, { taskId: 'task-dead', slot: 1 });
  const { url, gw } = await rig(t, [dead, ...eps(ups).map((e, i) => ({ ...e, slot: i + 2 }))],
    { ejection: { consecutiveFailures: 3, backoffMs: 1_500 } });
  for (let i = 0; i < 30; i++) {
    const r = await request(`${url}/r${i}`);
    await r.body.dump();
    t.equal(r.statusCode, 200, `GET ${i} succeeded`);
  }
  t.equal(await metric(gw, 'swarmlet_gateway_ejections_total{node="node-1",service="web"}'), 1, 'ejected once');
  t.equal(await metric(gw, 'swarmlet_gateway_upstream_connect_errors_total{node="node-1",service="web"}'), 3, 'only 3 connect failures: skipped after that');
  t.equal(await metric(gw, 'swarmlet_gateway_retries_total{node="node-1",service="web"}'), 3);
  t.equal(ups[0]!.hits + ups[1]!.hits, 30);
  t.equal(await metric(gw, 'swarmlet_gateway_upstream_endpoints{node="node-1",service="web",state="ejected"}'), 1);

  const back = await startUpstream('127.0.0.53', 'back', undefined, deadPort);
  t.teardown(() => back.close());
  await until('the endpoint back in rotation after the backoff', async () => {
    const r = await request(url);
    await r.body.dump();
    return back.hits > 0 ? true : undefined;
  }, 5_000);
  t.pass('requests reach the endpoint again');
});

t.test('a request that never reached a task tries every endpoint (a dead node takes several), beyond the retry budget', async (t) => {
  const ups = await upstreams(t, 1);
  const dead = await Promise.all([0, 1, 2].map(() => refusedPort('127.0.0.53')));
  const deadEps = dead.map((p, i) => endpoint('127.0.0.53', p, { taskId: `task-dead-${i}`, slot: i + 1 }));
  const { url, gw } = await rig(t, [...deadEps, { ...eps(ups)[0]!, slot: 4 }], { ejection: { consecutiveFailures: 100, backoffMs: 1_500 } });
  for (let i = 0; i < 4; i++) {
    const r = await request(`${url}/d${i}`);
    await r.body.dump();
    t.equal(r.statusCode, 200, `GET ${i}: answered by the one live task`);
  }
  t.equal(ups[0]!.hits, 4);
  t.ok((await metric(gw, 'swarmlet_gateway_retries_total{node="node-1",service="web"}') ?? 0) >= 3, 'the first GET needed 3 retries (the budget is 2)');
  const { url: none } = await rig(t, [...deadEps, { ...eps(ups)[0]!, slot: 4 }], { retries: 0, ejection: { consecutiveFailures: 100 } });
  const r = await request(none);
  await r.body.dump();
  t.equal(r.statusCode, 502, 'retries: 0 still means no retry at all');
});

t.test('a POST whose body was sent is never retried; a GET and an unsent POST are', async (t) => {
  const ups = await upstreams(t, 2);
  const [resetting, good] = ups as [Upstream, Upstream];
  resetting.handler = (req) => { req.resume(); req.on('end', () => req.socket.destroy()); };
  const { url } = await rig(t, eps(ups));
  const post = await request(url, { method: 'POST', body: 'order #1' });
  t.equal(post.statusCode, 502, 'the POST fails');
  t.equal((await post.body.text()).trim(), 'bad gateway: connection reset by upstream');
  t.equal(good.requests.filter((r) => r.method === 'POST').length, 0, 'and was not sent again elsewhere');
  t.equal(resetting.requests.length, 1);

  // Cursor is now on `good`; one GET there, then the next GET goes to `resetting` and is retried.
  await (await request(url)).body.dump();
  const get = await request(url);
  t.equal(get.statusCode, 200, 'an idempotent GET is retried after a reset');
  t.equal((await get.body.json() as { name: string }).name, good.name);

  const deadPort = await refusedPort('127.0.0.53');
  const { url: url2 } = await rig(t, [endpoint('127.0.0.53', deadPort, { taskId: 'dead', slot: 1 }), endpoint(good.host, good.port, { taskId: 'good', slot: 2 })]);
  const unsent = await request(url2, { method: 'POST', body: 'order #2' });
  t.equal(unsent.statusCode, 200, 'a POST that never reached a task is retried');
  t.equal((await unsent.body.json() as { bodyBytes: number }).bodyBytes, 8, 'with its whole body');
});

t.test('an upstream failing mid-response: the client response is cut, not completed', async (t) => {
  const [u] = await upstreams(t, 1);
  u!.handler = (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-length': '1000' });
    res.write('partial');
    setTimeout(() => res.socket?.destroy(), 20);
  };
  const { url } = await rig(t, eps([u!]));
  const r = await request(url);
  t.equal(r.statusCode, 200);
  await t.rejects(r.body.text(), 'the body errors instead of ending short');
});

t.test('Upgrade (WebSocket-style) passes through to one endpoint, bytes echo back', async (t) => {
  const [u] = await upstreams(t, 1);
  enableUpgradeEcho(u!);
  const { port } = await rig(t, eps([u!]));
  const reply = await rawExchange(GW, port, [
    'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\nSec-WebSocket-Key: k\r\n\r\n', 'hello ', 'world',
  ], { gapMs: 50, waitMs: 300 });
  t.match(reply.text, /^HTTP\/1\.1 101 Switching Protocols/);
  t.match(reply.text, /X-Upstream: u1/);
  t.ok(reply.text.endsWith('hello world'), 'echoed bytes');
  const seen = u!.requests[0]!;
  t.equal(seen.headers.upgrade, 'echo');
  t.equal(seen.headers.connection, 'Upgrade');
  t.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
});

t.test('an upgrade to a refused endpoint is retried on another; with none left the client gets 502', async (t) => {
  const [u] = await upstreams(t, 1);
  enableUpgradeEcho(u!);
  const deadPort = await refusedPort('127.0.0.53');
  const { port, source } = await rig(t, [endpoint('127.0.0.53', deadPort, { taskId: 'dead', slot: 1 }), ...eps([u!]).map((e) => ({ ...e, slot: 2 }))]);
  const head = 'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n';
  const ok = await rawExchange(GW, port, [head, 'ping'], { gapMs: 50, waitMs: 200 });
  t.match(ok.text, /^HTTP\/1\.1 101 /);
  t.ok(ok.text.endsWith('ping'));
  source.publish([route('web', port, [endpoint('127.0.0.53', deadPort, { taskId: 'dead', slot: 1 })])]);
  const bad = await rawExchange(GW, port, head, { waitMs: 500 });
  t.equal(bad.status, 502);
  t.match(bad.text, /bad gateway: connection refused/);
});

t.test('HEAD, Expect: 100-continue, and a client that goes away mid-request', async (t) => {
  const [u] = await upstreams(t, 1);
  let aborted = 0;
  u!.handler = (req, res) => {
    if (req.url === '/hang') { req.resume(); res.on('close', () => { aborted++; }); return; }
    let n = 0;
    req.on('data', (c: Buffer) => { n += c.length; });
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(String(n).length) }).end(String(n)));
  };
  const { port, url, gw } = await rig(t, eps([u!]));
  const head = await request(url, { method: 'HEAD' });
  t.equal(head.statusCode, 200);
  t.equal(head.headers['content-length'], '1');
  t.equal(await head.body.text(), '');

  const cont = await rawExchange(GW, port, ['POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n', 'hello'], { gapMs: 100, waitMs: 300 });
  t.match(cont.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  t.ok(cont.text.endsWith('\r\n\r\n5'), 'the body went through after 100 Continue');

  const ac = new AbortController();
  const hanging = request(`${url}/hang`, { signal: ac.signal });
  await until('the request upstream', () => (u!.requests.some((r) => r.url === '/hang') ? true : undefined));
  ac.abort();
  await t.rejects(hanging);
  await until('the upstream request aborted too', () => (aborted === 1 ? true : undefined));
  await until('nothing in flight', async () => ((await metric(gw, 'swarmlet_gateway_requests_in_flight{node="node-1",service="web"}')) === 0 ? true : undefined));
  t.pass('the gateway cancelled the upstream request');
});

t.test('an upstream response Node cannot forward (invalid header bytes) gets 502, not a reset', async (t) => {
  const { createServer } = await import('node:net');
  const bad = createServer((s) => {
    s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Bad: a\u0001b\r\n\r\nok'));
  });
  await new Promise<void>((resolve) => bad.listen(0, '127.0.0.51', () => resolve()));
  t.teardown(() => bad.close());
  const { url } = await rig(t, [endpoint('127.0.0.51', (bad.address() as { port: number }).port, { taskId: 'bad', slot: 1 })]);
  const r = await request(url);
  t.equal(r.statusCode, 502);
  t.match(await r.body.text(), /^bad gateway: /);
});
