import { ndjsonLines } from '../ndjson-lines.js';
import { request, type Dispatcher } from 'undici';
import type { EndpointSource } from '../../gateway/endpoint-table.js';
import { EndpointTableSchema, type EndpointTable } from '../protocol/endpoint-table.js';
import { checkWire } from '../protocol/wire-error.js';
import { sleep, systemClock, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { bearerHeader, createTlsDispatcher, type ClientTlsOptions } from './tls-dispatcher.js';
import { ManagerCursor } from './manager-cursor.js';

export interface StreamSourceOptions {
  /** The manager's base URL, e.g. http://127.0.0.1:2377 */
  manager: string;
  /**
   * The gateway ID: while connected, the gateway is part of the manager's drain barrier and must ack
   * every version. Undefined: an observer (it only reads the tables, stops no drain).
   */
  gatewayId: string | undefined;
  /**
   * A node credential or the client token (`Authorization: Bearer …`): the stream needs one when the
   * manager has client auth on (always with TLS).
   */
  token?: string;
  /** Trust this CA (PEM text) for an https manager. */
  tls?: ClientTlsOptions;
  clock?: Clock;
  logger?: Logger;
  /** Reconnect back-off bounds (default 200 ms … 5 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * A standalone gateway's EndpointSource: the manager's NDJSON table stream, reconnected with
 * back-off. While the manager is unreachable nothing is published, so the gateway keeps routing by
 * the last table it had (the data plane outlives the control plane).
 */
export function streamEndpointSource(o: StreamSourceOptions): EndpointSource {
  const clock = o.clock ?? systemClock();
  const logger = o.logger ?? silentLogger();
  const managers = new ManagerCursor(o.manager); // several (comma-separated): a broken stream moves to the next
  const dispatcher = createTlsDispatcher(o.tls);
  const via = { headers: bearerHeader(o.token), ...(dispatcher ? { dispatcher } : {}) };
  return {
    subscribe(onTable, onError) {
      const stop = new AbortController();
      stop.signal.addEventListener('abort', () => { void dispatcher?.close().catch(() => undefined); }, { once: true });
      void (async () => {
        let backoff = o.minBackoffMs ?? 200;
        while (!stop.signal.aborted) {
          try {
            // Several managers send a blank line every second: 5 s of silence is a stopped manager.
            const as = o.gatewayId === undefined ? '' : `&gateway=${encodeURIComponent(o.gatewayId)}`;
            await readStream(`${managers.current()}/swarmlet/v1/endpoints?watch=1${as}`, via, stop.signal, logger, managers.size > 1 ? 5000 : 0, (t) => {
              backoff = o.minBackoffMs ?? 200;
              onTable(t);
            });
          } catch (err) {
            if (stop.signal.aborted) break;
            logger.warn({ err: (err as Error).message, manager: managers.current() }, 'endpoint stream lost; keeping the last table');
            onError?.(err as Error);
          }
          if (managers.size > 1) {
            managers.next();
            if (!managers.atStart()) { await sleep(clock, 100, stop.signal); continue; }
          }
          await sleep(clock, backoff, stop.signal);
          backoff = Math.min(backoff * 2, o.maxBackoffMs ?? 5000);
        }
      })();
      return () => stop.abort();
    },
    ack(gatewayId, version) {
      void request(`${managers.current()}/swarmlet/v1/endpoints/ack`, {
        ...via, method: 'POST', headers: { ...via.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ Gateway: gatewayId, Version: version }),
      }).then((r) => r.body.dump()).catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'endpoint ack failed'));
    },
  };
}

interface Via { headers: Record<string, string>; dispatcher?: Dispatcher }

/** Reads tables off the stream; a malformed one is logged and skipped (the gateway keeps the last good table). */
async function readStream(url: string, via: Via, signal: AbortSignal, logger: Logger, bodyTimeout: number, onTable: (t: EndpointTable) => void): Promise<void> {
  const res = await request(url, { ...via, signal, bodyTimeout, headersTimeout: 10_000 });
  if (res.statusCode !== 200) {
    const text = await res.body.text();
    throw new Error(`endpoint stream: HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
  }
  for await (const lines of ndjsonLines(res.body)) {
    for (const line of lines) {
      const checked = checkWire(EndpointTableSchema, JSON.parse(line), 'EndpointTable');
      if (checked.ok) onTable(checked.value);
      else logger.warn({ err: checked.error.message }, 'manager sent a malformed endpoint table; keeping the last one');
    }
  }
  throw new Error('endpoint stream ended');
}
