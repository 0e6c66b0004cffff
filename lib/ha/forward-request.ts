/**
 * A follower's proxy to the leader's API (undici): method, path, headers and body go on as they came,
 * the answer comes back streamed (NDJSON sessions, endpoint tables, events and logs flow through
 * chunk by chunk). The exchange is cut when `signal` aborts (the leader changed). A streamed answer
 * cut that way, or by the leader's death, ENDS cleanly (the terminating chunk), exactly as a local
 * stream ends at a change of leader: `docker events` or `service logs -f` asked of a follower exit
 * instead of hanging or reporting a broken connection, and nodes and gateways reconnect (to the new
 * leader). An answer of known length cut short is destroyed instead (never passed off as whole).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request, type Dispatcher } from 'undici';
import { SwarmletError } from '../errors.js';
import type { Logger } from '../logger.js';
import { drained } from '../api/reply.js';
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
      for await (const chunk of upstream.body) {
        if (!res.write(chunk as Buffer)) await drained(res, abort.signal);
      }
      if (!res.destroyed) res.end();
    } catch (err) {
      if (res.destroyed) return; // the client went away
      if (typeof upstreamLength === 'string') {
        res.destroy(); // an answer of known length cut short: the client must see it incomplete
        return;
      }
      // A stream (events, logs, a session) whose leader died or stepped down: it ends, as a local
      // stream ends at a change of leader; clients do not reconnect on their own (docker events,
      // service logs -f), so it must neither hang nor look like a broken connection.
      o.logger.info({ err: (err as Error).message, url: req.url, leader }, 'forwarded stream ended: the leader is gone or changed');
      res.end();
    }
  } finally {
    o.signal.removeEventListener('abort', cut);
    res.off('close', cut);
  }
}
