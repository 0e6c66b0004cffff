/**
 * The docker driver on a real engine (the shared test dockerd, images built by `docker import`),
 * in a one-node cluster on 127.0.0.221: a service publishing several target ports has each bound
 * to its own host port and reached through the mesh at the right target, and is running only once
 * every TCP target port answers (a VIP on two ports, a VIP-only service too); a container with two
 * ports is adopted with both (127.0.0.223); a compose file's bind mount and named volume reach the container.
 * Only loopback: the mesh and the host port bindings on 127.0.0.221, never a bridge address.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createCluster } from '../../lib/cluster/create-cluster.js';
import { systemClock } from '../../lib/clock.js';
import { createDockerApi } from '../../lib/drivers/docker/docker-api.js';
import { createDockerDriver } from '../../lib/drivers/docker/docker-driver.js';
import type { Task } from '../../lib/model/types.js';
import { composeToSpecs } from '../../lib/stack/compose-to-specs.js';
import { TEST_IMAGES, testEngine } from '../fixtures/dockerd.js';
import { tsk } from '../fixtures/store-objects.js';
import { until } from '../fixtures/up-process.js';

const ADDR = '127.0.0.221';
const HTTP_PORT = 9221;
const SECOND_PORT = 9222;
const UDP_PORT = 9223;
/** Target 443 published on udp too: bound for udp on the same host port as its tcp. */
const UDP_443_PORT = 9225;
/** The container's second server starts this long after the first (readiness must wait for it). */
const SECOND_DELAY_S = 4;
/** This file's VIPs (loopback, apart from the default pool other tests use). */
const VIP_POOL = '127.78.221.0/24';

t.setTimeout(300_000);

const engine = await testEngine(t, 'docker ports and mounts tests');
if (!engine) {
  t.pass('skipped: no Docker engine');
} else {
  const { host, docker } = engine;
  const containersOf = (serviceId: string) =>
    docker('ps', '-a', '-q', '--filter', `label=swarmlet.service.id=${serviceId}`).split('\n').filter(Boolean);
  const get = async (url: string) => {
    const r = await request(url, { headersTimeout: 3000, bodyTimeout: 3000 });
    return { status: r.statusCode, body: (await r.body.text()).trim() };
  };
  const answers = (url: string, want: string) =>
    until(`${want} at ${url}`, async () => ((await get(url).catch(() => undefined))?.body === want ? true : undefined), 60_000);

  const cluster = await createCluster({
    addresses: [ADDR], driver: { kind: 'docker', dockerHost: host }, gateway: { adminPort: false }, defaultAddrPool: [VIP_POOL],
  });
  cluster.control.networks!.create({ Name: 'back' });
  const vipOf = async (name: string) => (await cluster.service(name)).Endpoint.VirtualIPs![0]!.Addr.split('/')[0]!;
  const made: string[] = [];
  t.teardown(async () => {
    await cluster.close();
    // Whatever a failed test left: the containers of the services this file made.
    for (const id of made) for (const c of containersOf(id)) docker('rm', '-f', c);
  });
  await until('the node to report the engine\'s images', async () =>
    (await cluster.nodes()).every((n) => n.Description.Images?.includes(TEST_IMAGES.v1)) ? true : undefined, 60_000);
  const runningTask = (name: string) => until(`a running task of ${name}`, async () =>
    (await cluster.tasks({ service: [name], 'desired-state': ['running'] })).find((x: Task) => x.Status.State === 'running'), 90_000);

  t.test('several target ports: each bound to its own host port, reached through the mesh at its target; running once every TCP port answers', async (t) => {
    const svc = await cluster.createService({
      name: 'twoports', image: TEST_IMAGES.v1, replicas: 1,
      publish: [`${HTTP_PORT}:80`, `${SECOND_PORT}:443`, `${UDP_PORT}:53/udp`, `${UDP_443_PORT}:443/udp`],
      command: ['sh', '-c', `httpd -p 80 -h /www; sleep ${SECOND_DELAY_S}; echo second > /tmp/index.html; exec httpd -f -p 443 -h /tmp`],
      stopGracePeriod: '2s', networks: ['back'],
    });
    made.push(svc.ID);
    const task = await runningTask('twoports');
    const ep = task.Endpoint!;
    t.equal(ep.Addr, ADDR, 'reached at the node\'s address');
    t.ok(ep.Ports, 'Endpoint.Ports lists every target port');
    const [p80, p443, p53] = [ep.Ports!['80'], ep.Ports!['443'], ep.Ports!['53']];
    t.equal(p80, ep.Port, 'the first target is Endpoint.Port');
    t.equal(new Set([p80, p443, p53]).size, 3, 'three distinct host ports');

    const [container] = containersOf(svc.ID);
    const inspect = JSON.parse(docker('inspect', container!))[0];
    t.strictSame(inspect.HostConfig.PortBindings, {
      '80/tcp': [{ HostIp: ADDR, HostPort: String(p80) }],
      '443/tcp': [{ HostIp: ADDR, HostPort: String(p443) }],
      '53/udp': [{ HostIp: ADDR, HostPort: String(p53) }],
      '443/udp': [{ HostIp: ADDR, HostPort: String(p443) }],
    }, 'every target bound on the node address only (443 for tcp and udp on its one host port)');
    t.ok(['PORT=80', 'PORT_80=80', 'PORT_443=443', 'PORT_53=53'].every((e) => inspect.Config.Env.includes(e)), 'PORT and PORT_<target> inside');

    // Readiness waited for port 443 (opened SECOND_DELAY_S after start), not only port 80; the UDP port needs none.
    const started = Date.parse(inspect.State.StartedAt);
    const running = Date.parse(task.Status.Timestamp);
    t.ok(running - started >= (SECOND_DELAY_S - 0.5) * 1000, `running ${running - started} ms after the container started (second port after ${SECOND_DELAY_S} s)`);
    t.equal((await get(`http://${ADDR}:${p443}/`)).body, 'second', 'once running, the second target answers at its host port at once');
    t.equal((await get(`http://${ADDR}:${p80}/`)).body, 'v1', 'and the first at its own');

    t.equal(await answers(`http://${ADDR}:${HTTP_PORT}/`, 'v1'), true, 'the mesh reaches target 80 through the first published port');
    t.equal(await answers(`http://${ADDR}:${SECOND_PORT}/`, 'second'), true, 'and target 443 through the second');
    const vip = await vipOf('twoports');
    t.equal(await answers(`http://${vip}:80/`, 'v1'), true, `the VIP ${vip} reaches target 80 on port 80`);
    t.equal(await answers(`http://${vip}:443/`, 'second'), true, 'and target 443 on port 443');
    const ports = task.Status.PortStatus?.Ports ?? [];
    t.strictSame(Object.fromEntries(ports.map((p) => [p.TargetPort, p.PublishedPort])), { 80: p80, 443: p443, 53: p53 }, 'PortStatus lists each target\'s host port');

    await cluster.removeService('twoports');
    await until('the service\'s container to go', async () => (containersOf(svc.ID).length === 0 ? true : undefined), 60_000);
    t.pass('service rm leaves no container');
  });

  t.test('a VIP-only service (nothing published): its VIP port bound at a host port, reached through the VIP', async (t) => {
    const svc = await cluster.createService({ name: 'viponly', image: TEST_IMAGES.v1, replicas: 1, networks: ['back'], stopGracePeriod: '2s' });
    made.push(svc.ID);
    const task = await runningTask('viponly');
    t.equal(task.Endpoint?.Addr, ADDR, 'an endpoint at the node address');
    t.equal(await answers(`http://${ADDR}:${task.Endpoint!.Port}/`, 'v1'), true, 'the container\'s port 80 at its host port');
    const vip = await vipOf('viponly');
    t.equal(await answers(`http://${vip}:80/`, 'v1'), true, `through the VIP ${vip}:80`);
    await cluster.removeService('viponly');
    await until('the service\'s container to go', async () => (containersOf(svc.ID).length === 0 ? true : undefined), 60_000);
  });

  t.test('adoption on a real engine: every port back, the first target first though the engine lists "443/tcp" before "80/tcp"', async (t) => {
    const nodeId = `dpm-${process.pid}`;
    const addr = '127.0.0.223';
    const newDriver = () => createDockerDriver({ api: createDockerApi({ host }), clock: systemClock(), nodeId, hostname: 'dpm', portRange: [24221, 24239] });
    const base = tsk(`dpmtask${process.pid}`, 'svc-dpm', nodeId, 1);
    const tk: Task = { ...base, Spec: { ContainerSpec: { Image: TEST_IMAGES.v1, StopGracePeriod: 1e9,
      Command: ['sh', '-c', 'echo second > /tmp/index.html; httpd -p 443 -h /tmp; exec httpd -f -p 80 -h /www'] } } };
    const first = newDriver();
    const rt = await first.start({ task: tk, serviceName: 'dpm', taskName: 'dpm.1', node: { id: nodeId, hostname: 'dpm', addr }, image: undefined, env: [],
      targetPort: 80, extraPorts: [{ target: 443 }] });
    t.teardown(async () => { for (const c of docker('ps', '-a', '-q', '--filter', `label=swarmlet.node.id=${nodeId}`).split('\n').filter(Boolean)) docker('rm', '-f', c); });
    const ep = rt.endpoint!;
    t.strictSame(Object.keys(ep.ports ?? {}).sort(), ['443', '80']);
    t.equal(await answers(`http://${addr}:${ep.ports!['443']}/`, 'second'), true, 'target 443 at its host port');
    // The agent dies without closing its driver; a new one adopts the running container.
    const second = newDriver();
    const adopted = await second.adopt!(tk);
    t.strictSame(adopted?.endpoint, ep, 'the same endpoint: the first target 80 at Endpoint.Port, each target\'s host port');
    t.equal(await answers(`http://${addr}:${adopted!.endpoint!.port}/`, 'v1'), true, 'Endpoint.Port still reaches target 80');
    await adopted!.stop(1000);
    await second.forget(tk.ID);
    t.equal(docker('ps', '-a', '-q', '--filter', `label=swarmlet.node.id=${nodeId}`), '', 'no container left');
  });

  t.test('compose volumes: a bind mount (rw and ro) and a named volume on the engine', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'swl-docker-mounts-'));
    const stack = `swlmnt${process.pid}`;
    const volume = `${stack}_data`;
    t.teardown(() => {
      rmSync(dir, { recursive: true, force: true });
      try { docker('volume', 'rm', '-f', volume); } catch { /* gone */ }
    });
    mkdirSync(join(dir, 'site'));
    writeFileSync(join(dir, 'site', 'index.html'), 'from the host\n');
    const compose = [
      'services:',
      '  files:',
      `    image: ${TEST_IMAGES.v1}`,
      '    command: ["sh", "-c", "cat /site/index.html > /data/copy.txt; echo written > /site/from-container.txt;'
        + ' (echo x > /ro/y && echo rw || echo ro) > /site/ro-check.txt; exec httpd -f -p 80 -h /site"]',
      '    ports: ["9224:80"]',
      '    volumes:',
      '      - ./site:/site',
      '      - ./site:/ro:ro',
      '      - data:/data',
      'volumes:',
      '  data: {}',
      '',
    ].join('\n');
    const plan = composeToSpecs({ files: [{ fileName: 'compose.yml', text: compose }], stack, workingDir: dir, readFile: (p) => readFileSync(p) });
    const spec = plan.services[0]!;
    t.match(spec.TaskTemplate.ContainerSpec.Mounts, [
      { Type: 'bind', Source: join(dir, 'site'), Target: '/site' },
      { Type: 'bind', Source: join(dir, 'site'), Target: '/ro', ReadOnly: true },
      { Type: 'volume', Source: volume, Target: '/data' },
    ], 'the compose volumes as Mounts');
    delete spec.TaskTemplate.Networks; // the stack's default network is the deployer's business, not this test's
    const { ID } = cluster.control.createService(spec);
    made.push(ID);
    const name = spec.Name!;
    await runningTask(name);
    t.equal(await answers(`http://${ADDR}:9224/`, 'from the host'), true, 'the container serves the host directory (bind mount)');
    await until('the container\'s writes in the host directory', async () => {
      try { return readFileSync(join(dir, 'site', 'ro-check.txt'), 'utf8') ? true : undefined; } catch { return undefined; }
    }, 30_000);
    t.equal(readFileSync(join(dir, 'site', 'from-container.txt'), 'utf8'), 'written\n', 'a write through the rw bind reaches the host');
    t.equal(readFileSync(join(dir, 'site', 'ro-check.txt'), 'utf8'), 'ro\n', 'the :ro bind refuses writes');
    const vol = JSON.parse(docker('volume', 'inspect', volume))[0];
    t.equal(vol.Labels['com.docker.stack.namespace'], stack, 'the engine created the named volume with the stack label');

    // The named volume outlives the container: a new task (another container) reads what the first wrote.
    const next = structuredClone(spec);
    next.TaskTemplate.ContainerSpec.Command = ['sh', '-c', 'exec httpd -f -p 80 -h /data'];
    const current = await cluster.service(name);
    cluster.control.updateService(ID, current.Version.Index, next);
    await answers(`http://${ADDR}:9224/copy.txt`, 'from the host');
    t.pass('the second container reads the file the first wrote into the volume');
    await cluster.removeService(name);
    await until('the service\'s containers to go', async () => (containersOf(ID).length === 0 ? true : undefined), 60_000);
    t.pass('service rm leaves no container');
  });
}
