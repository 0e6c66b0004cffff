/**
 * A follower's proxy to the leader's API (undici): method, path, headers and body go on as they came,
 * the answer comes back streamed (NDJSON sessions, endpoint tables, events and logs flow through
 * chunk by chunk). The exchange is cut when `signal` aborts (the leader changed: the client
 * reconnects and reaches the new one).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { request, type Dispatcher } from 'undici';
import { SwarmletError } from '../errors.js';
import type { Logger } from '../logger.js';
import { FORWARDED_HEADER } from './place-request.js';

/** Headers that describe one hop, not the message (RFC 9110 §7.6.1), and the host. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'content-length']);

export interface ForwardOptions {
  /** This manager's id (sent in the forwarded-by header). */
  self: string;
  signal: AbortSignal;
  logger: Logger;
  dispatcher?: Dispatcher;
}

export async function forwardRequest(req: IncomingMessage, res: ServerResponse, leader: string, o: ForwardOptions): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
  headers[FORWARDED_HEADER] = o.self;
  const length = req.headers['content-length'];
  const hasBody = (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
  if (length !== undefined && hasBody) headers['content-length'] = length;
  const abort = new AbortController();
  const cut = () => abort.abort();
  o.signal.addEventListener('abort', cut, { once: true });
  res.once('close', cut);
  try {
    let upstream;
    try {
      upstream = await request(`${leader.replace(/\/+$/, '')}${req.url ?? '/'}`, {
        method: (req.method ?? 'GET') as 'GET', headers, ...(hasBody ? { body: req } : {}), signal: abort.signal,
        headersTimeout: 120_000, bodyTimeout: 0, ...(o.dispatcher ? { dispatcher: o.dispatcher } : {}),
      });
    } catch (err) {
      if (abort.signal.aborted && res.destroyed) return;
      throw new SwarmletError('not_leader', `the leader at ${leader} cannot be reached (${(err as Error).message}); try again`);
    }
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(upstream.headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
    const upstreamLength = upstream.headers['content-length'];
    if (typeof upstreamLength === 'string') out['content-length'] = upstreamLength;
    res.writeHead(upstream.statusCode, out);
    res.flushHeaders();
    try {
      await pipeline(upstream.body, res);
    } catch (err) {
      o.logger.debug({ err: (err as Error).message, url: req.url }, 'forwarded exchange cut');
      if (!res.destroyed) res.destroy();
    }
  } finally {
    o.signal.removeEventListener('abort', cut);
    res.off('close', cut);
  }
}
