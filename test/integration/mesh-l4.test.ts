/**
 * The routing mesh for every port, in a 3-node cluster: Redis (Debian's redis-server as a catalog
 * image) through every node's published port, also during a rolling update and a node drain with
 * clients connected; a server-first protocol whose open connections last through the stop grace
 * period; UDP echo through every node with per-client affinity; host mode as Swarm.
 */
import { execFile, execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { request } from 'undici';
import { createCluster, type Cluster } from '../../lib/index.js';
import { taskPorts } from '../../cmd/format/task-table.js';

const ADDRS = ['127.0.0.141', '127.0.0.142', '127.0.0.143'];

function has(cmd: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }); return true; } catch { return false; }
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A Redis client that sends PING after PING on one connection; when the connection closes it
 * reconnects once and sends the unanswered command again. A command fails when it gets an error
 * reply, or when the connection it was sent on again (after the reconnect) closes without an answer.
 */
class PingClient {
  ok = 0;
  failed = 0;
  readonly why: string[] = [];
  reconnects = 0;
  private stopped = false;
  /** The last command went unanswered on a connection that closed: sent again after one reconnect. */
  private retry = false;
  readonly done: Promise<void>;
  constructor(private readonly host: string, private readonly port: number) { this.done = this.run(); }
  stop(): Promise<void> { this.stopped = true; return this.done; }
  private async run(): Promise<void> {
    while (!this.stopped) {
      const socket = await this.connect();
      if (socket === undefined) { if (this.retry) { this.failed++; this.why.push('reconnect refused'); this.retry = false; } else this.reconnects++; await new Promise((r) => setTimeout(r, 20)); continue; }
      const closedEarly = await this.pingLoop(socket);
      socket.destroy();
      if (!closedEarly) return;
      if (this.retry) { this.failed++; this.why.push('closed again after the reconnect'); this.retry = false; } else { this.reconnects++; this.retry = true; }
    }
  }
  private connect(): Promise<net.Socket | undefined> {
    return new Promise((resolve) => {
      const s = net.connect(this.port, this.host);
      s.once('connect', () => { s.removeAllListeners('error'); s.on('error', () => {}); resolve(s); });
      s.once('error', () => resolve(undefined));
    });
  }
  /** True when the connection closed with a command unanswered. */
  private async pingLoop(s: net.Socket): Promise<boolean> {
    let buf = '';
    let closed = false;
    let wake: (() => void) | undefined;
    s.on('data', (d) => { buf += d.toString(); wake?.(); });
    s.on('close', () => { closed = true; wake?.(); });
    while (!this.stopped) {
      s.write('*1\r\n$4\r\nPING\r\n');
      while (!buf.includes('\r\n') && !closed) await new Promise<void>((r) => { wake = r; });
      if (!buf.includes('\r\n')) return true;
      const line = buf.slice(0, buf.indexOf('\r\n'));
      buf = buf.slice(buf.indexOf('\r\n') + 2);
      if (line === '+PONG') { this.ok++; this.retry = false; } else { this.failed++; this.why.push(line); }
      await new Promise((r) => setTimeout(r, 5));
    }
    return false;
  }
}

async function redisTest(t: Test, cluster: Cluster): Promise<void> {
  await cluster.addImage({ Name: 'redis:7', Cmd: ['/bin/sh', '-c', 'exec redis-server --bind "$HOST" --port "$PORT" --save "" --appendonly no --protected-mode no'] });
  await cluster.createService({ name: 'redis', image: 'redis:7', replicas: 2, publish: ['16390:6379'], stopGracePeriod: '3s' });
  await cluster.waitForConvergence('redis', { timeoutMs: 30_000 });
  for (const addr of ADDRS) {
    const { stdout } = await promisify(execFile)('redis-cli', ['-h', addr, '-p', '16390', 'ping'], { timeout: 10_000 });
    t.equal(stdout.trim(), 'PONG', `redis-cli -h ${addr} -p 16390 ping`);
  }

  const clients = ADDRS.flatMap((addr) => [new PingClient(addr, 16390), new PingClient(addr, 16390)]);
  await until('every client answered', () => (clients.every((c) => c.ok > 5) ? true : undefined));
  await cluster.updateService('redis', { envAdd: ['GENERATION=2'] });
  await cluster.waitForConvergence('redis', { timeoutMs: 60_000 });
  const afterUpdate = clients.map((c) => c.ok);
  await until('every client answered after the update', () => (clients.every((c, i) => c.ok > afterUpdate[i]! + 5) ? true : undefined));
  const victim = (await cluster.tasks({ service: ['redis'], 'desired-state': ['running'] }))[0]!.NodeID;
  await cluster.updateNode(victim, { availability: 'drain' });
  await until('the drained node runs no redis task', async () => {
    const tasks = await cluster.tasks({ service: ['redis'], 'desired-state': ['running'] });
    return tasks.length === 2 && tasks.every((x) => x.NodeID !== victim && x.Status.State === 'running') ? true : undefined;
  }, 60_000);
  const afterDrain = clients.map((c) => c.ok);
  await until('every client answered after the drain', () => (clients.every((c, i) => c.ok > afterDrain[i]! + 5) ? true : undefined));
  await Promise.all(clients.map((c) => c.stop()));
  const total = clients.reduce((a, c) => ({ ok: a.ok + c.ok, failed: a.failed + c.failed, reconnects: a.reconnects + c.reconnects }), { ok: 0, failed: 0, reconnects: 0 });
  t.same(clients.flatMap((c) => c.why), [], 'why commands failed');
  t.equal(total.failed, 0, `0 failed commands (${total.ok} answered, ${total.reconnects} reconnects after a task closed its connections)`);
  t.ok(total.reconnects >= 1, 'some clients were connected to a task that stopped');
  await cluster.updateNode(victim, { availability: 'active' });
  await cluster.removeService('redis');
}

/** A server-first protocol (a banner on connect) that keeps its open connections after SIGTERM until they close or it is killed. */
const BANNER_SERVER = `
const net = require('node:net');
const open = new Set();
const server = net.createServer((s) => {
  open.add(s); s.on('close', () => open.delete(s)); s.on('error', () => {});
  s.write('220 ' + process.env.SWARMLET_TASK_NAME + ' ready\\r\\n');
  s.on('data', (d) => s.write(process.env.SWARMLET_TASK_NAME + ':' + d));
});
server.listen(Number(process.env.PORT), process.env.HOST);
process.on('SIGTERM', () => { server.close(); const i = setInterval(() => { if (open.size === 0) process.exit(0); }, 50); });
`;

async function serverFirstTest(t: Test, cluster: Cluster): Promise<void> {
  await cluster.addImage({ Name: 'banner:1', Cmd: [process.execPath, '-e', BANNER_SERVER] });
  await cluster.createService({ name: 'banner', image: 'banner:1', replicas: 2, publish: ['16325:25'], stopGracePeriod: '2s' });
  await cluster.waitForConvergence('banner', { timeoutMs: 30_000 });
  const connect = (addr: string) => new Promise<{ s: net.Socket; banner: string; text: () => string; closedAt: () => number | undefined }>((resolve, reject) => {
    const s = net.connect(16325, addr);
    let text = '';
    let closedAt: number | undefined;
    s.on('data', (d) => { text += d.toString(); if (/ready\r\n/.test(text)) resolve({ s, banner: text, text: () => text, closedAt: () => closedAt }); });
    s.on('close', () => { closedAt = Date.now(); });
    s.on('error', reject);
  });
  for (const addr of ADDRS) {
    const c = await connect(addr);
    t.match(c.banner, /^220 banner\.\d ready\r\n$/, `the banner through ${addr} (the client sent nothing)`);
    c.s.destroy();
  }
  const c = await connect(ADDRS[0]!);
  const taskName = /^220 (\S+)/.exec(c.banner)![1]!;
  const task = (await cluster.tasks({ service: ['banner'], 'desired-state': ['running'] })).find((x) => `banner.${x.Slot}` === taskName)!;
  const drainedAt = Date.now();
  await cluster.updateNode(task.NodeID, { availability: 'drain' });
  await new Promise((r) => setTimeout(r, 1_000));
  const wroteAfter = Date.now() - drainedAt;
  c.s.write('still-there');
  // Normally written 1 s into the 2 s grace and answered at once. A loaded machine may stall long
  // enough for the grace to run out first: the answer is then required only of a write made well
  // within the grace, and a close only once the grace ran out.
  const answered = () => c.text().includes(`${taskName}:still-there`);
  const closedAfterGrace = () => c.closedAt() !== undefined && c.closedAt()! - drainedAt >= 2_000;
  await until('an answer on the open connection', () => (answered() || (wroteAfter >= 1_500 && closedAfterGrace()) ? true : undefined), 5_000);
  t.ok(answered() || wroteAfter >= 1_500, `the open connection answered a write ${wroteAfter} ms into the drain`);
  t.ok(c.closedAt() === undefined || closedAfterGrace(), 'open 1 s into the drain (closed only once the grace ran out)');
  await until('the connection closed once the grace period ran out', () => c.closedAt(), 20_000);
  const heldMs = c.closedAt()! - drainedAt;
  t.ok(heldMs >= 2_000, `closed ${heldMs} ms after the drain began (stop grace period 2 s): not cut before it`);
  const fresh = await connect(ADDRS[0]!);
  t.notMatch(fresh.banner, new RegExp(`^220 ${taskName.replace('.', '\\.')} `), 'a new connection goes to another task');
  fresh.s.destroy();
  await cluster.updateNode(task.NodeID, { availability: 'active' });
  await cluster.removeService('banner');
}

const UDP_ECHO = `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => s.send(process.env.SWARMLET_TASK_NAME + ':' + m, r.port, r.address));
s.bind(Number(process.env.PORT), process.env.HOST);
`;

async function udpTest(t: Test, cluster: Cluster): Promise<void> {
  await cluster.addImage({ Name: 'udpecho:1', Cmd: [process.execPath, '-e', UDP_ECHO] });
  await cluster.createService({ name: 'echo', image: 'udpecho:1', replicas: 3, publish: ['15353:53/udp'] });
  await cluster.waitForConvergence('echo', { timeoutMs: 30_000 });
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  t.teardown(() => sock.close());
  const ask = (addr: string, text: string) => new Promise<{ text: string; from: string }>((resolve, reject) => {
    const timer = setTimeout(() => { sock.removeAllListeners('message'); reject(new Error(`no UDP answer from ${addr} within 2 s`)); }, 2_000);
    sock.once('message', (m, r) => { clearTimeout(timer); resolve({ text: m.toString(), from: `${r.address}:${r.port}` }); });
    sock.send(text, 15353, addr);
  });
  for (const addr of ADDRS) {
    const first = await until(`a UDP answer through ${addr}`, () => ask(addr, 'hello').catch(() => undefined), 10_000);
    t.equal(first.from, `${addr}:15353`, `the answer comes from ${addr}:15353`);
    const task = first.text.split(':')[0];
    t.match(task, /^echo\.\d$/);
    for (let i = 0; i < 5; i++) t.equal((await ask(addr, `q${i}`)).text, `${task}:q${i}`, `${addr}: the same client stays on ${task}`);
  }
  await cluster.removeService('echo');
}

async function hostModeTest(t: Test, cluster: Cluster): Promise<void> {
  await cluster.createService({ name: 'hm', image: 'whoami', replicas: 3, publish: ['mode=host,published=18088,target=8080'] });
  await cluster.waitForConvergence('hm', { timeoutMs: 30_000 });
  const tasks = await cluster.tasks({ service: ['hm'], 'desired-state': ['running'] });
  const nodes = await cluster.nodes();
  t.equal(new Set(tasks.map((x) => x.NodeID)).size, 3, 'one task per node');
  for (const x of tasks) {
    const node = nodes.find((n) => n.ID === x.NodeID)!;
    const addr = ADDRS[Number(node.Description.Hostname.replace('node-', '')) - 1]!;
    t.same(x.Endpoint, { Addr: addr, Port: 18088 }, `${node.Description.Hostname}: the task listens on ${addr}:18088 itself`);
    const res = await request(`http://${addr}:18088/`, { headers: { accept: 'application/json' } });
    const body = await res.body.json() as { task: string };
    t.equal(body.task, `hm.${x.Slot}`, `${addr}:18088 answers with its own node's task`);
    t.equal(taskPorts(x), '*:18088->8080/tcp', 'service ps shows the port as Swarm does');
  }
  await cluster.scaleService('hm', 4);
  const pending = await until('the 4th task explained', async () => {
    const all = await cluster.tasks({ service: ['hm'], 'desired-state': ['running'] });
    return all.find((x) => x.Slot === 4 && x.Status.Err);
  });
  t.equal(pending.Status.State, 'pending');
  t.equal(pending.Status.Err, 'no suitable node (host-mode port already in use on 3 nodes)');
  await new Promise((r) => setTimeout(r, 1_000));
  const again = (await cluster.tasks({ service: ['hm'], 'desired-state': ['running'] })).filter((x) => x.Status.State === 'running');
  t.equal(again.length, 3, 'still 3 running: never two on one node');
}

t.test('the routing mesh for every port, on 3 nodes', async (t) => {
  const cluster = await createCluster({ nodes: 3, addresses: ADDRS, gateway: { adminPort: false } });
  t.teardown(() => cluster.close());
  const redis = has('redis-server') && has('redis-cli') ? false : 'redis-server / redis-cli not installed (apt-get install redis-server redis-tools)';
  await t.test('Redis through every node\'s published port, during a rolling update and a drain', { skip: redis }, (t) => redisTest(t, cluster));
  await t.test('a server-first protocol through every node; a drain leaves open connections the stop grace period', (t) => serverFirstTest(t, cluster));
  await t.test('UDP through every node with per-client affinity; a UDP-only task is running without a TCP connect', (t) => udpTest(t, cluster));
  await t.test('host mode: 3 replicas on 3 nodes answer on their own node\'s address; a 4th stays pending with Swarm\'s reason', (t) => hostModeTest(t, cluster));
});
