import t from 'tap';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { encodeFrame, formatLogDetails, formatLogPayloads, formatLogTimestamp, queryEscape } from '../../lib/api/log-frames.js';
import type { LogEntry } from '../../lib/manager/control.js';

/** Decodes a buffer of stdcopy frames. */
function decodeFrames(buf: Buffer): Array<{ stream: number; payload: string }> {
  const out: Array<{ stream: number; payload: string }> = [];
  let off = 0;
  while (off < buf.length) {
    const size = buf.readUInt32BE(off + 4);
    out.push({ stream: buf[off]!, payload: buf.subarray(off + 8, off + 8 + size).toString('utf8') });
    off += 8 + size;
  }
  return out;
}

t.test('encodeFrame writes the 8-byte stdcopy header', async (t) => {
  const f = encodeFrame(2, 'hi\n');
  t.same([...f.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 3]);
  t.equal(f.subarray(8).toString(), 'hi\n');
  const big = encodeFrame(1, Buffer.alloc(70000, 0x61));
  t.same([...big.subarray(0, 8)], [1, 0, 0, 0, 0, 1, 0x11, 0x70]);
  t.equal(encodeFrame(3, '').length, 8);
  t.equal(encodeFrame(1, 'é').readUInt32BE(4), 2, 'size counts UTF-8 bytes');
});

t.test('frames round-trip (property)', async (t) => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom(1, 2, 3) as fc.Arbitrary<1 | 2 | 3>, fc.string())), (items) => {
    const buf = Buffer.concat(items.map(([s, p]) => encodeFrame(s, p)));
    assert.deepEqual(decodeFrames(buf), items.map(([stream, payload]) => ({ stream, payload })));
  }), { numRuns: 100 });
  t.pass('property held');
});

t.test('queryEscape matches Go url.QueryEscape', async (t) => {
  const table: Array<[string, string]> = [
    ['abcXYZ019', 'abcXYZ019'], ['-_.~', '-_.~'], ['a b', 'a+b'], ['a+b', 'a%2Bb'], ['a=b,c', 'a%3Db%2Cc'],
    ["!'()*", '%21%27%28%29%2A'], ['/?:@&$', '%2F%3F%3A%40%26%24'], ['é', '%C3%A9'], ['com.docker.swarm.node.id', 'com.docker.swarm.node.id'],
    ['\ud800', '%EF%BF%BD'],
  ];
  for (const [input, want] of table) t.equal(queryEscape(input), want, JSON.stringify(input));
});

t.test('queryEscape output is safe and reversible (property)', async (t) => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => {
    const e = queryEscape(s);
    assert.match(e, /^[A-Za-z0-9\-_.~%+]*$/);
    assert.equal(decodeURIComponent(e.replace(/\+/g, ' ')), s);
  }), { numRuns: 200 });
  t.pass('property held');
});

t.test('formatLogTimestamp is RFC3339Nano fixed width in UTC', async (t) => {
  t.equal(formatLogTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5, 67)), '2026-01-02T03:04:05.067000000Z');
  t.equal(formatLogTimestamp(0), '1970-01-01T00:00:00.000000000Z');
  fc.assert(fc.property(fc.integer({ min: 0, max: 253402300799999 }), (ms) => {
    const s = formatLogTimestamp(ms);
    assert.match(s, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.equal(Date.parse(s.replace(/(\.\d{3})\d{6}Z$/, '$1Z')), ms);
  }), { numRuns: 100 });
});

t.test('formatLogDetails sorts keys and escapes', async (t) => {
  t.equal(formatLogDetails({ b: 'x y', a: '1,2' }), 'a=1%2C2,b=x+y');
  t.equal(formatLogDetails({}), '');
});

t.test('formatLogPayloads: details, timestamps, one payload per line', async (t) => {
  const e: LogEntry = { stream: 'stdout', time: Date.UTC(2026, 0, 1), text: 'hello world', taskId: 'T1', serviceId: 'S1', nodeId: 'N 1' };
  t.same(formatLogPayloads(e, { details: false, timestamps: false }), ['hello world\n']);
  t.same(formatLogPayloads(e, { details: true, timestamps: false }),
    ['com.docker.swarm.node.id=N+1,com.docker.swarm.service.id=S1,com.docker.swarm.task.id=T1 hello world\n']);
  t.same(formatLogPayloads(e, { details: true, timestamps: true }),
    ['2026-01-01T00:00:00.000000000Z com.docker.swarm.node.id=N+1,com.docker.swarm.service.id=S1,com.docker.swarm.task.id=T1 hello world\n']);
  t.same(formatLogPayloads(e, { details: false, timestamps: true }), ['2026-01-01T00:00:00.000000000Z hello world\n']);
  t.same(formatLogPayloads({ ...e, text: 'a\nb\n' }, { details: false, timestamps: false }), ['a\n', 'b\n']);
  t.same(formatLogPayloads({ ...e, text: '' }, { details: false, timestamps: false }), ['\n']);
});
