/** The client side of GET /events: a byte stream of newline-separated JSON objects → typed events. */
import { decodeEvent, type EventMessage } from '../events/event-message.js';
import type { Filters } from './filters.js';

export interface EventsQueryOptions {
  /** Unix seconds as docker sends them ("1700000000.000000000"); see lib/events/event-time.ts to convert. */
  since?: string;
  until?: string;
  filters?: Filters;
  signal?: AbortSignal;
}

/** Splits a response body into lines and decodes each as an event (blank lines are skipped). */
export async function* decodeEventStream(body: AsyncIterable<Uint8Array>): AsyncGenerator<EventMessage> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line !== '') yield decodeEvent(line);
      nl = pending.indexOf('\n');
    }
  }
  pending += decoder.decode();
  if (pending.trim() !== '') yield decodeEvent(pending.trim());
}
