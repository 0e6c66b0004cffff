/**
 * The package's export paths as a user imports them (`swarmlet`, `swarmlet/client`, `swarmlet/gateway`,
 * resolved through package.json `exports` to dist/ by the package self-reference), and the README's
 * "same client" snippet, which is examples/same-client.ts, run as a user would.
 */
import t from 'tap';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCommand } from '../fixtures/up-process.js';

t.setTimeout(240_000);

interface ExportEntry { types: string; default: string }
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, ExportEntry | string> };

/** dist/ is built by `npm test`; build it here when it is missing or older than the sources these tests cover. */
t.before(async () => {
  const stale = (dist: string, src: string) => !existsSync(join(ROOT, dist)) || statSync(join(ROOT, dist)).mtimeMs < statSync(join(ROOT, src)).mtimeMs;
  if (!stale('dist/lib/client/connect.js', 'lib/client/connect.ts') && !stale('dist/gateway/index.js', 'gateway/index.ts')
    && !stale('dist/lib/index.js', 'lib/index.ts') && !stale('dist/lib/client/index.js', 'lib/client/index.ts')) return;
  const build = await runCommand(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {}, 180_000);
  if (!existsSync(join(ROOT, 'dist', 'lib', 'client', 'connect.js'))) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
});

t.test('every export path has its JavaScript and its types in dist', async (t) => {
  t.same(Object.keys(pkg.exports).sort(), ['.', './client', './gateway', './package.json']);
  for (const [path, entry] of Object.entries(pkg.exports)) {
    if (typeof entry === 'string') continue;
    t.ok(existsSync(join(ROOT, entry.default)), `${path}: ${entry.default}`);
    t.ok(existsSync(join(ROOT, entry.types)), `${path}: ${entry.types}`);
  }
});

t.test('swarmlet/client and swarmlet/gateway import by the package name', async (t) => {
  t.equal(pkg.name, 'swarmlet');
  const root = await import('swarmlet');
  const client = await import('swarmlet/client');
  const gateway = await import('swarmlet/gateway');
  t.type(client.connect, 'function', 'connect');
  t.type(client.createClient, 'function', 'the Engine-API client');
  t.equal(client.SwarmletError, root.SwarmletError, 'one SwarmletError class for every entry');
  t.equal(root.connect, client.connect, 'connect is the same function from swarmlet');
  t.ok(new client.ApiError(404, 'service x not found') instanceof root.SwarmletError, 'HTTP errors are SwarmletErrors');
  t.equal(new client.ApiError(500, 'update out of sequence').code, 'out_of_sequence', 'code mapped back from status and message');
  for (const name of ['createGateway', 'createGatewayProcess', 'createGatewayWorkers', 'pickEndpoint', 'resolveLimits', 'GatewayMetrics']) {
    t.type((gateway as Record<string, unknown>)[name], 'function', `swarmlet/gateway exports ${name}`);
  }
  t.ok(import.meta.resolve('swarmlet/client').endsWith('/dist/lib/client/index.js'), 'resolved to dist by the exports map');
});

t.test('the README snippet is examples/same-client.ts, and it runs', async (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /### Library: the same client in-process and over HTTP\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme);
  t.ok(m, 'the README has the section and its snippet');
  const example = readFileSync(join(ROOT, 'examples', 'same-client.ts'), 'utf8');
  t.ok(m && example.includes(m[1]!), 'the snippet is the example, verbatim');
  const r = await runCommand(process.execPath, ['--import', 'tsx', 'examples/same-client.ts'], {}, 120_000);
  t.equal(r.code, 0, `exit 0\n${r.stderr}`);
  t.same(r.stdout.trim().split('\n'), [
    'local: 3 tasks running',
    'local: invalid_argument (replicas): Number of replicas must be non-negative',
    'remote: 3 tasks running',
    'remote: invalid_argument (replicas): Number of replicas must be non-negative',
  ], 'the same results in-process and over HTTP');
});
