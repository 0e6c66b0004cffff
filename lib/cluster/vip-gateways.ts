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
import type { EndpointFeed } from '../dispatcher/endpoint-feed.js';

/** The table as the gateway of one VIP sees it: the services with that VIP, their VIP ports as "published". */
export function projectVipTable(table: EndpointTable, addr: string): EndpointTable {
  const services = table.services.flatMap((s) => {
    const vip = s.vips?.find((v) => v.addr === addr);
    if (!vip) return [];
    const { vips: _v, ...route } = s;
    void _v;
    return [{ ...route, ports: vip.ports.map((p) => ({ published: p, target: p, protocol: 'tcp' as const })) }];
  });
  return { version: table.version, services };
}

export function vipAddresses(table: EndpointTable): Set<string> {
  return new Set(table.services.flatMap((s) => (s.vips ?? []).map((v) => v.addr)));
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

export interface VipGatewaysOptions {
  feed: EndpointFeed; clock: Clock; logger: Logger;
  /** pino level of the gateway children's JSON log lines on stderr. Default 'silent'. */
  logLevel?: string;
}

export class VipGateways {
  private readonly running = new Map<string, ProcessGateway>();
  private unsubscribe: (() => void) | undefined;
  private retry: Timer | undefined;
  private closed = false;

  constructor(private readonly o: VipGatewaysOptions) {}

  start(): void {
    this.unsubscribe = this.o.feed.subscribe((t) => this.sync(t));
  }

  /** VIP addresses served now. */
  addresses(): string[] { return [...this.running.keys()].sort(); }

  /** The process ID of the gateway child serving `addr` (undefined if none runs now). */
  pid(addr: string): number | undefined { return this.running.get(addr)?.pid(); }

  private sync(table: EndpointTable): void {
    if (this.closed) return;
    const wanted = vipAddresses(table);
    for (const addr of wanted) {
      if (this.running.has(addr)) continue;
      const id = `vip:${addr}`;
      const gw = createGatewayProcess({
        gateway: { id, nodeId: id, hostname: `vip-${addr}`, addr, processMetrics: false, staggerRoundRobin: true },
        source: vipSource(this.o.feed, id, addr), clock: this.o.clock, admin: false, logLevel: this.o.logLevel ?? 'silent',
        logger: this.o.logger.child({ component: 'vip-gateway', vip: addr }),
      });
      this.running.set(addr, gw);
      void gw.start().catch((err: unknown) => {
        this.o.logger.warn({ vip: addr, err: (err as Error).message }, 'VIP gateway did not start (tried again in 1 s)');
        if (this.running.get(addr) !== gw) return;
        // Forgotten, so that the next table starts it again; one comes in 1 s at the latest.
        this.running.delete(addr);
        this.retry ??= this.o.clock.setTimeout(() => { this.retry = undefined; this.sync(this.o.feed.current()); }, 1_000);
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
