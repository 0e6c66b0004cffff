/** The HTTP client library and the in-process CLI entry against the fake Engine-API server. */
import t from 'tap';
import { PassThrough } from 'node:stream';
import { createClient, type EngineClient } from '../../lib/client/client.js';
import { ApiError, isNotFound } from '../../lib/client/api-error.js';
import { runCli } from '../../cmd/swarmlet.js';
import { startFakeEngine, type FakeEngine } from '../fixtures/fake-engine.js';
import type { ServiceSpec } from '../../lib/model/types.js';

let fake: FakeEngine;
let client: EngineClient;

t.before(async () => {
  fake = await startFakeEngine();
  client = createClient({ host: fake.url });
});
t.teardown(async () => {
  await client.close();
  await fake.close();
});

const spec = (name: string, replicas = 2): ServiceSpec => ({
  Name: name, TaskTemplate: { ContainerSpec: { Image: 'whoami:1' } }, Mode: { Replicated: { Replicas: replicas } },
});

t.test('ping, info, version', async (t) => {
  t.same(await client.ping(), { apiVersion: '1.41', swarm: 'active/manager', osType: undefined });
  t.equal((await client.info()).Swarm.NodeID, fake.state.selfId);
  t.equal((await client.version()).ApiVersion, '1.41');
});

t.test('services: create, get by name and prefix, update with version, conflicts, remove', async (t) => {
  const { ID } = await client.services.create(spec('web'));
  t.equal((await client.services.get('web')).ID, ID);
  t.equal((await client.services.get(ID.slice(0, 8))).Spec.Name, 'web');
  const dup = await client.services.create(spec('web')).catch((e: unknown) => e);
  t.ok(dup instanceof ApiError);
  t.equal((dup as ApiError).status, 409);
  t.match((dup as ApiError).message, /already exists/);
  const current = await client.services.get('web');
  t.same(await client.services.update(current.ID, current.Version.Index, spec('web', 3)), { Warnings: null });
  const stale = await client.services.update(current.ID, current.Version.Index, spec('web', 4)).catch((e: unknown) => e);
  t.equal((stale as ApiError).message, 'rpc error: code = Unknown desc = update out of sequence');
  const listed = await client.services.list({ status: true, filters: { name: ['we'] } });
  t.same(listed.map((s) => s.ServiceStatus), [{ RunningTasks: 3, DesiredTasks: 3, CompletedTasks: 0 }]);
  const tasks = await client.tasks.list({ service: ['web'], 'desired-state': ['running'] });
  t.equal(tasks.length, 3);
  t.equal((await client.tasks.get(tasks[0]!.ID)).ServiceID, ID);
  const last = fake.requests.filter((r) => r.startsWith('GET /tasks?')).at(-1)!;
  t.equal(decodeURIComponent(last.split('filters=')[1]!), '{"service":{"web":true},"desired-state":{"running":true}}');
  await client.services.remove('web');
  const gone = await client.services.get('web').catch((e: unknown) => e);
  t.ok(isNotFound(gone));
  t.equal((gone as Error).message, 'service web not found');
});

t.test('rollback sends rollback=previous', async (t) => {
  const { ID } = await client.services.create(spec('rb', 1));
  const s = await client.services.get(ID);
  await client.services.update(ID, s.Version.Index, spec('rb', 2));
  const s2 = await client.services.get(ID);
  await client.services.update(ID, s2.Version.Index, s2.Spec, { rollback: true });
  t.match(fake.requests.at(-1), /^POST \/services\/[0-9a-z]+\/update\?version=\d+&rollback=previous$/);
  t.same((await client.services.get(ID)).Spec.Mode, { Replicated: { Replicas: 1 } });
});

t.test('logs decode frames with details into records', async (t) => {
  const { ID } = await client.services.create(spec('logger', 1));
  const records = [];
  for await (const r of client.serviceLogs(ID, { timestamps: true })) records.push(r);
  const task = fake.state.tasks.find((x) => x.ServiceID === ID)!;
  t.same(records, [
    { stream: 'stdout', time: '2026-01-01T00:00:00.000000000Z', text: 'hello from logger slot 1', nodeId: task.NodeID, serviceId: ID, taskId: task.ID },
    { stream: 'stderr', time: '2026-01-01T00:00:00.000000000Z', text: 'warning from logger slot 1', nodeId: task.NodeID, serviceId: ID, taskId: task.ID },
  ]);
  t.match(fake.requests.find((r) => r.includes('/logs?')), /stdout=1&stderr=1&details=1&timestamps=1&tail=all/);
  const raw = [];
  for await (const r of client.taskLogs(task.ID, { details: false, tail: 1 })) raw.push(r.text);
  t.same(raw, ['hello from logger slot 1', 'warning from logger slot 1']);
});

t.test('nodes and images', async (t) => {
  const n = await client.nodes.get('node-3');
  await client.nodes.update(n.ID, n.Version.Index, { ...n.Spec, Availability: 'pause' });
  t.equal((await client.nodes.get(n.ID)).Spec.Availability, 'pause');
  t.equal((await client.nodes.list()).length, 3);
  const added = await client.images.add({ Name: 'x:1', Cmd: ['node', 'x.js'] });
  t.equal(added.Name, 'x:1');
  t.ok((await client.images.list()).some((i) => i.Name === 'x:1'));
  await client.images.remove('x:1');
  t.notOk((await client.images.list()).some((i) => i.Name === 'x:1'));
});

t.test('in-process CLI on a TTY redraws the progress with bars', async (t) => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => { out += c.toString(); });
  const code = await runCli(['node', 'swarmlet', '--host', fake.url, 'service', 'create', '--name', 'tty', '--replicas', '2', '--update-monitor', '250ms', 'whoami:1'],
    { stdout, stderr, env: {}, isTTY: true });
  t.equal(code, 0);
  t.match(out, /\x1b\[2K\r1\/2: running   \[={50}>\]\n/);
  t.match(out, /\x1b\[\d+A/, 'moves the cursor up to redraw');
  t.match(out, /verify: Service [0-9a-z]{25} converged\n$/);
});

t.test('in-process CLI: errors become one line and an exit code', async (t) => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (c: Buffer) => { err += c.toString(); });
  const code = await runCli(['node', 'swarmlet', '--host', fake.url, 'service', 'create', '-d', '--mode', 'weird', 'whoami:1'], { stdout, stderr, env: {}, isTTY: false });
  t.equal(code, 1);
  t.equal(err, 'Error: unknown mode: weird, only replicated and global supported\n');
});
