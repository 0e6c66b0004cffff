/**
 * `Upgrade` (WebSocket) pass-through: the request head is written to one endpoint over a fresh TCP
 * connection and from then on bytes are piped both ways, the upstream's `101 Switching Protocols`
 * included. A connect failure is retried on another endpoint (nothing has reached a task yet) and
 * feeds passive health like any connect failure.
 */
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { UpstreamEndpoint } from './endpoint-set.js';
import { methodIndex } from './gateway-metrics.js';
import { clientIp, forwardRequestHeaders } from './hop-headers.js';
import { recordConnectFailure, recordSuccess } from './passive-health.js';
import type { ProxyContext, RoutedService } from './proxy-request.js';
import { failureReason, isRetryableError } from './upstream-failures.js';

export interface UpgradeContext extends ProxyContext {
  readonly connectTimeoutMs: number;
  /** Open tunnels, so that closing the gateway can end them. */
  readonly tunnels: Set<Duplex>;
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 431: 'Request Header Fields Too Large', 502: 'Bad Gateway', 503: 'Service Unavailable' };

/** Writes a complete plain-text response on a raw socket and closes it. */
export function respondRaw(socket: Duplex, status: number, text: string): void {
  if (!socket.writable) { socket.destroy(); return; }
  const body = `${text}\n`;
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\n`
    + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** The request head sent upstream for an upgrade. */
export function upgradeHead(req: IncomingMessage, ip: string | undefined): string {
  const headers = forwardRequestHeaders(req.rawHeaders, { clientIp: ip, upgrade: true });
  let head = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/** Tunnels an upgrade request from `socket` to an endpoint of `svc`. */
export function proxyUpgrade(ctx: UpgradeContext, svc: RoutedService, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const ip = clientIp(req.socket.remoteAddress);
  const requestHead = upgradeHead(req, ip);
  const method = methodIndex(req.method);
  const m = svc.metrics;
  let tried: Set<string> | undefined;
  let attempts = 0;
  socket.on('error', () => socket.destroy());

  const attempt = (lastFailure: string): void => {
    if (socket.destroyed) return;
    const ep = svc.endpoints.pick(tried, ctx.clock.now());
    if (ep === undefined) {
      const status = attempts === 0 ? 503 : 502;
      m.countRequest(method, status);
      respondRaw(socket, status, attempts === 0 ? `no healthy task for service ${svc.endpoints.name}` : `bad gateway: ${lastFailure}`);
      return;
    }
    attempts++;
    const upstream = net.connect({ host: ep.addr, port: ep.port });
    upstream.setTimeout(ctx.connectTimeoutMs, () => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })));
    upstream.once('error', (err: Error & { code?: string }) => onConnectError(ep, err));
    upstream.once('connect', () => {
      upstream.removeAllListeners('error');
      upstream.setTimeout(0);
      ep.health = recordSuccess(ep.health, ctx.clock.now());
      m.upstreamRequest(ep.slot);
      tunnel(upstream);
    });
  };

  const onConnectError = (ep: UpstreamEndpoint, err: Error & { code?: string }): void => {
    m.connectErrors++;
    const out = recordConnectFailure(ep.health, ctx.ejection, ctx.clock.now());
    ep.health = out.record;
    if (out.ejected) { m.ejections++; ctx.onEjected(svc.endpoints.name, ep, out.record.ejectedUntil); }
    if (attempts <= ctx.retries && isRetryableError(err)) {
      m.retries++;
      (tried ??= new Set()).add(ep.taskId);
      attempt(failureReason(err));
      return;
    }
    m.countRequest(method, 502);
    respondRaw(socket, 502, `bad gateway: ${failureReason(err)}`);
  };

  const tunnel = (upstream: net.Socket): void => {
    if (socket.destroyed) { upstream.destroy(); return; }
    ctx.tunnels.add(socket);
    m.inFlight++;
    let counted = false;
    upstream.once('data', (chunk: Buffer) => {
      // "HTTP/1.1 101 …": count the upgrade under the upstream's status class (no duration: tunnels are long).
      const status = chunk.length >= 12 && chunk.toString('latin1', 0, 5) === 'HTTP/' ? Number(chunk.toString('latin1', 9, 12)) : 502;
      m.countRequest(method, Number.isFinite(status) ? status : 502);
      counted = true;
    });
    const end = (): void => {
      if (!ctx.tunnels.delete(socket)) return;
      m.inFlight--;
      if (!counted) m.countRequest(method, 502);
      socket.destroy();
      upstream.destroy();
    };
    upstream.on('error', end).on('close', end);
    socket.on('close', end);
    upstream.write(requestHead);
    if (head.length > 0) upstream.write(head);
    socket.pipe(upstream);
    upstream.pipe(socket);
  };

  attempt('');
}
