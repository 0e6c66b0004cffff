/**
 * `service logs` of tasks that run in node processes: the request goes down the node's session,
 * the node uploads the lines. A manager (createCluster with a dispatcher, no local nodes) and two
 * nodes (runNode, real HTTP on loopback) in this process.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createCluster } from '../../lib/cluster/create-cluster.js';
import { runNode, type NodeProcess } from '../../lib/node/run-node.js';
import type { LogEntry } from '../../lib/manager/control.js';
import { until } from '../fixtures/up-process.js';

const ADDRS = ['127.0.0.171', '127.0.0.172'];

async function collect(it: AsyncIterable<LogEntry>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

t.test('service logs of tasks on node processes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-rlogs-'));
  const cluster = await createCluster({ nodes: 0, dataDir: join(dir, 'manager'), listen: '127.0.0.1:0', gateway: false, dispatcher: { heartbeatMs: 500 } });
  const nodes: NodeProcess[] = [];
  t.teardown(async () => {
    for (const n of nodes) await n.close().catch(() => undefined);
    await cluster.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const token = (await (await request(`${cluster.url}/swarmlet/v1/join-token/worker`)).body.json() as { Token: string }).Token;
  for (const [i, addr] of ADDRS.entries()) {
    nodes.push(await runNode({ manager: cluster.url!, token, address: addr, hostname: `rl-${i + 1}`, stateDir: join(dir, `node-${i + 1}`), noGateway: true }));
  }
  await cluster.createService({ name: 'echo', image: 'whoami', replicas: 2, publish: ['9171:8080'] });
  const tasks = await until('2 running tasks', async () => {
    const ts = (await cluster.tasks({ service: ['echo'] })).filter((x) => x.Status.State === 'running' && x.Endpoint);
    return ts.length === 2 ? ts : undefined;
  });
  t.equal(new Set(tasks.map((x) => x.NodeID)).size, 2, 'one task on each node process');
  for (const task of tasks) {
    const r = await request(`http://${task.Endpoint!.Addr}:${task.Endpoint!.Port}/hello-${task.Slot}`);
    await r.body.dump();
  }

  const lines = await until('both tasks\' request lines', async () => {
    const all = await collect(cluster.logs('echo'));
    return tasks.every((task) => all.some((e) => e.taskId === task.ID && e.text.includes(`/hello-${task.Slot}`))) ? all : undefined;
  });
  for (const task of tasks) {
    const own = lines.filter((e) => e.taskId === task.ID);
    t.ok(own.some((e) => e.text.includes('listening')), `task ${task.Slot}: its start line came from its node`);
    t.ok(own.every((e) => e.nodeId === task.NodeID), `task ${task.Slot}: lines carry its node`);
  }
  t.ok(lines.every((e, i) => i === 0 || lines[i - 1]!.time <= e.time), 'merged in time order');

  const one = tasks[0]!;
  const tail = await collect(cluster.logs(one.ID, { tail: 1 }));
  t.equal(tail.length, 1, 'tail 1 of one task: one line');

  // follow: a line written after the follow began arrives, and aborting ends the upload.
  const ac = new AbortController();
  const seen: LogEntry[] = [];
  const following = (async () => {
    for await (const e of cluster.logs(one.ID, { follow: true, tail: 0, signal: ac.signal })) {
      seen.push(e);
      if (e.text.includes('/after-follow')) ac.abort();
    }
  })();
  await until('the follow to be asked of the node', async () => {
    const r = await request(`http://${one.Endpoint!.Addr}:${one.Endpoint!.Port}/after-follow`);
    await r.body.dump();
    return seen.some((e) => e.text.includes('/after-follow')) ? true : undefined;
  }, 15_000);
  await following;
  t.ok(seen.every((e) => e.taskId === one.ID), 'follow yields only that task');

  // a follow of a task that writes nothing stays open past the manager's 5 s answer timeout
  // (the node opens its upload at once), and ends quietly when the reader stops.
  const quiet = new AbortController();
  let outcome: string | undefined;
  const quietFollow = (async () => {
    for await (const _ of cluster.logs(one.ID, { follow: true, tail: 0, signal: quiet.signal })) { /* nothing comes */ }
  })().then(() => { outcome = 'ended'; }, (e: Error) => { outcome = `failed: ${e.message}`; });
  await new Promise((r) => setTimeout(r, 6_500));
  t.equal(outcome, undefined, 'still following after 6.5 s');
  quiet.abort();
  await quietFollow;
  t.equal(outcome, 'ended', 'stopping the follow ends it without an error');

  // a node that is gone: its task's logs end at once, with Swarm's warning, instead of hanging.
  await nodes[1]!.close();
  nodes.pop();
  const other = tasks.find((x) => x.NodeID !== one.NodeID)!;
  const started = Date.now();
  const none: LogEntry[] = [];
  const err = await collectInto(cluster.logs(other.ID), none).then(() => undefined, (e: Error) => e);
  t.same(none, [], 'no lines from a node without a session');
  t.equal(err?.message, `rpc error: code = Unknown desc = warning: incomplete log stream. some logs could not be retrieved for the following reasons: node ${other.NodeID} is not available`,
    'then Swarm\'s warning, naming the node');
  t.ok(Date.now() - started < 8000, 'and no hang');
  // the service: every line of the task whose node is there, then the warning
  const some: LogEntry[] = [];
  const serviceErr = await collectInto(cluster.logs('echo'), some).then(() => undefined, (e: Error) => e);
  t.ok(some.some((e) => e.taskId === one.ID && e.text.includes('/after-follow')), 'the reachable task\'s lines');
  t.ok(some.every((e) => e.taskId !== other.ID), 'none of the unreachable one');
  t.match(serviceErr?.message, /incomplete log stream\. some logs could not be retrieved for the following reasons: node \S+ is not available$/, 'the warning comes last');
});

async function collectInto(it: AsyncIterable<LogEntry>, out: LogEntry[]): Promise<void> {
  for await (const e of it) out.push(e);
}
