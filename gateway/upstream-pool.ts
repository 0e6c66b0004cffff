/**
 * The keep-alive connections of one upstream endpoint: at most `connections` of them, idle ones
 * reused last-in first-out, requests beyond the bound wait in a FIFO queue. Retiring the pool (its
 * endpoint left the table or turns draining) sends the queued requests back to be routed
 * elsewhere, closes the idle connections at once and the busy ones after their request.
 */
import type { Clock } from '../lib/clock.js';
import {
  UpstreamConnection, upstreamError, type ConnectionOwner, type Ticker, type UpstreamError, type UpstreamRequest,
} from './upstream-connection.js';

/** The error a queued request gets when its endpoint's pool is retired: route it elsewhere. */
export const ENDPOINT_DRAINED = 'SWARMLET_ENDPOINT_DRAINED';

export interface EndpointPoolOptions {
  /** Most connections to the endpoint. */
  connections: number;
  connectTimeoutMs: number;
  /** A request with no progress (head or body byte either way) for this long fails. */
  requestTimeoutMs: number;
  /** Idle time before a connection is closed, unless the upstream's Keep-Alive hint is shorter. */
  keepAliveTimeoutMs: number;
  /** Longest idle time whatever the hint. */
  keepAliveMaxTimeoutMs: number;
}

export class EndpointPool implements ConnectionOwner {
  private readonly idle: UpstreamConnection[] = [];
  private readonly conns = new Set<UpstreamConnection>();
  private queue: UpstreamRequest[] = [];
  /** Connections not connected yet. */
  private readonly connecting = new Set<UpstreamConnection>();
  private closing = false;
  private onEmpty: (() => void) | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly opts: EndpointPoolOptions,
    readonly ticker: Ticker,
    private readonly clock: Clock,
  ) {}

  get size(): number { return this.conns.size; }
  get queued(): number { return this.queue.length; }
  get idleCount(): number { return this.idle.length; }

  /** Sends `req` on an idle connection, or queues it (opening a connection when allowed). */
  dispatch(req: UpstreamRequest): void {
    if (this.closing) { req.onUpstreamError(upstreamError(ENDPOINT_DRAINED, 'endpoint draining')); return; }
    const c = this.idle.pop();
    if (c !== undefined) { this.run(c, req); return; }
    this.queue.push(req);
    if (this.connecting.size < this.queue.length && this.conns.size < this.opts.connections) this.open();
  }

  released(c: UpstreamConnection): void {
    if (!c.connected || c.dead) return;
    this.connecting.delete(c);
    if (this.closing) { c.destroy(); return; }
    const next = this.queue.shift();
    if (next !== undefined) { this.run(c, next); return; }
    this.idle.push(c);
  }

  closed(c: UpstreamConnection, connectError: UpstreamError | undefined): void {
    this.conns.delete(c);
    this.connecting.delete(c);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    if (connectError !== undefined) {
      // A failed connect opens no other connection (no reconnect loop against a dead endpoint). With
      // no established connection to serve the queue, every waiting request fails (and is retried
      // elsewhere); otherwise the established ones take the queue as they free up.
      if (this.conns.size === this.connecting.size) {
        const q = this.queue;
        this.queue = [];
        for (const r of q) r.onUpstreamError(connectError);
      }
    } else if (this.queue.length > this.connecting.size && this.conns.size < this.opts.connections && !this.closing) {
      this.open();
    }
    if (this.conns.size === 0) this.onEmpty?.();
  }

  /** Closes idle connections past their limit and fails requests without progress for too long. */
  sweep(tickMs: number): void {
    const now = this.ticker.tick;
    for (const c of this.conns) {
      const quietMs = (now - c.lastTick) * tickMs;
      if (!c.connected || c.dead) continue;
      if (!c.busy) { if (quietMs >= c.idleLimitMs) c.destroy(); continue; }
      if (quietMs >= this.opts.requestTimeoutMs) {
        c.destroy(c.responding
          ? upstreamError('UND_ERR_BODY_TIMEOUT', 'upstream body timeout')
          : upstreamError('UND_ERR_HEADERS_TIMEOUT', 'upstream response timeout'));
      }
    }
  }

  /** No new requests: queued ones go back with ENDPOINT_DRAINED; resolves once every connection is closed. */
  close(): Promise<void> {
    this.closing = true;
    const q = this.queue;
    this.queue = [];
    for (const r of q) r.onUpstreamError(upstreamError(ENDPOINT_DRAINED, 'endpoint draining'));
    for (const c of this.idle.splice(0)) c.destroy();
    for (const c of this.conns) if (!c.busy && !c.connected) c.destroy();
    if (this.conns.size === 0) return Promise.resolve();
    return new Promise((resolve) => { this.onEmpty = resolve; });
  }

  /** Closes every connection now (their requests fail). */
  destroy(): Promise<void> {
    const done = this.close();
    for (const c of this.conns) c.destroy(upstreamError('UND_ERR_DESTROYED', 'gateway closing'));
    return done;
  }

  private open(): void {
    const o = this.opts;
    const c = new UpstreamConnection(this, this.host, this.port, this.clock, o.connectTimeoutMs, o.keepAliveTimeoutMs, o.keepAliveMaxTimeoutMs);
    this.conns.add(c);
    this.connecting.add(c);
  }

  private run(c: UpstreamConnection, req: UpstreamRequest): void {
    if (req.onUpstreamStart(c)) { c.send(req); return; }
    this.released(c); // withdrawn: the connection serves the next one
  }
}
