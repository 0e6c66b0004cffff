/**
 * The UDP side of the routing mesh: one datagram socket per published UDP port on the node address.
 * A client's datagrams (by its ip:port) go to one task, picked round-robin when the flow opens,
 * through an upstream socket of its own; the task's replies on that socket are sent back to the
 * client from the published port. A flow expires after `idleMs` without datagrams; a flow whose
 * task left the table (or was ejected) picks another task on its next datagram; a draining task
 * keeps its flows until they expire (it gets no new ones).
 */
import dgram, { type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Clock, Timer } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { UpstreamEndpoint } from './endpoint-set.js';
import { isPickable } from './pick-endpoint.js';
import type { RoutedService } from './proxy-request.js';
import { UdpFlowTable } from './udp-flow-table.js';

export interface UdpOptions {
  addr: string;
  clock: Clock;
  logger: Logger;
  /** A flow with no datagram either way for this long is forgotten. Default 60 s. */
  flowIdleMs?: number;
  /** Most flows per port. Default 65536. */
  maxFlows?: number;
  /** Wait before trying again a port that failed to bind. Default 3 s. */
  bindRetryMs?: number;
  onBindError?(port: number, err: Error): void;
}

interface Flow {
  readonly client: string;
  readonly ep: UpstreamEndpoint;
  readonly upstream: Socket;
}

const DEFAULT_FLOW_IDLE_MS = 60_000;

class UdpPort {
  readonly flows: UdpFlowTable<Flow>;
  state: 'opening' | 'listening' | 'failed' = 'opening';
  private sweepTimer: Timer | undefined;
  constructor(readonly port: number, readonly socket: Socket, public svc: RoutedService, private readonly o: UdpOptions) {
    this.flows = new UdpFlowTable({ idleMs: o.flowIdleMs ?? DEFAULT_FLOW_IDLE_MS, maxFlows: o.maxFlows ?? 65_536 });
    socket.on('message', (msg, rinfo) => this.fromClient(msg, rinfo));
  }

  private fromClient(msg: Buffer, rinfo: RemoteInfo): void {
    const m = this.svc.metrics;
    const now = this.o.clock.now();
    const client = `${rinfo.address}:${rinfo.port}`;
    let flow = this.flows.lookup(client, now);
    if (flow !== undefined && !this.usable(flow.ep, now)) { this.close(flow); this.flows.remove(client); flow = undefined; }
    if (flow === undefined) {
      const expired = this.flows.remove(client);
      if (expired !== undefined) this.close(expired);
      flow = this.open(client, rinfo, now);
      if (flow === undefined) { m.udpDropped++; return; }
    }
    m.udpIn++;
    m.udpBytesIn += msg.length;
    flow.upstream.send(msg, flow.ep.port, flow.ep.addr);
  }

  /** Still in the service's endpoints and not ejected (a draining one keeps its flows). */
  private usable(ep: UpstreamEndpoint, now: number): boolean {
    return this.svc.endpoints.endpoints.includes(ep) && (ep.state === 'draining' || isPickable(ep, now));
  }

  private open(client: string, rinfo: RemoteInfo, now: number): Flow | undefined {
    const ep = this.svc.endpoints.pick(undefined, now);
    if (ep === undefined) return undefined;
    const upstream = dgram.createSocket(isIP(ep.addr) === 6 ? 'udp6' : 'udp4');
    const flow: Flow = { client, ep, upstream };
    if (!this.flows.add(client, flow, now)) { upstream.close(); return undefined; }
    upstream.on('error', () => {}); // ICMP unreachable and the like: the client retries, the flow expires
    upstream.on('message', (reply) => {
      const m = this.svc.metrics;
      m.udpOut++;
      m.udpBytesOut += reply.length;
      this.flows.touch(client, this.o.clock.now());
      this.socket.send(reply, rinfo.port, rinfo.address);
    });
    upstream.bind(0, bindAddressFor(ep.addr, this.o.addr));
    this.svc.metrics.upstreamRequest(ep.slot);
    this.scheduleSweep();
    return flow;
  }

  private scheduleSweep(): void {
    if (this.sweepTimer !== undefined) return;
    const every = Math.max(100, Math.min(this.flows.opts.idleMs, 5_000));
    this.sweepTimer = this.o.clock.setTimeout(() => {
      this.sweepTimer = undefined;
      for (const f of this.flows.sweep(this.o.clock.now())) this.close(f);
      this.svc.metrics.udpFlows = this.flows.size;
      if (this.flows.size > 0) this.scheduleSweep();
    }, every);
    this.svc.metrics.udpFlows = this.flows.size;
  }

  close(flow: Flow): void {
    try { flow.upstream.close(); } catch { /* already closed */ }
  }

  shutdown(): void {
    this.sweepTimer?.cancel();
    for (const f of this.flows.clear()) this.close(f);
    this.svc.metrics.udpFlows = 0;
    if (this.state === 'listening') this.socket.close();
    this.state = 'failed';
  }
}

/** Loopback tasks are reached from the gateway's loopback address; others from any address. */
function bindAddressFor(taskAddr: string, gatewayAddr: string): string | undefined {
  const loop = (a: string): boolean => a.startsWith('127.') || a === '::1';
  return loop(taskAddr) && loop(gatewayAddr) ? gatewayAddr : undefined;
}

export class UdpPorts {
  private readonly byPort = new Map<number, UdpPort>();
  private retryTimer: Timer | undefined;
  private wanted = new Map<number, RoutedService>();
  private closed = false;
  constructor(private readonly o: UdpOptions) {}

  /** Published UDP ports bound now, ascending. */
  ports(): number[] {
    return [...this.byPort.values()].filter((p) => p.state === 'listening').map((p) => p.port).sort((a, b) => a - b);
  }

  /** Binds exactly the ports of `wanted` (each routed to its service); resolves once every bind attempt is done. */
  sync(wanted: ReadonlyMap<number, RoutedService>): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.wanted = new Map(wanted);
    const work: Promise<void>[] = [];
    for (const [port, svc] of wanted) {
      const p = this.byPort.get(port);
      if (p !== undefined && p.state !== 'failed') p.svc = svc;
      else work.push(this.open(port, svc));
    }
    for (const [port, p] of this.byPort) if (!wanted.has(port)) { this.byPort.delete(port); p.shutdown(); }
    return Promise.all(work).then(() => undefined);
  }

  closeAll(): void {
    this.closed = true;
    this.retryTimer?.cancel();
    for (const p of this.byPort.values()) p.shutdown();
    this.byPort.clear();
  }

  private open(port: number, svc: RoutedService): Promise<void> {
    const socket = dgram.createSocket({ type: isIP(this.o.addr) === 6 ? 'udp6' : 'udp4' });
    const p = new UdpPort(port, socket, svc, this.o);
    this.byPort.set(port, p);
    return new Promise((resolve) => {
      const onError = (err: Error & { code?: string }): void => {
        p.state = 'failed';
        this.o.onBindError?.(port, err);
        this.o.logger.warn({ port, addr: this.o.addr, err: err.message, code: err.code }, 'gateway cannot bind a published UDP port (will retry)');
        try { socket.close(); } catch { /* not bound */ }
        this.scheduleRetry();
        resolve();
      };
      socket.once('error', onError);
      // exclusive: in a node:cluster worker, this worker's own socket (one worker serves UDP, so a client's flow stays in one place).
      socket.bind({ address: this.o.addr, port, exclusive: true }, () => {
        socket.off('error', onError);
        socket.on('error', (err) => this.o.logger.warn({ port, err: err.message }, 'gateway UDP socket error'));
        p.state = 'listening';
        this.o.logger.info({ port, addr: this.o.addr }, 'gateway listening (udp)');
        if (this.closed || this.byPort.get(port) !== p) p.shutdown();
        resolve();
      });
    });
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.closed) return;
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = undefined;
      for (const [port, p] of this.byPort) if (p.state === 'failed' && this.wanted.has(port)) void this.open(port, this.wanted.get(port)!);
    }, this.o.bindRetryMs ?? 3_000);
  }
}
