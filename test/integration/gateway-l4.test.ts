/**
 * The gateway at layer 4: TCP connections that are not HTTP (a TLS server checked with curl, a
 * server-first banner, a raw protocol), per-connection round-robin, connect retries, half-close,
 * drains and the idle timeout; UDP with per-client affinity replying from the published port.
 */
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { createGateway } from '../../gateway/index.js';
import { FakeEndpointSource, endpoint } from '../fixtures/fake-endpoint-source.js';
import { makeTestCerts, opensslAvailable } from '../fixtures/tls-certs.js';
import type { ServiceRoute } from '../../gateway/endpoint-table.js';

const GW = '127.0.0.66';
const UP = '127.0.0.67';
let nextPort = 18710;

function tcpRoute(name: string, published: number, endpoints: ServiceRoute['endpoints'], appProtocol?: 'http' | 'tcp'): ServiceRoute {
  return { serviceId: `svc-${name}`, name, ports: [{ published, target: 8080, protocol: 'tcp', ...(appProtocol ? { appProtocol } : {}) }], endpoints };
}

/** A TCP server that answers every chunk with `<name>:<chunk>`; with `banner`, greets first (server-first). */
async function tagServer(name: string, opts: { banner?: string } = {}) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    if (opts.banner) s.write(opts.banner);
    s.on('data', (d) => s.write(`${name}:${d.toString()}`));
    s.on('end', () => s.end(`${name}:bye`)); // half-close: answers after the client's FIN
  });
  await new Promise<void>((r) => server.listen(0, UP, r));
  const port = (server.address() as net.AddressInfo).port;
  return { name, port, sockets, close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }) };
}

/** Connects, sends `data` (if any), collects what comes back until `until` matches or the socket closes. */
function exchange(port: number, data: string | undefined, until: RegExp, opts: { end?: boolean } = {}): Promise<{ text: string; closed: boolean; ms: number }> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const s = net.connect({ host: GW, port, allowHalfOpen: true });
    let text = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`no ${until} within 5 s, got ${JSON.stringify(text)}`)); }, 5_000);
    const done = (closed: boolean) => { clearTimeout(timer); s.destroy(); resolve({ text, closed, ms: Date.now() - start }); };
    s.on('data', (d) => { text += d.toString(); if (until.test(text)) done(false); });
    s.on('close', () => done(true));
    s.on('end', () => done(true));
    s.on('error', () => {});
    s.on('connect', () => { if (data !== undefined) { if (opts.end) s.end(data); else s.write(data); } });
  });
}

async function startGateway(t: Test, routes: ServiceRoute[], over: Record<string, unknown> = {}) {
  const source = new FakeEndpointSource(routes);
  const gw = createGateway({ id: 'node-1', nodeId: 'node-1', hostname: 'node-1', addr: GW, source, processMetrics: false, ...over });
  await gw.start();
  t.teardown(() => gw.close());
  return { gw, source };
}

t.test('a raw TCP protocol: one task per connection, round-robin, bytes both ways', async (t) => {
  const a = await tagServer('a');
  const b = await tagServer('b');
  t.teardown(async () => { await a.close(); await b.close(); });
  const port = nextPort++;
  const { gw } = await startGateway(t, [tcpRoute('raw', port, [endpoint(UP, a.port, { taskId: 'ta', slot: 1 }), endpoint(UP, b.port, { taskId: 'tb', slot: 2 })])]);
  const seen: string[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await exchange(port, '*1\r\n$4\r\nPING\r\n', /:\*1/);
    seen.push(r.text.split(':')[0]!);
  }
  t.same(seen.sort(), ['a', 'a', 'b', 'b'], 'connections alternate between the tasks');
  const metrics = await gw.registry.metrics();
  t.match(metrics, /swarmlet_gateway_l4_connections_total\{node="node-1",service="raw"\} 4/);
  t.match(metrics, /swarmlet_gateway_l4_bytes_total\{node="node-1",service="raw",protocol="tcp",direction="in"\} 56/);
  t.match(metrics, /swarmlet_gateway_l4_bytes_total\{node="node-1",service="raw",protocol="tcp",direction="out"\} \d+/);
});

t.test('half-close: the client ends its half, the answer still comes back', async (t) => {
  const a = await tagServer('a');
  t.teardown(() => a.close());
  const port = nextPort++;
  await startGateway(t, [tcpRoute('raw', port, [endpoint(UP, a.port)])]);
  const r = await exchange(port, '\x00request', /a:bye/, { end: true });
  t.match(r.text, /a:\x00request/);
  t.match(r.text, /a:bye$/, 'the task saw the FIN and its last bytes reached the client');
});

t.test('a server-first protocol: the client sends nothing, the banner arrives after the short wait', async (t) => {
  const a = await tagServer('a', { banner: '220 smtp.example ESMTP\r\n' });
  t.teardown(() => a.close());
  const port = nextPort++;
  await startGateway(t, [tcpRoute('smtp', port, [endpoint(UP, a.port)])], { sniffTimeoutMs: 100 });
  const r = await exchange(port, undefined, /220 .*\r\n/);
  t.match(r.text, /^220 smtp.example ESMTP/);
  t.ok(r.ms >= 90 && r.ms < 2_000, `banner after ${r.ms} ms (wait 100 ms)`);
});

/** An HTTP server answering `<name> <method> <url> xff=<X-Forwarded-For>` (the header says the gateway proxied it at layer 7). */
async function httpTagServer(name: string) {
  const server = http.createServer((req, res) => res.end(`${name} ${req.method} ${req.url} xff=${String(req.headers['x-forwarded-for'] ?? '-')}\n`));
  await new Promise<void>((r) => server.listen(0, UP, r));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

t.test('a late HTTP client (request after the sniff wait) is still served at layer 7: every request balanced on its own', async (t) => {
  // The client's process may be busy between its connect and its first write (the manager runs in
  // it): a connection that says nothing within the wait is not yet known to be server-first.
  const a = await httpTagServer('a');
  const b = await httpTagServer('b');
  t.teardown(async () => { await a.close(); await b.close(); });
  const port = nextPort++;
  const { gw } = await startGateway(t, [tcpRoute('web', port, [endpoint(UP, a.port, { taskId: 'ta', slot: 1 }), endpoint(UP, b.port, { taskId: 'tb', slot: 2 })])], { sniffTimeoutMs: 50 });
  const s = net.connect({ host: GW, port });
  s.on('error', () => {});
  t.teardown(() => s.destroy());
  let text = '';
  s.on('data', (d) => { text += d.toString(); });
  await new Promise((r) => s.once('connect', r));
  await new Promise((r) => setTimeout(r, 300)); // six times the wait: the gateway has long decided
  const answers = async (n: number) => {
    const end = Date.now() + 5_000;
    while ((text.match(/[ab] GET \S+ xff=\S+\n/g) ?? []).length < n) {
      if (Date.now() > end || s.destroyed) throw new Error(`${n} answers expected, got ${JSON.stringify(text)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  s.write(`GET /one HTTP/1.1\r\nHost: ${GW}\r\n\r\n`);
  await answers(1);
  s.write(`GET /two HTTP/1.1\r\nHost: ${GW}\r\n\r\n`);
  await answers(2);
  const bodies = text.split(/\r?\n/).filter((l) => /^[ab] GET/.test(l));
  t.equal(bodies.length, 2, `two answers on one connection: ${JSON.stringify(text)}`);
  t.same(bodies.map((l) => l.split(' ')[0]).sort(), ['a', 'b'], 'per-request round-robin on one keep-alive connection (not pinned to a task)');
  t.ok(bodies.every((l) => /xff=127\.0\.0\.1$/.test(l)), 'proxied at layer 7 (X-Forwarded-For set)');
  t.notMatch(await gw.registry.metrics(), /swarmlet_gateway_l4_connections_total\{[^}]*service="web"\} [1-9]/, 'no layer-4 connection counted');
});

t.test('after the sniff wait: a client-first binary protocol is piped, a server-first one answered after its banner', async (t) => {
  const a = await tagServer('a');
  const banner = await tagServer('m', { banner: 'HELLO\r\n' });
  t.teardown(async () => { await a.close(); await banner.close(); });
  const late = nextPort++;
  const first = nextPort++;
  await startGateway(t, [tcpRoute('raw', late, [endpoint(UP, a.port)]), tcpRoute('mysqlish', first, [endpoint(UP, banner.port)])], { sniffTimeoutMs: 50 });
  const talk = (port: number, delayMs: number, data: string, until: RegExp) => new Promise<string>((resolve, reject) => {
    const s = net.connect({ host: GW, port });
    let text = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`no ${until} within 5 s, got ${JSON.stringify(text)}`)); }, 5_000);
    s.on('error', () => {});
    s.on('data', (d) => { text += d.toString(); if (until.test(text)) { clearTimeout(timer); s.destroy(); resolve(text); } });
    s.on('close', () => { clearTimeout(timer); reject(new Error(`closed, got ${JSON.stringify(text)}`)); });
    s.on('connect', () => setTimeout(() => s.write(data), delayMs));
  });
  t.equal(await talk(late, 250, '*1\r\n$4\r\nPING\r\n', /a:\*1\r\n\$4\r\nPING\r\n/), 'a:*1\r\n$4\r\nPING\r\n', 'late binary bytes reach the task unchanged');
  t.equal(await talk(first, 250, 'login\r\n', /m:login/), 'HELLO\r\nm:login\r\n', 'the banner, then the client\'s answer');
  t.equal(await talk(first, 250, 'GET / HTTP/1.1\r\n\r\n', /m:GET/), 'HELLO\r\nm:GET / HTTP/1.1\r\n\r\n', 'once the task spoke first, even an HTTP-looking line is its protocol\'s bytes');
});

t.test('app-protocol tcp: even an HTTP request line is piped as bytes', async (t) => {
  const a = await tagServer('a');
  t.teardown(() => a.close());
  const port = nextPort++;
  await startGateway(t, [tcpRoute('raw', port, [endpoint(UP, a.port)], 'tcp')]);
  const r = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', /a:GET/);
  t.match(r.text, /^a:GET \/ HTTP\/1\.1/, 'the task got the request line itself, not a proxied request');
});

t.test('connect failures are retried on another task; a draining task gets no new connection, its open one goes on', async (t) => {
  const a = await tagServer('a');
  const b = await tagServer('b');
  t.teardown(async () => { await a.close(); await b.close(); });
  const dead = net.createServer();
  await new Promise<void>((r) => dead.listen(0, UP, r));
  const deadPort = (dead.address() as net.AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  const port = nextPort++;
  const ea = endpoint(UP, a.port, { taskId: 'ta', slot: 1 });
  const eb = endpoint(UP, b.port, { taskId: 'tb', slot: 2 });
  const { source } = await startGateway(t, [tcpRoute('raw', port, [endpoint(UP, deadPort, { taskId: 'dead', slot: 0 }), ea, eb])]);
  for (let i = 0; i < 6; i++) {
    const r = await exchange(port, 'x', /:x/);
    t.match(r.text, /^[ab]:x/, `connection ${i} reached a live task`);
  }
  // An open connection to a, then a drains.
  const open = net.connect({ host: GW, port });
  let got = '';
  open.on('data', (d) => { got += d.toString(); });
  const which = await new Promise<string>((resolve) => { open.write('hello'); const i = setInterval(() => { if (got.includes(':hello')) { clearInterval(i); resolve(got[0]!); } }, 10); });
  const other = which === 'a' ? 'b' : 'a';
  const v = source.publish([tcpRoute('raw', port, [{ ...ea, state: which === 'a' ? 'draining' : 'active' }, { ...eb, state: which === 'b' ? 'draining' : 'active' }])]);
  await source.waitForAck(v);
  for (let i = 0; i < 4; i++) t.match((await exchange(port, 'y', /:y/)).text, new RegExp(`^${other}:y`), 'new connections go to the active task');
  got = '';
  open.write('again');
  await new Promise<void>((resolve) => { const i = setInterval(() => { if (got.includes(':again')) { clearInterval(i); resolve(); } }, 10); });
  t.equal(got, `${which}:again`, 'the open connection to the draining task still works');
  open.destroy();
});

t.test('an idle connection is closed after the idle timeout, not before', async (t) => {
  const a = await tagServer('a');
  t.teardown(() => a.close());
  const port = nextPort++;
  await startGateway(t, [tcpRoute('raw', port, [endpoint(UP, a.port)])], { l4IdleTimeoutMs: 400 });
  const start = Date.now();
  const r = await exchange(port, 'ping', /never/);
  t.ok(r.closed);
  const ms = Date.now() - start;
  t.ok(ms >= 350 && ms < 3_000, `closed after ${ms} ms of silence (timeout 400 ms)`);
});

t.test('a TLS server through the mesh, checked by curl --cacert', { skip: opensslAvailable() ? false : 'openssl is not installed' }, async (t) => {
  const certs = makeTestCerts([GW]);
  t.teardown(() => certs.cleanup());
  const server = https.createServer({ key: certs.key, cert: certs.cert }, (_req, res) => res.end('hello over tls\n'));
  await new Promise<void>((r) => server.listen(0, UP, r));
  t.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const port = nextPort++;
  await startGateway(t, [tcpRoute('tls', port, [endpoint(UP, (server.address() as net.AddressInfo).port)])]);
  const { stdout } = await promisify(execFile)('curl', ['-sS', '--max-time', '10', '--cacert', certs.caFile, `https://${GW}:${port}/`]);
  t.equal(stdout, 'hello over tls\n');
  await t.rejects(promisify(execFile)('curl', ['-sS', '--max-time', '10', '--cacert', certs.otherCaFile, `https://${GW}:${port}/`]),
    'another CA fails the handshake: the certificate is the task\'s own, end to end');
});

t.test('UDP: per-client affinity, replies from the published port, a new task once the flow expired', async (t) => {
  const echo = async (name: string) => {
    const s = dgram.createSocket('udp4');
    s.on('message', (m, r) => s.send(`${name}:${m.toString()}`, r.port, r.address));
    await new Promise<void>((r) => s.bind(0, UP, r));
    return { name, port: s.address().port, close: () => new Promise<void>((r) => s.close(() => r())) };
  };
  const a = await echo('a');
  const b = await echo('b');
  t.teardown(async () => { await a.close(); await b.close(); });
  const port = nextPort++;
  const route: ServiceRoute = { serviceId: 'svc-dns', name: 'dns', ports: [{ published: port, target: 53, protocol: 'udp' }],
    endpoints: [endpoint(UP, a.port, { taskId: 'ta', slot: 1 }), endpoint(UP, b.port, { taskId: 'tb', slot: 2 })] };
  const { gw } = await startGateway(t, [route], { udpFlowIdleMs: 500 });
  t.same(gw.udpPorts?.(), [port]);
  const client = async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const ask = (text: string) => new Promise<{ text: string; from: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no UDP answer within 2 s')), 2_000);
      s.once('message', (m, r) => { clearTimeout(timer); resolve({ text: m.toString(), from: r.port }); });
      s.send(text, port, GW);
    });
    return { ask, close: () => s.close() };
  };
  const c1 = await client();
  const c2 = await client();
  t.teardown(() => { c1.close(); c2.close(); });
  // A flow may legitimately expire between two datagrams of a client when a loaded machine stalls
  // for the idle time (500 ms): a change of task is accepted only when that much time passed.
  const stays = async (c: typeof c1, first: string, prefix: string, n: number, from: number): Promise<string> => {
    let task = first;
    let sentBefore = from;
    for (let i = 1; i < n; i++) {
      const sent = Date.now();
      const { text } = await c.ask(`${prefix}${i}`);
      const gap = Date.now() - sentBefore;
      if (text.startsWith(`${task}:`)) t.equal(text, `${task}:${prefix}${i}`, 'the same client stays on its task');
      else {
        t.ok(gap >= 500, `a new task only after the flow could expire (${gap} ms without a datagram at most)`);
        task = text.split(':')[0]!;
      }
      sentBefore = sent;
    }
    return task;
  };
  const sent1 = Date.now();
  const first = await c1.ask('q0');
  t.equal(first.from, port, 'the reply comes from the published port');
  const task1 = first.text.split(':')[0]!;
  const c1Task = await stays(c1, task1, 'q', 5, sent1);
  const sent2 = Date.now();
  const task2 = (await c2.ask('r0')).text.split(':')[0]!;
  t.not(task2, c1Task, 'another client gets the next task');
  await stays(c2, task2, 'r', 3, sent2);
  await new Promise((r) => setTimeout(r, 800));
  const after = (await c1.ask('later')).text.split(':')[0];
  t.ok(after === 'a' || after === 'b', `after the flow expired the client was picked again (${after})`);
  const metrics = await gw.registry.metrics();
  t.match(metrics, /swarmlet_gateway_udp_datagrams_total\{node="node-1",service="dns",direction="in"\} 9/);
  t.match(metrics, /swarmlet_gateway_udp_datagrams_total\{node="node-1",service="dns",direction="out"\} 9/);
});
