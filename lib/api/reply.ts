import type { ServerResponse } from 'node:http';

/** Exactly this: the docker CLI only decodes `{"message"}` when there is no charset suffix. */
export const JSON_CONTENT_TYPE = 'application/json';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body), 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', JSON_CONTENT_TYPE);
  res.setHeader('Content-Length', data.length);
  res.end(data);
}

/** 200 (or `status`) with no body: what moby sends for DELETE and node update. */
export function sendEmpty(res: ServerResponse, status = 200): void {
  res.statusCode = status;
  res.setHeader('Content-Length', 0);
  res.end();
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  const data = Buffer.from(text, 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', data.length);
  res.end(data);
}

/** Docker's error body: `{"message": …}` with Content-Type exactly application/json. */
export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { message });
}

/** Resolves when a response that refused a write can take more (or the signal aborts): stream backpressure. */
export function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
