import t from 'tap';
import { DEFAULT_HOST, normalizeHost } from '../../lib/client/host.js';
import { apiErrorFromBody, ApiError } from '../../lib/client/api-error.js';
import { encodeFilters, mergeFilters } from '../../lib/client/filters.js';
import { buildPath, segment } from '../../lib/client/http.js';

t.test('host forms', async (t) => {
  const cases: Array<[string | undefined, string]> = [
    [undefined, DEFAULT_HOST], ['', 'http://127.0.0.1:2377'],
    ['http://127.0.0.1:9000', 'http://127.0.0.1:9000'], ['http://127.0.0.1:9000/', 'http://127.0.0.1:9000'],
    ['tcp://10.0.0.1:2377', 'http://10.0.0.1:2377'], ['tcp://mgr', 'http://mgr:2377'],
    ['127.0.0.2:4000', 'http://127.0.0.2:4000'], ['localhost', 'http://localhost:2377'],
    ['https://mgr.example', 'https://mgr.example'], ['http://mgr', 'http://mgr'],
  ];
  for (const [input, want] of cases) t.equal(normalizeHost(input), want, String(input));
  t.throws(() => normalizeHost('unix:///var/run/docker.sock'), { message: /unsupported scheme unix/ });
  t.throws(() => normalizeHost('http://mgr:2377/api'), { message: /must not have a path/ });
});

t.test('API errors keep the daemon message and status', async (t) => {
  const e = apiErrorFromBody(404, 'application/json', '{"message":"service toms not found"}');
  t.ok(e instanceof ApiError);
  t.equal(e.message, 'service toms not found');
  t.equal(e.status, 404);
  t.equal(e.code, 'not_found');
  t.equal(apiErrorFromBody(500, 'text/plain', 'boom\n').message, 'boom');
  t.equal(apiErrorFromBody(409, undefined, '{"message":"name conflicts"}').code, 'conflict');
  t.match(apiErrorFromBody(502, undefined, '').message, /status 502/);
});

t.test('filters, paths and segments', async (t) => {
  t.equal(encodeFilters({ service: ['a', 'b'], '_up-to-date': ['true'], empty: [] }), '{"service":{"a":true,"b":true},"_up-to-date":{"true":true}}');
  t.equal(encodeFilters({}), undefined);
  t.same(mergeFilters({ node: ['a'] }, { node: ['a', 'b'], id: ['x'] }), { node: ['a', 'b'], id: ['x'] });
  t.equal(buildPath('/tasks', { filters: '{"a":{"b":true}}', x: undefined }), '/tasks?filters=%7B%22a%22%3A%7B%22b%22%3Atrue%7D%7D');
  t.equal(segment('whoami:1'), 'whoami:1');
  t.equal(segment('ghcr.io/org/app:1'), 'ghcr.io%2Forg%2Fapp:1');
  t.equal(segment('a b'), 'a%20b');
});
