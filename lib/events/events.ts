/**
 * The embedding API's typed event stream: `for await (const e of events(cluster, { filters: { type: ['service'] } }))`.
 *
 * The source is an EventLog (full `since` replays from its ring), an object holding one
 * (`{ eventLog }`: a Cluster, whose log is kept on disk with its data directory, so replays reach
 * across restarts), or anything else with a `store`: then a private log follows the store while
 * the stream is iterated, so only live events are seen and `since` replays nothing older.
 * Arguments are checked at once (bad times or filters throw); the subscription starts when
 * iteration starts.
 */
import { systemClock, type Clock } from '../clock.js';
import { invalid } from '../errors.js';
import type { Filters } from '../manager/control.js';
import type { Store } from '../store/store.js';
import { compileEventFilter } from './event-filters.js';
import { EventLog } from './event-log.js';
import type { EventMessage } from './event-message.js';
import { streamEvents } from './event-stream.js';
import { parseEventTime, type EventTimeInput } from './event-time.js';

export interface EventsOptions {
  /** Replay kept events from this time: Unix seconds (number or "sec.nanos"), RFC 3339, a duration before now ("10m"), a Date, or bigint nanoseconds. */
  since?: EventTimeInput;
  /** End the stream at this time (same forms). */
  until?: EventTimeInput;
  /** Docker event filters: type, event, service, node, task, scope, label … */
  filters?: Filters;
  signal?: AbortSignal;
  /** Time source (default the system clock). */
  clock?: Clock;
}

export type EventSource = EventLog | { eventLog: EventLog } | { store: Store };

export function events(source: EventSource, opts: EventsOptions = {}): AsyncIterable<EventMessage> {
  const clock = opts.clock ?? systemClock();
  const nowMs = clock.now();
  const since = opts.since === undefined ? undefined : parseEventTime(opts.since, 'since', nowMs);
  const until = opts.until === undefined ? undefined : parseEventTime(opts.until, 'until', nowMs);
  if (since !== undefined && until !== undefined && until < since) throw invalid('`since` time cannot be after `until` time', 'since');
  const filter = compileEventFilter(opts.filters ?? {});
  const stream = { clock, since, until, filter, signal: opts.signal };
  if (source instanceof EventLog) return streamEvents(source, stream);
  if ('eventLog' in source && source.eventLog instanceof EventLog) return streamEvents(source.eventLog, stream);
  const { store } = source as { store: Store };
  return (async function* () {
    const log = new EventLog({ clock });
    const unfollow = log.follow(store);
    try {
      yield* streamEvents(log, stream);
    } finally {
      unfollow();
    }
  })();
}
