/**
 * Issue 17 on a real 3-member etcd: three `swarmlet manager --store etcd://…` processes, three node
 * processes following them (`--manager URL,URL,URL`), a published service under 200 req/s through a
 * gateway. kill -9 of the leader: a new leader within 5 s, 0 failed requests, no task restarted, the
 * service still takes updates. Rounds of leader kill -9 during creates, updates and scales: every
 * acknowledged change present, none applied twice. SIGSTOP of the leader past its lease: another
 * leads, and what the old one would write after SIGCONT never reaches etcd.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdMissing } from '../fixtures/etcd-cluster.js';
import { api, post, startHaCluster, swarmlet, until, type HaCluster } from '../fixtures/ha-cluster.js';
import { runLoad } from '../fixtures/load.js';

const BASE = 241; // managers on 127.0.0.241, nodes on .242-.244
const PORT = 19241;
const ROUNDS = Number(process.env.HA_ROUNDS ?? 20);

t.setTimeout(240_000);

interface TaskJ { ID: string; ServiceID: string; DesiredState: string; Status: { State: string } }
interface ServiceJ { ID: string; Version: { Index: number }; Spec: { Name: string; Labels?: Record<string, string>; Mode: { Replicated?: { Replicas: number } } } }

t.test('three managers on etcd: failover', { skip: etcdMissing() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-ha-'));
  let c!: HaCluster;
  t.teardown(async () => { await c?.stop(); rmSync(dir, { recursive: true, force: true }); });
  c = await startHaCluster({ dir, base: BASE });
  const spec = (replicas: number) => ({ Name: 'hweb', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: replicas } },
    EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: PORT, PublishMode: 'ingress' }] } });
  t.equal((await api(c.urls[1]!, '/services/create', post(spec(3)))).status, 201, 'created through any manager');
  const running = async (url: string) => (await api<TaskJ[]>(url, '/tasks')).body.filter((x) => x.DesiredState === 'running' && x.Status.State === 'running');
  await until('3 running', async () => (await running(c.urls[0]!)).length === 3, 60_000);
  await until('the gateway routes', async () => (await api(`http://127.0.0.${BASE + 1}:${PORT}`, '/')).status === 200, 20_000);

  await t.test('kill -9 of the leader under 200 req/s: new leader < 5 s, 0 failed requests, no task restarted, updates taken', async (t) => {
    const before = new Set((await running(c.urls[0]!)).map((x) => x.ID));
    const leader = (await c.leader())!;
    const others = [0, 1, 2].filter((i) => i !== leader);
    let finish!: () => void;
    const load = runLoad(`http://127.0.0.${BASE + 1}:${PORT}/`, 200, new Promise<void>((r) => { finish = r; }));
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    c.managers[leader]!.proc.child.kill('SIGKILL');
    const next = await until('a new leader', async () => { const l = await c.leader(others); return l !== undefined && l !== leader ? l : undefined; }, 15_000);
    const took = Date.now() - t0;
    t.ok(took < 5000, `new leader (manager ${next}) after ${took} ms (< 5 s)`);
    const svc = (await api<ServiceJ>(c.urls[next]!, '/services/hweb')).body;
    const upd = await until('the update taken', async () => {
      const r = await api<unknown>(c.urls[others.find((i) => i !== next) ?? next]!, `/services/hweb/update?version=${svc.Version.Index}`, post(spec(4)));
      return r.status === 200 ? r : undefined;
    }, 15_000);
    t.equal(upd.status, 200, 'the service takes an update after the failover');
    await until('4 running', async () => (await running(c.urls[next]!)).length === 4, 30_000);
    const after = new Set((await running(c.urls[next]!)).map((x) => x.ID));
    t.ok([...before].every((id) => after.has(id)), 'the 3 tasks running before the failover still run (none restarted or replaced)');
    await new Promise((r) => setTimeout(r, 500));
    finish();
    const r = await load;
    t.ok(r.sent > 500, `sent ${r.sent}`);
    t.equal(r.non2xx + r.errors, 0, `failed requests: ${r.non2xx + r.errors} ${r.samples.join(' | ')}`);
    await c.managers[leader]!.start(); // back as a follower
    type NodeJ = { Spec: { Role: string }; ManagerStatus?: { Leader: boolean; Reachability: string } };
    const nodes = await until('node ls: 3 reachable managers, one Leader', async () => {
      const ns = (await api<NodeJ[]>(c.urls[leader]!, '/nodes')).body;
      const managers = ns.filter((n) => n.Spec.Role === 'manager');
      return managers.length === 3 && managers.every((n) => n.ManagerStatus?.Reachability === 'reachable') && managers.filter((n) => n.ManagerStatus?.Leader).length === 1 ? ns : undefined;
    }, 15_000);
    t.equal(nodes.filter((n) => n.ManagerStatus?.Leader).length, 1, 'node ls (through the restarted manager): 3 reachable managers, one Leader');
    const ls = swarmlet(['--host', c.urls[leader]!, 'manager', 'ls', '--format', 'json']);
    await ls.exited();
    const rows = ls.out().trim().split('\n').map((l) => JSON.parse(l) as { Addr: string; Leader: boolean; Reachable: boolean });
    t.same(rows.map((r) => r.Addr).sort(), [...c.urls].sort(), 'swarmlet manager ls --format json: one line per manager with its Addr');
    t.same(rows.filter((r) => r.Leader).map((r) => r.Addr), [c.urls[next]], 'Leader: true for the new leader only');
    t.ok(rows.every((r) => r.Reachable === true), 'all Reachable');
  });

  await t.test(`${ROUNDS} rounds of leader kill -9 during creates, updates and scales: every acknowledged change present, none twice`, async (t) => {
    t.equal((await api(c.urls[0]!, '/services/create', post({ Name: 'hscale', Labels: { n: '0' }, TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 1 } } }))).status, 201);
    const acked = { created: [] as string[], label: 0, replicas: 1 };
    /** Retries a write until a manager acknowledges it (2xx), or `done` says it was applied before (409 on a create). */
    const write = async (what: string, send: (url: string) => Promise<{ status: number; body: unknown }>, applied = (_s: number) => false) => {
      await until(what, async () => {
        const m = c.anyAlive();
        const r = await send(m.url).catch(() => undefined);
        if (!r) return undefined;
        if (r.status >= 200 && r.status < 300) return true;
        if (applied(r.status)) return true;
        return undefined;
      }, 30_000, 100);
    };
    const update = async (change: (s: ServiceJ) => ServiceJ['Spec']) => {
      await write('an update', async (url) => {
        const s = (await api<ServiceJ>(url, '/services/hscale')).body;
        return api(url, `/services/hscale/update?version=${s.Version.Index}`, post({ ...change(s), TaskTemplate: { ContainerSpec: { Image: 'whoami' } } }));
      });
    };
    let restarting: Promise<void> = Promise.resolve();
    for (let round = 0; round < ROUNDS; round++) {
      const leader = (await until('a leader', () => c.leader()))!;
      const ops = [0, 1, 2, 3, 4, 5];
      for (const k of ops) {
        if (k === 2) { // in the middle of the round's writes, once the manager killed last round is back
          await restarting;
          c.managers[leader]!.proc.child.kill('SIGKILL');
        }
        const name = `r${round}-${k}`;
        if (k % 3 === 0) {
          await write(`create ${name}`, (url) => api(url, '/services/create', post({ Name: name, TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 0 } } })), (s) => s === 409);
          acked.created.push(name);
        } else if (k % 3 === 1) {
          const n = ++acked.label;
          await update((s) => ({ ...s.Spec, Labels: { n: String(n) } }));
        } else {
          const n = (acked.replicas % 3) + 1;
          await update((s) => ({ ...s.Spec, Mode: { Replicated: { Replicas: n } } }));
          acked.replicas = n;
        }
      }
      restarting = c.managers[leader]!.start(); // comes back as a follower while the next round writes
    }
    await restarting;
    const url = c.anyAlive().url;
    await until('every manager mirrors the last change', async () => {
      for (const u of c.urls) {
        const s = (await api<ServiceJ>(u, '/services/hscale')).body;
        if (s.Spec.Labels?.n !== String(acked.label)) return undefined;
      }
      return true;
    }, 20_000);
    const services = (await api<ServiceJ[]>(url, '/services')).body;
    for (const name of acked.created) t.equal(services.filter((s) => s.Spec.Name === name).length, 1, `${name} present once`);
    const hscale = services.find((s) => s.Spec.Name === 'hscale')!;
    t.equal(hscale.Spec.Labels?.n, String(acked.label), `the last acknowledged label (${acked.label}) holds`);
    t.equal(hscale.Spec.Mode.Replicated?.Replicas, acked.replicas, `the last acknowledged scale (${acked.replicas}) holds`);
    await until('hscale converged (no task twice)', async () => {
      const tasks = (await api<TaskJ[]>(url, '/tasks')).body.filter((x) => x.ServiceID === hscale.ID && x.DesiredState === 'running');
      return tasks.length === acked.replicas;
    }, 30_000);
    const fromEtcd = await c.etcdValues<ServiceJ>('/swarmlet/o/service/');
    for (const name of acked.created) t.equal(fromEtcd.filter((s) => s.Spec.Name === name).length, 1, `${name} once in etcd`);
  });

  await t.test('SIGSTOP of the leader past its lease: another leads; after SIGCONT its writes never reach etcd', async (t) => {
    const leader = (await until('a leader', () => c.leader()))!;
    const others = [0, 1, 2].filter((i) => i !== leader);
    const tasksBefore = (await api<TaskJ[]>(c.urls[others[0]!]!, '/tasks')).body.filter((x) => x.DesiredState === 'running').map((x) => x.ID).sort();
    c.managers[leader]!.proc.child.kill('SIGSTOP');
    const t0 = Date.now();
    const next = await until('another leader', async () => { const l = await c.leader(others); return l !== undefined && l !== leader ? l : undefined; }, 15_000);
    t.ok(Date.now() - t0 < 5000, `manager ${next} leads after ${Date.now() - t0} ms`);
    // Past several heartbeat periods: the paused leader heard no node since; awake, it would judge them all down.
    await new Promise((r) => setTimeout(r, 5000));
    t.equal((await api(c.urls[next]!, '/services/create', post({ Name: 'while-stopped', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 0 } } }))).status, 201);
    c.managers[leader]!.proc.child.kill('SIGCONT');
    await until('the old leader answers again', async () => (await api(c.urls[leader]!, '/_ping')).status === 200, 10_000);
    await new Promise((r) => setTimeout(r, 3000)); // time for its stale loops to try (and be fenced)
    const leaderKey = await c.etcdValues<{ id: string; addr: string }>('/swarmlet/leader');
    t.equal(leaderKey[0]?.addr, c.urls[next], 'etcd: the leader key names the new leader');
    const nodes = await c.etcdValues<{ Spec: { Role: string }; Status: { State: string } }>('/swarmlet/o/node/');
    t.equal(nodes.filter((n) => n.Spec.Role === 'worker').length, 3);
    t.ok(nodes.every((n) => n.Status.State === 'ready'), `etcd: no node marked down by the old leader (${nodes.map((n) => n.Status.State).join(',')})`);
    const tasks = await c.etcdValues<TaskJ & { NodeID?: string; Slot?: number; Status: { Err?: string; Message?: string; Timestamp?: string } }>('/swarmlet/o/task/');
    const running = tasks.filter((x) => x.DesiredState === 'running').map((x) => x.ID).sort();
    if (JSON.stringify(running) !== JSON.stringify(tasksBefore)) { // say why, for the next time it happens
      const changed = tasks.filter((x) => running.includes(x.ID) !== tasksBefore.includes(x.ID));
      t.comment(`tasks replaced: ${JSON.stringify(changed.map((x) => ({ id: x.ID, svc: x.ServiceID, node: x.NodeID, slot: x.Slot, desired: x.DesiredState, status: x.Status })))}`);
      t.comment(`nodes' logs: ${c.nodes.map((n, i) => `node ${i}: ${n.out().split('\n').slice(-8).join(' | ')}`).join(' || ').slice(0, 6000)}`);
      t.comment(`the new leader's log: ${c.managers[next]!.proc.out().split('\n').slice(-10).join(' | ').slice(0, 3000)}`);
    }
    t.same(running, tasksBefore, 'etcd: the same tasks run (nothing rescheduled)');
    const services = await c.etcdValues<ServiceJ>('/swarmlet/o/service/');
    t.equal(services.filter((s) => s.Spec.Name === 'while-stopped').length, 1, 'etcd: the new leader\'s write is there (the old one\'s resync did not drop it)');
    const fromOld = await api<Array<{ Spec: { Name: string } }>>(c.urls[leader]!, '/services');
    t.ok(fromOld.body.some((s) => s.Spec.Name === 'while-stopped'), 'the old leader follows: its mirror has the new leader\'s write');
    t.comment(`the old leader's log after SIGCONT: ${c.managers[leader]!.proc.out().split('\n').filter((l) => /lead|fenc|not_leader|lost/i.test(l)).slice(-4).join(' | ').slice(0, 1500)}`);
    const write = await api(c.urls[leader]!, '/services/create', post({ Name: 'via-old', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 0 } } }));
    t.equal(write.status, 201, 'a write through the old leader is forwarded to the new one');
  });
});
