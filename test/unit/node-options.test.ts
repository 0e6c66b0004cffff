import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveNodeOptions } from '../../lib/node/node-options.js';
import { runNode } from '../../lib/node/run-node.js';
import { createCluster } from '../../lib/cluster/create-cluster.js';
import { SwarmletError } from '../../lib/errors.js';

const fieldOf = (fn: () => unknown): string | undefined => {
  try { fn(); } catch (e) { return e instanceof SwarmletError ? `${e.code}:${e.field}` : `not a SwarmletError: ${String(e)}`; }
  return undefined;
};

t.test("runNode takes createCluster's names: dataDir, gateway, driver", async (t) => {
  t.same(resolveNodeOptions({ dataDir: '/d' }), { dataDir: '/d', gateway: { adminPort: 9323, logLevel: 'silent' }, driver: { kind: 'process' } }, 'defaults');
  t.same(resolveNodeOptions({ dataDir: '/d', gateway: false, driver: 'docker' }), { dataDir: '/d', gateway: false, driver: { kind: 'docker' } });
  t.same(resolveNodeOptions({ dataDir: '/d', gateway: { adminPort: false, logLevel: 'info' } }).gateway, { adminPort: false, logLevel: 'info' });
  t.same(resolveNodeOptions({ dataDir: '/d', driver: { kind: 'docker', dockerHost: 'tcp://127.0.0.1:2375' } }).driver, { kind: 'docker', dockerHost: 'tcp://127.0.0.1:2375' });
});

t.test('the old names still work (deprecated aliases)', async (t) => {
  t.same(resolveNodeOptions({ stateDir: '/s', noGateway: true }), { dataDir: '/s', gateway: false, driver: { kind: 'process' } });
  t.same(resolveNodeOptions({ stateDir: '/s', metricsPort: 9400, gatewayLogLevel: 'debug' }).gateway, { adminPort: 9400, logLevel: 'debug' });
  t.same(resolveNodeOptions({ dataDir: '/s', stateDir: '/s' }).dataDir, '/s', 'both, the same');
});

t.test('bad node options: a SwarmletError naming the option', async (t) => {
  t.equal(fieldOf(() => resolveNodeOptions({})), 'invalid_argument:dataDir');
  t.equal(fieldOf(() => resolveNodeOptions({ dataDir: '/a', stateDir: '/b' })), 'invalid_argument:dataDir');
  t.equal(fieldOf(() => resolveNodeOptions({ dataDir: '/a', gateway: { adminPort: Number('x') } })), 'invalid_argument:gateway.adminPort');
  await t.rejects(runNode({ manager: 'http://127.0.0.1:1', address: '127.0.0.1', hostname: 'x' }), { code: 'invalid_argument', field: 'dataDir' });
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-node-opts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await t.rejects(runNode({ manager: 'http://127.0.0.1:1', address: '127.0.0.1', hostname: 'x', dataDir: dir }),
    { name: 'SwarmletError', code: 'invalid_argument', field: 'token', message: /has not joined http:\/\/127\.0\.0\.1:1 yet: pass --token/ });
});

t.test('bad cluster options: a SwarmletError naming the option, before anything starts', async (t) => {
  await t.rejects(createCluster({ listen: 'nowhere' }), { name: 'SwarmletError', code: 'invalid_argument', field: 'listen' });
  await t.rejects(createCluster({ nodes: 0 }), { name: 'SwarmletError', code: 'invalid_argument', field: 'nodes', message: 'invalid node count 0: expected 1-254' });
});
