import t from 'tap';
import { createRouter, stripVersionPrefix } from '../../lib/api/router.js';
import { parseLogParams, parseSince, parseTail } from '../../lib/api/log-params.js';
import { logContentType, MULTIPLEXED_STREAM, RAW_STREAM } from '../../lib/api/log-stream.js';
import { requireObject } from '../../lib/api/read-body.js';
import { parseNodeSpec } from '../../lib/api/node-spec.js';
import { parseImageInput } from '../../lib/api/routes-images.js';

t.test('stripVersionPrefix', async (t) => {
  t.same(stripVersionPrefix('/v1.41/services'), { version: '1.41', path: '/services' });
  t.same(stripVersionPrefix('/v1.12/_ping'), { version: '1.12', path: '/_ping' });
  t.same(stripVersionPrefix('/v2/info'), { version: '2', path: '/info' });
  t.same(stripVersionPrefix('/version'), { version: undefined, path: '/version' });
  t.same(stripVersionPrefix('/services'), { version: undefined, path: '/services' });
  t.same(stripVersionPrefix('/v1.41'), { version: undefined, path: '/v1.41' });
});

t.test('router: found, 405 with allowed methods, 404', async (t) => {
  const a = () => {};
  const b = () => {};
  const route = createRouter([
    { method: 'GET', pattern: /^\/x\/([^/]+)$/, handler: a },
    { method: 'DELETE', pattern: /^\/x\/([^/]+)$/, handler: b },
  ]);
  const found = route('DELETE', '/x/abc');
  t.equal(found.kind, 'found');
  if (found.kind === 'found') { t.equal(found.handler, b); t.same(found.params, ['abc']); }
  t.same(route('POST', '/x/abc'), { kind: 'method_not_allowed', allow: ['GET', 'DELETE'] });
  t.same(route('GET', '/y'), { kind: 'not_found' });
});

t.test('log params', async (t) => {
  const p = parseLogParams(new URLSearchParams('details=1&stderr=1&stdout=1&tail=all'));
  t.same(p, { stdout: true, stderr: true, details: true, timestamps: false, follow: false, tail: undefined, since: undefined });
  t.throws(() => parseLogParams(new URLSearchParams('details=1')), /^Bad parameters: you must choose at least one stream$/);
  t.throws(() => parseLogParams(new URLSearchParams('stdout=0&stderr=false')), /you must choose at least one stream/);
  t.equal(parseTail('5'), 5);
  t.equal(parseTail('0'), 0);
  t.equal(parseTail(null), undefined);
  t.throws(() => parseTail('x'), /^tail value must be a positive integer or "all"$/);
  t.throws(() => parseTail('-2'), /^negative tail values not supported$/);
  t.equal(parseSince('1700000000'), 1700000000000);
  t.equal(parseSince('1700000000.5'), 1700000000500);
  t.equal(parseSince('1700000000.123456789'), 1700000000123);
  t.equal(parseSince('1700000000.007'), 1700000000007);
  t.equal(parseSince(''), undefined);
  t.throws(() => parseSince('10m'), { code: 'invalid_argument', message: /^could not parse since timestamp/ });
});

t.test('log content type by API version', async (t) => {
  t.equal(logContentType(undefined, false), MULTIPLEXED_STREAM);
  t.equal(logContentType('1.42', false), MULTIPLEXED_STREAM);
  t.equal(logContentType('1.50', false), MULTIPLEXED_STREAM);
  t.equal(logContentType('1.41', false), RAW_STREAM);
  t.equal(logContentType('1.42', true), RAW_STREAM);
});

t.test('requireObject names the field', async (t) => {
  t.same(requireObject({ a: 1 }, 'ServiceSpec'), { a: 1 });
  for (const [v, got] of [[undefined, 'an empty body'], [null, 'null'], [[1], 'an array'], ['s', 'string'], [3, 'number']] as const) {
    t.throws(() => requireObject(v, 'ServiceSpec'), { field: 'ServiceSpec', message: `ServiceSpec must be a JSON object, got ${got}` });
  }
});

t.test('parseNodeSpec and parseImageInput validate shapes', async (t) => {
  t.same(parseNodeSpec({ Labels: {}, Role: 'worker', Availability: 'drain' }), { Labels: {}, Role: 'worker', Availability: 'drain' });
  t.throws(() => parseNodeSpec({ Role: 'boss' }), { code: 'invalid_argument', field: 'Role' });
  t.throws(() => parseNodeSpec({ Availability: 'off' }), { code: 'invalid_argument', field: 'Availability' });
  t.throws(() => parseNodeSpec({ Labels: { a: 1 } }), { code: 'invalid_argument', field: 'Labels.a' });
  t.throws(() => parseNodeSpec([]), { code: 'invalid_argument', field: 'NodeSpec' });
  t.same(parseImageInput({ Name: 'a:1', Cmd: ['node', 'x.js'], Env: ['A=1'], Extra: 1 }), { Name: 'a:1', Cmd: ['node', 'x.js'], Env: ['A=1'] });
  t.throws(() => parseImageInput({ Cmd: ['x'] }), { code: 'invalid_argument', field: 'Name' });
  t.throws(() => parseImageInput({ Name: 'a', Cmd: [] }), { code: 'invalid_argument', field: 'Cmd' });
  t.throws(() => parseImageInput({ Name: 'a', Cmd: ['x'], Cwd: 3 }), { code: 'invalid_argument', field: 'Cwd' });
  t.throws(() => parseImageInput({ Name: 'a', Cmd: ['x'], Env: 'A=1' }), { code: 'invalid_argument', field: 'Env' });
});
