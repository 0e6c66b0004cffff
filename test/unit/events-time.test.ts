import t from 'tap';
import fc from 'fast-check';
import { formatRfc3339Nano, formatUnixNanos, parseEventTime, secondsOf } from '../../lib/events/event-time.js';
import { decodeEvent, encodeEvent, type EventMessage } from '../../lib/events/event-message.js';
import { formatEventLine } from '../../cmd/commands/events.js';

const NOW = Date.UTC(2026, 10, 27, 7, 20, 0); // 2026-11-27T07:20:00Z
const NOW_S = BigInt(NOW / 1000);
const S = 1_000_000_000n;

t.test('parseEventTime: the forms docker and users give', async (t) => {
  const rows: Array<[string | number | Date | bigint, bigint]> = [
    ['1700000000', 1_700_000_000n * S],
    ['1700000000.5', 1_700_000_000n * S + 500_000_000n],
    ['1700000000.000000001', 1_700_000_000n * S + 1n],
    ['1700000000.123456789', 1_700_000_000n * S + 123_456_789n],
    [' 42 ', 42n * S],
    ['-1.5', -1_500_000_000n],
    [1700000000.25, 1_700_000_000n * S + 250_000_000n],
    [new Date(NOW), NOW_S * S],
    [123n, 123n],
    ['2026-11-27T07:20:00Z', NOW_S * S],
    ['2026-11-27T07:20:00.123456789Z', NOW_S * S + 123_456_789n],
    ['2026-11-27T08:20:00+01:00', NOW_S * S],
    ['2026-11-27T08:20:00.5+0100', NOW_S * S + 500_000_000n],
    ['10m', (NOW_S - 600n) * S],
    ['1h30m', (NOW_S - 5400n) * S],
    ['0s', NOW_S * S],
    ['250ms', NOW_S * S - 250_000_000n],
  ];
  for (const [input, want] of rows) t.equal(parseEventTime(input, 'since', NOW), want, String(input));
});

t.test('parseEventTime: bad values are 400s naming the field', async (t) => {
  for (const bad of ['yesterday', '1700000000.1234567891', '12:00', '10 minutes', '2026-13-45T99:00:00Z', '']) {
    t.throws(() => parseEventTime(bad, 'until', NOW), { code: 'invalid_argument', field: 'until', message: /until/ }, JSON.stringify(bad));
  }
  t.throws(() => parseEventTime(Number.NaN, 'since', NOW), { field: 'since', message: /invalid since time/ });
});

t.test('formatUnixNanos / formatRfc3339Nano / secondsOf', async (t) => {
  t.equal(formatUnixNanos(1_700_000_000n * S + 5n), '1700000000.000000005');
  t.equal(formatUnixNanos(0n), '0.000000000');
  t.equal(formatRfc3339Nano(NOW_S * S), '2026-11-27T07:20:00.000000000Z');
  t.equal(formatRfc3339Nano(NOW_S * S + 123_456_789n), '2026-11-27T07:20:00.123456789Z');
  t.equal(formatRfc3339Nano(-1n), '1969-12-31T23:59:59.999999999Z');
  t.equal(secondsOf(1_999_999_999n), 1);
  t.equal(secondsOf(-1n), -1);
});

t.test('property: format → parse round-trips exactly (sec.nanos and RFC 3339)', async (t) => {
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: 4_000_000_000n * S }), (ns) =>
    parseEventTime(formatUnixNanos(ns), 'since', NOW) === ns && parseEventTime(formatRfc3339Nano(ns), 'since', NOW) === ns));
  t.pass();
});

const EVENT: EventMessage = {
  Type: 'service', Action: 'update',
  Actor: { ID: 'abc123', Attributes: { name: 'toms', 'replicas.old': '3', 'replicas.new': '7' } },
  scope: 'swarm', time: Number(NOW_S), timeNano: NOW_S * S + 1n,
};

t.test('encodeEvent: docker field order, exact timeNano; decodeEvent reads it back', async (t) => {
  const line = encodeEvent(EVENT);
  t.equal(line, `{"Type":"service","Action":"update","Actor":{"ID":"abc123","Attributes":{"name":"toms","replicas.old":"3","replicas.new":"7"}},"scope":"swarm","time":${NOW_S},"timeNano":${NOW_S * S + 1n}}`);
  t.strictSame(decodeEvent(line), EVENT);
  t.equal(decodeEvent('{"Type":"node","Action":"create","Actor":{"ID":"n"},"time":5}').timeNano, 5n * S, 'no timeNano: from time');
  t.throws(() => decodeEvent('not json'), { code: 'invalid_argument' });
  t.throws(() => decodeEvent('{"Action":"x"}'), { message: /Type and Action/ });
});

t.test('property: encode → decode is the identity, whatever the attributes hold', async (t) => {
  fc.assert(fc.property(
    fc.dictionary(fc.string(), fc.string()), fc.bigInt({ min: 0n, max: 2n ** 62n }), fc.string(),
    (attrs, timeNano, id) => {
      const e: EventMessage = { ...EVENT, Actor: { ID: id, Attributes: attrs }, timeNano, time: secondsOf(timeNano) };
      const back = decodeEvent(encodeEvent(e));
      return back.timeNano === timeNano && JSON.stringify(back.Actor) === JSON.stringify(e.Actor);
    },
  ));
  t.pass();
});

t.test("formatEventLine: docker's default line (sorted attributes)", async (t) => {
  t.equal(formatEventLine({ ...EVENT, timeNano: NOW_S * S }), '2026-11-27T07:20:00.000000000Z service update abc123 (name=toms, replicas.new=7, replicas.old=3)');
  t.equal(formatEventLine({ ...EVENT, Actor: { ID: 'x', Attributes: {} }, timeNano: 0n }), `2026-11-27T07:20:00.000000000Z service update x`);
  t.equal(formatEventLine({ ...EVENT, Actor: { ID: 'x', Attributes: {} }, timeNano: 0n, time: 0 }), 'service update x');
});
