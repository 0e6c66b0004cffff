/**
 * Client-side limits of the gateway's listeners: Node's HTTP server options (header size, headers
 * and request timeouts against slowloris, keep-alive, never the insecure parser), the request
 * checks done again in the handler as defence in depth (header count, Content-Length together
 * with Transfer-Encoding, obfuscated Transfer-Encoding, duplicate Host), and the answer to parse
 * errors (431 for oversized headers, 408 for timeouts, 400 otherwise).
 */
import type { IncomingMessage, ServerOptions } from 'node:http';
import type { Duplex } from 'node:stream';

export interface GatewayLimits {
  /** Bytes of the request line plus headers; more gets 431 (Node's parser). */
  maxHeaderSize: number;
  /** Header fields in one request; more gets 431 (checked by the handler). */
  maxHeadersCount: number;
  /** Time to receive the complete request head; the connection is closed (408) after it. */
  headersTimeoutMs: number;
  /** Time to receive the complete request, body included. */
  requestTimeoutMs: number;
  /** Idle time of a client keep-alive connection. */
  keepAliveTimeoutMs: number;
  /** Time to connect to an upstream task. */
  upstreamConnectTimeoutMs: number;
  /** Upstream connections per task endpoint (the pool's bound). */
  maxConnectionsPerEndpoint: number;
}

export function resolveLimits(over: Partial<GatewayLimits> = {}): GatewayLimits {
  const l: GatewayLimits = {
    maxHeaderSize: over.maxHeaderSize ?? 16 * 1024,
    maxHeadersCount: over.maxHeadersCount ?? 100,
    headersTimeoutMs: over.headersTimeoutMs ?? 10_000,
    requestTimeoutMs: over.requestTimeoutMs ?? 300_000,
    keepAliveTimeoutMs: over.keepAliveTimeoutMs ?? 65_000,
    upstreamConnectTimeoutMs: over.upstreamConnectTimeoutMs ?? 3_000,
    maxConnectionsPerEndpoint: over.maxConnectionsPerEndpoint ?? 64,
  };
  // Node refuses a request timeout shorter than the headers timeout.
  if (l.requestTimeoutMs > 0 && l.requestTimeoutMs < l.headersTimeoutMs) l.requestTimeoutMs = l.headersTimeoutMs;
  return l;
}

/** Options for `http.createServer`. Node checks the timeouts every `connectionsCheckingInterval`. */
export function serverOptions(l: GatewayLimits): ServerOptions {
  return {
    maxHeaderSize: l.maxHeaderSize,
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(l.headersTimeoutMs / 4))),
    insecureHTTPParser: false,
    requireHostHeader: true,
    joinDuplicateHeaders: false,
    keepAlive: true, // TCP keep-alive on client sockets, so idle long-lived connections survive middleboxes
    keepAliveInitialDelay: 60_000,
    noDelay: true,
  };
}

export interface Rejection { status: 400 | 431; text: string }

/** How an accepted request's body is framed: none, a Content-Length, or chunked (its length unknown). */
export type BodyFraming = 'none' | 'length' | 'chunked';

/**
 * Checks the parser already makes, made again before anything is forwarded: a request that would
 * be framed differently by another HTTP implementation never reaches a task. One pass over the raw
 * headers (req.headers would build an object; only names of the right length are compared) that
 * also tells how an accepted request's body is framed.
 */
export function checkRequest(req: IncomingMessage, l: GatewayLimits): Rejection | BodyFraming {
  const raw = req.rawHeaders;
  if (raw.length / 2 > l.maxHeadersCount) return { status: 431, text: 'too many header fields' };
  let hosts = 0;
  let te: string | undefined;
  let cl = false;
  let length = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const n = name.length;
    if (n === 4) { if (name.toLowerCase() === 'host') hosts++; }
    else if (n === 14) {
      if (name.toLowerCase() === 'content-length') { cl = true; if (raw[i + 1] !== '0') length = true; }
    } else if (n === 17 && name.toLowerCase() === 'transfer-encoding') te = te === undefined ? raw[i + 1]! : `${te}, ${raw[i + 1]!}`;
  }
  if (te !== undefined) {
    if (cl) return { status: 400, text: 'both Content-Length and Transfer-Encoding' };
    if (te.trim().toLowerCase() !== 'chunked') return { status: 400, text: 'unsupported Transfer-Encoding' };
  }
  if (hosts > 1) return { status: 400, text: 'duplicate Host header' };
  return te !== undefined ? 'chunked' : length ? 'length' : 'none';
}

/** The status Node answers a parse error with. */
export function statusForClientError(code: string | undefined): 400 | 408 | 413 | 431 {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW': return 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW': return 413;
    case 'ERR_HTTP_REQUEST_TIMEOUT': return 408;
    default: return 400;
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large',
};

/** The raw answer to a parse error (the connection closes after it). */
export function clientErrorAnswer(status: number): string {
  return `HTTP/1.1 ${status} ${REASONS[status] ?? 'Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}
