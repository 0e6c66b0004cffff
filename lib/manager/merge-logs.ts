import type { LogEntry } from './control.js';

/**
 * Merges several log streams. Without follow, every line is read first and yielded in time order;
 * with follow, lines are yielded as they arrive from any stream until all end or the signal aborts.
 * With `more` (follow only), streams that appear later (tasks started after the follow began) are
 * merged in too, and the merge lasts until the signal aborts.
 */
export async function* mergeLogs(
  sources: AsyncIterable<LogEntry>[], follow: boolean, signal?: AbortSignal,
  more?: (add: (source: AsyncIterable<LogEntry>) => void) => () => void,
): AsyncGenerator<LogEntry> {
  if (!follow) {
    const all: LogEntry[] = [];
    for (const s of sources) for await (const e of s) all.push(e);
    all.sort((a, b) => a.time - b.time);
    yield* all;
    return;
  }
  const queue: LogEntry[] = [];
  let wake: (() => void) | undefined;
  let open = sources.length;
  const notify = () => { const w = wake; wake = undefined; w?.(); };
  const errors: unknown[] = [];
  const add = (s: AsyncIterable<LogEntry>) => {
    void (async () => {
      try { for await (const e of s) { queue.push(e); notify(); } } catch (e) { errors.push(e); } finally { open--; notify(); }
    })();
  };
  for (const s of sources) add(s);
  const stopMore = more?.((s) => { open++; add(s); });
  const onAbort = () => notify();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (errors.length > 0) throw errors[0];
      if ((open === 0 && !stopMore) || signal?.aborted) return;
      await new Promise<void>((r) => { wake = r; });
    }
  } finally {
    stopMore?.();
    signal?.removeEventListener('abort', onAbort);
  }
}
