/**
 * createGatewayWorkers: 2 node:cluster workers share the published port; connections are spread
 * over both, every request is answered, /metrics sums the workers, each worker follows the
 * manager's table stream on its own (and acks with its own gateway ID), close stops every worker.
 */
import t, { type Test } from 'tap';
import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, request } from 'undici';
import type { EndpointTable } from '../../lib/protocol/endpoint-table.js';
import type { WorkerSourceSpec } from '../../gateway/worker-config.js';
import { createGatewayWorkers } from '../../gateway/workers.js';
import { endpoint, route } from '../fixtures/fake-endpoint-source.js';
import { startUpstream, until, type Upstream } from '../fixtures/upstream-servers.js';

const GW = '127.0.0.59';
const HOSTS = ['127.0.0.56', '127.0.0.57', '127.0.0.58'];
const PORT = 18301;

/** The manager's endpoint stream (NDJSON tables) and ack endpoint, as a standalone gateway uses them. */
async function fakeManager(t: Test, first: EndpointTable) {
  let table = first;
  const streams = new Set<ServerResponse>();
  const watchers: string[] = [];
  const acks = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/swarmlet/v1/endpoints' && url.searchParams.get('watch') === '1') {
      watchers.push(url.searchParams.get('gateway') ?? '');
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(`${JSON.stringify(table)}\n`);
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    if (url.pathname === '/swarmlet/v1/endpoints/ack') {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        const a = JSON.parse(body) as { Gateway: string; Version: number };
        acks.set(a.Gateway, Math.max(acks.get(a.Gateway) ?? 0, a.Version));
        res.writeHead(204).end();
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => { for (const s of streams) s.destroy(); server.close(); });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    watchers, acks,
    publish(next: EndpointTable): void { table = next; for (const s of streams) s.write(`${JSON.stringify(next)}\n`); },
  };
}

function requestsOf(metrics: object[]): number {
  const m = (metrics as Array<{ name: string; values: Array<{ value: number }> }>).find((x) => x.name === 'swarmlet_gateway_requests_total');
  return (m?.values ?? []).reduce((a, v) => a + v.value, 0);
}

t.test('2 workers share the listener, follow the manager, sum their metrics, and close', async (t) => {
  const ups: Upstream[] = await Promise.all(HOSTS.map((h, i) => startUpstream(h, `u${i + 1}`)));
  t.teardown(() => Promise.all(ups.map((u) => u.close())));
  const eps = ups.map((u, i) => endpoint(u.host, u.port, { taskId: `task-${u.name}`, slot: i + 1 }));
  const manager = await fakeManager(t, { version: 1, services: [route('web', PORT, eps)] });
  const gw = createGatewayWorkers({
    workers: 2, source: { kind: 'stream', manager: manager.url }, admin: { host: GW, port: 0 }, workerLogLevel: 'silent',
    gateway: { id: 'node-1-gw', nodeId: 'node-1', hostname: 'node-1', addr: GW, processMetrics: false },
  });
  t.teardown(() => gw.close());
  await gw.start();
  const pids = [...gw.workerPids().values()];
  t.equal(pids.length, 2, 'two worker processes');
  t.not(pids[0], pids[1]);
  await until('both workers ack version 1 and listen', () => (manager.acks.get('node-1-gw-w1') === 1 && manager.acks.get('node-1-gw-w2') === 1 && gw.ports().includes(PORT) ? true : undefined));
  t.same([...manager.watchers].sort(), ['node-1-gw-w1', 'node-1-gw-w2'], 'each worker follows the stream with its own gateway ID');

  // A new connection per request: node:cluster hands connections to the workers in turn.
  const N = 40;
  const seen = new Map<string, number>();
  for (let i = 0; i < N; i++) {
    const client = new Client(`http://${GW}:${PORT}`);
    const r = await client.request({ path: '/', method: 'GET' });
    t.equal(r.statusCode, 200);
    const { name } = await r.body.json() as { name: string };
    seen.set(name, (seen.get(name) ?? 0) + 1);
    await client.close();
  }
  t.same([...seen.keys()].sort(), ['u1', 'u2', 'u3'], 'every upstream answered');
  const perWorker = await gw.workerMetrics();
  const counts = [...perWorker.values()].map(requestsOf);
  t.equal(counts.length, 2);
  t.equal(counts[0]! + counts[1]!, N, 'the workers answered every request between them');
  t.ok(counts.every((c) => c >= N / 4), `both workers took a share (${counts.join(' + ')})`);

  const admin = gw.adminAddress()!;
  const text = await (await request(`http://${admin.host}:${admin.port}/metrics`)).body.text();
  t.match(text, new RegExp(`swarmlet_gateway_requests_total\\{node="node-1",service="web",method="GET",code="2xx"\\} ${N}\\b`), '/metrics sums the workers');
  t.match(text, /swarmlet_gateway_request_duration_seconds_count\{node="node-1",service="web"\} 40\b/);
  t.match(text, /swarmlet_gateway_table_version\{node="node-1"\} 1\b/, 'a gauge is not summed');
  const health = await request(`http://${admin.host}:${admin.port}/healthz`);
  t.equal(health.statusCode, 200);
  t.match(await health.body.json(), { status: 'ok', tableVersion: 1, ports: [PORT] });

  // A new table (u1 draining) reaches both workers; after both acks no request goes to u1.
  manager.publish({ version: 2, services: [route('web', PORT, [{ ...eps[0]!, state: 'draining' }, eps[1]!, eps[2]!])] });
  await until('both workers ack version 2', () => (manager.acks.get('node-1-gw-w1') === 2 && manager.acks.get('node-1-gw-w2') === 2 ? true : undefined));
  const before = ups[0]!.hits;
  for (let i = 0; i < 12; i++) {
    const client = new Client(`http://${GW}:${PORT}`);
    await (await client.request({ path: '/', method: 'GET' })).body.dump();
    await client.close();
  }
  t.equal(ups[0]!.hits, before, 'the draining endpoint gets nothing from either worker');

  await gw.close();
  for (const pid of pids) t.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `worker ${pid} exited`);
  await t.rejects(request(`http://${GW}:${PORT}/`), 'the port is closed');
  t.same(gw.ports(), []);
});

t.test('workers must be a whole number ≥ 1', async (t) => {
  const source: WorkerSourceSpec = { kind: 'static', table: { version: 1, services: [] } };
  const gateway = { id: 'x', nodeId: 'x', hostname: 'x', addr: GW };
  t.throws(() => createGatewayWorkers({ workers: 0, source, gateway }), /workers: must be a whole number ≥ 1, got 0/);
  t.throws(() => createGatewayWorkers({ workers: 1.5, source, gateway }), /workers: must be a whole number ≥ 1/);
});
