/**
 * One proxied HTTP request: pick an endpoint by round-robin, forward the request with its body
 * streamed (never buffered) through the endpoint's undici pool, stream the response back with
 * backpressure both ways. A failure before any response byte is retried on another endpoint when
 * the request can be replayed; after response bytes it never is. Connect failures feed passive
 * health. The exchange object is the upstream request itself (its head string built once, its
 * callbacks methods), so a request allocates little and sets no timer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../lib/clock.js';
import type { ServiceEndpoints, UpstreamEndpoint } from './endpoint-set.js';
import type { ServiceMetrics } from './gateway-metrics.js';
import { methodIndex } from './gateway-metrics.js';
import { clientIp, forwardRequestHead, forwardResponseHeaders } from './hop-headers.js';
import { HEALTHY, recordConnectFailure, recordSuccess, type EjectionPolicy } from './passive-health.js';
import type { UpstreamConnection, UpstreamError, UpstreamRequest } from './upstream-connection.js';
import { ENDPOINT_DRAINED } from './upstream-pool.js';
import type { UpstreamPools } from './upstream-pools.js';
import { failureReason, isIdempotent, isRetryableError } from './upstream-failures.js';

export { failureReason, isIdempotent, isRetryableError } from './upstream-failures.js';

/** A service as the request path sees it. */
export interface RoutedService {
  readonly endpoints: ServiceEndpoints;
  readonly metrics: ServiceMetrics;
}

/** What every exchange of a gateway shares. */
export interface ProxyContext {
  readonly pools: UpstreamPools;
  readonly clock: Clock;
  readonly ejection: EjectionPolicy;
  /** Extra tries on another endpoint. */
  readonly retries: number;
  /** Called when passive health ejects an endpoint (logging). */
  onEjected(service: string, endpoint: UpstreamEndpoint, until: number): void;
}

/** The listener's state as an exchange needs it: once closing, responses close their connection. */
export interface ListenerState { readonly closing: boolean }

const noop = (): void => {};
/** The exchange of a response, for the one shared 'close' listener (no closure per request). */
const EXCHANGE = Symbol('swarmlet.exchange');
type ExchangeResponse = ServerResponse & { [EXCHANGE]?: ProxyExchange };
function onResponseClose(this: ExchangeResponse): void { this[EXCHANGE]?.clientClosed(); }

const CLIENT_CLOSED: UpstreamError = Object.freeze(Object.assign(new Error('client closed the connection'), { code: 'SWARMLET_CLIENT_CLOSED' }));

/** How a request's body is framed: none, a Content-Length, or chunked (its length unknown). */
export type BodyFraming = 'none' | 'length' | 'chunked';

export function bodyFraming(req: IncomingMessage): BodyFraming {
  const raw = req.rawHeaders;
  let framing: BodyFraming = 'none';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') return 'chunked';
    if (name.length === 14 && name.toLowerCase() === 'content-length' && raw[i + 1] !== '0') framing = 'length';
  }
  return framing;
}

/** True when the request carries a body (it is then streamed, and can be replayed only unread). */
export function hasBody(req: IncomingMessage): boolean {
  return bodyFraming(req) !== 'none';
}

/** Answers with a short text/plain body. */
export function respondText(res: ServerResponse, status: number, text: string, close = false): void {
  if (res.headersSent || res.destroyed) { res.destroy(); return; }
  const body = `${text}\n`;
  if (close) res.shouldKeepAlive = false;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Proxies `req` to an endpoint of `svc`; the response goes to `res`. */
export function proxyRequest(ctx: ProxyContext, svc: RoutedService, listener: ListenerState, req: IncomingMessage, res: ServerResponse): void {
  new ProxyExchange(ctx, svc, listener, req, res).start();
}

class ProxyExchange implements UpstreamRequest {
  upstreamHead: string;
  readonly upstreamBody: IncomingMessage | null;
  readonly upstreamChunked: boolean;
  readonly upstreamNoResponseBody: boolean;
  private readonly startedAt = performance.now();
  private readonly method: number;
  private endpoint: UpstreamEndpoint | undefined;
  private conn: UpstreamConnection | null = null;
  private tried: Set<string> | undefined;
  private attempts = 0;
  private sent = false;
  private responded = false;
  private clientGone = false;
  private finished = false;
  private status = 0;
  private lastFailure = '';

  constructor(
    private readonly ctx: ProxyContext,
    private readonly svc: RoutedService,
    private readonly listener: ListenerState,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    const method = req.method!;
    this.method = methodIndex(method);
    const framing = bodyFraming(req);
    this.upstreamBody = framing === 'none' ? null : req;
    this.upstreamChunked = framing === 'chunked';
    this.upstreamNoResponseBody = method === 'HEAD';
    this.upstreamHead = forwardRequestHead(method, req.url!, req.rawHeaders, clientIp(req.socket.remoteAddress), this.upstreamChunked);
  }

  start(): void {
    this.svc.metrics.inFlight++;
    // A client body is read by the upstream connection; never let its error go unhandled.
    if (this.upstreamBody !== null) this.upstreamBody.on('error', noop);
    (this.res as ExchangeResponse)[EXCHANGE] = this;
    this.res.on('close', onResponseClose);
    this.attempt();
  }

  private attempt(): void {
    const ep = this.svc.endpoints.pick(this.tried, this.ctx.clock.now());
    if (ep === undefined) {
      if (this.attempts === 0) this.fail(503, `no healthy task for service ${this.svc.endpoints.name}`);
      else this.fail(502, `bad gateway: ${this.lastFailure}`);
      return;
    }
    this.endpoint = ep;
    this.attempts++;
    this.sent = false;
    this.conn = null;
    if (this.req.httpVersionMinor === 0 && this.req.headers.host === undefined) this.upstreamHead = withHost(this.upstreamHead, ep);
    this.ctx.pools.get(ep).dispatch(this);
  }

  /** The client connection closed: before the response was complete, the request is cancelled. */
  clientClosed(): void {
    if (this.finished || this.res.writableFinished) return;
    this.clientGone = true;
    this.conn?.abort(this, CLIENT_CLOSED);
  }

  onUpstreamStart(conn: UpstreamConnection): boolean {
    if (this.clientGone) { this.onUpstreamError(CLIENT_CLOSED); return false; }
    if (this.endpoint!.state !== 'active') {
      // Queued in the pool before its endpoint turned draining: nothing is sent, pick again.
      this.redirect();
      return false;
    }
    this.conn = conn;
    this.sent = true;
    this.svc.metrics.upstreamRequest(this.endpoint!.slot);
    return true;
  }

  onUpstreamHead(status: number, statusText: string, headers: string[]): void {
    const ep = this.endpoint!;
    this.responded = true;
    if (ep.health !== HEALTHY) ep.health = recordSuccess(ep.health, this.ctx.clock.now());
    this.status = status;
    const res = this.res;
    try {
      if (this.listener.closing) res.shouldKeepAlive = false;
      if (statusText) res.writeHead(status, statusText, forwardResponseHeaders(headers));
      else res.writeHead(status, forwardResponseHeaders(headers));
    } catch (err) {
      // Headers Node refuses to write (invalid characters): nothing went out, so answer 502.
      this.responded = false;
      this.conn!.abort(this, err as Error);
    }
  }

  onUpstreamData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    this.res.once('drain', () => this.conn?.resume(this));
    return false;
  }

  onUpstreamEnd(last: Buffer | null): void {
    this.conn = null;
    if (last !== null) this.res.end(last);
    else this.res.end();
    this.finish(this.status);
  }

  onUpstreamError(err: UpstreamError): void {
    this.conn = null;
    if (this.finished) return;
    if (this.responded || this.clientGone) {
      // Mid-response (or the client left): the client's response cannot be completed.
      this.finish(this.clientGone ? 499 : 502);
      this.res.destroy();
      return;
    }
    if (err.code === ENDPOINT_DRAINED) { this.redirect(); return; }
    const ep = this.endpoint!;
    const m = this.svc.metrics;
    if (isRetryableError(err)) {
      m.connectErrors++;
      if (!this.sent) this.recordConnectFailure(ep);
      if (this.attempts <= this.ctx.retries && this.canReplay()) {
        m.retries++;
        this.lastFailure = failureReason(err);
        (this.tried ??= new Set()).add(ep.taskId);
        this.attempt();
        return;
      }
    }
    this.fail(502, `bad gateway: ${failureReason(err)}`);
  }

  /** The endpoint turned draining before the request was sent: not a failure, it uses no retry. */
  private redirect(): void {
    (this.tried ??= new Set()).add(this.endpoint!.taskId);
    this.attempts--;
    this.attempt();
  }

  private recordConnectFailure(ep: UpstreamEndpoint): void {
    const now = this.ctx.clock.now();
    const out = recordConnectFailure(ep.health, this.ctx.ejection, now);
    ep.health = out.record;
    if (out.ejected) {
      this.svc.metrics.ejections++;
      this.ctx.onEjected(this.svc.endpoints.name, ep, out.record.ejectedUntil);
    }
  }

  /** Never sent (any method), or idempotent with a body nobody has read yet. */
  private canReplay(): boolean {
    const body = this.upstreamBody;
    const unread = body === null || !body.readableDidRead;
    return unread && (!this.sent || isIdempotent(this.req.method ?? ''));
  }

  private fail(status: number, text: string): void {
    // A body that was partly sent upstream leaves the client connection out of step: close it.
    const body = this.upstreamBody;
    const close = this.listener.closing || (body !== null && body.readableDidRead && !body.complete);
    this.finish(status);
    respondText(this.res, status, text, close);
  }

  private finish(status: number): void {
    if (this.finished) return;
    this.finished = true;
    const m = this.svc.metrics;
    m.inFlight--;
    m.requestDone(this.method, status, (performance.now() - this.startedAt) / 1e3);
  }
}

/** An HTTP/1.0 request without Host: upstream (HTTP/1.1) gets the endpoint's address. */
function withHost(head: string, ep: UpstreamEndpoint): string {
  const at = head.indexOf('\r\n');
  const host = ep.addr.includes(':') ? `[${ep.addr}]:${ep.port}` : `${ep.addr}:${ep.port}`;
  return `${head.slice(0, at + 2)}Host: ${host}\r\n${head.slice(at + 2)}`;
}
