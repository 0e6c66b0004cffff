/**
 * `docker stack deploy` with the stock docker CLI against `swarmlet up` (the CLI parses the compose
 * file and drives networks, secrets, configs and services through the Engine API): a published web
 * service reaches the unpublished-in-spirit api service by `API_SERVICE_HOST/PORT` over the stack's
 * default network, api reads its secret and config, `stack ls/services/ps` show the stack, a redeploy
 * with a changed web image rolls only web with 0 failed requests through its published port, and
 * `stack rm` leaves no service, network, secret or config. A changed secret: docker's deploy is refused as by
 * Swarm; swarmlet's deploy of the same file makes a content-hashed version that api then reads.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import type { Task } from '../../lib/model/types.js';
import { dockerAvailable, dockerSession, lines } from '../fixtures/docker-cli.js';
import { cli, getJson, parseTable, until } from '../fixtures/up-process.js';

t.setTimeout(300_000); // the file as a whole: several clusters' worth of steps on a loaded machine exceed tap's 120 s

const READER = `const http=require('http'),fs=require('fs'),path=require('path');
http.createServer((q,r)=>{const [,k,n]=q.url.split('/');const d=process.env[k==='c'?'SWARMLET_CONFIGS':'SWARMLET_SECRETS'];
try{r.end(k==='s'||k==='c'?fs.readFileSync(path.join(d,n)):'api '+process.env.SWARMLET_TASK_NAME)}catch(e){r.statusCode=404;r.end(d?String(e.code):'NOVAR')}}).listen(+process.env.PORT,process.env.HOST)`;

const skip = dockerAvailable() ? false : 'docker CLI not on PATH: the docker 28.x client drives this suite';

function compose(webImage: string): string {
  return `version: "3.8"
services:
  api:
    image: reader:1
    deploy:
      replicas: 2
    ports:
      - target: 8080
        published: 9410
    secrets:
      - source: db_pass
        target: db_password
    configs:
      - source: app_conf
        target: /etc/app/app.conf
  web:
    image: ${webImage}
    deploy:
      replicas: 2
      update_config:
        order: start-first
        delay: 200ms
    ports:
      - "9411:8080"
secrets:
  db_pass:
    file: ./pw.txt
configs:
  app_conf:
    file: ./app.conf
`;
}

function envOf(pid: number): Record<string, string> {
  return Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

async function text(url: string): Promise<string> {
  const res = await request(url);
  const body = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode} ${body}`);
  return body;
}

t.test('docker stack deploy/ls/services/ps/rm against swarmlet', { skip }, async (t) => {
  t.setTimeout(240_000);
  const { up, docker } = await dockerSession(t);
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-e2e-stack-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const plain = `STACKPLAIN-${Math.random().toString(36).slice(2)}`;
  writeFileSync(join(dir, 'pw.txt'), plain);
  writeFileSync(join(dir, 'app.conf'), 'mode=fast\n');
  writeFileSync(join(dir, 'compose.yml'), compose('whoami:1'));
  t.equal((await cli(up.url, 'image', 'add', 'reader:1', '--cmd', `node -e "${READER.replace(/"/g, '\\"').replace(/\n/g, ' ')}"`)).code, 0);
  const deploy = (file: string) => docker.runWith(60_000, 'stack', 'deploy', '--resolve-image', 'never', '-c', join(dir, file), 'app');

  const first = await deploy('compose.yml');
  t.equal(first.code, 0, first.stderr);
  t.match(first.stdout, /Creating network app_default/);
  t.match(first.stdout, /Creating secret app_db_pass/);
  t.match(first.stdout, /Creating config app_app_conf/);
  t.same(parseTable((await docker.run('stack', 'ls')).stdout).map((r) => [r.NAME, r.SERVICES]), [['app', '2']]);
  await until('stack services N/N', async () => {
    const rows = parseTable((await docker.run('stack', 'services', 'app')).stdout);
    return rows.length === 2 && rows.every((r) => /^(\d+)\/\1$/.test(r.REPLICAS!)) ? true : undefined;
  }, 60_000);
  const ps = await docker.run('stack', 'ps', 'app', '--format', '{{.Name}}', '--filter', 'desired-state=running');
  t.same(lines(ps.stdout).sort(), ['app_api.1', 'app_api.2', 'app_web.1', 'app_web.2']);

  const tasks = async (svc: string) => (await getJson<Task[]>(up.url, '/tasks?filters=' + encodeURIComponent(JSON.stringify({ service: [svc], 'desired-state': ['running'] }))))
    .filter((x) => x.Status.State === 'running' && x.Status.ContainerStatus?.PID);
  let web = (await until('web tasks', async () => { const r = await tasks('app_web'); return r.length === 2 ? r : undefined; }))[0]!;
  let env = envOf(web.Status.ContainerStatus!.PID!);
  if (env.APP_API_SERVICE_HOST === undefined) {
    // docker stack deploy creates services in Go map order: web may have started before api existed.
    // Discovery by environment (as Kubernetes') covers the services that exist when a task starts.
    t.comment('web was created before api: --force it so that its tasks start with api in their environment');
    t.equal((await docker.run('service', 'update', '--force', '-d', 'app_web')).code, 0);
    web = (await until('web tasks that see api', async () => {
      const r = (await tasks('app_web')).filter((x) => envOf(x.Status.ContainerStatus!.PID!).APP_API_SERVICE_HOST !== undefined);
      return r.length === 2 ? r : undefined;
    }, 60_000))[0]!;
    env = envOf(web.Status.ContainerStatus!.PID!);
  }
  t.match(env.APP_API_SERVICE_HOST, /^127\.77\.\d+\.\d+$/, 'web sees api on the stack\'s network (service app_api)');
  t.equal(env.APP_API_SERVICE_PORT, '8080');
  t.equal(env.API_SERVICE_HOST, env.APP_API_SERVICE_HOST, 'and by its compose name (the alias docker stack gives it)');
  const vip = `http://${env.API_SERVICE_HOST}:${env.API_SERVICE_PORT}`;
  t.match(await until('api by VIP', () => text(`${vip}/`)), /^api app_api\.\d$/);
  t.equal(await text(`${vip}/s/db_password`), plain, 'api reads its secret');
  t.equal(await text(`${vip}/c/app.conf`), 'mode=fast\n', 'and its config');

  // Redeploy with a new web image: only web rolls, with no failed request on its published port.
  const apiBefore = (await tasks('app_api')).map((x) => x.ID).sort();
  let ok = 0;
  let failed = 0;
  let stop = false;
  const load = (async () => {
    const deadline = Date.now() + 90_000;
    while (!stop && Date.now() < deadline) { try { await text('http://127.0.0.1:9411/'); ok++; } catch { failed++; } }
  })();
  writeFileSync(join(dir, 'compose2.yml'), compose('whoami:2'));
  const second = await deploy('compose2.yml');
  t.equal(second.code, 0, second.stderr);
  await until('web on whoami:2', async () => {
    const r = await tasks('app_web');
    return r.length === 2 && r.every((x) => x.Spec.ContainerSpec.Image === 'whoami:2') ? true : undefined;
  }, 90_000);
  stop = true;
  await load;
  t.ok(ok > 20, `requests through :9411 during the redeploy (${ok})`);
  t.equal(failed, 0, 'no failed request');
  t.same((await tasks('app_api')).map((x) => x.ID).sort(), apiBefore, 'api was not rolled');

  // Changed secret content: the stock docker CLI sends `secret update` with the new data and is refused as by
  // Swarm (moby#33808); `swarmlet stack deploy` of the same file makes a content-hashed version and rolls api.
  const plain2 = `${plain}-v2`;
  writeFileSync(join(dir, 'pw.txt'), plain2);
  const refused = await deploy('compose2.yml');
  t.equal(refused.code, 1, 'docker stack deploy with a changed secret fails');
  t.match(refused.stderr, /failed to update secret app_db_pass: Error response from daemon: only updates to Labels are allowed/);
  t.notMatch(refused.stderr + refused.stdout, plain2, 'no secret data in the error');
  const ours = await cli(up.url, 'stack', 'deploy', '-c', join(dir, 'compose2.yml'), 'app');
  t.equal(ours.code, 0, ours.stderr);
  const hashed = `app_db_pass_${createHash('sha256').update(plain2).digest('hex').slice(0, 8)}`;
  t.match(ours.stdout, new RegExp(`^Creating secret ${hashed} \\(new content of app_db_pass\\)$`, 'm'), 'a new version of the docker-created secret');
  t.notMatch(ours.stdout, /Creating config/, 'the unchanged config is reused');
  t.match(ours.stdout, /^Updating service app_api /m);
  t.equal(await until('api reads the new secret', async () => ((await text(`${vip}/s/db_password`).catch(() => '')) === plain2 ? plain2 : undefined), 90_000), plain2);

  // The swarmlet CLI sees the same stack.
  t.same(parseTable((await cli(up.url, 'stack', 'ls')).stdout).map((r) => [r.NAME, r.SERVICES]), [['app', '2']]);
  t.same(parseTable((await cli(up.url, 'stack', 'services', 'app')).stdout).map((r) => r.NAME), ['app_api', 'app_web']);
  const sps = await cli(up.url, 'stack', 'ps', 'app', '--filter', 'desired-state=running', '--format', '{{.Name}}');
  t.same(lines(sps.stdout).sort(), ['app_api.1', 'app_api.2', 'app_web.1', 'app_web.2'], sps.stderr);

  const rm = await docker.run('stack', 'rm', 'app');
  t.equal(rm.code, 0, rm.stderr);
  await until('nothing left', async () => ((await getJson<unknown[]>(up.url, '/services')).length === 0 ? true : undefined));
  for (const what of ['network', 'secret', 'config']) t.same(parseTable((await docker.run(what, 'ls')).stdout), [], `no ${what} left`);

  // Deployed again, removed by `swarmlet stack rm`: the same nothing left.
  t.equal((await deploy('compose.yml')).code, 0);
  const srm = await cli(up.url, 'stack', 'rm', 'app');
  t.equal(srm.code, 0, srm.stderr);
  t.same(lines(srm.stdout), ['Removing service app_api', 'Removing service app_web', 'Removing secret app_db_pass', 'Removing config app_app_conf', 'Removing network app_default']);
  t.same(await getJson<unknown[]>(up.url, '/services'), []);
  for (const what of ['network', 'secret', 'config']) t.same(parseTable((await docker.run(what, 'ls')).stdout), [], `no ${what} left after swarmlet stack rm`);
  t.match((await cli(up.url, 'stack', 'rm', 'app')).stdout, /Nothing found in stack: app/);
});
