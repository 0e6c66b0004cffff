/**
 * One client API: the same function drives the in-process cluster of createCluster and the same
 * manager over HTTP (`connect` from swarmlet/client): same verbs, options, records and errors.
 *
 *   npm run build && node --import tsx examples/same-client.ts
 *
 * Its node is 127.0.0.24 (beside `npm start` and examples/local-cluster.ts); the API takes a free port.
 */
import { createCluster, type SwarmletClient } from 'swarmlet';
import { connect, SwarmletError } from 'swarmlet/client';

async function deploy(c: SwarmletClient, name: string): Promise<void> {
  await c.createService({ name, image: 'whoami', replicas: 2, updateMonitor: '100ms' });
  await c.scaleService(name, 3);
  await c.waitForConvergence(name, { timeoutMs: 30_000 });
  const running = await c.tasks({ service: [name], 'desired-state': ['running'] });
  console.log(`${name}: ${running.length} tasks running`);
  try {
    await c.createService({ name, image: 'whoami', replicas: -1 });
  } catch (e) {
    if (e instanceof SwarmletError) console.log(`${name}: ${e.code} (${e.field}): ${e.message}`);
  }
  await c.removeService(name);
}

const cluster = await createCluster({ addresses: ['127.0.0.24'], gateway: false, listen: '127.0.0.24:0' });
const remote = connect({ host: cluster.url });          // any manager: swarmlet up, swarmlet manager …
try {
  await deploy(cluster, 'local');                        // in this process
  await deploy(remote, 'remote');                        // over HTTP
} finally {
  await remote.close();
  await cluster.close();
}
