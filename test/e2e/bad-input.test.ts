/**
 * Bad input against a real `swarmlet up`: every case exits 1 (or answers 4xx/5xx on the API) with a
 * clear message naming the problem, and leaves the cluster exactly as it was (same services and
 * versions, same nodes and versions, same tasks, same images).
 */
import t, { type Test } from 'tap';
import { rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { request } from 'undici';
import type { Node, Service, Task } from '../../lib/model/types.js';
import { cli, getJson, lockLocalNodes, startUp, until, type UpProcess } from '../fixtures/up-process.js';

// `swarmlet up` owns 127.0.0.1-3 (gateway ports, :9323): one such test file at a time (see lockLocalNodes)
t.setTimeout(300_000);
let releaseNodes = () => {};
t.before(async () => { releaseNodes = await lockLocalNodes(); t.setTimeout(300_000); }); // the wait for the lock does not count
t.teardown(() => releaseNodes());

interface Snapshot { services: string[]; nodes: string[]; tasks: string[]; images: string[] }

/** What must not change: service IDs + versions, node IDs + versions, the task set, the images. */
async function snapshot(url: string): Promise<Snapshot> {
  const [services, nodes, tasks, images] = await Promise.all([
    getJson<Service[]>(url, '/services'), getJson<Node[]>(url, '/nodes'), getJson<Task[]>(url, '/tasks'),
    getJson<Array<{ Name: string }>>(url, '/swarmlet/v1/images'),
  ]);
  return {
    services: services.map((s) => `${s.ID} ${s.Spec.Name} v${s.Version.Index}`).sort(),
    nodes: nodes.map((n) => `${n.ID} ${n.Description.Hostname} v${n.Version.Index} ${n.Spec.Availability}`).sort(),
    tasks: tasks.map((x) => `${x.ID} ${x.ServiceID} ${x.Slot} ${x.DesiredState}`).sort(),
    images: images.map((i) => i.Name).sort(),
  };
}

interface CliCase { name: string; args: string[]; message: string | RegExp }

const CLI_CASES: CliCase[] = [
  { name: 'unknown service: inspect', args: ['service', 'inspect', 'nosuch'], message: 'Error: no such service: nosuch' },
  { name: 'unknown service: scale', args: ['service', 'scale', '-d', 'nosuch=2'], message: 'service nosuch not found' },
  { name: 'unknown service: rm', args: ['service', 'rm', 'nosuch'], message: 'service nosuch not found' },
  { name: 'unknown service: update', args: ['service', 'update', '-d', '--replicas', '2', 'nosuch'], message: 'service nosuch not found' },
  { name: 'unknown service: ps', args: ['service', 'ps', 'nosuch'], message: 'no such service: nosuch' },
  { name: 'unknown node: update', args: ['node', 'update', '--availability', 'drain', 'nosuch'], message: 'node nosuch not found' },
  { name: 'unknown node: inspect', args: ['node', 'inspect', 'nosuch'], message: 'node nosuch not found' },
  { name: 'unknown task: logs', args: ['service', 'logs', 'nosuch'], message: 'no such task or service: nosuch' },
  { name: 'duplicate service name', args: ['service', 'create', '-d', '--name', 'toms', 'whoami'], message: 'name conflicts with an existing object' },
  { name: 'negative replicas', args: ['service', 'create', '-d', '--name', 'x', '--replicas', '-1', 'whoami'], message: /replicas.*-1/ },
  { name: 'non-integer replicas', args: ['service', 'create', '-d', '--name', 'x', '--replicas', '1.5', 'whoami'], message: /replicas.*1\.5/ },
  { name: 'negative replicas on update', args: ['service', 'update', '-d', '--replicas', '-2', 'toms'], message: /replicas.*-2/ },
  { name: 'scale to a non-number', args: ['service', 'scale', '-d', 'toms=abc'], message: /invalid replicas value abc/ },
  { name: 'scale to a negative number', args: ['service', 'scale', '-d', 'toms=-1'], message: /invalid replicas value -1/ },
  { name: '--replicas with --mode global', args: ['service', 'create', '-d', '--name', 'x', '--replicas', '2', '--mode', 'global', 'whoami'],
    message: 'replicas can only be used with replicated or replicated-job mode' },
  { name: 'malformed -p abc', args: ['service', 'create', '-d', '--name', 'x', '-p', 'abc', 'whoami'], message: /invalid publish "abc"/ },
  { name: 'malformed -p 70000:80', args: ['service', 'create', '-d', '--name', 'x', '-p', '70000:80', 'whoami'], message: /invalid publish "70000:80".*70000/ },
  { name: 'malformed -p 9000:', args: ['service', 'create', '-d', '--name', 'x', '-p', '9000:', 'whoami'], message: /invalid publish "9000:".*target port/ },
  { name: 'published port used by another service (create)', args: ['service', 'create', '-d', '--name', 'x', '-p', '9000:8080', 'whoami'],
    message: "port '9000' is already in use by service 'toms'" },
  { name: 'published port used by another service (update)', args: ['service', 'update', '-d', '--publish-add', '9000:80', 'other'],
    message: "port '9000' is already in use by service 'toms'" },
  { name: 'invalid duration --restart-delay 5x', args: ['service', 'create', '-d', '--name', 'x', '--restart-delay', '5x', 'whoami'], message: /restart-delay.*5x/ },
  { name: 'invalid duration --update-delay -1s', args: ['service', 'update', '-d', '--update-delay', '-1s', 'toms'], message: /update-delay.*-1s/ },
  { name: 'unknown availability', args: ['node', 'update', '--availability', 'sleepy', 'node-2'], message: 'invalid Availability: "sleepy"' },
  { name: 'unknown image on create', args: ['service', 'create', '-d', '--name', 'x', 'nosuch:1'], message: 'image nosuch:1 not found' },
  { name: 'unknown image on update', args: ['service', 'update', '-d', '--image', 'nosuch:2', 'toms'], message: 'image nosuch:2 not found' },
  { name: 'global service cannot be scaled', args: ['service', 'scale', '-d', 'g=3'], message: 'scale can only be used with replicated or replicated-job mode' },
];

async function post(url: string, path: string, body: string | Buffer | Readable) {
  const res = await request(`${url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const text = await res.body.text();
  return { status: res.statusCode, type: res.headers['content-type'], text, json: (() => { try { return JSON.parse(text) as { message?: string } } catch { return undefined; } })() };
}

t.test('bad input gets a clear error and changes nothing', async (t) => {
  const up: UpProcess = await startUp();
  t.teardown(async () => {
    await up.stop('SIGINT').catch(() => up.kill9());
    rmSync(up.dataDir, { recursive: true, force: true });
  });
  const sw = (...args: string[]) => cli(up.url, ...args);
  for (const args of [
    ['service', 'create', '-d', '--name', 'toms', '--replicas', '3', '-p', '9000:8080', 'whoami'],
    ['service', 'create', '-d', '--name', 'other', '--replicas', '1', 'whoami'],
    ['service', 'create', '-d', '--name', 'g', '--mode', 'global', 'whoami'],
  ]) {
    const r = await sw(...args);
    t.equal(r.code, 0, r.stderr);
  }
  await until('7 tasks running', async () => (await getJson<Task[]>(up.url, '/tasks')).filter((x) => x.Status.State === 'running').length === 7);
  // settle: two identical snapshots in a row
  let before = await snapshot(up.url);
  await until('a stable cluster state', async () => {
    await new Promise((r) => setTimeout(r, 300));
    const now = await snapshot(up.url);
    const same = JSON.stringify(now) === JSON.stringify(before);
    before = now;
    return same;
  });

  const unchanged = async (t: Test) => t.same(await snapshot(up.url), before, 'state unchanged');

  for (const c of CLI_CASES) {
    await t.test(c.name, async (t) => {
      const r = await sw(...c.args);
      t.equal(r.code, 1, `exit 1: swarmlet ${c.args.join(' ')}`);
      t.match(r.stderr, c.message, 'stderr names the problem');
      t.ok(r.stderr.trim().split('\n').length <= 2, `a short message:\n${r.stderr}`);
      await unchanged(t);
    });
  }

  await t.test('ambiguous ID prefix', async (t) => {
    // replicas 0: no task processes; keep creating until two services share a first ID character
    const ids = (await getJson<Service[]>(up.url, '/services')).map((s) => s.ID);
    const shared = () => ids.find((id, i) => ids.some((o, j) => j !== i && o[0] === id[0]))?.[0];
    for (let i = 0; !shared() && i < 30; i++) {
      const r = await post(up.url, '/services/create', JSON.stringify({ Name: `amb${i}`, TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 0 } } }));
      t.equal(r.status, 201, r.text);
      ids.push((r.json as { ID: string }).ID);
    }
    const prefix = shared();
    if (!prefix) return void t.comment('skipped: no two service IDs share a first character');
    before = await snapshot(up.url);
    const matches = ids.filter((id) => id.startsWith(prefix)).length;
    const expected = `service ${prefix} is ambiguous (${matches} matches found)`;
    for (const args of [['service', 'inspect', prefix], ['service', 'rm', prefix], ['service', 'scale', '-d', `${prefix}=1`]]) {
      const r = await sw(...args);
      t.equal(r.code, 1, `exit 1: swarmlet ${args.join(' ')}`);
      t.match(r.stderr, expected);
    }
    const api = await request(`${up.url}/services/${prefix}`);
    t.equal(api.statusCode, 400);
    t.same(await api.body.json(), { message: expected });
    await unchanged(t);
  });

  await t.test('API: malformed JSON on POST /services/create', async (t) => {
    const r = await post(up.url, '/services/create', '{"Name": "x", ');
    t.equal(r.status, 400);
    t.equal(r.type, 'application/json', 'Content-Type exactly application/json');
    t.match(r.json, { message: /JSON/ });
    await unchanged(t);
  });

  await t.test('API: a wrong-typed field names its path', async (t) => {
    const r = await post(up.url, '/services/create', JSON.stringify({
      Name: 'x', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 'three' } },
    }));
    t.equal(r.status, 400);
    t.equal(r.type, 'application/json');
    t.match(r.json, { message: /Mode\.Replicated\.Replicas/ });
    await unchanged(t);
  });

  await t.test('API: an oversized body is refused with 413', async (t) => {
    const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
    const r = await post(up.url, '/services/create', big);
    t.equal(r.status, 413);
    t.equal(r.type, 'application/json');
    t.match(r.json, { message: /too large/ });
    // without Content-Length (chunked): refused while reading
    const chunked = await post(up.url, '/services/create', Readable.from([big.subarray(0, 1024 * 1024), big.subarray(1024 * 1024)]));
    t.equal(chunked.status, 413, 'chunked upload');
    t.match(chunked.json, { message: /too large/ });
    await unchanged(t);
  });

  await t.test('API: every client that sends a 2 MiB body reads the 413 (no connection reset)', async (t) => {
    const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
    const outcomes: string[] = [];
    for (let i = 0; i < 100; i++) {
      // the platform's fetch (what a user's script would use); a reset shows as EPIPE/ECONNRESET
      const r = await fetch(`${up.url}/services/create`, { method: 'POST', body: big, headers: { 'content-type': 'application/json' } })
        .catch((e: unknown) => e as Error & { cause?: { code?: string } });
      outcomes.push(r instanceof Error ? (r.cause?.code ?? r.message) : String(r.status));
      if (!(r instanceof Error) && !/too large/.test(await r.text())) outcomes.push('413 without the message');
    }
    t.same(outcomes.filter((o) => o !== '413'), [], 'every upload answered 413');
    await unchanged(t);
  });

  await t.test('API: update with a stale version', async (t) => {
    const s = await getJson<Service>(up.url, '/services/toms');
    const spec = { ...s.Spec, Mode: { Replicated: { Replicas: 5 } } };
    const r = await post(up.url, `/services/${s.ID}/update?version=${s.Version.Index - 1}`, JSON.stringify(spec));
    t.equal(r.status, 500, 'moby answers 500');
    t.equal(r.type, 'application/json');
    t.match(r.json, { message: /update out of sequence/ });
    const n = (await getJson<Node[]>(up.url, '/nodes')).find((x) => x.Description.Hostname === 'node-2')!;
    const rn = await post(up.url, `/nodes/${n.ID}/update?version=${n.Version.Index - 1}`, JSON.stringify({ ...n.Spec, Availability: 'drain' }));
    t.not(rn.status, 200, 'a stale node update is refused too');
    t.match(rn.json, { message: /update out of sequence/ });
    await unchanged(t);
  });

  await t.test('API: unknown availability on POST /nodes/{id}/update', async (t) => {
    const n = (await getJson<Node[]>(up.url, '/nodes')).find((x) => x.Description.Hostname === 'node-3')!;
    const r = await post(up.url, `/nodes/${n.ID}/update?version=${n.Version.Index}`, JSON.stringify({ ...n.Spec, Availability: 'sleepy' }));
    t.equal(r.status, 400);
    t.equal(r.type, 'application/json');
    t.match(r.json, { message: /^invalid Availability: "sleepy"/ }, 'moby\'s text, as `docker node update` prints it');
    await unchanged(t);
  });

  await t.test('API: unknown service and duplicate name statuses', async (t) => {
    const missing = await request(`${up.url}/services/nosuch`);
    t.equal(missing.statusCode, 404);
    t.same(await missing.body.json(), { message: 'service nosuch not found' });
    const dup = await post(up.url, '/services/create', JSON.stringify({ Name: 'toms', TaskTemplate: { ContainerSpec: { Image: 'whoami' } }, Mode: { Replicated: { Replicas: 1 } } }));
    t.equal(dup.status, 409);
    t.match(dup.json, { message: /name conflicts with an existing object/ });
    await unchanged(t);
  });
});
