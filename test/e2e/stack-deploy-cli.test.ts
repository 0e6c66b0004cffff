/**
 * `swarmlet stack deploy -c FILE NAME` against `swarmlet up`: bad files are refused with one clear error
 * and nothing deployed; a deploy creates the network, secret and services; an unchanged redeploy
 * updates nothing; a changed image updates only that service (rolled); `--prune` removes a service
 * no longer in the file; a missing required `${VAR}` is refused; `-c a -c b` merges with variables from the
 * CLI's environment; a changed secret file becomes a new content-hashed version that api's tasks read after
 * api is rolled, the old version removed once no spec nor rollback target references it.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service, Task } from '../../lib/model/types.js';
import { cliWith, getJson, lockLocalNodes, runCommand, startUp, until } from '../fixtures/up-process.js';

t.setTimeout(300_000); // the file as a whole: several clusters' worth of steps on a loaded machine exceed tap's 120 s

const lines = (s: string) => s.split('\n').filter(Boolean);
function envOf(pid: number): Record<string, string> {
  return Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

function compose(webImage: string, withWeb = true): string {
  return `services:
  api:
    image: whoami:1
    deploy:
      replicas: 1
    secrets: [db_pass]
${withWeb ? `  web:
    image: ${webImage}
    deploy:
      replicas: 2
      update_config: { order: start-first, delay: 100ms }
    ports: ["9431:8080"]
` : ''}secrets:
  db_pass:
    file: ./pw.txt
`;
}

t.test('swarmlet stack deploy', async (t) => {
  t.setTimeout(240_000);
  const release = await lockLocalNodes();
  t.teardown(release);
  const up = await startUp({ extraArgs: ['--metrics-port', 'off'] });
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-e2e-stackdeploy-'));
  t.teardown(async () => {
    await up.stop('SIGINT').catch(() => up.kill9());
    rmSync(up.dataDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });
  const run = (...args: string[]) => cliWith({ url: up.url, timeoutMs: 60_000 }, ...args);
  const write = (name: string, text: string) => { writeFileSync(join(dir, name), text); return join(dir, name); };
  const nothing = async (what: string) => {
    t.same(await getJson<unknown[]>(up.url, '/services'), [], `${what}: no service`);
    t.same(await getJson<unknown[]>(up.url, '/secrets'), [], `${what}: no secret`);
    t.same(await getJson<unknown[]>(up.url, '/networks'), [], `${what}: no network`);
  };
  writeFileSync(join(dir, 'pw.txt'), 'PW-s3cret');

  const bad: Array<[string, string, RegExp]> = [
    ['unknown key', compose('whoami:1').replace('    image: whoami:1\n', '    image: whoami:1\n    build: .\n'), /services\.api\.build: unsupported key/],
    ['missing secret file', compose('whoami:1').replace('./pw.txt', './gone.txt'), /secrets\.db_pass\.file: cannot read "\.\/gone\.txt" \(ENOENT\)/],
    ['one port twice', compose('whoami:1').replace('    secrets: [db_pass]\n', '    secrets: [db_pass]\n    ports: ["9431:80"]\n'), /services\.web\.ports: port 9431\/tcp is already published by service api/],
    ['missing external network', compose('whoami:1').replace('    secrets: [db_pass]\n', '    secrets: [db_pass]\n    networks: [outside]\n') + 'networks:\n  outside: { external: true }\n', /network "outside" is declared as external, but could not be found/],
    ['missing external secret', compose('whoami:1').replace('    file: ./pw.txt\n', '    external: true\n'), /secret "db_pass" is declared as external, but could not be found/],
    ['missing required variable', compose('whoami:${WEB_TAG:?set WEB_TAG}'), /bad\.yml: services\.web\.image: required variable WEB_TAG is missing a value: set WEB_TAG/],
  ];
  for (const [what, text, re] of bad) {
    const r = await run('stack', 'deploy', '-c', write('bad.yml', text), 'app');
    t.equal(r.code, 1, what);
    t.match(r.stderr, re, what);
    t.equal(lines(r.stderr).length, 1, `${what}: one error line`);
    t.notMatch(r.stderr, /PW-s3cret/, `${what}: no secret data`);
    await nothing(what);
  }

  // `-c -` reads standard input (errors name it).
  const stdin = await runCommand('/bin/sh', ['-c', `"${process.execPath}" --import tsx cmd/swarmlet.ts stack deploy -c - app < "${write('bad.yml', 'services:\n  api:\n    image: whoami:1\n    build: .\n')}"`], { SWARMLET_HOST: up.url }, 60_000);
  t.equal(stdin.code, 1);
  t.match(stdin.stderr, /\(stdin\): services\.api\.build: unsupported key/, 'a file from standard input');
  await nothing('stdin');

  const first = await run('stack', 'deploy', '-c', write('c1.yml', compose('whoami:1')), 'app');
  t.equal(first.code, 0, first.stderr);
  t.same(lines(first.stdout), ['Creating network app_default', 'Creating secret app_db_pass', 'Creating service app_api', 'Creating service app_web']);
  const running = (svc: string) => until(`${svc} running`, async () => {
    const ts = (await getJson<Task[]>(up.url, '/tasks?filters=' + encodeURIComponent(JSON.stringify({ service: [svc], 'desired-state': ['running'] }))))
      .filter((x) => x.Status.State === 'running');
    return ts.length > 0 ? ts : undefined;
  }, 60_000);
  await running('app_api');
  await until('web 2 running', async () => ((await running('app_web')).length === 2 ? true : undefined), 60_000);
  const services = async () => new Map((await getJson<Service[]>(up.url, '/services')).map((s) => [s.Spec.Name, s]));
  const before = await services();
  t.equal(before.get('app_api')?.Spec.Labels?.['com.docker.stack.namespace'], 'app');

  const same = await run('stack', 'deploy', '-c', join(dir, 'c1.yml'), 'app');
  t.equal(same.code, 0, same.stderr);
  t.same(lines(same.stdout), [], 'an unchanged redeploy changes nothing');
  const after = await services();
  t.equal(after.get('app_api')?.Version.Index, before.get('app_api')?.Version.Index, 'api not updated');
  t.equal(after.get('app_web')?.Version.Index, before.get('app_web')?.Version.Index, 'web not updated');

  const apiTasks = (await running('app_api')).map((x) => x.ID);
  // Several -c files, the later one interpolated from the CLI's environment: only web's image changes.
  write('over.yml', 'services:\n  web:\n    image: "whoami:${WEB_TAG}"\n');
  const second = await cliWith({ url: up.url, timeoutMs: 60_000, env: { WEB_TAG: '2' } }, 'stack', 'deploy', '-c', join(dir, 'c1.yml'), '-c', join(dir, 'over.yml'), 'app');
  t.equal(second.code, 0, second.stderr);
  t.match(lines(second.stdout), [/^Updating service app_web \(id: \w+\)$/]);
  t.equal(lines(second.stdout).length, 1, 'only web is updated');
  await until('web on whoami:2', async () => {
    const r = await running('app_web');
    return r.length === 2 && r.every((x) => x.Spec.ContainerSpec.Image === 'whoami:2') ? true : undefined;
  }, 90_000);
  t.same((await running('app_api')).map((x) => x.ID), apiTasks, 'api was not rolled');

  // Changed secret content: a new content-hashed version, api switches to it (target unchanged) and is rolled.
  const secretName = (v: string) => `app_db_pass_${createHash('sha256').update(v).digest('hex').slice(0, 8)}`;
  const secretsNow = async () => (await getJson<Array<{ ID: string; Spec: { Name: string; Labels: Record<string, string> } }>>(up.url, '/secrets')).map((x) => x.Spec.Name).sort();
  const redeploy = async (pw: string) => {
    writeFileSync(join(dir, 'pw.txt'), pw);
    const r = await cliWith({ url: up.url, timeoutMs: 60_000, env: { WEB_TAG: '2' } }, 'stack', 'deploy', '-c', join(dir, 'c1.yml'), '-c', join(dir, 'over.yml'), 'app');
    t.equal(r.code, 0, r.stderr);
    t.notMatch(r.stdout + r.stderr, new RegExp(pw), 'no secret data printed');
    return lines(r.stdout);
  };
  const apiReads = (want: string) => until(`api tasks read ${want}`, async () => {
    const r = await running('app_api');
    const ok = r.every((x) => {
      const ref = (x.Spec.ContainerSpec.Secrets as Array<{ SecretName: string; File: { Name: string } }>)[0]!;
      const pid = x.Status.ContainerStatus?.PID;
      if (!pid || ref.File.Name !== 'db_pass') return false;
      try { return readFileSync(join(envOf(pid).SWARMLET_SECRETS!, 'db_pass'), 'utf8') === want; } catch { return false; }
    });
    return r.length === 1 && ok ? r : undefined;
  }, 90_000);
  await apiReads('PW-s3cret');
  const v1Tasks = (await running('app_api')).map((x) => x.ID);
  const second2 = await redeploy('PW-v2-s3cret');
  t.equal(second2.length, 2, second2.join('\n'));
  t.match(second2, [`Creating secret ${secretName('PW-v2-s3cret')} (new content of app_db_pass)`, /^Updating service app_api \(id: \w+\)$/], 'new version, only api updated');
  const v2 = await apiReads('PW-v2-s3cret');
  t.notSame(v2.map((x) => x.ID), v1Tasks, 'api was rolled');
  t.same(await secretsNow(), ['app_db_pass', secretName('PW-v2-s3cret')].sort(), 'the old version is kept while it is api\'s rollback target');
  t.same(await redeploy('PW-v2-s3cret'), [], 'the same content again changes nothing');
  const third = await redeploy('PW-v3-s3cret');
  t.equal(third.length, 3, third.join('\n'));
  t.match(third, [`Creating secret ${secretName('PW-v3-s3cret')} (new content of app_db_pass)`, /^Updating service app_api/, 'Removing secret app_db_pass (no service uses this version)']);
  await apiReads('PW-v3-s3cret');
  t.same(await secretsNow(), [secretName('PW-v2-s3cret'), secretName('PW-v3-s3cret')].sort());

  const pruned = await run('stack', 'deploy', '--prune', '-c', write('c3.yml', compose('whoami:2', false)), 'app');
  t.equal(pruned.code, 0, pruned.stderr);
  t.same(lines(pruned.stdout), ['Removing service app_web']);
  t.same([...(await services()).keys()], ['app_api']);

  const rm = await run('stack', 'rm', 'app');
  t.equal(rm.code, 0, rm.stderr);
  await nothing('after stack rm');
});
