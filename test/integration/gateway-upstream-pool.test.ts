/**
 * The gateway's own HTTP/1.1 upstream client (EndpointPool + UpstreamConnection) against real
 * loopback servers: response framings as Node's parser reads them, keep-alive reuse and its
 * limits, the connection bound and queue, connect failures, retiring, parse errors, cut
 * responses, timeouts and idle closes on the coarse tick, and request bodies.
 */
import t, { type Test } from 'tap';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { FakeClock } from '../../lib/clock.js';
import type { UpstreamConnection, UpstreamError, UpstreamRequest } from '../../gateway/upstream-connection.js';
import { ENDPOINT_DRAINED, EndpointPool, type EndpointPoolOptions } from '../../gateway/upstream-pool.js';
import { refusedPort, until } from '../fixtures/upstream-servers.js';

const HOST = '127.0.0.61';
const OPTS: EndpointPoolOptions = { connections: 4, connectTimeoutMs: 1_000, requestTimeoutMs: 1_000, keepAliveTimeoutMs: 1_000, keepAliveMaxTimeoutMs: 60_000 };

class Rec implements UpstreamRequest {
  upstreamBody: Readable | null = null;
  upstreamChunked = false;
  upstreamNoResponseBody: boolean;
  started = false;
  status = 0;
  headers: string[] = [];
  chunks: Buffer[] = [];
  ended = false;
  error: UpstreamError | undefined;
  conn: UpstreamConnection | undefined;
  readonly done: Promise<void>;
  private resolve!: () => void;
  constructor(readonly upstreamHead: string, method = 'GET') {
    this.upstreamNoResponseBody = method === 'HEAD';
    this.done = new Promise((r) => { this.resolve = r; });
  }
  get body(): string { return Buffer.concat(this.chunks).toString(); }
  onUpstreamStart(conn: UpstreamConnection): boolean { this.started = true; this.conn = conn; return true; }
  onUpstreamHead(status: number, _text: string, headers: string[]): void { this.status = status; this.headers = headers; }
  onUpstreamData(chunk: Buffer): boolean { this.chunks.push(chunk); return true; }
  onUpstreamEnd(last: Buffer | null): void { if (last) this.chunks.push(last); this.ended = true; this.resolve(); }
  onUpstreamError(err: UpstreamError): void { this.error = err; this.resolve(); }
}

const get = (path = '/', method = 'GET') => new Rec(`${method} ${path} HTTP/1.1\r\nHost: a\r\n\r\n`, method);

/** A raw server answering every request head with `answer(n)` (n counts the requests); `Connection: close` answers end the connection. */
async function rawServer(t: Test, answer: (n: number, head: string) => string | null) {
  let requests = 0;
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let at = buf.indexOf('\r\n\r\n'); at >= 0; at = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, at);
        buf = buf.slice(at + 4);
        const out = answer(++requests, head);
        if (out !== null && /\r\nConnection: close\r\n/i.test(out)) s.end(out);
        else if (out !== null) s.write(out);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, HOST, () => r()));
  t.teardown(() => { for (const s of sockets) s.destroy(); server.close(); });
  return { port: (server.address() as AddressInfo).port, get connections() { return connections; }, get requests() { return requests; }, sockets };
}

function pool(t: Test, port: number, over: Partial<EndpointPoolOptions> = {}) {
  const ticker = { tick: 0 };
  const p = new EndpointPool(HOST, port, { ...OPTS, ...over }, ticker, new FakeClock());
  t.teardown(() => p.destroy());
  return { p, ticker };
}

const many = Array.from({ length: 40 }, (_, i) => `X-H${i}: v${i}\r\n`).join('');
const cases: Array<{ name: string; reply: string; method?: string; status: number; body: string; reused: boolean; headers?: number }> = [
  { name: 'Content-Length', reply: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', status: 200, body: 'hello', reused: true },
  { name: 'chunked', reply: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n', status: 200, body: 'abcde', reused: true },
  { name: '100 Continue first', reply: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok', status: 201, body: 'ok', reused: true },
  { name: 'close-delimited', reply: 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil eof', status: 200, body: 'until eof', reused: false },
  { name: 'HEAD has no body', method: 'HEAD', reply: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', status: 200, body: '', reused: true },
  { name: '204', reply: 'HTTP/1.1 204 No Content\r\n\r\n', status: 204, body: '', reused: true },
  { name: '40 headers (flushed early by the parser)', reply: `HTTP/1.1 200 OK\r\n${many}Content-Length: 1\r\n\r\nx`, status: 200, body: 'x', reused: true, headers: 41 },
  { name: 'Keep-Alive: timeout=1', reply: 'HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 1\r\n\r\nx', status: 200, body: 'x', reused: false },
];

t.test('response framings', async (t) => {
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      const srv = await rawServer(t, (_n, head) => (head.startsWith('HEAD') || c.method !== 'HEAD' ? c.reply : null));
      const { p } = pool(t, srv.port);
      const r1 = get('/', c.method);
      p.dispatch(r1);
      await r1.done;
      t.equal(r1.error, undefined);
      t.equal(r1.status, c.status);
      t.equal(r1.body, c.body);
      if (c.headers) t.equal(r1.headers.length / 2, c.headers, 'every header');
      const r2 = get('/', c.method);
      p.dispatch(r2);
      await r2.done;
      t.equal(r2.status, c.status, 'the next request works too');
      t.equal(srv.connections, c.reused ? 1 : 2, c.reused ? 'over the same connection' : 'over a new connection');
    });
  }
});

t.test('the connection bound: requests beyond it wait for a free connection', async (t) => {
  let release: (() => void) | undefined;
  const srv = await rawServer(t, (n) => {
    const reply = `HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${n}`;
    if (n > 1) return reply;
    const s = [...srv.sockets][0]!;
    release = () => s.write(reply);
    return null;
  });
  const { p } = pool(t, srv.port, { connections: 1 });
  const [a, b] = [get('/a'), get('/b')];
  p.dispatch(a);
  p.dispatch(b);
  await until('a at the upstream', () => (release ? true : undefined));
  t.equal(p.queued, 1, 'b waits');
  t.notOk(b.started);
  release!();
  await Promise.all([a.done, b.done]);
  t.equal(a.body, '1');
  t.equal(b.body, '2');
  t.equal(srv.connections, 1);
});

t.test('connect refused: every queued request fails before it is sent', async (t) => {
  const { p } = pool(t, await refusedPort(HOST));
  const rs = [get(), get(), get()];
  for (const r of rs) p.dispatch(r);
  await Promise.all(rs.map((r) => r.done));
  for (const r of rs) {
    t.equal(r.error?.code, 'ECONNREFUSED');
    t.notOk(r.started, 'never started');
  }
  await until('every connection attempt over, none opened again', () => (p.size === 0 ? true : undefined));
  await new Promise((r) => setTimeout(r, 50));
  t.equal(p.size, 0, 'no reconnect loop');
});

t.test('retiring: queued requests come back ENDPOINT_DRAINED, the in-flight one completes, then close resolves', async (t) => {
  let release: (() => void) | undefined;
  const srv = await rawServer(t, () => { const s = [...srv.sockets][0]!; release = () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'); return null; });
  const { p } = pool(t, srv.port, { connections: 1 });
  const [a, b] = [get(), get()];
  p.dispatch(a);
  p.dispatch(b);
  await until('a sent', () => (release ? true : undefined));
  let closed = false;
  const closing = p.close().then(() => { closed = true; });
  await b.done;
  t.equal(b.error?.code, ENDPOINT_DRAINED);
  const c = get();
  p.dispatch(c);
  await c.done;
  t.equal(c.error?.code, ENDPOINT_DRAINED, 'no new request once retired');
  t.notOk(closed, 'still waiting for the in-flight request');
  release!();
  await a.done;
  t.equal(a.body, 'ok');
  await closing;
  t.equal(p.size, 0);
});

t.test('failures: a parse error, a cut response, no response in time, an idle connection past its limit', async (t) => {
  const bad = await rawServer(t, () => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Bad: a\u0001b\r\n\r\nok');
  const r1 = get();
  pool(t, bad.port).p.dispatch(r1);
  await r1.done;
  t.equal(r1.error?.code, 'HPE_INVALID_HEADER_TOKEN');
  t.equal(r1.status, 0, 'no head was delivered');

  const cut = await rawServer(t, () => { setTimeout(() => { for (const s of cut.sockets) s.destroy(); }, 20); return 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial'; });
  const r2 = get();
  pool(t, cut.port).p.dispatch(r2);
  await r2.done;
  t.equal(r2.status, 200);
  t.ok(r2.error, 'the cut response ends in an error, not an end');
  t.notOk(r2.ended);

  const silent = await rawServer(t, () => null);
  const s = pool(t, silent.port, { requestTimeoutMs: 1_000 });
  const r3 = get();
  s.p.dispatch(r3);
  await until('sent', () => (r3.started ? true : undefined));
  s.ticker.tick += 3;
  s.p.sweep(250);
  t.notOk(r3.error, 'not yet at 750 ms');
  s.ticker.tick += 1;
  s.p.sweep(250);
  await r3.done;
  t.equal(r3.error?.code, 'UND_ERR_HEADERS_TIMEOUT');

  const ok = await rawServer(t, () => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  const i = pool(t, ok.port, { keepAliveTimeoutMs: 1_000 });
  const r4 = get();
  i.p.dispatch(r4);
  await r4.done;
  t.equal(i.p.idleCount, 1);
  i.ticker.tick += 4;
  i.p.sweep(250);
  await until('idle connection closed', () => (i.p.size === 0 ? true : undefined));
  t.equal(i.p.idleCount, 0);
});

t.test('request bodies: a Content-Length body as is, an unknown length re-chunked', async (t) => {
  const seen: Array<{ te: string | undefined; cl: string | undefined; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => { seen.push({ te: req.headers['transfer-encoding'], cl: req.headers['content-length'], body }); res.end('done'); });
  });
  await new Promise<void>((r) => server.listen(0, HOST, () => r()));
  t.teardown(() => { server.closeAllConnections(); server.close(); });
  const { p } = pool(t, (server.address() as AddressInfo).port);
  const fixed = new Rec('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n');
  fixed.upstreamBody = Readable.from([Buffer.from('hello'), Buffer.from(' world')]);
  p.dispatch(fixed);
  await fixed.done;
  const chunked = new Rec('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
  chunked.upstreamBody = Readable.from([Buffer.from('abc'), Buffer.from(''), Buffer.from('defg')]);
  chunked.upstreamChunked = true;
  p.dispatch(chunked);
  await chunked.done;
  t.equal(fixed.body, 'done');
  t.equal(chunked.body, 'done');
  t.same(seen, [{ te: undefined, cl: '11', body: 'hello world' }, { te: 'chunked', cl: undefined, body: 'abcdefg' }]);
  t.equal(p.size, 1, 'both over one kept-alive connection');
});

t.test('trailers of a chunked response are dropped, and never leak into the next response\'s headers', async (t) => {
  const srv = await rawServer(t, (n) => (n === 1
    ? 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n'
    : `HTTP/1.1 200 OK\r\n${many}Content-Length: 1\r\n\r\nx`));
  const { p } = pool(t, srv.port);
  const r1 = get();
  p.dispatch(r1);
  await r1.done;
  t.equal(r1.body, 'ok');
  const names = (h: string[]) => h.filter((_, i) => i % 2 === 0);
  t.notOk(names(r1.headers).includes('X-T'), 'the trailer is not a header');
  const r2 = get();
  p.dispatch(r2);
  await r2.done;
  t.equal(r2.headers.length / 2, 41);
  t.notOk(names(r2.headers).includes('X-T'), 'nor a header of the next response');
  t.equal(srv.connections, 1);
});
