/** The etcd test fixture: a real 3-member cluster on loopback that keeps quorum with one member down. */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdMissing, startEtcdCluster } from '../fixtures/etcd-cluster.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function put(endpoint: string, key: string, value: string, timeoutMs = 3000): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/v3/kv/put`, {
      method: 'POST', body: JSON.stringify({ key: b64(key), value: b64(value) }), signal: AbortSignal.timeout(timeoutMs),
    });
    return res.ok;
  } catch {
    return false;
  }
}

async function get(endpoint: string, key: string): Promise<string | undefined> {
  const res = await fetch(`${endpoint}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: b64(key) }) });
  const body = await res.json() as { kvs?: Array<{ value?: string }> };
  const v = body.kvs?.[0]?.value;
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString();
}

t.test('3 members: writes go through with one down, not with two, and again once they return', { skip: etcdMissing() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-etcd-fixture-'));
  const etcd = await startEtcdCluster({ members: 3, baseDir: dir });
  t.teardown(async () => { await etcd.stop(); rmSync(dir, { recursive: true, force: true }); });
  t.equal(etcd.endpoints.length, 3);
  t.ok(await put(etcd.endpoints[0]!, 'a', '1'), 'put through member 0');
  t.equal(await get(etcd.endpoints[2]!, 'a'), '1', 'read back through member 2');
  await etcd.kill(0);
  let ok1 = false;
  for (const deadline = Date.now() + 20_000; !ok1 && Date.now() < deadline;) ok1 = await put(etcd.endpoints[1]!, 'a', '2', 2000);
  t.ok(ok1, 'one member down: still writable (a write in flight while the raft leader died may time out once: retried)');
  await etcd.kill(1);
  t.notOk(await put(etcd.endpoints[2]!, 'a', '3', 1500), 'two down: no quorum, the write does not complete');
  await etcd.restart(0);
  await etcd.restart(1);
  const deadline = Date.now() + 20_000;
  let ok = false;
  while (!ok && Date.now() < deadline) ok = await put(etcd.endpoints[0]!, 'a', '4', 2000);
  t.ok(ok, 'quorum back: writable again');
  t.equal(await get(etcd.endpoints[1]!, 'a'), '4');
});
