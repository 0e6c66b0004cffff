import t, { type Test } from 'tap';
import net from 'node:net';
import { Pool, request } from 'undici';
import { createGateway, type Gateway, type GatewayOptions } from '../../gateway/index.js';
import type { RouteEndpoint, ServiceRoute } from '../../lib/protocol/endpoint-table.js';
import { FakeEndpointSource, endpoint, route } from '../fixtures/fake-endpoint-source.js';
import { startUpstream, until, type Upstream, echoHandler } from '../fixtures/upstream-servers.js';

const GW = '127.0.0.54';
let nextPort = 18200;

async function gateway(t: Test, source: FakeEndpointSource, over: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const gw = createGateway({ id: 'node-1', nodeId: 'node-1', hostname: 'node-1', addr: GW, source, processMetrics: false, ...over });
  await gw.start();
  t.teardown(() => gw.close());
  return gw;
}

/** An upstream whose /slow requests wait until `release()`. */
async function slowUpstream(t: Test, host: string, name: string): Promise<Upstream & { release(): void; waiting(): number }> {
  let gate: () => void = () => {};
  let open = new Promise<void>((r) => { gate = r; });
  let waiting = 0;
  const u = await startUpstream(host, name, (req, res, self) => {
    if (req.url !== '/slow') { echoHandler(req, res, self); return; }
    waiting++;
    req.resume();
    void open.then(() => { waiting--; res.end(`slow from ${name}`); });
  });
  t.teardown(() => u.close());
  return Object.assign(u, {
    release: () => { gate(); open = new Promise<void>((r) => { gate = r; }); },
    waiting: () => waiting,
  });
}

const ep = (u: Upstream, slot: number, state: RouteEndpoint['state'] = 'active') =>
  endpoint(u.host, u.port, { taskId: `task-${u.name}`, slot, state });

t.test('draining: after the ack no new request reaches the endpoint; its in-flight request completes', async (t) => {
  const a = await slowUpstream(t, '127.0.0.51', 'a');
  const b = await slowUpstream(t, '127.0.0.52', 'b');
  const port = nextPort++;
  const routeWith = (stateA: RouteEndpoint['state']): ServiceRoute[] => [route('web', port, [ep(a, 1, stateA), ep(b, 2)])];
  const source = new FakeEndpointSource(routeWith('active'));
  await gateway(t, source);
  const client = new Pool(`http://${GW}:${port}`, { connections: 2 });
  t.teardown(() => client.close());

  const slow = client.request({ path: '/slow', method: 'GET' }); // round-robin starts at slot 1: a
  await until('the slow request in flight at a', () => (a.waiting() === 1 ? true : undefined));
  const v = source.publish(routeWith('draining'));
  await source.waitForAck(v);
  t.same(source.acks.map((x) => x.version), [1, v], 'each table acked once, in order');
  const hitsAtAck = a.hits;
  for (let i = 0; i < 50; i++) {
    const r = await client.request({ path: `/after-${i}`, method: 'GET' });
    t.equal(r.statusCode, 200);
    await r.body.dump();
  }
  t.equal(a.hits, hitsAtAck, 'no new request reached the draining endpoint');
  t.equal(b.requests.filter((r) => r.url.startsWith('/after-')).length, 50, 'all went to the active one');

  a.release();
  const r = await slow;
  t.equal(r.statusCode, 200, 'the in-flight request to the draining endpoint completed');
  t.equal(await r.body.text(), 'slow from a');
  await until('the draining endpoint\'s connections closed once idle', () => new Promise<true | undefined>((resolve) => {
    a.server.getConnections((_e, n) => resolve(n === 0 ? true : undefined));
  }));
  t.pass('its pool was closed');
});

t.test('an endpoint that comes back active gets requests again', async (t) => {
  const a = await slowUpstream(t, '127.0.0.51', 'a');
  const b = await slowUpstream(t, '127.0.0.52', 'b');
  const port = nextPort++;
  const source = new FakeEndpointSource([route('web', port, [ep(a, 1, 'draining'), ep(b, 2)])]);
  await gateway(t, source);
  for (let i = 0; i < 4; i++) await (await request(`http://${GW}:${port}/`)).body.dump();
  t.equal(a.hits, 0);
  await source.waitForAck(source.publish([route('web', port, [ep(a, 1), ep(b, 2)])]));
  for (let i = 0; i < 4; i++) await (await request(`http://${GW}:${port}/`)).body.dump();
  t.equal(a.hits, 2, 'round-robin includes it again');
});

t.test('listeners open and close as published ports come and go', async (t) => {
  const a = await slowUpstream(t, '127.0.0.51', 'a');
  const [p1, p2] = [nextPort++, nextPort++];
  const source = new FakeEndpointSource([route('web', p1, [ep(a, 1)])]);
  const gw = await gateway(t, source);
  t.same(gw.ports(), [p1]);
  source.publish([route('web', [p1, p2], [ep(a, 1)])]);
  await until('both ports', () => (gw.ports().length === 2 ? true : undefined));
  t.equal((await request(`http://${GW}:${p2}/`)).statusCode, 200, 'the new port routes');
  source.publish([route('api', p2, [ep(a, 1)])]);
  await until('p1 closed', () => (gw.ports().join() === String(p2) ? true : undefined));
  await t.rejects(request(`http://${GW}:${p1}/`), { code: 'ECONNREFUSED' }, 'the old port refuses');
  t.equal((await request(`http://${GW}:${p2}/`)).statusCode, 200);
  source.publish([]);
  await until('no port', () => (gw.ports().length === 0 ? true : undefined));
});

t.test('a port in use is counted, logged and bound once it is free', async (t) => {
  const a = await slowUpstream(t, '127.0.0.51', 'a');
  const port = nextPort++;
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(port, GW, () => resolve()));
  const source = new FakeEndpointSource([route('web', port, [ep(a, 1)])]);
  const gw = await gateway(t, source, { bindRetryMs: 100 });
  t.same(gw.ports(), [], 'not listening while the port is taken');
  t.match(await gw.registry.metrics(), /swarmlet_gateway_listener_bind_errors_total\{node="node-1"\} [1-9]/);
  await new Promise<void>((resolve) => squatter.close(() => resolve()));
  await until('the port bound on retry', () => (gw.ports().length === 1 ? true : undefined), 3_000);
  t.equal((await request(`http://${GW}:${port}/`)).statusCode, 200);
});

t.test('graceful close: no new connections, the in-flight request finishes', async (t) => {
  const a = await slowUpstream(t, '127.0.0.51', 'a');
  const port = nextPort++;
  const source = new FakeEndpointSource([route('web', port, [ep(a, 1)])]);
  const gw = createGateway({ id: 'node-1', nodeId: 'node-1', hostname: 'node-1', addr: GW, source, processMetrics: false });
  await gw.start();
  const client = new Pool(`http://${GW}:${port}`, { connections: 2 });
  t.teardown(() => client.close());
  const idle = await client.request({ path: '/warm', method: 'GET' }); // leaves an idle keep-alive connection
  await idle.body.dump();
  const slow = client.request({ path: '/slow', method: 'GET' });
  await until('in flight', () => (a.waiting() === 1 ? true : undefined));
  let closed = false;
  const closing = gw.close().then(() => { closed = true; });
  await until('the listener stops accepting', () => new Promise<true | undefined>((resolve) => {
    const s = net.connect(port, GW);
    s.on('error', () => resolve(true));
    s.on('connect', () => { s.destroy(); resolve(undefined); });
  }));
  t.notOk(closed, 'close waits for the in-flight request');
  a.release();
  const r = await slow;
  t.equal(r.statusCode, 200);
  t.equal(await r.body.text(), 'slow from a');
  t.equal(r.headers.connection, 'close', 'the response closes its connection');
  await closing;
  t.ok(closed);
  t.same(gw.ports(), []);
  t.equal(source.subscribers, 0, 'unsubscribed from the source');
});

t.test('a request queued in a draining endpoint\'s pool is sent elsewhere, not to it', async (t) => {
  const a = await slowUpstream(t, '127.0.0.51', 'a');
  const b = await slowUpstream(t, '127.0.0.52', 'b');
  const port = nextPort++;
  const source = new FakeEndpointSource([route('web', port, [ep(a, 1), ep(b, 2)])]);
  await gateway(t, source, { limits: { maxConnectionsPerEndpoint: 1 } });
  const client = new Pool(`http://${GW}:${port}`, { connections: 4 });
  t.teardown(() => client.close());
  const r1 = client.request({ path: '/slow', method: 'GET' }); // a, holding a's only upstream connection
  await until('r1 at a', () => (a.waiting() === 1 ? true : undefined));
  await (await client.request({ path: '/x', method: 'GET' })).body.dump(); // b
  const r3 = client.request({ path: '/queued', method: 'GET' }); // a again: waits in a's pool
  await new Promise((r) => setTimeout(r, 50));
  t.equal(a.hits, 1, 'r3 is still queued');
  await source.waitForAck(source.publish([route('web', port, [ep(a, 1, 'draining'), ep(b, 2)])]));
  a.release();
  t.equal(await (await r1).body.text(), 'slow from a', 'the in-flight request finished at a');
  const third = await r3;
  t.equal(third.statusCode, 200);
  t.equal((await third.body.json() as { name: string }).name, 'b', 'the queued request went to b');
  t.notOk(a.requests.some((r) => r.url === '/queued'), 'a never saw it');
});

t.test('table versions: older ones are ignored, unless the source failed (a restarted manager)', async (t) => {
  const a = await slowUpstream(t, '127.0.0.51', 'a');
  const b = await slowUpstream(t, '127.0.0.52', 'b');
  const port = nextPort++;
  const source = new FakeEndpointSource();
  source.publish([route('web', port, [ep(a, 1)])], 10);
  await gateway(t, source);
  const name = async () => (await (await request(`http://${GW}:${port}/`)).body.json() as { name: string }).name;
  source.publish([route('web', port, [ep(b, 1)])], 5);
  t.equal(await name(), 'a', 'version 5 after 10 is ignored');
  t.same(source.acks.map((x) => x.version), [10]);
  source.fail(new Error('stream lost'));
  source.publish([route('web', port, [ep(b, 1)])], 2);
  t.equal(await name(), 'b', 'after a source failure a lower version is taken');
  t.same(source.acks.map((x) => x.version), [10, 2]);
});
