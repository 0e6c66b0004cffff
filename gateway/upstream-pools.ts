/**
 * One EndpointPool per upstream endpoint (keep-alive, no pipelining, a bounded number of
 * connections). A pool is created on first use and retired when its endpoint leaves the table or
 * turns draining: it takes no new requests, its idle connections close at once and the busy ones
 * once their in-flight request is done. One coarse timer (a tick every `TICK_MS` while any pool
 * exists) drives idle closes and request timeouts, so that requests themselves set no timer.
 */
import type { Clock, Timer } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { GatewayLimits } from './limits.js';
import type { Ticker } from './upstream-connection.js';
import { EndpointPool, type EndpointPoolOptions } from './upstream-pool.js';

export const TICK_MS = 250;

/** The options of an endpoint's pool. */
export function poolOptions(l: GatewayLimits): EndpointPoolOptions {
  return {
    connections: l.maxConnectionsPerEndpoint,
    connectTimeoutMs: l.upstreamConnectTimeoutMs,
    requestTimeoutMs: l.requestTimeoutMs,
    // Below Node's default server keep-alive timeout (5 s): an idle socket is dropped by us first.
    keepAliveTimeoutMs: 4_000,
    keepAliveMaxTimeoutMs: 60_000,
  };
}

export interface PoolTarget { readonly key: string; readonly addr: string; readonly port: number }

export class UpstreamPools {
  private readonly pools = new Map<string, EndpointPool>();
  private readonly retiring = new Set<EndpointPool>();
  private readonly options: EndpointPoolOptions;
  private readonly ticker: Ticker = { tick: 0 };
  private timer: Timer | undefined;
  private closed = false;

  constructor(limits: GatewayLimits, private readonly clock: Clock, private readonly logger: Logger) {
    this.options = poolOptions(limits);
  }

  /** The pool of an endpoint, created on first use. */
  get(target: PoolTarget): EndpointPool {
    let pool = this.pools.get(target.key);
    if (pool === undefined) {
      pool = new EndpointPool(target.addr, target.port, this.options, this.ticker, this.clock);
      if (this.closed) { void pool.close(); return pool; } // after closeAll: a pool that takes nothing
      this.pools.set(target.key, pool);
      this.arm();
    }
    return pool;
  }

  has(key: string): boolean { return this.pools.has(key); }
  get size(): number { return this.pools.size; }
  get retiringCount(): number { return this.retiring.size; }

  /** No new requests to this endpoint: close its pool once its in-flight requests are done. */
  retire(key: string): void {
    const pool = this.pools.get(key);
    if (pool === undefined) return;
    this.pools.delete(key);
    this.retiring.add(pool);
    this.logger.debug({ key }, 'upstream pool retired');
    void pool.close().then(() => { this.retiring.delete(pool); });
  }

  /**
   * Closes every pool; those still busy when `wait` resolves are destroyed, which fails their
   * requests.
   */
  async closeAll(wait: Promise<void>): Promise<void> {
    this.closed = true;
    for (const key of [...this.pools.keys()]) this.retire(key);
    const all = [...this.retiring];
    let done = false;
    const closed = Promise.all(all.map((p) => p.close())).then(() => { done = true; });
    await Promise.race([closed, wait]);
    if (!done) await Promise.all(all.map((p) => p.destroy()));
    this.timer?.cancel();
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.ticker.tick++;
      for (const p of this.pools.values()) p.sweep(TICK_MS);
      for (const p of this.retiring) p.sweep(TICK_MS);
      if (this.pools.size > 0 || this.retiring.size > 0) this.arm();
    }, TICK_MS);
  }
}
