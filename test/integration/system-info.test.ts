/** `docker info` lists the manager's API address (HOST:PORT) under Manager Addresses. */
import t from 'tap';
import { createCluster } from '../../lib/cluster/create-cluster.js';
import { freePort } from '../fixtures/up-process.js';

t.test('RemoteManagers carries the API address with its port', async (t) => {
  const port = await freePort('127.0.0.1');
  const c = await createCluster({ addresses: ['127.0.0.178'], listen: `127.0.0.1:${port}`, gateway: false });
  t.teardown(() => c.close());
  const info = await (await fetch(`${c.url}/info`)).json() as { Swarm: { NodeAddr: string; RemoteManagers: Array<{ Addr: string }> } };
  t.equal(info.Swarm.NodeAddr, '127.0.0.178', 'the node address has no port');
  t.same(info.Swarm.RemoteManagers.map((m) => m.Addr), [`127.0.0.1:${port}`]);
});
