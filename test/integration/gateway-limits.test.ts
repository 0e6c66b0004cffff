import t from 'tap';
import { createGateway } from '../../gateway/index.js';
import { FakeEndpointSource, endpoint, route } from '../fixtures/fake-endpoint-source.js';
import { rawExchange, startUpstream } from '../fixtures/upstream-servers.js';

const GW = '127.0.0.54';
const PORT = 18300;
const HEADERS_TIMEOUT = 500;

t.test('limits against slowloris, oversized heads and request smuggling', async (t) => {
  const u = await startUpstream('127.0.0.51', 'u1');
  t.teardown(() => u.close());
  const source = new FakeEndpointSource([route('web', PORT, [endpoint(u.host, u.port, { taskId: 'task-u1', slot: 1 })])]);
  const gw = createGateway({
    id: 'node-1', nodeId: 'node-1', hostname: 'node-1', addr: GW, source, processMetrics: false,
    limits: { headersTimeoutMs: HEADERS_TIMEOUT },
  });
  await gw.start();
  t.teardown(() => gw.close());
  const send = (data: string | string[], opts?: { gapMs?: number; waitMs?: number }) => rawExchange(GW, PORT, data, { waitMs: 500, ...opts });

  await t.test('a well-formed chunked POST goes through (the checks below can fail)', async (t) => {
    const r = await send('POST /ok HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    t.equal(r.status, 200);
    t.match(r.text, /"bodyBytes":3/);
    t.equal(u.requests.at(-1)?.url, '/ok');
  });

  await t.test('slowloris: a head sent byte by byte is cut off within the headers timeout', async (t) => {
    const before = u.hits;
    const head = 'GET /slow HTTP/1.1\r\nHost: a\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n';
    const r = await send([...head], { gapMs: 100, waitMs: 100 });
    t.ok(r.closed, 'the gateway closed the connection');
    t.ok(r.elapsedMs < HEADERS_TIMEOUT + 1_000, `closed after ${r.elapsedMs} ms (timeout ${HEADERS_TIMEOUT} ms, checked every 125 ms)`);
    t.equal(r.status, 408);
    t.equal(u.hits, before, 'nothing reached the upstream');
  });

  await t.test('a 20 KB header gets 431', async (t) => {
    const before = u.hits;
    const r = await send(`GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(20 * 1024)}\r\n\r\n`);
    t.equal(r.status, 431);
    t.ok(r.closed);
    t.equal(u.hits, before);
  });

  await t.test('more than 100 header fields get 431', async (t) => {
    const before = u.hits;
    const many = Array.from({ length: 101 }, (_, i) => `X-H${i}: v\r\n`).join('');
    const r = await send(`GET / HTTP/1.1\r\nHost: a\r\n${many}\r\n`);
    t.equal(r.status, 431);
    t.match(r.text, /too many header fields/);
    t.equal(u.hits, before);
  });

  await t.test('smuggling attempts get 400 and never reach a task', async (t) => {
    const cases: Array<[string, string]> = [
      ['CL + TE', 'Content-Length: 4\r\nTransfer-Encoding: chunked'],
      ['TE + CL', 'Transfer-Encoding: chunked\r\nContent-Length: 4'],
      ['TE chunked, identity', 'Transfer-Encoding: chunked, identity'],
      ['TE xchunked', 'Transfer-Encoding: xchunked'],
      ['TE twice', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked'],
      ['TE identity then chunked', 'Transfer-Encoding: identity\r\nTransfer-Encoding: chunked'],
      ['TE with a space before the colon', 'Transfer-Encoding : chunked'],
      ['TE gzip, chunked', 'Transfer-Encoding: gzip, chunked'],
      ['Content-Length twice', 'Content-Length: 4\r\nContent-Length: 5'],
      ['two Host headers', 'Host: b'],
    ];
    for (const [name, headers] of cases) {
      const before = u.hits;
      const r = await send(`POST /smuggle HTTP/1.1\r\nHost: a\r\n${headers}\r\n\r\n0\r\n\r\nGET /inner HTTP/1.1\r\nHost: a\r\n\r\n`);
      t.equal(r.status, 400, `${name}: 400`);
      t.ok(r.closed, `${name}: connection closed`);
      t.equal(u.hits, before, `${name}: the upstream saw nothing`);
    }
    t.notOk(u.requests.some((r) => r.url === '/smuggle' || r.url === '/inner'));
    t.match(await gw.registry.metrics(), /swarmlet_gateway_client_errors_total\{node="node-1",code="408"\} 1/);
  });

  await t.test('a rejected request in a pipeline: the answers before it, its 400, then a clean close', async (t) => {
    const good = (path: string) => `GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`;
    const bad = 'GET /bad HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n';
    const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    for (const [name, behind] of [['3 requests behind it', 3], ['3,000 requests behind it (more than one read)', 3_000]] as const) {
      const before = u.hits;
      const r = await send(good('/first') + bad + good('/after').repeat(behind), { waitMs: 2_000 });
      t.same(statuses(r.text), [200, 400], `${name}: the first request's answer, then the 400, nothing else`);
      t.ok(r.closed, `${name}: connection closed`);
      t.notOk(r.reset, `${name}: closed cleanly, not reset`);
      t.equal(u.hits, before + 1, `${name}: only the request before the rejected one reached the upstream`);
    }
    t.notOk(u.requests.some((r) => r.url === '/after' || r.url === '/bad'));

    // A request Node's parser refuses (not a method): the one before it still gets its own answer.
    const before = u.hits;
    const r = await send(good('/first-of-two') + 'N@T A METHOD\r\n\r\n' + good('/after').repeat(3), { waitMs: 2_000 });
    t.same(statuses(r.text), [200, 400], 'parse error: the answer of the request before it, then 400');
    t.match(r.text, /"url":"\/first-of-two"/, 'the 200 is the first request\'s own answer');
    t.ok(r.closed, 'parse error: connection closed');
    t.notOk(r.reset, 'parse error: closed cleanly, not reset');
    t.equal(u.hits, before + 1);
  });
});
