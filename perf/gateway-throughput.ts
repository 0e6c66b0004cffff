/**
 * Gateway throughput and latency next to a direct connection to one task, same load generator,
 * same run:
 *   node --import tsx perf/gateway-throughput.ts [--json] [--duration 5] [--connections 32] [--generator wrk|undici]
 *
 * Three minimal upstreams (node:http answering "ok") run in a child process on 127.0.0.51-53, the
 * gateway runs in this process on 127.0.0.54, and the load comes from `wrk` when it is on PATH
 * (else from a child process looping on an undici Pool with bounded concurrency). Scenario (a)
 * loads one upstream directly, (b) loads the gateway in front of the three, (c) loads the
 * http-proxy package (round-robin, keep-alive agent, X-Forwarded-*) in front of the same three, as
 * a reference Node.js proxy. With --json the last stdout line is one JSON object
 * {scenario, figures, targets, pass}.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import httpProxy from 'http-proxy';
import { Pool } from 'undici';
import { createGateway } from '../gateway/index.js';
import type { EndpointSource, EndpointTable } from '../gateway/endpoint-table.js';

const HOSTS = ['127.0.0.51', '127.0.0.52', '127.0.0.53'];
const GATEWAY_ADDR = '127.0.0.54';
const GATEWAY_PORT = 18590;
const HTTP_PROXY_PORT = 18591;
const self = fileURLToPath(import.meta.url);

interface LoadResult { requests: number; errors: number; seconds: number; rps: number; p50Ms: number; p99Ms: number }

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/* ---------- role: upstreams (child process) ---------- */

async function runUpstreams(): Promise<void> {
  const ports: number[] = [];
  for (const host of HOSTS) {
    const server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
    ports.push((server.address() as AddressInfo).port);
  }
  process.stdout.write(`${JSON.stringify({ ports })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0)); // the parent went away
}

/* ---------- role: http-proxy reference (child process) ---------- */

async function runHttpProxy(ports: number[]): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const proxy = httpProxy.createProxyServer({ agent, xfwd: true });
  proxy.on('error', (_err, _req, res) => { if ('writeHead' in res) res.writeHead(502).end(); else res.destroy(); });
  let next = 0;
  const server = http.createServer((req, res) => {
    const i = next++ % ports.length;
    proxy.web(req, res, { target: `http://${HOSTS[i]}:${ports[i]}` });
  });
  await new Promise<void>((resolve) => server.listen(HTTP_PROXY_PORT, GATEWAY_ADDR, () => resolve()));
  process.stdout.write('ready\n');
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

/* ---------- role: undici load generator (child process) ---------- */

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function runUndiciLoad(url: string, seconds: number, connections: number): Promise<LoadResult> {
  const pool = new Pool(url, { connections, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const r = await pool.request({ path: '/', method: 'GET' });
        await r.body.dump();
        if (r.statusCode !== 200) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  const sorted = Float64Array.from(latencies).sort();
  return { requests: latencies.length, errors, seconds: elapsed, rps: latencies.length / elapsed, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99) };
}

/* ---------- wrk ---------- */

function hasWrk(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

/** Parses `wrk --latency` output. */
export function parseWrk(out: string, seconds: number): LoadResult {
  const num = (re: RegExp) => { const m = re.exec(out); return m ? Number(m[1]) : 0; };
  const requests = num(/(\d+) requests in/);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = num(/Non-2xx or 3xx responses: (\d+)/) + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  const p = (q: string) => { const m = new RegExp(`^\\s+${q}%\\s+(\\S+)`, 'm').exec(out); return m ? toMs(m[1]!) : Number.NaN; };
  return { requests, errors, seconds, rps: num(/Requests\/sec:\s+([\d.]+)/), p50Ms: p('50'), p99Ms: p('99') };
}

function runWrk(url: string, seconds: number, connections: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(parseWrk(out, seconds)) : reject(new Error(`wrk exited with ${code}: ${out}`))));
  });
}

function runUndiciChild(url: string, seconds: number, connections: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', self, '--role', 'load', '--url', url, '--duration', String(seconds), '--connections', String(connections)],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as LoadResult) : reject(new Error(`load generator exited with ${code}`))));
  });
}

/* ---------- main ---------- */

/** Starts this file in another role; resolves with the child and its first stdout line. */
function startRole(role: string, extra: string[] = []): Promise<{ child: ChildProcess; line: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', self, '--role', role, ...extra], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ child, line: out.split('\n')[0]! });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
}

function stop(child: ChildProcess): void {
  child.stdin!.end();
  child.kill();
}

function staticSource(table: EndpointTable): EndpointSource {
  return { subscribe: (onTable) => { onTable(table); return () => {}; }, ack: () => {} };
}

const fmt = (r: LoadResult) => `${Math.round(r.rps).toString().padStart(7)} req/s  p50 ${r.p50Ms.toFixed(2).padStart(6)} ms  p99 ${r.p99Ms.toFixed(2).padStart(6)} ms  errors ${r.errors}  (${r.requests} requests)`;

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const seconds = Number(arg('duration', '5'));
  const connections = Number(arg('connections', '32'));
  const generator = arg('generator', hasWrk() ? 'wrk' : 'undici') === 'wrk' ? 'wrk' : 'undici';
  const load = (url: string, s: number) => (generator === 'wrk' ? runWrk(url, s, connections) : runUndiciChild(url, s, connections));

  const upstreams = await startRole('upstreams');
  const ports = (JSON.parse(upstreams.line) as { ports: number[] }).ports;
  const reference = await startRole('http-proxy', ['--ports', ports.join(',')]);
  const table: EndpointTable = {
    version: 1,
    services: [{
      serviceId: 'perf', name: 'perf', ports: [{ published: GATEWAY_PORT, target: 8080, protocol: 'tcp' }],
      endpoints: ports.map((port, i) => ({ taskId: `perf-${i + 1}`, slot: i + 1, nodeId: 'node-1', addr: HOSTS[i]!, port, state: 'active' as const })),
    }],
  };
  const gw = createGateway({ id: 'perf', nodeId: 'node-1', hostname: 'node-1', addr: GATEWAY_ADDR, source: staticSource(table) });
  await gw.start();
  try {
    const directUrl = `http://${HOSTS[0]}:${ports[0]}/`;
    const gatewayUrl = `http://${GATEWAY_ADDR}:${GATEWAY_PORT}/`;
    await load(directUrl, 1); // warm-up
    const direct = await load(directUrl, seconds);
    await load(gatewayUrl, 1);
    const viaGateway = await load(gatewayUrl, seconds);
    const proxyUrl = `http://${GATEWAY_ADDR}:${HTTP_PROXY_PORT}/`;
    await load(proxyUrl, 1);
    const viaHttpProxy = await load(proxyUrl, seconds);
    const ratio = viaGateway.rps / direct.rps;
    const overHttpProxy = viaGateway.rps / viaHttpProxy.rps;
    const slots = (await gw.registry.metrics()).split('\n')
      .filter((l) => l.startsWith('swarmlet_gateway_upstream_requests_total{')).map((l) => Number(l.split(' ').pop()));
    const spreadPct = slots.length === 3 ? (Math.max(...slots) - Math.min(...slots)) / (slots.reduce((a, b) => a + b, 0) / 3) * 100 : Number.NaN;

    console.log(`load generator: ${generator}, ${connections} connections, ${seconds} s each, 2 cores shared by all processes`);
    console.log(`direct (one task):       ${fmt(direct)}`);
    console.log(`gateway (3 tasks):       ${fmt(viaGateway)}`);
    console.log(`http-proxy (3 tasks):    ${fmt(viaHttpProxy)}`);
    console.log(`gateway / direct:        ${(ratio * 100).toFixed(1)} % of the throughput; gateway / http-proxy ${(overHttpProxy * 100).toFixed(1)} %; spread over slots ±${spreadPct.toFixed(2)} %`);
    const targets = { gatewayOverDirectRatioMin: 0.2, gatewayOverHttpProxyRatioMin: 1, errorsMax: 0 };
    const pass = ratio >= targets.gatewayOverDirectRatioMin && overHttpProxy >= targets.gatewayOverHttpProxyRatioMin
      && direct.errors + viaGateway.errors <= targets.errorsMax;
    console.log(pass ? 'PASS' : 'FAIL');
    if (json) {
      const figures = {
        loadGenerator: generator, connections, durationSeconds: seconds,
        directRequestsPerSecond: Math.round(direct.rps), directP50Ms: round(direct.p50Ms), directP99Ms: round(direct.p99Ms), directErrors: direct.errors,
        gatewayRequestsPerSecond: Math.round(viaGateway.rps), gatewayP50Ms: round(viaGateway.p50Ms), gatewayP99Ms: round(viaGateway.p99Ms), gatewayErrors: viaGateway.errors,
        httpProxyRequestsPerSecond: Math.round(viaHttpProxy.rps), httpProxyP50Ms: round(viaHttpProxy.p50Ms), httpProxyP99Ms: round(viaHttpProxy.p99Ms), httpProxyErrors: viaHttpProxy.errors,
        gatewayOverDirectRatio: round(ratio), gatewayOverHttpProxyRatio: round(overHttpProxy), spreadMaxDeviationPercent: round(spreadPct),
      };
      console.log(JSON.stringify({ scenario: 'gateway-throughput', figures, targets, pass }));
    }
    process.exitCode = pass ? 0 : 1;
  } finally {
    await gw.close();
    stop(reference.child);
    stop(upstreams.child);
  }
}

function round(n: number): number { return Math.round(n * 1000) / 1000; }

const role = arg('role', 'main');
if (role === 'upstreams') await runUpstreams();
else if (role === 'http-proxy') await runHttpProxy(arg('ports', '').split(',').map(Number));
else if (role === 'load') process.stdout.write(`${JSON.stringify(await runUndiciLoad(arg('url', ''), Number(arg('duration', '5')), Number(arg('connections', '32'))))}\n`);
else await main();
