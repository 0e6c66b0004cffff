/**
 * One subscriber's view of an EventLog, as moby serves `/events`: first the kept events between
 * `since` and `until` (only when one of them is given; `until` alone replays everything kept up to
 * it), then live events, ending at `until` or when the signal aborts. Replay and subscription are
 * taken in the same tick, so no event is missed or seen twice. Subscribes when iteration starts.
 */
import type { Clock } from '../clock.js';
import { SwarmletError } from '../errors.js';
import type { EventFilter } from './event-filters.js';
import type { EventLog } from './event-log.js';
import type { EventMessage } from './event-message.js';
import { nanosOfMs } from './event-time.js';

export interface EventStreamOptions {
  clock: Clock;
  /** Nanoseconds; events before it are skipped (and kept ones from it on replayed). */
  since?: bigint | undefined;
  /** Nanoseconds; the stream ends once this time has passed. */
  until?: bigint | undefined;
  filter?: EventFilter;
  signal?: AbortSignal | undefined;
  /** Live events buffered for a slow consumer before the stream fails (default 10,000). */
  maxQueue?: number;
}

export async function* streamEvents(log: EventLog, o: EventStreamOptions): AsyncGenerator<EventMessage> {
  if (o.signal?.aborted) return;
  const filter = o.filter ?? (() => true);
  const nowNs = nanosOfMs(o.clock.now());
  const backlog = o.since !== undefined || o.until !== undefined ? log.replay({ since: o.since, until: o.until }, filter) : [];
  if (o.until !== undefined && o.until <= nowNs) {
    yield* backlog;
    return;
  }
  const live = liveQueue(log, o, filter);
  try {
    yield* backlog;
    for (;;) {
      const next = await live.next();
      if (next === undefined) break;
      yield next;
    }
  } finally {
    live.close();
  }
}

interface LiveQueue {
  /** The next live event; undefined when the stream is over (until passed or aborted). */
  next(): Promise<EventMessage | undefined>;
  close(): void;
}

function liveQueue(log: EventLog, o: EventStreamOptions, filter: EventFilter): LiveQueue {
  const maxQueue = o.maxQueue ?? 10_000;
  const queue: EventMessage[] = [];
  let ended = false;
  let overflow = false;
  let wake: (() => void) | undefined;
  const end = () => { ended = true; const w = wake; wake = undefined; w?.(); };
  const unlisten = log.listen((e) => {
    if (ended || (o.since !== undefined && e.timeNano < o.since)) return;
    if (o.until !== undefined && e.timeNano > o.until) return end();
    if (!filter(e)) return;
    if (queue.length >= maxQueue) { overflow = true; return end(); }
    queue.push(e);
    const w = wake; wake = undefined; w?.();
  });
  o.signal?.addEventListener('abort', end, { once: true });
  const timer = o.until === undefined ? undefined : endAt(o.clock, o.until, end);
  return {
    async next() {
      for (;;) {
        if (o.signal?.aborted) return undefined;
        if (queue.length > 0) return queue.shift();
        if (overflow) throw new SwarmletError('unavailable', `event stream fell behind: more than ${maxQueue} events were waiting`);
        if (ended) return undefined;
        await new Promise<void>((resolve) => { wake = resolve; });
      }
    },
    close() {
      ended = true;
      unlisten();
      timer?.cancel();
      o.signal?.removeEventListener('abort', end);
    },
  };
}

/** Longest single timer (Node fires longer ones at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `fn` once the clock has passed `atNs`, re-arming for far-away times. */
function endAt(clock: Clock, atNs: bigint, fn: () => void): { cancel(): void } {
  let current: { cancel(): void } | undefined;
  const arm = () => {
    const left = Number((atNs - nanosOfMs(clock.now())) / 1_000_000n) + 1;
    if (left <= 0) return fn();
    current = clock.setTimeout(arm, Math.min(left, MAX_TIMER_MS));
  };
  arm();
  return { cancel: () => current?.cancel() };
}
