/**
 * One proxied HTTP request: pick an endpoint by round-robin, forward the request with its body
 * streamed (never buffered) through the endpoint's undici pool, stream the response back with
 * backpressure both ways. A failure before any response byte is retried on another endpoint when
 * the request can be replayed; after response bytes it never is. Connect failures feed passive
 * health. The exchange object is undici's dispatch handler itself (the raw-header callbacks
 * onConnect/onHeaders/onData/onComplete/onError as its methods): its header list is built once,
 * a request makes no closure and no promise, and the last body chunk is held back so that a small
 * response goes out with a single `res.end(chunk)`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { Clock } from '../lib/clock.js';
import type { ServiceEndpoints, UpstreamEndpoint } from './endpoint-set.js';
import type { ServiceMetrics } from './gateway-metrics.js';
import type { BodyFraming } from './limits.js';
import { methodIndex } from './gateway-metrics.js';
import { clientIp, forwardRequestHeaders, forwardResponseHeaders } from './hop-headers.js';
import { HEALTHY, recordConnectFailure, recordSuccess, type EjectionPolicy } from './passive-health.js';
import type { UpstreamPools } from './upstream-pools.js';
import { failureReason, isIdempotent, isRetryableError } from './upstream-failures.js';


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
/** Largest last body chunk sent as a string with the head. */
const SMALL_BODY = 4096;
/** The exchange of a response, for the one shared 'close' listener (no closure per request). */
const EXCHANGE = Symbol('swarmlet.exchange');
type ExchangeResponse = ServerResponse & { [EXCHANGE]?: ProxyExchange };
function onResponseClose(this: ExchangeResponse): void { this[EXCHANGE]?.clientClosed(); }

type UpstreamError = Error & { code?: string };
const CLIENT_CLOSED: UpstreamError = Object.freeze(Object.assign(new Error('client closed the connection'), { code: 'SWARMLET_CLIENT_CLOSED' }));
/** A request that waited in an endpoint's pool until after the endpoint turned draining: route it elsewhere. */
const ENDPOINT_DRAINED: UpstreamError = Object.freeze(Object.assign(new Error('endpoint draining'), { code: 'SWARMLET_ENDPOINT_DRAINED' }));
type Abort = (err?: Error) => void;

/** Answers with a short text/plain body. */
export function respondText(res: ServerResponse, status: number, text: string, close = false): void {
  if (res.headersSent || res.destroyed) { res.destroy(); return; }
  const body = `${text}\n`;
  if (close) res.shouldKeepAlive = false;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Proxies `req` (its body framed as checkRequest found) to an endpoint of `svc`; the response goes to `res`. */
export function proxyRequest(ctx: ProxyContext, svc: RoutedService, listener: ListenerState, req: IncomingMessage, res: ServerResponse, framing: BodyFraming): void {
  new ProxyExchange(ctx, svc, listener, req, res, framing).start();
}

class ProxyExchange implements Dispatcher.DispatchHandler {
  private readonly startedAt = performance.now();
  private readonly method: number;
  /** What undici sends: built once, reused by every attempt. */
  private readonly options: Dispatcher.DispatchOptions;
  private readonly body: IncomingMessage | null;
  private endpoint: UpstreamEndpoint | undefined;
  private abortFn: Abort | null = null;
  private resumeFn: (() => void) | null = null;
  /** The response's Content-Length (-1: none), as forwardResponseHeaders leaves it. */
  contentLength = -1;
  /** Body bytes still to come by the response's Content-Length (-1: not known). */
  private remaining = -1;
  /** The body's last chunk, received but not written yet: it goes out with `res.end`. */
  private held: Buffer | null = null;
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
    framing: BodyFraming,
  ) {
    const method = req.method!;
    this.method = methodIndex(method);
    this.body = framing === 'none' ? null : req;
    const headers = forwardRequestHeaders(req.rawHeaders, { clientIp: clientIp(req.socket.remoteAddress) });
    this.options = { path: req.url!, method, headers, body: this.body };
  }

  start(): void {
    this.svc.metrics.inFlight++;
    // undici destroys a streamed body when the upstream fails; never let that error go unhandled.
    if (this.body !== null) this.body.on('error', noop);
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
    this.abortFn = null;
    this.ctx.pools.get(ep).dispatch(this.options, this);
  }

  /** The client connection closed: before the response was complete, the request is cancelled. */
  clientClosed(): void {
    if (this.finished || this.res.writableFinished) return;
    this.clientGone = true;
    this.abortFn?.(CLIENT_CLOSED);
  }

  onConnect(abort: Abort): void {
    if (this.clientGone) { abort(CLIENT_CLOSED); return; }
    if (this.endpoint!.state !== 'active') {
      // Queued in the pool before its endpoint turned draining: nothing is sent, pick again.
      abort(ENDPOINT_DRAINED);
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
    if (ep.health !== HEALTHY) ep.health = recordSuccess(ep.health, this.ctx.clock.now());
    if (this.clientGone) return false;
    this.status = status;
    this.resumeFn = resume;
    const res = this.res;
    try {
      if (this.listener.closing) res.shouldKeepAlive = false;
      const headers = forwardResponseHeaders(rawHeaders, this);
      this.remaining = this.contentLength;
      if (statusText) res.writeHead(status, statusText, headers);
      else res.writeHead(status, headers);
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
    // The chunk that completes a Content-Length body is the last: held for `res.end(chunk)`.
    if (this.remaining > 0 && (this.remaining -= chunk.length) === 0) { this.held = chunk; return true; }
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.resumeFn!);
    return false;
  }

  onComplete(): void {
    const last = this.held;
    this.held = null;
    // A small last chunk goes out as a latin1 string (byte for byte): Node then writes the head
    // and the body with one write instead of a writev of two buffers.
    if (last === null) this.res.end();
    else if (last.length <= SMALL_BODY) this.res.end(last.toString('latin1'), 'latin1');
    else this.res.end(last);
    this.finish(this.status);
  }

  onError(err: UpstreamError): void {
    this.abortFn = null;
    this.held = null;
    if (this.finished) return;
    if (this.responded || this.clientGone) {
      // Mid-response (or the client left): the client's response cannot be completed.
      this.finish(this.clientGone ? 499 : 502);
      this.res.destroy();
      return;
    }
    if (err === ENDPOINT_DRAINED) { this.redirect(); return; }
    const ep = this.endpoint!;
    const m = this.svc.metrics;
    if (isRetryableError(err)) {
      m.connectErrors++;
      if (!this.sent) this.recordConnectFailure(ep);
      // Never sent (the connection failed): nothing reached a task, so every endpoint not tried yet
      // may be (a node that dies takes several endpoints with it, before passive health ejects
      // them); once sent, `retries` more tries at most.
      const budgetLeft = this.ctx.retries > 0 && (!this.sent || this.attempts <= this.ctx.retries);
      if (budgetLeft && this.canReplay()) {
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
    const body = this.body;
    const unread = body === null || !body.readableDidRead;
    return unread && (!this.sent || isIdempotent(this.req.method ?? ''));
  }

  private fail(status: number, text: string): void {
    // A body that was partly sent upstream leaves the client connection out of step: close it.
    const body = this.body;
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
