/**
 * Message framing read from raw headers, without building header objects: whether a client
 * request has a body (and whether its length is known), and an upstream response's Content-Length.
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

/** The Content-Length of a response's raw headers (as undici gives them), or -1. */
export function contentLength(raw: readonly Buffer[]): number {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== 14 || name.toString('latin1').toLowerCase() !== 'content-length') continue;
    const n = Number(raw[i + 1]!.toString('latin1'));
    return Number.isSafeInteger(n) && n >= 0 ? n : -1;
  }
  return -1;
}
