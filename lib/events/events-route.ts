/**
 * GET /events as docker serves it: `since`/`until` (Unix seconds with optional nanoseconds, RFC 3339
 * or a duration before now), `filters` in either JSON form, then 200 with Content-Type
 * application/json and one JSON object per line, each written at once. Ends at `until`, when the
 * client goes away or when the server closes.
 */
import type { Clock } from '../clock.js';
import { invalid } from '../errors.js';
import type { ApiContext } from '../api/context.js';
import { parseFilters } from '../api/filters.js';
import { JSON_CONTENT_TYPE, drained } from '../api/reply.js';
import type { Route } from '../api/router.js';
import type { Store } from '../store/store.js';
import { compileEventFilter } from './event-filters.js';
import { EventLog } from './event-log.js';
import { encodeEvent } from './event-message.js';
import { streamEvents } from './event-stream.js';
import { parseEventTime } from './event-time.js';

export type EventsRouteOptions =
  | { log: EventLog; clock: Clock }
  /** Starts an EventLog following `store` now (it records until the store closes). */
  | { store: Store; clock: Clock; capacity?: number };

/** The `/events` route (for createApiServer's `extraRoutes`). */
export function eventsRoute(o: EventsRouteOptions): Route {
  const log = 'log' in o ? o.log : followStore(o.store, o.clock, o.capacity);
  return { method: 'GET', pattern: /^\/events$/, handler: (ctx) => serveEvents(ctx, log, o.clock) };
}

function followStore(store: Store, clock: Clock, capacity: number | undefined): EventLog {
  const log = new EventLog({ clock, ...(capacity !== undefined ? { capacity } : {}) });
  log.follow(store);
  return log;
}

function optionalTime(raw: string | null, field: string, nowMs: number): bigint | undefined {
  return raw === null || raw.trim() === '' ? undefined : parseEventTime(raw, field, nowMs);
}

async function serveEvents(ctx: ApiContext, log: EventLog, clock: Clock): Promise<void> {
  const { query, res } = ctx;
  const nowMs = clock.now();
  const since = optionalTime(query.get('since'), 'since', nowMs);
  const until = optionalTime(query.get('until'), 'until', nowMs);
  if (since !== undefined && until !== undefined && until < since) {
    throw invalid(`\`since\` time (${query.get('since')}) cannot be after \`until\` time (${query.get('until')})`, 'since');
  }
  const filter = compileEventFilter(parseFilters(query.get('filters')));
  const abort = new AbortController();
  const stop = () => abort.abort();
  res.on('close', stop);
  ctx.closing.addEventListener('abort', stop, { once: true });
  res.statusCode = 200;
  res.setHeader('Content-Type', JSON_CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-cache');
  res.flushHeaders();
  try {
    for await (const e of streamEvents(log, { clock, since, until, filter, signal: abort.signal })) {
      if (!res.write(`${encodeEvent(e)}\n`)) await drained(res, abort.signal);
    }
  } catch (e) {
    if (!abort.signal.aborted) ctx.logger.warn({ err: e }, 'event stream ended early');
  } finally {
    res.off('close', stop);
    ctx.closing.removeEventListener('abort', stop);
    if (!res.writableEnded && !res.destroyed) res.end();
  }
}
