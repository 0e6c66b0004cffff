/**
 * The manager's recent events: a bounded ring (default 10,000, oldest dropped first) of Docker
 * events made from the store's commits, each stamped with a strictly increasing `timeNano`, plus
 * live listeners. `since` replays come from the ring.
 *
 * The ring lives in memory; with a `file` (the manager's data directory) every event is also
 * written to disk and the ring is filled from it at start, so replays reach across a restart.
 */
import type { Clock } from '../clock.js';
import type { Store, StoreEvent } from '../store/store.js';
import { eventsFromStore } from './event-from-store.js';
import type { EventFilter } from './event-filters.js';
import type { EventDraft, EventMessage } from './event-message.js';
import { EventNames } from './event-names.js';
import type { EventFile } from './event-file.js';
import { nanosOfMs, secondsOf } from './event-time.js';

export const DEFAULT_EVENT_LOG_CAPACITY = 10_000;

export interface EventLogOptions {
  clock: Clock;
  /** Events kept for replays (default 10,000). */
  capacity?: number;
  /** Keep the events on disk too, and start with what the file holds. */
  file?: EventFile;
}

export type EventListener = (e: EventMessage) => void;

export class EventLog {
  readonly capacity: number;
  private readonly clock: Clock;
  private readonly ring: EventMessage[] = [];
  /** Index in `ring` of the oldest event once the ring is full. */
  private head = 0;
  private last = 0n;
  private readonly listeners = new Set<EventListener>();
  private readonly names = new EventNames();
  private readonly file: EventFile | undefined;

  constructor(o: EventLogOptions) {
    this.clock = o.clock;
    this.capacity = Math.max(1, Math.floor(o.capacity ?? DEFAULT_EVENT_LOG_CAPACITY));
    this.file = o.file;
    for (const e of o.file?.load() ?? []) {
      this.push(e);
      if (e.timeNano > this.last) this.last = e.timeNano;
    }
  }

  /** Records the events of every later commit of `store` (names seeded from its snapshot). Returns a stop function. */
  follow(store: Store): () => void {
    return store.watch((batch) => this.record(batch), (tx) => this.names.load(tx));
  }

  /** Maps one committed batch of store events and appends the results. */
  record(batch: readonly StoreEvent[]): EventMessage[] {
    const drafts: EventDraft[] = [];
    for (const e of batch) {
      this.names.learn(e);
      drafts.push(...eventsFromStore(e, this.names));
    }
    return this.append(drafts);
  }

  /** Stamps drafts (now, but always after the previous event), keeps them and tells the listeners. */
  append(drafts: readonly EventDraft[]): EventMessage[] {
    const out: EventMessage[] = [];
    for (const d of drafts) {
      const now = nanosOfMs(this.clock.now());
      this.last = now > this.last ? now : this.last + 1n;
      const e: EventMessage = { ...d, time: secondsOf(this.last), timeNano: this.last };
      this.push(e);
      out.push(e);
    }
    this.file?.append(out, () => this.replay({}));
    for (const e of out) for (const fn of [...this.listeners]) fn(e);
    return out;
  }

  private push(e: EventMessage): void {
    if (this.ring.length < this.capacity) {
      this.ring.push(e);
      return;
    }
    this.ring[this.head] = e;
    this.head = (this.head + 1) % this.capacity;
  }

  /** Kept events with since ≤ timeNano ≤ until (either bound optional) that pass `filter`, oldest first. */
  replay(range: { since?: bigint | undefined; until?: bigint | undefined }, filter: EventFilter = () => true): EventMessage[] {
    const out: EventMessage[] = [];
    for (let i = this.ring.length - 1; i >= 0; i--) {
      const e = this.ring[(this.head + i) % this.ring.length]!;
      if (range.since !== undefined && e.timeNano < range.since) break;
      if (range.until !== undefined && e.timeNano > range.until) continue;
      if (filter(e)) out.push(e);
    }
    return out.reverse();
  }

  /** Calls `fn` with every event appended from now on. Returns the unsubscribe function. */
  listen(fn: EventListener): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  /** Number of events kept. */
  get size(): number { return this.ring.length; }

  /** timeNano of the newest event (0n before the first). */
  get lastTimeNano(): bigint { return this.last; }
}
