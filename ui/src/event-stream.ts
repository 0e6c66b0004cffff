/**
 * One GET /events stream for the page (service, node and task events), read line by line. When it
 * ends or fails (a manager restart) it reconnects with a growing pause (0.25 s … 3 s); every
 * (re)connection calls `onOpen` first so the page reloads what it may have missed.
 */
import { Api, isAuthError } from './api.js';
import type { EventMessage } from './types.js';

export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

export interface StreamHandlers {
  onOpen(): Promise<void>;
  onEvent(e: EventMessage): void;
  onStatus(s: StreamStatus, detail?: string): void;
}

const FILTERS = encodeURIComponent(JSON.stringify({ type: ['service', 'node', 'task'] }));

export function followEvents(api: Api, h: StreamHandlers): { stop(): void } {
  let stopped = false;
  let current: AbortController | undefined;
  let pause = 250;
  const run = async (): Promise<void> => {
    let first = true;
    while (!stopped) {
      h.onStatus(first ? 'connecting' : 'reconnecting');
      first = false;
      current = new AbortController();
      try {
        const res = await api.request(`/events?filters=${FILTERS}`, { signal: current.signal });
        await h.onOpen();
        h.onStatus('live');
        pause = 250;
        await readLines(res, (line) => {
          let e: EventMessage;
          try { e = JSON.parse(line) as EventMessage; } catch { return; }
          h.onEvent(e);
        });
      } catch (e) {
        if (stopped) return;
        if (isAuthError(e)) {
          h.onStatus('unauthorized', (e as Error).message);
          return;
        }
      }
      if (stopped) return;
      h.onStatus('reconnecting');
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(3000, pause * 2);
    }
  };
  void run();
  return { stop: () => { stopped = true; current?.abort(); } };
}

async function readLines(res: Response, onLine: (line: string) => void): Promise<void> {
  if (!res.body) return;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    pending += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line !== '') onLine(line);
    }
  }
}
