/**
 * The Grafana dashboard against a real Prometheus scraping a real cluster: every panel query and
 * every variable query parses and returns data, every metric the dashboard names exists in a live
 * scrape, and every scrape passes `promtool check metrics`. The dashboard's JSON structure is
 * checked first (that part needs no Prometheus).
 */
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { createCluster, type Cluster, type Task } from '../../lib/index.js';
import {
  prometheusMissing, promtoolCheckConfig, promtoolCheckMetrics, startPrometheus,
  type PromQueryResult, type PromSeries, type PrometheusServer,
} from '../fixtures/prometheus.js';

const GRAFANA = fileURLToPath(new URL('../../grafana/', import.meta.url));

interface DsRef { type?: string; uid?: string }
interface Target { expr?: string; refId?: string; datasource?: DsRef }
interface Panel { id: number; type: string; title: string; datasource?: DsRef; targets?: Target[]; panels?: Panel[]; gridPos?: { x: number; y: number; w: number; h: number } }
interface Variable { name: string; type: string; query?: string | { query: string }; datasource?: DsRef; multi?: boolean; includeAll?: boolean; allValue?: string }
interface Dashboard { uid: string; title: string; schemaVersion: number; panels: Panel[]; templating: { list: Variable[] } }

const dashboard = JSON.parse(readFileSync(`${GRAFANA}swarmlet-dashboard.json`, 'utf8')) as Dashboard;
const allPanels = (ps: Panel[]): Panel[] => ps.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
const queryPanels = allPanels(dashboard.panels).filter((p) => p.type !== 'row');
const variableQuery = (v: Variable) => (typeof v.query === 'string' ? v.query : v.query?.query ?? '');
const KNOWN_VARS = new Set(['datasource', 'service', 'node', '__rate_interval', '__interval']);

/**
 * Panel targets ("title/refId") allowed to return no series in this run, with the reason; the
 * metrics they name must still be in a live scrape. None today: the run below produces 5xx, 4xx,
 * client errors, connect failures (retries, ejections), an update, a rollback and a task failure.
 */
const MAY_BE_EMPTY: Record<string, string> = {};

/**
 * Answers on PORT; in slots other than 1 it stops listening 1 s after it started but keeps running,
 * so the gateways still route to it and get connection refused (connect errors, retries, ejection).
 */
const HALF_DEAF = `const srv = require('node:http').createServer((q, s) => s.end('ok')).listen(+process.env.PORT, process.env.HOST);
if (process.env.SWARMLET_SLOT !== '1') setTimeout(() => { srv.close(); srv.closeAllConnections(); }, 1000);
setInterval(() => {}, 1 << 30);`;

/** Echoes TCP (not HTTP) and UDP on PORT: the layer-4 panels. */
const L4_ECHO = `require('node:net').createServer((s) => s.on('data', (d) => s.write(d)).on('error', () => {})).listen(+process.env.PORT, process.env.HOST);
const u = require('node:dgram').createSocket('udp4'); u.on('message', (m, r) => u.send(m, r.port, r.address)); u.bind(+process.env.PORT, process.env.HOST);`;

/** Sends raw bytes on a new TCP connection; resolves with what came back once `bytes` arrived, or '' when the gateway closed it. */
function tcpExchange(addr: string, port: number, text: string, bytes: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const s = connect({ host: addr, port }, () => s.write(text));
    s.on('data', (d) => { got += d.toString(); if (got.length >= bytes) { s.destroy(); resolve(got); } });
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(got));
  });
}

function udpExchange(addr: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => { s.close(); reject(new Error(`no UDP answer from ${addr}:${port}`)); }, 3_000);
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(m.toString()); });
    s.send(text, port, addr);
  });
}

function refuses(addr: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: addr, port }, () => { s.destroy(); resolve(false); });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

/** Grafana's formatting of a multi-value variable in a Prometheus regex matcher. */
function grafanaRegex(values: string[]): string {
  const esc = values.map((v) => v.replace(/[\\^$*+?.()|[\]{}]/g, '\\\\$&'));
  return esc.length === 1 ? esc[0]! : `(${esc.join('|')})`;
}

function substitute(expr: string, vars: { service: string; node: string }): string {
  return expr
    .replace(/\$\{?__rate_interval\}?/g, '10s').replace(/\$\{?__interval\}?/g, '10s')
    .replace(/\$\{service\}|\$service\b/g, vars.service).replace(/\$\{node\}|\$node\b/g, vars.node);
}

function parseLabelValues(q: string): { match: string; label: string } | undefined {
  const m = /^label_values\((.+),\s*([a-zA-Z_]\w*)\)\s*$/.exec(q.trim());
  return m ? { match: m[1]!, label: m[2]! } : undefined;
}

t.test('dashboard JSON structure', async (t) => {
  t.type(dashboard.schemaVersion, 'number');
  t.ok(dashboard.schemaVersion >= 30, `schemaVersion ${dashboard.schemaVersion}`);
  t.ok(dashboard.uid && dashboard.title, 'uid and title set');
  const ids = allPanels(dashboard.panels).map((p) => p.id);
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  t.ok(queryPanels.length >= 15, `${queryPanels.length} query panels`);
  for (const p of allPanels(dashboard.panels)) {
    t.ok(p.gridPos && p.gridPos.x + p.gridPos.w <= 24, `${p.title}: fits the 24-column grid`);
  }
  for (const p of queryPanels) {
    t.same(p.datasource, { type: 'prometheus', uid: '${datasource}' }, `${p.title}: panel datasource is \${datasource}`);
    t.ok((p.targets ?? []).length > 0, `${p.title}: has targets`);
    const refIds = (p.targets ?? []).map((x) => x.refId);
    t.equal(new Set(refIds).size, refIds.length, `${p.title}: unique refIds`);
    for (const x of p.targets ?? []) {
      t.equal(x.datasource?.uid, '${datasource}', `${p.title}/${x.refId}: target datasource is \${datasource}`);
      t.ok(x.expr, `${p.title}/${x.refId}: has an expression`);
      const used = [...(x.expr ?? '').matchAll(/\$\{?(\w+)/g)].map((m) => m[1]!);
      t.same(used.filter((v) => !KNOWN_VARS.has(v)), [], `${p.title}/${x.refId}: only known variables`);
    }
  }
  const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
  t.match(vars.get('datasource'), { type: 'datasource', query: 'prometheus' });
  for (const name of ['service', 'node']) {
    const v = vars.get(name)!;
    t.match(v, { type: 'query', multi: true, includeAll: true, datasource: { uid: '${datasource}' } }, `${name} variable`);
    t.equal(parseLabelValues(variableQuery(v))?.label, name, `${name} variable is label_values(…, ${name})`);
  }
  const dashboards = readFileSync(`${GRAFANA}provisioning/dashboards.yaml`, 'utf8');
  t.match(dashboards, /apiVersion: 1[\s\S]*providers:[\s\S]*type: file[\s\S]*path: /);
  t.match(readFileSync(`${GRAFANA}provisioning/datasources.yaml`, 'utf8'), /apiVersion: 1[\s\S]*datasources:[\s\S]*type: prometheus/);
  const example = readFileSync(`${GRAFANA}prometheus.example.yml`, 'utf8');
  t.match(example, /127\.0\.0\.1:2377/);
  t.match(example, /127\.0\.0\.1:9323[\s\S]*127\.0\.0\.2:9323[\s\S]*127\.0\.0\.3:9323/);
  if (prometheusMissing() === undefined) {
    const r = promtoolCheckConfig(`${GRAFANA}prometheus.example.yml`);
    t.equal(r.code, 0, `promtool check config: ${r.output}`);
  }
});

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await request(url, { headers });
  await res.body.dump();
  return res.statusCode;
}

/** A request head larger than the gateway's 16 KiB limit, on a raw socket: the answer's status line. */
function oversizedHead(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => s.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    let data = '';
    s.setEncoding('utf8').on('data', (d: string) => { data += d; }).on('close', () => resolve(data.split('\r\n')[0] ?? ''));
    s.on('error', reject);
    s.setTimeout(5_000, () => s.destroy());
  });
}

/** Families (name → type) from the # TYPE lines of a scrape. */
function families(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

function exposed(name: string, fams: Map<string, string>): boolean {
  if (fams.has(name)) return true;
  const base = /^(.*)_(bucket|sum|count)$/.exec(name)?.[1];
  return base !== undefined && ['histogram', 'summary'].includes(fams.get(base) ?? '');
}

const series = (r: PromQueryResult): PromSeries[] => (Array.isArray(r.data?.result) && r.data.resultType === 'vector' ? r.data.result as PromSeries[] : []);

const running = (tasks: Task[]) => tasks.filter((x) => x.DesiredState === 'running' && x.Status.State === 'running');

/** Traffic, 503s, 431s, connect failures, an update, a rollback and a killed task: every panel has data. */
async function exercise(t: Test, cluster: Cluster, nodes: string[]): Promise<void> {
  await cluster.createService({ name: 'web', image: 'whoami', replicas: 2, publish: ['9600:8080'], updateMonitor: '200ms', rollbackMonitor: '200ms' });
  await cluster.createService({ name: 'idle', image: 'whoami', replicas: 0, publish: ['9601:8080'] });
  await cluster.addImage({ Name: 'half-deaf', Cmd: [process.execPath, '-e', HALF_DEAF] });
  await cluster.createService({ name: 'half', image: 'half-deaf', replicas: 2, publish: ['9602:8080'] });
  await cluster.waitForConvergence('web', { timeoutMs: 15_000 });
  await cluster.waitForConvergence('half', { timeoutMs: 15_000 });
  for (const addr of nodes) await until(`gateway on ${addr}:9600`, async () => (await get(`http://${addr}:9600/`).catch(() => 0)) === 200);
  const statuses: number[] = [];
  for (const addr of nodes) {
    for (let i = 0; i < 20; i++) statuses.push(await get(`http://${addr}:9600/a/${i}`));
    statuses.push(await get(`http://${addr}:9601/`));
    const many = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`x-h${i}`, '1']));
    statuses.push(await get(`http://${addr}:9600/`, many));
  }
  t.equal(statuses.filter((s) => s === 200).length, 40, '40 requests through the gateways answered 200');
  t.equal(statuses.filter((s) => s === 503).length, 2, 'a service with no task answers 503');
  t.equal(statuses.filter((s) => s === 431).length, 2, 'too many header fields answer 431');
  const deaf = running(await cluster.tasks({ service: ['half'] })).find((x) => x.Slot === 2)!.Endpoint!;
  await until('half.2 stops listening', async () => refuses(deaf.Addr, deaf.Port));
  const half: number[] = [];
  for (let i = 0; i < 10; i++) half.push(await get(`http://${nodes[0]}:9602/`));
  t.same(half, Array(10).fill(200), 'connect failures on slot 2 are retried on slot 1');
  t.match(await oversizedHead(nodes[0]!, 9600), /^HTTP\/1\.1 431/, 'an oversized request head gets 431');

  await cluster.addImage({ Name: 'echo-l4', Cmd: [process.execPath, '-e', L4_ECHO] });
  await cluster.createService({ name: 'raw', image: 'echo-l4', replicas: 1, publish: ['9603:7000', '9604:7000/udp'] });
  await cluster.waitForConvergence('raw', { timeoutMs: 15_000 });
  for (const addr of nodes) {
    t.equal(await until(`layer 4 through ${addr}:9603`, async () => (await tcpExchange(addr, 9603, '\x00raw', 4)) || false), '\x00raw', `raw TCP echoed through ${addr}`);
    t.equal(await until(`UDP through ${addr}:9604`, () => udpExchange(addr, 9604, 'dgram').catch(() => false)), 'dgram', `UDP echoed through ${addr}`);
    t.equal(await tcpExchange(addr, 9601, '\x00nobody', 1), '', 'layer 4 to a service without tasks: closed at once (refused)');
  }

  await cluster.updateService('web', { envAdd: ['DASHBOARD=1'] });
  await cluster.waitForConvergence('web', { timeoutMs: 15_000 });
  await cluster.rollbackService('web');
  await cluster.waitForConvergence('web', { timeoutMs: 15_000 });
  t.equal((await cluster.service('web')).UpdateStatus?.State, 'rollback_completed', 'update then rollback done');

  const victim = running(await cluster.tasks({ service: ['web'] }))[0]!;
  process.kill(victim.Status.ContainerStatus!.PID!, 'SIGKILL');
  await until('the killed task replaced', async () => {
    const tasks = await cluster.tasks({ service: ['web'] });
    return tasks.some((x) => x.ID === victim.ID && x.Status.State === 'failed') && running(tasks).length === 2;
  });
}

t.test('every dashboard query returns data from a real Prometheus scraping a cluster', { skip: prometheusMissing() ?? false }, async (t) => {
  const started = Date.now();
  const nodes = ['127.0.0.61', '127.0.0.62'];
  const cluster = await createCluster({ nodes: 2, addresses: nodes, listen: '127.0.0.61:0' });
  t.teardown(() => cluster.close());
  await exercise(t, cluster, nodes);

  let load = true;
  const loadDone = (async () => {
    for (let i = 0; load; i++) {
      await get(`http://${nodes[i % 2]}:9600/load`).catch(() => 0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  t.teardown(async () => { load = false; await loadDone; });

  const manager = new URL(cluster.url!).host;
  const gateways = cluster.gateways.map((g) => { const a = g.adminAddress()!; return `${a.host}:${a.port}`; });
  t.same(gateways, nodes.map((n) => `${n}:9323`), 'gateway admin on <node address>:9323');
  const prom: PrometheusServer = await startPrometheus({
    jobs: [{ name: 'swarmlet-manager', targets: [manager] }, { name: 'swarmlet-gateway', targets: gateways }],
    scrapeInterval: '1s',
  });
  t.teardown(() => prom.close());

  const scrapes = new Map<string, string>();
  await t.test('every scrape passes promtool check metrics', async (t) => {
    for (const target of [manager, ...gateways]) {
      const res = await request(`http://${target}/metrics`);
      const text = await res.body.text();
      t.equal(res.statusCode, 200, `${target}/metrics`);
      const lint = promtoolCheckMetrics(text);
      t.equal(lint.code, 0, `promtool check metrics ${target}: ${lint.output}`);
      scrapes.set(target, text);
    }
  });
  const fams = new Map([...scrapes.values()].flatMap((text) => [...families(text)]));

  await until('all targets up with 4 scrapes each', async () => {
    const up = series(await prom.query('up == 1'));
    const counts = series(await prom.query('count_over_time(up[1m])'));
    return up.length === 3 && counts.length === 3 && counts.every((s) => Number(s.value![1]) >= 4);
  }, 20_000);

  const values: Record<'service' | 'node', string[]> = { service: [], node: [] };
  await t.test('variable queries return values', async (t) => {
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
      const lv = parseLabelValues(variableQuery(v))!;
      const got = await prom.labelValues(lv.label, lv.match);
      t.ok(got.length > 0, `${v.name}: ${variableQuery(v)} → ${got.join(', ')}`);
      values[v.name as 'service' | 'node'] = got;
    }
    t.same(values.service, ['half', 'idle', 'raw', 'web'], 'every service');
    t.same(values.node, ['node-1', 'node-2'], 'both nodes');
  });

  const selections = {
    all: { service: '.*', node: '.*' },
    every: { service: grafanaRegex(values.service), node: grafanaRegex(values.node) },
  };
  const results = new Map<string, PromSeries[]>();
  for (const [selection, vars] of Object.entries(selections)) {
    await t.test(`every panel query returns data (${selection} selected: service=~"${vars.service}", node=~"${vars.node}")`, async (t) => {
      for (const p of queryPanels) {
        for (const target of p.targets ?? []) {
          const key = `${p.title}/${target.refId}`;
          const expr = substitute(target.expr!, vars);
          const r = await prom.query(expr);
          t.equal(r.status, 'success', `${key} parses: ${r.error ?? ''}\n${expr}`);
          for (const name of new Set(expr.match(/\bswarmlet_\w+/g) ?? [])) t.ok(exposed(name, fams), `${key}: ${name} is in a live scrape`);
          const found = series(r);
          if (MAY_BE_EMPTY[key] !== undefined && found.length === 0) t.comment(`${key}: empty (allowed: ${MAY_BE_EMPTY[key]})`);
          else t.ok(found.length > 0, `${key}: ${found.length} series`);
          results.set(`${selection}:${key}`, found);
        }
      }
    });
  }

  await t.test('the panels show this run', async (t) => {
    const r = (key: string) => results.get(`all:${key}`) ?? [];
    const rate = r('Request rate by service/A').find((s) => s.metric.service === 'web');
    t.ok(Number(rate?.value?.[1]) > 0, `web request rate > 0 (${rate?.value?.[1]}/s)`);
    t.same(r('Upstream requests per slot (spread)/A').filter((s) => s.metric.service === 'web').map((s) => s.metric.slot).sort(), ['1', '2'], 'spread over slots 1 and 2');
    t.same(r('Update state/A').filter((s) => s.metric.service === 'web').map((s) => s.metric.state), ['rollback_completed'], 'update state');
    t.ok(r('Nodes ready/A').some((s) => s.value?.[1] === '2'), '2 nodes ready');
    t.ok(r('Build info/A').some((s) => /^\d+\.\d+\.\d+/.test(s.metric.version ?? '')), 'build info has a version');
    for (const ref of ['A', 'B', 'C']) {
      t.ok(r(`Retries, connect errors and ejections/${ref}`).some((s) => s.metric.service === 'half'), `retries/connect errors/ejections ${ref} of half`);
    }
    // the ejection (5 s backoff) has usually ended by now: only check that the states are broken down
    t.same(r('Upstream endpoints by state/A').filter((s) => s.metric.service === 'half').map((s) => s.metric.state).sort(), ['active', 'draining', 'ejected'], 'endpoints of half by state');
    t.ok(r('Task failures and restarts/A').some((s) => s.metric.service === 'web'), 'the killed task counts as a failure');
    t.ok(r('Task failures and restarts/B').some((s) => s.metric.service === 'web'), 'its replacement counts as a restart');
    t.ok(r('Responses by status class/A').some((s) => s.metric.code === '4xx'), '4xx answers');
    t.ok(r('Gateway client errors and bind errors/A').some((s) => s.metric.code === '431'), 'the oversized head counts as a client error');
    t.ok(r('Layer-4 TCP connections by service/B').some((s) => s.metric.service === 'idle'), 'a refused layer-4 connection');
    t.same(r('Layer-4 throughput by service/A').filter((s) => s.metric.service === 'raw').map((s) => `${s.metric.protocol} ${s.metric.direction}`).sort(),
      ['tcp in', 'tcp out', 'udp in', 'udp out'], 'layer-4 bytes both ways, TCP and UDP');
    t.same(r('UDP datagrams by service/A').filter((s) => s.metric.service === 'raw').map((s) => s.metric.direction).sort(), ['in', 'out'], 'UDP datagrams both ways');
  });

  const unused = [...fams.keys()].filter((n) => n.startsWith('swarmlet_') && !/_(process|nodejs)_/.test(n)
    && !queryPanels.some((p) => (p.targets ?? []).some((x) => (x.expr ?? '').includes(n))));
  t.comment(`metric families not on the dashboard: ${unused.join(', ') || 'none'}`);
  t.comment(`prometheus-dashboard test took ${Date.now() - started} ms`);
  t.equal(prom.logs().match(/level=error/g) ?? null, null, `no Prometheus errors: ${prom.logs()}`);
});
