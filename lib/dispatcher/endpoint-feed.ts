import type { EndpointSource } from '../../gateway/endpoint-table.js';
import type { EndpointTable } from '../protocol/endpoint-table.js';
import { sleep, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { Service, Task } from '../model/types.js';
import type { Store, StoreEvent } from '../store/store.js';
import { buildEndpointTable, isActiveIn, sameRoutes } from './build-endpoint-table.js';

export interface EndpointFeedOptions {
  store: Store;
  clock: Clock;
  logger?: Logger;
  /** Longest a stopping task waits for the gateways' acknowledgements (default 5 s). */
  drainTimeoutMs?: number;
}

/**
 * The manager's endpoint feed: recomputes the routing table on every store change, publishes a
 * new version to subscribed gateways when it changed, collects their acks, and offers the drain
 * barrier that an agent awaits before it signals a task to stop.
 */
export class EndpointFeed implements EndpointSource {
  private table: EndpointTable = { version: 0, services: [] };
  private readonly subscribers = new Set<(t: EndpointTable) => void>();
  /** Gateway ID → the newest table version it routes by. */
  private readonly acks = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly drainTimeoutMs: number;
  private unwatch: (() => void) | undefined;
  private scheduled = false;

  constructor(private readonly o: EndpointFeedOptions) {
    this.clock = o.clock;
    this.logger = o.logger ?? silentLogger();
    this.drainTimeoutMs = o.drainTimeoutMs ?? 5000;
  }

  start(): void {
    this.recompute();
    this.unwatch = this.o.store.watch((events) => {
      if (events.some(changesRoutes)) this.schedule();
    });
  }

  stop(): void {
    this.unwatch?.();
    this.subscribers.clear();
    this.acks.clear();
    this.wake();
  }

  current(): EndpointTable { return this.table; }

  /** Gateways currently subscribed, with the version each acknowledged. */
  gateways(): Map<string, number> { return new Map(this.acks); }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => { this.scheduled = false; this.recompute(); });
  }

  private recompute(): void {
    const next = this.o.store.view((tx) => {
      // Only the tasks of services that publish ports or have a VIP can be routed to: a huge
      // service that does neither costs nothing here.
      const services = tx.listServices();
      const tasks = services.filter(publishesPorts).flatMap((s) => tx.tasksOfService(s.ID));
      return buildEndpointTable(services, tasks, tx.listNodes(), tx.index());
    });
    if (sameRoutes(next, this.table)) return;
    this.table = next;
    for (const s of [...this.subscribers]) {
      try { s(next); } catch (err) { this.logger.error({ err }, 'endpoint subscriber failed'); }
    }
    this.wake();
  }

  subscribe(onTable: (table: EndpointTable) => void): () => void {
    this.subscribers.add(onTable);
    onTable(this.table);
    return () => { this.subscribers.delete(onTable); };
  }

  /** A gateway joins the barrier (it must ack before tasks are stopped); returns its leave function. */
  register(gatewayId: string): () => void {
    this.acks.set(gatewayId, this.acks.get(gatewayId) ?? 0);
    return () => { this.acks.delete(gatewayId); this.wake(); };
  }

  ack(gatewayId: string, version: number): void {
    if (!this.acks.has(gatewayId)) return;
    if (version > (this.acks.get(gatewayId) ?? 0)) this.acks.set(gatewayId, version);
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private nextChange(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => { this.waiters.delete(done); resolve(); };
      this.waiters.add(done);
    });
  }

  /**
   * Resolves once no registered gateway will send the task new requests: the published table no
   * longer lists it as active and every gateway has acknowledged that version — or after the
   * drain timeout, whichever comes first. Returns whether the gateways confirmed.
   */
  async drained(taskId: string): Promise<boolean> {
    const deadline = this.clock.now() + this.drainTimeoutMs;
    const timeout = new AbortController();
    const timer = sleep(this.clock, this.drainTimeoutMs, timeout.signal).then(() => 'timeout' as const);
    try {
      for (;;) {
        const version = this.table.version;
        const confirmed = !isActiveIn(this.table, taskId) && [...this.acks.values()].every((v) => v >= version);
        if (confirmed) return true;
        if (this.clock.now() >= deadline) break;
        if (await Promise.race([this.nextChange().then(() => 'change' as const), timer]) === 'timeout') break;
      }
      this.logger.warn({ task: taskId, gateways: [...this.acks.entries()] }, 'drain timeout: stopping the task without every gateway confirmation');
      return false;
    } finally {
      timeout.abort();
      this.wake();
    }
  }
}

/** Whether gateways route to the service: it publishes ports or has a virtual IP on a network. */
function publishesPorts(s: Service): boolean {
  return (s.Endpoint?.Ports?.length ?? 0) > 0 || (s.Spec.EndpointSpec?.Ports?.length ?? 0) > 0
    || (s.Endpoint?.VirtualIPs?.length ?? 0) > 0;
}

/** Whether a store change can change the routing table (a task that never ran with an endpoint cannot). */
function changesRoutes(e: StoreEvent): boolean {
  if (e.kind === 'image') return false;
  if (e.kind !== 'task') return true;
  const routable = (t: Task | undefined) => t !== undefined && (t.Status.State === 'running' || t.Endpoint !== undefined);
  return routable(e.object as Task) || routable(e.old as Task | undefined);
}
