/**
 * The gateway's upstream side (undici Pools per endpoint, the exchange as undici's dispatch
 * handler, undici's request timeouts) against raw loopback servers: response framings, keep-alive
 * reuse and the upstream's Keep-Alive hint, the connection bound, trailers, request bodies as is
 * and re-chunked, a silent upstream timed out, and a slow but progressing one not.
 */
import t, { type Test } from 'tap';
import net, { type AddressInfo } from 'node:net';
import { Client } from 'undici';
import { createGateway, type GatewayOptions } from '../../gateway/index.js';
import { FakeEndpointSource, endpoint, route } from '../fixtures/fake-endpoint-source.js';
import { rawExchange } from '../fixtures/upstream-servers.js';

const UP = '127.0.0.63';
const GW = '127.0.0.64';
let nextPort = 18640;

interface Raw { port: number; readonly connections: number; readonly heads: string[]; readonly bodies: string[]; sockets: Set<net.Socket> }

/**
 * A raw upstream answering each request with `answer(n, head, body)` (null: no answer). It reads
 * a Content-Length or chunked body before answering; `Connection: close` answers end the connection.
 */
async function rawServer(t: Test, answer: (n: number, head: string, socket: net.Socket) => string | null): Promise<Raw> {
  const state = { connections: 0, heads: [] as string[], bodies: [] as string[], sockets: new Set<net.Socket>() };
  const server = net.createServer((s) => {
    state.connections++;
    state.sockets.add(s);
    s.on('close', () => state.sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (;;) {
        const at = buf.indexOf('\r\n\r\n');
        if (at < 0) return;
        const head = buf.slice(0, at);
        const body = readBody(head, buf.slice(at + 4));
        if (body === undefined) return;
        buf = body.rest;
        state.heads.push(head);
        state.bodies.push(body.body);
        const out = answer(state.heads.length, head, s);
        if (out !== null && /\r\nConnection: close\r\n/i.test(out)) s.end(out);
        else if (out !== null) s.write(out);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, UP, () => r()));
  t.teardown(() => { for (const s of state.sockets) s.destroy(); server.close(); });
  return Object.assign(state, { port: (server.address() as AddressInfo).port });
}

/** The body after a head (decoded when chunked) and what follows it, or undefined if incomplete. */
function readBody(head: string, after: string): { body: string; rest: string } | undefined {
  const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (cl) { const n = Number(cl[1]); return after.length < n ? undefined : { body: after.slice(0, n), rest: after.slice(n) }; }
  if (!/\r\ntransfer-encoding: *chunked/i.test(head)) return { body: '', rest: after };
  let body = '';
  let at = 0;
  for (;;) {
    const eol = after.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = parseInt(after.slice(at, eol), 16);
    if (size === 0) return after.length < eol + 4 ? undefined : { body, rest: after.slice(eol + 4) };
    if (after.length < eol + 2 + size + 2) return undefined;
    body += after.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

async function gateway(t: Test, upstreamPort: number, over: Partial<GatewayOptions> = {}) {
  const port = nextPort++;
  const source = new FakeEndpointSource([route('web', port, [endpoint(UP, upstreamPort, { taskId: 'task-1', slot: 1 })])]);
  const gw = createGateway({ id: 'node-1', nodeId: 'node-1', hostname: 'node-1', addr: GW, source, processMetrics: false, retries: 0, ...over });
  await gw.start();
  const client = new Client(`http://${GW}:${port}`, { pipelining: 0 });
  t.teardown(async () => { await client.destroy(); await gw.close(); });
  return { gw, port, client };
}

async function get(client: Client, method = 'GET') {
  const r = await client.request({ path: '/', method });
  return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
}

const many = Array.from({ length: 40 }, (_, i) => `X-H${i}: v${i}\r\n`).join('');
const cases: Array<{ name: string; reply: string; method?: string; status: number; body: string; reused: boolean; headers?: number }> = [
  { name: 'Content-Length', reply: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', status: 200, body: 'hello', reused: true },
  { name: 'chunked', reply: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n', status: 200, body: 'abcde', reused: true },
  { name: '103 Early Hints first (not forwarded)', reply: 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok', status: 201, body: 'ok', reused: true },
  // undici refuses a 100 Continue that was not asked for (the gateway never sends Expect upstream).
  { name: 'an unsolicited 100 Continue: 502', reply: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok', status: 502, body: 'bad gateway: connection reset by upstream\n', reused: false },
  { name: 'close-delimited', reply: 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil eof', status: 200, body: 'until eof', reused: false },
  // undici closes the connection after a HEAD (a server may wrongly send a body).
  { name: 'HEAD has no body', method: 'HEAD', reply: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', status: 200, body: '', reused: false },
  { name: '204', reply: 'HTTP/1.1 204 No Content\r\n\r\n', status: 204, body: '', reused: true },
  { name: '40 headers', reply: `HTTP/1.1 200 OK\r\n${many}Content-Length: 1\r\n\r\nx`, status: 200, body: 'x', reused: true, headers: 40 },
  { name: 'Keep-Alive: timeout=1 (too short to reuse)', reply: 'HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 1\r\n\r\nx', status: 200, body: 'x', reused: false },
];

t.test('response framings, and whether the upstream connection is reused', async (t) => {
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      const srv = await rawServer(t, () => c.reply);
      const { client } = await gateway(t, srv.port);
      for (const n of [1, 2]) {
        const r = await get(client, c.method);
        t.equal(r.status, c.status, `request ${n}: status`);
        t.equal(r.body, c.body, `request ${n}: body`);
        if (c.headers) t.equal(Object.keys(r.headers).filter((h) => h.startsWith('x-h')).length, c.headers, 'every header');
      }
      t.equal(srv.connections, c.reused ? 1 : 2, c.reused ? 'over the same connection' : 'over a new connection');
    });
  }
});

t.test('the connection bound: a request beyond it waits for the busy connection', async (t) => {
  let release: (() => void) | undefined;
  const srv = await rawServer(t, (n, _head, s) => {
    const reply = `HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${n}`;
    if (n > 1) return reply;
    release = () => s.write(reply);
    return null;
  });
  const { port } = await gateway(t, srv.port, { limits: { maxConnectionsPerEndpoint: 1 } });
  const a = new Client(`http://${GW}:${port}`);
  const b = new Client(`http://${GW}:${port}`);
  t.teardown(() => Promise.all([a.destroy(), b.destroy()]));
  const ra = get(a);
  const deadline = Date.now() + 5_000;
  while (release === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const rb = get(b);
  await new Promise((r) => setTimeout(r, 100));
  t.equal(srv.heads.length, 1, 'b has not reached the upstream');
  release!();
  t.same([(await ra).body, (await rb).body], ['1', '2']);
  t.equal(srv.connections, 1);
});

t.test('trailers of a chunked response are not forwarded, nor leak into the next response', async (t) => {
  const srv = await rawServer(t, (n) => (n === 1
    ? 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n'
    : 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx'));
  const { port } = await gateway(t, srv.port);
  const r1 = await rawExchange(GW, port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { waitMs: 300 });
  t.match(r1.text, /\r\n\r\n2\r\nok\r\n0\r\n\r\n$/, 'the chunked body ends without the trailer');
  t.notMatch(r1.text, /X-T: 1/);
  const r2 = await rawExchange(GW, port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { waitMs: 300 });
  t.notMatch(r2.text, /X-T/);
  t.equal(srv.connections, 1);
});

t.test('request bodies: a Content-Length body as is, a chunked one re-chunked', async (t) => {
  const srv = await rawServer(t, () => 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone');
  const { port } = await gateway(t, srv.port);
  const fixed = await rawExchange(GW, port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world', { waitMs: 300 });
  const chunked = await rawExchange(GW, port, ['POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n', '4\r\ndefg\r\n0\r\n\r\n'], { gapMs: 30, waitMs: 300 });
  t.equal(fixed.status, 200);
  t.equal(chunked.status, 200);
  t.same(srv.bodies, ['hello world', 'abcdefg']);
  t.match(srv.heads[0]!, /\r\ncontent-length: 11/i);
  t.match(srv.heads[1]!, /\r\ntransfer-encoding: chunked/i);
  t.notMatch(srv.heads[1]!, /content-length/i);
});

t.test('request timeout: a silent upstream gets 502, one that keeps sending does not', async (t) => {
  const limits = { headersTimeoutMs: 500, requestTimeoutMs: 500 };
  const silent = await rawServer(t, () => null);
  const s = await gateway(t, silent.port, { limits });
  const started = Date.now();
  const r = await get(s.client);
  const ms = Date.now() - started;
  t.equal(r.status, 502);
  t.equal(r.body, 'bad gateway: upstream response timeout\n');
  t.ok(ms >= 500 && ms < 2_000, `after ${ms} ms (timeout 500 ms; undici's timers tick every ~0.5 s)`);

  const slow = await rawServer(t, (_n, _head, sock) => {
    sock.write('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n');
    let i = 0;
    const timer = setInterval(() => { sock.write(String(i++)); if (i === 6) clearInterval(timer); }, 200);
    sock.on('close', () => clearInterval(timer));
    return null;
  });
  const p = await gateway(t, slow.port, { limits });
  const r2 = await get(p.client);
  t.same([r2.status, r2.body], [200, '012345'], '1.2 s of body, 200 ms apart, goes through');
});
