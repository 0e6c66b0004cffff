/**
 * The gateway of one node: follows the endpoint table from an EndpointSource, listens on every
 * published port on the node address, proxies each request to a task of the port's service, and
 * acknowledges every table once it routes by it (from then on no new request goes to an endpoint
 * that the table marks draining).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { systemClock, type Clock, type Timer } from '../lib/clock.js';
import { SwarmletError } from '../lib/errors.js';
import { silentLogger, type Logger } from '../lib/logger.js';
import { startAdminServer, type AdminServer } from './admin-server.js';
import type { EndpointSource } from './endpoint-table.js';
import type { EndpointTable } from '../lib/protocol/endpoint-table.js';
import { ServiceEndpoints, type UpstreamEndpoint } from './endpoint-set.js';
import { GatewayMetrics, methodIndex, type ServiceMetrics } from './gateway-metrics.js';
import { checkRequest, clientErrorAnswer, resolveLimits, statusForClientError, type GatewayLimits } from './limits.js';
import { DEFAULT_LINGER, closeAfterAnswers, lingerOnClose, lingeredTooLong, type Lingering } from './lingering-close.js';
import type { SilentClient } from './first-word.js';
import { proxyConnection, DEFAULT_L4_IDLE_TIMEOUT_MS, type L4Context } from './l4-proxy.js';
import { Listeners } from './listeners.js';
import { defaultEjectionPolicy } from './passive-health.js';
import { proxyRequest, respondText, type ListenerState, type RoutedService } from './proxy-request.js';
import { proxyUpgrade, respondRaw, type UpgradeContext } from './upgrade.js';
import { portModeOf, type PortMode } from './sniff-protocol.js';
import { UdpPorts } from './udp-ports.js';
import { UpstreamPools } from './upstream-pools.js';

export interface GatewayOptions {
  /** This gateway's identity for acks (the node ID). */
  id: string;
  nodeId: string;
  hostname: string;
  /** Node address: listeners bind published ports here. */
  addr: string;
  source: EndpointSource;
  /** /metrics + /healthz; default false. */
  admin?: { host: string; port: number } | false;
  logger?: Logger;
  /** Drives ejection backoffs, bind retries and close deadlines. */
  clock?: Clock;
  limits?: Partial<GatewayLimits>;
  ejection?: { consecutiveFailures?: number; backoffMs?: number; maxBackoffMs?: number };
  /** Extra tries on another endpoint after a request may have reached a task, default 2 (one that never reached one tries every endpoint); 0: none at all. */
  retries?: number;
  /** Start each service's round-robin at a point derived from this gateway's id (so that the gateways of a cluster don't all begin on the same task). Default false. */
  staggerRoundRobin?: boolean;
  /** Longest wait for in-flight requests when closing (the gateway or a port). Default 10 s. */
  closeGraceMs?: number;
  /** Wait before trying again a port that failed to bind. Default 3 s. */
  bindRetryMs?: number;
  /**
   * A port in use (EADDRINUSE) is expected: another process on this machine serves the address (a
   * VIP gateway). Logged once per port at debug instead of a warning at every retry. Default false.
   */
  quietAddrInUse?: boolean;
  /** Process/runtime metrics (prefixed swarmlet_gateway_) in the registry. Default true. */
  processMetrics?: boolean;
  /** Listen as a node:cluster worker sharing the primary's sockets (see createGatewayWorkers). Default false. */
  sharedListeners?: boolean;
  /** Wait for a client's first bytes on a TCP port without an app protocol before connecting it at layer 4 (server-first protocols). Default 200 ms. */
  sniffTimeoutMs?: number;
  /** Close a layer-4 TCP connection after this long without a byte either way. Default one hour; 0: never. */
  l4IdleTimeoutMs?: number;
  /** Forget a UDP client's flow (its task affinity) after this long without a datagram. Default 60 s. */
  udpFlowIdleMs?: number;
  /** Serve published UDP ports. Default true (a multi-process gateway serves them in one worker). */
  udp?: boolean;
  /** Called once the listeners match a table just applied (its version, the ports listening). */
  onRouted?(version: number, ports: number[]): void;
}

export interface Gateway {
  /** Subscribes to the source, opens listeners (and admin). */
  start(): Promise<void>;
  /** Stop accepting, finish in-flight, close pools. */
  close(): Promise<void>;
  /** prom-client, this gateway's own (never the global one). */
  readonly registry: Registry;
  /** Published TCP ports currently listening. */
  ports(): number[];
  /** Published UDP ports currently bound. */
  udpPorts?(): number[];
  adminAddress(): { host: string; port: number } | undefined;
}

export function createGateway(opts: GatewayOptions): Gateway {
  return new NodeGateway(opts);
}

class RouteEntry implements RoutedService {
  constructor(readonly endpoints: ServiceEndpoints, public metrics: ServiceMetrics) {}
}

class NodeGateway implements Gateway {
  readonly registry: Registry;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly limits: GatewayLimits;
  private readonly metrics: GatewayMetrics;
  private readonly pools: UpstreamPools;
  private readonly listeners: Listeners;
  private readonly ctx: UpgradeContext;
  private readonly l4: L4Context;
  private readonly udp: UdpPorts | undefined;
  private services = new Map<string, RouteEntry>();
  private byPort = new Map<number, RouteEntry>();
  private version = -1;
  private sourceFailed = false;
  private unsubscribe: (() => void) | undefined;
  private admin: AdminServer | undefined;
  private pendingSync: Promise<void> = Promise.resolve();
  private state: 'new' | 'started' | 'closed' = 'new';
  /**
   * Client connections on which a request was rejected: the requests pipelined behind it are
   * never answered, and the connection closes once the answers before it and the rejection are out.
   */
  private readonly poisoned = new WeakMap<Socket, Lingering>();
  /** Client connections whose parser failed (Node reports the error again for every later chunk). */
  private readonly failedParsers = new WeakSet<Duplex>();

  constructor(private readonly opts: GatewayOptions) {
    this.logger = (opts.logger ?? silentLogger()).child({ component: 'gateway', node: opts.hostname });
    this.clock = opts.clock ?? systemClock();
    this.limits = resolveLimits(opts.limits);
    this.metrics = new GatewayMetrics(opts.hostname, {
      services: () => [...this.services.values()].map((s) => s.endpoints),
      now: () => this.clock.now(),
    }, { processMetrics: opts.processMetrics !== false });
    this.registry = this.metrics.registry;
    this.pools = new UpstreamPools(this.limits, this.logger);
    this.ctx = {
      pools: this.pools,
      clock: this.clock,
      ejection: defaultEjectionPolicy(opts.ejection),
      retries: Math.max(0, opts.retries ?? 2),
      connectTimeoutMs: this.limits.upstreamConnectTimeoutMs,
      tunnels: new Set<Duplex>(),
      onEjected: (service: string, e: UpstreamEndpoint, until: number) => this.logger.warn(
        { service, taskId: e.taskId, endpoint: `${e.addr}:${e.port}`, forMs: until - this.clock.now() },
        'endpoint ejected after connect failures'),
    };
    this.l4 = {
      ...this.ctx, idleTimeoutMs: Math.max(0, opts.l4IdleTimeoutMs ?? DEFAULT_L4_IDLE_TIMEOUT_MS), connections: new Set(),
    };
    this.udp = opts.udp === false ? undefined : new UdpPorts({
      addr: opts.addr, clock: this.clock, logger: this.logger, flowIdleMs: opts.udpFlowIdleMs, bindRetryMs: opts.bindRetryMs,
      onBindError: () => this.metrics.bindError(),
    });
    this.listeners = new Listeners({
      addr: opts.addr, limits: this.limits, clock: this.clock, logger: this.logger,
      closeGraceMs: opts.closeGraceMs, bindRetryMs: opts.bindRetryMs, shared: opts.sharedListeners === true, quietAddrInUse: opts.quietAddrInUse,
      sniffTimeoutMs: opts.sniffTimeoutMs, l4Connections: this.l4.connections,
      handlers: {
        tcp: (port, socket, head, silent) => this.onTcp(port, socket, head, silent),
        request: (port, l, req, res) => this.onRequest(port, l, req, res),
        upgrade: (port, l, req, socket, head) => this.onUpgrade(port, l, req, socket, head),
        connection: (socket) => this.onConnection(socket),
        clientError: (err, socket) => this.onClientError(err, socket),
        bindError: () => this.metrics.bindError(),
      },
    });
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new SwarmletError('failed_precondition', `gateway ${this.opts.id} was already started`);
    this.state = 'started';
    const admin = this.opts.admin;
    if (admin) {
      this.admin = await startAdminServer({
        host: admin.host, port: admin.port, registry: this.registry, clock: this.clock, logger: this.logger,
        status: () => (this.version < 0 ? undefined : { tableVersion: this.version, ports: this.ports() }),
      });
    }
    this.unsubscribe = this.opts.source.subscribe(
      (table) => this.applyTable(table),
      (err) => {
        this.sourceFailed = true;
        this.logger.warn({ err: err.message }, 'endpoint table source failed; routing by the last table');
      },
    );
    await this.pendingSync;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.unsubscribe?.();
    this.udp?.closeAll();
    await this.listeners.closeAll();
    for (const t of this.ctx.tunnels) t.destroy();
    this.ctx.tunnels.clear();
    for (const c of this.l4.connections) c.destroy();
    this.l4.connections.clear();
    let timer: Timer | undefined;
    const grace = new Promise<void>((resolve) => { timer = this.clock.setTimeout(resolve, Math.min(this.opts.closeGraceMs ?? 10_000, 5_000)); });
    await Promise.all([this.pools.closeAll(grace), this.admin?.close()]);
    timer?.cancel();
  }

  ports(): number[] { return this.listeners.ports(); }
  udpPorts(): number[] { return this.udp?.ports() ?? []; }
  adminAddress(): { host: string; port: number } | undefined { return this.admin?.address(); }

  /** Applies a table in one synchronous step, then acks it. */
  private applyTable(table: EndpointTable): void {
    if (this.state !== 'started') return;
    if (table.version < this.version) {
      // Versions only grow, except from a manager that restarted without its state: accept a lower
      // one only after the source reported a failure (it reconnected), never out of order.
      if (!this.sourceFailed) return;
      this.logger.info({ from: this.version, to: table.version }, 'endpoint table version went back after a source failure');
    }
    this.sourceFailed = false;
    const services = new Map<string, RouteEntry>();
    const byPort = new Map<number, RouteEntry>();
    const modes = new Map<number, PortMode>();
    const udpByPort = new Map<number, RouteEntry>();
    for (const route of table.services) {
      let entry = this.services.get(route.serviceId);
      if (entry === undefined) entry = new RouteEntry(new ServiceEndpoints(route.serviceId, route.name, this.opts.staggerRoundRobin ? startOffset(this.opts.id, route.serviceId) : 0), this.metrics.service(route.serviceId, route.name));
      else if (entry.metrics.name !== route.name) entry.metrics = this.metrics.service(route.serviceId, route.name);
      const change = entry.endpoints.apply(route);
      for (const e of change.removed) this.pools.retire(e.key);
      for (const e of change.drained) this.pools.retire(e.key);
      services.set(route.serviceId, entry);
      for (const p of route.ports) {
        if (p.protocol === 'tcp' && !byPort.has(p.published)) { byPort.set(p.published, entry); modes.set(p.published, portModeOf(p.appProtocol)); }
        if (p.protocol === 'udp' && !udpByPort.has(p.published)) udpByPort.set(p.published, entry);
      }
    }
    for (const [id, old] of this.services) {
      if (services.has(id)) continue;
      for (const e of old.endpoints.endpoints) this.pools.retire(e.key);
      this.metrics.dropService(id);
    }
    this.services = services;
    this.byPort = byPort;
    this.version = table.version;
    this.metrics.setTableVersion(table.version);
    const onRouted = this.opts.onRouted;
    this.pendingSync = Promise.all([this.listeners.sync(modes), this.udp?.sync(udpByPort)]).then(() => undefined);
    if (onRouted !== undefined) void this.pendingSync.then(() => onRouted(table.version, this.ports()));
    this.opts.source.ack(this.opts.id, table.version);
  }

  private onRequest(port: number, l: ListenerState, req: IncomingMessage, res: ServerResponse): void {
    const lingering = this.poisoned.get(req.socket);
    if (lingering !== undefined) {
      if (lingeredTooLong(req.socket, lingering, DEFAULT_LINGER)) req.socket.destroy();
      return;
    }
    const entry = this.byPort.get(port);
    if (entry === undefined) { respondText(res, 503, `no service published on port ${port}`, l.closing); return; }
    const checked = checkRequest(req, this.limits);
    if (typeof checked !== 'string') {
      // The connection is out of step (its next "request" may be a smuggled one): answer after the
      // requests before it are answered, then close it, ignoring whatever else it sends.
      const socket = req.socket;
      this.poisoned.set(socket, lingerOnClose(socket, this.clock, DEFAULT_LINGER));
      entry.metrics.countRequest(methodIndex(req.method), checked.status);
      respondText(res, checked.status, checked.text, true);
      res.once('finish', () => socket.destroySoon());
      return;
    }
    proxyRequest(this.ctx, entry, l, req, res, checked);
  }

  /**
   * A request Node's parser refused (or a timeout, or a transport error): the requests before it
   * are answered, then the error's status, then the connection closes. Node reports every later
   * chunk of a connection whose parser failed again: only the first counts.
   */
  private onClientError(err: Error & { code?: string }, socket: Duplex): void {
    // A connection already rejected (lingering) has had its answer: what it sends next is ignored.
    if (this.failedParsers.has(socket) || this.poisoned.has(socket as Socket)) return;
    this.failedParsers.add(socket);
    const status = statusForClientError(err.code);
    this.metrics.clientError(status);
    if (err.code === 'ECONNRESET' || !(socket instanceof Socket) || !socket.writable) { socket.destroy(); return; }
    closeAfterAnswers(socket, clientErrorAnswer(status), this.clock, DEFAULT_LINGER);
  }

  private onUpgrade(port: number, l: ListenerState, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const entry = this.byPort.get(port);
    if (entry === undefined || l.closing) { respondRaw(socket, 503, `no service published on port ${port}`); return; }
    const checked = checkRequest(req, this.limits);
    if (typeof checked !== 'string') { respondRaw(socket, checked.status, checked.text); return; }
    proxyUpgrade(this.ctx, entry, req, socket, head);
  }

  /** A TCP connection that is not HTTP: layer 4 to a task of the port's service. */
  private onTcp(port: number, socket: Socket, head: Buffer, silent?: SilentClient): void {
    const entry = this.byPort.get(port);
    if (entry === undefined || this.state !== 'started') { socket.destroy(); return; }
    proxyConnection(this.l4, entry, socket, head, silent);
  }

  private onConnection(socket: Socket): void {
    this.metrics.connectionOpened();
    socket.once('close', () => this.metrics.connectionClosed());
  }
}

/** A stable per-gateway, per-service starting point for the round-robin (a small string hash). */
function startOffset(gatewayId: string, serviceId: string): number {
  let h = 0;
  for (const c of gatewayId + serviceId) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}
