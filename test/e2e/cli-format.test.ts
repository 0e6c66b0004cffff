/** `--format` Go templates on the list commands, as docker users write them (the real CLI, the fake engine). */
import t from 'tap';

// Many CLI processes one after another: under load (2 cores) the file outlasts tap's default 120 s.
t.setTimeout(300_000);
import { startFakeEngine, type FakeEngine } from '../fixtures/fake-engine.js';
import { runSwarmlet } from './cli-run.js';

let fake: FakeEngine;
const cli = (...args: string[]) => runSwarmlet(['--host', fake.url, ...args]);
const lines = (text: string) => text.split('\n').filter((l) => l !== '');

t.before(async () => {
  fake = await startFakeEngine();
  const r = await cli('service', 'create', '-d', '--name', 'fmt', '--replicas', '2', 'whoami:1');
  if (r.code !== 0) throw new Error(r.stderr);
});
t.teardown(async () => { await fake.close(); });

t.test('service ls / ps, node ls, image ls with templates', async (t) => {
  const ls = await cli('service', 'ls', '--format', '{{.Name}} {{.Mode}}');
  t.equal(ls.code, 0, ls.stderr);
  t.same(lines(ls.stdout), ['fmt replicated']);
  const table = await cli('service', 'ls', '--format', 'table {{.Name}}\t{{.Image}}');
  t.same(lines(table.stdout), ['NAME      IMAGE', 'fmt       whoami:1']);
  const js = await cli('service', 'ls', '--format', '{{json .Name}}');
  t.same(lines(js.stdout), ['"fmt"']);
  const ps = await cli('service', 'ps', 'fmt', '--format', '{{.Name}}');
  t.equal(ps.code, 0, ps.stderr);
  t.same(lines(ps.stdout).sort(), ['fmt.1', 'fmt.2']);
  const nodes = await cli('node', 'ls', '--format', '{{.Hostname}} {{.Self}}');
  t.equal(nodes.code, 0, nodes.stderr);
  t.ok(lines(nodes.stdout).length >= 1 && lines(nodes.stdout).every((l) => / (true|false)$/.test(l)), nodes.stdout);
  const images = await cli('image', 'ls', '--format', '{{.Name}}');
  t.equal(images.code, 0, images.stderr);
  t.ok(lines(images.stdout).length > 0 && lines(images.stdout).every((l) => /^[\w./-]+:[\w.-]+$/.test(l)), `one name:tag per line: ${images.stdout}`);
});

t.test('a bad template is an error that names the field, and prints nothing else', async (t) => {
  const r = await cli('service', 'ls', '--format', '{{.Replicaz}}');
  t.not(r.code, 0);
  t.equal(r.stdout, '');
  t.match(r.stderr, /can't evaluate field Replicaz \(fields: ID, Name, Mode, Replicas, Image, Ports\)/);
  const odd = await cli('service', 'ls', '--format', 'yaml');
  t.match(odd.stderr, /unsupported format "yaml" \(use table, json or a Go template/);
});

t.test('service inspect / node inspect -f: paths into the object, one line per object', async (t) => {
  const svc = await cli('service', 'inspect', '-f', '{{.Spec.Name}} {{.Spec.Mode.Replicated.Replicas}} {{json .Spec.Labels}}', 'fmt');
  t.equal(svc.code, 0, svc.stderr);
  t.same(lines(svc.stdout), ['fmt 2 {}']);
  const node = await cli('node', 'inspect', '--format', '{{.Spec.Availability}} {{index .Spec.Labels "nope"}}', 'self');
  t.equal(node.code, 0, node.stderr);
  t.same(lines(node.stdout), ['active <no value>']);
  const both = await cli('service', 'inspect', '--pretty', '-f', '{{.ID}}', 'fmt');
  t.not(both.code, 0);
  t.equal(both.stdout, '');
  t.match(both.stderr, /--format is incompatible with human friendly format/);
  const bad = await cli('service', 'inspect', '-f', '{{range .Spec}}{{end}}', 'fmt');
  t.not(bad.code, 0);
  t.equal(bad.stdout, '', 'nothing printed for a bad template');
  t.match(bad.stderr, /template: unsupported action \{\{range \.Spec\}\}/);
});
