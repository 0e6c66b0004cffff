import t from 'tap';
import type { IncomingMessage } from 'node:http';
import { bodyFraming, contentLength, hasBody } from '../../gateway/body-framing.js';

const req = (rawHeaders: string[]) => ({ rawHeaders }) as unknown as IncomingMessage;
const buf = (flat: string[]) => flat.map((s) => Buffer.from(s, 'latin1'));

t.test('bodyFraming: none, a known length, or chunked (which wins over a length)', async (t) => {
  const cases: Array<[string[], string]> = [
    [['Host', 'a'], 'none'],
    [['Content-Length', '0'], 'none'],
    [['content-length', '12'], 'length'],
    [['Transfer-Encoding', 'chunked'], 'chunked'],
    [['Content-Length', '5', 'transfer-encoding', 'chunked'], 'chunked'],
    [['X-Content-Length', '5'], 'none'],
  ];
  for (const [raw, want] of cases) {
    t.equal(bodyFraming(req(raw)), want, raw.join(' '));
    t.equal(hasBody(req(raw)), want !== 'none');
  }
});

t.test('contentLength of raw response headers, -1 when absent or not a length', async (t) => {
  const cases: Array<[string[], number]> = [
    [['Content-Type', 'text/plain', 'Content-Length', '42'], 42],
    [['content-length', '0'], 0],
    [['Transfer-Encoding', 'chunked'], -1],
    [['Content-Length', 'abc'], -1],
    [['Content-Length', '-3'], -1],
    [['X-Content-Length', '7'], -1],
  ];
  for (const [raw, want] of cases) t.equal(contentLength(buf(raw)), want, raw.join(' '));
});
