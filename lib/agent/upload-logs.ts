import { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import type { Logger } from '../logger.js';
import type { LogRequest } from '../protocol/session.js';
import type { LogLine, LogQuery } from './task-driver.js';

export interface UploadLogsOptions {
  /** Where the lines go: `<manager>/swarmlet/v1/nodes/<id>/logs/<request>`. */
  url: string;
  headers: Record<string, string>;
  dispatcher?: Dispatcher;
  logs: (taskId: string, query: LogQuery) => AsyncIterable<LogLine>;
  /** Aborts the upload (the link closes). */
  signal: AbortSignal;
  logger: Logger;
}

/**
 * Answers a manager's LogRequest: reads the task's lines from the driver and uploads them as one
 * NDJSON request body, following when asked, until the lines end, the manager stops reading
 * (it answers or cuts the upload) or the link closes.
 */
export async function uploadLogs(r: LogRequest, o: UploadLogsOptions): Promise<void> {
  const ac = new AbortController();
  const onStop = () => ac.abort();
  o.signal.addEventListener('abort', onStop, { once: true });
  const query: LogQuery = { signal: ac.signal, ...(r.Follow ? { follow: true } : {}),
    ...(r.Tail !== undefined ? { tail: r.Tail } : {}), ...(r.Since !== undefined ? { since: r.Since } : {}) };
  const lines = o.logs(r.TaskID, query);
  const body = Readable.from((async function* () {
    // A blank line first: undici sends the request head with the first body chunk, and the manager
    // takes an upload that has not begun within its answer timeout for a node that is not there.
    // A follow of a quiet task must not look like that.
    yield '\n';
    for await (const l of lines) yield `${JSON.stringify({ stream: l.stream, time: l.time, text: l.text })}\n`;
  })());
  try {
    const res = await request(o.url, {
      ...(o.dispatcher ? { dispatcher: o.dispatcher } : {}), method: 'POST', signal: ac.signal,
      headers: { ...o.headers, 'content-type': 'application/x-ndjson' }, body, headersTimeout: 0, bodyTimeout: 0,
    });
    await res.body.dump();
  } catch (err) {
    if (!ac.signal.aborted) o.logger.debug({ task: r.TaskID, err: (err as Error).message }, 'log upload ended');
  } finally {
    ac.abort();
    body.destroy();
    o.signal.removeEventListener('abort', onStop);
  }
}
