/**
 * The stock `docker` CLI against a real `swarmlet up` (DOCKER_HOST=tcp://127.0.0.1:PORT), and the
 * two CLIs seeing the same objects. Skipped when docker is not on PATH.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from '../../lib/model/types.js';
import { dockerAvailable } from '../fixtures/docker-cli.js';
import { cli, getJson, lockLocalNodes, parseTable, runCommand, startUp, until } from '../fixtures/up-process.js';

// `swarmlet up` owns 127.0.0.1-3 (gateway ports, :9323): one such test file at a time (see lockLocalNodes)
t.setTimeout(300_000);
let releaseNodes = () => {};
t.before(async () => { releaseNodes = await lockLocalNodes(); t.setTimeout(300_000); }); // the wait for the lock does not count
t.teardown(() => releaseNodes());


const skip = dockerAvailable() ? false : 'docker CLI not on PATH';

t.test('the docker CLI drives `swarmlet up`; swarmlet and docker see the same objects', { skip }, async (t) => {
  const up = await startUp();
  const configDir = mkdtempSync(join(tmpdir(), 'swarmlet-docker-cfg-'));
  t.teardown(async () => {
    await up.stop('SIGINT').catch(() => up.kill9());
    rmSync(up.dataDir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  });
  const env: NodeJS.ProcessEnv = { DOCKER_HOST: `tcp://127.0.0.1:${up.port}`, DOCKER_CONFIG: configDir, DOCKER_CLI_HINTS: 'false',
    DOCKER_CONTEXT: '', DOCKER_API_VERSION: '', DOCKER_TLS_VERIFY: '', DOCKER_CERT_PATH: '', DOCKER_TLS: '' };
  const docker = (...args: string[]) => runCommand('docker', args, env, 30_000);
  const sw = (...args: string[]) => cli(up.url, ...args);
  const lsRow = async (name: string) => parseTable((await docker('service', 'ls')).stdout).find((r) => r.NAME === name);

  await t.test('docker service create / ls / ps / scale / inspect / logs', async (t) => {
    const created = await docker('service', 'create', '-d', '--name', 'dk', '--replicas', '2', 'whoami');
    t.equal(created.code, 0, created.stderr);
    t.match(created.stdout.trim(), /^[0-9a-z]{25}$/);
    const row = await until('dk 2/2 in docker service ls', async () => ((await lsRow('dk'))?.REPLICAS === '2/2' ? lsRow('dk') : undefined));
    t.match(row, { ID: created.stdout.trim().slice(0, 12), MODE: 'replicated', IMAGE: /^whoami/ });

    const ps = await docker('service', 'ps', 'dk');
    t.equal(ps.code, 0, ps.stderr);
    const rows = parseTable(ps.stdout);
    t.same(rows.map((r) => r.NAME).sort(), ['dk.1', 'dk.2']);
    t.ok(rows.every((r) => r['DESIRED STATE'] === 'Running' && r['CURRENT STATE']!.startsWith('Running')), ps.stdout);
    t.equal(new Set(rows.map((r) => r.NODE)).size, 2, 'on two different nodes');

    const scale = await docker('service', 'scale', '-d', 'dk=3');
    t.equal(scale.code, 0, scale.stderr);
    t.match(scale.stdout, /dk scaled to 3/);
    await until('dk 3/3', async () => (await lsRow('dk'))?.REPLICAS === '3/3');

    const inspect = await docker('service', 'inspect', 'dk');
    t.equal(inspect.code, 0, inspect.stderr);
    const [svc] = JSON.parse(inspect.stdout) as Service[];
    t.equal(svc?.Spec.Name, 'dk');
    t.same(svc?.Spec.Mode, { Replicated: { Replicas: 3 } });

    const nodes = await docker('node', 'ls');
    t.equal(nodes.code, 0, nodes.stderr);
    const nodeRows = parseTable(nodes.stdout);
    t.same(nodeRows.map((n) => n.HOSTNAME), ['node-1', 'node-2', 'node-3']);
    t.same(nodeRows.map((n) => n.ID!.endsWith(' *')), [true, false, false], '`*` on node-1');
    t.ok(nodeRows.every((n) => n.STATUS === 'Ready'));

    const logs = await until('a log line from each of the 3 tasks', async () => {
      const r = await docker('service', 'logs', 'dk');
      const slots = new Set(r.stdout.split('\n').map((l) => /^dk\.(\d)\.[0-9a-z]{12}@node-\d +\| /.exec(l)?.[1]).filter(Boolean));
      return r.code === 0 && slots.size === 3 ? r : undefined;
    });
    t.ok(logs.stdout.split('\n').filter(Boolean).every((l) => /^dk\.\d\.[0-9a-z]{12}@node-\d +\| /.test(l)), logs.stdout);
  });

  await t.test('docker service update waits with docker\'s own progress display', async (t) => {
    const r = await docker('service', 'update', '--replicas', '4', 'dk');
    t.equal(r.code, 0, r.stderr);
    t.ok(r.stdout.trimEnd().endsWith('verify: Service dk converged'), r.stdout);
  });

  await t.test('created with docker, seen by swarmlet (and the other way round)', async (t) => {
    const [dps, sps, sinspect] = await Promise.all([
      docker('service', 'ps', '-q', '--no-trunc', 'dk'), sw('service', 'ps', '-q', '--no-trunc', 'dk'), sw('service', 'inspect', 'dk'),
    ]);
    t.equal(sps.code, 0, sps.stderr);
    t.same(sps.stdout.split('\n').filter(Boolean).sort(), dps.stdout.split('\n').filter(Boolean).sort(), 'the same task IDs');
    t.equal((JSON.parse(sinspect.stdout) as Service[])[0]?.Spec.Mode.Replicated?.Replicas, 4);

    const created = await sw('service', 'create', '-d', '--name', 'sw', '--replicas', '1', '-p', '9300:8080', 'whoami');
    t.equal(created.code, 0, created.stderr);
    const fmt = await docker('service', 'inspect', '--format', '{{.ID}} {{.Spec.Name}} {{.Spec.Mode.Replicated.Replicas}} {{(index .Spec.EndpointSpec.Ports 0).PublishedPort}}', 'sw');
    t.equal(fmt.code, 0, fmt.stderr);
    t.equal(fmt.stdout.trim(), `${created.stdout.trim()} sw 1 9300`);
    t.match(await lsRow('sw'), { PORTS: '*:9300->8080/tcp' });

    const update = await docker('service', 'update', '-d', '--replicas', '2', 'sw');
    t.equal(update.code, 0, update.stderr);
    const after = await sw('service', 'inspect', 'sw');
    t.equal((JSON.parse(after.stdout) as Service[])[0]?.Spec.Mode.Replicated?.Replicas, 2, 'swarmlet sees docker\'s update');
    const nodeUpdate = await sw('node', 'update', '--label-add', 'zone=eu', 'node-2');
    t.equal(nodeUpdate.code, 0, nodeUpdate.stderr);
    const labels = await docker('node', 'inspect', '--format', '{{.Spec.Labels.zone}}', 'node-2');
    t.equal(labels.stdout.trim(), 'eu', 'docker sees swarmlet\'s node update');
  });

  await t.test('docker service rm', async (t) => {
    const rm = await docker('service', 'rm', 'dk', 'sw');
    t.equal(rm.code, 0, rm.stderr);
    t.same(rm.stdout.split('\n').filter(Boolean), ['dk', 'sw']);
    t.same(await getJson(up.url, '/services'), [], 'no service left');
    const ls = await sw('service', 'ls');
    t.same(parseTable(ls.stdout), []);
  });
});
