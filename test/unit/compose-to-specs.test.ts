/**
 * The compose → specs converter against what the real docker CLI (28.x) sends for the same files
 * (test/fixtures/compose/*.docker.json, recorded by capture-docker-stack.mjs), and its refusals.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeToSpecs, type ComposeInput } from '../../lib/stack/compose-to-specs.js';
import { isSwarmletError } from '../../lib/errors.js';

const DIR = join(import.meta.dirname, '../fixtures/compose');

/** Drops what only Go's zero values / moby-only fields add, and the IDs the deployer resolves. */
const DROP = new Set(['Privileges', 'ForceUpdate', 'Scope', 'Ingress', 'ConfigOnly', 'ConfigFrom', 'CheckDuplicate', 'SecretID', 'ConfigID']);
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (DROP.has(k) || x === null || x === undefined) continue;
      if (k === 'Order' && x === '') continue; // Go's zero value: the same as absent

      const n = normalize(x);
      if ((k === 'Resources' || k === 'Placement') && n && typeof n === 'object' && Object.keys(n).length === 0) continue;
      out[k] = n;
    }
    return out;
  }
  return v;
}
const byName = <T extends { Name?: string }>(xs: T[]) => [...xs].sort((a, b) => (a.Name ?? '').localeCompare(b.Name ?? ''));

function input(fileName: string, text: string, files: Record<string, string> = {}): ComposeInput {
  return {
    files: [{ fileName, text }], stack: 'app',
    readFile: (p) => {
      if (p in files) return Buffer.from(files[p]!);
      throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    },
  };
}

/** [fixture, files (-c order), the environment it was captured with]. */
const CAPTURED: Array<[string, string[], Record<string, string>]> = [
  ['minimal', ['minimal.yml'], {}],
  ['full', ['full.yml'], {}],
  ['interpolate', ['interpolate.yml'], { TAG: '1.2', EMPTY: '', REPS: '3', PUB: '9100', ATT: 'yes' }],
  ['merge', ['merge-a.yml', 'merge-b.yml'], {}],
  ['volumes', ['volumes.yml'], {}], // captured in this directory, its path replaced by /FIXTURE
  ['images', ['images.yml'], {}],
];
for (const [name, files, env] of CAPTURED) {
  t.test(`${files.join(' + ')} converts to what docker stack deploy sends`, async (t) => {
    const docker = JSON.parse(readFileSync(join(DIR, `${name}.docker.json`), 'utf8'));
    const plan = composeToSpecs({ files: files.map((f) => ({ fileName: f, text: readFileSync(join(DIR, f), 'utf8') })), env, stack: 'app', workingDir: '/FIXTURE', readFile: (p) => readFileSync(join(DIR, p)) });
    t.same(normalize(byName(plan.networks.filter((n) => n.create).map((n) => n.create!))), normalize(byName(docker.networks)), 'networks');
    t.same(normalize(byName(plan.secrets.filter((s) => s.spec).map((s) => s.spec!))), normalize(byName(docker.secrets)), 'secrets');
    t.same(normalize(byName(plan.configs.filter((s) => s.spec).map((s) => s.spec!))), normalize(byName(docker.configs)), 'configs');
    t.same(normalize(byName(plan.services)), normalize(byName(docker.services)), 'services');
    t.equal(plan.services.length, docker.services.length);
  });
}

t.test('external networks and secrets are referenced by name, not created', async (t) => {
  const plan = composeToSpecs(input('c.yml', `
services:
  a:
    image: x
    networks: [shared]
    secrets: [ext]
networks:
  shared: { external: true, name: shared-net }
secrets:
  ext: { external: true }
`));
  t.same(plan.networks, [{ key: 'shared', name: 'shared-net', external: true }]);
  t.same(plan.secrets, [{ key: 'ext', name: 'ext', external: true }]);
  t.same(plan.services[0]!.TaskTemplate.Networks, [{ Target: 'shared-net', Aliases: ['a'] }]);
  t.same(plan.services[0]!.TaskTemplate.ContainerSpec.Secrets, [{ File: { Name: 'ext', UID: '0', GID: '0', Mode: 0o444 }, SecretID: '', SecretName: 'ext' }]);
});

const BAD: Array<[string, string, RegExp]> = [
  ['unknown top-level key', 'services: { a: { image: x } }\nbuild: { v: {} }\n', /^c\.yml: build: unsupported key$/],
  ['unknown service key', 'services:\n  a:\n    image: x\n    build: .\n', /^c\.yml: services\.a\.build: unsupported key$/],
  ['unknown deploy key', 'services:\n  a:\n    image: x\n    deploy: { replicas: 1, bogus: 2 }\n', /^c\.yml: services\.a\.deploy\.bogus: unsupported key$/],
  ['bad replicas', 'services:\n  a:\n    image: x\n    deploy: { replicas: many }\n', /services\.a\.deploy\.replicas: expected a whole number/],
  ['global with replicas', 'services:\n  a:\n    image: x\n    deploy: { mode: global, replicas: 2 }\n', /services\.a\.deploy\.replicas: not allowed with mode: global/],
  ['bad mode', 'services:\n  a:\n    image: x\n    deploy: { mode: everywhere }\n', /services\.a\.deploy\.mode: expected one of replicated, global/],
  ['bad duration', 'services:\n  a:\n    image: x\n    deploy: { update_config: { delay: soon } }\n', /services\.a\.deploy\.update_config\.delay: /],
  ['missing image', 'services:\n  a:\n    command: x\n', /services\.a\.image: required/],
  ['undeclared secret', 'services:\n  a:\n    image: x\n    secrets: [nope]\n', /services\.a\.secrets\[0\]: "nope" is not declared at the top level/],
  ['undeclared network', 'services:\n  a:\n    image: x\n    networks: [nope]\n', /services\.a\.networks\.nope: network "nope" is not declared/],
  ['host ip in port', 'services:\n  a:\n    image: x\n    ports: ["127.0.0.1:80:80"]\n', /services\.a\.ports\[0\]: a host IP/],
  ['two services, one port', 'services:\n  a:\n    image: x\n    ports: ["9000:80"]\n  b:\n    image: y\n    ports: [{ target: 81, published: 9000 }]\n', /services\.b\.ports: port 9000\/tcp is already published by service a/],
  ['bridge driver', 'services: { a: { image: x } }\nnetworks: { n: { driver: bridge } }\n', /networks\.n\.driver: expected one of overlay/],
  ['secret file missing', 'services: { a: { image: x } }\nsecrets: { s: { file: ./gone.txt } }\n', /^c\.yml: secrets\.s\.file: cannot read "\.\/gone\.txt" \(ENOENT\)$/],
  ['secret without file', 'services: { a: { image: x } }\nsecrets: { s: {} }\n', /secrets\.s\.file: required \(or external: true\)/],
  ['not yaml', 'services: [\n', /^c\.yml: not valid YAML/],
  ['no services', 'version: "3.8"\n', /^c\.yml: services: at least one service is required/],
  ['bad cpus', 'services:\n  a:\n    image: x\n    deploy: { resources: { limits: { cpus: lots } } }\n', /services\.a\.deploy\.resources\.limits\.cpus: expected a non-negative number/],
  ['unknown healthcheck key', 'services:\n  a:\n    image: x\n    healthcheck: { test: x, every: 1s }\n', /services\.a\.healthcheck\.every: unsupported key/],
];

t.test('bad input is refused naming file, key path and problem', async (t) => {
  for (const [what, text, re] of BAD) {
    try {
      composeToSpecs(input('c.yml', text));
      t.fail(`${what}: accepted`);
    } catch (e) {
      t.ok(isSwarmletError(e), `${what}: invalid_argument`);
      t.match((e as Error).message, re, what);
    }
  }
});

t.test('secret data never appears in an error', async (t) => {
  const secret = 'TOPSECRET-42';
  try {
    composeToSpecs(input('c.yml', 'services:\n  a:\n    image: x\n    secrets: [s, t]\nsecrets:\n  s: { file: ./s.txt }\n', { './s.txt': secret }));
    t.fail('accepted');
  } catch (e) {
    t.match((e as Error).message, /services\.a\.secrets\[1\]: "t" is not declared/);
    t.notMatch((e as Error).message, secret);
    t.notMatch((e as Error).message, Buffer.from(secret).toString('base64'));
  }
});

t.test('x- extension keys are ignored, octal modes read as in Compose', async (t) => {
  const plan = composeToSpecs(input('c.yml', 'x-common: &c { image: x }\nservices:\n  a:\n    image: x\n    x-note: hi\n    configs: [{ source: k, mode: 0440 }]\nconfigs:\n  k: { file: k }\n', { k: 'v' }));
  t.equal((plan.services[0]!.TaskTemplate.ContainerSpec.Configs as Array<{ File: { Mode: number } }>)[0]!.File.Mode, 0o440);
  t.same(composeToSpecs(input('c.yml', 'services:\n  y:\n    image: n\n    environment: { A: yes }\n')).services[0]!.TaskTemplate.ContainerSpec, { Image: 'n:latest', Labels: { 'com.docker.stack.namespace': 'app' }, Env: ['A=yes'] }, 'y/n/yes stay strings (YAML 1.2)');
  t.same(plan.services[0]!.Mode, { Replicated: {} });
});

t.test('an invalid stack name is refused', async (t) => {
  t.throws(() => composeToSpecs({ ...input('c.yml', 'services: { a: { image: x } }'), stack: 'bad name' }), /invalid stack name "bad name"/);
});

t.test('ports: app_protocol (a swarmlet extension) sets the port AppProtocol', async (t) => {
  const ports = (p: string) => composeToSpecs(input('c.yml', `services:\n  a:\n    image: x\n    ports:\n${p}`)).services[0]!.EndpointSpec!.Ports;
  t.same(ports('      - { target: 6379, published: 6390, app_protocol: tcp }\n'), [{ TargetPort: 6379, PublishedPort: 6390, AppProtocol: 'tcp' }]);
  t.same(ports('      - { target: 80, published: 8080, app_protocol: HTTP }\n'), [{ TargetPort: 80, PublishedPort: 8080, AppProtocol: 'http' }]);
  t.same(ports('      - { target: 80, published: 8080 }\n'), [{ TargetPort: 80, PublishedPort: 8080 }], 'absent: detected by the gateway');
  t.throws(() => ports('      - { target: 80, app_protocol: grpc }\n'), /^c\.yml: services\.a\.ports\[0\]\.app_protocol: expected one of tcp, http$/);
});
