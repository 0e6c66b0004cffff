/** The client side of GET /events: a byte stream of newline-separated JSON objects → typed events. */
import { decodeEvent, type EventMessage } from '../events/event-message.js';
import type { Filters } from './filters.js';
import { ndjsonLines } from '../ndjson-lines.js';

export interface EventsQueryOptions {
  /** Unix seconds as docker sends them ("1700000000.000000000"); see lib/events/event-time.ts to convert. */
  since?: string;
  until?: string;
  filters?: Filters;
  signal?: AbortSignal;
}

/** Splits a response body into lines and decodes each as an event (blank lines are skipped). */
export async function* decodeEventStream(body: AsyncIterable<Uint8Array>): AsyncGenerator<EventMessage> {
  for await (const lines of ndjsonLines(body)) for (const line of lines) yield decodeEvent(line);
}
