import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceEndpoints } from '../../gateway/endpoint-set.js';
import { GatewayMetrics, codeIndex, methodIndex } from '../../gateway/gateway-metrics.js';

function setup() {
  const svc = new ServiceEndpoints('svc-id-1', 'web');
  svc.apply({ serviceId: 'svc-id-1', name: 'web', ports: [], endpoints: [
    { taskId: 'task-abc', slot: 1, nodeId: 'n1', addr: '127.0.0.1', port: 1, state: 'active' },
    { taskId: 'task-def', slot: 2, nodeId: 'n1', addr: '127.0.0.1', port: 2, state: 'draining' },
    { taskId: 'task-ghi', slot: 3, nodeId: 'n1', addr: '127.0.0.1', port: 3, state: 'active' },
  ] });
  svc.endpoints[2]!.health = { failures: 0, ejections: 1, ejectedUntil: 1_000 };
  const m = new GatewayMetrics('node-1', { services: () => [svc], now: () => 500 });
  const s = m.service('svc-id-1', 'web');
  s.requestDone(methodIndex('GET'), 200, 0.002);
  s.requestDone(methodIndex('GET'), 204, 0.004);
  s.requestDone(methodIndex('BREW'), 503, 0.1);
  s.countRequest(methodIndex('GET'), 101);
  s.upstreamRequest(1);
  s.upstreamRequest(1);
  s.upstreamRequest(3);
  s.retries = 2; s.connectErrors = 3; s.ejections = 1; s.inFlight = 4;
  m.connectionOpened(); m.connectionOpened(); m.connectionClosed();
  m.setTableVersion(7);
  m.clientError(431);
  m.bindError();
  return { m, svc };
}

t.test('label helpers', async (t) => {
  t.same(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT', 'BREW', undefined].map(methodIndex), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9]);
  t.same([101, 200, 302, 404, 503, 99, 600].map(codeIndex), [0, 1, 2, 3, 4, 4, 4]);
});

t.test('every series is named swarmlet_*, with the documented labels and values', async (t) => {
  const { m } = setup();
  const text = await m.registry.metrics();
  const line = (prefix: string) => text.split('\n').find((l) => l.startsWith(prefix));
  t.match(line('swarmlet_gateway_requests_total{node="node-1",service="web",method="GET",code="2xx"}'), / 2$/);
  t.match(line('swarmlet_gateway_requests_total{node="node-1",service="web",method="GET",code="1xx"}'), / 1$/);
  t.match(line('swarmlet_gateway_requests_total{node="node-1",service="web",method="other",code="5xx"}'), / 1$/);
  t.match(line('swarmlet_gateway_request_duration_seconds_count{node="node-1",service="web"}'), / 3$/);
  t.match(line('swarmlet_gateway_request_duration_seconds_bucket{le="0.0025",node="node-1",service="web"}'), / 1$/);
  t.match(line('swarmlet_gateway_requests_in_flight{node="node-1",service="web"}'), / 4$/);
  t.match(line('swarmlet_gateway_open_connections{node="node-1"}'), / 1$/);
  t.match(line('swarmlet_gateway_upstream_endpoints{node="node-1",service="web",state="active"}'), / 1$/);
  t.match(line('swarmlet_gateway_upstream_endpoints{node="node-1",service="web",state="draining"}'), / 1$/);
  t.match(line('swarmlet_gateway_upstream_endpoints{node="node-1",service="web",state="ejected"}'), / 1$/);
  t.match(line('swarmlet_gateway_retries_total{node="node-1",service="web"}'), / 2$/);
  t.match(line('swarmlet_gateway_upstream_connect_errors_total{node="node-1",service="web"}'), / 3$/);
  t.match(line('swarmlet_gateway_ejections_total{node="node-1",service="web"}'), / 1$/);
  t.match(line('swarmlet_gateway_upstream_requests_total{node="node-1",service="web",slot="1"}'), / 2$/);
  t.match(line('swarmlet_gateway_upstream_requests_total{node="node-1",service="web",slot="3"}'), / 1$/);
  t.match(line('swarmlet_gateway_table_version{node="node-1"}'), / 7$/);
  t.match(line('swarmlet_gateway_client_errors_total{node="node-1",code="431"}'), / 1$/);
  t.match(line('swarmlet_gateway_listener_bind_errors_total{node="node-1"}'), / 1$/);
  t.ok(line('swarmlet_gateway_process_cpu_user_seconds_total{node="node-1"}'), 'process metrics, prefixed, with the node label');
  const names = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]!);
  t.ok(names.every((n) => n.startsWith('swarmlet_gateway_')), 'every series is prefixed');
  t.notMatch(text, /task-/, 'no task IDs in labels');
  t.notMatch(text, /svc-id-1/, 'services by name, not ID');
});

t.test('scrapes twice give the same counters (collect rebuilds, never doubles)', async (t) => {
  const { m } = setup();
  const count = (s: string) => s.split('\n').find((l) => l.startsWith('swarmlet_gateway_retries_total{'));
  const a = count(await m.registry.metrics());
  t.equal(count(await m.registry.metrics()), a);
});

t.test('a dropped service disappears; another registry is independent', async (t) => {
  const { m } = setup();
  m.dropService('svc-id-1');
  const text = await m.registry.metrics();
  t.notMatch(text, /swarmlet_gateway_requests_total\{/);
  t.notMatch(text, /swarmlet_gateway_request_duration_seconds_count\{/);
  const other = new GatewayMetrics('node-2', { services: () => [], now: () => 0 }, { processMetrics: false });
  t.notMatch(await other.registry.metrics(), /node-1/);
});

const noPromtool = spawnSync('promtool', ['--version']).error !== undefined && 'promtool is not installed (apt-get install prometheus)';

t.test('promtool check metrics passes', { skip: noPromtool }, async (t) => {
  const { m } = setup();
  const file = join(mkdtempSync(join(tmpdir(), 'gw-metrics-')), 'metrics.txt');
  writeFileSync(file, await m.registry.metrics());
  const r = spawnSync('sh', ['-c', `promtool check metrics < ${file}`], { encoding: 'utf8' });
  t.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
  t.equal(`${r.stdout}${r.stderr}`.trim(), '', 'no lint warnings');
});
