/**
 * One server per published TCP port, bound on the node address. `sync` opens the ports that
 * appear in a table and closes (gracefully) those that left it; a port that fails to bind (for
 * instance EADDRINUSE) is logged, counted, and tried again on the next table or after a few
 * seconds.
 *
 * Each port has a mode: `http` hands every connection to the HTTP server (layer 7), `tcp` to the
 * layer-4 handler, and `auto` (the default) reads the first bytes a client sends: an HTTP/1.x
 * request line goes to the HTTP server (the bytes read are put back), anything else to layer 4;
 * a client that sends nothing within `sniffTimeoutMs` (a server-first protocol: MySQL, SMTP, SSH …
 * or a client whose process is busy) goes to layer 4 undecided: whoever speaks first then decides
 * (first-word.ts), so a late HTTP client still gets HTTP.
 */
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Clock, Timer } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { SilentClient } from './first-word.js';
import { serverOptions, type GatewayLimits } from './limits.js';
import type { ListenerState } from './proxy-request.js';
import { MAX_SNIFF_BYTES, sniffProtocol, type PortMode } from './sniff-protocol.js';

/** Default wait for a client's first bytes before a connection counts as a server-first protocol. */
export const DEFAULT_SNIFF_TIMEOUT_MS = 200;

export interface ListenerHandlers {
  request(port: number, listener: ListenerState, req: IncomingMessage, res: ServerResponse): void;
  upgrade(port: number, listener: ListenerState, req: IncomingMessage, socket: Duplex, head: Buffer): void;
  connection(socket: Socket): void;
  /**
   * A connection that is not HTTP: `head` holds the bytes read while telling (may be empty). With
   * `silent`, the client sent nothing within the sniff wait: it may still turn out to be HTTP.
   */
  tcp(port: number, socket: Socket, head: Buffer, silent?: SilentClient): void;
  clientError(err: Error & { code?: string }, socket: Duplex): void;
  bindError(port: number, err: Error & { code?: string }): void;
}

export interface ListenersOptions {
  addr: string;
  limits: GatewayLimits;
  handlers: ListenerHandlers;
  clock: Clock;
  logger: Logger;
  /** Wait before trying a failed port again. Default 3 s. */
  bindRetryMs?: number;
  /** EADDRINUSE is expected (another process serves the address): logged once per port at debug. */
  quietAddrInUse?: boolean;
  /** Longest wait for in-flight requests when a port closes. Default 10 s. */
  closeGraceMs?: number;
  /**
   * Listen non-exclusively: in a node:cluster worker the primary then owns each socket and hands
   * its connections to every worker listening on the port. Default false (this process binds).
   */
  shared?: boolean;
  /** Wait for a client's first bytes on an `auto` port before treating it as a server-first protocol. Default 200 ms. */
  sniffTimeoutMs?: number;
  /** Open layer-4 connections, closed after the close grace when their port closes. */
  l4Connections?: ReadonlySet<Socket>;
}

type ConnectionListener = (socket: Socket) => void;

const EMPTY = Buffer.alloc(0);

class PortListener implements ListenerState {
  closing = false;
  state: 'opening' | 'listening' | 'failed' = 'opening';
  /** The HTTP server's own connection handling (its parser), called for connections that are HTTP. */
  httpConnection: ConnectionListener[] = [];
  constructor(readonly port: number, readonly server: Server, public mode: PortMode) {}
}

/**
 * Closes a server gracefully: stop accepting, close idle keep-alive connections (again as
 * requests finish), and after `graceMs` close whatever is still open.
 */
export function closeServerGracefully(server: Server, clock: Clock, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    let deadline: Timer | undefined;
    let poll: Timer | undefined;
    const done = (): void => { deadline?.cancel(); poll?.cancel(); resolve(); };
    if (!server.listening) { server.closeAllConnections(); done(); return; }
    server.close(() => done());
    server.closeIdleConnections();
    const again = (): void => { server.closeIdleConnections(); poll = clock.setTimeout(again, 50); };
    poll = clock.setTimeout(again, 50);
    deadline = clock.setTimeout(() => server.closeAllConnections(), graceMs);
  });
}

export class Listeners {
  private readonly byPort = new Map<number, PortListener>();
  private wanted: ReadonlyMap<number, PortMode> = new Map();
  private retryTimer: Timer | undefined;
  private closed = false;
  private readonly bindRetryMs: number;
  /** Ports whose EADDRINUSE was logged (quietAddrInUse), until they listen. */
  private readonly inUseLogged = new Set<number>();
  private readonly closeGraceMs: number;

  constructor(private readonly opts: ListenersOptions) {
    this.bindRetryMs = opts.bindRetryMs ?? 3_000;
    this.closeGraceMs = opts.closeGraceMs ?? 10_000;
  }

  /** Published ports listening now, ascending. */
  ports(): number[] {
    return [...this.byPort.values()].filter((l) => l.state === 'listening').map((l) => l.port).sort((a, b) => a - b);
  }

  /** Listens on exactly the ports of `ports`, each in its mode (resolves once every open and close attempt is done). */
  sync(ports: ReadonlyMap<number, PortMode>): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.wanted = ports;
    const work: Promise<void>[] = [];
    for (const [port, mode] of ports) {
      const l = this.byPort.get(port);
      if (l === undefined || l.state === 'failed') work.push(this.open(port, mode));
      else l.mode = mode;
    }
    for (const [port, l] of this.byPort) if (!ports.has(port)) work.push(this.closeOne(l));
    return Promise.all(work).then(() => undefined);
  }

  /** Closes every listener gracefully (bounded by the close grace). */
  async closeAll(): Promise<void> {
    this.closed = true;
    this.retryTimer?.cancel();
    await Promise.all([...this.byPort.values()].map((l) => this.closeOne(l)));
  }

  private open(port: number, mode: PortMode): Promise<void> {
    const { handlers, limits } = this.opts;
    const server = http.createServer(serverOptions(limits));
    // No parser-side count limit (Node 20 truncates silently, Node 22+ answers 431 itself): the head
    // is bounded by maxHeaderSize, and the handler answers 431 past maxHeadersCount on every version.
    server.maxHeadersCount = 0;
    const l = new PortListener(port, server, mode);
    this.byPort.set(port, l);
    // The HTTP server's parser takes a connection only once it is known to be HTTP.
    l.httpConnection = server.listeners('connection') as ConnectionListener[];
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => this.accept(l, socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => handlers.request(port, l, req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => handlers.upgrade(port, l, req, socket, head));
    server.on('clientError', (err: Error, socket: Duplex) => handlers.clientError(err, socket));
    return new Promise((resolve) => {
      const onError = (err: Error & { code?: string }): void => {
        l.state = 'failed';
        handlers.bindError(port, err);
        if (this.opts.quietAddrInUse === true && err.code === 'EADDRINUSE') {
          if (!this.inUseLogged.has(port)) this.opts.logger.debug({ port, addr: this.opts.addr }, 'address in use: another process on this machine serves it (will retry)');
          this.inUseLogged.add(port);
        } else {
          this.opts.logger.warn({ port, addr: this.opts.addr, err: err.message, code: err.code }, 'gateway cannot listen on a published port (will retry)');
        }
        this.scheduleRetry();
        resolve();
      };
      server.once('error', onError);
      server.listen({ host: this.opts.addr, port, exclusive: this.opts.shared !== true }, () => {
        server.off('error', onError);
        server.on('error', (err) => this.opts.logger.warn({ port, err: err.message }, 'gateway listener error'));
        l.state = 'listening';
        this.inUseLogged.delete(port);
        this.opts.logger.info({ port, addr: this.opts.addr }, 'gateway listening');
        if (this.closed || !this.wanted.has(port) || this.byPort.get(port) !== l) { void this.closeOne(l).then(resolve); return; }
        resolve();
      });
    });
  }

  /** A new connection: to the HTTP server, to layer 4, or read until it is known which. */
  private accept(l: PortListener, socket: Socket): void {
    if (l.mode === 'http') { this.toHttp(l, socket); return; }
    if (l.mode === 'tcp') { this.opts.handlers.tcp(l.port, socket, EMPTY); return; }
    const chunks: Buffer[] = [];
    let size = 0;
    let decided = false;
    const decide = (final: boolean, silence = false): void => {
      const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      const kind = sniffProtocol(head, final);
      if (kind === 'more') return;
      decided = true;
      timer.cancel();
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.pause();
      if (kind === 'http') this.httpWithHead(l, socket, head);
      else if (silence && size === 0) this.opts.handlers.tcp(l.port, socket, head, this.silentClient(l, socket));
      else this.opts.handlers.tcp(l.port, socket, head);
    };
    const onData = (chunk: Buffer): void => { chunks.push(chunk); size += chunk.length; decide(size >= MAX_SNIFF_BYTES); };
    const onEnd = (): void => decide(true);
    const onError = (): void => { timer.cancel(); socket.destroy(); };
    // Timers run before the event loop polls for I/O: after a stall, bytes that arrived in time are
    // still unread when the timer fires. Deciding only after one more poll (setImmediate) reads them
    // first, so a busy gateway never takes an HTTP client for a server-first protocol.
    const timer = this.opts.clock.setTimeout(() => setImmediate(() => { if (!socket.destroyed && !decided) decide(true, true); }), this.opts.sniffTimeoutMs ?? DEFAULT_SNIFF_TIMEOUT_MS);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onError);
    socket.once('close', () => timer.cancel());
  }

  /** A connection known to be HTTP, paused, its first bytes `head` read: put back, then parsed by the HTTP server. */
  private httpWithHead(l: PortListener, socket: Socket, head: Buffer): void {
    if (head.length > 0) socket.unshift(head);
    this.toHttp(l, socket);
    socket.resume();
  }

  /** How layer 4 gives back a client that said nothing in time and then spoke HTTP. */
  private silentClient(l: PortListener, socket: Socket): SilentClient {
    return {
      sniff: (head, final) => sniffProtocol(head, final),
      toHttp: (head) => this.httpWithHead(l, socket, head),
    };
  }

  private toHttp(l: PortListener, socket: Socket): void {
    this.opts.handlers.connection(socket);
    for (const fn of l.httpConnection) fn.call(l.server, socket);
  }

  private closeOne(l: PortListener): Promise<void> {
    if (this.byPort.get(l.port) === l) this.byPort.delete(l.port);
    l.closing = true;
    if (l.state !== 'listening') return Promise.resolve();
    this.opts.logger.info({ port: l.port }, 'gateway closing a published port');
    const l4 = this.opts.l4Connections;
    if (l4 !== undefined && l4.size > 0) {
      // Layer-4 connections of this port get the close grace to finish, then are closed.
      const open = [...l4].filter((s) => s.localPort === l.port);
      if (open.length > 0) this.opts.clock.setTimeout(() => { for (const s of open) s.destroy(); }, this.closeGraceMs);
    }
    return closeServerGracefully(l.server, this.opts.clock, this.closeGraceMs);
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.closed) return;
    this.retryTimer = this.opts.clock.setTimeout(() => {
      this.retryTimer = undefined;
      const failed = [...this.byPort.values()].filter((l) => l.state === 'failed' && this.wanted.has(l.port));
      for (const l of failed) void this.open(l.port, this.wanted.get(l.port) ?? 'auto');
    }, this.bindRetryMs);
  }
}
