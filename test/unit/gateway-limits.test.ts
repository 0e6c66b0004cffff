import t from 'tap';
import type { IncomingMessage } from 'node:http';
import { checkRequest, resolveLimits, serverOptions, statusForClientError, type BodyFraming } from '../../gateway/limits.js';

const limits = resolveLimits();

/** Just the fields checkRequest reads, the way Node fills them. */
function req(raw: string[]): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    headers[k] = headers[k] === undefined || k === 'host' || k === 'content-length' ? (headers[k] ?? raw[i + 1]!) : `${headers[k]}, ${raw[i + 1]}`;
  }
  return { rawHeaders: raw, headers } as unknown as IncomingMessage;
}

t.test('defaults', async (t) => {
  t.same(limits, {
    maxHeaderSize: 16 * 1024, maxHeadersCount: 100, headersTimeoutMs: 10_000, requestTimeoutMs: 300_000,
    keepAliveTimeoutMs: 65_000, upstreamConnectTimeoutMs: 3_000, maxConnectionsPerEndpoint: 64,
  });
  t.equal(resolveLimits({ headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 }).requestTimeoutMs, 5_000, 'request timeout never below headers timeout');
});

t.test('server options: never the insecure parser; timeouts checked often enough', async (t) => {
  const o = serverOptions(resolveLimits({ headersTimeoutMs: 500 }));
  t.equal(o.insecureHTTPParser, false);
  t.equal(o.headersTimeout, 500);
  t.equal(o.connectionsCheckingInterval, 125);
  t.equal(serverOptions(limits).connectionsCheckingInterval, 1_000);
  t.equal(o.maxHeaderSize, 16 * 1024);
  t.equal(o.requireHostHeader, true);
});

t.test('table: requests rejected before anything is forwarded, and the body framing of the others', async (t) => {
  const many = Array.from({ length: 101 }, (_, i) => [`X-H${i}`, 'v']).flat();
  const cases: Array<[string, string[], number | BodyFraming]> = [
    ['plain GET', ['Host', 'a'], 'none'],
    ['chunked body', ['Host', 'a', 'Transfer-Encoding', 'chunked'], 'chunked'],
    ['chunked in capitals', ['Host', 'a', 'Transfer-Encoding', 'Chunked'], 'chunked'],
    ['Content-Length body', ['Host', 'a', 'Content-Length', '3'], 'length'],
    ['Content-Length 0', ['Host', 'a', 'content-length', '0'], 'none'],
    ['X-Content-Length is not a length', ['Host', 'a', 'X-Content-Length', '5'], 'none'],
    ['CL + TE', ['Host', 'a', 'Content-Length', '3', 'Transfer-Encoding', 'chunked'], 400],
    ['TE chunked, identity', ['Host', 'a', 'Transfer-Encoding', 'chunked, identity'], 400],
    ['TE identity then chunked (two headers)', ['Host', 'a', 'Transfer-Encoding', 'identity', 'Transfer-Encoding', 'chunked'], 400],
    ['TE chunked twice', ['Host', 'a', 'Transfer-Encoding', 'chunked', 'Transfer-Encoding', 'chunked'], 400],
    ['TE xchunked', ['Host', 'a', 'Transfer-Encoding', 'xchunked'], 400],
    ['TE gzip, chunked', ['Host', 'a', 'Transfer-Encoding', 'gzip, chunked'], 400],
    ['two Host headers', ['Host', 'a', 'host', 'b'], 400],
    ['100 headers', many.slice(0, 200), 'none'],
    ['101 headers', many, 431],
  ];
  for (const [name, raw, want] of cases) {
    const got = checkRequest(req(raw), limits);
    t.equal(typeof got === 'string' ? got : got.status, want, name);
  }
});

t.test('parse errors: 431 for oversized heads, 408 for timeouts, 400 otherwise', async (t) => {
  t.equal(statusForClientError('HPE_HEADER_OVERFLOW'), 431);
  t.equal(statusForClientError('ERR_HTTP_REQUEST_TIMEOUT'), 408);
  t.equal(statusForClientError('HPE_CHUNK_EXTENSIONS_OVERFLOW'), 413);
  t.equal(statusForClientError('HPE_UNEXPECTED_CONTENT_LENGTH'), 400);
  t.equal(statusForClientError(undefined), 400);
});
