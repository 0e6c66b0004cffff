/**
 * The commands, with the CLI: `swarmlet up --nodes 2 --driver docker`, a service of
 * containers with `-p 9000:80 IMAGE /bin/httpd -f -p 80 …`, an update to :2, and `service rm`
 * leaving no container. Uses the shared test dockerd; skipped (one line) without an engine.
 */
import t from 'tap';

// Many CLI processes one after another: under load (2 cores) the file outlasts tap's default 120 s.
t.setTimeout(300_000);
import { request } from 'undici';
import { cli, lockLocalNodes, startUp, until } from '../fixtures/up-process.js';
import { TEST_IMAGES, testEngine } from '../fixtures/dockerd.js';

const engine = await testEngine(t, 'docker up e2e');
if (!engine) {
  t.pass('skipped: no Docker engine');
} else {
  const { host, docker } = engine;
  const body = async (url: string) => { const r = await request(url); return (await r.body.text()).trim(); };

  t.test('swarmlet up --driver docker', async (t) => {
    const release = await lockLocalNodes();
    t.teardown(release);
    const up = await startUp({ nodes: 2, extraArgs: ['--driver', 'docker', '--docker-host', host, '--metrics-port', 'off'], timeoutMs: 60_000 });
    t.teardown(() => up.stop().then(() => undefined, () => undefined));
    const created = await cli(up.url, 'service', 'create', '--name', 'dweb', '--replicas', '3', '-p', '9000:80', '--stop-grace-period', '1s',
      '--update-parallelism', '1', '--update-delay', '0s', TEST_IMAGES.v1, '/bin/httpd', '-f', '-p', '80', '-h', '/www');
    t.equal(created.code, 0, `service create (${created.stderr.trim()})`);
    await until('3 answers of v1 through the gateways', async () => {
      const a = await body('http://127.0.0.1:9000/').catch(() => '');
      const b = await body('http://127.0.0.2:9000/').catch(() => '');
      return a === 'v1' && b === 'v1';
    }, 60_000);
    const ps = await cli(up.url, 'service', 'ps', 'dweb');
    t.equal(ps.stdout.trim().split('\n').filter((l) => / Running +Running /.test(l)).length, 3, `service ps: 3 running (${ps.stdout}${ps.stderr})`);
    const sid = (JSON.parse((await cli(up.url, 'service', 'inspect', 'dweb')).stdout) as Array<{ ID: string }>)[0]!.ID;
    t.equal(docker('ps', '-q', '--filter', `label=swarmlet.service.id=${sid}`).split('\n').filter(Boolean).length, 3, '3 containers');

    const updated = await cli(up.url, 'service', 'update', '--image', TEST_IMAGES.v2, 'dweb');
    t.equal(updated.code, 0, `service update --image :2 (${updated.stderr.trim()})`);
    t.match(updated.stdout, /verify: Service (dweb )?converged|converged/, 'waited for convergence');
    t.equal(await body('http://127.0.0.1:9000/'), 'v2', 'the gateway serves v2');

    const rm = await cli(up.url, 'service', 'rm', 'dweb');
    t.equal(rm.code, 0);
    await until('no container left', async () => docker('ps', '-aq', '--filter', `label=swarmlet.service.id=${sid}`) === '', 60_000);
    t.pass('service rm removed every container');

    const stopped = await up.stop();
    t.equal(stopped.code, 0, 'up stops cleanly');
  });

  t.test('a clear error without an engine', async (t) => {
    const r = await cli('http://127.0.0.1:1', 'up', '--nodes', '1', '--driver', 'docker', '--docker-host', 'unix:///tmp/no-such-docker.sock', '--listen', '127.0.0.1:0', '--no-gateway');
    t.not(r.code, 0);
    t.match(r.stderr, /cannot reach the Docker engine at unix:\/\/\/tmp\/no-such-docker\.sock/, r.stderr.trim());
    const bad = await cli('http://127.0.0.1:1', 'up', '--driver', 'vm');
    t.match(bad.stderr, /invalid driver "vm": expected process or docker/);
  });
}
