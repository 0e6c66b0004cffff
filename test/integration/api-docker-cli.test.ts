/**
 * The stock docker CLI against the API server (fake control) on a loopback port:
 * what `docker version/info/service …/node …` print, end to end.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer } from '../../lib/api/server.js';
import { dockerAvailable } from '../fixtures/docker-cli.js';
import { API_ID, FakeControl, MGR_ID, WEB_ID, WEB_TASK_IDS, WRK_ID } from '../fixtures/fake-control.js';


interface Run { code: number; stdout: string; stderr: string }

function docker(host: string, configDir: string, args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: configDir, DOCKER_CLI_HINTS: 'false' };
  for (const k of ['DOCKER_CONTEXT', 'DOCKER_API_VERSION', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_TLS']) delete env[k];
  return new Promise((resolve) => {
    execFile('docker', args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const skip = dockerAvailable() ? false : 'docker CLI not on PATH';

t.test('stock docker CLI against swarmlet', { skip }, async (t) => {
  const control = new FakeControl();
  const T = Date.UTC(2026, 0, 1);
  control.logs.push(
    { stream: 'stdout', time: T, text: 'hello from web.1', taskId: WEB_TASK_IDS[0]!, serviceId: WEB_ID, nodeId: MGR_ID },
    { stream: 'stderr', time: T + 1000, text: 'warn from web.2', taskId: WEB_TASK_IDS[1]!, serviceId: WEB_ID, nodeId: WRK_ID },
  );
  const api = createApiServer({ control, version: '9.8.7' });
  const { port } = await api.listen('127.0.0.1', 0);
  const configDir = mkdtempSync(join(tmpdir(), 'swarmlet-docker-cfg-'));
  t.teardown(async () => { await api.close(); rmSync(configDir, { recursive: true, force: true }); });
  const run = (...args: string[]) => docker(`tcp://127.0.0.1:${port}`, configDir, args);

  const version = await run('version');
  t.equal(version.code, 0, version.stderr);
  t.match(version.stdout, /Server: swarmlet/);
  t.match(version.stdout, /API version:\s+1\.41 \(downgraded from/);
  t.match(version.stdout, /Version:\s+9\.8\.7/);

  const info = await run('info');
  t.equal(info.code, 0, info.stderr);
  t.match(info.stdout, /Swarm: active/);
  t.match(info.stdout, new RegExp(`NodeID: ${MGR_ID}`));
  t.match(info.stdout, /Is Manager: true/);
  t.match(info.stdout, /Heartbeat Period: 5 seconds/);

  const ls = await run('service', 'ls');
  t.equal(ls.code, 0, ls.stderr);
  t.match(ls.stdout, /websvc000000\s+web\s+replicated\s+3\/3\s+whoami:1/);
  t.match(ls.stdout, /apisvc000000\s+api\s+global\s+1\/1\s+api:1/);

  const nodes = await run('node', 'ls');
  t.equal(nodes.code, 0, nodes.stderr);
  t.match(nodes.stdout, new RegExp(`${MGR_ID} \\*\\s+mgr1\\s+Ready\\s+Active\\s+Leader`));
  t.match(nodes.stdout, new RegExp(`${WRK_ID}\\s+wrk1\\s+Ready\\s+Active`));

  const inspect = await run('service', 'inspect', 'web');
  t.equal(inspect.code, 0, inspect.stderr);
  t.match(JSON.parse(inspect.stdout), [{ ID: WEB_ID, Spec: { Name: 'web', Mode: { Replicated: { Replicas: 3 } } } }]);
  t.same(control.callsOf('getService').at(-1)!.args, ['web', true], 'inspect asks for defaults');

  const missing = await run('service', 'inspect', 'nosuch');
  t.equal(missing.code, 1);
  t.match(missing.stderr, /no such service: nosuch/);

  const logs = await run('service', 'logs', 'web');
  t.equal(logs.code, 0, logs.stderr);
  t.match(logs.stdout, /^web\.1\.webtask00000@mgr1\s+\| hello from web\.1$/m);
  t.match(logs.stderr, /^web\.2\.webtask00000@wrk1\s+\| warn from web\.2$/m, 'stderr frames go to stderr');

  const taskLogs = await run('service', 'logs', '-t', WEB_TASK_IDS[0]!);
  t.equal(taskLogs.code, 0, taskLogs.stderr);
  t.match(taskLogs.stdout, /^2026-01-01T00:00:00\.000000000Z web\.1\.webtask00000@mgr1\s+\| hello from web\.1$/m);

  const noLogs = await run('service', 'logs', 'nosuch');
  t.equal(noLogs.code, 1);
  t.match(noLogs.stderr, /no such task or service: nosuch/);

  const create = await run('service', 'create', '-d', '--name', 'toms', '-p', '9000:8080', 'whoami:1');
  t.equal(create.code, 0, create.stderr);
  t.match(create.stdout, /^newsvc/);
  t.equal(create.stderr, '', 'no digest warning');
  const dup = await run('service', 'create', '-d', '--name', 'toms', 'whoami:1');
  t.equal(dup.code, 1);
  t.match(dup.stderr, /Error response from daemon: rpc error: code = AlreadyExists/);

  const scale = await run('service', 'scale', '-d', 'web=5');
  t.equal(scale.code, 0, scale.stderr);
  t.equal(control.services.find((s) => s.ID === WEB_ID)!.Spec.Mode.Replicated?.Replicas, 5);

  const drain = await run('node', 'update', '--availability', 'drain', 'wrk1');
  t.equal(drain.code, 0, drain.stderr);
  t.equal(control.nodes.find((n) => n.ID === WRK_ID)!.Spec.Availability, 'drain');

  const rm = await run('service', 'rm', 'api', 'nosuch');
  t.equal(rm.code, 1);
  t.match(rm.stdout, /^api$/m);
  t.match(rm.stderr, /service nosuch not found/);
  t.notOk(control.services.some((s) => s.ID === API_ID));
});
