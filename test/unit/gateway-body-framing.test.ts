import t from 'tap';
import type { IncomingMessage } from 'node:http';
import { bodyFraming, hasBody } from '../../gateway/body-framing.js';

const req = (rawHeaders: string[]) => ({ rawHeaders }) as unknown as IncomingMessage;

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
