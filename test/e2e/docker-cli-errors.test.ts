/**
 * Errors as docker users know them: the real docker 28.x client against one real `swarmlet up`,
 * each case checking docker's printed text, its exit code, and that nothing changed server-side.
 */
import t from 'tap';
import type { Service } from '../../lib/model/types.js';
import { dockerAvailable, dockerSession, lines } from '../fixtures/docker-cli.js';
import { getJson } from '../fixtures/up-process.js';

const skip = dockerAvailable() ? false : 'docker CLI not on PATH: the docker 28.x client drives this suite';

t.test('docker CLI error texts and exit codes against swarmlet', { skip }, async (t) => {
  t.setTimeout(180_000);
  const { up, docker } = await dockerSession(t);
  const services = () => getJson<Service[]>(up.url, '/services');
  const names = async () => (await services()).map((s) => s.Spec.Name).sort();
  const toms = async () => (await services()).find((s) => s.Spec.Name === 'toms')!;

  const created = await docker.run('service', 'create', '-d', '--name', 'toms', '--replicas', '2', '-p', '9000:8080', 'whoami:1');
  t.equal(created.code, 0, created.stderr);
  t.equal(created.stderr, '', 'no digest warning');
  const tomsId = created.stdout.trim();

  await t.test('unknown service, task or node', async (t) => {
    const cases: Array<{ args: string[]; stdout: string; stderr: string }> = [
      { args: ['service', 'ps', 'nosuch'], stdout: '', stderr: 'no such service: nosuch' },
      { args: ['service', 'inspect', 'nosuch'], stdout: '[]', stderr: 'Error: no such service: nosuch' },
      { args: ['service', 'logs', 'nosuch'], stdout: '', stderr: 'no such task or service: nosuch' },
      { args: ['service', 'logs', 'toms.9'], stdout: '', stderr: 'no such task or service: toms.9' },
      { args: ['service', 'rm', 'nosuch'], stdout: '', stderr: 'Error response from daemon: service nosuch not found' },
      { args: ['service', 'scale', 'nosuch=2'], stdout: '', stderr: 'nosuch: Error response from daemon: service nosuch not found' },
      { args: ['service', 'update', '-d', '--image', 'whoami:2', 'nosuch'], stdout: '', stderr: 'Error response from daemon: service nosuch not found' },
      { args: ['node', 'inspect', 'nosuch'], stdout: '[]', stderr: 'Error response from daemon: node nosuch not found' },
      { args: ['node', 'ps', 'nosuch'], stdout: '', stderr: 'Error response from daemon: node nosuch not found' },
      { args: ['node', 'update', '--availability', 'drain', 'nosuch'], stdout: '', stderr: 'Error response from daemon: node nosuch not found' },
    ];
    for (const c of cases) {
      const r = await docker.run(...c.args);
      t.same({ code: r.code, stdout: r.stdout.trim(), stderr: r.stderr.trim() }, { code: 1, stdout: c.stdout, stderr: c.stderr }, `docker ${c.args.join(' ')}`);
    }
    const rm = await docker.run('service', 'create', '-d', '--name', 'tmp', 'whoami:1');
    t.equal(rm.code, 0, rm.stderr);
    const partial = await docker.run('service', 'rm', 'nosuch', 'tmp');
    t.equal(partial.code, 1, 'one missing service fails the command');
    t.equal(partial.stdout, 'tmp\n', '… but the others are removed');
    t.equal(partial.stderr.trim(), 'Error response from daemon: service nosuch not found');
    t.same(await names(), ['toms']);
  });

  await t.test('refused node and service updates', async (t) => {
    const sleepy = await docker.run('node', 'update', '--availability', 'sleepy', 'node-2');
    t.equal(sleepy.code, 1, 'docker does not check --availability itself: the daemon refuses it');
    t.match(sleepy.stderr, /^Error response from daemon: invalid Availability: "sleepy"/);
    const node2 = await docker.run('node', 'inspect', 'node-2', '--format', '{{.Spec.Availability}}');
    t.equal(node2.stdout.trim(), 'active', 'node-2 unchanged');

    const dup = await docker.run('service', 'create', '--name', 'toms', 'whoami:1');
    t.equal(dup.code, 1);
    t.equal(dup.stdout, '');
    t.equal(dup.stderr.trim(), 'Error response from daemon: name conflicts with an existing object: service toms already exists');

    const port = await docker.run('service', 'create', '-d', '--name', 'p2', '-p', '9000:8080', 'whoami:1');
    t.equal(port.code, 1);
    t.equal(port.stderr.trim(), `Error response from daemon: port '9000' is already in use by service 'toms' (${tomsId}) as an ingress port`);

    const noPrevious = await docker.run('service', 'rollback', 'toms');
    t.equal(noPrevious.code, 1);
    t.equal(noPrevious.stderr.trim(), `Error response from daemon: service ${tomsId} does not have a previous spec`);

    const badName = await docker.run('service', 'create', '-d', '--name', 'bad:name', 'whoami:1');
    t.equal(badName.code, 1);
    t.match(badName.stderr, /^Error response from daemon: invalid name "bad:name"/);
    t.same(await names(), ['toms'], 'nothing was created');
  });

  await t.test('docker\'s own client-side checks', async (t) => {
    const global = await docker.run('service', 'create', '--replicas', '2', '--mode', 'global', 'whoami:1');
    t.equal(global.code, 1);
    t.equal(global.stderr.trim(), 'replicas can only be used with replicated or replicated-job mode');
    const port = await docker.run('service', 'create', '-p', '70000:80', 'whoami:1');
    t.equal(port.code, 125, 'a flag error is docker\'s usage exit code');
    t.match(port.stderr, /^invalid argument "70000:80" for "-p, --publish" flag: invalid hostPort: 70000$/m);
    const scale = await docker.run('service', 'scale', 'toms=abc');
    t.equal(scale.code, 1);
    t.match(scale.stderr, /^toms: invalid replicas value abc: /);
    t.same(await names(), ['toms']);
    t.equal((await toms()).Spec.Mode.Replicated?.Replicas, 2, 'toms unchanged');
  });

  await t.test('an image no node can run', async (t) => {
    const create = await docker.run('service', 'create', '--name', 'x', 'nosuch:1');
    t.equal(create.code, 1);
    t.equal(create.stdout, '');
    t.match(create.stderr, /^Error response from daemon: .*image nosuch:1 not found/);
    t.same(await names(), ['toms'], 'no service x');
    const before = await toms();
    const update = await docker.run('service', 'update', '-d', '--image', 'nosuch:2', 'toms');
    t.equal(update.code, 1);
    t.match(update.stderr, /^Error response from daemon: .*image nosuch:2 not found/);
    const after = await toms();
    t.equal(after.Spec.TaskTemplate.ContainerSpec.Image, 'whoami:1');
    t.equal(after.Version.Index, before.Version.Index, 'the refused update wrote nothing');
  });

  await t.test('two docker service updates at once: one may lose with "update out of sequence", none is lost silently', async (t) => {
    // --label-add changes no task, so no updater write bumps the version meanwhile: only the two clients race
    const won: string[] = [];
    let conflicts = 0;
    for (let round = 0; round < 6; round++) {
      const keys = [`a${round}`, `b${round}`];
      const results = await Promise.all(keys.map((k) => docker.run('service', 'update', '-d', '--label-add', `${k}=1`, 'toms')));
      let wins = 0;
      results.forEach((r, i) => {
        if (r.code === 0 && r.stdout === 'toms\n') { won.push(keys[i]!); wins++; }
        else if (r.code === 1 && r.stderr.trim() === 'Error response from daemon: update out of sequence') conflicts++;
        else t.fail(`unexpected result: ${JSON.stringify(r)}`);
      });
      if (wins === 0) t.fail(`round ${round}: both updates refused`);
    }
    t.pass(`${won.length} updates went through, ${conflicts} were out of sequence`);
    const labels = (await toms()).Spec.Labels ?? {};
    t.same(Object.keys(labels).sort(), won.sort(), 'every update docker reported as done is in the spec, and only those');

    // deterministic: a stale version straight on the API
    const stale = await fetch(`${up.url}/v1.41/services/toms/update?version=1`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify((await toms()).Spec),
    });
    t.equal(stale.status, 500);
    t.equal(stale.headers.get('content-type'), 'application/json');
    t.same(await stale.json(), { message: 'update out of sequence' });
  });

  await t.test('a global service cannot be scaled', async (t) => {
    const g = await docker.run('service', 'create', '-d', '--name', 'g', '--mode', 'global', 'whoami:1');
    t.equal(g.code, 0, g.stderr);
    const scale = await docker.run('service', 'scale', 'g=3');
    t.equal(scale.code, 1);
    t.equal(scale.stderr.trim(), 'g: scale can only be used with replicated or replicated-job mode');
    const replicas = await docker.run('service', 'update', '-d', '--replicas', '3', 'g');
    t.equal(replicas.code, 1);
    t.equal(replicas.stderr.trim(), 'replicas can only be used with replicated mode');
    const rm = await docker.run('service', 'rm', 'g', 'toms');
    t.same(lines(rm.stdout), ['g', 'toms']);
    t.same(await services(), []);
  });
});
