import t from 'tap';
import fc from 'fast-check';
import { decodeLogFrame, decodeLogStream, encodeFrame, FrameDecoder, parseDetails } from '../../lib/protocol/log-frames.js';

const DETAILS = 'com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1';

t.test('frames: 8-byte header, big-endian size, partial chunks', async (t) => {
  const bytes = Buffer.concat([encodeFrame(1, 'hello\n'), encodeFrame(2, 'oops\n')]);
  t.same([...bytes.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 6]);
  const d = new FrameDecoder();
  t.same(d.push(bytes.subarray(0, 5)), []);
  const frames = d.push(bytes.subarray(5, 20));
  t.equal(frames.length, 1);
  t.equal(frames[0]!.payload.toString(), 'hello\n');
  const rest = d.push(bytes.subarray(20));
  t.same(rest.map((f) => [f.stream, f.payload.toString()]), [[2, 'oops\n']]);
  t.equal(d.pending, 0);
});

t.test('property: any chunking decodes the same frames', async (t) => {
  const frame = fc.tuple(fc.constantFrom(1, 2), fc.string({ maxLength: 40 }));
  await fc.assert(fc.property(fc.array(frame, { maxLength: 8 }), fc.array(fc.nat(50), { maxLength: 10 }), (frames, cuts) => {
    const bytes = Buffer.concat(frames.map(([s, p]) => encodeFrame(s, p)));
    const d = new FrameDecoder();
    const out: Array<[number, string]> = [];
    let at = 0;
    for (const c of cuts) {
      const end = Math.min(bytes.length, at + c);
      for (const f of d.push(bytes.subarray(at, end))) out.push([f.stream, f.payload.toString()]);
      at = end;
    }
    for (const f of d.push(bytes.subarray(at))) out.push([f.stream, f.payload.toString()]);
    return JSON.stringify(out) === JSON.stringify(frames) && d.pending === 0;
  }));
});

t.test('a line with details (and timestamps) becomes a record', async (t) => {
  const rec = decodeLogFrame({ stream: 1, payload: Buffer.from(`${DETAILS} hello world\n`) }, { details: true, timestamps: false });
  t.same(rec, { stream: 'stdout', text: 'hello world', nodeId: 'n1', serviceId: 's1', taskId: 't1' });
  const ts = decodeLogFrame({ stream: 2, payload: Buffer.from(`2026-01-01T00:00:00.000000000Z ${DETAILS},x=a+b%2C ouch\n`) }, { details: true, timestamps: true });
  t.same(ts, { stream: 'stderr', time: '2026-01-01T00:00:00.000000000Z', text: 'ouch', nodeId: 'n1', serviceId: 's1', taskId: 't1', extra: { x: 'a b,' } });
  const raw = decodeLogFrame({ stream: 1, payload: Buffer.from('just text\r\n') }, { details: false, timestamps: false });
  t.same(raw, { stream: 'stdout', text: 'just text', nodeId: '', serviceId: '', taskId: '' });
});

t.test('stream 3 is an error from the daemon; bad details are errors', async (t) => {
  t.throws(() => decodeLogFrame({ stream: 3, payload: Buffer.from('Error grabbing logs: boom') }, { details: true, timestamps: false }),
    { message: 'error from daemon in stream: Error grabbing logs: boom' });
  t.throws(() => parseDetails('nonsense'), { message: /invalid details format/ });
  t.same(parseDetails(''), {});
});

t.test('decodeLogStream over chunks', async (t) => {
  async function* chunks() {
    const bytes = Buffer.concat([encodeFrame(1, `${DETAILS} a\n`), encodeFrame(2, `${DETAILS} b\n`)]);
    for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
  }
  const out = [];
  for await (const r of decodeLogStream(chunks(), { details: true, timestamps: false })) out.push([r.stream, r.text]);
  t.same(out, [['stdout', 'a'], ['stderr', 'b']]);
});
