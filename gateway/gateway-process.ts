/**
 * A node's gateway in its own child process, so that nothing the parent does (a manager busy with
 * a huge service, a stopped or dead manager, a busy agent) can delay a proxied request: the child
 * binds its own listeners and admin endpoint and holds the last endpoint table it got.
 *
 * With an EndpointSource of this process (the manager's feed), the parent relays it: it subscribes
 * (so the gateway ID joins the feed's drain barrier), sends every table down the IPC channel and
 * acks a version to the source only when the child reports that it routes by it — the zero-drop
 * drain protocol is unchanged. With a 'stream' spec the child follows the manager on its own.
 * A child that dies is started again (and fed the current table); close() drains it. If the
 * parent dies, the child sees its IPC channel disconnect, drains and exits.
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import process from 'node:process';
import { systemClock, type Clock, type Timer } from '../lib/clock.js';
import { SwarmletError } from '../lib/errors.js';
import { silentLogger, type Logger } from '../lib/logger.js';
import { ClusterRegistry } from './cluster-registry.js';
import type { Gateway } from './create-gateway.js';
import type { EndpointSource } from './endpoint-table.js';
import type { EndpointTable } from '../lib/protocol/endpoint-table.js';
import { GatewayChild, gatewayChildEntry } from './gateway-child.js';
import { WORKER_CONFIG_ENV, type FromWorker, type WorkerConfig, type WorkerGatewayOptions, type WorkerSourceSpec } from './worker-config.js';

export interface GatewayProcessOptions {
  gateway: WorkerGatewayOptions;
  /** A source of this process, relayed to the child (tables down, acks up), or one the child follows itself. */
  source: EndpointSource | WorkerSourceSpec;
  /** /metrics and /healthz, served by the child. Default false. */
  admin?: { host: string; port: number } | false;
  logger?: Logger;
  clock?: Clock;
  /** pino level of the child's JSON log lines on stderr. Default 'silent'. */
  logLevel?: string;
  /** Longest wait for the child to start. Default 30 s. */
  startTimeoutMs?: number;
  /** Wait before starting a child that died again. Default 1 s. */
  restartDelayMs?: number;
  /**
   * How much higher the child's CPU priority is than this process's (niceness lower by this much),
   * so that a parent using all the CPU it gets (a manager reconciling a huge service) does not slow
   * requests on a machine with few cores. Default 5; only where allowed (root or CAP_SYS_NICE),
   * else the child runs at this process's priority. 0: the same priority.
   */
  priorityBoost?: number;
}

export interface ProcessGateway extends Gateway {
  /** The child's process ID (undefined while it is being started again). */
  pid(): number | undefined;
}

export function createGatewayProcess(opts: GatewayProcessOptions): ProcessGateway {
  return new GatewayProcess(opts);
}

/** This process's node flags (tsx's loader when run from source) without the inspector's: a child would fight for its port, or wait for a debugger. */
function childExecArgv(): string[] {
  return process.execArgv.filter((a) => !/^--inspect(?:-brk|-wait|-port)?(?:=|$)/.test(a));
}

function isEndpointSource(s: EndpointSource | WorkerSourceSpec): s is EndpointSource {
  return typeof (s as EndpointSource).subscribe === 'function';
}

class GatewayProcess implements ProcessGateway {
  readonly registry: ClusterRegistry;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly relay: EndpointSource | undefined;
  private child: GatewayChild | undefined;
  /** The current child asked for the tables. */
  private subscribed = false;
  private latest: EndpointTable | undefined;
  private unsubscribe: (() => void) | undefined;
  private routedPorts: number[] = [];
  private admin: { host: string; port: number } | undefined;
  private restartTimer: Timer | undefined;
  private state: 'new' | 'starting' | 'running' | 'closed' = 'new';

  constructor(private readonly opts: GatewayProcessOptions) {
    this.logger = (opts.logger ?? silentLogger()).child({ component: 'gateway-process', node: opts.gateway.hostname });
    this.clock = opts.clock ?? systemClock();
    this.relay = isEndpointSource(opts.source) ? opts.source : undefined;
    this.registry = new ClusterRegistry(async () => {
      const m = await this.child?.metrics();
      return m ? [m] : [];
    });
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new SwarmletError('failed_precondition', `gateway ${this.opts.gateway.id} was already started`);
    this.state = 'starting';
    this.unsubscribe = this.relay?.subscribe(
      (table) => { this.latest = table; if (this.subscribed) this.child?.send({ swarmlet: 'table', table }); },
      (err) => this.logger.warn({ err: err.message }, 'endpoint source failed; the gateway routes by the last table'),
    );
    try {
      await this.spawn();
    } catch (err) {
      await this.close();
      throw err;
    }
    if (this.state === 'starting') this.state = 'running';
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.restartTimer?.cancel();
    await this.child?.stop((this.opts.gateway.closeGraceMs ?? 10_000) + 5_000);
    this.unsubscribe?.(); // leaves the drain barrier once the child is gone
  }

  ports(): number[] { return this.child?.connected() ? [...this.routedPorts] : []; }
  adminAddress(): { host: string; port: number } | undefined { return this.admin; }
  pid(): number | undefined { return this.child?.dead() === false ? this.child.pid : undefined; }

  private async spawn(): Promise<void> {
    const cfg: WorkerConfig = {
      gateway: this.opts.gateway,
      source: this.relay ? { kind: 'parent' } : this.opts.source as WorkerSourceSpec,
      logLevel: this.opts.logLevel ?? 'silent',
      sharedListeners: false,
      admin: this.opts.admin ?? false,
    };
    const proc = fork(gatewayChildEntry(), [], {
      execArgv: childExecArgv(), // tsx's loader when run from source
      env: { ...process.env, [WORKER_CONFIG_ENV]: JSON.stringify(cfg) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.boostPriority(proc.pid);
    this.subscribed = false;
    this.routedPorts = [];
    const child: GatewayChild = new GatewayChild(proc, {
      name: `gateway of ${this.opts.gateway.hostname}`, clock: this.clock, startTimeoutMs: this.opts.startTimeoutMs ?? 30_000,
      onMessage: (m) => this.onMessage(child, m),
      onExit: (code, signal) => this.onExit(child, code, signal),
    });
    this.child = child;
    const started = await child.started;
    this.admin = started.admin;
  }

  private boostPriority(pid: number | undefined): void {
    const boost = this.opts.priorityBoost ?? 5;
    if (pid === undefined || boost <= 0) return;
    try {
      os.setPriority(pid, Math.max(-20, os.getPriority() - boost));
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'gateway process keeps this process\'s CPU priority');
    }
  }

  private onMessage(child: GatewayChild, m: FromWorker): void {
    if (child !== this.child) return;
    if (m.swarmlet === 'subscribe') {
      this.subscribed = true;
      if (this.latest !== undefined) child.send({ swarmlet: 'table', table: this.latest });
    } else if (m.swarmlet === 'ack') {
      this.relay?.ack(this.opts.gateway.id, m.version);
    } else if (m.swarmlet === 'routed') {
      this.routedPorts = m.ports;
    }
  }

  /** A child that dies while the gateway runs is started again (after a pause, so a crash loop stays slow). */
  private onExit(child: GatewayChild, code: number | null, signal: string | null): void {
    if (this.state !== 'running' || child !== this.child) return;
    this.logger.warn({ pid: child.pid, code, signal }, 'gateway process exited; starting a new one');
    this.restartTimer = this.clock.setTimeout(() => {
      if (this.state !== 'running') return;
      this.spawn().catch((err: unknown) => this.logger.error({ err: (err as Error).message }, 'gateway process restart failed'));
    }, this.opts.restartDelayMs ?? 1_000);
  }
}
