/** The client's transport: JSON requests and byte streams over one undici Pool. */
import { Pool } from 'undici';
import { apiErrorFromBody, ConnectionError } from './api-error.js';
import { ERROR_FIELD_HEADER } from '../errors.js';
import { bearerHeader, type ClientTlsOptions } from './tls-dispatcher.js';

/** How the client authenticates: TLS trust for https origins, and the client token. */
export interface HttpAuthOptions {
  tls?: ClientTlsOptions;
  /** Sent as `Authorization: Bearer <token>` on every request. */
  token?: string;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'DELETE';
  path: string;
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Uint8Array> & { text(): Promise<string>; dump(): Promise<void> };
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT', 'EPIPE',
  // TLS: the server's certificate is not trusted or does not match the host
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED', 'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER',
]);

function errorCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; cause?: { code?: unknown } };
  if (typeof err?.code === 'string' && CONNECT_CODES.has(err.code)) return err.code;
  if (typeof err?.cause?.code === 'string' && CONNECT_CODES.has(err.cause.code)) return err.cause.code;
  return undefined;
}

export function buildPath(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs === '' ? path : `${path}?${qs}`;
}

/** Encodes a reference (ID, name, `name:tag`) as one path segment; `:` and `@` stay readable. */
export function segment(ref: string): string {
  return encodeURIComponent(ref).replace(/%3A/gi, ':').replace(/%40/g, '@');
}

export class Http {
  readonly origin: string;
  private readonly pool: Pool;
  private readonly auth: Record<string, string>;

  constructor(origin: string, opts: HttpAuthOptions = {}) {
    this.origin = origin;
    this.auth = bearerHeader(opts.token);
    const ca = opts.tls?.ca;
    this.pool = new Pool(origin, { connections: 8, headersTimeout: 120_000, bodyTimeout: 0, ...(ca !== undefined ? { connect: { ca } } : {}) });
  }

  /** Sends a request; non-2xx answers become ApiError, unreachable hosts ConnectionError. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const headers: Record<string, string> = { 'user-agent': 'swarmlet-cli', ...this.auth };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
    let res;
    try {
      res = await this.pool.request({ method: req.method, path: buildPath(req.path, req.query), headers, body, signal: req.signal });
    } catch (e) {
      const code = errorCode(e);
      if (code !== undefined) throw new ConnectionError(this.origin, code);
      throw e;
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, headers: res.headers, body: res.body };
    const text = await res.body.text();
    const first = (k: string) => { const v = res.headers[k]; return Array.isArray(v) ? v[0] : v; };
    const field = first(ERROR_FIELD_HEADER);
    throw apiErrorFromBody(res.statusCode, first('content-type'), text, field === undefined ? undefined : decodeURIComponent(field));
  }

  /** A request whose answer is JSON (an empty body gives undefined). */
  async json<T>(req: HttpRequest): Promise<T> {
    const res = await this.send(req);
    const text = await res.body.text();
    return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
  }

  /** A request whose answer body is ignored. */
  async empty(req: HttpRequest): Promise<void> {
    const res = await this.send(req);
    await res.body.dump();
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
