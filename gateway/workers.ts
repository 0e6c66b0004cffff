/**
 * A multi-process gateway: N node:cluster workers, each a full gateway following the endpoint
 * source on its own (and acking with its own gateway ID), all listening on the same published
 * ports. The primary owns the listening sockets and hands connections to the workers round-robin
 * (node:cluster's default on Linux; Node 20 has no SO_REUSEPORT). The primary serves the admin
 * endpoint: /metrics sums the workers' metrics (ClusterRegistry), /healthz is ready once every
 * worker routes by a table. A worker that dies is replaced; close() drains every worker.
 */
import cluster, { type Worker } from 'node:cluster';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock } from '../lib/clock.js';
import { SwarmletError } from '../lib/errors.js';
import { silentLogger, type Logger } from '../lib/logger.js';
import { startAdminServer, type AdminServer } from './admin-server.js';
import { ClusterRegistry } from './cluster-registry.js';
import type { Gateway } from './create-gateway.js';
import {
  WORKER_CONFIG_ENV, isFromWorker, workerGatewayId, type FromWorker, type ToWorker, type WorkerConfig,
  type WorkerGatewayOptions, type WorkerSourceSpec,
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
  worker: Worker;
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

/** The worker entry next to this file (gateway-worker.ts under tsx, .js once compiled). */
function workerEntry(): string {
  const self = fileURLToPath(import.meta.url);
  return join(dirname(self), `gateway-worker${extname(self)}`);
}

class GatewayWorkers implements WorkersGateway {
  readonly registry: ClusterRegistry;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly slots = new Map<number, WorkerSlot>();
  private readonly waiting = new Map<number, (metrics: object[] | null) => void>();
  private seq = 0;
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
    cluster.setupPrimary({ exec: workerEntry(), execArgv: process.execArgv });
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
    const exits = [...this.slots.values()].map((s) => this.stopWorker(s.worker));
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
    for (const s of this.slots.values()) if (s.worker.process.pid !== undefined && !s.worker.isDead()) out.set(s.n, s.worker.process.pid);
    return out;
  }

  async workerMetrics(): Promise<Map<number, object[]>> {
    const out = new Map<number, object[]>();
    const live = this.liveSlots();
    const all = await Promise.all(live.map((s) => this.askMetrics(s)));
    live.forEach((s, i) => { const m = all[i]; if (m) out.set(s.n, m); });
    return out;
  }

  private status(): { tableVersion: number; ports: number[] } | undefined {
    const all = [...this.slots.values()];
    if (all.length < this.opts.workers || all.some((s) => s.version < 0)) return undefined;
    return { tableVersion: Math.min(...all.map((s) => s.version)), ports: this.ports() };
  }

  /** Forks worker `n`; resolves once its gateway started. */
  private fork(n: number): Promise<void> {
    const cfg: WorkerConfig = {
      gateway: { ...this.opts.gateway, id: workerGatewayId(this.opts.gateway.id, n) },
      source: this.opts.source,
      logLevel: this.opts.workerLogLevel ?? 'warn',
    };
    const worker = cluster.fork({ [WORKER_CONFIG_ENV]: JSON.stringify(cfg) });
    const slot: WorkerSlot = { n, worker, version: -1, ports: [] };
    this.slots.set(n, slot);
    return new Promise((resolve, reject) => {
      const limitMs = this.opts.startTimeoutMs ?? 30_000;
      const timer = this.clock.setTimeout(() => reject(new Error(`gateway worker ${n} did not start within ${limitMs} ms`)), limitMs);
      const settle = (err?: Error): void => { timer.cancel(); if (err) reject(err); else resolve(); };
      worker.on('message', (m: unknown) => {
        if (!isFromWorker(m)) return;
        if (m.swarmlet === 'started') settle();
        else if (m.swarmlet === 'failed') settle(new Error(`gateway worker ${n} failed: ${m.message}`));
        else this.onMessage(slot, m);
      });
      worker.once('exit', (code, signal) => {
        settle(new Error(`gateway worker ${n} exited (${signal ?? code}) while starting`));
        this.onExit(slot, worker, code, signal);
      });
    });
  }

  private onMessage(slot: WorkerSlot, m: FromWorker): void {
    if (m.swarmlet === 'routed') {
      slot.version = m.version;
      slot.ports = m.ports;
    } else if (m.swarmlet === 'metrics') {
      this.waiting.get(m.seq)?.(m.metrics);
    }
  }

  /** A worker that dies while the gateway runs is replaced (after a second, so a crash loop stays slow). */
  private onExit(slot: WorkerSlot, worker: Worker, code: number | null, signal: string | null): void {
    if (this.state !== 'started' || this.slots.get(slot.n)?.worker !== worker) return;
    this.logger.warn({ worker: slot.n, pid: worker.process.pid, code, signal }, 'gateway worker exited; starting a new one');
    this.clock.setTimeout(() => {
      if (this.state !== 'started') return;
      this.fork(slot.n).catch((err: unknown) => this.logger.error({ worker: slot.n, err: (err as Error).message }, 'gateway worker restart failed'));
    }, 1_000);
  }

  /** Asks the worker to drain and exit; kills it if it is still there after the close grace + 5 s. */
  private stopWorker(worker: Worker): Promise<void> {
    if (worker.isDead()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => worker.process.kill('SIGKILL'), (this.opts.gateway.closeGraceMs ?? 10_000) + 5_000);
      worker.once('exit', () => { timer.cancel(); resolve(); });
      if (worker.isConnected()) worker.send({ swarmlet: 'close' } satisfies ToWorker);
      else worker.process.kill('SIGTERM');
    });
  }

  /** Every live worker's metrics (a worker that does not answer within 2 s is left out). */
  private collect(): Promise<object[][]> {
    return this.workerMetrics().then((m) => [...m.values()]);
  }

  private liveSlots(): WorkerSlot[] {
    return [...this.slots.values()].filter((s) => s.worker.isConnected());
  }

  private askMetrics(s: WorkerSlot): Promise<object[] | null> {
    return new Promise((resolve) => {
      const seq = ++this.seq;
      const done = (metrics: object[] | null): void => { timer.cancel(); this.waiting.delete(seq); resolve(metrics); };
      const timer = this.clock.setTimeout(() => done(null), 2_000);
      this.waiting.set(seq, done);
      s.worker.send({ swarmlet: 'metrics', seq } satisfies ToWorker);
    });
  }
}
