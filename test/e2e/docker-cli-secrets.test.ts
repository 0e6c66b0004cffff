/**
 * `docker secret …` and `docker config …` with the stock docker CLI against `swarmlet up`, and
 * `docker service create --secret/--config`, `service update --secret-rm/--config-add`: the task
 * reads its files; removal is refused while in use; the swarmlet CLI sees the same objects.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import type { Task } from '../../lib/model/types.js';
import { dockerAvailable, dockerSession, lines } from '../fixtures/docker-cli.js';
import { cli, getJson, parseTable, until } from '../fixtures/up-process.js';

const READER = `const http=require('http'),fs=require('fs'),path=require('path');
http.createServer((q,r)=>{const [,k,n]=q.url.split('/');const d=process.env[k==='c'?'SWARMLET_CONFIGS':'SWARMLET_SECRETS'];
try{r.end(fs.readFileSync(path.join(d,n)))}catch(e){r.statusCode=404;r.end(d?String(e.code):'NOVAR')}}).listen(+process.env.PORT,process.env.HOST)`;

const skip = dockerAvailable() ? false : 'docker CLI not on PATH: the docker 28.x client drives this suite';

async function read(task: Task, path: string): Promise<string> {
  const res = await request(`http://${task.Endpoint!.Addr}:${task.Endpoint!.Port}${path}`);
  return `${res.statusCode} ${await res.body.text()}`;
}

t.test('docker secret/config and service --secret/--config against swarmlet', { skip }, async (t) => {
  t.setTimeout(180_000);
  const { up, docker } = await dockerSession(t);
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-e2e-sec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const plain = `E2EPLAIN-${Math.random().toString(36).slice(2)}`;
  writeFileSync(join(dir, 'pw.txt'), plain);
  writeFileSync(join(dir, 'app.conf'), 'mode=fast\n');
  writeFileSync(join(dir, 'app2.conf'), 'mode=slow\n');
  const added = await cli(up.url, 'image', 'add', 'reader:1', '--cmd', `node -e "${READER.replace(/"/g, '\\"').replace(/\n/g, ' ')}"`);
  t.equal(added.code, 0, added.stderr);

  const created = await docker.run('secret', 'create', '--label', 'tier=db', 'db_pass', join(dir, 'pw.txt'));
  t.equal(created.code, 0, created.stderr);
  t.match(created.stdout.trim(), /^[0-9a-z]{25}$/, 'prints the ID');
  const dup = await docker.run('secret', 'create', 'db_pass', join(dir, 'pw.txt'));
  t.equal(dup.code, 1);
  t.match(dup.stderr, /secret db_pass already exists/);
  const bad = await docker.run('secret', 'create', '-bad', join(dir, 'pw.txt'));
  t.not(bad.code, 0);
  t.equal((await docker.run('config', 'create', 'app.conf', join(dir, 'app.conf'))).code, 0);

  const ls = await docker.run('secret', 'ls');
  t.equal(ls.code, 0, ls.stderr);
  t.same(parseTable(ls.stdout).map((r) => r.NAME), ['db_pass']);
  t.same(lines((await docker.run('secret', 'ls', '--filter', 'label=tier=db', '--format', '{{.Name}}')).stdout), ['db_pass']);
  t.same(lines((await docker.run('secret', 'ls', '--filter', 'label=tier=web', '-q')).stdout), []);
  const inspect = await docker.run('secret', 'inspect', 'db_pass');
  t.equal(inspect.code, 0, inspect.stderr);
  t.notOk(inspect.stdout.includes(plain) || inspect.stdout.includes(Buffer.from(plain).toString('base64')), 'inspect never shows the content');
  t.same(lines((await docker.run('secret', 'inspect', '-f', '{{json .Spec.Labels}}', 'db_pass')).stdout), ['{"tier":"db"}']);
  t.same(lines((await docker.run('config', 'inspect', '-f', '{{printf "%s" .Spec.Data}}', 'app.conf')).stdout), ['mode=fast'], 'a config shows its data');
  const missing = await docker.run('secret', 'inspect', 'nope');
  t.equal(missing.code, 1);

  const svc = await docker.run('service', 'create', '-d', '--name', 'api', '--secret', 'source=db_pass,target=db_password',
    '--config', 'source=app.conf,target=/etc/app/app.conf', 'reader:1');
  t.equal(svc.code, 0, svc.stderr);
  const running = async () => (await getJson<Task[]>(up.url, '/tasks')).filter((x) => x.DesiredState === 'running' && x.Status.State === 'running' && x.Endpoint);
  const [task] = await until('the api task answers', async () => {
    const r = await running();
    return r.length === 1 && await read(r[0]!, '/').catch(() => '') ? r : undefined;
  }, 30_000);
  t.equal(await read(task!, '/s/db_password'), `200 ${plain}`, 'the task reads its secret');
  t.equal(await read(task!, '/c/app.conf'), '200 mode=fast\n', 'and its config');
  const refs = await docker.run('service', 'inspect', '-f', '{{(index .Spec.TaskTemplate.ContainerSpec.Secrets 0).SecretName}} {{(index .Spec.TaskTemplate.ContainerSpec.Secrets 0).File.Name}}', 'api');
  t.same(lines(refs.stdout), ['db_pass db_password']);

  const inUse = await docker.run('secret', 'rm', 'db_pass');
  t.equal(inUse.code, 1);
  t.match(inUse.stderr, /secret 'db_pass' is in use by the following service: api/);
  const noSuch = await docker.run('service', 'create', '-d', '--name', 'x', '--secret', 'nope', 'reader:1');
  t.equal(noSuch.code, 1);
  t.match(noSuch.stderr, /secret not found: nope/);

  t.equal((await docker.run('config', 'create', 'app2.conf', join(dir, 'app2.conf'))).code, 0);
  const upd = await docker.run('service', 'update', '-d', '--secret-rm', 'db_pass', '--config-rm', 'app.conf', '--config-add', 'source=app2.conf,target=/etc/app/app.conf', 'api');
  t.equal(upd.code, 0, upd.stderr);
  const [next] = await until('the rolled task answers', async () => {
    const r = (await running()).filter((x) => x.ID !== task!.ID);
    return r.length === 1 && await read(r[0]!, '/').catch(() => '') ? r : undefined;
  }, 30_000);
  t.equal(await read(next!, '/s/db_password'), '404 NOVAR', 'the new task has no secret');
  t.equal(await read(next!, '/c/app.conf'), '200 mode=slow\n', 'and the new config');

  const swl = await cli(up.url, 'secret', 'ls', '--format', '{{.Name}}');
  t.same(lines(swl.stdout), ['db_pass'], 'the swarmlet CLI sees the same secret');
  const rm = await docker.run('secret', 'rm', 'db_pass');
  t.equal(rm.code, 0, rm.stderr);
  t.same(lines(rm.stdout), ['db_pass']);
  t.equal((await docker.run('service', 'rm', 'api')).code, 0);
  const rmc = await docker.run('config', 'rm', 'app.conf', 'app2.conf');
  t.equal(rmc.code, 0, rmc.stderr);
  t.same(parseTable((await docker.run('config', 'ls')).stdout), []);
  t.same(parseTable((await docker.run('secret', 'ls')).stdout), []);
});
