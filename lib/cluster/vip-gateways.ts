/**
 * The gateways that serve services' virtual IPs: one per VIP address (127.77.N.M, local on this
 * machine), listening on each of the service's ports and balancing over its tasks cluster-wide with
 * the node gateways' machinery (round-robin, retries, passive health, draining endpoints get no new
 * requests). Each joins the feed's drain barrier like a node gateway, so a task is signalled to stop
 * only once the VIP gateways stopped routing to it too. Started and stopped as VIPs come and go.
 *
 * Each runs in its own child process (createGatewayProcess, like the node gateways), so a manager
 * that is busy or stopped does not delay service-to-service traffic: this process relays the
 * projected tables over IPC and acks a version to the drain barrier only once the child routes by it.
 */
import type { Clock, Timer } from '../clock.js';
import type { Logger } from '../logger.js';
import { createGatewayProcess, type ProcessGateway } from '../../gateway/gateway-process.js';
import type { EndpointSource, EndpointTable } from '../../gateway/endpoint-table.js';
import type { WorkerSourceSpec } from '../../gateway/worker-config.js';
import { projectVipTable, vipAddresses } from '../../gateway/vip-table.js';
import type { EndpointFeed } from '../dispatcher/endpoint-feed.js';

export { projectVipTable, vipAddresses };

/** Where VipGateways learns which VIPs exist, and what each VIP gateway follows. */
export interface VipGatewaySource {
  /** Calls back with the current table and every later one; returns its unsubscribe function. */
  tables(onTable: (table: EndpointTable) => void): () => void;
  /** The gateway ID (its name in the drain barrier) and the endpoint source of the gateway of `addr`. */
  gateway(addr: string): { id: string; source: EndpointSource | WorkerSourceSpec };
}

function vipSource(feed: EndpointFeed, id: string, addr: string): EndpointSource {
  return {
    subscribe(onTable) {
      const leave = feed.register(id);
      const unsubscribe = feed.subscribe((t) => onTable(projectVipTable(t, addr)));
      return () => { unsubscribe(); leave(); };
    },
    ack: (gw, version) => feed.ack(gw, version),
  };
}

/** The manager's own feed (createCluster): the parent relays each projected table to its child. */
export function feedVipSource(feed: EndpointFeed): VipGatewaySource {
  return {
    tables: (onTable) => feed.subscribe(onTable),
    gateway: (addr) => ({ id: `vip:${addr}`, source: vipSource(feed, `vip:${addr}`, addr) }),
  };
}

export interface VipGatewaysOptions {
  source: VipGatewaySource; clock: Clock; logger: Logger;
  /** pino level of the gateway children's JSON log lines on stderr. Default 'silent'. */
  logLevel?: string;
}

export class VipGateways {
  private readonly running = new Map<string, ProcessGateway>();
  private unsubscribe: (() => void) | undefined;
  private retry: Timer | undefined;
  private latest: EndpointTable | undefined;
  private closed = false;

  constructor(private readonly o: VipGatewaysOptions) {}

  start(): void {
    this.unsubscribe = this.o.source.tables((t) => { this.latest = t; this.sync(t); });
  }

  /** VIP addresses served now. */
  addresses(): string[] { return [...this.running.keys()].sort(); }

  /** The ports the gateway child of `addr` listens on, as of its last table ([] while another process holds them). */
  ports(addr: string): number[] { return this.running.get(addr)?.ports() ?? []; }

  /** The process ID of the gateway child serving `addr` (undefined if none runs now). */
  pid(addr: string): number | undefined { return this.running.get(addr)?.pid(); }

  private sync(table: EndpointTable): void {
    if (this.closed) return;
    const wanted = vipAddresses(table);
    for (const addr of wanted) {
      if (this.running.has(addr)) continue;
      const { id, source } = this.o.source.gateway(addr);
      const gw = createGatewayProcess({
        // Another process on this machine serving this VIP (swarmlet up and joined nodes on one
        // machine): its ports fail with EADDRINUSE, logged once at debug and tried again every 3 s,
        // so the VIP stays served here if that process goes away. Such a gateway still acks every
        // table at once: it never holds up a drain.
        gateway: { id, nodeId: id, hostname: `vip-${addr}`, addr, processMetrics: false, staggerRoundRobin: true, quietAddrInUse: true },
        source, clock: this.o.clock, admin: false, logLevel: this.o.logLevel ?? 'silent',
        logger: this.o.logger.child({ component: 'vip-gateway', vip: addr }),
      });
      this.running.set(addr, gw);
      void gw.start().catch((err: unknown) => {
        this.o.logger.warn({ vip: addr, err: (err as Error).message }, 'VIP gateway did not start (tried again in 1 s)');
        if (this.running.get(addr) !== gw) return;
        // Forgotten, so that the next table starts it again; one comes in 1 s at the latest.
        this.running.delete(addr);
        this.retry ??= this.o.clock.setTimeout(() => { this.retry = undefined; if (this.latest) this.sync(this.latest); }, 1_000);
      });
    }
    for (const [addr, gw] of this.running) {
      if (wanted.has(addr)) continue;
      this.running.delete(addr);
      void gw.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.retry?.cancel();
    this.unsubscribe?.();
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((g) => g.close().catch(() => undefined)));
  }
}
