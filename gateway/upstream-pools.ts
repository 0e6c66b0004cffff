/**
 * One undici Pool per upstream endpoint: keep-alive, no pipelining, a bounded number of
 * connections. A pool is created on first use and retired when its endpoint leaves the table or
 * turns draining: it takes no new requests, its idle connections close at once and the busy ones
 * once their in-flight request is done (requests still queued in it reach the exchange's
 * onConnect, which sees the endpoint is no longer active and routes them elsewhere).
 */
import { Pool, type Dispatcher } from 'undici';
import type { Logger } from '../lib/logger.js';
import type { GatewayLimits } from './limits.js';



/** The undici options of an endpoint's pool. */
export function poolOptions(l: GatewayLimits): Pool.Options {
  return {
    connections: l.maxConnectionsPerEndpoint,
    pipelining: 1,
    connectTimeout: l.upstreamConnectTimeoutMs,
    connect: { noDelay: true },
    // Below Node's default server keep-alive timeout (5 s): an idle socket is dropped by us first.
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 60_000,
    keepAliveTimeoutThreshold: 1_000,
    // undici's coarse timers (one shared tick; a request refreshes its parser's timer). Replacing
    // them by the gateway's own tick measured no faster.
    headersTimeout: l.requestTimeoutMs,
    bodyTimeout: l.requestTimeoutMs,
  };
}

/** What a pool is keyed and connected by (an UpstreamEndpoint). */
export interface PoolTarget { readonly key: string; readonly origin: string }

export class UpstreamPools {
  private readonly pools = new Map<string, Dispatcher>();
  private readonly retiring = new Set<Dispatcher>();
  private readonly options: Pool.Options;
  private closed = false;

  constructor(limits: GatewayLimits, private readonly logger: Logger) {
    this.options = poolOptions(limits);
  }

  /** The pool of an endpoint, created on first use. */
  get(target: PoolTarget): Dispatcher {
    let pool = this.pools.get(target.key);
    if (pool === undefined) {
      pool = new Pool(target.origin, this.options);
      if (this.closed) { this.retireOne(target.key, pool); return pool; } // after closeAll: a pool that takes nothing
      this.pools.set(target.key, pool);
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
    this.retireOne(key, pool);
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
    const closed = Promise.all(all.map((p) => p.close().catch(() => undefined))).then(() => { done = true; });
    await Promise.race([closed, wait]);
    if (!done) await Promise.all(all.map((p) => p.destroy().catch(() => undefined)));
  }

  private retireOne(key: string, pool: Dispatcher): void {
    this.retiring.add(pool);
    this.logger.debug({ key }, 'upstream pool retired');
    pool.close().catch((err: unknown) => this.logger.debug({ err, key }, 'upstream pool close failed'))
      .finally(() => this.retiring.delete(pool));
  }
}
