/**
 * Service-to-service traffic does not go through the manager's process: each VIP's gateway runs in
 * its own child process, so a manager whose event loop is blocked (here: this test process, which
 * runs the cluster, busy-looping for 2 s) does not delay requests to a VIP sent by another process.
 * With the VIP gateway in the manager's process no request could complete during the block.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { createCluster } from '../../lib/cluster/create-cluster.js';
import type { Task } from '../../lib/model/types.js';
import { until as waitFor } from '../fixtures/up-process.js';

/** The shared poll (test/fixtures/up-process.ts) with this file's 30 s default. */
const until = <T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> => waitFor(what, fn, timeoutMs, 50);

const runningOf = (tasks: Task[]) => tasks.filter((x) => x.DesiredState === 'running' && x.Status.State === 'running' && x.Endpoint);

/** A separate process that sends requests to `url` every 20 ms for `ms`, then prints [sentAt, doneAt, status][] as JSON once. */
const LOADER = `
const [url, ms] = [process.argv[1], Number(process.argv[2])];
const out = []; const end = Date.now() + ms; const pending = [];
console.log('ready');
(async () => {
  while (Date.now() < end) {
    const sent = Date.now();
    pending.push(fetch(url, { signal: AbortSignal.timeout(8000) }).then(async (r) => { await r.arrayBuffer(); out.push([sent, Date.now(), r.status]); },
      () => out.push([sent, Date.now(), 0])));
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.all(pending);
  console.log(JSON.stringify(out));
})();
`;

function busyLoop(ms: number): void {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x++;
  void x;
}

t.test('a VIP keeps answering while the manager\'s event loop is blocked for 2 s', async (t) => {
  const cluster = await createCluster({ nodes: 2, addresses: ['127.0.0.193', '127.0.0.194'], gateway: { adminPort: false } });
  t.teardown(() => cluster.close());
  // Other subnets first, so this VIP (127.77.6.2) differs from the one networks.test.ts uses.
  for (let i = 0; i < 6; i++) cluster.control.networks!.create({ Name: `pad${i}` });
  cluster.control.networks!.create({ Name: 'iso' });
  await cluster.createService({ name: 'api', image: 'whoami:1', replicas: 2, publish: ['9193:8080'], networks: ['iso'] }); // VIP port: the target port
  const vip = (await cluster.service('api')).Endpoint.VirtualIPs![0]!.Addr.split('/')[0]!;
  t.equal(vip, '127.77.6.2');
  await until('api x2', async () => (runningOf(await cluster.tasks({ service: ['api'] })).length === 2 ? true : undefined));
  const url = `http://${vip}:8080/`;
  await until('the VIP answers', async () => ((await fetch(url)).status === 200 ? true : undefined));
  const pid = cluster.vipGateways!.pid(vip);
  t.ok(pid !== undefined && pid !== process.pid, `the VIP's gateway is a child process (${pid})`);

  const loader = spawn(process.execPath, ['-e', LOADER, url, '4500'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  loader.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  const exited = new Promise<void>((resolve) => loader.on('exit', () => resolve()));
  await until('the loader runs', () => (stdout.includes('ready') ? true : undefined), 15_000);
  await new Promise((r) => setTimeout(r, 500)); // it is sending requests
  const blockStart = Date.now();
  busyLoop(2000); // the manager (this process) answers nothing for 2 s
  const blockEnd = Date.now();
  await exited;
  const rows = JSON.parse(stdout.split('\n').filter(Boolean).at(-1)!) as [number, number, number][];
  const failed = rows.filter((r) => r[2] !== 200);
  t.equal(failed.length, 0, `every request answered 200 (${rows.length} sent)`);
  // Completed well inside the block: none could with a gateway stalled with the manager.
  const doneDuring = rows.filter(([, done]) => done > blockStart + 200 && done < blockEnd - 200);
  const sentDuring = rows.filter(([sent]) => sent >= blockStart && sent < blockEnd);
  const worst = Math.max(...sentDuring.map(([sent, done]) => done - sent));
  t.ok(doneDuring.length >= 10, `${doneDuring.length} requests completed while the manager was blocked (of ${sentDuring.length} sent; slowest ${worst} ms)`);
  t.ok(worst < 1500, `no request sent during the block waited for it to end (slowest ${worst} ms)`);
});
