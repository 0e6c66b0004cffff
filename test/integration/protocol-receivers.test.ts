/**
 * The receiving ends of the manager's streams skip a malformed message instead of acting on it: the
 * agent's http link (a node session line) and a gateway's endpoint stream (a table). A fake manager
 * on loopback sends a bad message, then a good one.
 */
import t from 'tap';
import { createServer, type Server } from 'node:http';
import { createHttpLink } from '../../lib/agent/http-link.js';
import { systemClock } from '../../lib/clock.js';
import { streamEndpointSource } from '../../lib/client/endpoint-stream-source.js';
import type { Task } from '../../lib/model/types.js';
import type { EndpointTable } from '../../lib/protocol/endpoint-table.js';
import { RecordingLogger } from '../fixtures/recording-logger.js';
import { task } from '../fixtures/orchestrator-fixtures.js';

async function fakeManager(lines: Record<string, unknown[]>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    const body = lines[path];
    if (!body) { req.resume(); res.statusCode = 204; res.end(); return; }
    res.setHeader('content-type', 'application/x-ndjson');
    for (const l of body) res.write(`${typeof l === 'string' ? l : JSON.stringify(l)}\n`);
    // the stream stays open, as the manager's does
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server };
}

async function until<T>(what: string, fn: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('the agent\'s http link skips a malformed session line and acts on the next good one', async (t) => {
  const good = task(1, 'n1', { id: 'good' });
  const { url, server } = await fakeManager({
    '/swarmlet/v1/nodes/n1/session': [
      { Tasks: [{ ...task(1, 'n1', { id: 'bad' }), DesiredState: 'dancing' }], Services: {}, Images: [] },
      { Tasks: [good], Services: { svc: { name: 'web' } }, Images: [] },
    ],
  });
  const log = new RecordingLogger();
  const link = createHttpLink({ manager: url, nodeId: 'n1', credential: 'c', heartbeatMs: 60_000, clock: systemClock(), logger: log });
  t.teardown(() => { link.close(); server.closeAllConnections(); server.close(); });
  const seen: Task[][] = [];
  link.watchAssignments('n1', (tasks) => seen.push(tasks));
  await until('the good assignments', () => (seen.length > 0 ? seen : undefined));
  t.same(seen.map((ts) => ts.map((x) => x.ID)), [['good']], 'only the good message reached the agent');
  t.equal(link.serviceInfo('svc')?.name, 'web');
  t.ok(log.at('warn').some((e) => /malformed session message/.test(e.msg ?? '') && /Tasks\[0\]\.DesiredState/.test(String((e.obj as { err?: string }).err))), 'the bad one is logged, naming the field');
});

t.test('a gateway\'s endpoint stream skips a malformed table and keeps the last good one', async (t) => {
  const table: EndpointTable = { version: 3, services: [{ serviceId: 's', name: 'web', ports: [{ published: 9000, target: 8080, protocol: 'tcp' }],
    endpoints: [{ taskId: 't', slot: 1, nodeId: 'n', addr: '127.0.0.1', port: 30001, state: 'active' }] }] };
  const { url, server } = await fakeManager({
    '/swarmlet/v1/endpoints': [
      { version: 1, services: [{ ...table.services[0]!, endpoints: [{ ...table.services[0]!.endpoints[0]!, port: 'x' }] }] },
      table,
    ],
  });
  const log = new RecordingLogger();
  const source = streamEndpointSource({ manager: url, gatewayId: 'g1', logger: log });
  const tables: EndpointTable[] = [];
  const stop = source.subscribe((x) => tables.push(x));
  t.teardown(() => { stop(); server.closeAllConnections(); server.close(); });
  await until('the good table', () => (tables.length > 0 ? tables : undefined));
  t.same(tables, [table], 'only the good table was applied');
  t.ok(log.at('warn').some((e) => /malformed endpoint table/.test(e.msg ?? '') && /services\[0\]\.endpoints\[0\]\.port/.test(String((e.obj as { err?: string }).err))));
});

t.test('the agent\'s http link beats at the period the manager answers with (swarm update --dispatcher-heartbeat)', async (t) => {
  const beats: number[] = [];
  let period = 60;
  const server = createServer((req, res) => {
    req.resume();
    if ((req.url ?? '').endsWith('/heartbeat')) {
      beats.push(Date.now());
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ HeartbeatPeriodMs: period }));
      return;
    }
    res.statusCode = 204;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const log = new RecordingLogger();
  const link = createHttpLink({ manager: `http://127.0.0.1:${port}`, nodeId: 'n1', credential: 'c', heartbeatMs: 400, clock: systemClock(), logger: log });
  t.teardown(() => { link.close(); server.closeAllConnections(); server.close(); });
  await until('the first heartbeat (at the join period)', () => (beats.length >= 1 ? true : undefined), 5_000);
  await until('8 more at the new period', () => (beats.length >= 9 ? true : undefined), 5_000);
  const gaps = beats.slice(1).map((b, i) => b - beats[i]!);
  t.ok(gaps.every((g) => g < 300), `beats every ~60 ms, not 400 (gaps ${gaps.join(',')})`);
  t.ok(log.at('info').some((e) => /heartbeat period changed/.test(e.msg ?? '')), 'the change is logged');
  period = 2000;
  const n = beats.length;
  await new Promise((r) => setTimeout(r, 600));
  t.ok(beats.length <= n + 1, `a longer period is taken too (${beats.length - n} beats in 600 ms)`);
});
