import type { ServerResponse } from 'node:http';
import type { LogQuery } from '../agent/task-driver.js';
import type { LogEntry } from '../manager/control.js';
import type { ApiContext } from './context.js';
import { encodeFrame, formatLogPayloads } from './log-frames.js';
import { toLogQuery, type LogParams } from './log-params.js';
import { compareApiVersions } from './query.js';
import { drained } from './reply.js';

export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';
export const RAW_STREAM = 'application/vnd.docker.raw-stream';

export interface LogStreamOptions {
  params: LogParams;
  /** TTY tasks: raw bytes, no stdcopy framing. */
  tty: boolean;
  /** Opens the control's log iterator; a synchronous throw becomes a normal JSON error. */
  open(query: LogQuery): AsyncIterable<LogEntry>;
}

/** moby: multiplexed-stream from API 1.42 (no prefix = latest), raw-stream below and for TTYs. */
export function logContentType(apiVersion: string | undefined, tty: boolean): string {
  if (tty) return RAW_STREAM;
  return apiVersion === undefined || compareApiVersions(apiVersion, '1.42') >= 0 ? MULTIPLEXED_STREAM : RAW_STREAM;
}

/**
 * Streams log entries as Docker does (§5): 200 and headers at once, one frame per line,
 * errors after that in-band on stream 3. The control's iterator is aborted when the client
 * goes away or the server closes.
 */
export async function streamLogs(ctx: ApiContext, opts: LogStreamOptions): Promise<void> {
  const { res, closing } = ctx;
  const abort = new AbortController();
  const stop = () => abort.abort();
  res.on('close', stop);
  closing.addEventListener('abort', stop, { once: true });
  try {
    const entries = opts.open(toLogQuery(opts.params, abort.signal));
    res.statusCode = 200;
    res.setHeader('Content-Type', logContentType(ctx.apiVersion, opts.tty));
    res.flushHeaders();
    await pump(res, entries, opts, abort.signal).catch((e: unknown) => {
      if (abort.signal.aborted) return;
      ctx.logger.warn({ err: e }, 'log stream failed');
      const text = `Error grabbing logs: ${e instanceof Error ? e.message : String(e)}\n`;
      res.write(opts.tty ? text : encodeFrame(3, text));
    });
  } finally {
    abort.abort(); // the stream is over (or failed): every task read still following stops too
    res.off('close', stop);
    closing.removeEventListener('abort', stop);
    if (res.headersSent && !res.writableEnded && !res.destroyed) res.end();
  }
}

async function pump(res: ServerResponse, entries: AsyncIterable<LogEntry>, opts: LogStreamOptions, signal: AbortSignal): Promise<void> {
  const { params, tty } = opts;
  for await (const entry of entries) {
    if (signal.aborted) return;
    const wanted = entry.stream === 'stdout' ? params.stdout : params.stderr;
    if (!wanted) continue;
    const stream = entry.stream === 'stdout' ? 1 : 2;
    let ok = true;
    for (const payload of formatLogPayloads(entry, params)) {
      ok = res.write(tty ? payload : encodeFrame(stream, payload)) && ok;
    }
    if (!ok) await drained(res, signal);
  }
}
