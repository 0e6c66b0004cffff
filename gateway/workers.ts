/**
 * A multi-process gateway: N node:cluster workers, each a full gateway following the endpoint
 * source on its own (and acking with its own gateway ID), all listening on the same published
 * ports. The primary owns the listening sockets and hands connections to the workers round-robin
 * (node:cluster's default on Linux; Node 20 has no SO_REUSEPORT). The primary serves the admin
 * endpoint: /metrics sums the workers' metrics (ClusterRegistry), /healthz is ready once every
 * worker routes by a table. A worker that dies is replaced; close() drains every worker.
 */
import cluster from 'node:cluster';
import { systemClock, type Clock } from '../lib/clock.js';
import { SwarmletError } from '../lib/errors.js';
import { silentLogger, type Logger } from '../lib/logger.js';
import { startAdminServer, type AdminServer } from './admin-server.js';
import { ClusterRegistry } from './cluster-registry.js';
import type { Gateway } from './create-gateway.js';
import { GatewayChild, gatewayChildEntry } from './gateway-child.js';
import {
  WORKER_CONFIG_ENV, workerGatewayId, type FromWorker, type WorkerConfig, type WorkerGatewayOptions, type WorkerSourceSpec,
} from './worker-config.js';

export interface GatewayWorkersOptions {
  /** Worker processes (at least 1). */
  workers: number;
  /** The gateway options of every worker; `id` is suffixed with `-w<n>` per worker. */
  gateway: WorkerGatewayOptions;
  source: WorkerSourceSpec;
  admin?: { host: string; port: number } | false;
  logger?: Logger;
  clock?: Clock;
  /** The workers' own log level (JSON lines on stderr). Default 'warn'. */
  workerLogLevel?: string;
  /** Longest wait for a worker to start. Default 30 s. */
  startTimeoutMs?: number;
}

interface WorkerSlot {
  readonly n: number;
  readonly child: GatewayChild;
  version: number;
  ports: number[];
}

/** A multi-process gateway, plus a per-worker view (to check how evenly the workers are used). */
export interface WorkersGateway extends Gateway {
  /** Process IDs of the running workers, by worker number. */
  workerPids(): Map<number, number>;
  /** Each running worker's own metrics (`getMetricsAsJSON`), by worker number. */
  workerMetrics(): Promise<Map<number, object[]>>;
}

export function createGatewayWorkers(opts: GatewayWorkersOptions): WorkersGateway {
  return new GatewayWorkers(opts);
}

class GatewayWorkers implements WorkersGateway {
  readonly registry: ClusterRegistry;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly slots = new Map<number, WorkerSlot>();
  private admin: AdminServer | undefined;
  private state: 'new' | 'started' | 'closed' = 'new';

  constructor(private readonly opts: GatewayWorkersOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new SwarmletError('invalid_argument', `workers: must be a whole number ≥ 1, got ${opts.workers}`);
    this.logger = (opts.logger ?? silentLogger()).child({ component: 'gateway-workers', node: opts.gateway.hostname });
    this.clock = opts.clock ?? systemClock();
    this.registry = new ClusterRegistry(() => this.collect());
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new SwarmletError('failed_precondition', `gateway ${this.opts.gateway.id} was already started`);
    this.state = 'started';
    cluster.setupPrimary({ exec: gatewayChildEntry(), execArgv: process.execArgv });
    try {
      await Promise.all(Array.from({ length: this.opts.workers }, (_, i) => this.fork(i + 1)));
    } catch (err) {
      await this.close();
      throw err;
    }
    const admin = this.opts.admin;
    if (admin) {
      this.admin = await startAdminServer({
        host: admin.host, port: admin.port, registry: this.registry, clock: this.clock, logger: this.logger,
        status: () => this.status(),
      });
    }
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const killAfterMs = (this.opts.gateway.closeGraceMs ?? 10_000) + 5_000;
    const exits = [...this.slots.values()].map((s) => s.child.stop(killAfterMs));
    await Promise.all([...exits, this.admin?.close()]);
    this.slots.clear();
  }

  /** Ports every worker listens on. */
  ports(): number[] {
    const all = [...this.slots.values()];
    if (all.length === 0) return [];
    return all[0]!.ports.filter((p) => all.every((s) => s.ports.includes(p))).sort((a, b) => a - b);
  }

  adminAddress(): { host: string; port: number } | undefined { return this.admin?.address(); }

  workerPids(): Map<number, number> {
    const out = new Map<number, number>();
    for (const s of this.slots.values()) if (s.child.pid !== undefined && !s.child.dead()) out.set(s.n, s.child.pid);
    return out;
  }

  async workerMetrics(): Promise<Map<number, object[]>> {
    const out = new Map<number, object[]>();
    const live = this.liveSlots();
    const all = await Promise.all(live.map((s) => s.child.metrics()));
    live.forEach((s, i) => { const m = all[i]; if (m) out.set(s.n, m); });
    return out;
  }

  private status(): { tableVersion: number; ports: number[] } | undefined {
    const all = [...this.slots.values()];
    if (all.length < this.opts.workers || all.some((s) => s.version < 0)) return undefined;
    return { tableVersion: Math.min(...all.map((s) => s.version)), ports: this.ports() };
  }

  /** Forks worker `n`; resolves once its gateway started. */
  private async fork(n: number): Promise<void> {
    const cfg: WorkerConfig = {
      // One worker serves the UDP ports: a client's datagrams all reach the same flow table.
      gateway: { ...this.opts.gateway, id: workerGatewayId(this.opts.gateway.id, n), udp: this.opts.gateway.udp !== false && n === 1 },
      source: this.opts.source,
      logLevel: this.opts.workerLogLevel ?? 'warn',
    };
    const worker = cluster.fork({ [WORKER_CONFIG_ENV]: JSON.stringify(cfg) });
    const child = new GatewayChild(worker.process, {
      name: `gateway worker ${n}`, clock: this.clock, startTimeoutMs: this.opts.startTimeoutMs ?? 30_000,
      onMessage: (m) => this.onMessage(slot, m),
      onExit: (code, signal) => this.onExit(slot, code, signal),
    });
    const slot: WorkerSlot = { n, child, version: -1, ports: [] };
    this.slots.set(n, slot);
    await slot.child.started;
  }

  private onMessage(slot: WorkerSlot, m: FromWorker): void {
    if (m.swarmlet === 'routed') {
      slot.version = m.version;
      slot.ports = m.ports;
    }
  }

  /** A worker that dies while the gateway runs is replaced (after a second, so a crash loop stays slow). */
  private onExit(slot: WorkerSlot, code: number | null, signal: string | null): void {
    if (this.state !== 'started' || this.slots.get(slot.n) !== slot) return;
    this.logger.warn({ worker: slot.n, pid: slot.child.pid, code, signal }, 'gateway worker exited; starting a new one');
    this.clock.setTimeout(() => {
      if (this.state !== 'started') return;
      this.fork(slot.n).catch((err: unknown) => this.logger.error({ worker: slot.n, err: (err as Error).message }, 'gateway worker restart failed'));
    }, 1_000);
  }

  /** Every live worker's metrics (a worker that does not answer within 2 s is left out). */
  private collect(): Promise<object[][]> {
    return this.workerMetrics().then((m) => [...m.values()]);
  }

  private liveSlots(): WorkerSlot[] {
    return [...this.slots.values()].filter((s) => s.child.connected());
  }
}
