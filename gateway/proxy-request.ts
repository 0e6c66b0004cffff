/**
 * One proxied HTTP request: pick an endpoint by round-robin, forward the request with its body
 * streamed (never buffered) through the endpoint's undici pool, stream the response back with
 * backpressure both ways. A failure before any response byte is retried on another endpoint when
 * the request can be replayed; after response bytes it never is. Connect failures feed passive
 * health. The exchange object is the undici dispatch handler itself, so a request allocates little.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { Clock } from '../lib/clock.js';
import type { ServiceEndpoints, UpstreamEndpoint } from './endpoint-set.js';
import type { ServiceMetrics } from './gateway-metrics.js';
import { methodIndex } from './gateway-metrics.js';
import { clientIp, forwardRequestHeaders, forwardResponseHeaders } from './hop-headers.js';
import { recordConnectFailure, recordSuccess, type EjectionPolicy } from './passive-health.js';
import type { UpstreamPools } from './upstream-pools.js';

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

const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Errors that happen before any response byte and leave the endpoint untouched by the request. */
const RETRYABLE: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED',
]);

const noop = (): void => {};

/** A request that waited in an endpoint's pool until after the endpoint turned draining. */
class EndpointDrainedError extends Error {
  readonly code = 'SWARMLET_ENDPOINT_DRAINED';
  constructor() { super('endpoint draining'); }
}

/** A short reason for a 502 body. */
export function failureReason(err: Error & { code?: string }): string {
  switch (err.code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ECONNRESET': case 'EPIPE': case 'UND_ERR_SOCKET': return 'connection reset by upstream';
    case 'ETIMEDOUT': case 'UND_ERR_CONNECT_TIMEOUT': return 'upstream connect timeout';
    case 'UND_ERR_HEADERS_TIMEOUT': return 'upstream response timeout';
    case 'EHOSTUNREACH': case 'ENETUNREACH': case 'EADDRNOTAVAIL': return 'upstream unreachable';
    default: return 'upstream error';
  }
}

export function isRetryableError(err: Error & { code?: string }): boolean {
  return err.code !== undefined && RETRYABLE.has(err.code);
}

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

/** True when the request carries a body (it is then streamed, and can be replayed only unread). */
export function hasBody(req: IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
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

class ProxyExchange implements Dispatcher.DispatchHandler {
  private readonly startedAt = performance.now();
  private readonly method: number;
  private readonly body: IncomingMessage | null;
  private readonly headers: string[];
  private endpoint: UpstreamEndpoint | undefined;
  private tried: Set<string> | undefined;
  private attempts = 0;
  private abortFn: ((err?: Error) => void) | undefined;
  private resumeFn: (() => void) | undefined;
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
    this.method = methodIndex(req.method);
    this.body = hasBody(req) ? req : null;
    this.headers = forwardRequestHeaders(req.rawHeaders, { clientIp: clientIp(req.socket.remoteAddress) });
  }

  start(): void {
    this.svc.metrics.inFlight++;
    // undici destroys a streamed body when the upstream fails; never let that error go unhandled.
    if (this.body !== null) this.body.on('error', noop);
    this.res.on('close', this.onClientClose);
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
    this.abortFn = undefined;
    this.ctx.pools.get(ep).dispatch({ path: this.req.url ?? '/', method: this.req.method ?? 'GET', headers: this.headers, body: this.body }, this);
  }

  private readonly onClientClose = (): void => {
    if (this.finished || this.res.writableFinished) return;
    this.clientGone = true;
    this.abortFn?.(new Error('client closed the connection'));
  };

  onConnect(abort: (err?: Error) => void): void {
    if (this.clientGone) { abort(new Error('client closed the connection')); return; }
    if (this.endpoint!.state !== 'active') {
      // Queued in the pool before its endpoint turned draining: nothing is sent, pick again.
      abort(new EndpointDrainedError());
      return;
    }
    this.abortFn = abort;
    this.sent = true;
    this.svc.metrics.upstreamRequest(this.endpoint!.slot);
  }

  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (status < 200) return true; // 1xx informational: not forwarded
    const ep = this.endpoint!;
    this.responded = true;
    ep.health = recordSuccess(ep.health, this.ctx.clock.now());
    if (this.clientGone) return false;
    this.status = status;
    this.resumeFn = resume;
    const res = this.res;
    try {
      if (this.listener.closing) res.shouldKeepAlive = false;
      if (statusText) res.writeHead(status, statusText, forwardResponseHeaders(rawHeaders));
      else res.writeHead(status, forwardResponseHeaders(rawHeaders));
    } catch (err) {
      // Headers Node refuses to write (invalid characters): nothing went out, so answer 502.
      this.responded = false;
      this.abortFn?.(err as Error);
      return false;
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.clientGone) return false;
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.resumeFn!);
    return false;
  }

  onComplete(): void {
    this.res.end();
    this.finish(this.status);
  }

  onError(err: Error & { code?: string }): void {
    if (this.finished) return;
    if (this.responded || this.clientGone) {
      // Mid-response (or the client left): the client's response cannot be completed.
      this.finish(this.clientGone ? 499 : 502);
      this.res.destroy();
      return;
    }
    const ep = this.endpoint!;
    const m = this.svc.metrics;
    if (err instanceof EndpointDrainedError) {
      (this.tried ??= new Set()).add(ep.taskId);
      this.attempts--; // not a failure: it does not use up a retry
      this.attempt();
      return;
    }
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
    const unread = this.body === null || !this.body.readableDidRead;
    return unread && (!this.sent || isIdempotent(this.req.method ?? ''));
  }

  private fail(status: number, text: string): void {
    // A body that was partly sent upstream leaves the client connection out of step: close it.
    const close = this.listener.closing || (this.body !== null && this.body.readableDidRead && !this.body.complete);
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
