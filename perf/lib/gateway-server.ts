/**
 * The swarmlet gateway alone in a process, in front of fixed backends (a static endpoint table):
 *   node --import tsx perf/lib/gateway-server.ts '<ProxyConfig JSON>'
 * With `"workers": N` (N > 1) it runs createGatewayWorkers: this process is the primary and N
 * worker processes share the listener (meter the CPU of the whole process tree).
 * Prints "ready" once listening; exits on SIGINT/SIGTERM or when stdin ends.
 */
import { writeFileSync } from 'node:fs';
import { createGateway, createGatewayWorkers, type Gateway } from '../../gateway/index.js';
import type { EndpointSource } from '../../gateway/endpoint-table.js';
import type { EndpointTable } from '../../lib/protocol/endpoint-table.js';
import { exitOn, readProxyConfig } from './proxy-config.js';

const cfg = readProxyConfig();
const table: EndpointTable = {
  version: 1,
  services: [{
    serviceId: 'perf', name: 'perf', ports: [{ published: cfg.listen.port, target: 8080, protocol: 'tcp' }],
    endpoints: cfg.backends.map((b, i) => ({ taskId: `perf-${i + 1}`, slot: i + 1, nodeId: 'node-1', addr: b.addr, port: b.port, state: 'active' as const })),
  }],
};
const options = { id: 'perf', nodeId: 'node-1', hostname: 'node-1', addr: cfg.listen.addr };
const workers = cfg.workers ?? 1;
let gw: Gateway;
if (workers > 1) {
  gw = createGatewayWorkers({ workers, gateway: options, source: { kind: 'static', table }, workerLogLevel: 'warn' });
} else {
  const source: EndpointSource = { subscribe: (onTable) => { onTable(table); return () => {}; }, ack: () => {} };
  gw = createGateway({ ...options, source });
}
await gw.start();
const deadline = Date.now() + 10_000;
while (!gw.ports().includes(cfg.listen.port) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
if (!gw.ports().includes(cfg.listen.port)) throw new Error(`the gateway did not bind ${cfg.listen.addr}:${cfg.listen.port}`);
if (cfg.pidFile) writeFileSync(cfg.pidFile, String(process.pid));
exitOn(() => gw.close());
process.stdout.write('ready\n');
