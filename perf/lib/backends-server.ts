/**
 * Minimal "whoami-equivalent" backends for the throughput benchmarks: one node:http server per
 * address, answering every request with a 2-byte body.
 *   node --import tsx perf/lib/backends-server.ts 127.0.0.95,127.0.0.96,127.0.0.97
 * Prints {"ports":[…]} once listening; exits when stdin ends or on SIGTERM.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const hosts = (process.argv[2] ?? '127.0.0.95').split(',');
const servers: http.Server[] = [];
for (const [i, host] of hosts.entries()) {
  const body = Buffer.from('ok');
  const headers = { 'content-type': 'text/plain', 'content-length': '2', 'x-backend': String(i + 1) };
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    req.resume();
    res.writeHead(200, headers).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  servers.push(server);
}
process.stdout.write(`${JSON.stringify({ ports: servers.map((s) => (s.address() as AddressInfo).port) })}\n`);
const quit = (): void => { for (const s of servers) s.closeAllConnections(); process.exit(0); };
process.stdin.resume();
process.stdin.on('end', quit);
process.on('SIGTERM', quit);
process.on('SIGINT', quit);
