/**
 * The Node baseline proxy: the http-proxy package, round-robin over the backends, keep-alive
 * agent, X-Forwarded-* headers.
 *   node --import tsx perf/lib/http-proxy-server.ts '<ProxyConfig JSON>'
 * Prints "ready" once listening; exits on SIGINT/SIGTERM or when stdin ends.
 */
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import httpProxy from 'http-proxy';
import { exitOn, readProxyConfig } from './proxy-config.js';

const cfg = readProxyConfig();
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const proxy = httpProxy.createProxyServer({ agent, xfwd: true });
proxy.on('error', (_err, _req, res) => { if ('writeHead' in res) res.writeHead(502).end(); else res.destroy(); });
const targets = cfg.backends.map((b) => `http://${b.addr}:${b.port}`);
let next = 0;
const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  proxy.web(req, res, { target: targets[next++ % targets.length] });
});
await new Promise<void>((resolve) => server.listen(cfg.listen.port, cfg.listen.addr, () => resolve()));
if (cfg.pidFile) writeFileSync(cfg.pidFile, String(process.pid));
exitOn(() => { server.closeAllConnections(); agent.destroy(); });
process.stdout.write('ready\n');
