/**
 * The node session protocol over HTTP: a node that joins describes itself (its platform, CPUs and
 * memory, not the manager's) and `node inspect` shows what it sent; a malformed report, join or ack
 * is answered 400 naming the field and changes nothing. A manager (createCluster with a dispatcher,
 * no local nodes) in this process; the joins are plain HTTP requests as a node would send them.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { request } from 'undici';
import { createCluster } from '../../lib/cluster/create-cluster.js';
import type { Node } from '../../lib/model/types.js';
import { swarmletArgs } from '../fixtures/swarmlet-command.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

interface Reply { status: number; body: { message?: string; [k: string]: unknown } | undefined }

async function call(url: string, path: string, body: unknown, credential?: string): Promise<Reply> {
  const r = await request(`${url}${path}`, {
    method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
  });
  const text = await r.body.text();
  return { status: r.statusCode, body: text ? JSON.parse(text) as Reply['body'] : undefined };
}

const FAKE = {
  Platform: { OS: 'plan9', Architecture: 'riscv64' },
  Resources: { NanoCPUs: 3_000_000_000, MemoryBytes: 1_234_567_890 },
  Engine: { EngineVersion: 'swarmlet-test', Labels: { disk: 'ssd' } },
  Driver: 'process',
};

t.test('a joining node is registered with its own description; bad reports are refused', async (t) => {
  const cluster = await createCluster({ nodes: 0, listen: '127.0.0.1:0', gateway: false, dispatcher: { heartbeatMs: 60_000 } });
  t.teardown(() => cluster.close());
  const url = cluster.url!;
  const token = (await (await request(`${url}/swarmlet/v1/join-token/worker`)).body.json() as { Token: string }).Token;
  const nodeOf = (id: string): Node | undefined => cluster.store.view((tx) => tx.getNode(id));

  const badJoin = await call(url, '/swarmlet/v1/join', { Token: token, Hostname: 'bad-1', Addr: '127.0.0.181', Description: { ...FAKE, Resources: { NanoCPUs: 'four', MemoryBytes: 1 } } });
  t.equal(badJoin.status, 400, 'a join with a malformed description is refused');
  t.match(badJoin.body?.message, /Description\.Resources\.NanoCPUs: expected number, got string/, 'naming the field');
  t.equal(cluster.store.view((tx) => tx.listNodes().length), 0, 'and registers nothing');

  const joined = await call(url, '/swarmlet/v1/join', { Token: token, Hostname: 'far-1', Addr: '127.0.0.181', Driver: 'process', Description: FAKE });
  t.equal(joined.status, 200, JSON.stringify(joined.body));
  const id = joined.body!.NodeID as string;
  const credential = joined.body!.Credential as string;

  const { stdout } = await run(process.execPath, swarmletArgs('-H', url, 'node', 'inspect', id), { cwd: ROOT });
  const inspected = (JSON.parse(stdout) as Node[])[0]!;
  t.same(inspected.Description.Platform, FAKE.Platform, 'node inspect shows the platform the node sent');
  t.same(inspected.Description.Resources, FAKE.Resources, 'and its CPUs and memory, not the manager\'s');
  t.same(inspected.Description.Engine?.EngineVersion, 'swarmlet-test');
  t.same(inspected.Description.Engine?.Labels, { disk: 'ssd' });
  t.equal(inspected.Description.Hostname, 'far-1');

  const before = JSON.stringify(nodeOf(id));
  const bad: Array<[string, unknown, RegExp]> = [
    ['/description', { Resources: { NanoCPUs: -1, MemoryBytes: 1 } }, /invalid NodeReport: Resources\.NanoCPUs: /],
    ['/description', { Platform: { OS: 'linux' } }, /invalid NodeReport: Platform\.Architecture: expected string, got nothing/],
    ['/description', { Images: ['ok:1', 7] }, /invalid NodeReport: Images\[1\]: expected string, got number/],
    ['/description', [], /invalid NodeReport: body: expected object, got an array/],
    ['/description', '{"Driver": ', /invalid JSON body/],
    ['/tasks/nosuch/status', { State: 'exploded' }, /invalid TaskReport: State: /],
    ['/tasks/nosuch/status', { State: 'running', Endpoint: { Addr: '127.0.0.1', Port: 'x' } }, /invalid TaskReport: Endpoint\.Port: expected number, got string/],
  ];
  for (const [path, body, message] of bad) {
    const r = await call(url, `/swarmlet/v1/nodes/${id}${path}`, body, credential);
    t.equal(r.status, 400, `${path} ${JSON.stringify(body)}: 400`);
    t.match(r.body?.message, message, 'the message names the field');
  }
  t.equal(JSON.stringify(nodeOf(id)), before, 'the node is unchanged by the bad reports');

  const ack = await call(url, '/swarmlet/v1/endpoints/ack', { Gateway: 'g 1', Version: 1 });
  t.equal(ack.status, 400);
  t.match(ack.body?.message, /invalid ack: Gateway: expected a gateway ID/);

  const changed = { ...FAKE, Resources: { NanoCPUs: 8_000_000_000, MemoryBytes: 2_000_000_000 } };
  const described = await call(url, `/swarmlet/v1/nodes/${id}/description`, changed, credential);
  t.equal(described.status, 204, 'a well-formed report is taken');
  t.same(nodeOf(id)?.Description.Resources, changed.Resources, 'and what the node sent when it changed is stored');
  t.same(nodeOf(id)?.Description.Platform, FAKE.Platform);

  const rejoined = await call(url, '/swarmlet/v1/join', { Token: token, Hostname: 'old-1', Addr: '127.0.0.182' });
  t.equal(rejoined.status, 200, 'a join without a description is still accepted');
  const old = nodeOf(rejoined.body!.NodeID as string)!;
  t.equal(old.Description.Resources, undefined, 'and records no resources rather than the manager\'s own');
  t.equal(old.Description.Platform, undefined);
});
