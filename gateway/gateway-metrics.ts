/**
 * The gateway's Prometheus metrics, in its own prom-client Registry. The hot path only bumps plain
 * numbers on a per-service record (and one histogram observation); the labelled series are built
 * when Prometheus scrapes. Labels are bounded: node (hostname), service (name), method (known
 * methods or `other`), code (status class), slot (replica slot), state. No task IDs, no paths.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BucketHistogram, type HistogramSeries } from './bucket-histogram.js';
import { countStates, type ServiceEndpoints } from './endpoint-set.js';

export const METHOD_LABELS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT', 'other'] as const;
export const CODE_LABELS = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
const OTHER_METHOD = METHOD_LABELS.length - 1;

export function methodIndex(method: string | undefined): number {
  switch (method) {
    case 'GET': return 0; case 'HEAD': return 1; case 'POST': return 2; case 'PUT': return 3; case 'DELETE': return 4;
    case 'PATCH': return 5; case 'OPTIONS': return 6; case 'TRACE': return 7; case 'CONNECT': return 8;
    default: return OTHER_METHOD;
  }
}

export function codeIndex(status: number): number {
  const c = Math.floor(status / 100);
  return c < 1 ? 4 : c > 5 ? 4 : c - 1;
}

const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Plain counters of one service, bumped on the hot path. */
export class ServiceMetrics {
  readonly requests = new Float64Array(METHOD_LABELS.length * CODE_LABELS.length);
  readonly upstreamBySlot = new Map<number, number>();
  inFlight = 0;
  retries = 0;
  connectErrors = 0;
  ejections = 0;
  /** Layer-4 TCP connections: accepted, open now, closed for want of an endpoint. */
  l4Connections = 0;
  l4Open = 0;
  l4Refused = 0;
  /** Layer-4 TCP bytes: client to task (in), task to client (out). */
  bytesIn = 0;
  bytesOut = 0;
  /** UDP datagrams and bytes: client to task (in), task to client (out); flows (client ip:port → task) open now. */
  udpIn = 0;
  udpOut = 0;
  udpBytesIn = 0;
  udpBytesOut = 0;
  udpFlows = 0;
  udpDropped = 0;
  constructor(readonly name: string, private readonly duration: HistogramSeries) {}

  /** A request answered (`method` from methodIndex) with its duration. */
  requestDone(method: number, status: number, seconds: number): void {
    this.requests[method * CODE_LABELS.length + codeIndex(status)]! += 1;
    this.duration.observe(seconds);
  }

  /** A request counted without a duration (upgrades: tunnels live long). */
  countRequest(method: number, status: number): void {
    this.requests[method * CODE_LABELS.length + codeIndex(status)]! += 1;
  }

  upstreamRequest(slot: number): void {
    this.upstreamBySlot.set(slot, (this.upstreamBySlot.get(slot) ?? 0) + 1);
  }
}

export interface MetricsSources {
  /** The services currently routed (for the endpoint-state gauge). */
  services(): Iterable<ServiceEndpoints>;
  now(): number;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly perServiceMetrics = new Map<string, ServiceMetrics>();
  private openConnections = 0;
  private tableVersion = 0;
  private readonly clientErrors = new Map<number, number>();
  private bindErrors = 0;
  private readonly duration: BucketHistogram;

  constructor(readonly node: string, private readonly sources: MetricsSources, opts: { processMetrics?: boolean } = {}) {
    this.duration = new BucketHistogram('swarmlet_gateway_request_duration_seconds',
      'Time from a request arriving to its response ending, by service.', DURATION_BUCKETS, this.registry);
    this.registerServiceMetrics();
    this.registerNodeMetrics();
    if (opts.processMetrics !== false) this.registerProcessMetrics();
  }

  /** A counter whose series are rebuilt from plain numbers at every scrape. */
  private counter<L extends string>(name: string, help: string, labelNames: L[], fill: (c: Counter<L>) => void): void {
    new Counter<L>({ name, help, labelNames, registers: [this.registry], collect() { this.reset(); fill(this); } });
  }

  /** `aggregator`: how the gauges of several workers (createGatewayWorkers) combine; default sum. */
  private gauge<L extends string>(name: string, help: string, labelNames: L[], fill: (g: Gauge<L>) => void, aggregator: 'sum' | 'max' | 'min' = 'sum'): void {
    new Gauge<L>({ name, help, labelNames, aggregator, registers: [this.registry], collect() { this.reset(); fill(this); } });
  }

  /** Fills node/service series from a per-service number (gauges: every service; counters: non-zero). */
  private perService(pick: (m: ServiceMetrics) => number) {
    return (m: Counter<'node' | 'service'> | Gauge<'node' | 'service'>): void => {
      for (const s of this.perServiceMetrics.values()) {
        const v = pick(s);
        if (m instanceof Gauge) m.set({ node: this.node, service: s.name }, v);
        else if (v > 0) m.inc({ node: this.node, service: s.name }, v);
      }
    };
  }

  private registerServiceMetrics(): void {
    const node = this.node;
    this.counter('swarmlet_gateway_requests_total', 'Requests answered by the gateway, by service, method and status class.',
      ['node', 'service', 'method', 'code'], (c) => {
        for (const s of this.perServiceMetrics.values()) {
          s.requests.forEach((v, i) => {
            const method = METHOD_LABELS[Math.floor(i / CODE_LABELS.length)]!;
            if (v > 0) c.inc({ node, service: s.name, method, code: CODE_LABELS[i % CODE_LABELS.length]! }, v);
          });
        }
      });
    this.gauge('swarmlet_gateway_requests_in_flight', 'Requests being proxied now, by service.', ['node', 'service'], this.perService((s) => s.inFlight));
    this.gauge('swarmlet_gateway_upstream_endpoints', 'Upstream task endpoints by state (active, draining, ejected by passive health).',
      ['node', 'service', 'state'], (g) => {
        const now = this.sources.now();
        for (const svc of this.sources.services()) {
          const counts = countStates(svc.endpoints, now);
          for (const state of ['active', 'draining', 'ejected'] as const) g.set({ node, service: svc.name, state }, counts[state]);
        }
      }, 'max');
    this.counter('swarmlet_gateway_retries_total', 'Requests sent again to another endpoint after a connect failure.',
      ['node', 'service'], this.perService((s) => s.retries));
    this.counter('swarmlet_gateway_upstream_connect_errors_total', 'Failures to connect or send to an upstream endpoint before any response byte.',
      ['node', 'service'], this.perService((s) => s.connectErrors));
    this.counter('swarmlet_gateway_ejections_total', 'Endpoints taken out of rotation by passive health.',
      ['node', 'service'], this.perService((s) => s.ejections));
    this.registerL4Metrics();
    this.counter('swarmlet_gateway_upstream_requests_total', 'Requests sent upstream, by replica slot (the spread).', ['node', 'service', 'slot'], (c) => {
      for (const s of this.perServiceMetrics.values()) for (const [slot, v] of s.upstreamBySlot) c.inc({ node, service: s.name, slot: String(slot) }, v);
    });
  }

  /** Layer 4: TCP connections that are not HTTP, and UDP datagrams. */
  private registerL4Metrics(): void {
    const node = this.node;
    this.counter('swarmlet_gateway_l4_connections_total', 'TCP connections proxied at layer 4 (not HTTP), by service.',
      ['node', 'service'], this.perService((s) => s.l4Connections));
    this.gauge('swarmlet_gateway_l4_open_connections', 'Layer-4 TCP connections open now, by service.', ['node', 'service'], this.perService((s) => s.l4Open));
    this.counter('swarmlet_gateway_l4_refused_total', 'Layer-4 TCP connections closed at once: no healthy task, or every connect attempt failed.',
      ['node', 'service'], this.perService((s) => s.l4Refused));
    this.counter('swarmlet_gateway_l4_bytes_total', 'Bytes proxied at layer 4, by service, protocol (tcp, udp) and direction (in: client to task, out: task to client).',
      ['node', 'service', 'protocol', 'direction'], (c) => {
        for (const s of this.perServiceMetrics.values()) {
          const put = (protocol: string, direction: string, v: number): void => { if (v > 0) c.inc({ node, service: s.name, protocol, direction }, v); };
          put('tcp', 'in', s.bytesIn); put('tcp', 'out', s.bytesOut); put('udp', 'in', s.udpBytesIn); put('udp', 'out', s.udpBytesOut);
        }
      });
    this.counter('swarmlet_gateway_udp_datagrams_total', 'UDP datagrams forwarded, by service and direction (in: client to task, out: task to client).',
      ['node', 'service', 'direction'], (c) => {
        for (const s of this.perServiceMetrics.values()) {
          if (s.udpIn > 0) c.inc({ node, service: s.name, direction: 'in' }, s.udpIn);
          if (s.udpOut > 0) c.inc({ node, service: s.name, direction: 'out' }, s.udpOut);
        }
      });
    this.counter('swarmlet_gateway_udp_dropped_total', 'UDP datagrams dropped (no healthy task, or the flow table is full), by service.',
      ['node', 'service'], this.perService((s) => s.udpDropped));
    this.gauge('swarmlet_gateway_udp_flows', 'UDP flows (client address to task) open now, by service.', ['node', 'service'], this.perService((s) => s.udpFlows));
  }

  private registerNodeMetrics(): void {
    const node = this.node;
    this.gauge('swarmlet_gateway_open_connections', 'Client connections open now (HTTP and upgraded).', ['node'], (g) => g.set({ node }, this.openConnections));
    this.gauge('swarmlet_gateway_table_version', 'Version of the endpoint table the gateway routes by.', ['node'], (g) => g.set({ node }, this.tableVersion), 'min');
    this.counter('swarmlet_gateway_client_errors_total', 'Connections closed for a malformed or too large request head, or a headers timeout, by status.',
      ['node', 'code'], (c) => { for (const [code, v] of this.clientErrors) c.inc({ node, code: String(code) }, v); });
    this.counter('swarmlet_gateway_listener_bind_errors_total', 'Failures to listen on a published port (retried).', ['node'], (c) => c.inc({ node }, this.bindErrors));
  }

  private registerProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry, prefix: 'swarmlet_gateway_', labels: { node: this.node } });
    // prom-client names these gauges *_total, which `promtool check metrics` rejects; the
    // per-type gauges without the suffix carry the same numbers.
    for (const n of ['active_handles_total', 'active_requests_total', 'active_resources_total']) {
      this.registry.removeSingleMetric(`swarmlet_gateway_nodejs_${n}`);
    }
  }

  /** The counters of a service (created on first use). */
  service(serviceId: string, name: string): ServiceMetrics {
    let m = this.perServiceMetrics.get(serviceId);
    if (m === undefined || m.name !== name) {
      m = new ServiceMetrics(name, this.duration.labels({ node: this.node, service: name }));
      this.perServiceMetrics.set(serviceId, m);
    }
    return m;
  }

  /** Forgets a service that left the table (its series disappear from the next scrape). */
  dropService(serviceId: string): void {
    const m = this.perServiceMetrics.get(serviceId);
    if (m === undefined) return;
    this.perServiceMetrics.delete(serviceId);
    if (![...this.perServiceMetrics.values()].some((x) => x.name === m.name)) this.duration.remove({ node: this.node, service: m.name });
  }

  connectionOpened(): void { this.openConnections++; }
  connectionClosed(): void { this.openConnections--; }
  setTableVersion(v: number): void { this.tableVersion = v; }
  clientError(status: number): void { this.clientErrors.set(status, (this.clientErrors.get(status) ?? 0) + 1); }
  bindError(): void { this.bindErrors++; }
}
