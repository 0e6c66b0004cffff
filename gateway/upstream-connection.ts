/**
 * One keep-alive HTTP/1.1 connection to an upstream endpoint, one request at a time. The request
 * head goes out as one latin1 string, a body is streamed after it (RequestBodyWriter), the response is read by Node's native parser and handed to the request's
 * callbacks as it comes (the parser reads the socket's handle itself, as Node's server does; the
 * last body chunk of a read is held back so that a small response ends with one `res.end(chunk)`).
 * The connection tells its owner (the endpoint's pool) when it is free
 * again and when it is gone. Timeouts are checked by the owner on a coarse tick (`lastTick`), so
 * that a request sets no timer.
 */
import net from 'node:net';
import type { Readable } from 'node:stream';
import type { Clock, Timer } from '../lib/clock.js';
import { RequestBodyWriter } from './request-body-writer.js';
import { createResponseParser, type ResponseParser } from './response-parser.js';

export type UpstreamError = Error & { code?: string };

/** What a connection sends and whom it tells (the proxy exchange implements it). */
export interface UpstreamRequest {
  /** Request line, header lines and the empty line, latin1. */
  readonly upstreamHead: string;
  /** A body to stream after the head, or null. */
  readonly upstreamBody: Readable | null;
  /** Send the body chunked (its length is unknown). */
  readonly upstreamChunked: boolean;
  /** A HEAD request: its response has no body whatever its headers say. */
  readonly upstreamNoResponseBody: boolean;
  /** A connection is ready for the request; false withdraws it (nothing is written). */
  onUpstreamStart(conn: UpstreamConnection): boolean;
  /** The final response head (1xx are skipped). The handler may call `conn.abort` in it. */
  onUpstreamHead(status: number, statusText: string, headers: string[]): void;
  /** A body chunk; false pauses the upstream until `conn.resume(req)`. */
  onUpstreamData(chunk: Buffer): boolean;
  /** The response is complete; `last` is its last body chunk not yet given to onUpstreamData. */
  onUpstreamEnd(last: Buffer | null): void;
  /** The request failed (at most once; never after onUpstreamEnd). */
  onUpstreamError(err: UpstreamError): void;
}

/** Shared coarse time: the pools' sweeper bumps `tick`. */
export interface Ticker { tick: number }

export interface ConnectionOwner {
  readonly ticker: Ticker;
  /** The connection is connected, or done with its request and reusable. */
  released(conn: UpstreamConnection): void;
  /** The connection is gone; `connectError` when it never connected. */
  closed(conn: UpstreamConnection, connectError: UpstreamError | undefined): void;
}

/** The libuv stream under a net.Socket (what the parser consumes). */
interface StreamHandle { reading: boolean; readStart(): number; readStop(): number }

export function upstreamError(code: string, message: string): UpstreamError {
  return Object.assign(new Error(message), { code });
}

export class UpstreamConnection {
  readonly socket: net.Socket;
  /** Connected once; `dead` as soon as it is destroyed (before 'close'). */
  connected = false;
  dead = false;
  /** Coarse time of the last activity: idle since, or last progress of the request. */
  lastTick: number;
  /** How long it may stay idle (from the upstream's Keep-Alive hint), ms. */
  idleLimitMs: number;
  private readonly parser: ResponseParser;
  private req: UpstreamRequest | null = null;
  private readonly body: RequestBodyWriter;
  private headSeen = false;
  private informational = false;
  private keepAlive = true;
  private flushed: string[] | undefined;
  /** A body chunk parsed but not given to the request yet. */
  private held: Buffer | null = null;
  /** The parser reads the socket's handle; `readStopped` while the client is slower than the upstream. */
  private consumed = false;
  private readStopped = false;
  private error: UpstreamError | undefined;
  private connectTimer: Timer | undefined;
  /** The last Keep-Alive header value seen and its idle limit (upstreams repeat the same one). */
  private hintValue = '';
  private hintMs = 0;

  constructor(private readonly owner: ConnectionOwner, host: string, port: number, clock: Clock, connectTimeoutMs: number,
    private readonly defaultIdleMs: number, private readonly maxIdleMs: number) {
    this.lastTick = owner.ticker.tick;
    this.idleLimitMs = defaultIdleMs;
    this.parser = createResponseParser(this);
    const s = net.connect({ host, port, noDelay: true });
    this.socket = s;
    s.on('connect', this.onConnect);
    s.on('end', this.onEnd);
    s.on('error', this.onError);
    s.on('close', this.onClose);
    this.body = new RequestBodyWriter(s, () => { this.lastTick = this.owner.ticker.tick; });
    this.connectTimer = clock.setTimeout(() => this.destroy(upstreamError('UND_ERR_CONNECT_TIMEOUT', 'upstream connect timeout')), connectTimeoutMs);
  }

  /** True while a request is on this connection. */
  get busy(): boolean { return this.req !== null; }
  /** True once the current request's response head arrived. */
  get responding(): boolean { return this.headSeen; }

  /** Writes `req` (the connection must be connected and free). */
  send(req: UpstreamRequest): void {
    this.req = req;
    this.headSeen = false;
    this.informational = false;
    this.keepAlive = true;
    this.lastTick = this.owner.ticker.tick;
    this.socket.write(req.upstreamHead, 'latin1');
    this.body.start(req.upstreamBody, req.upstreamChunked);
  }

  /** Stops `req` (if it is still this connection's): the connection is destroyed, `req` gets `err`. */
  abort(req: UpstreamRequest, err: UpstreamError): void {
    if (this.req === req) this.destroy(err);
  }

  /** Reads again after `onUpstreamData` returned false. */
  resume(req: UpstreamRequest): void {
    if (this.req === req) this.readStart();
  }

  private readStop(): void {
    if (this.readStopped) return;
    this.readStopped = true;
    if (!this.consumed) { this.socket.pause(); return; }
    const h = this.handle();
    if (h !== undefined) { h.reading = false; h.readStop(); }
  }

  private readStart(): void {
    if (!this.readStopped) return;
    this.readStopped = false;
    if (!this.consumed) { this.socket.resume(); return; }
    const h = this.handle();
    if (h !== undefined && !this.dead) { h.reading = true; h.readStart(); }
  }

  private handle(): StreamHandle | undefined {
    return (this.socket as net.Socket & { _handle?: StreamHandle | null })._handle ?? undefined;
  }

  destroy(err?: UpstreamError): void {
    if (this.dead) return;
    this.dead = true;
    this.error ??= err;
    this.connectTimer?.cancel();
    this.socket.destroy();
  }

  private readonly onConnect = (): void => {
    this.connectTimer?.cancel();
    this.connectTimer = undefined;
    this.connected = true;
    this.lastTick = this.owner.ticker.tick;
    const h = this.handle();
    if (h !== undefined && typeof h.readStart === 'function') {
      this.parser.consume(h);
      this.consumed = true;
    } else {
      this.socket.on('data', this.onData);
    }
    if (!this.dead) this.owner.released(this);
  };

  private readonly onData = (chunk: Buffer): void => {
    this.onExecute(this.parser.execute(chunk));
  };

  /** After a read was parsed: a parse error ends the connection; a held chunk goes out now. */
  onExecute(result: number | UpstreamError): void {
    if (typeof result !== 'number') { this.destroy(result); return; }
    const held = this.held;
    if (held === null) return;
    this.held = null;
    const req = this.req;
    if (req !== null && !req.onUpstreamData(held)) this.readStop();
  }

  private readonly onEnd = (): void => {
    const r = this.parser.finish();
    if (r !== undefined) this.destroy(r);
  };

  private readonly onError = (err: UpstreamError): void => { this.error ??= err; };

  private readonly onClose = (): void => {
    this.dead = true;
    this.connectTimer?.cancel();
    if (this.consumed) { this.consumed = false; this.parser.unconsume(); }
    const req = this.req;
    this.req = null;
    this.held = null;
    this.body.detach();
    const err = this.error ?? upstreamError('UND_ERR_SOCKET', 'upstream closed the connection');
    if (req !== null) req.onUpstreamError(err);
    this.owner.closed(this, this.connected ? undefined : err);
  };

  // Parser callbacks (the parser is bound to this object).
  onHeaders(headers: string[]): void {
    if (this.flushed === undefined) this.flushed = headers.slice();
    else for (const h of headers) this.flushed.push(h);
  }

  readonly onHeadersComplete = (_maj: number, _min: number, headers: string[] | undefined, _m: unknown, _u: unknown,
    status: number, statusText: string, _upgrade: boolean, keepAlive: boolean): number => {
    const all = headers ?? this.flushed ?? [];
    this.flushed = undefined;
    const req = this.req;
    if (req === null || status === 101) {
      this.destroy(upstreamError('UND_ERR_SOCKET', req === null ? 'unexpected response from upstream' : 'unexpected protocol switch from upstream'));
      return 1;
    }
    if (status < 200) { this.informational = true; return 1; }
    this.headSeen = true;
    this.keepAlive = keepAlive;
    this.lastTick = this.owner.ticker.tick;
    this.idleLimitMs = this.idleFromHint(all);
    req.onUpstreamHead(status, statusText, all);
    return req.upstreamNoResponseBody ? 1 : 0;
  };

  onBody(chunk: Buffer): void {
    const req = this.req;
    if (req === null) return;
    this.lastTick = this.owner.ticker.tick;
    const held = this.held;
    this.held = chunk;
    if (held !== null && !req.onUpstreamData(held)) this.readStop();
  }

  onMessageComplete(): void {
    if (this.informational) { this.informational = false; this.flushed = undefined; return; }
    const req = this.req;
    if (req === null) return;
    this.req = null;
    const reusable = this.keepAlive && this.body.done && !this.dead;
    const last = this.held;
    this.held = null;
    this.flushed = undefined; // trailers (flushed at the end of a chunked body) are not forwarded
    this.body.detach();
    req.onUpstreamEnd(last);
    if (!reusable) { this.destroy(); return; }
    this.readStart();
    this.lastTick = this.owner.ticker.tick;
    this.owner.released(this);
  }

  /** The idle limit: the default, or the upstream's `Keep-Alive: timeout=N` less a second (0: do not reuse). */
  private idleFromHint(headers: string[]): number {
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (name.length !== 10 || name.toLowerCase() !== 'keep-alive') continue;
      const value = headers[i + 1]!;
      if (value !== this.hintValue) {
        const m = /timeout=(\d+)/i.exec(value);
        if (m === null) break;
        this.hintValue = value;
        this.hintMs = Number(m[1]) * 1000 - 1000;
      }
      if (this.hintMs <= 0) this.keepAlive = false;
      return Math.min(this.hintMs, this.maxIdleMs);
    }
    return this.defaultIdleMs;
  }
}
