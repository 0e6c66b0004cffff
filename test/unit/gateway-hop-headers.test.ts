import t from 'tap';
import fc from 'fast-check';
import { clientIp, connectionTokens, forwardRequestHeaders, forwardResponseHeaders, isHopByHop } from '../../gateway/hop-headers.js';

function pairs(flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}
const get = (flat: string[], name: string) => pairs(flat).filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);

t.test('hop-by-hop request headers are stripped, end-to-end ones kept in order', async (t) => {
  const raw = ['Host', 'example.test', 'Connection', 'keep-alive, X-Secret', 'Keep-Alive', 'timeout=5', 'TE', 'trailers',
    'Transfer-Encoding', 'chunked', 'Proxy-Authorization', 'Basic x', 'Proxy-Connection', 'keep-alive', 'Trailer', 'X-T',
    'Upgrade', 'h2c', 'X-Secret', 'drop me', 'Accept', 'text/plain', 'Expect', '100-continue', 'Cookie', 'a=1', 'Cookie', 'b=2'];
  const out = forwardRequestHeaders(raw, { clientIp: '10.1.2.3' });
  t.same(pairs(out), [
    ['Host', 'example.test'], ['Accept', 'text/plain'], ['Cookie', 'a=1'], ['Cookie', 'b=2'],
    ['X-Forwarded-For', '10.1.2.3'], ['X-Forwarded-Proto', 'http'], ['X-Forwarded-Host', 'example.test'],
  ]);
});

t.test('X-Forwarded-For appends the client IP to what came in; Proto and Host are overwritten', async (t) => {
  const raw = ['host', 'h:9000', 'x-forwarded-for', '1.1.1.1', 'X-Forwarded-For', '2.2.2.2, 3.3.3.3', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'evil'];
  const out = forwardRequestHeaders(raw, { clientIp: '127.0.0.9' });
  t.same(get(out, 'x-forwarded-for'), ['1.1.1.1, 2.2.2.2, 3.3.3.3, 127.0.0.9']);
  t.same(get(out, 'x-forwarded-proto'), ['http']);
  t.same(get(out, 'x-forwarded-host'), ['h:9000']);
  t.same(get(out, 'host'), ['h:9000']);
});

t.test('no Host: no X-Forwarded-Host; a second Host is not forwarded', async (t) => {
  t.same(get(forwardRequestHeaders([], { clientIp: '1.2.3.4' }), 'x-forwarded-host'), []);
  t.same(get(forwardRequestHeaders(['Host', 'a', 'Host', 'b'], { clientIp: undefined }), 'host'), ['a']);
});

t.test('Connection cannot remove Host or Content-Length', async (t) => {
  const out = forwardRequestHeaders(['Host', 'a', 'Content-Length', '3', 'Connection', 'host, content-length'], { clientIp: undefined });
  t.same(get(out, 'host'), ['a']);
  t.same(get(out, 'content-length'), ['3']);
});

t.test('upgrade requests keep Upgrade and say Connection: Upgrade', async (t) => {
  const out = forwardRequestHeaders(['Host', 'a', 'Connection', 'keep-alive, Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k'], { clientIp: '1.2.3.4', upgrade: true });
  t.same(get(out, 'connection'), ['Upgrade']);
  t.same(get(out, 'upgrade'), ['websocket']);
  t.same(get(out, 'sec-websocket-key'), ['k']);
});

t.test('response headers: hop-by-hop stripped (Buffers from undici), Set-Cookie kept twice', async (t) => {
  const raw = ['Content-Type', 'text/plain', 'Connection', 'keep-alive, X-Internal', 'Keep-Alive', 'timeout=5', 'Transfer-Encoding', 'chunked',
    'X-Internal', 'x', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Content-Length', '5'].map((s) => Buffer.from(s, 'latin1'));
  t.same(pairs(forwardResponseHeaders(raw)), [['Content-Type', 'text/plain'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['Content-Length', '5']]);
  t.same(forwardResponseHeaders([Buffer.from('X-Latin'), Buffer.from([0xe9])]), ['X-Latin', '\u00e9'], 'bytes survive as latin1');
});

t.test('helpers', async (t) => {
  t.ok(isHopByHop('transfer-encoding'));
  t.notOk(isHopByHop('content-length'));
  t.same([...(connectionTokens(['connection', ' Close , X-A,,']) ?? [])], ['close', 'x-a']);
  t.equal(connectionTokens(['accept', '*/*']), undefined);
  t.equal(clientIp('::ffff:127.0.0.1'), '127.0.0.1');
  t.equal(clientIp('::1'), '::1');
  t.equal(clientIp(undefined), undefined);
});

/** The rules written plainly (every name lower-cased and looked up): what the fast scan must match. */
function reference(raw: string[], ip: string | undefined, upgrade: boolean): string[] {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== 'connection') continue;
    for (const tok of raw[i + 1]!.split(',')) { const x = tok.trim().toLowerCase(); if (x !== '' && x !== 'host' && x !== 'content-length') named.add(x); }
  }
  const drop = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'trailers',
    'transfer-encoding', 'upgrade', 'expect', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-for']);
  const out: string[] = [];
  const xff: string[] = [];
  let host: string | undefined;
  let up: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (lower === 'x-forwarded-for') xff.push(value);
    if (lower === 'upgrade') up ??= value;
    if (lower === 'host') { if (host !== undefined) continue; host = value; }
    if (drop.has(lower) || (lower !== 'host' && named.has(lower))) continue;
    out.push(raw[i]!, value);
  }
  if (upgrade && up !== undefined) out.push('Connection', 'Upgrade', 'Upgrade', up);
  if (ip !== undefined) xff.push(ip);
  if (xff.length > 0) out.push('X-Forwarded-For', xff.join(', '));
  out.push('X-Forwarded-Proto', 'http');
  if (host !== undefined) out.push('X-Forwarded-Host', host);
  return out;
}

t.test('property: forwardRequestHeaders (which lower-cases only names of a checked length) follows the plain rules', async (t) => {
  const names = ['Host', 'host', 'Connection', 'connection', 'Keep-Alive', 'TE', 'Upgrade', 'Expect', 'X-Forwarded-For', 'x-forwarded-proto',
    'X-Forwarded-Host', 'Content-Length', 'Accept', 'X-A', 'x-b', 'Proxy-Authorization', 'Trailer', 'Cookie', 'User-Agent', 'Transfer-Encoding', 'HOST', 'X-Abcdefghijklmno'];
  const value = fc.oneof(fc.constantFrom('keep-alive', 'close', 'x-a, X-B', 'Upgrade', 'a', '1, 2', 'x-abcdefghijklmno'), fc.stringMatching(/^[a-z0-9 ,=-]{0,12}$/));
  const raw = fc.array(fc.tuple(fc.constantFrom(...names), value), { maxLength: 12 }).map((p) => p.flat());
  fc.assert(fc.property(raw, fc.option(fc.constantFrom('127.0.0.1', '::1'), { nil: undefined }), fc.boolean(), (list, ip, upgrade) => {
    t.same(forwardRequestHeaders(list, { clientIp: ip, upgrade }), reference(list, ip, upgrade));
    return true;
  }), { numRuns: 300 });
});

t.test('property: forwardResponseHeaders keeps end-to-end headers in order, drops hop-by-hop and Connection-named ones', async (t) => {
  const names = ['Content-Type', 'Connection', 'Keep-Alive', 'Transfer-Encoding', 'Set-Cookie', 'X-A', 'x-b', 'Trailer', 'Upgrade', 'Date', 'Content-Length'];
  const value = fc.constantFrom('keep-alive', 'close', 'X-A', 'x-a, x-b', 'v', 'Keep-Alive', '12', '0');
  fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom(...names), value), { maxLength: 10 }), (pairsIn) => {
    const raw = pairsIn.flat();
    const named = new Set<string>();
    for (const [n, v] of pairsIn) if (n.toLowerCase() === 'connection') for (const tok of v.split(',')) named.add(tok.trim().toLowerCase());
    const want = pairsIn.filter(([n]) => !isHopByHop(n.toLowerCase()) && !named.has(n.toLowerCase())).flat();
    t.same(forwardResponseHeaders(raw), want);
    const length = { contentLength: -2 };
    t.same(forwardResponseHeaders(raw.map((h) => Buffer.from(h, 'latin1')), length), want, 'the same from Buffers');
    const cl = pairsIn.find(([n]) => n.toLowerCase() === 'content-length');
    const n = cl === undefined ? -1 : Number(cl[1]);
    t.equal(length.contentLength, Number.isInteger(n) && n >= 0 ? n : -1, 'the first Content-Length');
    return true;
  }), { numRuns: 300 });
});

t.test('forwardResponseHeaders leaves the first Content-Length, -1 when absent or not a length', async (t) => {
  const buf = (flat: string[]) => flat.map((s) => Buffer.from(s, 'latin1'));
  const cases: Array<[string[], number]> = [
    [['Content-Type', 'text/plain', 'Content-Length', '42'], 42],
    [['content-length', '0'], 0],
    [['Transfer-Encoding', 'chunked'], -1],
    [['Content-Length', 'abc'], -1],
    [['Content-Length', '-3'], -1],
    [['X-Content-Length', '7'], -1],
    [['Content-Length', '5', 'Content-Length', '6'], 5],
    [['Connection', 'x-a', 'X-A', '1', 'Content-Length', '9'], 9],
    [['Connection', 'content-length', 'Content-Length', '3'], 3],
    [['Connection', 'Upgrade, keep-alive', 'Content-Length', '4'], 4],
  ];
  for (const [raw, want] of cases) {
    const length = { contentLength: -2 };
    forwardResponseHeaders(buf(raw), length);
    t.equal(length.contentLength, want, raw.join(' '));
  }
  t.same(forwardResponseHeaders(buf(['Connection', 'Upgrade, keep-alive', 'Upgrade', 'h2c', 'Content-Length', '4'])), ['Content-Length', '4'],
    'a Connection header naming only hop-by-hop headers');
});
