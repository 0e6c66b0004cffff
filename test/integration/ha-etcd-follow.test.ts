/**
 * Issue 17, what follows the leader besides node sessions (a real 3-member etcd, three managers, three
 * node processes): a standalone `swarmlet gateway --manager URL,URL,URL` under 200 req/s while the leader
 * is killed (0 failed requests; it routes to a task the new leader placed), and streams asked of a
 * FOLLOWER — `GET /events` and `GET /services/{id}/logs?follow=1` — which the follower forwards to the
 * leader: events and lines arrive, and when the leader dies (kill -9) or stops answering (SIGSTOP) the
 * stream ENDS, cleanly (a docker client reconnects nothing: it must not hang).
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { etcdMissing } from '../fixtures/etcd-cluster.js';
import { api, post, startHaCluster, swarmlet, until, type HaCluster, type Proc } from '../fixtures/ha-cluster.js';
import { runLoad } from '../fixtures/load.js';
import { dockerAvailable, dockerCli, type DockerCli, type DockerProcess } from '../fixtures/docker-cli.js';

const BASE = 231; // managers on 127.0.0.231, nodes on .232-.234 (node 1's gateway is the standalone one)
const GW = `127.0.0.${BASE + 1}`;
const PORT = 19231;

t.setTimeout(300_000);

interface TaskJ { ID: string; ServiceID: string; Slot?: number; DesiredState: string; Status: { State: string } }
interface ServiceJ { ID: string; Version: { Index: number } }

/** A streamed answer read in the background: its text so far, and how it ended (undefined while open). */
interface OpenStream {
  status: number;
  text(): string;
  ended(): { how: 'clean' | 'error'; detail: string; atMs: number } | undefined;
  close(): void;
}

async function openStream(url: string): Promise<OpenStream> {
  const ctl = new AbortController();
  const res = await request(url, { signal: ctl.signal, headersTimeout: 20_000, bodyTimeout: 0 });
  let text = '';
  let end: ReturnType<OpenStream['ended']>;
  void (async () => {
    try {
      for await (const chunk of res.body) text += (chunk as Buffer).toString('latin1');
      end = { how: 'clean', detail: '', atMs: Date.now() };
    } catch (e) {
      end = { how: 'error', detail: `${(e as { code?: string }).code ?? ''} ${(e as Error).message}`, atMs: Date.now() };
    }
  })();
  return { status: res.statusCode, text: () => text, ended: () => end, close: () => ctl.abort() };
}

t.test('three managers on etcd: a standalone gateway and streams through a follower', { skip: etcdMissing() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-haf-'));
  let c!: HaCluster;
  let gw: Proc | undefined;
  const streams: OpenStream[] = [];
  t.teardown(async () => {
    for (const s of streams) s.close();
    if (gw?.alive()) { gw.child.kill('SIGKILL'); await gw.exited(); }
    await c?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  c = await startHaCluster({ dir, base: BASE, nodeArgs: (i) => (i === 0 ? ['--no-gateway'] : []) });
  const running = async (url: string) => (await api<TaskJ[]>(url, '/tasks')).body.filter((x) => x.DesiredState === 'running' && x.Status.State === 'running');
  const spec = (replicas: number) => ({ Name: 'fweb', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: replicas } },
    EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: PORT, PublishMode: 'ingress' }] } });
  t.equal((await api(c.urls[2]!, '/services/create', post(spec(3)))).status, 201, 'created through any manager');
  await until('3 running', async () => (await running(c.urls[0]!)).length === 3, 60_000);

  const leader = (await until('a leader', () => c.leader()))!;
  const followers = [0, 1, 2].filter((i) => i !== leader);
  const f = followers[0]!; // asked for the streams; it stays up
  // The leader first in the gateway's list: its stream breaks when the leader dies, and the followers
  // it moves to still name the dead leader until the lease runs out.
  const order = [leader, ...followers].map((i) => c.urls[i]!);
  gw = swarmlet(['gateway', '--manager', order.join(','), '--node', `h${BASE}-1`, '--admin', 'off', '--log-level', 'warn']);
  await until('the standalone gateway routes', async () => (await api(`http://${GW}:${PORT}`, '/')).status === 200, 30_000);

  // Streams asked of a follower (forwarded to the leader).
  const events = await openStream(`${c.urls[f]}/events`);
  streams.push(events);
  t.equal(events.status, 200, 'GET /events on a follower: 200');
  const logs = await openStream(`${c.urls[f]}/services/fweb/logs?follow=1&stdout=1&stderr=1&tail=0`);
  streams.push(logs);
  t.equal(logs.status, 200, 'GET /services/fweb/logs?follow=1 on a follower: 200');
  // The real docker CLI asked of the follower too (when installed): what it does when the stream ends.
  let docker: DockerCli | undefined;
  let dockerEvents: DockerProcess | undefined;
  let dockerLogs: DockerProcess | undefined;
  if (dockerAvailable()) {
    const u = new URL(c.urls[f]!);
    docker = dockerCli(Number(u.port), u.hostname);
    dockerEvents = docker.start('events');
    dockerLogs = docker.start('service', 'logs', '-f', '--tail', '0', 'fweb');
    t.teardown(async () => { await dockerEvents?.stop(); await dockerLogs?.stop(); docker?.cleanup(); });
    await new Promise((r) => setTimeout(r, 2000)); // both connected (a create event or a line before that is not asserted on)
  }
  t.equal((await api(c.urls[f]!, '/services/create', post({ Name: 'fmark', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 0 } } }))).status, 201, 'a service created through the follower');
  await until('the create event on the follower\'s stream', () => events.text().split('\n').some((l) => l.includes('"Action":"create"') && l.includes('"fmark"')), 30_000);
  t.pass('an event arrives on the events stream asked of a follower');
  if (dockerEvents) {
    await until('docker events (asked of a follower) prints the create', () => /service create \S+ \(name=fmark\)/.test(dockerEvents!.stdout()), 30_000);
    t.pass('docker events asked of a follower prints the event');
  }
  const marker = `/marker-${process.pid}-${Date.now()}`;
  await until('the marker request\'s log line on the follower\'s stream', async () => {
    await api(`http://${GW}:${PORT}`, marker); // each replica logs "GET <url> 200"; ask again until one line is seen
    return logs.text().includes(`GET ${marker} 200`);
  }, 30_000, 500);
  t.pass('a task\'s log line arrives on the follow stream asked of a follower');
  if (dockerLogs) {
    await until('docker service logs -f (asked of a follower) prints the line', async () => {
      if (dockerLogs!.stdout().includes(`GET ${marker} 200`)) return true;
      await api(`http://${GW}:${PORT}`, marker);
      return false;
    }, 30_000, 500);
    t.pass('docker service logs -f asked of a follower prints the task\'s line');
  }

  await t.test('kill -9 of the leader: 0 failed requests through the standalone gateway; the follower\'s streams end cleanly; a scale under the new leader is routed', async (t) => {
    const before = new Set((await running(c.urls[f]!)).map((x) => x.ID));
    let finish!: () => void;
    const load = runLoad(`http://${GW}:${PORT}/`, 200, new Promise<void>((r) => { finish = r; }), 120_000);
    t.teardown(() => finish());
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    c.managers[leader]!.proc.child.kill('SIGKILL');
    const next = await until('a new leader', async () => { const l = await c.leader(followers); return l !== undefined && l !== leader ? l : undefined; }, 30_000);
    t.pass(`new leader (manager ${next}) after ${Date.now() - t0} ms`);
    await until('the events stream ends', () => events.ended(), 30_000);
    await until('the logs stream ends', () => logs.ended(), 30_000);
    t.same({ how: events.ended()!.how }, { how: 'clean' }, `the events stream ended cleanly ${events.ended()!.atMs - t0} ms after the kill ${events.ended()!.detail}`);
    t.same({ how: logs.ended()!.how }, { how: 'clean' }, `the logs stream ended cleanly ${logs.ended()!.atMs - t0} ms after the kill ${logs.ended()!.detail}`);
    if (dockerEvents && dockerLogs) {
      await until('docker events exits', () => dockerEvents!.child.exitCode !== null || dockerEvents!.child.signalCode !== null, 30_000);
      await until('docker service logs -f exits', () => dockerLogs!.child.exitCode !== null || dockerLogs!.child.signalCode !== null, 30_000);
      const ev = await dockerEvents.stop();
      const lg = await dockerLogs.stop();
      t.equal(ev.code, 0, `docker events exits 0 when the leader dies (${ev.stderr.trim()})`);
      t.equal(lg.code, 0, `docker service logs -f exits 0 when the leader dies (${lg.stderr.trim()})`);
    }

    const upd = await until('the scale taken', async () => {
      const s = (await api<ServiceJ>(c.urls[f]!, '/services/fweb')).body;
      const r = await api(c.urls[f]!, `/services/fweb/update?version=${s.Version.Index}`, post(spec(4)));
      return r.status === 200 ? r : undefined;
    }, 30_000, 200);
    t.equal(upd.status, 200, 'scaled to 4 under the new leader');
    const added = await until('a 4th task running', async () => {
      const now = await running(c.urls[f]!);
      return now.length === 4 ? now.find((x) => !before.has(x.ID)) : undefined;
    }, 60_000);
    // The gateway routes to the new task: its endpoint came through the stream the gateway follows now.
    await until('the gateway routes to the task the new leader placed', async () => {
      const r = await api<{ taskId?: string }>(`http://${GW}:${PORT}`, '/', { headers: { accept: 'application/json' } });
      return r.body.taskId === added.ID;
    }, 30_000, 20);
    t.pass('the standalone gateway picked up the endpoint added under the new leader');
    await new Promise((r) => setTimeout(r, 500));
    finish();
    const r = await load;
    t.ok(r.sent > 200, `sent ${r.sent} (the load ran across the kill)`);
    t.equal(r.non2xx + r.errors, 0, `failed requests through the standalone gateway: ${r.non2xx + r.errors} ${r.samples.join(' | ')}`);
    await c.managers[leader]!.start(); // back as a follower
  });

  await t.test('SIGSTOP of the leader: the streams asked of a follower end once another manager leads (no hang)', async (t) => {
    const l = (await until('a leader', () => c.leader()))!;
    const g = [0, 1, 2].find((i) => i !== l)!;
    const ev = await openStream(`${c.urls[g]}/events`);
    streams.push(ev);
    const lg = await openStream(`${c.urls[g]}/services/fweb/logs?follow=1&stdout=1&stderr=1&tail=0`);
    streams.push(lg);
    t.equal(ev.status, 200, 'events on a follower: 200 (forwarded to the new leader)');
    t.equal(lg.status, 200, 'logs on a follower: 200');
    t.equal((await api(c.urls[g]!, '/services/create', post({ Name: 'fmark2', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 0 } } }))).status, 201, 'a service created through the follower');
    await until('the create event', () => ev.text().includes('"fmark2"'), 30_000);
    const stopped = c.managers[l]!.proc.child;
    const t0 = Date.now();
    stopped.kill('SIGSTOP');
    try {
      await until('another manager leads', async () => { const x = await c.leader([0, 1, 2].filter((i) => i !== l)); return x !== undefined && x !== l ? x : undefined; }, 30_000);
      await until('the events stream ends', () => ev.ended(), 30_000);
      await until('the logs stream ends', () => lg.ended(), 30_000);
    } finally {
      stopped.kill('SIGCONT');
    }
    t.equal(ev.ended()!.how, 'clean', `the events stream ended cleanly ${ev.ended()!.atMs - t0} ms after SIGSTOP ${ev.ended()!.detail}`);
    t.equal(lg.ended()!.how, 'clean', `the logs stream ended cleanly ${lg.ended()!.atMs - t0} ms after SIGSTOP ${lg.ended()!.detail}`);
  });
});
