/**
 * Layer 4 for a TCP connection that is not HTTP (TLS, Redis, PostgreSQL, SSH …): the connection
 * goes to one endpoint of the port's service, chosen round-robin per connection, and from then on
 * bytes are piped both ways, as HAProxy's `mode tcp` does:
 * - a connect failure (nothing reached a task yet) is retried on another endpoint and feeds passive
 *   health; once connected nothing is retried (the task may have acted on the bytes);
 * - half-close: a side that ends its half (FIN) ends the other side's half; the other direction
 *   keeps flowing until it ends too;
 * - backpressure: `pipe` stops reading a side while the other cannot take more;
 * - idle timeout: a connection with no byte in either direction for `idleTimeoutMs` (default one
 *   hour: database connections stay idle for long) is closed;
 * - drains: a draining endpoint gets no new connection; open ones are left to finish (the task's
 *   stop grace period bounds them: the task closes them or is killed);
 * - a client that said nothing within the sniff wait (`silent`): once connected to a task, whoever
 *   speaks first decides (first-word.ts); a late HTTP client goes back to the HTTP server. Such a
 *   connection counts as a layer-4 connection (and a request of its task) only once that is known.
 */
import net from 'node:net';
import type { Clock, Timer } from '../lib/clock.js';
import type { UpstreamEndpoint } from './endpoint-set.js';
import { awaitFirstWord, type SilentClient } from './first-word.js';
import { recordConnectFailure, recordSuccess } from './passive-health.js';
import type { ProxyContext, RoutedService } from './proxy-request.js';
import { isRetryableError } from './upstream-failures.js';

/** Default idle timeout of a layer-4 connection (no byte either way): one hour. */
export const DEFAULT_L4_IDLE_TIMEOUT_MS = 60 * 60 * 1000;

export interface L4Context extends ProxyContext {
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** Open layer-4 connections (client sockets), so that closing the gateway or a port can end them. */
  readonly connections: Set<net.Socket>;
}

/**
 * Pipes `socket` (whose first bytes, already read, are `head`) to an endpoint of `svc`. With
 * `silent` (nothing read within the sniff wait), the first side to speak decides first.
 */
export function proxyConnection(ctx: L4Context, svc: RoutedService, socket: net.Socket, head: Buffer, silent?: SilentClient): void {
  const m = svc.metrics;
  let tried: Set<string> | undefined;
  let attempts = 0;
  socket.pause();
  const onError = (): void => { socket.destroy(); };
  socket.on('error', onError);
  if (silent === undefined) m.l4Connections++;
  m.l4Open++;
  ctx.connections.add(socket);
  let counted = true;
  const done = (): void => {
    if (!counted) return;
    counted = false;
    m.l4Open--;
    ctx.connections.delete(socket);
  };
  socket.once('close', done);
  const connected = (ep: UpstreamEndpoint, upstream: net.Socket, first: Buffer, clientEnded: boolean): void => {
    if (silent !== undefined) m.l4Connections++;
    m.upstreamRequest(ep.slot);
    pipeBoth(ctx, svc, socket, upstream, first, clientEnded);
  };
  /** A late HTTP client: the connection is the HTTP server's from here on. */
  const toHttp = (first: Buffer): void => {
    socket.off('error', onError);
    socket.off('close', done);
    done();
    silent?.toHttp(first);
  };

  const attempt = (): void => {
    if (socket.destroyed) return;
    const ep = svc.endpoints.pick(tried, ctx.clock.now());
    if (ep === undefined) {
      m.l4Refused++;
      socket.destroy();
      return;
    }
    attempts++;
    const upstream = net.connect({ host: ep.addr, port: ep.port, allowHalfOpen: true, noDelay: true });
    const timer = ctx.clock.setTimeout(() => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), ctx.connectTimeoutMs);
    const onClientGone = (): void => { upstream.destroy(); };
    socket.once('close', onClientGone);
    upstream.once('error', (err: Error & { code?: string }) => {
      timer.cancel();
      socket.off('close', onClientGone);
      onConnectError(ep, err);
    });
    upstream.once('connect', () => {
      timer.cancel();
      socket.off('close', onClientGone);
      upstream.removeAllListeners('error');
      ep.health = recordSuccess(ep.health, ctx.clock.now());
      if (silent === undefined) { connected(ep, upstream, head, false); return; }
      awaitFirstWord(socket, upstream, silent, ctx.clock, ctx.idleTimeoutMs, {
        tcp: (first, clientEnded) => connected(ep, upstream, first, clientEnded),
        http: toHttp,
      });
    });
  };

  const onConnectError = (ep: UpstreamEndpoint, err: Error & { code?: string }): void => {
    m.connectErrors++;
    const out = recordConnectFailure(ep.health, ctx.ejection, ctx.clock.now());
    ep.health = out.record;
    if (out.ejected) { m.ejections++; ctx.onEjected(svc.endpoints.name, ep, out.record.ejectedUntil); }
    // A connection that never reached a task may go to every endpoint not tried yet (retries: 0 disables it).
    if (ctx.retries > 0 && isRetryableError(err) && attempts < svc.endpoints.endpoints.length) {
      m.retries++;
      (tried ??= new Set()).add(ep.taskId);
      attempt();
      return;
    }
    socket.destroy();
  };

  attempt();
}

/**
 * Connected: the head, then bytes both ways with half-close, backpressure and the idle timeout
 * (`clientEnded`: the client's 'end' was already emitted).
 */
function pipeBoth(ctx: L4Context, svc: RoutedService, client: net.Socket, upstream: net.Socket, head: Buffer, clientEnded: boolean): void {
  if (client.destroyed) { upstream.destroy(); return; }
  const m = svc.metrics;
  const idle = new IdleWatch(ctx.clock, ctx.idleTimeoutMs, () => { client.destroy(); upstream.destroy(); });
  m.bytesIn += head.length;
  client.on('data', (chunk: Buffer) => { m.bytesIn += chunk.length; idle.touch(); });
  upstream.on('data', (chunk: Buffer) => { m.bytesOut += chunk.length; idle.touch(); });
  const end = (): void => { idle.stop(); client.destroy(); upstream.destroy(); };
  upstream.on('error', end).on('close', end);
  client.on('error', end).on('close', end);
  // Once both halves have ended the connection is over.
  let ended = 0;
  const halfEnded = (): void => { if (++ended === 2) end(); };
  if (clientEnded) halfEnded(); else client.once('end', halfEnded);
  upstream.once('end', halfEnded);
  if (head.length > 0) upstream.write(head);
  client.pipe(upstream);
  upstream.pipe(client);
}

/** Calls `onIdle` once nothing was touched for `idleMs` (one timer, moved forward lazily). */
class IdleWatch {
  private last: number;
  private timer: Timer | undefined;
  constructor(private readonly clock: Clock, private readonly idleMs: number, private readonly onIdle: () => void) {
    this.last = clock.now();
    if (idleMs > 0) this.arm(idleMs);
  }
  touch(): void { this.last = this.clock.now(); }
  stop(): void { this.timer?.cancel(); this.timer = undefined; }
  private arm(ms: number): void {
    this.timer = this.clock.setTimeout(() => {
      const quiet = this.clock.now() - this.last;
      if (quiet >= this.idleMs) { this.timer = undefined; this.onIdle(); } else this.arm(this.idleMs - quiet);
    }, ms);
  }
}
