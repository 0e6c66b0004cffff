/**
 * Message framing read from raw headers, without building header objects: whether a client
 * request has a body (and whether its length is known).
 */
import type { IncomingMessage } from 'node:http';

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
