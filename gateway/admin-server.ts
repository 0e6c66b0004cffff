/**
 * The gateway's admin endpoint, on its own address (never on a published port): `/metrics` for
 * Prometheus (the gateway's own registry) and `/healthz` (200 once the gateway routes by a table).
 */
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { closeServerGracefully } from './listeners.js';

export interface AdminStatus { tableVersion: number; ports: number[] }

export interface AdminServer {
  address(): { host: string; port: number };
  close(): Promise<void>;
}

export interface AdminServerOptions {
  host: string;
  port: number;
  registry: Registry;
  status(): AdminStatus | undefined;
  clock: Clock;
  logger: Logger;
}

function handle(opts: AdminServerOptions, req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
  } else if (path === '/metrics') {
    opts.registry.metrics().then(
      (text) => { res.writeHead(200, { 'content-type': opts.registry.contentType }).end(text); },
      (err: unknown) => {
        opts.logger.warn({ err }, 'collecting gateway metrics failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
      },
    );
  } else if (path === '/healthz') {
    const s = opts.status();
    const body = JSON.stringify(s === undefined ? { status: 'starting' } : { status: 'ok', ...s });
    res.writeHead(s === undefined ? 503 : 200, { 'content-type': 'application/json' }).end(`${body}\n`);
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }
}

export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  const server: Server = http.createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => handle(opts, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port }, () => { server.off('error', reject); resolve(); });
  });
  const a = server.address() as AddressInfo;
  opts.logger.info({ host: a.address, port: a.port }, 'gateway admin listening');
  return {
    address: () => ({ host: a.address, port: a.port }),
    close: () => closeServerGracefully(server, opts.clock, 2_000),
  };
}
