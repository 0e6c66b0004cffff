/**
 * Every Engine API route's answers checked against the v1.41 spec's response schemas (ajv over
 * reference/docker-engine-api-v1.41.yaml), on a real in-process cluster: what a client generated from
 * the spec (docker-py, dockerode, Go's client) decodes.
 */
import t from 'tap';
import { request } from 'undici';
import { createCluster } from '../../lib/index.js';
import { systemRoutes } from '../../lib/api/routes-system.js';
import { serviceRoutes } from '../../lib/api/routes-services.js';
import { taskRoutes } from '../../lib/api/routes-tasks.js';
import { nodeRoutes } from '../../lib/api/routes-nodes.js';
import { engineImageRoutes } from '../../lib/api/routes-engine-images.js';
import { swarmRoutes } from '../../lib/api/routes-swarm.js';
import { secretRoutes } from '../../lib/api/routes-secrets.js';
import { networkRoutes } from '../../lib/api/routes-networks.js';
import { loadEngineSchema } from '../fixtures/engine-schema.js';

const schema = loadEngineSchema();

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('every route answers as the Engine API v1.41 spec describes', async (t) => {
  const cluster = await createCluster({ addresses: ['127.0.0.171', '127.0.0.172'], listen: '127.0.0.171:0', gateway: false, dispatcher: {} });
  t.teardown(() => cluster.close());
  const base = cluster.url!;
  const checked: Array<{ method: string; path: string }> = [];
  const call = async (method: 'GET' | 'POST' | 'DELETE' | 'HEAD', path: string, body?: unknown, status?: number, stream?: string) => {
    const res = await request(base + path, {
      method, headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.body.text();
    if (status !== undefined) t.equal(res.statusCode, status, `${method} ${path} → ${status}`);
    if (stream) { // a JSON stream: every message is a `stream` definition
      const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
      t.ok(lines.length > 0, `${method} ${path} streams messages`);
      for (const l of lines) t.strictSame(schema.validateDefinition(stream, JSON.parse(l)), [], `${method} ${path}: ${l}`);
      checked.push({ method, path: path.replace(/\?.*$/, '') });
      return lines.map((l) => JSON.parse(l) as unknown);
    }
    const json = (res.headers['content-type'] ?? '').toString().includes('json') && text !== '' ? JSON.parse(text) as unknown : text;
    const op = schema.operationOf(method, path);
    t.ok(op, `${method} ${path} is a documented operation`);
    if (op) t.strictSame(schema.validateResponse(op, res.statusCode, json), [], `${method} ${path} ${res.statusCode} matches the spec`);
    checked.push({ method, path: path.replace(/\?.*$/, '').replace(/^\/v1\.41/, '') });
    return json as any;
  };

  const created = await call('POST', '/v1.41/services/create', {
    Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'whoami', Healthcheck: { Test: ['NONE'] } } },
    Mode: { Replicated: { Replicas: 2 } }, EndpointSpec: { Ports: [{ TargetPort: 8080, PublishedPort: 0 }] },
  }, 201);
  await call('POST', '/services/create', { Name: 'all', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Global: {} } }, 201);
  await call('POST', '/services/create', { Name: 'bad' }, 400);
  await until('running tasks', async () => {
    const tasks = cluster.control.listTasks({ 'desired-state': ['running'] });
    return tasks.length >= 4 && tasks.every((x) => x.Status.State === 'running') ? tasks : undefined;
  });
  const service = await call('GET', `/v1.41/services/${created.ID}`, undefined, 200);
  t.equal(service.Spec.TaskTemplate.ForceUpdate, 0, 'TaskTemplate.ForceUpdate always sent');
  t.strictSame(service.Spec.TaskTemplate.ContainerSpec.Healthcheck, { Test: ['NONE'] }, "Docker's key Healthcheck");
  await call('GET', '/services', undefined, 200);
  await call('GET', '/services?status=true', undefined, 200);
  await call('GET', '/services/nope', undefined, 404);
  await call('POST', `/services/${created.ID}/update?version=${service.Version.Index}`, { ...service.Spec, Mode: { Replicated: { Replicas: 3 } } }, 200);
  await call('POST', `/services/${created.ID}/update?version=1`, service.Spec, 500);
  const tasks = await call('GET', '/tasks', undefined, 200);
  await call('GET', `/tasks/${tasks[0].ID}`, undefined, 200);
  const nodes = await call('GET', '/nodes', undefined, 200);
  await call('GET', `/nodes/${nodes[0].ID}`, undefined, 200);
  await call('POST', `/nodes/${nodes[1].ID}/update?version=${nodes[1].Version.Index}`, { ...nodes[1].Spec, Labels: { zone: 'a' } }, 200);
  await call('DELETE', `/nodes/${nodes[0].ID}`, undefined, 400);
  await call('GET', '/_ping', undefined, 200);
  await call('HEAD', '/_ping', undefined, 200);
  await call('GET', '/version', undefined, 200);
  const info = await call('GET', '/info', undefined, 200);
  t.ok(info.ContainersRunning >= 4 && info.Containers >= info.ContainersRunning, `docker info counts the tasks' processes (${info.ContainersRunning} running)`);
  t.ok(info.Images >= 1, 'and the images');
  const node = await call('GET', `/nodes/${nodes[0].ID}`, undefined, 200);
  t.match(node.Description.Engine.EngineVersion, /^\d+\.\d+\.\d+/, 'ENGINE VERSION is a version number');
  await call('GET', '/distribution/whoami:1/json', undefined, 200);
  await call('GET', '/distribution/nosuchimage:1/json', undefined, 404);
  await call('GET', '/swarm', undefined, 200);
  await call('GET', '/swarm/unlockkey', undefined, 200);
  const swarm = await call('GET', '/swarm', undefined, 200);
  await call('POST', `/swarm/update?version=${swarm.Version.Index}&rotateWorkerToken=true`, swarm.Spec, 200);
  const autolock = { ...swarm.Spec, EncryptionConfig: { AutoLockManagers: true } };
  await call('POST', `/swarm/update?version=${swarm.Version.Index + 1}`, autolock, 200);
  t.match((await call('GET', '/swarm/unlockkey', undefined, 200)).UnlockKey, /^SWMKEY-1-/, 'autolock on: an unlock key');
  await call('POST', `/swarm/update?version=${swarm.Version.Index + 2}&rotateManagerUnlockKey=true`, autolock, 200);
  await call('POST', `/swarm/update?version=${swarm.Version.Index + 3}`, swarm.Spec, 200);
  await call('POST', '/swarm/init', { ListenAddr: '0.0.0.0:2377' }, 503);
  await call('POST', '/swarm/join', { RemoteAddrs: ['127.0.0.1:2377'], JoinToken: 'x' }, 503);
  await call('POST', '/swarm/leave', undefined, 503);
  await call('POST', '/swarm/unlock', { UnlockKey: 'x' }, 409);
  await call('GET', '/images/json', undefined, 200);
  await call('GET', '/images/whoami/json', undefined, 200);
  await call('GET', '/images/nope:9/json', undefined, 404);
  await call('POST', '/images/create?fromImage=whoami&tag=1', undefined, 200, 'CreateImageInfo');
  await call('POST', '/images/create?fromImage=nope&tag=9', undefined, 404);
  for (const kind of ['secrets', 'configs']) {
    const made = await call('POST', `/${kind}/create`, { Name: 'conf.1', Labels: { a: 'b' }, Data: Buffer.from('x').toString('base64') }, 201);
    await call('POST', `/${kind}/create`, { Name: 'conf.1', Data: Buffer.from('x').toString('base64') }, 409);
    await call('GET', `/${kind}?filters=${encodeURIComponent('{"label":{"a=b":true}}')}`, undefined, 200);
    const got = await call('GET', `/${kind}/conf.1`, undefined, 200);
    await call('POST', `/${kind}/${made.ID}/update?version=${got.Version.Index}`, { ...got.Spec, Labels: {} }, 200);
    await call('GET', `/${kind}/nope`, undefined, 404);
    await call('DELETE', `/${kind}/${made.ID}`, undefined, 204);
  }
  const net = await call('POST', '/networks/create', { Name: 'net1', Driver: 'overlay', Attachable: true, Labels: { a: 'b' } }, 201);
  await call('GET', `/networks?filters=${encodeURIComponent('{"driver":{"overlay":true}}')}`, undefined, 200);
  await call('GET', '/networks/net1', undefined, 200);
  await call('GET', '/networks/nope', undefined, 404);
  await call('DELETE', `/networks/${net.Id}`, undefined, 204);
  await call('DELETE', `/services/${created.ID}`, undefined, 200);

  // Every Engine API route the server has (swarmlet's own /swarmlet/v1 routes aside) was checked above,
  // apart from the streams (logs, events) whose frames are not JSON documents of the spec.
  const streams = /\/logs\$|^\^\\\/events/;
  const routes = [...systemRoutes(), ...serviceRoutes(), ...taskRoutes(), ...nodeRoutes(), ...engineImageRoutes(), ...swarmRoutes(), ...secretRoutes(), ...networkRoutes()]
    .filter((r) => !/swarmlet/.test(r.pattern.source) && !streams.test(r.pattern.source));
  for (const r of routes) {
    t.ok(checked.some((c) => c.method === r.method && r.pattern.test(c.path)), `${r.method} ${r.pattern.source} was checked`);
  }
});
