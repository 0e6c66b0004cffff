/**
 * `swarmlet events` (the real CLI process) against a local cluster's API (nodes on 127.0.0.103-104,
 * API on 127.0.0.103): streaming until Ctrl-C, --format json, --since/--until replays that end by
 * themselves, filters, bad flags; and the stock `docker events` against the same API when docker
 * is on PATH.
 */
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCluster, type Cluster } from '../../lib/index.js';
import { decodeEvent } from '../../lib/events/event-message.js';
import { dockerAvailable } from '../fixtures/docker-cli.js';
import { ROOT } from '../fixtures/up-process.js';
import { runSwarmlet } from './cli-run.js';
import { swarmletArgs } from '../fixtures/swarmlet-command.js';

t.setTimeout(180_000);

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `swarmlet …` left running (like `swarmlet events` in a second terminal). */
function startSwarmlet(args: string[], host: string) {
  const child = spawn(process.execPath, swarmletArgs(...args), {
    cwd: ROOT, env: { ...process.env, SWARMLET_HOST: host }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s; });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { err += s; });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    stdout: () => out,
    stderr: () => err,
    exited,
    interrupt: async () => { child.kill('SIGINT'); return exited; },
    kill: () => { if (child.exitCode === null) child.kill('SIGKILL'); },
  };
}

const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');
const nanosNow = () => `${Math.floor(Date.now() / 1000)}.${String((Date.now() % 1000) * 1_000_000).padStart(9, '0')}`;
const PRETTY = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (service|node|task) (create|update|remove) [0-9a-z]{25}( \(.+\))?$/;

t.test('swarmlet events against a real cluster', async (t) => {
  const cluster: Cluster = await createCluster({ addresses: ['127.0.0.103', '127.0.0.104'], listen: '127.0.0.103:0', gateway: false });
  t.teardown(() => cluster.close());
  const host = cluster.url!;
  const sw = (...args: string[]) => runSwarmlet(args, { SWARMLET_HOST: host });
  const start = nanosNow();
  const n2 = (await cluster.nodes())[1]!.ID;

  // --since: the CLI may connect after the first change; the replay covers the gap
  const json = startSwarmlet(['events', '--since', start, '--format', 'json', '--filter', 'type=service'], host);
  const pretty = startSwarmlet(['events', '--since', start, '-f', 'type=node'], host);
  t.teardown(() => { json.kill(); pretty.kill(); });

  const created = await sw('service', 'create', '--name', 'evc', '--replicas', '1', '-d', 'whoami:1');
  t.equal(created.code, 0, created.stderr);
  const serviceId = created.stdout.trim();
  const scaled = await sw('service', 'scale', '-d', 'evc=2');
  t.equal(scaled.code, 0, scaled.stderr);
  await cluster.updateNode(n2, { availability: 'drain' });
  const removed = await sw('service', 'rm', 'evc');
  t.equal(removed.code, 0, removed.stderr);
  await until('the remove event in the json stream', () => json.stdout().includes('"Action":"remove"'));
  await until('the drain in the pretty stream', () => pretty.stdout().includes('availability.new=drain'));
  const end = nanosNow();

  await t.test('--format json: one docker EventMessage per line, ends quietly on Ctrl-C', async (t) => {
    t.equal(await json.interrupt(), 0, json.stderr());
    t.equal(json.stderr(), '');
    const events = lines(json.stdout()).map(decodeEvent);
    t.strictSame(events.map((e) => `${e.Type} ${e.Action} ${e.Actor.ID}`),
      [`service create ${serviceId}`, `service update ${serviceId}`, `service remove ${serviceId}`]);
    t.strictSame(events[1]!.Actor.Attributes, { name: 'evc', 'replicas.old': '1', 'replicas.new': '2' });
    t.match(lines(json.stdout())[0], /^\{"Type":"service","Action":"create","Actor":\{"ID":"[0-9a-z]{25}","Attributes":\{"name":"evc"\}\},"scope":"swarm","time":\d+,"timeNano":\d{19}\}$/);
  });

  await t.test("default output: docker's event lines", async (t) => {
    t.equal(await pretty.interrupt(), 0, pretty.stderr());
    t.strictSame(lines(pretty.stdout()).map((l) => l.replace(/^\S+ /, '')), [`node update ${n2} (availability.new=drain, availability.old=active, name=node-2)`]);
    t.match(lines(pretty.stdout())[0], PRETTY);
  });

  await t.test('--since/--until in the past: replays and exits by itself; filters combine', async (t) => {
    const r = await sw('events', '--since', start, '--until', end, '--filter', 'service=evc');
    t.equal(r.code, 0, r.stderr);
    const got = lines(r.stdout);
    t.ok(got.every((l) => PRETTY.test(l)), r.stdout);
    t.match(got[0], new RegExp(`service create ${serviceId} \\(name=evc\\)$`));
    t.ok(got.some((l) => / task create [0-9a-z]{25} \(desiredstate=running, name=evc\.1, .*service=evc, .*slot=1, state=(new|pending|assigned)\)$/.test(l)), 'task events of evc kept by service=evc');
    t.ok(got.some((l) => l.includes(`service update ${serviceId} (name=evc, replicas.new=2, replicas.old=1)`)));
    t.match(got[got.length - 1], new RegExp(`(service remove ${serviceId} \\(name=evc\\)|task .*service=evc.*)$`));
    t.notOk(got.some((l) => / node /.test(l)), 'no node events through service=evc');

    const updates = await sw('events', '--since', start, '--until', end, '-f', 'type=service', '-f', 'event=update', '--format', 'json');
    t.equal(updates.code, 0, updates.stderr);
    t.strictSame(lines(updates.stdout).map((l) => decodeEvent(l).Actor.Attributes['replicas.new']), ['2']);

    const relative = await sw('events', '--since', '10m', '--until', '0s', '-f', 'type=node');
    t.equal(relative.code, 0, relative.stderr);
    t.equal(lines(relative.stdout).length, 1, 'durations are relative to now');
  });

  await t.test('bad flags: one clear line, exit 1', async (t) => {
    for (const [args, message] of [
      [['events', '--format', 'yaml'], /^Error: unsupported format "yaml"/],
      [['events', '--since', 'whenever'], /^Error: invalid since time "whenever"/],
      [['events', '--filter', 'nokey'], /^Error: bad format of filter \(expected name=value\): nokey/],
      [['events', '--until', '0s', '--filter', 'colour=red'], /^Error response from daemon: invalid filter 'colour'/],
    ] as const) {
      const r = await sw(...args);
      t.equal(r.code, 1, args.join(' '));
      t.match(r.stderr.trim(), message, r.stderr);
      t.equal(r.stdout, '');
    }
  });

  await t.test('the stock docker CLI: docker events --filter type=service --since … --until …', { skip: dockerAvailable() ? false : 'docker CLI not on PATH' }, async (t) => {
    const configDir = mkdtempSync(join(tmpdir(), 'swarmlet-docker-cfg-'));
    t.teardown(() => rmSync(configDir, { recursive: true, force: true }));
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('DOCKER_')) delete env[k];
    Object.assign(env, { DOCKER_HOST: host.replace('http://', 'tcp://'), DOCKER_CONFIG: configDir, DOCKER_CLI_HINTS: 'false', NO_COLOR: '1' });
    const docker = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('docker', args, { env, timeout: 30_000 }, (e, stdout, stderr) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : 124) : 0, stdout, stderr }));
    });
    const r = await docker('events', '--filter', 'type=service', '--since', start, '--until', end);
    t.equal(r.code, 0, r.stderr);
    const got = lines(r.stdout).map((l) => l.replace(/^\S+ /, ''));
    t.strictSame(got, [
      `service create ${serviceId} (name=evc)`,
      `service update ${serviceId} (name=evc, replicas.new=2, replicas.old=1)`,
      `service remove ${serviceId} (name=evc)`,
    ], r.stdout);
    t.ok(lines(r.stdout).every((l) => PRETTY.test(l.replace(/[+-]\d\d:\d\d /, 'Z '))), 'docker prints our timeNano as RFC 3339 with 9 decimals');

    const asJson = await docker('events', '--filter', 'type=node', '--filter', 'event=update', '--since', start, '--until', end, '--format', '{{json .}}');
    t.equal(asJson.code, 0, asJson.stderr);
    const nodes = lines(asJson.stdout).map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> }; scope: string });
    t.strictSame(nodes.map((n) => [n.Type, n.Action, n.Actor.ID, n.Actor.Attributes['availability.new'], n.scope]), [['node', 'update', n2, 'drain', 'swarm']]);
  });
});
