/**
 * dockerode (the Node Docker client) against a swarmlet manager: services in every mode with Docker's
 * casing and lower case, inspect, update, scale, rollback, logs, tasks, nodes, the swarm object
 * (inspect, update, leave, init) and image inspect, each checked against the manager's state.
 */
import Docker from 'dockerode';
import t from 'tap';
import { createCluster } from '../../lib/index.js';
import { readmeBlock } from '../fixtures/readme-snippet.js';
import type { Service } from '../../lib/model/types.js';

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

t.test('dockerode drives swarmlet', async (t) => {
  t.setTimeout(180_000);
  const cluster = await createCluster({ addresses: ['127.0.0.185', '127.0.0.186'], listen: '127.0.0.185:0', gateway: false, dispatcher: {} });
  t.teardown(() => cluster.close());
  const docker = new Docker({ host: '127.0.0.185', port: Number(new URL(cluster.url!).port), protocol: 'http', version: 'v1.41' });
  const stored = async (name: string): Promise<Service> => (await cluster.services()).find((s) => s.Spec.Name === name)!;
  const running = async (name: string) => (await cluster.tasks({ service: [name], 'desired-state': ['running'] })).filter((x) => x.Status.State === 'running');

  const web = await docker.createService({
    Name: 'web',
    TaskTemplate: { ContainerSpec: { Image: 'whoami:1', Env: ['GREETING=hi'] } },
    Mode: { Replicated: { Replicas: 2 } },
    UpdateConfig: { Parallelism: 1, Order: 'start-first' },
    EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 0 }] },
  });
  const lower = await docker.createService({
    name: 'all', tasktemplate: { containerspec: { image: 'whoami:1' } }, mode: { global: {} },
  } as unknown as Docker.CreateServiceOptions);
  await docker.createService({ Name: 'once', TaskTemplate: { ContainerSpec: { Image: 'whoami:1', Args: ['node', '-e', '0'] } }, Mode: { ReplicatedJob: { TotalCompletions: 2 } } } as Docker.CreateServiceOptions);
  await docker.createService({ name: 'everywhere-once', tasktemplate: { containerspec: { image: 'whoami:1', args: ['node', '-e', '0'] } }, mode: { globaljob: {} } } as unknown as Docker.CreateServiceOptions);
  t.strictSame((await stored('web')).Spec.Mode, { Replicated: { Replicas: 2 } });
  t.strictSame((await stored('all')).Spec.Mode, { Global: {} }, 'lower-case keys stored under Docker\'s names');
  t.strictSame((await stored('all')).Spec.TaskTemplate.ContainerSpec.Image, 'whoami:1');
  t.strictSame((await stored('once')).Spec.Mode, { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 2 } });
  t.strictSame((await stored('everywhere-once')).Spec.Mode, { GlobalJob: {} });
  await until('web 2 running, all on both nodes', async () => (await running('web')).length === 2 && (await running('all')).length === 2);

  const info = await docker.getService(web.id).inspect();
  t.equal(info.Spec.TaskTemplate.ForceUpdate, 0, 'inspect: ForceUpdate sent');
  t.equal(info.Spec.UpdateConfig.Order, 'start-first');

  // scale, then update from a fresh read: the version read is the version written
  await docker.getService(web.id).update({ version: info.Version.Index, ...info.Spec, Mode: { Replicated: { Replicas: 3 } } });
  await until('web scaled to 3', async () => (await running('web')).length === 3);
  const scaled = await docker.getService(web.id).inspect();
  t.notOk(scaled.UpdateStatus, 'a scale starts no rolling update');
  const spec = { ...scaled.Spec, TaskTemplate: { ...scaled.Spec.TaskTemplate, ContainerSpec: { ...scaled.Spec.TaskTemplate.ContainerSpec, Env: ['GREETING=hello'] } } };
  await docker.getService(web.id).update({ version: scaled.Version.Index, ...spec });
  await until('update completed', async () => (await stored('web')).UpdateStatus?.State === 'completed');
  t.strictSame((await stored('web')).Spec.TaskTemplate.ContainerSpec.Env, ['GREETING=hello']);
  const updated = await docker.getService(web.id).inspect();
  await docker.getService(web.id).update({ version: updated.Version.Index, rollback: 'previous', ...updated.Spec });
  await until('rollback completed', async () => (await stored('web')).UpdateStatus?.State === 'rollback_completed');
  t.strictSame((await stored('web')).Spec.TaskTemplate.ContainerSpec.Env, ['GREETING=hi'], 'rolled back');
  await t.rejects(docker.getService(web.id).update({ version: 1, ...updated.Spec }), /update out of sequence/, 'a stale version is refused');

  const logs = await docker.getService(web.id).logs({ stdout: true, stderr: true, follow: false }) as unknown as Buffer;
  t.match(logs.toString('utf8'), /whoami listening/, 'service logs');
  const tasks = await docker.listTasks({ filters: { service: ['web'], 'desired-state': ['running'] } });
  t.equal(tasks.length, 3, 'listTasks');
  const nodes = await docker.listNodes();
  t.equal(nodes.length, 2, 'listNodes');
  const node = docker.getNode(nodes[1]!.ID);
  const n = await node.inspect();
  await node.update({ version: n.Version.Index, ...n.Spec, Availability: 'pause' });
  t.equal((await cluster.nodes()).find((x) => x.ID === n.ID)!.Spec.Availability, 'pause', 'node update stored');

  const image = await docker.getImage('whoami:1').inspect();
  t.strictSame(image.RepoTags, ['whoami:1'], 'image inspect');

  const swarm = await docker.swarmInspect();
  t.equal(swarm.Spec.Orchestration.TaskHistoryRetentionLimit, cluster.manager.taskHistoryLimit);
  await docker.swarmUpdate({ version: swarm.Version.Index, ...swarm.Spec, Orchestration: { TaskHistoryRetentionLimit: 7 }, rotateManagerToken: true });
  t.equal(cluster.manager.taskHistoryLimit, 7, 'swarm update stored');
  const after = await docker.swarmInspect();
  t.not(after.JoinTokens.Manager, swarm.JoinTokens.Manager, 'manager token rotated');
  t.equal(after.Version.Index, swarm.Version.Index + 1);
  await t.rejects(docker.swarmUpdate({ version: swarm.Version.Index, ...swarm.Spec }), /update out of sequence/);

  // The README's dockerode snippet, as a user runs it (pointed at this cluster).
  const port = new URL(cluster.url!).port;
  const code = readmeBlock('js').replace(/^import Docker from 'dockerode';$/m, '').replace("host: '127.0.0.1', port: 2377", `host: '127.0.0.185', port: ${port}`);
  t.match(code, /host: '127\.0\.0\.185'/, 'the snippet points at this cluster');
  const printed: unknown[] = [];
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
  await new AsyncFunction('Docker', 'console', code)(Docker, { log: (...a: unknown[]) => printed.push(...a) });
  const readmeWeb = (await cluster.services()).find((s) => s.Spec.Name === 'web-js')!;
  t.strictSame(readmeWeb.Spec.Mode, { Replicated: { Replicas: 4 } }, 'README snippet: created, then scaled to 4');
  t.strictSame(printed, [(await docker.swarmInspect()).JoinTokens.Worker], 'it prints the worker token');

  await t.rejects(docker.swarmInit({ ListenAddr: '0.0.0.0:2377' }), /already part of a swarm/);
  await t.rejects(docker.swarmLeave({}), /leave the swarm on a node that is participating as a manager/);
  await docker.swarmLeave({ force: true });
  t.equal((await cluster.services()).length, 0, 'leave --force: the services are gone');
  await t.rejects(docker.listServices(), /not a swarm manager/);
  await docker.swarmInit({ ListenAddr: '0.0.0.0:2377' });
  const fresh = await docker.swarmInspect();
  t.not(fresh.ID, swarm.ID, 'init: a new swarm');
  t.strictSame(await docker.listServices(), []);
  void lower;
});
