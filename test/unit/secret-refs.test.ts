/** Service references to secrets and configs, the --secret/--config options, and the files a task gets. */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config, Secret } from '../../lib/model/secret-types.js';
import type { ServiceSpec, Task } from '../../lib/model/types.js';
import { resolveServiceRefs } from '../../lib/secrets/service-refs.js';
import { applyUpdateOptions, specFromOptions } from '../../lib/model/spec-from-options.js';
import { containerPath, payloadLookup, payloadsFor, taskFilesOf, writeTaskFiles } from '../../lib/secrets/task-files.js';
import { tsk } from '../fixtures/store-objects.js';

const TS = '2026-01-01T00:00:00.000Z';
const obj = (ID: string, Name: string) => ({ ID, Version: { Index: 1 }, CreatedAt: TS, UpdatedAt: TS, Spec: { Name } });
const lookup = { listSecrets: () => [obj('s1', 'db_pass'), obj('s2', 'api_key')] as Secret[], listConfigs: () => [obj('c1', 'app.conf')] as Config[] };

function spec(container: Record<string, unknown>): ServiceSpec {
  return { Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'whoami', ...container } }, Mode: { Replicated: { Replicas: 1 } } };
}

t.test('references: names resolved to IDs, swarmkit\'s texts for malformed, conflicting and missing ones', async (t) => {
  const ok = spec({ Secrets: [{ SecretName: 'db_pass', File: { Name: 'pw' } }, { SecretID: 's2', SecretName: 'api_key', File: { Name: 'k', Mode: 0o440 } }],
    Configs: [{ ConfigName: 'app.conf', File: { Name: '/etc/app.conf' } }] });
  resolveServiceRefs(ok, lookup);
  t.same(ok.TaskTemplate.ContainerSpec.Secrets, [{ SecretName: 'db_pass', SecretID: 's1', File: { Name: 'pw' } }, { SecretID: 's2', SecretName: 'api_key', File: { Name: 'k', Mode: 0o440 } }]);
  t.equal((ok.TaskTemplate.ContainerSpec.Configs as Array<{ ConfigID: string }>)[0]!.ConfigID, 'c1');
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['not an array', { Secrets: {} }, /TaskTemplate\.ContainerSpec\.Secrets: expected an array/],
    ['no name', { Secrets: [{ SecretID: 's1', File: { Name: 'x' } }] }, /^malformed secret reference$/],
    ['no target', { Secrets: [{ SecretName: 'db_pass' }] }, /^malformed secret reference, no target provided$/],
    ['empty target', { Configs: [{ ConfigName: 'app.conf', File: { Name: '' } }] }, /^malformed file config reference, invalid target file name provided$/],
    ['target ..', { Secrets: [{ SecretName: 'db_pass', File: { Name: '/a/..' } }] }, /invalid target file name/],
    ['conflict', { Secrets: [{ SecretName: 'db_pass', File: { Name: 'x' } }, { SecretName: 'api_key', File: { Name: 'x' } }] },
      /^secret references 'db_pass' and 'api_key' have a conflicting target: 'x'$/],
    ['missing', { Secrets: [{ SecretName: 'nope', File: { Name: 'x' } }] }, /^secret not found: nope$/],
    ['two missing', { Configs: [{ ConfigName: 'a', File: { Name: 'a' } }, { ConfigName: 'b', File: { Name: 'b' } }] }, /^configs not found: a, b$/],
    ['ID and name disagree', { Secrets: [{ SecretID: 's2', SecretName: 'db_pass', File: { Name: 'x' } }] }, /^secret not found: db_pass$/],
    ['bad mode', { Secrets: [{ SecretName: 'db_pass', File: { Name: 'x', Mode: '0400' } }] }, /File\.Mode: expected a file mode/],
    ['bad uid', { Secrets: [{ SecretName: 'db_pass', File: { Name: 'x', UID: 'root' } }] }, /File\.UID: expected a numeric string/],
  ];
  for (const [name, c, err] of cases) t.throws(() => resolveServiceRefs(spec(c), lookup), err, name);
});

t.test('--secret/--config and --secret-add/-rm, --config-add/-rm build the references docker\'s CLI would', async (t) => {
  const s = specFromOptions({ name: 'web', image: 'whoami', secrets: ['db_pass', 'source=api_key,target=key.txt,mode=0440,uid=1000'], configs: ['source=app.conf,target=/etc/app.conf'] });
  t.same(s.TaskTemplate.ContainerSpec.Secrets, [
    { File: { Name: 'db_pass' }, SecretID: '', SecretName: 'db_pass' },
    { File: { Name: 'key.txt', Mode: 0o440, UID: '1000' }, SecretID: '', SecretName: 'api_key' },
  ]);
  t.same(s.TaskTemplate.ContainerSpec.Configs, [{ File: { Name: '/etc/app.conf' }, ConfigID: '', ConfigName: 'app.conf' }]);
  t.throws(() => specFromOptions({ name: 'w', image: 'whoami', secrets: ['target=x'] }), /^source is required$/);
  t.throws(() => specFromOptions({ name: 'w', image: 'whoami', secrets: ['source=a,color=red'] }), /^invalid field in secret request: color$/);
  t.throws(() => specFromOptions({ name: 'w', image: 'whoami', configs: ['source=a,mode=999'] }), /invalid mode specified: 999/);
  const u = applyUpdateOptions(s, { secretRm: ['db_pass'], secretAdd: ['source=tls,target=tls.pem'], configRm: ['app.conf'] });
  t.same((u.TaskTemplate.ContainerSpec.Secrets as Array<{ SecretName: string }>).map((r) => r.SecretName), ['api_key', 'tls']);
  t.notOk('Configs' in u.TaskTemplate.ContainerSpec, 'the last config removed: no Configs');
  t.same((s.TaskTemplate.ContainerSpec.Secrets as unknown[]).length, 2, 'the input is not changed');
});

function task(id: string, state: Task['Status']['State'], desired: Task['DesiredState'], secrets: unknown[], configs: unknown[] = []): Task {
  const x = tsk(id, 'svc', 'n1');
  x.Status.State = state;
  x.DesiredState = desired;
  x.Spec.ContainerSpec.Secrets = secrets;
  x.Spec.ContainerSpec.Configs = configs;
  return x;
}

t.test('payloads: only for tasks awaiting start, only what they reference', async (t) => {
  const content = (kind: string, id: string) => Buffer.from(`${kind}:${id}`);
  const ref = (id: string) => ({ SecretID: id, SecretName: id, File: { Name: id } });
  const tasks = [
    task('t1', 'assigned', 'running', [ref('s1')], [{ ConfigID: 'c1', ConfigName: 'c1', File: { Name: '/c' } }]),
    task('t2', 'running', 'running', [ref('s2')]),
    task('t3', 'assigned', 'shutdown', [ref('s3')]),
    task('t4', 'preparing', 'running', [ref('s1')]),
  ];
  const p = payloadsFor(tasks, content);
  t.same(p.Secrets, [{ ID: 's1', Data: Buffer.from('secret:s1').toString('base64') }], 'running and stopping tasks get nothing sent');
  t.same(p.Configs, [{ ID: 'c1', Data: Buffer.from('config:c1').toString('base64') }]);
  t.same(payloadsFor([tasks[1]!], content), { Secrets: [], Configs: [] });
  const files = taskFilesOf(tasks[0]!, payloadLookup(p))!;
  t.same(files.secrets.map((f) => [f.name, f.data.toString(), f.mode]), [['s1', 'secret:s1', 0o400]]);
  t.same(files.configs.map((f) => [f.name, f.target]), [['c', '/c']], 'a config target path keeps its last component');
  t.throws(() => taskFilesOf(tasks[1]!, payloadLookup(p)), /secret s2 not available on this node/);
  t.equal(taskFilesOf(task('t5', 'assigned', 'running', []), payloadLookup(p)), undefined);
  t.equal(containerPath('secret', 'db_password'), '/run/secrets/db_password');
  t.equal(containerPath('config', 'app.conf'), '/app.conf');
  t.equal(containerPath('config', '/etc/app.conf'), '/etc/app.conf');
});

t.test('task files: directory 0700, files 0400 unless the reference says, one name twice refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-tf-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = (name: string, data: string, mode = 0o400) => ({ source: name, name, target: name, data: Buffer.from(data), mode });
  const dirs = writeTaskFiles(join(dir, 'task1'), { secrets: [f('pw', 'hunter2')], configs: [f('app.conf', 'x=1', 0o444)] });
  t.equal(statSync(join(dir, 'task1')).mode & 0o777, 0o700);
  t.equal(statSync(dirs.secrets).mode & 0o777, 0o700);
  t.equal(statSync(join(dirs.secrets, 'pw')).mode & 0o777, 0o400);
  t.equal(statSync(join(dirs.configs, 'app.conf')).mode & 0o777, 0o444);
  t.equal(readFileSync(join(dirs.secrets, 'pw'), 'utf8'), 'hunter2');
  t.throws(() => writeTaskFiles(join(dir, 'task2'), { secrets: [f('a', '1'), f('a', '2')], configs: [] }), /two secrets of the task have the file name a/);
});
