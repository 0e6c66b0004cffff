/**
 * The floor of the gateway's stack: Node's HTTP server and an undici Pool per backend, picked
 * round-robin, with nothing else: no header rewriting, no metrics, no health, no retries. The
 * swarmlet gateway can only cost more per request than this; the gap is what its own work costs.
 *   node --import tsx perf/lib/undici-floor-server.ts '<ProxyConfig JSON>'
 * Prints "ready" once listening; exits on SIGINT/SIGTERM or when stdin ends.
 */
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { Pool, type Dispatcher } from 'undici';
import { exitOn, readProxyConfig } from './proxy-config.js';

const cfg = readProxyConfig();
const pools = cfg.backends.map((b) => new Pool(`http://${b.addr}:${b.port}`, { connections: 64, pipelining: 1, connect: { noDelay: true } }));

/** The dispatch handler: response headers as strings to writeHead, the body written through. */
class Exchange implements Dispatcher.DispatchHandler {
  constructor(private readonly res: http.ServerResponse) {}
  onConnect(): void {}
  onHeaders(status: number, raw: Buffer[]): boolean {
    const headers: string[] = [];
    for (const h of raw) headers.push(h.toString('latin1'));
    this.res.writeHead(status, headers);
    return true;
  }
  onData(chunk: Buffer): boolean { this.res.write(chunk); return true; }
  onComplete(): void { this.res.end(); }
  onError(): void {
    if (this.res.headersSent) this.res.destroy();
    else this.res.writeHead(502).end();
  }
}

let next = 0;
const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  pools[next++ % pools.length]!.dispatch({ path: req.url!, method: req.method!, headers: req.rawHeaders }, new Exchange(res));
});
await new Promise<void>((resolve) => server.listen(cfg.listen.port, cfg.listen.addr, () => resolve()));
if (cfg.pidFile) writeFileSync(cfg.pidFile, String(process.pid));
exitOn(async () => { server.closeAllConnections(); await Promise.all(pools.map((p) => p.destroy())); });
process.stdout.write('ready\n');
