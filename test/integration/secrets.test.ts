/**
 * Secrets and configs reach tasks: a process-driver task reads its secret and config files (0700
 * directory, 0400 files by default), outside the data directory, removed when the task ends; the
 * plaintext is in no file of the data directory; `--secret-rm` rolls the service. And a node that
 * runs no task referencing a secret never receives it: two node processes joined over HTTP, each
 * session watched with the node's own credential.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createCluster } from '../../lib/cluster/create-cluster.js';
import { runNode, type NodeProcess } from '../../lib/node/run-node.js';
import type { Task } from '../../lib/model/types.js';
import { until } from '../fixtures/up-process.js';

/** A task that serves `GET /s/<name>` and `GET /c/<name>`: the content of its secret or config file. */
const READER = `const http=require('http'),fs=require('fs'),path=require('path');
http.createServer((q,r)=>{const [,k,n]=q.url.split('/');const d=process.env[k==='c'?'SWARMLET_CONFIGS':'SWARMLET_SECRETS'];
try{r.end(fs.readFileSync(path.join(d,n)))}catch(e){r.statusCode=404;r.end(d?String(e.code):'NOVAR')}}).listen(+process.env.PORT,process.env.HOST)`;

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function get(task: Task, path: string): Promise<{ status: number; body: string }> {
  const res = await request(`http://${task.Endpoint!.Addr}:${task.Endpoint!.Port}${path}`);
  return { status: res.statusCode, body: await res.body.text() };
}

function envOf(pid: number): Record<string, string> {
  return Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

function filesHolding(dir: string, needles: string[]): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name)).filter((f) => { const text = readFileSync(f); return needles.some((n) => text.includes(n)); });
}

/** Running and answering (a task that publishes nothing counts as running once started). */
async function serving(tasks: Task[]): Promise<Task[]> {
  for (const task of tasks) await until(`${task.ID} listening`, () => get(task, '/'));
  return tasks;
}

const runningOf = (tasks: Task[]) => tasks.filter((x) => x.DesiredState === 'running' && x.Status.State === 'running' && x.Endpoint);

t.test('a task reads its secret and config files; the plaintext is nowhere in the data directory', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'swarmlet-secrets-it-'));
  const cluster = await createCluster({ nodes: 2, dataDir, addresses: ['127.0.0.161', '127.0.0.162'], gateway: false });
  t.teardown(async () => { await cluster.close(); rmSync(dataDir, { recursive: true, force: true }); });
  const plain = `PLAIN-${Math.random().toString(36).slice(2)}-pw`;
  const conf = `CONF-${Math.random().toString(36).slice(2)}`;
  cluster.control.secrets!.create({ Name: 'db_pass', Data: b64(plain) });
  cluster.control.configs!.create({ Name: 'app.conf', Data: b64(conf) });
  await cluster.addImage({ Name: 'reader:1', Cmd: ['node', '-e', READER] });
  await cluster.createService({
    name: 'api', image: 'reader:1', replicas: 2,
    secrets: ['source=db_pass,target=db_password'], configs: ['source=app.conf,target=/etc/app/app.conf,mode=0440'],
  });
  const tasks = await serving(await until('2 running tasks', async () => { const r = runningOf(await cluster.tasks({ service: ['api'] })); return r.length === 2 ? r : undefined; }));

  for (const task of tasks) {
    t.same(await get(task, '/s/db_password'), { status: 200, body: plain }, `${task.ID}: the secret file by its target`);
    t.same(await get(task, '/c/app.conf'), { status: 200, body: conf }, 'the config by the last component of its target');
    const env = envOf(task.Status.ContainerStatus!.PID!);
    const dir = env.SWARMLET_SECRETS!;
    t.ok(dir && !dir.startsWith(dataDir), `the files are outside the data directory (${dir})`);
    t.equal(statSync(join(dir, '..')).mode & 0o777, 0o700, 'task directory 0700');
    t.equal(statSync(join(dir, 'db_password')).mode & 0o777, 0o400, 'secret file 0400');
    t.equal(statSync(join(env.SWARMLET_CONFIGS!, 'app.conf')).mode & 0o777, 0o440, 'config file with its reference\'s mode');
  }
  const inspect = JSON.stringify([cluster.control.secrets!.list(), cluster.control.secrets!.get('db_pass'), await cluster.service('api'), await cluster.tasks()]);
  t.notOk(inspect.includes(plain) || inspect.includes(b64(plain)), 'no answer shows the secret');
  t.same(filesHolding(dataDir, [plain, b64(plain)]), [], 'the secret is in no file of the data directory while tasks run');
  t.throws(() => cluster.control.secrets!.remove('db_pass'), /^secret 'db_pass' is in use by the following service: api$/);

  const oldDirs = tasks.map((x) => join(envOf(x.Status.ContainerStatus!.PID!).SWARMLET_SECRETS!, '..'));
  await cluster.updateService('api', { secretRm: ['db_pass'] });
  const next = await serving(await until('2 new tasks', async () => {
    const r = runningOf(await cluster.tasks({ service: ['api'] })).filter((x) => !tasks.some((o) => o.ID === x.ID));
    return r.length === 2 ? r : undefined;
  }, 40_000));
  for (const task of next) t.same(await get(task, '/s/db_password'), { status: 404, body: 'NOVAR' }, 'the rolled task has no secret');
  t.same(await get(next[0]!, '/c/app.conf'), { status: 200, body: conf }, 'and keeps its config');
  await until('old task files removed', () => (oldDirs.every((d) => !existsSync(d)) ? true : undefined));
  t.pass('the old tasks\' files are removed when they end');
  cluster.control.secrets!.remove('db_pass');
  t.same(cluster.control.secrets!.list(), [], 'removable once no service uses it');
});

t.test('a node that runs no task referencing a secret never receives it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-secrets-nodes-'));
  const cluster = await createCluster({ nodes: 0, dataDir: join(dir, 'manager'), listen: '127.0.0.1:0', gateway: false, dispatcher: { heartbeatMs: 500 } });
  const nodes: NodeProcess[] = [];
  const watchers: AbortController[] = [];
  t.teardown(async () => {
    for (const w of watchers) w.abort();
    for (const n of nodes) await n.close().catch(() => undefined);
    await cluster.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const token = (await (await request(`${cluster.url}/swarmlet/v1/join-token/worker`)).body.json() as { Token: string }).Token;
  const seen: string[] = ['', ''];
  for (const [i, addr] of ['127.0.0.163', '127.0.0.164'].entries()) {
    const stateDir = join(dir, `node-${i + 1}`);
    nodes.push(await runNode({ manager: cluster.url!, token, address: addr, hostname: `sn-${i + 1}`, stateDir, noGateway: true }));
    const id = JSON.parse(readFileSync(join(stateDir, 'node.json'), 'utf8')) as { NodeID: string; Credential: string };
    const abort = new AbortController();
    watchers.push(abort);
    const res = await request(`${cluster.url}/swarmlet/v1/nodes/${id.NodeID}/session`, { headers: { authorization: `Bearer ${id.Credential}` }, signal: abort.signal, bodyTimeout: 0 });
    res.body.setEncoding('utf8');
    res.body.on('data', (s: string) => { seen[i] += s; });
    res.body.on('error', () => undefined);
  }
  const plain = `NODEPLAIN-${Math.random().toString(36).slice(2)}`;
  cluster.control.secrets!.create({ Name: 'only_sn1', Data: b64(plain) });
  await cluster.addImage({ Name: 'reader:1', Cmd: ['node', '-e', READER] });
  await cluster.createService({ name: 'one', image: 'reader:1', replicas: 1, constraints: ['node.hostname==sn-1'], secrets: ['only_sn1'] });
  await cluster.createService({ name: 'other', image: 'reader:1', replicas: 2, constraints: ['node.hostname==sn-2'] });
  const [task] = await serving(await until('the task on sn-1', async () => { const r = runningOf(await cluster.tasks({ service: ['one'] })); return r.length === 1 ? r : undefined; }));
  await until('the tasks on sn-2', async () => (runningOf(await cluster.tasks({ service: ['other'] })).length === 2 ? true : undefined));
  t.same(await get(task!, '/s/only_sn1'), { status: 200, body: plain }, 'the task on sn-1 reads its secret (default target: its name)');
  t.ok(seen[0]!.includes(b64(plain)), 'sn-1\'s session carried the content');
  t.notOk(seen[1]!.includes(b64(plain)) || seen[1]!.includes(plain), 'sn-2\'s session never did');
  t.ok(seen[1]!.includes('"Tasks"'), 'while sn-2 did get its own assignments');
  const last = seen[0]!.trim().split('\n').filter((l) => l.includes('"Tasks"')).at(-1)!;
  t.notOk(last.includes(b64(plain)), 'once the task runs, sn-1\'s assignments no longer carry it');
  t.same(filesHolding(dir, [plain, b64(plain)]), [], 'nowhere in the manager\'s or nodes\' data directories');
});
