/**
 * The Python Docker SDK (docker-py, what Ansible's docker_swarm_service uses) against a swarmlet manager:
 * test/fixtures/docker_py_steps.py creates services in every mode with the SDK's casing and Docker's,
 * inspects, updates, scales, rolls back, reads logs, tasks and nodes, updates the swarm, inspects an
 * image, then leaves and re-inits the swarm. Each step's answer and the manager's state are checked here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createCluster } from '../../lib/index.js';
import { pythonWithDocker, runPython } from '../fixtures/python-docker.js';
import { readmeBlock } from '../fixtures/readme-snippet.js';
import { ROOT } from '../fixtures/up-process.js';

const python = pythonWithDocker();
const skip = python ? false : 'no python3 with the docker module (apt-get install python3-docker): the docker-py suite skips';
const SCRIPT = join(ROOT, 'test/fixtures/docker_py_steps.py');

t.test('the Python Docker SDK drives swarmlet', { skip }, async (t) => {
  t.setTimeout(240_000);
  const cluster = await createCluster({ addresses: ['127.0.0.181', '127.0.0.182', '127.0.0.183'], listen: '127.0.0.181:0', gateway: false, dispatcher: {} });
  t.teardown(() => cluster.close());
  const host = cluster.url!.replace(/^http:/, 'tcp:');
  const workerToken = (await fetch(`${cluster.url}/swarm`).then((r) => r.json()) as { JoinTokens: { Worker: string } }).JoinTokens.Worker;

  const run = await runPython(python!, SCRIPT, ['main'], host);
  t.equal(run.code, 0, `docker_py_steps.py main: ${run.stderr.slice(-2000)}`);
  const step = (name: string) => run.steps.find((s) => s.step === name) ?? {};

  t.equal(step('swarm').id, (await fetch(`${cluster.url}/swarm`).then((r) => r.json()) as { ID: string }).ID, 'client.swarm is the swarm');
  t.strictSame(step('swarm').tokens, ['Manager', 'Worker']);
  t.equal(step('swarm-update').limit, 3, 'swarm.update(task_history_retention_limit=3)');
  t.equal(cluster.manager.taskHistoryLimit, 3, '… is the manager\'s history limit');
  t.not(step('swarm-update').worker, workerToken, 'rotate_worker_token gave a new token');
  t.match(step('swarm-autolock'), { autolock: true, heartbeat: 7e9, key: /^SWMKEY-1-/, limit: 3 }, 'swarm.update(autolock_managers=True, dispatcher_heartbeat_period=…); get_unlock_key()');
  t.equal(step('swarm-autolock').unlock, '409 swarm is not locked', "unlock_swarm on a running manager: Docker's refusal");
  t.equal(step('swarm-autolock-off').key, '', 'autolock_managers=False: no unlock key');

  t.strictSame(step('create').globalMode, { Global: {} }, "ServiceMode('global') is a global service");
  t.strictSame(step('create').replicatedMode, { Replicated: { Replicas: 5 } }, "ServiceMode('replicated', 5)");
  t.equal(step('create').order, 'start-first', 'UpdateConfig(order=…) as sent');
  t.strictSame(step('create').job, { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 2 } }, 'a lower-case job mode');
  t.strictSame(step('create').low, { Replicated: { Replicas: 1 } }, "Docker's casing");
  t.strictSame(step('tasks'), { step: 'tasks', pyweb: 5, pyglobal: 3, nodes: 3 });

  t.equal(step('scale').replicas, 2, 'service.scale(2)');
  t.equal(step('scale').updateStatus, null, 'a scale starts no rolling update');
  t.strictSame(step('update').env, ['GREETING=hello'], 'service.update(env=…) after a scale: no "update out of sequence"');
  t.equal(step('update').replicas, 2, 'the update kept the scale');
  t.strictSame(step('rollback').env, ['GREETING=hi'], 'rolled back to the previous spec');
  t.ok(step('logs').listening >= 2, `service.logs() has the tasks' lines (${step('logs').listening})`);
  t.strictSame(step('node-update').labels, { zone: 'py' });
  t.strictSame(step('image').tags, ['whoami:1']);

  const services = await cluster.services();
  const web = services.find((s) => s.Spec.Name === 'pyweb')!;
  t.strictSame(web.Spec.Mode, { Replicated: { Replicas: 2 } }, 'stored: 2 replicas');
  t.strictSame(web.Spec.TaskTemplate.ContainerSpec.Env, ['GREETING=hi'], 'stored: the rolled-back env');
  t.equal(web.Spec.UpdateConfig?.Order, 'start-first', 'stored under Docker\'s name');
  t.notOk(Object.keys(web.Spec.Mode).some((k) => k !== 'Replicated'), 'no lower-case key stored');
  t.strictSame(services.find((s) => s.Spec.Name === 'pyglobal')!.Spec.Mode, { Global: {} });
  const running = (await cluster.tasks({ service: ['pyweb'], 'desired-state': ['running'] })).filter((x) => x.Status.State === 'running');
  t.equal(running.length, 2, 'stored: 2 running pyweb tasks');
  const worker = (await cluster.nodes()).find((n) => n.Description.Hostname === step('node-update').hostname)!;
  t.strictSame(worker.Spec.Labels, { zone: 'py' }, 'stored: the node label');

  // The README's Python snippet, as a user runs it.
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-readme-py-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'readme.py'), readmeBlock('python'));
  const snippet = await runPython(python!, join(dir, 'readme.py'), [], host);
  t.equal(snippet.code, 0, `the README's Python snippet: ${snippet.stderr.slice(-2000)}`);
  const pyweb = (await cluster.services()).find((s) => s.Spec.Name === 'web-py')!;
  t.strictSame(pyweb.Spec.Mode, { Replicated: { Replicas: 5 } }, 'README snippet: created, then scaled to 5');
  t.equal(pyweb.Spec.UpdateConfig?.Order, 'start-first');
  t.equal(snippet.stdout.trim(), (await fetch(`${cluster.url}/swarm`).then((r) => r.json()) as { JoinTokens: { Worker: string } }).JoinTokens.Worker, 'it prints the worker token');

  const left = await runPython(python!, SCRIPT, ['leave'], host);
  t.equal(left.code, 0, `docker_py_steps.py leave: ${left.stderr.slice(-2000)}`);
  const li = left.steps.find((s) => s.step === 'leave-init') ?? {};
  t.equal(li.refusedBetween, true, 'no swarm between leave and init: 503');
  t.not(li.after, li.before, 'init made a new swarm');
  t.equal(li.services, 0, 'the old services are gone');
  t.equal((await cluster.services()).length, 0, 'stored: no service');
});
