/**
 * The docker driver on a real engine (the shared test dockerd, images built by `docker import`):
 * containers published on 127.0.0.151-159 only, never reached at a bridge IP.
 */
import t from 'tap';
import { request } from 'undici';
import type { LogLine, StartRequest } from '../../lib/agent/task-driver.js';
import { systemClock } from '../../lib/clock.js';
import type { Task } from '../../lib/model/types.js';
import { createDockerApi } from '../../lib/drivers/docker/docker-api.js';
import { createDockerDriver } from '../../lib/drivers/docker/docker-driver.js';
import { TEST_IMAGES, testEngine } from '../fixtures/dockerd.js';
import { tsk } from '../fixtures/store-objects.js';
import { until } from '../fixtures/up-process.js';

const ADDR = '127.0.0.151';
const RANGE: [number, number] = [24151, 24199];

const engine = await testEngine(t, 'docker driver tests');
if (!engine) {
  t.pass('skipped: no Docker engine');
} else {
  const { host, docker } = engine;
  const api = createDockerApi({ host });
  const nodeId = `drv-${process.pid}`;
  const containersOfNode = (all = true) => docker('ps', ...(all ? ['-a'] : []), '-q', '--filter', `label=swarmlet.node.id=${nodeId}`).split('\n').filter(Boolean);
  const newDriver = () => createDockerDriver({ api, clock: systemClock(), nodeId, hostname: 'docker-node', portRange: RANGE });
  let seq = 0;
  const task = (container: Partial<Task['Spec']['ContainerSpec']> = {}): Task => {
    const base = tsk(`itask${process.pid}x${++seq}`, 'svc-docker', nodeId, seq);
    return { ...base, Spec: { ContainerSpec: { Image: TEST_IMAGES.v1, StopGracePeriod: 1e9, ...container } } };
  };
  const req = (tk: Task, targetPort: number | undefined = 80): StartRequest => ({
    task: tk, serviceName: 'web', taskName: `web.${tk.Slot}`, node: { id: nodeId, hostname: 'docker-node', addr: ADDR },
    image: undefined, env: ['GREETING=hi'], ...(targetPort !== undefined ? { targetPort } : {}),
  });
  const get = async (ep: { addr: string; port: number } | undefined, path = '/') => {
    const r = await request(`http://${ep!.addr}:${ep!.port}${path}`, { headersTimeout: 2000, bodyTimeout: 2000 });
    return (await r.body.text()).trim();
  };
  const serves = (ep: { addr: string; port: number } | undefined, want: string) =>
    until(`${want} at ${ep?.addr}:${ep?.port}`, async () => ((await get(ep)) === want ? true : undefined));

  t.teardown(() => { for (const id of containersOfNode()) docker('rm', '-f', id); });

  t.test('a task is a container published on the node address; stop, then forget leaves nothing', async (t) => {
    const driver = newDriver();
    t.teardown(() => driver.close());
    t.ok((await driver.listImages()).includes(TEST_IMAGES.v1), 'listImages has the test image');
    const tk = task();
    const rt = await driver.start(req(tk));
    t.equal(rt.endpoint?.addr, ADDR, 'endpoint on the node address');
    t.ok(rt.endpoint!.port >= RANGE[0] && rt.endpoint!.port <= RANGE[1], 'host port from the range');
    t.ok(rt.pid && rt.pid > 1, 'pid of the container process');
    await serves(rt.endpoint, 'v1');
    const inspect = JSON.parse(docker('inspect', `web.${tk.Slot}.${tk.ID}`))[0];
    t.equal(inspect.Config.Labels['swarmlet.task.id'], tk.ID);
    t.ok(inspect.Config.Env.includes('PORT=80') && inspect.Config.Env.includes('GREETING=hi'), 'env');
    t.equal(inspect.Config.StopTimeout, 1);
    t.equal(inspect.HostConfig.RestartPolicy.Name, 'no');
    await rt.stop(1000);
    t.match(await rt.exited, { stopped: true });
    t.same(containersOfNode(false), [], 'not running any more');
    await driver.forget(tk.ID);
    t.same(containersOfNode(), [], 'docker ps -a has no container of the node');
  });

  t.test('logs: both streams with timestamps; follow ends when the container stops', async (t) => {
    const driver = newDriver();
    t.teardown(() => driver.close());
    const tk = task({ Command: ['sh', '-c', 'echo hello $GREETING; echo oops >&2; exec httpd -f -v -p 80 -h /www'] });
    const before = Date.now() - 1000;
    const rt = await driver.start(req(tk));
    await serves(rt.endpoint, 'v1');
    const lines = await until('both lines', async () => {
      const got: LogLine[] = [];
      for await (const l of driver.logs(tk.ID, {})) got.push(l);
      return got.some((l) => l.stream === 'stderr' && l.text === 'oops') ? got : undefined;
    });
    t.match(lines.find((l) => l.text === 'hello hi'), { stream: 'stdout' });
    t.ok(lines.every((l) => l.time >= before && l.time <= Date.now() + 1000), 'times from the engine timestamps');
    const seen: LogLine[] = [];
    const follow = (async () => { for await (const l of driver.logs(tk.ID, { follow: true, tail: 0 })) seen.push(l); })();
    await until('a request line while following', async () => {
      await get(rt.endpoint);
      return seen.some((l) => l.stream === 'stderr' && /response:200/.test(l.text)) ? true : undefined;
    });
    t.notOk(seen.some((l) => l.text === 'hello hi'), 'tail 0: no earlier lines');
    await rt.stop(1000);
    await follow;
    t.pass('follow ended with the container');
    t.ok((await (async () => { const g: string[] = []; for await (const l of driver.logs(tk.ID, { tail: 1 })) g.push(l.text); return g; })()).length === 1, 'logs of an ended task until forget');
    await driver.forget(tk.ID);
    t.same(containersOfNode(), []);
  });

  t.test('docker kill: exited with the exit code and signal', async (t) => {
    const driver = newDriver();
    t.teardown(() => driver.close());
    const tk = task();
    const rt = await driver.start(req(tk));
    docker('kill', `web.${tk.Slot}.${tk.ID}`);
    t.same(await rt.exited, { exitCode: 137, signal: 'SIGKILL', stopped: false });
    const exits = task({ Command: ['sh', '-c', 'exit 3'] });
    t.same(await (await driver.start(req(exits, undefined))).exited, { exitCode: 3, signal: undefined, stopped: false });
    await driver.forget(tk.ID);
    await driver.forget(exits.ID);
    t.same(containersOfNode(), []);
  });

  t.test('a missing image is a rejection; a bad command fails at start', async (t) => {
    const driver = newDriver();
    t.teardown(() => driver.close());
    await t.rejects(driver.start(req(task({ Image: 'swarmlet-test/httpd:9' }))), {
      code: 'failed_precondition', message: 'image swarmlet-test/httpd:9 not found on node docker-node',
    });
    const bad = task({ Command: ['/bin/no-such-program'] });
    const exit = await (await driver.start(req(bad))).exited;
    t.match(exit, { stopped: false, error: /^starting container failed: .*no-such-program/ });
    await driver.forget(bad.ID);
    t.same(containersOfNode(), []);
  });

  t.test('a second driver adopts running containers by label and removes the rest', async (t) => {
    const first = newDriver();
    const kept = task();
    const stray = task();
    const rtKept = await first.start(req(kept));
    await first.start(req(stray));
    await serves(rtKept.endpoint, 'v1');
    // The agent dies: the first driver is dropped without close(); its containers keep running.
    const second = newDriver();
    t.teardown(() => second.close());
    const adopted = await second.adopt!(kept);
    t.ok(adopted, 'adopted');
    t.same(adopted!.endpoint, rtKept.endpoint, 'same endpoint');
    t.equal(adopted!.pid, rtKept.pid, 'same process');
    await second.stopUnadopted!();
    const left = containersOfNode();
    t.equal(left.length, 1, 'the stray container is gone');
    t.equal(await get(adopted!.endpoint), 'v1', 'the adopted one still serves');
    await adopted!.stop(1000);
    t.match(await adopted!.exited, { stopped: true });
    await second.forget(kept.ID);
    t.same(containersOfNode(), []);
  });

  t.test('the image HEALTHCHECK: health() turns healthy (or unhealthy)', async (t) => {
    const driver = newDriver();
    t.teardown(() => driver.close());
    const startedAt = Date.now();
    const good = await driver.start(req(task({ Image: TEST_IMAGES.healthy })));
    const first = await good.health!();
    // The image checks every second: on a loaded machine the first check may already have passed.
    if (first === 'healthy') t.ok(Date.now() - startedAt >= 900, 'healthy only after a check interval');
    else t.equal(first, 'starting', 'starting at first');
    const bad = await driver.start(req(task({ Image: TEST_IMAGES.unhealthy })));
    const plain = await driver.start(req(task()));
    t.equal(await plain.health!(), 'none', 'no HEALTHCHECK: none');
    await until('healthy', async () => ((await good.health!()) === 'healthy' ? true : undefined));
    await until('unhealthy', async () => ((await bad.health!()) === 'unhealthy' ? true : undefined));
    const off = await driver.start(req(task({ Image: TEST_IMAGES.healthy, Healthcheck: { Test: ['NONE'] } })));
    t.equal(await off.health!(), 'none', '--no-healthcheck disables the image HEALTHCHECK');
    t.pass('health states read');
  });
}
